package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestMessagesDropURLQueries: a URL shown in a message keeps neither its
// user information nor its query, where API keys travel: the Location of
// a redirect, a failing metrics endpoint, an unparsable target URL.
func TestMessagesDropURLQueries(t *testing.T) {
	const key = "k-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://user:pw@elsewhere.example/x?api_key="+key, http.StatusFound)
	}))
	defer srv.Close()
	leaks := func(msg string) bool {
		return strings.Contains(msg, key) || strings.Contains(msg, "api_key") || strings.Contains(msg, "pw@")
	}
	c := newTestClient(t, httpTarget(srv.URL))
	o := c.do(context.Background(), &Prompt{Vars: map[string]string{"prompt": "q"}}, nil)
	if o.class != ErrCheck || !strings.Contains(o.msg, "a redirect to https://elsewhere.example/x,") || leaks(o.msg) {
		t.Errorf("redirect: class %q, msg %q", o.class, o.msg)
	}
	s := scrapeOnce(context.Background(), c, srv.URL+"/metrics?api_key="+key, DefaultSeries, time.Second)
	if !strings.Contains(s.err, "/metrics: 302") || leaks(s.err) {
		t.Errorf("scrape: %q", s.err)
	}
	_, err := prepareClient(Target{URL: "ftp://user:pw@host/x?api_key=" + key, API: APIHTTP}, 1)
	if err == nil || leaks(err.Error()) {
		t.Errorf("unusable target URL: %v", err)
	}
}
