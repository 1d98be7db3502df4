package policies

import (
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// checker collects the errors of one policy.
type checker struct {
	filename string
	tree     *node
	// user is the policy as written (no schema): positions come from it.
	user cue.Value
	// unified is the policy unified with the schema, defaults included.
	unified cue.Value
	errs    Errors
	seen    map[string]bool
	// replaced are the paths whose values were found wrong and replaced by
	// "_" for the next pass; errors at or below them are consequences.
	replaced [][]string
}

type errCategory int

const (
	catMismatch   errCategory = iota // a value of the wrong type or out of range
	catUnknown                       // a field the schema does not have
	catMissing                       // a required field not given
	catIncomplete                    // a value that is not concrete
)

type errGroup struct {
	cat  errCategory
	path []string
	pos  token.Pos // in the user's file, when CUE gave one
	msgs []string
}

// maxPasses bounds the validation passes. CUE reports errors in tiers (a
// field not allowed is not reported while a value conflicts), so each pass
// removes what it reported and validates again, until nothing new appears.
const maxPasses = 6

// validate checks the user's syntax against #Policy. It returns the unified
// value when the policy is valid, and the user's value for positions.
func (c *checker) validate(s *compiled, f *ast.File) (cue.Value, cue.Value) {
	c.seen = map[string]bool{}
	for pass := 0; pass < maxPasses; pass++ {
		user := s.ctx.BuildFile(f)
		if err := user.Err(); err != nil {
			c.addCUEErrors(err)
			return cue.Value{}, user
		}
		v := s.policy.Unify(user)
		if pass == 0 {
			c.user, c.unified = user, v
			if unknown := c.walk(c.tree, nil, f); len(unknown) > 0 {
				for _, p := range unknown {
					editSyntax(f.Decls, p, true, &f.Decls)
				}
				user = s.ctx.BuildFile(f)
				v = s.policy.Unify(user)
			}
		}
		err := v.Validate(cue.Concrete(true))
		if err == nil {
			return v, c.user
		}
		edited, found := false, false
		groups := c.group(err)
		for _, g := range groups {
			key := fmt.Sprint(g.cat, g.path)
			if c.seen[key] || c.isConsequence(g) || hasDeeper(g, groups) {
				continue
			}
			c.seen[key] = true
			found = true
			c.report(g)
			switch g.cat {
			case catUnknown:
				edited = editSyntax(f.Decls, g.path, true, &f.Decls) || edited
			case catMismatch, catIncomplete:
				c.replaced = append(c.replaced, g.path)
				edited = editSyntax(f.Decls, g.path, false, &f.Decls) || edited
			}
		}
		if !found || !edited {
			break
		}
	}
	if len(c.errs) == 0 {
		// Unreachable unless the passes ran out: say so rather than accept.
		c.add(nil, token.NoPos, "the policy could not be validated; simplify it and try again")
	}
	return cue.Value{}, c.user
}

// isConsequence reports whether g only follows from a value an earlier pass
// replaced by "_".
func (c *checker) isConsequence(g errGroup) bool {
	for _, r := range c.replaced {
		if hasPrefix(g.path, r) {
			return true
		}
	}
	return false
}

// hasDeeper reports whether g is a mismatch of a struct or list in which
// another group points at the actual culprit (a disjunction such as
// "*[defaults] | [...#MetricRef]" fails as a whole and element by element).
func hasDeeper(g errGroup, groups []errGroup) bool {
	if g.cat != catMismatch {
		return false
	}
	for _, h := range groups {
		if len(h.path) > len(g.path) && hasPrefix(h.path, g.path) {
			return true
		}
	}
	return false
}

func hasPrefix(p, prefix []string) bool {
	if len(prefix) > len(p) {
		return false
	}
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}

// group turns CUE's errors into one group per path and kind of problem.
func (c *checker) group(err error) []errGroup {
	var out []errGroup
	index := map[string]int{}
	for _, e := range cueerrors.Errors(err) {
		path := unquotePath(e.Path())
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		cat := catMismatch
		switch {
		case strings.HasSuffix(msg, "errors in empty disjunction:"):
			continue
		case msg == "field not allowed":
			cat = catUnknown
		case strings.HasPrefix(msg, "required field missing: "):
			cat = catMissing
			path = append(path, strings.TrimPrefix(msg, "required field missing: "))
		case strings.HasPrefix(msg, "field is required but not present"):
			cat = catMissing
		case strings.Contains(msg, "incomplete value") || strings.Contains(msg, "non-concrete value"):
			cat = catIncomplete
		}
		key := fmt.Sprint(cat, path)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, errGroup{cat: cat, path: path})
		}
		g := &out[i]
		g.msgs = append(g.msgs, msg)
		if !g.pos.IsValid() {
			for _, p := range cueerrors.Positions(e) {
				if p.Filename() == c.filename {
					g.pos = p
					break
				}
			}
		}
	}
	return out
}

func unquotePath(p []string) []string {
	out := make([]string, 0, len(p))
	for i, s := range p {
		if i == 0 && s == "#Policy" {
			continue
		}
		if u, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
			s = u
		}
		out = append(out, s)
	}
	return out
}

// report turns one group into a plain sentence.
func (c *checker) report(g errGroup) {
	n := c.tree.lookup(g.path)
	if len(g.path) == 0 {
		c.add(nil, g.pos, "%s", strings.Join(g.msgs, "; "))
		return
	}
	switch g.cat {
	case catUnknown:
		c.add(g.path, g.pos, "%s", c.unknownMsg(g.path))
	case catMissing:
		parent := g.path[:len(g.path)-1]
		c.add(g.path, c.posOf(parent), "this field is required; expected %s", describe(n))
	case catIncomplete:
		if !c.lookupUser(g.path).Exists() {
			c.add(g.path, c.posOf(g.path[:len(g.path)-1]), "this field is required; expected %s", describe(n))
			return
		}
		c.add(g.path, g.pos, "expected a concrete value (%s), found %s", describe(n), c.found(g.path))
	default:
		if n == nil {
			c.add(g.path, g.pos, "%s", strings.Join(g.msgs, "; "))
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
			if _, err := ParseMetricRef(name); err != nil && !strings.HasPrefix(err.Error(), "unknown metric") {
				msg = err.Error()
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

// didYouMean returns "; did you mean X?" when a candidate is close to s.
func didYouMean(s string, candidates []string) string {
	if hint := closest(s, candidates); hint != "" {
		return fmt.Sprintf("; did you mean %q?", hint)
	}
	return ""
}

// condEval evaluates the simple conditions of the schema's conditional
// blocks (kind == "steady", api != "http") in the struct at path. known is
// false when the condition's subject is not set or not understood.
func (c *checker) condEval(path []string) func(cond string) (holds, known bool) {
	return func(cond string) (bool, bool) {
		x, err := parser.ParseExpr("cond", cond)
		if err != nil {
			return false, false
		}
		b, ok := x.(*ast.BinaryExpr)
		if !ok {
			return false, false
		}
		id, ok1 := b.X.(*ast.Ident)
		lit, ok2 := b.Y.(*ast.BasicLit)
		if !ok1 || !ok2 {
			return false, false
		}
		want, err := strconv.Unquote(lit.Value)
		if err != nil {
			return false, false
		}
		v := c.unified.LookupPath(c.cuePath(append(append([]string{}, path...), id.Name)))
		got, _ := v.Default()
		s, err := got.String()
		if err != nil {
			return false, false
		}
		switch b.Op {
		case token.EQL:
			return s == want, true
		case token.NEQ:
			return s != want, true
		}
		return false, false
	}
}

// allowedIn returns whether a conditional field may appear (its condition
// holds, or cannot be told) in the struct at path.
func (c *checker) allowedIn(path []string) func(cond string) bool {
	eval := c.condEval(path)
	return func(cond string) bool {
		holds, known := eval(cond)
		return holds || !known
	}
}

// requiredIn returns whether a conditional field is known to be needed.
func (c *checker) requiredIn(path []string) func(cond string) bool {
	eval := c.condEval(path)
	return func(cond string) bool {
		holds, known := eval(cond)
		return holds && known
	}
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

func (c *checker) lookupUser(path []string) cue.Value {
	return c.user.LookupPath(c.cuePath(path))
}

// cuePath converts a policy path to a cue.Path, telling list indices from
// field names with the schema tree.
func (c *checker) cuePath(path []string) cue.Path {
	sels := make([]cue.Selector, 0, len(path))
	n := c.tree
	for _, p := range path {
		if n != nil && n.kind == listNode {
			if i, err := strconv.Atoi(p); err == nil {
				sels = append(sels, cue.Index(i))
				n = n.elem
				continue
			}
		}
		sels = append(sels, cue.Str(p))
		n = n.lookup([]string{p})
	}
	return cue.MakePath(sels...)
}

// posOf returns the position of the value at path in the user's file, or of
// its nearest ancestor that has one.
func (c *checker) posOf(path []string) token.Pos {
	for i := len(path); i >= 0; i-- {
		v := c.lookupUser(path[:i])
		if !v.Exists() {
			continue
		}
		if p := v.Pos(); p.IsValid() && p.Filename() == c.filename {
			return p
		}
		if it, err := v.Fields(cue.Optional(true)); err == nil && it.Next() {
			if p := it.Value().Pos(); p.IsValid() && p.Filename() == c.filename {
				return p
			}
		}
	}
	return token.NoPos
}

// add records an error at path; an invalid pos is looked up from path.
func (c *checker) add(path []string, pos token.Pos, format string, a ...any) {
	if !pos.IsValid() || pos.Filename() != c.filename {
		pos = c.posOf(path)
	}
	line, col := 1, 1
	if pos.IsValid() {
		line, col = pos.Line(), pos.Column()
	}
	c.errs = append(c.errs, &Error{
		Pos:  Position{Filename: c.filename, Line: line, Col: col},
		Path: c.formatPath(path),
		Msg:  fmt.Sprintf(format, a...),
	})
}

func (c *checker) addCUEErrors(err error) {
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		pos := e.Position()
		for _, p := range cueerrors.Positions(e) {
			if p.Filename() == c.filename {
				pos = p
				break
			}
		}
		c.add(unquotePath(e.Path()), pos, format, args...)
	}
}

func (c *checker) result() Errors {
	c.errs.sort()
	return c.errs
}

// formatPath writes a policy path the way a policy would: scenarios.steady.rate,
// slos."ttft.p95", regression.gate[0].
func (c *checker) formatPath(path []string) string {
	var b strings.Builder
	n := c.tree
	for _, p := range path {
		switch {
		case n != nil && n.kind == listNode:
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
		n = n.lookup([]string{p})
	}
	return b.String()
}

// editSyntax deletes (del) or replaces by "_" the field or list element at
// path in the user's syntax, so the next pass sees past it. It reports
// whether anything changed.
func editSyntax(decls []ast.Decl, path []string, del bool, out *[]ast.Decl) bool {
	if len(path) == 0 {
		return false
	}
	edited := false
	kept := decls[:0:0]
	for _, d := range decls {
		f, ok := d.(*ast.Field)
		name := ""
		if ok {
			name, _, _ = ast.LabelName(f.Label)
		}
		if !ok || name != path[0] {
			kept = append(kept, d)
			continue
		}
		switch {
		case len(path) == 1 && del:
			edited = true
			continue
		case len(path) == 1:
			f.Value = ast.NewIdent("_")
			edited = true
		default:
			edited = editExpr(&f.Value, path[1:], del) || edited
		}
		kept = append(kept, d)
	}
	*out = kept
	return edited
}

func editExpr(x *ast.Expr, path []string, del bool) bool {
	if len(path) == 0 {
		return false
	}
	switch v := (*x).(type) {
	case *ast.StructLit:
		return editSyntax(v.Elts, path, del, &v.Elts)
	case *ast.ListLit:
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(v.Elts) {
			return false
		}
		e, ok := v.Elts[i].(ast.Expr)
		if !ok {
			return false
		}
		if len(path) == 1 {
			v.Elts[i] = ast.NewIdent("_")
			return true
		}
		if editExpr(&e, path[1:], del) {
			v.Elts[i] = e
			return true
		}
	}
	return false
}
