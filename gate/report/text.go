package report

import (
	"strings"
	"unicode/utf8"
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

var mdEscaper = strings.NewReplacer(
	"\\", "\\\\", "|", "\\|", "<", "&lt;", ">", "&gt;", "*", "\\*", "`", "\\`",
	"](", "]\\(", "\n", " ", "\r", " ",
)

// mdText escapes text from the inputs so it renders literally and cannot
// open HTML, inline links, emphasis or table cells. Brackets are left alone
// unless they would form a link: the comment defines no link references.
func mdText(s string) string { return mdEscaper.Replace(s) }

var codeEscaper = strings.NewReplacer("`", "'", "|", "\\|", "\n", " ", "\r", " ")

// codeText makes s safe inside a code span in a table cell.
func codeText(s string) string { return codeEscaper.Replace(s) }

var chartEscaper = strings.NewReplacer("\"", "'", "\n", " ", "\r", " ", "[", "(", "]", ")", "`", "'")

// chartText makes s safe inside a quoted Mermaid string.
func chartText(s string) string { return chartEscaper.Replace(s) }

// firstN returns the first n elements of s and how many it leaves out.
func firstN[T any](s []T, n int) (first []T, more int) {
	if len(s) <= n {
		return s, 0
	}
	return s[:n], len(s) - n
}
