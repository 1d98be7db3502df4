// Package errmsg shortens the error message of a failed request for a
// headline: the server's own message out of a JSON error body, on one line,
// truncated. The target's answers are untrusted input: the result holds no
// control characters and is bounded in length.
package errmsg

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Max is the longest message Short returns, in bytes.
const Max = 200

// Short shortens an error message for a headline: when it is an
// HTTP status followed by a JSON error body ("404 Not Found: {...}"), the
// server's own message replaces the body (OpenAI's error.message, vLLM's
// and FastAPI's message or detail); control characters and runs of
// white space become one space; the result is at most 200 bytes. The
// message was already scrubbed of secrets by the client.
func Short(msg string) string {
	if i := strings.Index(msg, ": {"); i >= 0 {
		if m := jsonErrorMessage(msg[i+2:]); m != "" {
			msg = msg[:i] + ": " + m
		}
	}
	msg = strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	return Truncate(msg, Max)
}

// jsonErrorMessage returns the message of a JSON error body, "" when body
// is not one.
func jsonErrorMessage(body string) string {
	var v map[string]any
	if json.Unmarshal([]byte(strings.TrimSpace(body)), &v) != nil {
		// A body cut at the client's snippet limit is not valid JSON:
		// look for the message field by hand.
		return quotedField(body, `"message":`)
	}
	if e, ok := v["error"].(map[string]any); ok {
		v = e
	}
	for _, k := range []string{"message", "detail", "error"} {
		if s, ok := v[k].(string); ok && strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// quotedField returns the JSON string after key in s, "" when there is none.
func quotedField(s, key string) string {
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(s[i+len(key):], " ")
	if !strings.HasPrefix(rest, `"`) {
		return ""
	}
	var out string
	dec := json.NewDecoder(strings.NewReader(rest))
	if dec.Decode(&out) != nil {
		// Unterminated: keep what there is.
		return strings.TrimPrefix(rest, `"`)
	}
	return out
}

// Truncate cuts s to at most n bytes on a rune boundary, marking the cut
// with "...".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
