package load

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// targetSecrets returns what of t must never appear in a message, the
// longest first so that a whole value is replaced before its words: the
// header values (and their long words), a password in the URL (and the
// Basic authorization header it travels as), and long query values, which
// often carry API keys. A server may echo any of them.
func targetSecrets(t Target, u *url.URL) []string {
	var out []string
	headers := []http.Header{t.Headers}
	for _, s := range t.HTTP {
		headers = append(headers, s.Header)
	}
	for _, h := range headers {
		for _, vs := range h {
			for _, v := range vs {
				out = append(out, secretParts(v)...)
			}
		}
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && len(pw) >= 4 {
			out = append(out, pw, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if len(v) >= 8 {
				out = append(out, v)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// SameOrigin reports whether the URLs a and b have the same scheme, host
// and port (compared without case): the target's headers, which hold
// secrets, go only to its own origin. A URL that does not parse has no
// origin.
func SameOrigin(a, b string) bool {
	oa, ob := originOf(a), originOf(b)
	return oa != "" && oa == ob
}

// originOf returns "scheme://host:port" of s in lower case, "" when s is not
// an absolute URL.
func originOf(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// sendsSecrets reports whether a request to u may carry the target's
// headers: only a request to the origin of the target's URL, where the
// invoker sent the gate. A metrics endpoint elsewhere is scraped without
// them. The prefix test spares the request path a parse.
func (c *client) sendsSecrets(u string) bool {
	if c.prefix != "" && strings.HasPrefix(u, c.prefix) {
		return true
	}
	return SameOrigin(u, c.t.URL)
}

// secretParts returns what of a header value must never appear in a
// message: the value itself (4 bytes or more) and each of its words of 8
// bytes or more, since a server may echo only the token of
// "Bearer <token>".
func secretParts(v string) []string {
	var out []string
	if len(v) >= 4 {
		out = append(out, v)
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == ';' }) {
		if len(f) >= 8 && f != v {
			out = append(out, f)
		}
	}
	return out
}

// scrub removes secret header values from a message, including the start
// of one left at the end of a message that was cut in the middle of it (a
// body snippet, or text truncated with "...").
func (c *client) scrub(s string) string {
	for _, v := range c.secrets {
		s = strings.ReplaceAll(s, v, "***")
	}
	return maskCut(s, c.secrets)
}

// minCut is the shortest start of a secret that maskCut masks.
const minCut = 4

// maskCut masks the longest start (minCut bytes or more) of any secret that
// ends the message, before a closing `..."`, `...` or `"`.
func maskCut(s string, secrets []string) string {
	end := len(s)
	for _, suffix := range []string{`..."`, `...`, `"`} {
		if strings.HasSuffix(s, suffix) {
			end -= len(suffix)
			break
		}
	}
	head := s[:end]
	best := 0
	for _, v := range secrets {
		for k := min(len(v)-1, len(head)); k >= minCut && k > best; k-- {
			if strings.HasSuffix(head, v[:k]) {
				best = k
				break
			}
		}
	}
	if best == 0 {
		return s
	}
	return head[:end-best] + "***" + s[end:]
}
