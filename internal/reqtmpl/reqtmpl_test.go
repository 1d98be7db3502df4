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
