package policies

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	cuejson "cuelang.org/go/encoding/json"
	cueyaml "cuelang.org/go/encoding/yaml"
)

// ParseFile reads and parses the policy file at path; see Parse.
func ParseFile(path string) (*Policy, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{{Pos: Position{Filename: path}, Msg: "cannot read the policy: " + unwrapPathError(err)}}
	}
	return Parse(path, src)
}

// Parse parses a policy written in CUE (.cue), YAML (.yaml, .yml) or JSON
// (.json), as told by the extension of filename, checks it against the
// embedded schema, fills in the schema's defaults, decodes it and checks
// what the schema cannot say (warm-up shorter than the duration, metrics the
// target can produce, ...).
//
// On failure the error is an Errors value listing every problem found, each
// with its position in filename. Problems that only the Go-side checks find
// are reported once the policy satisfies the schema.
func Parse(filename string, src []byte) (*Policy, error) {
	return parse(&checker{filename: filename}, src)
}

// parse is Parse with the checker given, so that tests can substitute how
// CUE's errors are listed (see checker.errorsOf).
func parse(c *checker, src []byte) (*Policy, error) {
	f, errs := parseSyntax(c.filename, src)
	if errs != nil {
		return nil, errs
	}
	s := schema()
	c.tree = s.tree
	v, user := c.validate(s, f)
	if len(c.errs) > 0 {
		return nil, c.result()
	}
	p := &Policy{File: c.filename}
	if err := v.Decode(p); err != nil {
		// The schema accepted what the Go types reject: a bug in perfgate,
		// reported as such rather than as the user's mistake.
		c.add([]string{}, token.NoPos, "perfgate could not decode this valid policy (please report it): %v", err)
		return nil, c.result()
	}
	c.user = user
	c.semantic(p)
	if len(c.errs) > 0 {
		return nil, c.result()
	}
	p.envRefs = c.envRefs(p)
	p.hookEnvRefs = c.hookEnvRefs(p)
	return p, nil
}

// parseSyntax turns the source into CUE syntax, whatever its format.
func parseSyntax(filename string, src []byte) (*ast.File, Errors) {
	one := func(line, col int, format string, a ...any) Errors {
		return Errors{{Pos: Position{Filename: filename, Line: line, Col: col}, Msg: fmt.Sprintf(format, a...)}}
	}
	if i := bytes.IndexByte(src, 0); i >= 0 || !utf8.Valid(src) {
		if i < 0 {
			i = firstInvalidUTF8(src)
		}
		line, col := lineCol(src, i)
		return nil, one(line, col, "this is not a text file (byte 0x%02x); expected a policy written in CUE, YAML or JSON", src[i])
	}
	ext := strings.ToLower(filepath.Ext(filename))
	if strings.TrimSpace(stripComments(src, ext)) == "" {
		return nil, one(1, 1, "the policy is empty; expected at least name, target and scenarios (see policies/examples)")
	}
	var f *ast.File
	var err error
	switch ext {
	case ".cue":
		f, err = parser.ParseFile(filename, src, parser.ParseComments)
	case ".yaml", ".yml":
		if errs := duplicateYAMLKeys(filename, src); len(errs) > 0 {
			return nil, errs
		}
		f, err = cueyaml.Extract(filename, src)
		if err == nil {
			if e, ok := topLevelNotStruct(f); ok {
				line, col := posLineCol(e.Pos())
				return nil, one(line, col, "expected a YAML mapping of policy fields (name: ..., target: ...) at the top level, found %s", exprKind(e))
			}
		}
	case ".json":
		var x ast.Expr
		x, err = cuejson.Extract(filename, src)
		if err == nil {
			s, ok := x.(*ast.StructLit)
			if !ok {
				line, col := posLineCol(x.Pos())
				return nil, one(line, col, "expected a JSON object of policy fields at the top level, found %s", exprKind(x))
			}
			f = &ast.File{Filename: filename, Decls: s.Elts}
		}
	default:
		return nil, one(1, 1, "unknown policy format %q; expected a .cue, .yaml, .yml or .json file", ext)
	}
	if err != nil {
		return nil, syntaxErrors(filename, src, ext, err)
	}
	return f, nil
}

// syntaxErrors turns a parser's error into positioned messages.
func syntaxErrors(filename string, src []byte, ext string, err error) Errors {
	at := func(line, col int, msg string) *Error {
		return &Error{Pos: Position{Filename: filename, Line: line, Col: col}, Msg: "syntax error: " + msg}
	}
	if ext == ".json" {
		// encoding/json says what it found and where, in plain words.
		var v any
		var se *json.SyntaxError
		if jerr := json.Unmarshal(src, &v); errors.As(jerr, &se) {
			line, col := lineCol(src, int(max(se.Offset-1, 0)))
			return Errors{at(line, col, se.Error())}
		}
	}
	var out Errors
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		line, col := posLineCol(e.Position())
		if ext == ".cue" {
			if l, c, key, ok := dottedKey(src, line); ok {
				out = append(out, at(l, c, fmt.Sprintf("the field name %s has a dot; metric names with a dot must be quoted, as in %q: \"< 2s\"", key, key)))
				continue
			}
		}
		if !e.Position().IsValid() {
			msg = e.Error()
			// The YAML decoder's errors carry "file:line: message" as text.
			msg = strings.TrimPrefix(msg, filename+":")
			if l, rest, ok := strings.Cut(msg, ": "); ok {
				if n, err := strconv.Atoi(l); err == nil {
					line, msg = n, rest
				}
			}
		}
		out = append(out, at(line, col, msg))
	}
	if len(out) == 0 {
		out = Errors{at(1, 1, err.Error())}
	}
	out.sort()
	return out
}

func topLevelNotStruct(f *ast.File) (ast.Expr, bool) {
	for _, d := range f.Decls {
		if e, ok := d.(*ast.EmbedDecl); ok {
			return e.Expr, true
		}
	}
	return nil, false
}

func exprKind(x ast.Expr) string {
	switch x := x.(type) {
	case *ast.ListLit:
		if len(x.Elts) > 1 {
			return "a list (or several YAML documents)"
		}
		return "a list"
	case *ast.BasicLit:
		return "the value " + x.Value
	case *ast.Ident:
		return "the value " + x.Name
	}
	return "a value that is not a mapping"
}

// stripComments drops comment lines, so a file of only comments counts as empty.
func stripComments(src []byte, ext string) string {
	var b strings.Builder
	for _, line := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case ext == ".cue" && strings.HasPrefix(t, "//"):
		case (ext == ".yaml" || ext == ".yml") && (strings.HasPrefix(t, "#") || t == "---"):
		default:
			b.WriteString(t)
		}
	}
	return b.String()
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return 0
}

func lineCol(src []byte, off int) (line, col int) {
	line = 1 + bytes.Count(src[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(src[:off], '\n')
	return line, col
}

func posLineCol(p token.Pos) (int, int) {
	if !p.IsValid() {
		return 1, 1
	}
	return p.Line(), p.Column()
}

func unwrapPathError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// dottedKeyRE finds an unquoted field name with a dot ("ttft.p95:"), which
// CUE reads as an expression, not a label.
var dottedKeyRE = regexp.MustCompile(`(^|[{,\s])([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)\s*:`)

// dottedKey looks for an unquoted dotted field name on the line of a CUE
// syntax error (or the line before it) and returns its position.
func dottedKey(src []byte, line int) (l, col int, key string, ok bool) {
	lines := strings.Split(string(src), "\n")
	for _, n := range []int{line, line - 1} {
		if n < 1 || n > len(lines) {
			continue
		}
		text := lines[n-1]
		if i := strings.Index(text, "//"); i >= 0 {
			text = text[:i]
		}
		if m := dottedKeyRE.FindStringSubmatchIndex(text); m != nil {
			return n, m[4] + 1, text[m[4]:m[5]], true
		}
	}
	return 0, 0, "", false
}
