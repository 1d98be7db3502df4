package ghaction

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/internal/inert/inerttest"
)

// TestHostileTextInAnnotationsAndFailure: annotations quote check reasons
// and policy errors, the job summary of a job that could not run quotes
// its error; none of them may keep a mention, reference or link.
func TestHostileTextInAnnotationsAndFailure(t *testing.T) {
	h := inerttest.Hostile
	var out bytes.Buffer
	dir := t.TempDir()
	env := map[string]string{"GITHUB_STEP_SUMMARY": dir + "/summary", "GITHUB_OUTPUT": dir + "/output"}
	a := githubactions.New(githubactions.WithWriter(&out), githubactions.WithGetenv(func(k string) string { return env[k] }))
	v := &gate.Verdict{Outcome: gate.Invalid, Reason: h, Checks: []gate.Check{{Scenario: "steady", Name: "e2e.p95", Gating: true, Verdict: gate.Fail, Reason: h}}}
	Annotate(a, append(VerdictAnnotations(v, "perf.cue"), PolicyAnnotations(errors.New(h))...))
	if n := strings.Count(out.String(), "::error"); n != 3 {
		t.Fatalf("%d annotations:\n%s", n, out.String())
	}
	if found := inerttest.Forbidden(out.String(), false); len(found) > 0 {
		t.Errorf("annotations keep %q:\n%s", found, out.String())
	}
	j := &Job{Action: a, Log: &out}
	j.Fail(errors.New(h))
	summary := readFile(t, env["GITHUB_STEP_SUMMARY"])
	if !strings.Contains(summary, "octocat") {
		t.Fatalf("the error is not in the job summary:\n%s", summary)
	}
	if found := inerttest.Forbidden(summary, true); len(found) > 0 {
		t.Errorf("the job summary keeps %q:\n%s", found, summary)
	}
	if found := inerttest.Forbidden(readFile(t, env["GITHUB_OUTPUT"]), false); len(found) > 0 {
		t.Errorf("the outputs keep %q", found)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
