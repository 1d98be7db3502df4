package redact

import (
	"net/url"
	"testing"
)

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                        "",
		"https://user:pw@example.com/v1?key=abc":  "https://example.com/v1",
		"http://127.0.0.1:8000/health":            "http://127.0.0.1:8000/health",
		"https://example.com/x?":                  "https://example.com/x",
		"https://example.com/a#frag":              "https://example.com/a#frag",
		"http://[::1]:%zz/":                       "(unparsable URL)",
		"https://tok@api.example.com/path?q=1&r=": "https://api.example.com/path",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
	u, _ := url.Parse("https://u:p@h/x?k=v")
	if got := Parsed(u); got != "https://h/x" {
		t.Errorf("Parsed = %q", got)
	}
	if u.User == nil || u.RawQuery == "" {
		t.Error("Parsed modified its argument")
	}
	if Parsed(nil) != "" {
		t.Error("Parsed(nil) != \"\"")
	}
}
