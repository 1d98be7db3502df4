package policies

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// rewordedError is one of CUE's errors with other words: its path and
// positions are CUE's, its message is not.
type rewordedError struct {
	cue cueerrors.Error
	msg string
}

func (e rewordedError) Position() token.Pos         { return e.cue.Position() }
func (e rewordedError) InputPositions() []token.Pos { return e.cue.InputPositions() }
func (e rewordedError) Path() []string              { return e.cue.Path() }
func (e rewordedError) Msg() (string, []any)        { return "%s", []any{e.msg} }
func (e rewordedError) Error() string               { return e.msg }

var _ cueerrors.Error = rewordedError{}

// rewordings give every error of a validation the same new message. Besides
// neutral words, they use CUE's own phrases for other kinds of problem, so
// that a classification by message would send errors down the wrong branch.
var rewordings = map[string]string{
	"neutral":     "the value does not validate",
	"unknown":     "field not allowed",
	"missing":     "required field missing: name",
	"required":    "field is required but not present",
	"incomplete":  "incomplete value string",
	"disjunction": "2 errors in empty disjunction:",
}

// TestMessagesIgnoreCUEWording parses every broken policy with CUE's error
// messages reworded and expects exactly the messages of Parse: what a
// policy error says must follow from the error's path and position and
// from the schema, never from how CUE happens to phrase it.
func TestMessagesIgnoreCUEWording(t *testing.T) {
	files, err := filepath.Glob("../testdata/policies/bad/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no broken policies (%v)", err)
	}
	cases := map[string][]byte{
		"all.cue": []byte(allErrorsAtOnce),
		"nested-missing.cue": []byte(minimal + `
target: headers: Authorization: {prefix: "Bearer "}
`),
		"incomplete.cue": []byte(minimal + `
scenarios: steady: rate: >0
`),
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases[filepath.Base(f)] = src
	}
	for name, src := range cases {
		wantErr, wantClasses := parseTraced(name, src, "")
		for _, msg := range rewordings {
			err, classes := parseTraced(name, src, msg)
			if classes != wantClasses {
				t.Errorf("%s, CUE's messages reworded as %q: classified\n%s\nwant\n%s", name, msg, classes, wantClasses)
			}
			if err != wantErr {
				t.Errorf("%s, CUE's messages reworded as %q:\ngot:\n%s\nwant:\n%s", name, msg, err, wantErr)
			}
		}
	}
}

// parseTraced parses src, with every message of CUE replaced by reword
// unless it is "", and returns the error and how each pass classified
// CUE's errors.
func parseTraced(name string, src []byte, reword string) (errText, classes string) {
	var b strings.Builder
	c := &checker{filename: name, trace: func(g errGroup) { fmt.Fprintf(&b, "%d %q\n", g.cat, g.path) }}
	if reword != "" {
		c.errorsOf = func(err error) []cueerrors.Error {
			var out []cueerrors.Error
			for _, e := range cueerrors.Errors(err) {
				out = append(out, rewordedError{e, reword})
			}
			return out
		}
	}
	_, err := parse(c, src)
	return fmt.Sprint(err), b.String()
}

// TestConsequencesStayQuiet: what CUE reports only because of a problem
// already reported (the schema's definition checked on its own, a struct
// made incomplete by a missing field its comprehensions read, the fields of
// a scenario whose kind is wrong) adds no message of its own.
func TestConsequencesStayQuiet(t *testing.T) {
	for src, want := range map[string]string{
		`name: "x"
target: "< 2"
scenarios: steady: rate: 5
`: `c.cue:2:9: target: expected a struct with the fields url, api, model, stream, headers, timeout, ready, metrics, baseline_url, prometheus, found "< 2"`,
		`name: "x"
target: {url: "http://127.0.0.1:1", model: "m"}
scenarios: steady: rate: 5
`: `c.cue:2:1: target.api: this field is required; expected one of "openai-chat", "openai-completions" or "http"`,
		`name: "x"
target: {url: "http://127.0.0.1:1", api: "http"}
workload: requests: [{path: "/", body: {instances: [>0]}}]
scenarios: steady: rate: 5
`: `c.cue:3:53: workload.requests[0].body.instances[0]: expected a concrete value, found an incomplete value`,
	} {
		_, err := Parse("c.cue", []byte(src))
		if got := fmt.Sprint(err); got != want {
			t.Errorf("%s\ngot:\n%s\nwant:\n%s", src, got, want)
		}
	}
}
