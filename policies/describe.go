package policies

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// defPhrases say in words what a value of a schema definition looks like.
// TestEveryLeafIsDescribed fails when a definition used by #Policy lacks one.
var defPhrases = map[string]string{
	"#Duration":   `a duration such as "500ms", "30s" or "1m30s"`,
	"#Percent":    `a percentage such as "3%" or "2.5%"`,
	"#Rate":       `a number of requests per second greater than 0`,
	"#Status":     `an HTTP status code from 100 to 599`,
	"#Name":       `a lower-case name of letters, digits, "_" and "-" such as "steady" or "gpu_type"`,
	"#PolicyName": `a name of letters, digits, ".", "_" and "-" such as "chat-api"`,
	"#URL":        `an http:// or https:// URL such as "https://preview.example.com"`,
	"#Path":       `a path starting with "/" such as "/health"`,
	"#EnvName":    `an environment variable name such as "API_KEY"`,
	"#VarName":    `a variable name of letters, digits and "_" such as "embedding"`,
	"#HeaderName": `an HTTP header name such as "Authorization"`,
	"#PromName":   `a Prometheus metric name such as "vllm:num_requests_waiting"`,
	"#MetricRef":  `a metric such as "ttft.p95", "e2e.p99", "error_rate" or "server.kv_cache_usage.max"`,
	"#Limit":      `a limit such as "< 2s", "<= 50ms", "< 0.1%" or "> 20 req/s"`,
	"#Length":     `a token count such as 128, or a distribution such as {mean: 512, stddev: 128} or {min: 64, max: 256}`,
	"#EnvValue":   `{env: "NAME"} naming an environment variable, optionally with a prefix such as "Bearer "`,
}

// describe says in words what the schema expects of a node.
func describe(n *node) string {
	if n == nil {
		return "nothing here"
	}
	if p, ok := defPhrases[n.def]; ok {
		return p
	}
	switch n.kind {
	case listNode:
		return "a list of values, each " + describe(n.elem)
	case structNode:
		if n.isMap() {
			return fmt.Sprintf("a struct of fields named by %s, each %s", describeKey(n.key), describe(n.elem))
		}
		return "a struct with the fields " + strings.Join(n.fieldNames(nil), ", ")
	}
	s, _ := describeExpr(n.expr)
	return s
}

func describeKey(key string) string {
	if p, ok := defPhrases[key]; ok {
		return p
	}
	if key == "string" {
		return "any name"
	}
	return key
}

var kindWords = map[string]string{
	"string": "a string", "int": "a whole number", "number": "a number", "bool": "true or false",
	"null": "null", "_": "any value", "float": "a number",
}

// describeExpr describes a leaf type expression; ok is false when it had to
// fall back to CUE syntax.
func describeExpr(x ast.Expr) (s string, ok bool) {
	switch x := x.(type) {
	case *ast.Ident:
		if w, found := kindWords[x.Name]; found {
			return w, true
		}
		if p, found := defPhrases[x.Name]; found {
			return p, true
		}
	case *ast.BasicLit:
		return x.Value, true
	case *ast.StructLit:
		return "a struct", true
	case *ast.ParenExpr:
		return describeExpr(x.X)
	case *ast.UnaryExpr:
		if c, found := describeBound(x); found {
			return "a number " + c, true
		}
	case *ast.BinaryExpr:
		switch x.Op {
		case token.OR:
			alts := disjuncts(x)
			var lits, words []string
			all := true
			for _, a := range alts {
				w, good := describeExpr(a)
				ok = good
				if !good {
					all = false
					break
				}
				if l, isLit := a.(*ast.BasicLit); isLit && l.Kind == token.STRING {
					lits = append(lits, l.Value)
				}
				words = append(words, w)
			}
			if all && len(lits) == len(alts) {
				return "one of " + joinWords(lits, "or"), true
			}
			if all {
				return joinWords(words, "or"), true
			}
		case token.AND:
			return describeConj(x)
		}
	}
	return fmt.Sprintf("a value matching %s", formatExpr(x)), false
}

func describeConj(x *ast.BinaryExpr) (string, bool) {
	var base string
	var bounds []string
	for _, p := range conjuncts(x) {
		switch p := p.(type) {
		case *ast.Ident:
			w, ok := kindWords[p.Name]
			if !ok {
				return describeExpr(p)
			}
			base = w
		case *ast.UnaryExpr:
			if p.Op == token.NEQ {
				if l, ok := p.X.(*ast.BasicLit); ok && l.Value == `""` {
					base = "a non-empty string"
					continue
				}
			}
			c, ok := describeBound(p)
			if !ok {
				return fmt.Sprintf("a value matching %s", formatExpr(x)), false
			}
			bounds = append(bounds, c)
		default:
			return fmt.Sprintf("a value matching %s", formatExpr(x)), false
		}
	}
	if base == "" {
		base = "a number"
	}
	if len(bounds) == 0 {
		return base, true
	}
	return base + " " + joinWords(bounds, "and"), true
}

func describeBound(u *ast.UnaryExpr) (string, bool) {
	v := formatExpr(u.X)
	switch u.Op {
	case token.GTR:
		return "greater than " + v, true
	case token.GEQ:
		return "of at least " + v, true
	case token.LSS:
		return "less than " + v, true
	case token.LEQ:
		return "of at most " + v, true
	case token.NEQ:
		return "other than " + v, true
	}
	return "", false
}

func conjuncts(x ast.Expr) []ast.Expr {
	if b, ok := x.(*ast.BinaryExpr); ok && b.Op == token.AND {
		return append(conjuncts(b.X), conjuncts(b.Y)...)
	}
	if p, ok := x.(*ast.ParenExpr); ok {
		return conjuncts(p.X)
	}
	return []ast.Expr{x}
}

// joinWords joins "a", "b", "c" as "a, b or c".
func joinWords(words []string, conj string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}
