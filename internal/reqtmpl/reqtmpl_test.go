package reqtmpl

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, ok := range []string{
		`{"q": {{json .prompt}}, "n": {{.max_tokens}}}`,
		`/items/{{path .id}}`,
		`{{if .x}}a{{else}}b{{end}}{{with .y}}{{.}}{{end}}`,
		`plain text`,
	} {
		if _, err := Parse("body", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for src, want := range map[string]string{
		`{{range 1000000000}}x{{end}}`:                  "{{range}} is not allowed",
		`{{if .x}}{{range .y}}{{end}}{{end}}`:           "{{range}} is not allowed",
		`{{with .x}}{{else}}{{range .y}}{{end}}{{end}}`: "{{range}} is not allowed",
		`{{define "a"}}{{template "a"}}{{end}}{{.x}}`:   `defines template "a"`,
		`{{block "b" .}}x{{end}}`:                       `defines template "b"`,
		`{{nofunc .x}}`:                                 `function "nofunc" not defined`,
		`{{.x`:                                          "unclosed action",
	} {
		if _, err := Parse("body", src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}

func TestFields(t *testing.T) {
	tm, err := Parse("t", `{{.a}} {{json .b}} {{if .c}}{{path .d}}{{else}}{{.a}}{{end}}{{with .e}}{{.}}{{.sub}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Fields(tm), ","); got != "a,b,c,d,e" {
		t.Errorf("Fields = %s", got)
	}
}

func TestPathError(t *testing.T) {
	for path, bad := range map[string]bool{"data.0.embedding": false, "results.#.text": false, `a\.b`: false, `a.#(name=="x").v`: false,
		"": true, ".a": true, "a..b": true, "a.": true, "a[0": true, " a": true, `a."b`: true, "a)": true} {
		if got := PathError(path) != ""; got != bad {
			t.Errorf("PathError(%q) = %q", path, PathError(path))
		}
	}
}
