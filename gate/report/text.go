package report

import (
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/internal/inert"
)

// shortSHA shortens a full commit hash to 7 characters.
func shortSHA(s string) string {
	if len(s) == 40 && strings.Trim(strings.ToLower(s), "0123456789abcdef") == "" {
		return s[:7]
	}
	return clip(s, maxNameChars)
}

// clip shortens s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// mdText makes text from the inputs (the target, a dataset, the policy,
// the workflow) inert Markdown: it renders literally and cannot mention,
// reference, link, open HTML, emphasise or break a table cell
// (inert.Markdown).
func mdText(s string) string { return inert.Markdown(s) }

// codeText makes s safe inside a code span in a table cell (inert.Code).
func codeText(s string) string { return inert.Code(s) }

var chartEscaper = strings.NewReplacer("\"", "'", "\n", " ", "\r", " ", "[", "(", "]", ")", "`", "'")

// chartText makes s safe inside a quoted Mermaid string.
func chartText(s string) string { return chartEscaper.Replace(inert.Line(s)) }

// firstN returns the first n elements of s and how many it leaves out.
func firstN[T any](s []T, n int) (first []T, more int) {
	if len(s) <= n {
		return s, 0
	}
	return s[:n], len(s) - n
}
