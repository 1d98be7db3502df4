package report

import (
	"html"
	"regexp"
	"strings"
)

var (
	mdTags     = regexp.MustCompile(`</?(sub|summary|details)>`)
	mdComment  = regexp.MustCompile(`<!--.*?-->`)
	mdEscapes  = regexp.MustCompile(`\\([\\|*\x60\]\[(])`)
	mdTableSep = regexp.MustCompile(`^\|( *:?-+:? *\|)+$`)
)

// Terminal renders a comment made by Markdown for a terminal: no HTML
// tags, comments or entities ("&gt;" is ">"), no emphasis or code marks,
// no chart source (the chart needs a Markdown viewer), and tables with
// aligned columns. The text stays the comment's, word for word.
func Terminal(md string) string {
	var out, table []string
	flush := func() {
		if len(table) > 0 {
			out = append(out, alignTable(table)...)
			table = nil
		}
	}
	inChart := false
	for _, l := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(l, "```mermaid"):
			inChart = true
			continue
		case inChart:
			inChart = l != "```"
			continue
		case mdTableSep.MatchString(l):
			continue
		}
		l = mdComment.ReplaceAllString(l, "")
		l = mdTags.ReplaceAllString(l, " ")
		l = strings.NewReplacer("**", "", "`", "", "\\`", "`").Replace(mdEscapes.ReplaceAllString(l, "\x00$1"))
		l = html.UnescapeString(strings.ReplaceAll(strings.TrimSpace(l), "\x00", ""))
		if strings.HasPrefix(l, "|") && strings.HasSuffix(l, "|") {
			table = append(table, l)
			continue
		}
		flush()
		if l == "" && len(out) > 0 && out[len(out)-1] == "" {
			continue
		}
		out = append(out, l)
	}
	flush()
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

// alignTable prints Markdown table rows as columns two spaces apart.
func alignTable(rows []string) []string {
	var cells [][]string
	var width []int
	for _, r := range rows {
		cs := strings.Split(strings.Trim(r, "|"), " | ")
		for i := range cs {
			cs[i] = strings.TrimSpace(cs[i])
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len([]rune(cs[i])))
		}
		cells = append(cells, cs)
	}
	out := make([]string, len(cells))
	for i, cs := range cells {
		var b strings.Builder
		for j, c := range cs {
			b.WriteString(c + strings.Repeat(" ", width[j]-len([]rune(c))+2))
		}
		out[i] = "  " + strings.TrimRight(b.String(), " ")
	}
	return out
}
