package policies

import (
	_ "embed"
	"fmt"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
)

// SchemaSource is the policy schema in CUE, as embedded in the binary.
//
//go:embed schema.cue
var SchemaSource []byte

// schemaFile is the name the embedded schema's positions carry.
const schemaFile = "schema.cue"

// compiled is the embedded schema, compiled once per process. Values from
// one cue.Context cannot be mixed with another's, so every policy is built
// in this context too; cue.Context is safe for concurrent use.
type compiled struct {
	ctx     *cue.Context
	policy  cue.Value // #Policy
	tree    *node     // #Policy as a walkable tree, for messages and the reference
	defs    map[string]ast.Expr
	catalog []Metric
	// keys are the label patterns of the tree's structs ([#MetricRef]: ...),
	// compiled, to tell which names a struct accepts.
	keys map[string]cue.Value
	// scope is the schema file's value, in which types are compiled.
	scope cue.Value
	// types caches the scalar types of the tree (#Duration, int & >0),
	// compiled when an error first needs one: *node -> cue.Value, which
	// does not exist when the type does not compile alone (it names an
	// alias, say).
	types sync.Map
}

// keyAllows reports whether the pattern key (as in the tree: "#MetricRef",
// "string") accepts the field name.
func (s *compiled) keyAllows(key, name string) bool {
	k, ok := s.keys[key]
	return ok && k.Unify(s.ctx.Encode(name)).Validate(cue.Concrete(true)) == nil
}

// typeAccepts reports whether the scalar type of n accepts v; known is false
// when n is not a scalar or its type did not compile alone.
func (s *compiled) typeAccepts(n *node, v cue.Value) (accepts, known bool) {
	if n == nil || n.kind != leafNode || isOpen(n) {
		return false, false
	}
	t, ok := s.types.Load(n)
	if !ok {
		compiled := s.ctx.CompileString(formatExpr(n.expr), cue.Scope(s.scope))
		if compiled.Err() != nil {
			compiled = cue.Value{}
		}
		t, _ = s.types.LoadOrStore(n, compiled)
	}
	typ := t.(cue.Value)
	if !typ.Exists() {
		return false, false
	}
	return typ.Unify(v).Validate(cue.Concrete(true)) == nil, true
}

var (
	schemaOnce sync.Once
	schemaVal  *compiled
)

// schema returns the compiled embedded schema. An invalid embedded schema is
// a bug in perfgate itself, so it panics (tests catch it first).
func schema() *compiled {
	schemaOnce.Do(func() {
		s, err := compileSchema()
		if err != nil {
			panic("perfgate: the embedded policy schema is invalid: " + err.Error())
		}
		schemaVal = s
	})
	return schemaVal
}

func compileSchema() (*compiled, error) {
	ctx := cuecontext.New()
	f, err := parser.ParseFile(schemaFile, SchemaSource, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	v := ctx.BuildFile(f)
	if err := v.Err(); err != nil {
		return nil, err
	}
	s := &compiled{ctx: ctx, policy: v.LookupPath(cue.ParsePath("#Policy"))}
	if !s.policy.Exists() {
		return nil, fmt.Errorf("no #Policy")
	}
	defs := map[string]ast.Expr{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.Field); ok {
			if name, _, _ := ast.LabelName(fd.Label); name != "" {
				if prev, dup := defs[name]; dup {
					// A definition given twice would be merged by CUE but not by the tree.
					return nil, fmt.Errorf("%s is declared twice (%v)", name, prev.Pos())
				}
				defs[name] = fd.Value
			}
		}
	}
	s.defs = defs
	s.tree, err = buildTree(defs, "#Policy")
	if err != nil {
		return nil, err
	}
	s.scope, s.keys = v, map[string]cue.Value{}
	if err := s.compileKeys(s.tree, map[*node]bool{}); err != nil {
		return nil, err
	}
	s.catalog, err = decodeCatalog(v.LookupPath(cue.ParsePath("#Catalog")))
	if err != nil {
		return nil, fmt.Errorf("#Catalog: %w", err)
	}
	return s, nil
}

// compileKeys compiles the label pattern of every struct of the tree below
// n, in the scope of the schema so that its definitions resolve.
func (s *compiled) compileKeys(n *node, seen map[*node]bool) error {
	if n == nil || seen[n] {
		return nil
	}
	seen[n] = true
	if _, done := s.keys[n.key]; n.key != "" && !done {
		k := s.ctx.CompileString(n.key, cue.Scope(s.scope))
		if err := k.Err(); err != nil {
			return fmt.Errorf("label pattern %s: %w", n.key, err)
		}
		s.keys[n.key] = k
	}
	children := append([]*node{n.elem}, n.alts...)
	for _, f := range n.fields {
		children = append(children, f.node)
	}
	for _, m := range children {
		if err := s.compileKeys(m, seen); err != nil {
			return err
		}
	}
	return nil
}
