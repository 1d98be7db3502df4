// Package inert is the one place that makes text perfgate did not write
// inert where it is shown: an error body or model name from the target, a
// field of a dataset, a string of the policy, a label of the workflow. A
// pull request controls the policy and may control the target (a preview
// built from a fork), so such text must not format the PR comment, the job
// summary, annotations or JUnit.
//
// Inert means: one line (newlines and other control characters become
// spaces; bidirectional overrides are dropped), at most Max runes, and, on
// GitHub, no mention (@user, @org/team), no issue or pull-request reference
// (#123, GH-123, owner/repo#123), no commit reference, no bare link
// (http://, www.) and, in Markdown, no HTML, no link or image, no emphasis,
// no math, no table cell and no block (heading, list, quote) at its start.
// The references are broken with a zero-width space, so the text still
// reads as it was written.
package inert

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Max is the most runes any function here returns of its input (the "…"
// that marks a cut included), before escaping.
const Max = 1000

// zwsp is the zero-width space that breaks GitHub's references.
const zwsp = "\u200b"

// Line returns s as one line of plain text with GitHub's references
// broken, for annotations, JUnit and outputs: no Markdown escaping, which
// plain text would show.
func Line(s string) string { return unlink(clean(s)) }

// Value returns s as one line of at most Max runes, otherwise unchanged:
// for values a machine reads (a commit SHA, a URL in a JUnit property),
// which breaking references would corrupt. Never render it as Markdown.
func Value(s string) string { return clean(s) }

// Markdown returns s as GitHub-flavoured Markdown that renders as the text
// itself, safe in a paragraph, a list item, a heading or a table cell.
func Markdown(s string) string {
	s = mdEscaper.Replace(clean(s))
	s = unlink(s)
	return escapeBlockStart(escapeEdgeUnderscores(s))
}

// Code returns s for inside a code span (`...`) in a table cell: a
// backtick cannot close the span, a pipe cannot end the cell, and no HTML
// comment can start (a forged comment marker in the raw body). GitHub
// renders nothing inside a code span, so references need no breaking.
func Code(s string) string { return codeEscaper.Replace(clean(s)) }

// clean folds s into one line of at most Max runes: control characters
// become spaces, bidirectional controls and invalid UTF-8 are dropped.
func clean(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			continue
		case r == '\u200e' || r == '\u200f' || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069':
			continue
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			r = ' '
		}
		if n == Max-1 {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

var (
	mdEscaper = strings.NewReplacer(
		"\\", "\\\\", "|", "\\|", "<", "&lt;", ">", "&gt;", "&", "&amp;", "*", "\\*", "`", "\\`",
		"~", "\\~", "$", "\\$", "](", "]\\(",
	)
	codeEscaper = strings.NewReplacer("`", "'", "|", "\\|", "<!--", "<"+zwsp+"!--")

	// mention, issue and commit references and bare links, as GitHub
	// finds them, and an underscore at a word's edge (emphasis).
	mention   = regexp.MustCompile(`@([A-Za-z0-9])`)
	issueRef  = regexp.MustCompile(`#`)
	ghRef     = regexp.MustCompile(`(?i)\b(gh-)([0-9])`)
	scheme    = regexp.MustCompile(`:(//)`)
	www       = regexp.MustCompile(`(?i)\b(www)\.`)
	commitRef = regexp.MustCompile(`\b([0-9a-fA-F]{6})([0-9a-fA-F]+)\b`)
)

// escapeEdgeUnderscores escapes an underscore at the edge of a word, where
// it could open or close emphasis; one inside a word (error_rate) cannot.
func escapeEdgeUnderscores(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	rs := []rune(s)
	word := func(i int) bool {
		return i >= 0 && i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i]))
	}
	var b strings.Builder
	for i, r := range rs {
		if r == '_' && (!word(i-1) || !word(i+1)) {
			b.WriteString(`\_`)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unlink breaks every mention, reference and bare link in s.
func unlink(s string) string {
	s = strings.NewReplacer("](", "]"+zwsp+"(", "<!--", "<"+zwsp+"!--").Replace(s)
	s = mention.ReplaceAllString(s, "@"+zwsp+"$1")
	s = issueRef.ReplaceAllString(s, "#"+zwsp)
	s = ghRef.ReplaceAllString(s, "$1"+zwsp+"$2")
	s = scheme.ReplaceAllString(s, ":"+zwsp+"$1")
	s = www.ReplaceAllString(s, "$1"+zwsp+".")
	return commitRef.ReplaceAllStringFunc(s, func(h string) string {
		// A hex word with a letter and a digit could be a commit.
		if strings.ContainsAny(h, "0123456789") && strings.ContainsAny(strings.ToLower(h), "abcdef") {
			return h[:6] + zwsp + h[6:]
		}
		return h
	})
}

// escapeBlockStart escapes what would start a block at the start of a
// line: a list item ("- ", "+ ", "1. ", "1) ") or a heading underline
// ("==="). A heading ("# ") cannot start: unlink broke every "#".
func escapeBlockStart(s string) string {
	t := strings.TrimLeft(s, " ")
	lead := s[:len(s)-len(t)]
	marker := func(i int) bool { return len(t) == i+1 || t[i+1] == ' ' }
	switch {
	case t == "":
		return s
	case (t[0] == '-' || t[0] == '+') && marker(0), strings.Trim(t, "=") == "":
		return lead + "\\" + t
	}
	if i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && (t[i] == '.' || t[i] == ')') && marker(i) {
		return lead + t[:i] + "\\" + t[i:]
	}
	return s
}
