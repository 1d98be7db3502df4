package main

import (
	"strings"
	"testing"
)

// TestActionRefusesForkPolicyWithWriteToken: pull_request_target and
// workflow_run for a fork's pull request run with the repository's write
// token; the action does not run the workspace's policy there unless the
// workflow opts in, says why and points at the workflow_run pattern.
func TestActionRefusesForkPolicyWithWriteToken(t *testing.T) {
	h := newActionHarness(t)
	target, hits := countingServer(t)
	h.env["INPUT_TARGET"] = target
	for _, ev := range []struct{ name, fixture string }{
		{"pull_request_target", "pull_request_fork.json"},
		{"workflow_run", "workflow_run_fork.json"},
	} {
		code, stdout, stderr := h.run(ev.name, ev.fixture)
		if code != exitInvalid || hits.Load() != 0 {
			t.Errorf("%s: exit %d after %d requests, want 2 and none\n%s\n%s", ev.name, code, hits.Load(), stdout, stderr)
		}
		for _, want := range []string{"::error::", "from a fork (outsider/chat)", "write token", "workflow_run pattern", "docs/github-action.md", "allow-fork-policy: true"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: the refusal does not say %q:\n%s", ev.name, want, stdout)
			}
		}
		if h.outputs()["verdict"] != "invalid" {
			t.Errorf("%s: outputs %v", ev.name, h.outputs())
		}
	}
	if n := len(h.gh.Comments("acme", "chat", 57)) + len(h.gh.Comments("acme", "chat", 42)); n != 0 {
		t.Errorf("%d comments after a refusal", n)
	}

	// Opting in runs the gate.
	h.env["INPUT_ALLOW-FORK-POLICY"] = "true"
	code, stdout, stderr := h.run("pull_request_target", "pull_request_fork.json")
	if code == exitInvalid || hits.Load() == 0 {
		t.Errorf("with allow-fork-policy: exit %d after %d requests\n%s\n%s", code, hits.Load(), stdout, stderr)
	}
}
