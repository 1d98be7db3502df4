package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/internal/fakegithub"
)

// actionPolicy is a short policy: a few seconds of load on the simulator.
const actionPolicy = `name: "action-e2e"
target: {
	url:   "http://127.0.0.1:1"
	api:   "openai-chat"
	model: "sim-llama-3.1-8b"
	ready: timeout: "10s"
}
workload: prompts: {input_tokens: {mean: 128, stddev: 16, min: 32, max: 256}, output_tokens: 32}
scenarios: steady: {rate: 10, warmup: "500ms", duration: "2s", window: "500ms"}
slos: {
	"ttft.p95":   "< 10s"
	"error_rate": "< 50%"
}
regression: gate: ["ttft.p95", "error_rate"]
`

// actionHarness is a GitHub-like environment for perfgate action: a fake
// API holding acme/chat with pull request 42, a simulator, the policy, and
// the files of GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
type actionHarness struct {
	t      *testing.T
	gh     *fakegithub.Server
	dir    string
	simURL string
	env    map[string]string
}

const testToken = "ghs_e2eTestToken1234567890"

func newActionHarness(t *testing.T) *actionHarness {
	t.Helper()
	gh := fakegithub.New()
	t.Cleanup(gh.Close)
	gh.RequireToken(testToken)
	if err := gh.CreateRepo("acme", "chat", "main"); err != nil {
		t.Fatal(err)
	}
	if err := gh.CreateIssue("acme", "chat", 42); err != nil {
		t.Fatal(err)
	}
	if err := gh.CreateIssue("acme", "chat", 57); err != nil {
		t.Fatal(err)
	}
	// A slow model makes each request long, so the schedule-lag tolerance
	// (a share of the median latency) absorbs a busy test machine.
	cfg := sim.DefaultConfig()
	cfg.Slowdown = 5
	url, _, stop, err := sim.Listen(cfg, "127.0.0.1:0", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	policy := filepath.Join(dir, "perf.cue")
	if err := os.WriteFile(policy, []byte(actionPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	h := &actionHarness{t: t, gh: gh, dir: dir, simURL: url}
	h.env = map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true",
		"GITHUB_API_URL":           strings.TrimSuffix(gh.URL, "/"),
		"PERFGATE_MAX_LAG":         testGetenv("PERFGATE_MAX_LAG"), // see testGetenv
		"GITHUB_REPOSITORY":        "acme/chat",
		"GITHUB_SERVER_URL":        "https://github.test",
		"GITHUB_RUN_ID":            "1",
		"INPUT_POLICY":             policy,
		"INPUT_TARGET":             url,
		"INPUT_GITHUB-TOKEN":       testToken,
		"INPUT_STORE":              "dir:" + filepath.Join(dir, "store"),
		"INPUT_SAVE-BASELINE":      "auto",
		"INPUT_FAIL-ON":            "fail",
		"INPUT_COMMENT":            "always",
		"INPUT_OUT":                filepath.Join(dir, "out"),
		"GITHUB_OUTPUT":            filepath.Join(dir, "github_output"),
		"GITHUB_STEP_SUMMARY":      filepath.Join(dir, "step_summary"),
		"INPUT_LABELS":             "runner=test",
		"RUNNER_TEMP":              dir,
		"GITHUB_WORKSPACE":         dir,
		"GITHUB_RETENTION_DAYS":    "90",
		"GITHUB_REF_PROTECTED":     "false",
		"GITHUB_ACTION_REPOSITORY": "perfgate/perfgate",
	}
	return h
}

// run runs perfgate action for an event fixture and returns the exit code
// and what it printed on stdout (workflow commands) and stderr.
func (h *actionHarness) run(event, fixture string) (int, string, string) {
	h.t.Helper()
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		os.Remove(h.env[f])
	}
	h.env["GITHUB_EVENT_NAME"] = event
	h.env["GITHUB_EVENT_PATH"] = filepath.Join("..", "..", "testdata", "events", fixture)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"action"}, func(k string) string { return h.env[k] }, &stdout, &stderr)
	if strings.Contains(stdout.String()+stderr.String(), testToken) && !strings.Contains(stdout.String(), "::add-mask::"+testToken) {
		h.t.Errorf("the token was printed")
	}
	return code, stdout.String(), stderr.String()
}

func (h *actionHarness) outputs() map[string]string {
	h.t.Helper()
	data, err := os.ReadFile(h.env["GITHUB_OUTPUT"])
	if err != nil {
		h.t.Fatalf("GITHUB_OUTPUT: %v", err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func (h *actionHarness) report() report.JSONReport {
	h.t.Helper()
	data, err := os.ReadFile(filepath.Join(h.env["INPUT_OUT"], "report.json"))
	if err != nil {
		h.t.Fatal(err)
	}
	var r report.JSONReport
	if err := json.Unmarshal(data, &r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func TestActionStickyCommentAndDirBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for several seconds")
	}
	h := newActionHarness(t)

	// A push to main saves the baseline.
	code, stdout, stderr := h.run("push", "push_main.json")
	if code != exitPass {
		t.Fatalf("push: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "::add-mask::"+testToken) {
		t.Errorf("the token was not masked:\n%s", stdout)
	}
	if !strings.Contains(stderr, "saved run record") {
		t.Errorf("push did not save a baseline:\n%s", stderr)
	}
	if n := len(h.gh.Comments("acme", "chat", 42)); n != 0 {
		t.Errorf("a push commented (%d)", n)
	}

	// The PR run compares with main's history and creates one comment.
	code, stdout, stderr = h.run("pull_request", "pull_request_same_repo.json")
	if code != exitPass {
		t.Fatalf("PR: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if r := h.report(); r.Mode != "history" || r.Branch != "batch-prefill" || r.Commit != "9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912" {
		t.Errorf("report: mode %q branch %q commit %q, want history against main's baseline", r.Mode, r.Branch, r.Commit)
	}
	if strings.Contains(stderr, "saved run record") {
		t.Error("a PR run saved a baseline")
	}
	cs := h.gh.Comments("acme", "chat", 42)
	if len(cs) != 1 || !strings.HasPrefix(cs[0].Body, report.Marker("action-e2e")) {
		t.Fatalf("comments after the first PR run: %+v", cs)
	}
	out := h.outputs()
	if out["verdict"] == "" || out["comment-url"] == "" || !strings.HasSuffix(out["report-path"], "report.json") || out["summary"] == "" {
		t.Errorf("outputs %v", out)
	}
	summary, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	if string(summary) != cs[0].Body+"\n" {
		t.Errorf("the summary is not the comment:\n%s\n---\n%s", summary, cs[0].Body)
	}

	// A second run updates the same comment.
	code, stdout, stderr = h.run("pull_request", "pull_request_same_repo.json")
	if code != exitPass {
		t.Fatalf("second PR run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	cs2 := h.gh.Comments("acme", "chat", 42)
	if len(cs2) != 1 || cs2[0].ID != cs[0].ID {
		t.Fatalf("comments after the second run: %+v", cs2)
	}
	if got := h.gh.Calls(fakegithub.OpCreateIssueComment); got != 1 {
		t.Errorf("%d comments created, want 1", got)
	}
	if h.outputs()["comment-url"] != out["comment-url"] {
		t.Errorf("comment-url changed: %q, %q", h.outputs()["comment-url"], out["comment-url"])
	}
}

func TestActionBranchStoreAndReadOnlyForkPR(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for several seconds")
	}
	h := newActionHarness(t)
	h.env["INPUT_STORE"] = "branch:perfgate-baselines"

	code, stdout, stderr := h.run("push", "push_main.json")
	if code != exitPass {
		t.Fatalf("push: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, ok := h.gh.Head("acme", "chat", "perfgate-baselines"); !ok {
		t.Fatalf("no baseline branch after the push:\n%s", stderr)
	}

	// A fork PR gets a read-only token: the baseline is still read, the
	// comment falls back to the summary, and the gate does not fail.
	h.gh.SetReadOnly(true)
	code, stdout, stderr = h.run("pull_request", "pull_request_fork.json")
	if code != exitPass {
		t.Fatalf("fork PR: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if r := h.report(); r.Mode != "history" {
		t.Errorf("fork PR mode %q, want history from the branch store", r.Mode)
	}
	if !strings.Contains(stdout, "::notice::perfgate: could not write the comment on #57") || !strings.Contains(stdout, "workflow_run") {
		t.Errorf("no read-only notice:\n%s", stdout)
	}
	if n := len(h.gh.Comments("acme", "chat", 57)); n != 0 {
		t.Errorf("%d comments on the fork PR", n)
	}
	out := h.outputs()
	if out["comment-url"] != "" || out["verdict"] == "" {
		t.Errorf("outputs %v", out)
	}
	if summary, _ := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"]); !strings.HasPrefix(string(summary), report.Marker("action-e2e")) {
		t.Errorf("summary %q", summary)
	}

	// The workflow_run job publishes that report with a write token, after
	// checking the PR number against the run's head commit.
	h.gh.SetReadOnly(false)
	if err := h.gh.CreatePull("acme", "chat", fakegithub.Pull{Number: 57, HeadRef: "main", HeadSHA: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12", HeadRepo: "outsider/chat", BaseRef: "main"}); err != nil {
		t.Fatal(err)
	}
	h.env["INPUT_REPORT-DIR"] = h.env["INPUT_OUT"]
	h.env["INPUT_PR-NUMBER"] = "42" // forged: 42 is not the fork's PR
	if code, stdout, _ := h.run("workflow_run", "workflow_run_fork.json"); code == exitPass || len(h.gh.Comments("acme", "chat", 42)) != 0 {
		t.Errorf("a forged PR number was commented on (exit %d):\n%s", code, stdout)
	}
	h.env["INPUT_PR-NUMBER"] = "57"
	code, stdout, stderr = h.run("workflow_run", "workflow_run_fork.json")
	if code != exitPass {
		t.Fatalf("publish: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if cs := h.gh.Comments("acme", "chat", 57); len(cs) != 1 || !strings.HasPrefix(cs[0].Body, report.Marker("action-e2e")) {
		t.Errorf("comments on the fork PR after publishing: %+v", cs)
	}
}

func TestActionPolicyErrorsAnnotated(t *testing.T) {
	h := newActionHarness(t)
	bad := filepath.Join(h.dir, "bad.cue")
	if err := os.WriteFile(bad, []byte("name: \"x\"\nscenarios: steady: {rate: \"fast\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.env["INPUT_POLICY"] = bad
	code, stdout, _ := h.run("pull_request", "pull_request_same_repo.json")
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d", code, exitInvalid)
	}
	if !strings.Contains(stdout, "::error ") || !strings.Contains(stdout, "file="+bad+",line=") {
		t.Errorf("no positioned annotation:\n%s", stdout)
	}
	if h.outputs()["verdict"] != "invalid" {
		t.Errorf("outputs %v", h.outputs())
	}
	if n := len(h.gh.Comments("acme", "chat", 42)); n != 0 {
		t.Errorf("an invalid policy commented")
	}
}
