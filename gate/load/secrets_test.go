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

func TestSecretsOnlyToTheTargetsOrigin(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8000", "http://127.0.0.1:8000/api/", "http://u:pw@127.0.0.1:8000", "http://127.0.0.1:8000?key=k"} {
		c, err := prepareClient(Target{URL: base, API: APIOpenAIChat, Model: "m"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		for u, want := range map[string]bool{
			"http://127.0.0.1:8000/v1/chat/completions":  true,
			"HTTP://127.0.0.1:8000/metrics":              true,
			"http://127.0.0.1:8001/metrics":              false,
			"https://127.0.0.1:8000/metrics":             false,
			"http://127.0.0.1:8000@evil.example/x":       false,
			"http://evil.example/http://127.0.0.1:8000/": false,
			"/metrics": false,
			"::":       false,
		} {
			if got := c.sendsSecrets(u); got != want {
				t.Errorf("target %s: sendsSecrets(%q) = %v, want %v", base, u, got, want)
			}
		}
	}
}
