package load

import (
	"context"
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// TestFaultsAtTheClient covers the faults whose detail is best seen on one
// request: bounded reads of an endless body, a redirect to another host,
// and a TLS error.
func TestFaultsAtTheClient(t *testing.T) {
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		chunk := []byte(strings.Repeat(`{"x":1}`, 1000))
		for i := 0; i < 100_000 && r.Context().Err() == nil; i++ { // 700 MB at most
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer endless.Close()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	big := httpTarget(endless.URL)
	big.MaxBody = 64 << 10
	bigStream := Target{URL: endless.URL, API: APIOpenAIChat, Model: "m", Stream: true, MaxBody: 64 << 10}
	bigJSON := Target{URL: endless.URL, API: APIOpenAICompletions, Model: "m", MaxBody: 64 << 10}
	cases := []struct {
		name   string
		t      Target
		class  string
		status int
		msg    string
	}{
		{"endless http body", big, ErrStream, 200, "larger than the limit"},
		{"endless completion body", bigJSON, ErrStream, 200, "larger than the limit"},
		{"endless stream", bigStream, ErrStream, 200, ""},
		{"redirect to another host", httpTarget(redirect.URL), ErrCheck, 307, "307"},
		{"redirect of a stream", Target{URL: redirect.URL, API: APIOpenAIChat, Model: "m", Stream: true}, ErrCheck, 307, "307"},
		{"TLS error", Target{URL: tlsSrv.URL, API: APIOpenAIChat, Model: "m", Stream: true}, ErrConnect, 0, "certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.t.Timeout = 10 * time.Second
			c := newTestClient(t, tc.t)
			start := time.Now()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			o := c.do(context.Background(), &Prompt{Text: "q", MaxTokens: 3, Vars: map[string]string{"prompt": "q"}}, nil)
			runtime.ReadMemStats(&ms1)
			if o.class != tc.class || o.status != tc.status || !strings.Contains(o.msg, tc.msg) {
				t.Errorf("got class %q status %d msg %q; want %q %d containing %q", o.class, o.status, o.msg, tc.class, tc.status, tc.msg)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			// Bounded reads: the client allocates about the limit, not the body.
			if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 32<<20 {
				t.Errorf("allocated %d MB reading a body limited to 64 KB", alloc>>20)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("%d requests followed the redirect to another host", n)
	}
}

// TestOverloadStaysBounded sends 300 req/s for 1.5 s to a target that
// accepts every connection and never answers. The in-flight cap (32) holds,
// so goroutines and heap stay bounded while the schedule keeps offering
// requests, and everything is released once the run ends.
func TestOverloadStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(30 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseG, baseHeap := runtime.NumGoroutine(), ms.HeapInuse
	const capInFlight = 32
	p := Plan{Pacer: ConstantPacer{Rate: 300}, Duration: 1500 * time.Millisecond, Window: 500 * time.Millisecond,
		MaxInFlight: capInFlight, Workload: tinyWorkload, Grace: 200 * time.Millisecond}
	tg := httpTarget(srv.URL)
	tg.Timeout = time.Minute // the cap, not the timeout, must bound the load

	stop := make(chan struct{})
	var maxG int
	var maxHeap uint64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			maxG = max(maxG, runtime.NumGoroutine())
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapInuse)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, err := Run(ctx, p, tg)
	took := time.Since(start)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	// Per outstanding request: its worker, the client connection's read
	// and write loops and the test server's handler.
	limitG := baseG + 6*capInFlight + 64
	t.Logf("goroutines: %d before, %d at most (limit %d); heap in use %d KB before, %d KB at most; returned in %v",
		baseG, maxG, limitG, baseHeap>>10, maxHeap>>10, took.Round(time.Millisecond))
	if maxG > limitG {
		t.Errorf("%d goroutines at most, want <= %d: the in-flight cap did not hold", maxG, limitG)
	}
	if maxHeap > baseHeap+64<<20 {
		t.Errorf("heap in use grew from %d KB to %d KB", baseHeap>>10, maxHeap>>10)
	}
	var inflight, sent int64
	for _, w := range r.Windows {
		inflight = max(inflight, w.InFlightMax)
		sent += w.Sent
	}
	if inflight != capInFlight || sent > capInFlight {
		t.Errorf("in-flight max %d, %d sent; want the cap, %d, for both", inflight, sent, capInFlight)
	}
	if took > 5*time.Second {
		t.Errorf("the cancelled run returned after %v", took)
	}
	// Everything is released: back near the starting count.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseG+8 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseG+8 {
		t.Errorf("%d goroutines 5 s after the run, %d before: a leak", n, baseG)
	}
}

// TestSecretsScrubbedFromMessages: a server that echoes the header, only
// its token, or cuts its answer in the middle of the secret never gets a
// piece of it into an error message.
func TestSecretsScrubbedFromMessages(t *testing.T) {
	const token = "sk-proj-Zx8Qw7Er6Ty5Ui4Op3"
	pad := strings.Repeat(".", 490)
	mux := http.NewServeMux()
	mux.HandleFunc("/whole/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "got "+r.Header.Get("Authorization"), http.StatusUnauthorized)
	})
	mux.HandleFunc("/token/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Incorrect API key provided: "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), http.StatusUnauthorized)
	})
	mux.HandleFunc("/cut/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, pad+r.Header.Get("Authorization"), http.StatusInternalServerError)
	})
	mux.HandleFunc("/event/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"error":{"message":"`+strings.Repeat("x", 170)+r.Header.Get("Authorization")+`"}}`+"\n\n")
	})
	mux.HandleFunc("/garbage/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "echo "+strings.Repeat("y", 40)+r.Header.Get("Authorization")+"\n\n")
	})
	mux.HandleFunc("/chunk/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {"+strings.Repeat("z", 60)+r.Header.Get("Authorization")+"\n\n")
	})
	mux.HandleFunc("/url/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusForbidden // the query arrived whole, after the path
		if !strings.HasPrefix(r.URL.Query().Get("api_key"), "key-") || strings.Contains(r.URL.RawQuery, "/") {
			status = http.StatusBadRequest
		}
		http.Error(w, "denied "+r.Header.Get("Authorization")+" for "+r.URL.String(), status)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	t.Run("url credentials and query", func(t *testing.T) {
		const pw, key = "pw-Kq9Lm8Nb7Vc6", "key-Hj5Gf4Ds3Aa2"
		u := strings.Replace(srv.URL, "http://", "http://user:"+pw+"@", 1) + "/url/v1/chat/completions?api_key=" + key
		c := newTestClient(t, Target{URL: u, API: APIOpenAIChat, Model: "m", Stream: true, Timeout: 5 * time.Second})
		o := c.do(context.Background(), &Prompt{Text: "q", MaxTokens: 3}, nil)
		basic := base64.StdEncoding.EncodeToString([]byte("user:" + pw))
		if o.status != http.StatusForbidden || strings.Contains(o.msg, pw) || strings.Contains(o.msg, key) || strings.Contains(o.msg, basic) {
			t.Errorf("status %d, message %q", o.status, o.msg)
		}
	})
	for _, path := range []string{"/whole", "/token", "/cut", "/event", "/garbage", "/chunk"} {
		t.Run(path[1:], func(t *testing.T) {
			c := newTestClient(t, Target{URL: srv.URL + path, API: APIOpenAIChat, Model: "m", Stream: true,
				Headers: http.Header{"Authorization": {"Bearer " + token}}, Timeout: 5 * time.Second})
			o := c.do(context.Background(), &Prompt{Text: "q", MaxTokens: 3}, nil)
			if o.class == "" || o.msg == "" {
				t.Fatalf("no error: %+v", o)
			}
			for i := 0; i+6 <= len(token); i++ {
				if strings.Contains(o.msg, token[i:i+6]) {
					t.Fatalf("message %q holds %q of the token", o.msg, token[i:i+6])
				}
			}
		})
	}
}

// TestSSELineDrippedByteByByte: a server that sends a long line one byte
// per read costs linear time, not quadratic (200 KB took 23 s before).
func TestSSELineDrippedByteByByte(t *testing.T) {
	s := "data: " + strings.Repeat("x", 200_000) + "\r\n\r\ndata: [DONE]\r"
	start := time.Now()
	sr := newSSEReader(iotest.OneByteReader(strings.NewReader(s)), DefaultMaxSSELine)
	var got []string
	var err error
	for i := 0; i < 10; i++ {
		var ev []byte
		if ev, err = sr.Next(); err != nil {
			break
		}
		got = append(got, string(ev))
	}
	if err == io.EOF {
		err = nil
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v", took)
	}
	if err != nil || len(got) != 2 || len(got[0]) != 200_000 || got[1] != "[DONE]" {
		t.Errorf("%d events, err %v", len(got), err)
	}
}
