package policies

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// duplicateYAMLKeys reports every key written twice in one YAML mapping,
// with both positions: YAML forbids it, and decoders that keep the last
// value (or unify equal ones) would hide the first. A document that does
// not parse is left to the policy's parser, whose messages say why.
func duplicateYAMLKeys(filename string, src []byte) Errors {
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil {
		return nil
	}
	var out Errors
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for i, c := range n.Content {
				p := path
				if n.Kind == yaml.SequenceNode {
					p = fmt.Sprintf("%s[%d]", path, i)
				}
				walk(c, p)
			}
		case yaml.MappingNode:
			first := map[string]*yaml.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				name := k.Value
				p := name
				if path != "" {
					p = path + "." + name
				}
				if f, dup := first[name]; dup && k.Kind == yaml.ScalarNode {
					out = append(out, &Error{Pos: Position{Filename: filename, Line: k.Line, Col: k.Column}, Path: p,
						Msg: fmt.Sprintf("duplicate key %q: first at line %d, column %d, again here; YAML keeps only one of them, so remove one", name, f.Line, f.Column)})
				} else {
					first[name] = k
				}
				walk(v, p)
			}
		}
	}
	walk(&doc, "")
	out.sort()
	return out
}
