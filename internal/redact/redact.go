// Package redact is the one place that decides what of a URL may appear in
// a message, a log line or a report: never the user information and never
// the query, where API keys travel.
package redact

import "net/url"

// URL returns s without user information and query; "" stays "", and a
// string that does not parse as a URL becomes "(unparsable URL)", since it
// could still hold a secret.
func URL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return Parsed(u)
}

// Parsed is URL for a parsed URL; nil gives "". u is not modified.
func Parsed(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User, c.RawQuery, c.ForceQuery = nil, "", false
	return c.String()
}
