package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/perfgate/perfgate/internal/reqtmpl"
)

// jsonBody is a JSON request body whose string values may be templates.
// Rendering keeps the document valid JSON whatever a dataset row holds: a
// template's output is encoded as a JSON string, and a string that is
// exactly one field reference ("{{.features}}") takes the field's own JSON
// value (a number stays a number, an array an array).
type jsonBody struct {
	root *jsonNode
}

type jsonNode struct {
	raw  []byte             // a literal: number, bool, null, or a string without "{{"
	tmpl *template.Template // a string with "{{"
	ref  string             // a string that is exactly {{.ref}}
	keys [][]byte           // object keys in document order, JSON-encoded (object only)
	kids []*jsonNode        // object values or array items
	open byte               // '{' or '[' for containers, 0 otherwise
}

// wholeRef matches a string that is exactly one field reference, "{{.x}}"
// or "{{json .x}}" (json would otherwise encode the value twice, since a
// template's output is encoded as a JSON string).
var wholeRef = regexp.MustCompile(`^\{\{-?\s*(?:json\s+)?\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}$`)

// compileJSONBody parses doc. When no string holds a template it returns
// a nil body and the compact document, to be sent as it is.
func compileJSONBody(doc []byte) (*jsonBody, []byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	templated := false
	root, err := compileNode(dec, &templated)
	if err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("body: more than one JSON value")
	}
	if !templated {
		var buf bytes.Buffer
		if err := json.Compact(&buf, doc); err != nil {
			return nil, nil, fmt.Errorf("body: %w", err)
		}
		return nil, buf.Bytes(), nil
	}
	return &jsonBody{root: root}, nil, nil
}

func compileNode(dec *json.Decoder, templated *bool) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &jsonNode{open: byte(v)}
		for dec.More() {
			if n.open == '{' {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("body: %w", err)
				}
				k, _ := json.Marshal(kt.(string))
				n.keys = append(n.keys, k)
			}
			kid, err := compileNode(dec, templated)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, kid)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, fmt.Errorf("body: %w", err)
		}
		return n, nil
	case string:
		if !strings.Contains(v, "{{") {
			raw, _ := json.Marshal(v)
			return &jsonNode{raw: raw}, nil
		}
		*templated = true
		if m := wholeRef.FindStringSubmatch(v); m != nil {
			return &jsonNode{ref: m[1]}, nil
		}
		t, err := reqtmpl.Parse("body", v)
		if err != nil {
			return nil, fmt.Errorf("body template %q: %w", truncate(v, 60), err)
		}
		return &jsonNode{tmpl: t}, nil
	default:
		raw, _ := json.Marshal(v)
		return &jsonNode{raw: raw}, nil
	}
}

// render writes the body of prompt p.
func (b *jsonBody) render(p *Prompt) ([]byte, error) {
	var buf bytes.Buffer
	if err := b.root.render(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (n *jsonNode) render(buf *bytes.Buffer, p *Prompt) error {
	switch {
	case n.open != 0:
		buf.WriteByte(n.open)
		for i, kid := range n.kids {
			if i > 0 {
				buf.WriteByte(',')
			}
			if n.open == '{' {
				buf.Write(n.keys[i])
				buf.WriteByte(':')
			}
			if err := kid.render(buf, p); err != nil {
				return err
			}
		}
		if n.open == '{' {
			buf.WriteByte('}')
		} else {
			buf.WriteByte(']')
		}
	case n.ref == "max_tokens" && p.MaxTokens > 0:
		// The requested output length, a number whatever the row says.
		buf.WriteString(strconv.Itoa(p.MaxTokens))
	case n.ref != "":
		if raw, ok := p.Raw[n.ref]; ok {
			buf.Write(raw)
			return nil
		}
		v, ok := p.Vars[n.ref]
		if !ok {
			return fmt.Errorf("the row has no field %q", n.ref)
		}
		s, _ := json.Marshal(v)
		buf.Write(s)
	case n.tmpl != nil:
		var sb strings.Builder
		if err := n.tmpl.Execute(&sb, p.Vars); err != nil {
			return err
		}
		s, _ := json.Marshal(sb.String())
		buf.Write(s)
	default:
		buf.Write(n.raw)
	}
	return nil
}

// fields adds the names of the fields the body's templates read to set.
func (n *jsonNode) fields(set map[string]bool) {
	switch {
	case n.ref != "":
		set[n.ref] = true
	case n.tmpl != nil:
		for _, f := range reqtmpl.Fields(n.tmpl) {
			set[f] = true
		}
	}
	for _, k := range n.kids {
		k.fields(set)
	}
}
