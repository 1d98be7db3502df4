package ghaction

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/policies"
)

func fakeAction(t *testing.T) (*githubactions.Action, *bytes.Buffer, string, string) {
	t.Helper()
	dir := t.TempDir()
	out, sum := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	env := map[string]string{"GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": sum}
	var log bytes.Buffer
	a := githubactions.New(githubactions.WithWriter(&log), githubactions.WithGetenv(func(k string) string { return env[k] }))
	return a, &log, out, sum
}

func TestPublishWritesOutputsAndSummary(t *testing.T) {
	a, _, out, sum := fakeAction(t)
	md := "<!-- perfgate:policy=p -->\n## perfgate: FAIL\n\nline two\n"
	err := Publish(a, Outputs{Verdict: "fail", ReportPath: "r/report.json", CommentURL: "https://x/1", Capacity: 12.5, Summary: "ttft.p95 is 20% worse."}, md)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := os.ReadFile(out)
	for _, want := range []string{"verdict<<_GitHubActionsFileCommandDelimeter_\nfail\n", "report-path<<", "r/report.json", "comment-url<<", "https://x/1", "capacity<<_GitHubActionsFileCommandDelimeter_\n12.5\n", "ttft.p95 is 20% worse."} {
		if !strings.Contains(string(o), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, o)
		}
	}
	s, _ := os.ReadFile(sum)
	if string(s) != md+"\n" {
		t.Errorf("summary %q, want the comment Markdown", s)
	}
	// Unwritable files are errors, not panics.
	bad := githubactions.New(githubactions.WithGetenv(func(k string) string {
		if k == "GITHUB_OUTPUT" {
			return filepath.Join(t.TempDir(), "no", "such", "dir", "out")
		}
		return ""
	}))
	if err := Publish(bad, Outputs{Verdict: "pass"}, md); err == nil {
		t.Error("an unwritable GITHUB_OUTPUT gave no error")
	}
}

func TestAnnotations(t *testing.T) {
	a, log, _, _ := fakeAction(t)
	perr := policies.Errors{
		{Pos: policies.Position{Filename: "perf/chat.cue", Line: 12, Col: 5}, Path: "slos.ttft", Msg: "expected a duration, got 3"},
		{Pos: policies.Position{Filename: "perf/chat.cue", Line: 20, Col: 1}, Msg: "unknown field: scenario"},
	}
	anns := PolicyAnnotations(perr)
	if len(anns) != 2 || anns[0].Line != 12 || anns[0].Col != 5 || anns[0].File != "perf/chat.cue" || anns[0].Message != "slos.ttft: expected a duration, got 3" {
		t.Fatalf("policy annotations %+v", anns)
	}
	v := &gate.Verdict{Outcome: gate.Fail, Reason: "r", Checks: []gate.Check{
		{Scenario: "steady", Name: "ttft.p95", Gating: true, Verdict: gate.Fail, Reason: "TTFT p95 is 21% worse [12%, 30%]."},
		{Scenario: "steady", Name: "tpot.p95", Gating: true, Verdict: gate.Warn, Reason: "maybe worse"},
		{Scenario: "steady", Name: "itl.p99", Gating: false, Verdict: gate.Fail, Reason: "informational"},
		{Scenario: "steady", Name: "rps", Gating: true, Verdict: gate.Pass},
	}}
	vanns := VerdictAnnotations(v, "perf/chat.cue")
	if len(vanns) != 2 || vanns[0].Level != LevelError || vanns[1].Level != LevelWarning {
		t.Fatalf("verdict annotations %+v", vanns)
	}
	Annotate(a, append(anns, vanns...))
	got := log.String()
	for _, want := range []string{
		"::error col=5,file=perf/chat.cue,line=12,title=perfgate policy::slos.ttft: expected a duration, got 3\n",
		"::error file=perf/chat.cue,title=perfgate fail%3A steady ttft.p95::TTFT p95 is 21%25 worse [12%25, 30%25].\n",
		"::warning file=perf/chat.cue,title=perfgate warn%3A steady tpot.p95::maybe worse\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "informational") {
		t.Error("an informational check was annotated")
	}
	if inv := VerdictAnnotations(&gate.Verdict{Outcome: gate.Invalid, Reason: "load generator fell behind"}, "p.cue"); len(inv) != 1 || inv[0].Level != LevelError {
		t.Errorf("invalid run: %+v", inv)
	}
}
