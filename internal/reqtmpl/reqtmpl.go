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
	"sort"
	"strings"
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

// Fields returns the names of the fields a parsed template reads
// ({{.prompt}}, {{json .vec}}, {{if .ctx}}), sorted and without repeats;
// fields read inside {{with}}, of the value it tests, are not among them.
func Fields(t *template.Template) []string {
	seen := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			if len(n.Ident) > 0 {
				seen[n.Ident[0]] = true
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			// Inside {{with}}, dot is the value tested: its fields are
			// not the template's.
			walk(n.Pipe)
			walk(n.ElseList)
		}
	}
	if t != nil && t.Tree != nil {
		walk(t.Tree.Root)
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PathError says what is wrong with a gjson path that extracts a value
// from a response ("data.0.embedding", "results.#.text"), or returns ""
// when it is well-formed: not empty, no empty component, brackets and
// quotes balanced.
func PathError(path string) string {
	if strings.TrimSpace(path) == "" {
		return "empty path"
	}
	if path != strings.TrimSpace(path) {
		return fmt.Sprintf("path %q has surrounding spaces", path)
	}
	if strings.HasPrefix(path, ".") || strings.HasSuffix(path, ".") || strings.Contains(path, "..") {
		return fmt.Sprintf("path %q has an empty component (a leading, trailing or doubled dot)", path)
	}
	depth := 0
	quoted := false
	for i := 0; i < len(path); i++ {
		switch ch := path[i]; {
		case ch == '\\':
			i++
		case ch == '"':
			quoted = !quoted
		case quoted:
		case ch == '[' || ch == '(' || ch == '{':
			depth++
		case ch == ']' || ch == ')' || ch == '}':
			depth--
			if depth < 0 {
				return fmt.Sprintf("path %q closes a bracket it did not open", path)
			}
		}
	}
	if depth != 0 || quoted {
		return fmt.Sprintf("path %q leaves a bracket or quote open", path)
	}
	return ""
}
