package policies

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/token"
)

// The schema tree is #Policy read from the schema's syntax, with references
// to definitions expanded. CUE's evaluated values do not say which named
// definition (#Duration, #MetricRef) a field was declared with, nor keep
// fields of conditional blocks apart; error messages and the generated policy
// reference need both.

type nodeKind int

const (
	leafNode   nodeKind = iota // a scalar type such as #Duration or int & >0
	structNode                 // fixed fields (and maybe a pattern: see elem)
	listNode                   // elem describes every element
)

type node struct {
	kind   nodeKind
	fields []*field
	// elem is the value of every element of a list, or of every field of a
	// struct with a pattern constraint ([#Name]: elem); key is that pattern.
	elem *node
	key  string
	expr ast.Expr // type of a leaf, defaults removed
	// alts are the struct and list alternatives of a leaf disjunction such
	// as #Length (int & >0 | #LengthDist), for looking inside them.
	alts []*node
	def  string // the definition this node was declared with, if any
}

type field struct {
	name string
	// reqConds are the conditions under which the field is required (name!);
	// "" means always.
	reqConds []string
	optional bool // name?
	doc      string
	// conds are the conditions of the conditional blocks that declare the
	// field; empty when any declaration is unconditional.
	conds    []string
	always   bool
	defaults []fieldDefault
	node     *node
}

type fieldDefault struct{ cond, value string }

func (n *node) isMap() bool { return n.kind == structNode && n.elem != nil }

func (n *node) field(name string) *field {
	for _, f := range n.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

type treeBuilder struct {
	defs  map[string]ast.Expr
	depth int
}

func buildTree(defs map[string]ast.Expr, root string) (*node, error) {
	b := &treeBuilder{defs: defs}
	n, _, err := b.build(&ast.Ident{Name: root}, "")
	return n, err
}

// build returns the node of a type expression and the defaults it names.
func (b *treeBuilder) build(x ast.Expr, cond string) (*node, []string, error) {
	b.depth++
	defer func() { b.depth-- }()
	if b.depth > 50 {
		return nil, nil, fmt.Errorf("schema nests too deeply at %v", x.Pos())
	}
	switch x := x.(type) {
	case *ast.ParenExpr:
		return b.build(x.X, cond)
	case *ast.Ident:
		if strings.HasPrefix(x.Name, "#") {
			d, ok := b.defs[x.Name]
			if !ok {
				return nil, nil, fmt.Errorf("unknown definition %s", x.Name)
			}
			n, dflts, err := b.build(d, "")
			if err == nil && n.def == "" {
				n.def = x.Name
			}
			return n, dflts, err
		}
		return &node{kind: leafNode, expr: x}, nil, nil
	case *ast.StructLit:
		if len(x.Elts) == 1 {
			if _, open := x.Elts[0].(*ast.Ellipsis); open {
				return &node{kind: leafNode, expr: x}, nil, nil // {...}: any struct
			}
		}
		n := &node{kind: structNode}
		if err := b.addElts(n, x.Elts, cond); err != nil {
			return nil, nil, err
		}
		if n.elem != nil {
			// The pattern constrains the named fields too.
			for _, f := range n.fields {
				f.node = merge(n.elem, f.node)
			}
		}
		return n, nil, nil
	case *ast.ListLit:
		if len(x.Elts) == 1 {
			if e, ok := x.Elts[0].(*ast.Ellipsis); ok {
				var t ast.Expr = ast.NewIdent("_")
				if e.Type != nil {
					t = e.Type
				}
				elem, _, err := b.build(t, "")
				return &node{kind: listNode, elem: elem}, nil, err
			}
		}
		return &node{kind: leafNode, expr: x}, nil, nil
	case *ast.BinaryExpr:
		switch x.Op {
		case token.OR:
			var alts, dalts []ast.Expr
			var dflts []string
			for _, a := range disjuncts(x) {
				if u, ok := a.(*ast.UnaryExpr); ok && u.Op == token.MUL {
					dflts = append(dflts, formatExpr(u.X))
					dalts = append(dalts, u.X)
					continue
				}
				alts = append(alts, a)
			}
			// A default among literals ("constant" in *"constant" | "poisson")
			// is one of the allowed values; beside a type (*"60s" | #Duration)
			// it is only an instance of it.
			if allLiterals(alts) {
				alts = append(dalts, alts...)
			}
			if len(alts) == 1 {
				n, _, err := b.build(alts[0], cond)
				return n, dflts, err
			}
			n := &node{kind: leafNode, expr: joinOr(alts)}
			for _, a := range alts {
				an, _, err := b.build(a, cond)
				if err != nil {
					return nil, nil, err
				}
				if an.kind != leafNode {
					n.alts = append(n.alts, an)
				}
			}
			return n, dflts, nil
		case token.AND:
			l, ld, err := b.build(x.X, cond)
			if err != nil {
				return nil, nil, err
			}
			r, rd, err := b.build(x.Y, cond)
			if err != nil {
				return nil, nil, err
			}
			if l.kind == structNode || r.kind == structNode {
				return merge(l, r), append(ld, rd...), nil
			}
			return &node{kind: leafNode, expr: x}, append(ld, rd...), nil
		}
	}
	return &node{kind: leafNode, expr: x}, nil, nil
}

func (b *treeBuilder) addElts(n *node, elts []ast.Decl, cond string) error {
	for _, e := range elts {
		switch e := e.(type) {
		case *ast.Field:
			if err := b.addField(n, e, cond); err != nil {
				return err
			}
		case *ast.Comprehension:
			c := cond
			for _, cl := range e.Clauses {
				ic, ok := cl.(*ast.IfClause)
				if !ok {
					return fmt.Errorf("%v: only if clauses are supported in the schema tree", e.Pos())
				}
				c = joinCond(c, formatExpr(ic.Condition))
			}
			s, ok := e.Value.(*ast.StructLit)
			if !ok {
				return fmt.Errorf("%v: comprehension without a struct", e.Pos())
			}
			if err := b.addElts(n, s.Elts, c); err != nil {
				return err
			}
		case *ast.CommentGroup, *ast.Attribute:
		default:
			return fmt.Errorf("%v: unsupported declaration %T in the schema tree", e.Pos(), e)
		}
	}
	return nil
}

func (b *treeBuilder) addField(n *node, f *ast.Field, cond string) error {
	if l, ok := f.Label.(*ast.ListLit); ok && len(l.Elts) == 1 {
		key := l.Elts[0]
		if a, ok := key.(*ast.Alias); ok {
			key = a.Expr
		}
		elem, _, err := b.build(f.Value, "")
		if err != nil {
			return err
		}
		if n.elem != nil {
			elem = merge(n.elem, elem)
		}
		n.elem, n.key = elem, formatExpr(key)
		return nil
	}
	name, _, err := ast.LabelName(f.Label)
	if err != nil {
		return fmt.Errorf("%v: %v", f.Pos(), err)
	}
	child, dflts, err := b.build(f.Value, cond)
	if err != nil {
		return err
	}
	nf := &field{
		name:     name,
		optional: f.Constraint == token.OPTION,
		doc:      docOf(f),
		node:     child,
		always:   cond == "",
	}
	if cond != "" {
		nf.conds = []string{cond}
	}
	if f.Constraint == token.NOT {
		nf.reqConds = []string{cond}
	}
	for _, d := range dflts {
		nf.defaults = append(nf.defaults, fieldDefault{cond: cond, value: d})
	}
	if old := n.field(name); old != nil {
		mergeField(old, nf)
		return nil
	}
	n.fields = append(n.fields, nf)
	return nil
}

func mergeField(old, nf *field) {
	old.reqConds = appendNew(old.reqConds, nf.reqConds...)
	old.optional = old.optional && nf.optional
	if old.doc == "" {
		old.doc = nf.doc
	}
	old.always = old.always || nf.always
	if old.always {
		old.conds = nil
	} else {
		old.conds = appendNew(old.conds, nf.conds...)
	}
	for _, d := range nf.defaults {
		if !slices.Contains(old.defaults, d) {
			old.defaults = append(old.defaults, d)
		}
	}
	old.node = merge(old.node, nf.node)
}

// merge unifies two nodes the way CUE unifies the types they stand for,
// as far as the tree needs: fields of structs are combined, and "_" gives way.
func merge(a, b *node) *node {
	if isTop(a) {
		return b
	}
	if isTop(b) || a == b {
		return a
	}
	if a.kind != structNode || b.kind != structNode {
		if _, lit := b.expr.(*ast.BasicLit); lit || b.def != "" && a.def == "" {
			return b // the more specific: "ratio" within "count" | "ratio" | ...
		}
		return a
	}
	out := &node{kind: structNode, def: a.def, elem: a.elem, key: a.key}
	if out.def == "" {
		out.def = b.def
	}
	for _, f := range a.fields {
		c := *f
		out.fields = append(out.fields, &c)
	}
	for _, f := range b.fields {
		if old := out.field(f.name); old != nil {
			mergeField(old, f)
		} else {
			c := *f
			out.fields = append(out.fields, &c)
		}
	}
	if b.elem != nil {
		if out.elem != nil {
			out.elem = merge(out.elem, b.elem)
		} else {
			out.elem, out.key = b.elem, b.key
		}
	}
	if out.elem != nil {
		for _, f := range out.fields {
			f.node = merge(out.elem, f.node)
		}
	}
	return out
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

func isTop(n *node) bool {
	id, ok := n.expr.(*ast.Ident)
	return n.kind == leafNode && ok && id.Name == "_"
}

// isOpen reports whether n accepts any field: _ or {...}.
func isOpen(n *node) bool {
	if isTop(n) {
		return true
	}
	_, ok := n.expr.(*ast.StructLit) // only {...} stays a leaf
	return n.kind == leafNode && ok
}

// asStruct returns n if it is a struct, the struct alternative of a
// disjunction such as #Length (int & >0 | #LengthDist), or nil.
func asStruct(n *node) *node {
	if n == nil {
		return nil
	}
	if n.kind == structNode {
		return n
	}
	for _, a := range n.alts {
		if a.kind == structNode {
			return a
		}
	}
	return nil
}

func disjuncts(x ast.Expr) []ast.Expr {
	if b, ok := x.(*ast.BinaryExpr); ok && b.Op == token.OR {
		return append(disjuncts(b.X), disjuncts(b.Y)...)
	}
	if p, ok := x.(*ast.ParenExpr); ok {
		return disjuncts(p.X)
	}
	return []ast.Expr{x}
}

func allLiterals(xs []ast.Expr) bool {
	for _, x := range xs {
		if _, ok := x.(*ast.BasicLit); !ok {
			return false
		}
	}
	return true
}

func joinOr(alts []ast.Expr) ast.Expr {
	x := alts[0]
	for _, a := range alts[1:] {
		x = &ast.BinaryExpr{X: x, Op: token.OR, Y: a}
	}
	return x
}

func joinCond(a, b string) string {
	if a == "" {
		return b
	}
	return a + " && " + b
}

func docOf(f *ast.Field) string {
	var parts []string
	for _, cg := range ast.Comments(f) {
		if cg.Doc {
			parts = append(parts, strings.TrimSpace(cg.Text()))
		}
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

func formatExpr(x ast.Expr) string {
	b, err := format.Node(x)
	if err != nil {
		return fmt.Sprintf("%v", x)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// lookup returns the node at a policy path (field names, map keys and list
// indices), or nil when the schema has nothing there.
func (n *node) lookup(path []string) *node {
	for _, sel := range path {
		if n == nil {
			return nil
		}
		if n.kind == leafNode && len(n.alts) > 0 {
			n = n.alts[0]
		}
		switch {
		case n.kind == listNode:
			n = n.elem
		case n.kind == structNode:
			if f := n.field(sel); f != nil {
				n = f.node
			} else {
				n = n.elem
			}
		default:
			return nil
		}
	}
	return n
}

// fieldNames returns the names of the fields of a struct node whose
// conditions hold according to eval (nil eval: all fields).
func (n *node) fieldNames(eval func(cond string) bool) []string {
	var out []string
	for _, f := range n.fields {
		ok := f.always || eval == nil || slices.ContainsFunc(f.conds, eval)
		if ok {
			out = append(out, f.name)
		}
	}
	return out
}
