// Package ghclient builds the go-github client perfgate talks to GitHub
// with (New) and is the one place that retries transient HTTP errors
// (RetryTransport): rate limits, and server errors of requests that may be
// replayed. Callers above it retry only what only they can judge, such as
// an optimistic-lock conflict on a blob SHA.
package ghclient

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

	"github.com/perfgate/perfgate/internal/redact"
)

// Defaults of RetryTransport.
const (
	DefaultRetries = 3
	DefaultMaxWait = 2 * time.Minute
	// secondaryWait is GitHub's advice when a secondary rate limit gives no
	// Retry-After: wait at least a minute.
	secondaryWait = time.Minute
	// serverErrorWait is the first wait after a server error; it doubles
	// with every retry of the same request.
	serverErrorWait = time.Second
)

// RetryTransport retries requests that GitHub answered with a transient
// error, and nothing else:
//
//   - a rate limit: a 403 or 429 with Retry-After (secondary rate limits),
//     with x-ratelimit-remaining 0 and x-ratelimit-reset (primary), or whose
//     body names a secondary rate limit (then it waits a minute). GitHub did
//     not act on such a request, so any method is replayed.
//   - a server error (500, 502, 503, 504) of an idempotent method (GET,
//     HEAD, OPTIONS, PUT, DELETE), after 1 s, 2 s, 4 s, ... (or the
//     Retry-After it names). A POST or PATCH may have taken effect before
//     the error (a second comment), so it is not replayed. GitHub's contents
//     API makes a replayed PUT or DELETE safe to judge: a create that had
//     landed answers 422, an update 409 (the blob SHA moved), a delete 404.
//
// It waits as told, at most MaxWait per wait and Retries times per request;
// beyond that it returns GitHub's response, so the caller sees the error.
// Other 403s, such as a read-only token, pass through at once.
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
				return nil, fmt.Errorf("%s %s: cannot retry: the request body cannot be replayed", req.Method, redact.Parsed(req.URL))
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
		wait, why := t.retryWait(req, resp, attempt)
		if why == "" || wait > maxWait {
			return resp, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if t.Log != nil {
			t.Log(fmt.Sprintf("GitHub %s on %s %s: retrying in %s", why, req.Method, redact.Parsed(req.URL), wait))
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

// retryWait says why resp is worth retrying ("" when it is not) and how
// long to wait first; attempt counts the retries already made. The body is
// restored for the caller.
func (t *RetryTransport) retryWait(req *http.Request, resp *http.Response, attempt int) (time.Duration, string) {
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if !idempotent(req.Method) {
			return 0, ""
		}
		if d, ok := t.retryAfter(resp); ok {
			return d, "server error " + strconv.Itoa(resp.StatusCode)
		}
		return serverErrorWait << min(attempt, 16), "server error " + strconv.Itoa(resp.StatusCode)
	case http.StatusForbidden, http.StatusTooManyRequests:
	default:
		return 0, ""
	}
	if d, ok := t.retryAfter(resp); ok {
		return d, "rate limit"
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return max(0, time.Unix(s, 0).Sub(t.now())) + time.Second, "rate limit"
		}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err == nil && strings.Contains(strings.ToLower(string(data)), "secondary rate limit") {
		return secondaryWait, "rate limit"
	}
	return 0, ""
}

// retryAfter reads the Retry-After header: seconds or an HTTP date.
func (t *RetryTransport) retryAfter(resp *http.Response) (time.Duration, bool) {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(0, at.Sub(t.now())), true
	}
	return 0, false
}

// idempotent reports whether HTTP defines method as idempotent (RFC 9110,
// section 9.2.2): sending it twice has the effect of sending it once.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func (t *RetryTransport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// New returns a go-github client for the REST API at apiURL
// (GITHUB_API_URL; "" means https://api.github.com/, a GitHub Enterprise
// Server URL such as https://ghe.example.com/api/v3 works as is) that
// authenticates with token when it is not empty and retries transient
// errors through rt (nil: a RetryTransport with the defaults).
func New(apiURL, token string, rt *RetryTransport) (*github.Client, error) {
	if rt == nil {
		rt = &RetryTransport{}
	}
	c := github.NewClient(&http.Client{Transport: rt})
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL", redact.URL(apiURL))
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
