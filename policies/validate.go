package policies

import (
	"fmt"
	"strconv"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
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
	// errorsOf lists the errors of a failed validation; nil means
	// cueerrors.Errors. Tests give CUE's errors other words with it, to
	// prove that no message depends on CUE's wording.
	errorsOf func(error) []cueerrors.Error
	// trace, when set, sees every group of CUE's errors of every pass, so
	// tests can compare classifications.
	trace func(errGroup)
	// missing are the required fields the first pass found missing.
	missing [][]string
	// unexplained are the problems whose kind the structure did not tell;
	// they are reported in CUE's words only when nothing else is.
	unexplained []errGroup
}

// maxPasses bounds the validation passes. CUE reports errors in tiers (a
// field not allowed is not reported while a value conflicts), so each pass
// removes what it reported and validates again, until nothing new appears.
const maxPasses = 6

// validate checks the user's syntax against #Policy. It returns the unified
// value when the policy is valid, and the user's value for positions.
func (c *checker) validate(s *compiled, f *ast.File) (cue.Value, cue.Value) {
	c.seen = map[string]bool{}
	for i := 0; i < maxPasses; i++ {
		user := s.ctx.BuildFile(f)
		if err := user.Err(); err != nil {
			c.addCUEErrors(err)
			return cue.Value{}, user
		}
		v := s.policy.Unify(user)
		if i == 0 {
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
		groups := c.group(c.cueErrors(err), pass{user: user, unified: v})
		for _, g := range groups {
			if c.trace != nil {
				c.trace(g)
			}
			key := fmt.Sprint(g.cat, g.path)
			if c.seen[key] || c.isConsequence(g) || hasDeeper(g, groups) {
				continue
			}
			c.seen[key] = true
			found = true
			if g.cat == catOther {
				c.unexplained = append(c.unexplained, g)
			} else {
				c.report(g)
			}
			switch g.cat {
			case catUnknown:
				edited = editSyntax(f.Decls, g.path, true, &f.Decls) || edited
			case catMismatch, catIncomplete, catOther:
				c.replaced = append(c.replaced, g.path)
				edited = editSyntax(f.Decls, g.path, false, &f.Decls) || edited
			}
		}
		if !found || !edited {
			break
		}
	}
	if len(c.errs) == 0 {
		// Unexplained groups are mostly consequences of problems reported
		// already (CUE re-checks a definition of the schema on its own
		// when the policy's value for it is wrong); alone, they are all
		// there is to say.
		for _, g := range c.unexplained {
			c.report(g)
		}
	}
	if len(c.errs) == 0 {
		// Unreachable unless the passes ran out: say so rather than accept.
		c.add(nil, token.NoPos, "the policy could not be validated; simplify it and try again")
	}
	return cue.Value{}, c.user
}

// cueErrors lists the errors of a failed validation.
func (c *checker) cueErrors(err error) []cueerrors.Error {
	if c.errorsOf != nil {
		return c.errorsOf(err)
	}
	return cueerrors.Errors(err)
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

// hasDeeper reports whether g is a mismatch (or an unclassified problem)
// of a struct or list in which another group points at the actual culprit
// (a disjunction such as "*[defaults] | [...#MetricRef]" fails as a whole
// and element by element).
func hasDeeper(g errGroup, groups []errGroup) bool {
	if g.cat != catMismatch && g.cat != catOther {
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
