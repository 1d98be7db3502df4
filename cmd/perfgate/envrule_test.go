package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// plantedTokenPolicy asks for the runner's tokens, as a pull request
// could.
const plantedTokenPolicy = `name: "planted"
target: {
	url: "http://127.0.0.1:1"
	api: "openai-chat"
	model: "m"
	headers: {
		Authorization: {env: "GITHUB_TOKEN", prefix: "Bearer "}
		"X-Runner": {env: "ACTIONS_RUNTIME_TOKEN"}
	}
	ready: {timeout: "2s", interval: "50ms"}
}
workload: prompts: {input_tokens: 8, output_tokens: 4}
scenarios: steady: {rate: 5, warmup: "200ms", duration: "1s", window: "500ms"}
`

// countingServer counts the requests it gets.
func countingServer(t *testing.T) (string, *atomic.Int64) {
	var n atomic.Int64
	srv := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		writeChunks(w, r, 2, 0)
	})
	return srv.URL, &n
}

func TestRunnerTokenPolicyRefusedByValidateAndRun(t *testing.T) {
	policy := writePolicy(t, plantedTokenPolicy)
	env := map[string]string{"GITHUB_TOKEN": plantedToken, "ACTIONS_RUNTIME_TOKEN": plantedToken + "2"}
	for _, ci := range []string{"", "true"} {
		env["CI"] = ci
		code, stdout, stderr := validateCLI(t, env, policy)
		if code != exitInvalid || strings.Contains(stdout, ": ok:") {
			t.Errorf("CI=%q: validate exit %d\n%s%s", ci, code, stdout, stderr)
		}
		for _, want := range []string{policy + ":7:19: target.headers.Authorization.env: environment variable GITHUB_TOKEN is reserved",
			policy + `:8:16: target.headers."X-Runner".env: environment variable ACTIONS_RUNTIME_TOKEN is reserved`, "--allow-env"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("CI=%q: validate does not say %q:\n%s", ci, want, stderr)
			}
		}

		target, hits := countingServer(t)
		var out, errb bytes.Buffer
		code = run(context.Background(), []string{"run", "--policy", policy, "--target", target, "--out", t.TempDir(), "--max-lag", "1s"},
			func(k string) string { return env[k] }, &out, &errb)
		if code != exitInvalid || hits.Load() != 0 {
			t.Errorf("CI=%q: run exit %d after %d requests, want 2 and none\n%s", ci, code, hits.Load(), errb.String())
		}
		if !strings.Contains(errb.String(), "GITHUB_TOKEN is reserved") || !strings.Contains(errb.String(), "--allow-env") {
			t.Errorf("CI=%q: run does not name the variable and how to allow one:\n%s", ci, errb.String())
		}
		if found := leaks(t, map[string]string{"stdout": stdout + out.String(), "stderr": stderr + errb.String()}); len(found) > 0 {
			t.Errorf("leaked: %v", found)
		}
	}
}

// TestCIReadsOnlyAllowedVariables: in CI a policy's own variable needs
// --allow-env; on a developer's machine it does not.
func TestCIReadsOnlyAllowedVariables(t *testing.T) {
	policy := writePolicy(t, secretPolicy)
	env := map[string]string{"PG_VALUE": plantedHeader, "PG_TENANT": plantedTenant, "CI": "true"}
	code, _, stderr := validateCLI(t, env, policy)
	if code != exitInvalid || !strings.Contains(stderr, "PG_VALUE is not allowed in CI") || !strings.Contains(stderr, "--allow-env PG_VALUE") {
		t.Errorf("CI without --allow-env: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := validateCLI(t, env, "--allow-env", "PG_*", policy); code != exitPass {
		t.Errorf("CI with --allow-env PG_*: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := validateCLI(t, env, "--allow-env", "PG_VALUE", policy); code != exitInvalid || !strings.Contains(stderr, "PG_TENANT is not allowed") {
		t.Errorf("CI with --allow-env PG_VALUE: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := validateCLI(t, env, "--allow-env", "GITHUB_*", policy); code != exitInvalid || !strings.Contains(stderr, "reserved") {
		t.Errorf("--allow-env GITHUB_*: exit %d\n%s", code, stderr)
	}
	env["CI"] = ""
	if code, _, stderr := validateCLI(t, env, policy); code != exitPass {
		t.Errorf("a developer's machine: exit %d\n%s", code, stderr)
	}

	env["CI"] = "true"
	target, hits := countingServer(t)
	var out, errb bytes.Buffer
	code = run(context.Background(), []string{"run", "--policy", policy, "--target", target, "--out", t.TempDir(), "--max-lag", "1s"},
		func(k string) string { return env[k] }, &out, &errb)
	if code != exitInvalid || hits.Load() != 0 || !strings.Contains(errb.String(), "--allow-env PG_VALUE") {
		t.Errorf("run in CI without --allow-env: exit %d after %d requests\n%s", code, hits.Load(), errb.String())
	}
}

func TestActionRefusesRunnerTokenPolicy(t *testing.T) {
	h := newActionHarness(t)
	if err := os.WriteFile(h.env["INPUT_POLICY"], []byte(plantedTokenPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	target, hits := countingServer(t)
	h.env["INPUT_TARGET"] = target
	h.env["INPUT_ALLOW-ENV"] = "PERF_*"
	h.env["GITHUB_TOKEN"] = plantedToken
	h.env["ACTIONS_RUNTIME_TOKEN"] = plantedToken + "2"
	code, stdout, stderr := h.run("pull_request", "pull_request_same_repo.json")
	if code != exitInvalid || hits.Load() != 0 {
		t.Fatalf("exit %d after %d requests, want 2 and none\n%s\n%s", code, hits.Load(), stdout, stderr)
	}
	if !strings.Contains(stdout, "col=19,file="+h.env["INPUT_POLICY"]+",line=7,") || !strings.Contains(stdout, "GITHUB_TOKEN is reserved") {
		t.Errorf("no positioned annotation naming the variable:\n%s", stdout)
	}
	if h.outputs()["verdict"] != "invalid" || len(h.gh.Comments("acme", "chat", 42)) != 0 {
		t.Errorf("outputs %v, comments %v", h.outputs(), h.gh.Comments("acme", "chat", 42))
	}
	if found := leaks(t, map[string]string{"stdout": stdout, "stderr": stderr}); len(found) > 0 {
		t.Errorf("leaked: %v", found)
	}
}
