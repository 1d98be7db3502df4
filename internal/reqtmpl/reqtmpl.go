// Package reqtmpl parses the request templates of http workloads: Go
// text/templates that fill a request's path and body from a dataset row.
//
// A template inserts fields ({{.prompt}}), encodes them ({{json .x}},
// {{path .id}}) and may test them ({{if .x}}...{{end}}, {{with}}). Loops
// and template definitions ({{range}}, {{define}}, {{template}}, {{block}})
// are refused: a template runs once per request on the load generator's
// hot path, and "{{range 1000000000}}" would stall it.
package reqtmpl

import (
	"encoding/json"
	"fmt"
	"net/url"
	"text/template"
	"text/template/parse"
)

// Funcs are the functions a request template may call: json encodes a
// value as JSON (a string becomes a quoted, escaped literal), path escapes
// a value for one path segment.
var Funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"path": func(v any) string { return url.PathEscape(fmt.Sprint(v)) },
}

// Parse parses src as a request template named name: a missing field is an
// error when the template runs, and loops and template definitions are
// refused here.
func Parse(name, src string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(Funcs).Parse(src)
	if err != nil {
		return nil, err
	}
	for _, tt := range t.Templates() {
		if tt.Name() != name {
			return nil, fmt.Errorf("template: %s: defines template %q: request templates cannot define templates", name, tt.Name())
		}
	}
	if t.Tree != nil {
		if err := check(t.Tree.Root); err != nil {
			return nil, fmt.Errorf("template: %s: %w", name, err)
		}
	}
	return t, nil
}

// check refuses loops and template calls anywhere below n.
func check(n parse.Node) error {
	switch n := n.(type) {
	case nil:
		return nil
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := check(c); err != nil {
				return err
			}
		}
	case *parse.RangeNode:
		return fmt.Errorf("{{range}} is not allowed in a request template (it runs once per request)")
	case *parse.TemplateNode:
		return fmt.Errorf("{{template %q}} is not allowed in a request template", n.Name)
	case *parse.IfNode:
		return checkBranch(&n.BranchNode)
	case *parse.WithNode:
		return checkBranch(&n.BranchNode)
	}
	return nil
}

func checkBranch(b *parse.BranchNode) error {
	if err := check(b.List); err != nil {
		return err
	}
	return check(b.ElseList)
}
