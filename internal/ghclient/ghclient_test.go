package ghclient

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRetryTransportKinds(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	cases := []struct {
		name     string
		status   int
		header   map[string]string
		body     string
		method   string        // POST when empty
		wantWait time.Duration // 0: not retried
	}{
		{"retry-after 429", http.StatusTooManyRequests, map[string]string{"Retry-After": "5"}, "{}", "", 5 * time.Second},
		{"primary limit", http.StatusForbidden, map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": strconv.FormatInt(now.Unix()+30, 10)}, "{}", "", 31 * time.Second},
		{"secondary without header", http.StatusForbidden, nil, `{"message":"You have exceeded a secondary rate limit."}`, "", time.Minute},
		{"read-only token", http.StatusForbidden, nil, `{"message":"Resource not accessible by integration"}`, "", 0},
		{"server error of a POST", http.StatusInternalServerError, map[string]string{"Retry-After": "1"}, "{}", "", 0},
		{"server error of a PATCH", http.StatusBadGateway, nil, "{}", http.MethodPatch, 0},
		{"server error of a PUT", http.StatusBadGateway, nil, "{}", http.MethodPut, time.Second},
		{"server error of a DELETE with retry-after", http.StatusServiceUnavailable, map[string]string{"Retry-After": "7"}, "{}", http.MethodDelete, 7 * time.Second},
		{"conflict of a PUT", http.StatusConflict, nil, "{}", http.MethodPut, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			var bodies []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				b, _ := io.ReadAll(r.Body)
				bodies = append(bodies, string(b))
				if calls == 1 {
					for k, v := range c.header {
						w.Header().Set(k, v)
					}
					w.WriteHeader(c.status)
					io.WriteString(w, c.body)
					return
				}
				io.WriteString(w, "ok")
			}))
			defer srv.Close()
			var waits []time.Duration
			rt := &RetryTransport{
				Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil },
				Now:   func() time.Time { return now },
			}
			method := c.method
			if method == "" {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, srv.URL, strings.NewReader("payload"))
			resp, err := (&http.Client{Transport: rt}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if c.wantWait == 0 {
				if calls != 1 || len(waits) != 0 || string(body) != c.body {
					t.Errorf("calls %d, waits %v, body %q", calls, waits, body)
				}
				return
			}
			if calls != 2 || len(waits) != 1 || waits[0] != c.wantWait || string(body) != "ok" {
				t.Errorf("calls %d, waits %v (want %v), body %q", calls, waits, c.wantWait, body)
			}
			if bodies[1] != "payload" {
				t.Errorf("retried request body %q", bodies[1])
			}
		})
	}
}

func TestRetryTransportCancelledWait(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	start := time.Now()
	_, err := (&RetryTransport{}).RoundTrip(req)
	if err == nil || time.Since(start) > 20*time.Second {
		t.Fatalf("err %v after %v, want a prompt cancellation", err, time.Since(start))
	}
}

// TestRetryTransportServerErrorBackoff checks that server errors of a GET
// are retried Retries times with doubling waits, then returned.
func TestRetryTransportServerErrorBackoff(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	var waits []time.Duration
	rt := &RetryTransport{Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	if resp.StatusCode != http.StatusBadGateway || calls != DefaultRetries+1 || !slices.Equal(waits, want) {
		t.Errorf("status %d after %d calls, waits %v; want 502 after %d calls, waits %v", resp.StatusCode, calls, waits, DefaultRetries+1, want)
	}
}

func TestNewBaseURL(t *testing.T) {
	c, err := New("https://ghe.example.com/api/v3", "", nil)
	if err != nil || c.BaseURL.String() != "https://ghe.example.com/api/v3/" {
		t.Fatalf("%v %v", c.BaseURL, err)
	}
	if c, err := New("", "", nil); err != nil || c.BaseURL.String() != "https://api.github.com/" {
		t.Fatalf("default: %v %v", c.BaseURL, err)
	}
	if _, err := New("ftp://x", "", nil); err == nil {
		t.Error("ftp URL accepted")
	}
}
