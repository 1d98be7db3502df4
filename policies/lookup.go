package policies

import (
	"strconv"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

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

func (c *checker) lookupUser(path []string) cue.Value {
	return c.user.LookupPath(c.cuePath(path))
}

// cuePath converts a policy path to a cue.Path.
func (c *checker) cuePath(path []string) cue.Path {
	return cue.MakePath(c.selectors(path)...)
}

// selectors converts a policy path to CUE selectors, telling list indices
// from field names with the schema tree, and below it (in a request body,
// say) with the policy as written.
func (c *checker) selectors(path []string) []cue.Selector {
	sels := make([]cue.Selector, 0, len(path))
	n := c.tree
	for _, p := range path {
		if i, err := strconv.Atoi(p); err == nil && i >= 0 {
			list := n != nil && n.kind == listNode
			if n == nil {
				list = c.user.LookupPath(cue.MakePath(sels...)).IncompleteKind() == cue.ListKind
			}
			if list {
				sels = append(sels, cue.Index(i))
				n = n.lookup([]string{p})
				continue
			}
		}
		sels = append(sels, cue.Str(p))
		n = n.lookup([]string{p})
	}
	return sels
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
