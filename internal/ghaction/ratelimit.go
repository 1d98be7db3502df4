package ghaction

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// Defaults of RetryTransport.
const (
	DefaultRetries = 3
	DefaultMaxWait = 2 * time.Minute
	// secondaryWait is GitHub's advice when a secondary rate limit gives no
	// Retry-After: wait at least a minute.
	secondaryWait = time.Minute
)

// RetryTransport retries requests that hit a GitHub rate limit: a 403 or
// 429 with Retry-After (secondary rate limits), with x-ratelimit-remaining
// 0 and x-ratelimit-reset (primary), or whose body names a secondary rate
// limit (then it waits a minute). It waits as told, at most MaxWait per
// wait and Retries times per request; beyond that it returns GitHub's
// response, so the caller sees the rate-limit error. Other 403s, such as a
// read-only token, pass through at once.
//
// Retrying here, below go-github, matters: go-github remembers a secondary
// rate limit and refuses further requests until it ends, so a retry above
// it could not reach the network.
type RetryTransport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Retries is how many times one request is retried (DefaultRetries
	// when 0; negative disables retries).
	Retries int
	// MaxWait bounds one wait (DefaultMaxWait when 0).
	MaxWait time.Duration
	// Sleep waits d or until ctx ends; nil sleeps on a timer. Tests inject
	// a recorder so that nothing really waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now returns the current time, for x-ratelimit-reset; nil is
	// time.Now.
	Now func() time.Time
	// Log, when set, is told about every wait.
	Log func(msg string)
}

// RoundTrip implements http.RoundTripper.
func (t *RetryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	retries := t.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	maxWait := t.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			if req.Body != nil && req.GetBody == nil {
				return nil, fmt.Errorf("%s %s: rate limited and the request body cannot be replayed", req.Method, redact(req.URL))
			}
			r = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := base.RoundTrip(r)
		if err != nil || attempt >= retries {
			return resp, err
		}
		wait, limited := t.rateLimitWait(resp)
		if !limited || wait > maxWait {
			return resp, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if t.Log != nil {
			t.Log(fmt.Sprintf("GitHub rate limit on %s %s: retrying in %s", req.Method, redact(req.URL), wait))
		}
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

func (t *RetryTransport) sleep(ctx context.Context, d time.Duration) error {
	if t.Sleep != nil {
		return t.Sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// rateLimitWait says whether resp is a rate-limit answer and how long to
// wait before retrying. The body is restored for the caller.
func (t *RetryTransport) rateLimitWait(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(0, at.Sub(t.now())), true
		}
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return max(0, time.Unix(s, 0).Sub(t.now())) + time.Second, true
		}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err == nil && strings.Contains(strings.ToLower(string(data)), "secondary rate limit") {
		return secondaryWait, true
	}
	return 0, false
}

func (t *RetryTransport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// redact drops the query of a URL, which could hold a secret.
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery, c.User = "", nil
	return c.String()
}

// NewClient returns a go-github client for the REST API at apiURL
// (GITHUB_API_URL; "" means https://api.github.com/, a GitHub Enterprise
// Server URL such as https://ghe.example.com/api/v3 works as is) that
// authenticates with token when it is not empty and retries rate-limited
// requests through rt (nil: a RetryTransport with the defaults).
func NewClient(apiURL, token string, rt *RetryTransport) (*github.Client, error) {
	if rt == nil {
		rt = &RetryTransport{}
	}
	c := github.NewClient(&http.Client{Transport: rt})
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL", apiURL)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.BaseURL, c.UploadURL = u, u
	}
	if token != "" {
		c = c.WithAuthToken(token)
	}
	return c, nil
}
