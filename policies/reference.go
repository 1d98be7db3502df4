package policies

import (
	"fmt"

	"cuelang.org/go/cue/ast"
	"slices"
	"strings"
)

// Reference returns the policy reference in Markdown, generated from the
// embedded schema: every field with what it expects, its default and its
// doc comment, then the metric catalog. The README embeds it, and a test
// keeps that copy current.
func Reference() string {
	var b strings.Builder
	b.WriteString("| field | expects | default | meaning |\n| --- | --- | --- | --- |\n")
	writeFields(&b, schema().tree, "")
	b.WriteString("\nMetrics, for `slos` keys and `regression.gate` (schema version `" + MetricDefsVersion + "`):\n\n")
	b.WriteString("| metric | unit | better | written as | needs | definition |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, m := range schema().catalog {
		ref := "`" + m.Name + "`"
		if m.Stats == "percentiles" {
			ref = "`" + m.Name + ".STAT`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", m.Name, m.Unit, m.Better, ref, m.Needs, m.Doc)
	}
	fmt.Fprintf(&b, "| server series | its unit | lower | `server.NAME.max`, `server.NAME.mean` | target.metrics | a series of `target.metrics.series` |\n")
	fmt.Fprintf(&b, "\nSTAT is one of %s. Limits carry a unit: times (`ns` `us` `ms` `s` `m` `h`), `%%` for ratios, `req/s`, `tok/s`, sizes (`B` `kB` `MB` `GB` `KiB` `MiB` `GiB`).\n",
		"`"+strings.Join(Stats, "` `")+"`")
	return b.String()
}

func writeFields(b *strings.Builder, n *node, prefix string) {
	if n.kind == leafNode && len(n.alts) > 0 {
		return // a scalar or a small struct, described as a whole (#Length)
	}
	switch {
	case n.kind == listNode:
		writeFields(b, n.elem, prefix+"[]")
		return
	case n.kind != structNode:
		return
	}
	for _, f := range n.fields {
		path := join(prefix, f.name)
		writeField(b, path, f)
		if f.node.kind != leafNode && f.node.def != "#EnvValue" {
			writeFields(b, f.node, path)
		}
	}
	if n.elem != nil && n.elem.kind != leafNode && n.elem.def != "#EnvValue" {
		writeFields(b, n.elem, join(prefix, keyPlaceholder(n.key)))
	}
}

func writeField(b *strings.Builder, path string, f *field) {
	var notes []string
	_, fixed := f.node.expr.(*ast.BasicLit)
	switch {
	case fixed:
		notes = append(notes, "fixed")
	case slices.Contains(f.reqConds, ""):
		notes = append(notes, "**required**")
	case len(f.reqConds) > 0:
		notes = append(notes, "**required** when "+joinWords(quoteEach(f.reqConds), "or"))
	}
	if len(f.conds) > 0 {
		notes = append(notes, "only when "+joinWords(quoteEach(f.conds), "or"))
	}
	doc := f.doc
	if len(notes) > 0 {
		doc = strings.Join(notes, "; ") + ". " + doc
	}
	var dflts []string
	values := map[string]bool{}
	for _, d := range f.defaults {
		values[d.value] = true
	}
	for _, d := range f.defaults {
		if !strings.HasPrefix(d.value, "\"") && !strings.HasPrefix(d.value, "[") && !isNumberOrBool(d.value) {
			continue // a default computed from elsewhere, such as a scenario's name
		}
		v := "`" + d.value + "`"
		if len(values) > 1 && d.cond != "" {
			v += " when `" + d.cond + "`"
		} else if len(dflts) > 0 {
			continue
		}
		dflts = append(dflts, v)
	}
	fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", path, escapeCell(describe(f.node)), strings.Join(dflts, "; "), escapeCell(doc))
}

func quoteEach(conds []string) []string {
	out := make([]string, len(conds))
	for i, c := range conds {
		out[i] = "`" + c + "`"
	}
	return out
}

func keyPlaceholder(key string) string {
	switch key {
	case "#MetricRef":
		return "METRIC"
	case "#HeaderName":
		return "HEADER"
	}
	return "NAME"
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func isNumberOrBool(s string) bool {
	if s == "true" || s == "false" {
		return true
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return s != ""
}

func escapeCell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}
