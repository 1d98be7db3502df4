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
	s.catalog, err = decodeCatalog(v.LookupPath(cue.ParsePath("#Catalog")))
	if err != nil {
		return nil, fmt.Errorf("#Catalog: %w", err)
	}
	return s, nil
}
