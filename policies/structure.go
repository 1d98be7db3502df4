package policies

import (
	"fmt"
	"slices"
	"strconv"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// walk finds unknown fields and missing required fields in the policy as
// written, everywhere at once. CUE reports these only once no value in the
// same struct conflicts, and a missing required field hides everything
// else, so validate does not rely on it for them. It returns the paths of
// the unknown fields.
func (c *checker) walk(n *node, path []string, f *ast.File) (unknown [][]string) {
	if n == nil {
		return nil
	}
	uv := c.lookupUser(path)
	if !uv.Exists() {
		return nil
	}
	if n.kind == leafNode {
		for _, a := range n.alts {
			if (a.kind == structNode) == (uv.IncompleteKind() == cue.StructKind) {
				return c.walk(a, path, f)
			}
		}
		return nil
	}
	if n.kind == listNode {
		it, err := uv.List()
		if err != nil {
			return nil
		}
		for i := 0; it.Next(); i++ {
			unknown = append(unknown, c.walk(n.elem, append(slices.Clip(path), strconv.Itoa(i)), f)...)
		}
		return unknown
	}
	if uv.IncompleteKind() != cue.StructKind {
		return nil // not a struct at all: a type error, which CUE reports
	}
	allowed := c.allowedIn(path)
	active := func(fd *field) bool { return fd.always || slices.ContainsFunc(fd.conds, allowed) }
	it, err := uv.Fields()
	if err != nil {
		return nil
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		fp := append(slices.Clip(path), name)
		fd := n.field(name)
		switch {
		case fd != nil && active(fd):
			unknown = append(unknown, c.walk(fd.node, fp, f)...)
		case fd == nil && n.elem != nil && c.unified.LookupPath(c.cuePath(path)).Allows(cue.Str(name)):
			unknown = append(unknown, c.walk(n.elem, fp, f)...)
		default:
			c.seen[fmt.Sprint(catUnknown, fp)] = true
			c.add(fp, labelPos(f.Decls, fp), "%s", c.unknownMsg(fp))
			unknown = append(unknown, fp)
		}
	}
	for _, fd := range c.missingFields(n, path) {
		fp := append(slices.Clip(path), fd.name)
		c.missing = append(c.missing, fp)
		c.seen[fmt.Sprint(catMissing, fp)] = true
		c.add(fp, c.posOf(path), "this field is required; expected %s", describe(fd.node))
	}
	return unknown
}

// labelPos returns the position of the label of the field at path in the
// user's syntax, or NoPos.
func labelPos(decls []ast.Decl, path []string) token.Pos {
	for _, d := range decls {
		f, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		if name, _, _ := ast.LabelName(f.Label); name != path[0] {
			continue
		}
		if len(path) == 1 {
			return f.Label.Pos()
		}
		if p := exprLabelPos(f.Value, path[1:]); p.IsValid() {
			return p
		}
	}
	return token.NoPos
}

func exprLabelPos(x ast.Expr, path []string) token.Pos {
	switch v := x.(type) {
	case *ast.StructLit:
		return labelPos(v.Elts, path)
	case *ast.ListLit:
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(v.Elts) || len(path) < 2 {
			return token.NoPos
		}
		if e, ok := v.Elts[i].(ast.Expr); ok {
			return exprLabelPos(e, path[1:])
		}
	}
	return token.NoPos
}
