package policies

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// TestTypesMatchSchema keeps the Go types in step with schema.cue: every
// schema field has a Go field with its name as json tag and a compatible
// type, and the other way round.
func TestTypesMatchSchema(t *testing.T) {
	checkInStep(t, schema().tree, reflect.TypeOf(Policy{}), "#Policy")
}

var leafTypes = map[reflect.Type]string{
	reflect.TypeOf(Duration(0)):       "string",
	reflect.TypeOf(Percent(0)):        "string",
	reflect.TypeOf(Limit{}):           "string",
	reflect.TypeOf(Length{}):          "int|struct",
	reflect.TypeOf(PromQuery{}):       "string|struct",
	reflect.TypeOf(json.RawMessage{}): "any",
	reflect.TypeOf(map[string]any{}):  "struct",
}

func checkInStep(t *testing.T, n *node, typ reflect.Type, path string) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if want, ok := leafTypes[typ]; ok {
		if n.kind != leafNode {
			t.Errorf("%s: Go type %v is a leaf, schema has a %v", path, typ, n.kind)
		}
		if got := leafKind(n.expr); !strings.Contains(want, got) && want != "any" {
			t.Errorf("%s: schema kind %s does not fit Go type %v", path, got, typ)
		}
		return
	}
	switch typ {
	case reflect.TypeOf(Scenarios{}):
		typ = reflect.MapOf(reflect.TypeOf(""), reflect.TypeOf(Scenario{}))
	case reflect.TypeOf(SLOs{}):
		typ = reflect.MapOf(reflect.TypeOf(""), reflect.TypeOf(Limit{}))
	}
	switch n.kind {
	case listNode:
		if typ.Kind() != reflect.Slice {
			t.Errorf("%s: schema has a list, Go type %v", path, typ)
			return
		}
		checkInStep(t, n.elem, typ.Elem(), path+"[]")
	case structNode:
		if n.isMap() {
			if typ.Kind() != reflect.Map {
				t.Errorf("%s: schema has a map, Go type %v", path, typ)
				return
			}
			checkInStep(t, n.elem, typ.Elem(), path+".*")
			return
		}
		if typ.Kind() != reflect.Struct {
			t.Errorf("%s: schema has a struct, Go type %v", path, typ)
			return
		}
		goFields := map[string]reflect.StructField{}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag != "" && tag != "-" {
				goFields[tag] = f
			}
		}
		for _, f := range n.fields {
			gf, ok := goFields[f.name]
			if !ok {
				t.Errorf("%s.%s: in the schema, not in Go type %v", path, f.name, typ)
				continue
			}
			delete(goFields, f.name)
			checkInStep(t, f.node, gf.Type, path+"."+f.name)
		}
		for name := range goFields {
			t.Errorf("%s.%s: in Go type %v, not in the schema", path, name, typ)
		}
	default:
		got := leafKind(n.expr)
		ok := false
		switch typ.Kind() {
		case reflect.String:
			ok = got == "string"
		case reflect.Int, reflect.Int64:
			ok = got == "int"
		case reflect.Float64:
			ok = got == "number" || got == "int"
		case reflect.Bool:
			ok = got == "bool"
		case reflect.Interface:
			ok = true
		}
		if !ok {
			t.Errorf("%s: schema kind %s does not fit Go type %v", path, got, typ)
		}
	}
}

// leafKind returns the CUE kind of a leaf type expression: string, int,
// number, bool, struct, or a combination joined by "|".
func leafKind(x ast.Expr) string {
	switch x := x.(type) {
	case *ast.Ident:
		switch x.Name {
		case "string", "int", "number", "bool", "null":
			return x.Name
		case "_":
			return "any"
		}
		if d, ok := schema().defs[x.Name]; ok {
			return leafKind(d)
		}
	case *ast.BasicLit:
		switch x.Kind {
		case token.STRING:
			return "string"
		case token.INT:
			return "int"
		case token.FLOAT:
			return "number"
		case token.TRUE, token.FALSE:
			return "bool"
		case token.NULL:
			return "null"
		}
	case *ast.UnaryExpr:
		if x.Op == token.MAT || x.Op == token.NMAT {
			return "string"
		}
		return "number"
	case *ast.StructLit:
		return "struct"
	case *ast.BinaryExpr:
		a, b := leafKind(x.X), leafKind(x.Y)
		if x.Op == token.AND {
			if a == "number" {
				return b
			}
			return a
		}
		if a == b {
			return a
		}
		return a + "|" + b
	case *ast.ParenExpr:
		return leafKind(x.X)
	}
	return "?"
}

// TestEveryLeafIsDescribed makes sure error messages and the reference
// never fall back to CUE syntax.
func TestEveryLeafIsDescribed(t *testing.T) {
	var walk func(n *node, path string)
	walk = func(n *node, path string) {
		switch {
		case n == nil:
		case n.kind == listNode:
			walk(n.elem, path+"[]")
		case n.kind == structNode:
			for _, f := range n.fields {
				walk(f.node, path+"."+f.name)
			}
			if n.elem != nil {
				if _, ok := defPhrases[n.key]; !ok && n.key != "string" {
					t.Errorf("%s: key %s has no phrase", path, n.key)
				}
				walk(n.elem, path+".*")
			}
		default:
			if _, ok := defPhrases[n.def]; ok {
				return
			}
			if s, ok := describeExpr(n.expr); !ok {
				t.Errorf("%s: %s", path, s)
			}
		}
	}
	walk(schema().tree, "")
}
