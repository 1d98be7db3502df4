package release

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
)

const root = "../.."

// snippet is one fenced ```yaml block of a Markdown file.
type snippet struct {
	file string
	line int // of the opening fence
	text string
}

var fence = regexp.MustCompile("(?m)^```ya?ml[ \t]*\n")

// yamlSnippets returns the ```yaml blocks of a Markdown file.
func yamlSnippets(t *testing.T, path string) []snippet {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	var out []snippet
	for _, loc := range fence.FindAllStringIndex(s, -1) {
		body := s[loc[1]:]
		end := strings.Index(body, "\n```")
		if end < 0 {
			t.Fatalf("%s: unclosed ```yaml block at byte %d", path, loc[0])
		}
		out = append(out, snippet{file: path, line: strings.Count(s[:loc[0]], "\n") + 1, text: body[:end+1]})
	}
	return out
}

// workflowOf turns a snippet into a workflow actionlint can check: a
// workflow as it is; a list of steps inside a one-job workflow. Other YAML
// (a GitLab CI file, a policy) is not a GitHub workflow: "" and its kind.
func workflowOf(t *testing.T, sn snippet) (wf, kind string) {
	var v any
	if err := yaml.Unmarshal([]byte(sn.text), &v); err != nil {
		t.Errorf("%s:%d: the snippet is not YAML: %v", sn.file, sn.line, err)
		return "", "broken"
	}
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["jobs"]; ok {
			return sn.text, "workflow"
		}
		if _, ok := v["stages"]; ok {
			return "", "gitlab"
		}
		for _, k := range []string{"uses", "steps", "runs-on"} {
			if _, ok := v[k]; ok {
				t.Errorf("%s:%d: a workflow fragment that is neither a workflow nor a list of steps", sn.file, sn.line)
			}
		}
		return "", "other"
	case []any:
		var b strings.Builder
		b.WriteString("on: push\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n")
		for _, l := range strings.Split(strings.TrimRight(sn.text, "\n"), "\n") {
			b.WriteString("      " + l + "\n")
		}
		return b.String(), "steps"
	}
	return "", "other"
}

func newLinter(t *testing.T) (*actionlint.Linter, *actionlint.Project) {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{WorkingDir: abs})
	if err != nil {
		t.Fatal(err)
	}
	p, err := actionlint.NewProject(abs)
	if err != nil {
		t.Fatal(err)
	}
	return l, p
}

func report(errs []*actionlint.Error) string {
	var b bytes.Buffer
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  %d:%d: %s [%s]", e.Line, e.Column, e.Message, e.Kind)
	}
	return b.String()
}

// TestActionlintWorkflows runs actionlint (the library, so no binary is
// needed) on every workflow of .github/workflows. Shellcheck and pyflakes
// are not run (they are external programs); the expressions, contexts,
// inputs of local actions, permissions and job graph are checked.
func TestActionlintWorkflows(t *testing.T) {
	l, p := newLinter(t)
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("workflows: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		errs, err := l.Lint(f, b, p)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(errs) > 0 {
			t.Errorf("%s:%s", f, report(errs))
		}
	}
}

// TestActionlintSnippets checks every workflow and every list of steps in
// a ```yaml block of README.md and docs/*.md with actionlint, as a reader
// would paste it. A GitLab CI file is not a workflow and is checked by
// TestGitLabSnippets.
func TestActionlintSnippets(t *testing.T) {
	l, p := newLinter(t)
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	kinds := map[string]int{}
	for _, md := range append([]string{filepath.Join(root, "README.md")}, docs...) {
		for _, sn := range yamlSnippets(t, md) {
			wf, kind := workflowOf(t, sn)
			kinds[kind]++
			if wf == "" {
				continue
			}
			name := fmt.Sprintf("%s:%d", filepath.Base(sn.file), sn.line)
			errs, err := l.Lint(name+".yml", []byte(wf), p)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(errs) > 0 {
				t.Errorf("%s (a %s snippet):%s\n%s", name, kind, report(errs), wf)
			}
		}
	}
	if kinds["workflow"] < 4 || kinds["steps"] < 1 {
		t.Errorf("snippets found by kind: %v; the docs have more workflows than that (is the extraction broken?)", kinds)
	}
	t.Logf("snippets checked: %v", kinds)
}
