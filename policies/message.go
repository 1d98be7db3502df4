package policies

import (
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// report turns one group into a plain sentence.
func (c *checker) report(g errGroup) {
	n := c.tree.lookup(g.path)
	if len(g.path) == 0 || g.cat == catOther {
		c.add(g.path, g.pos, "%s", g.generic())
		return
	}
	switch g.cat {
	case catUnknown:
		c.add(g.path, g.pos, "%s", c.unknownMsg(g.path))
	case catMissing:
		parent := g.path[:len(g.path)-1]
		c.add(g.path, c.posOf(parent), "this field is required; expected %s", describe(n))
	case catIncomplete:
		if n == nil {
			c.add(g.path, g.pos, "expected a concrete value, found %s", c.found(g.path))
			return
		}
		c.add(g.path, g.pos, "expected a concrete value (%s), found %s", describe(n), c.found(g.path))
	default:
		if n == nil {
			c.add(g.path, g.pos, "%s", g.generic())
			return
		}
		c.add(g.path, g.pos, "expected %s, found %s%s", describe(n), c.found(g.path), c.suggestValue(g.path, n))
	}
}

func (c *checker) unknownMsg(path []string) string {
	if len(path) == 0 {
		return "unknown field"
	}
	name := path[len(path)-1]
	parent := c.tree.lookup(path[:len(path)-1])
	if parent == nil || parent.kind != structNode {
		return fmt.Sprintf("unknown field %q", name)
	}
	if parent.isMap() && parent.field(name) == nil {
		if parent.key == "#MetricRef" {
			msg := fmt.Sprintf("unknown metric %q; expected %s", name, defPhrases["#MetricRef"])
			if _, err := ParseMetricRef(name); err != nil && knownMetricPrefix(name) {
				msg = err.Error() // it says what is wrong after the metric's name
			}
			return msg + didYouMean(name, metricRefNames())
		}
		return fmt.Sprintf("%q is not a valid name here; expected %s", name, describeKey(parent.key))
	}
	valid := parent.fieldNames(c.allowedIn(path[:len(path)-1]))
	if f := parent.field(name); f != nil && !f.always {
		return fmt.Sprintf("field %q is not allowed here: it applies only when %s; expected one of %s", name,
			joinWords(f.conds, "or"), joinWords(valid, "or"))
	}
	return fmt.Sprintf("unknown field %q; expected one of %s", name, joinWords(valid, "or")) +
		didYouMean(name, parent.fieldNames(nil))
}

// knownMetricPrefix reports whether ref starts with a metric of the catalog
// or with "server.", so that ParseMetricRef can say more than that the
// metric is unknown.
func knownMetricPrefix(ref string) bool {
	if strings.HasPrefix(ref, "server.") || strings.HasPrefix(ref, "step.") || strings.HasPrefix(ref, "journey.") {
		return true
	}
	name, _, _ := strings.Cut(ref, ".")
	_, known := LookupMetric(name)
	return known
}

// didYouMean returns "; did you mean X?" when a candidate is close to s.
func didYouMean(s string, candidates []string) string {
	if hint := closest(s, candidates); hint != "" {
		return fmt.Sprintf("; did you mean %q?", hint)
	}
	return ""
}

// suggestValue proposes the nearest allowed string for a wrong one, as
// "; did you mean X?", or returns "".
func (c *checker) suggestValue(path []string, n *node) string {
	s, err := c.lookupUser(path).String()
	if err != nil {
		return ""
	}
	if n.def == "#MetricRef" {
		return didYouMean(s, metricRefNames())
	}
	if n.kind != leafNode {
		return ""
	}
	var opts []string
	for _, a := range disjuncts(n.expr) {
		if l, ok := a.(*ast.BasicLit); ok && l.Kind == token.STRING {
			if u, err := strconv.Unquote(l.Value); err == nil {
				opts = append(opts, u)
			}
		}
	}
	return didYouMean(s, opts)
}

// found says what the user wrote at path, briefly.
func (c *checker) found(path []string) string {
	v := c.lookupUser(path)
	if !v.Exists() {
		return "nothing"
	}
	switch v.IncompleteKind() {
	case cue.StructKind:
		return "a struct"
	case cue.ListKind:
		return "a list"
	}
	if !v.IsConcrete() {
		return "an incomplete value"
	}
	s := fmt.Sprint(v)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// formatPath writes a policy path the way a policy would: scenarios.steady.rate,
// slos."ttft.p95", regression.gate[0].
func (c *checker) formatPath(path []string) string {
	var b strings.Builder
	for i, sel := range c.selectors(path) {
		p := path[i]
		switch {
		case sel.Type() == cue.IndexLabel:
			b.WriteString("[" + p + "]")
		case ast.IsValidIdent(p):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(strconv.Quote(p))
		}
	}
	return b.String()
}
