package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validateCLI runs "perfgate validate" in process. Tests run it from the
// repository root (t.Chdir), so file names read as a user there writes them.
func validateCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"validate"}, args...), func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestValidateExamples(t *testing.T) {
	t.Chdir("../..")
	args, _ := filepath.Glob("policies/examples/*")
	if len(args) < 2 {
		t.Fatalf("examples: %v", args)
	}
	code, stdout, stderr := validateCLI(t, map[string]string{"INFERENCE_API_KEY": "x"}, args...)
	if code != exitPass {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, a := range args {
		if !strings.Contains(stdout, a+": ok: ") {
			t.Errorf("no ok line for %s in:\n%s", a, stdout)
		}
	}
	// Every check of the examples is forecast to be gating.
	if strings.Contains(stderr, "warning:") {
		t.Errorf("the examples have sample-size warnings:\n%s", stderr)
	}
	// The classifier's key is not set: a note, not an error.
	if !strings.Contains(stderr, "CLASSIFIER_API_KEY is not set") || strings.Contains(stderr, "INFERENCE_API_KEY") {
		t.Errorf("env notes wrong:\n%s", stderr)
	}
}

// TestValidateBadCorpus: every broken policy exits 2 and prints exactly its
// golden messages (file:line:col each), never a stack trace.
func TestValidateBadCorpus(t *testing.T) {
	t.Chdir("../..")
	files, _ := filepath.Glob("testdata/policies/bad/*")
	if len(files) < 15 {
		t.Fatalf("want at least 15 broken policies, found %d", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata/policies/golden", name+".err"))
			if err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := validateCLI(t, nil, "testdata/policies/bad/"+name)
			if code != exitInvalid || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if stderr != string(want) {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
			}
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if !strings.HasPrefix(line, "testdata/policies/bad/"+name+":") || strings.Contains(line, "goroutine") {
					t.Errorf("line without a position: %q", line)
				}
			}
		})
	}
}

func TestValidateUsage(t *testing.T) {
	t.Chdir("../..")
	code, _, stderr := validateCLI(t, nil)
	if code != exitInvalid || !strings.Contains(stderr, "no policy given") {
		t.Errorf("no args: exit %d, %q", code, stderr)
	}
	code, stdout, _ := validateCLI(t, nil, "--help")
	if code != exitPass || !strings.Contains(stdout, "Example:") {
		t.Errorf("--help: exit %d, %q", code, stdout)
	}
	code, _, stderr = validateCLI(t, nil, "policies/examples/llm-chat.cue", "no/such/policy.cue")
	if code != exitInvalid || !strings.Contains(stderr, "no/such/policy.cue: cannot read the policy") || !strings.Contains(stderr, "1 of 2 policies are invalid") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
}

// TestEveryCommandHelpHasAnExample: "perfgate COMMAND --help" teaches usage
// with an example and exits 0.
func TestEveryCommandHelpHasAnExample(t *testing.T) {
	for name := range commands {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{name, "--help"}, func(string) string { return "" }, &out, &errb)
		if code != exitPass || !strings.Contains(out.String(), "Usage: perfgate "+name) || !strings.Contains(out.String(), "Example") {
			t.Errorf("perfgate %s --help: exit %d, stdout:\n%s\nstderr:\n%s", name, code, out.String(), errb.String())
		}
	}
}

func TestValidateShowsTheTemplateMix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "two.cue")
	src := `name: "two"
target: {url: "http://127.0.0.1:1", api: "http"}
scenarios: steady: rate: 5
workload: requests: [{name: "predict", path: "/predict", weight: 3}, {method: "GET", path: "/health"}]
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := validateCLI(t, nil, path)
	if code != exitPass || !strings.Contains(stdout, "http target (predict 75%, request 2 25%)") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// validate forecasts each percentile's samples and warns, with the duration
// or rate that would make it gating, when they are too few (or barely
// enough): the traps of a p99 SLO at 40 req/s for 20 s and ttft.p95 at
// 10 req/s for 20 s.
func TestValidateWarnsOfTooFewSamples(t *testing.T) {
	policy := writePolicy(t, `name: "few"
target: {url: "http://127.0.0.1:8000", api: "openai-chat", model: "m"}
scenarios: {
	steady: {rate: 40, duration: "20s"}
	slow: {kind: "steady", rate: 10, duration: "20s"}
	users: {kind: "steady", concurrency: 4, duration: "20s"}
}
slos: {"e2e.p99": "< 2s", "ttft.p95": "< 1s", "tpot.p50": "< 50ms", "error_rate": "< 1%"}
regression: gate: ["ttft.p95", "error_rate"]
`)
	code, _, stderr := validateCLI(t, nil, policy)
	if code != exitPass {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{
		`warning: slos: e2e.p99 in scenario "steady": about 800 samples forecast (40 req/s × 20s), too few for p99 (needs 1000`,
		`a duration of at least 30s at 40 req/s, or a rate of at least 60 req/s for 20s, makes it gating`,
		`warning: slos: e2e.p99 in scenario "slow": about 200 samples forecast`,
		`warning: slos: ttft.p95 in scenario "slow": about 200 samples forecast (10 req/s × 20s), only at or just above the 200 that p95 needs`,
		`a duration of at least 24s at 10 req/s, or a rate of at least 12 req/s for 20s`,
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("lacks %q:\n%s", w, stderr)
		}
	}
	// Enough samples, no rate to forecast from, one value per window: no warning.
	for _, bad := range []string{`ttft.p95 in scenario "steady"`, `"users"`, "tpot.p50", "error_rate", `regression.gate: ttft.p95 in scenario "slow"`} {
		if strings.Contains(stderr, bad) {
			t.Errorf("warns about %s:\n%s", bad, stderr)
		}
	}
}

// Silent misconfiguration is an error before any load (exit 2): a dataset
// or body file that does not exist (named at the policy line that names
// it), --save-baseline without a store, an unknown store scheme.
func TestMisconfigurationFailsBeforeLoad(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "p.yaml")
	src := `name: missing-files
target: {url: "http://127.0.0.1:1", api: http, ready: {timeout: 1m}}
workload:
  dataset: {path: no-such-dataset.jsonl, format: records}
  requests:
    - {path: /predict, body_file: no-such-body.json}
scenarios:
  steady: {rate: 5}
`
	if err := os.WriteFile(policy, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := validateCLI(t, nil, policy)
	for _, want := range []string{
		policy + ":4:13: workload.dataset.path: " + filepath.Join(dir, "no-such-dataset.jsonl") + ": no such file or directory",
		policy + ":6:24: workload.requests[0].body_file: " + filepath.Join(dir, "no-such-body.json") + ": no such file or directory",
	} {
		if code != exitInvalid || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, lacks %q:\n%s", code, want, stderr)
		}
	}
	ok := writePolicy(t, `name: "x"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "m", ready: timeout: "1m"}
scenarios: steady: rate: 1
`)
	// The target is unreachable with a one-minute readiness timeout: an
	// answer within seconds proves nothing was waited for.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--save-baseline"}, "--save-baseline needs --store"},
		{[]string{"--store", "s3://bucket/x"}, "s3:// is not a store perfgate knows"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		code, _, stderr := perfgate(ctx, t, append([]string{"run", "--policy", ok, "--quiet"}, c.args...)...)
		cancel()
		if code != exitInvalid || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 with %q:\n%s", c.args, code, c.want, stderr)
		}
		if _, err := os.Stat("s3:"); err == nil {
			t.Error("an s3: directory was created")
		}
	}
}
