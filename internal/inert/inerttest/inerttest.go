// Package inerttest holds a hostile text for the tests of every renderer
// that shows text perfgate did not write, and what must not survive of it.
package inerttest

import "strings"

// Hostile is text from a hostile target, dataset or policy: a mention, issue
// references, links, an image, HTML, backticks, pipes, a closing
// </details>, newlines, block starts and a forged comment marker.
const Hostile = "- @octocat @acme/admins see #123, acme/chat#9 and GH-77 " +
	"https://evil.example/x www.evil.example [click](https://evil.example) ![img](https://evil.example/i.png) " +
	"<img src=x onerror=alert(1)> <b>bold</b> `code` | a | b | </details></summary> " +
	"<!-- perfgate:policy=victim --> **strong** _em_ ~~gone~~ $x^2$ &#64;octocat deadbeef1234\n" +
	"# heading\n- item\n> quote\u202e"

// Forbidden returns what of a hostile text survives in out: each piece of
// Hostile that would format, mention, reference or link on GitHub. Markdown
// output is also checked for HTML, emphasis, code and table breaks.
func Forbidden(out string, markdown bool) []string {
	pieces := []string{"@octocat", "@acme", "#123", "#9", "GH-77", "://evil", "www.evil", "](https://evil", "[click](", "![img](", "\u202e",
		"<!-- perfgate:policy=victim", "perfgate:policy=victim -->\n"}
	if markdown {
		pieces = append(pieces, "<img", "<b>", "</details></summary>", "`code`", "| a | b |", "**strong**", " _em_", "~~gone~~",
			"$x^2$", "&#64;", "\n# heading", "\n- item", "\n> quote")
	}
	var found []string
	for _, p := range pieces {
		if strings.Contains(out, p) {
			found = append(found, p)
		}
	}
	return found
}
