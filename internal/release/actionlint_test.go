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

// perfgateCalls returns the perfgate commands of a shell text: each as its
// subcommand and its --flags, continuation lines joined.
var perfgateCall = regexp.MustCompile(`(?:^|[\s;(|&])perfgate ([a-z]+)((?:\\\n|[^\n;|&])*)`)
var flagRe = regexp.MustCompile(`(?:^|\s)--([a-z][a-z-]*)`)

func perfgateCalls(text string) map[string][]string {
	out := map[string][]string{}
	for _, m := range perfgateCall.FindAllStringSubmatch(text, -1) {
		for _, f := range flagRe.FindAllStringSubmatch(m[2], -1) {
			out[m[1]] = append(out[m[1]], f[1])
		}
		if _, ok := out[m[1]]; !ok {
			out[m[1]] = nil
		}
	}
	return out
}

// TestCISnippets checks the examples for other CI systems and every shell
// example: each GitLab job's JUnit report is the junit.xml of its --out, and
// every flag given to a perfgate command in a ```sh block or a GitLab
// script is one that command has (its help names every flag it has, which
// cmd/perfgate's TestUsageListsEveryFlag checks).
func TestCISnippets(t *testing.T) {
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	docs = append(docs, filepath.Join(root, "README.md"))
	shFence := regexp.MustCompile("(?s)```sh\n(.*?)\n```")
	var scripts []string
	gitlab := 0
	for _, md := range docs {
		b, _ := os.ReadFile(md)
		for _, m := range shFence.FindAllStringSubmatch(string(b), -1) {
			scripts = append(scripts, m[1])
		}
		for _, sn := range yamlSnippets(t, md) {
			if _, kind := workflowOf(t, sn); kind != "gitlab" {
				continue
			}
			gitlab++
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(sn.text), &doc); err != nil {
				t.Fatal(err)
			}
			for name, job := range doc {
				j, ok := job.(map[string]any)
				if !ok || j["script"] == nil {
					continue
				}
				script := fmt.Sprint(j["script"])
				scripts = append(scripts, script)
				out := regexp.MustCompile(`--out (\S+)`).FindStringSubmatch(script)
				junit := fmt.Sprint(get(j, "artifacts", "reports", "junit"))
				if out == nil || junit != out[1]+"/junit.xml" {
					t.Errorf("%s:%d: job %s: JUnit report %q is not the junit.xml of --out %v", sn.file, sn.line, name, junit, out)
				}
			}
		}
	}
	if gitlab == 0 {
		t.Fatal("no GitLab CI example in the docs")
	}
	checked := 0
	for _, s := range scripts {
		for cmd, flags := range perfgateCalls(s) {
			help, err := os.ReadFile(filepath.Join(root, "cmd", "perfgate", "help", cmd+".txt"))
			if err != nil {
				continue // not a perfgate subcommand (a word in a comment)
			}
			for _, f := range flags {
				checked++
				if !strings.Contains(string(help), "--"+f) {
					t.Errorf("perfgate %s --%s in an example: perfgate %s has no such flag\n%s", cmd, f, cmd, s)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d flags checked: is the extraction broken?", checked)
	}
}
