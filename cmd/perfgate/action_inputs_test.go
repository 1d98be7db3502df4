package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/internal/fakegithub"
)

// writePolicies writes policies named action-pass and action-fail (an SLO
// no run can meet) into dir/perf and returns the glob naming both.
func writePolicies(t *testing.T, h *actionHarness) string {
	t.Helper()
	dir := filepath.Join(h.dir, "perf")
	os.MkdirAll(dir, 0o755)
	pass := strings.Replace(actionPolicy, `name: "action-e2e"`, `name: "action-pass"`, 1)
	fail := strings.Replace(strings.Replace(actionPolicy, `name: "action-e2e"`, `name: "action-fail"`, 1), `"ttft.p95":   "< 10s"`, `"ttft.mean":  "< 1ms"`, 1)
	for name, body := range map[string]string{"a.cue": pass, "b.cue": fail} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "*.cue")
}

// TestActionSeveralPoliciesAndMention runs two policies named by a glob on
// a pull request: one sticky comment each, keyed by its policy, the job
// summary with both, each policy's reports in OUT/POLICY (report.html
// too), outputs for the worst (the failing one, named in the summary), the
// mention input's line only in the failing policy's comment, and exit 1.
func TestActionSeveralPoliciesAndMention(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for several seconds")
	}
	h := newActionHarness(t)
	h.env["INPUT_POLICY"] = writePolicies(t, h)
	h.env["INPUT_MENTION"] = "@alice, acme/perf-team"
	h.env["INPUT_STORE"] = "none"
	code, stdout, stderr := h.run("pull_request", "pull_request_same_repo.json")
	if code != exitFail {
		t.Fatalf("exit %d, want 1 (one policy fails)\n%s\n%s", code, stdout, stderr)
	}
	cs := h.gh.Comments("acme", "chat", 42)
	if len(cs) != 2 {
		t.Fatalf("%d comments, want one per policy", len(cs))
	}
	bodies := map[string]string{}
	for _, c := range cs {
		for _, name := range []string{"action-pass", "action-fail"} {
			if strings.HasPrefix(c.Body, report.Marker(name)) {
				bodies[name] = c.Body
			}
		}
	}
	const cc = "cc @alice @acme/perf-team"
	if !strings.Contains(bodies["action-fail"], cc) {
		t.Errorf("the failing policy's comment does not mention:\n%s", bodies["action-fail"])
	}
	if bodies["action-pass"] == "" || strings.Contains(bodies["action-pass"], "@alice") {
		t.Errorf("the passing policy's comment: %q", bodies["action-pass"])
	}
	out := h.outputs()
	if out["verdict"] != "fail" || !strings.HasPrefix(out["summary"], "action-fail: ") || !strings.Contains(out["report-path"], filepath.Join("out", "action-fail")) {
		t.Errorf("outputs %v, want the failing policy's", out)
	}
	summary, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	if !strings.Contains(string(summary), report.Marker("action-pass")) || !strings.Contains(string(summary), report.Marker("action-fail")) {
		t.Error("the job summary lacks a policy")
	}
	for _, name := range []string{"action-pass", "action-fail"} {
		if _, err := os.Stat(filepath.Join(h.env["INPUT_OUT"], name, "report.html")); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := h.gh.Calls(fakegithub.OpCreateIssueComment); n != 2 {
		t.Errorf("%d comments created", n)
	}

	// A third policy that cannot run: the others still run and comment,
	// the outputs say invalid (reported last), the exit code is 2.
	os.WriteFile(filepath.Join(h.dir, "perf", "c.cue"), []byte("name: \"broken\"\n"), 0o644)
	code, stdout, stderr = h.run("pull_request", "pull_request_same_repo.json")
	if code != exitInvalid || h.outputs()["verdict"] != "invalid" || len(h.gh.Comments("acme", "chat", 42)) != 2 {
		t.Errorf("with a broken policy: exit %d, outputs %v, %d comments\n%s\n%s", code, h.outputs(), len(h.gh.Comments("acme", "chat", 42)), stdout, stderr)
	}
}

// TestActionValidateOnly checks policies and runs nothing: the target is a
// closed port, so any load would fail. A broken policy is an annotation
// and exit 2; valid ones are exit 0 with verdict pass; no comment either way.
func TestActionValidateOnly(t *testing.T) {
	h := newActionHarness(t)
	glob := writePolicies(t, h)
	h.env["INPUT_POLICY"] = glob
	h.env["INPUT_VALIDATE-ONLY"] = "true"
	h.env["INPUT_TARGET"] = "http://127.0.0.1:1"
	code, stdout, stderr := h.run("pull_request", "pull_request_same_repo.json")
	if code != exitPass || h.outputs()["verdict"] != "pass" {
		t.Fatalf("valid policies: exit %d, outputs %v\n%s\n%s", code, h.outputs(), stdout, stderr)
	}
	summary, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	if !strings.Contains(string(summary), "a.cue`: ok") || !strings.Contains(string(summary), "b.cue`: ok") {
		t.Errorf("summary:\n%s", summary)
	}
	os.WriteFile(filepath.Join(h.dir, "perf", "c.cue"), []byte("name: \"broken\"\nscenarios: steady: {rate: -1}\n"), 0o644)
	code, stdout, _ = h.run("pull_request", "pull_request_same_repo.json")
	if code != exitInvalid || h.outputs()["verdict"] != "invalid" || !strings.Contains(stdout, "::error ") || !strings.Contains(stdout, "c.cue") {
		t.Errorf("a broken policy: exit %d, outputs %v\n%s", code, h.outputs(), stdout)
	}
	if n := len(h.gh.Comments("acme", "chat", 42)); n != 0 {
		t.Errorf("validate-only commented (%d)", n)
	}
	if _, err := os.Stat(h.env["INPUT_OUT"]); err == nil {
		t.Error("validate-only wrote reports")
	}
}

// TestActionBadInputs: args outside the accepted flags, a scenario no
// policy has, a malformed mention and a glob matching nothing are each
// exit 2 with a message naming the input, before any load.
func TestActionBadInputs(t *testing.T) {
	for _, c := range []struct{ input, value, want string }{
		{"INPUT_ARGS", "--max-lag 1s --target http://evil", "accepted: --max-lag DURATION"},
		{"INPUT_ARGS", "--max-lag soon", "invalid value"},
		{"INPUT_SCENARIOS", "stedy", `did you mean "steady"?`},
		{"INPUT_MENTION", "@alice; rm -rf", "mention"},
		{"INPUT_POLICY", "nothing/*.cue", "matches no file"},
		{"INPUT_VALIDATE-ONLY", "yes", "validate-only"},
		{"INPUT_POLICY", "SELF,SELF-COPY", `are both named "action-e2e"`},
	} {
		h := newActionHarness(t)
		h.env["INPUT_TARGET"] = "http://127.0.0.1:1"
		h.env[c.input] = c.value
		if c.value == "SELF,SELF-COPY" {
			self := filepath.Join(h.dir, "perf.cue")
			b, _ := os.ReadFile(self)
			os.WriteFile(filepath.Join(h.dir, "copy.cue"), b, 0o644)
			h.env[c.input] = self + "," + filepath.Join(h.dir, "copy.cue")
		}
		code, stdout, stderr := h.run("pull_request", "pull_request_same_repo.json")
		if code != exitInvalid || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("%s=%q: exit %d, want 2 saying %q\n%s\n%s", c.input, c.value, code, c.want, stdout, stderr)
		}
	}
}

// TestActionLoopbackInContainer: in the Docker action's container
// (GITHUB_WORKSPACE=/github/workspace) a localhost target that refuses
// connections is reported as such, with both fixes, exit 3, no load.
func TestActionLoopbackInContainer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	h := newActionHarness(t)
	h.env["GITHUB_WORKSPACE"] = "/github/workspace"
	h.env["INPUT_TARGET"] = "http://" + strings.Replace(closed, "127.0.0.1", "localhost", 1)
	code, stdout, stderr := h.run("pull_request", "pull_request_same_repo.json")
	all := stdout + stderr
	for _, want := range []string{"is on localhost and refuses connections from inside the action's container", "services", "perfgate/perfgate/setup@v1"} {
		if !strings.Contains(all, want) {
			t.Errorf("the message lacks %q:\n%s", want, all)
		}
	}
	if code != exitNoTrust {
		t.Errorf("exit %d, want 3", code)
	}
}
