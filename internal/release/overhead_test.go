package release

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/internal/fakegithub"
)

// overheadPolicy loads the simulator for 0.5 s of warmup and 2 s measured:
// 2.5 s of load the policy asks for.
const overheadPolicy = `name: "overhead"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "sim-llama-3.1-8b", ready: timeout: "10s"}
workload: prompts: {input_tokens: {mean: 128, stddev: 16, min: 32, max: 256}, output_tokens: 32}
scenarios: steady: {rate: 10, warmup: "500ms", duration: "2s", window: "500ms"}
slos: {"ttft.p95": "< 10s", "error_rate": "< 50%"}
regression: gate: ["ttft.p95", "error_rate"]
`

const overheadLoad = 2500 * time.Millisecond

// BenchmarkActionOverhead measures the action's own time: the built binary
// (scripts/build.sh) runs as the action on a pull request against the
// simulator, with a directory store holding a baseline and a fake GitHub
// API for the sticky comment; overhead-ms is its wall time minus the 2.5 s
// of load the policy asks for (start, readiness, policy, store, reports
// including report.html, comment, outputs). The goal is under 2 s; a real
// GitHub API adds its own round trips (about four calls for the comment).
//
//	go test ./internal/release -run '^$' -bench ActionOverhead -benchtime 5x
func BenchmarkActionOverhead(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "perfgate")
	if out, err := exec.Command("sh", filepath.Join(root, "scripts", "build.sh"), bin, "v0.0.0-bench").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	gh := fakegithub.New()
	defer gh.Close()
	gh.CreateRepo("acme", "chat", "main")
	gh.CreateIssue("acme", "chat", 42)
	cfg := sim.DefaultConfig()
	url, _, stop, err := sim.Listen(cfg, "127.0.0.1:0", 2*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	policy := filepath.Join(dir, "perf.cue")
	os.WriteFile(policy, []byte(overheadPolicy), 0o644)
	events, _ := filepath.Abs(filepath.Join(root, "testdata", "events"))
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "CI=true", "GITHUB_ACTIONS=true",
		"GITHUB_API_URL=" + strings.TrimSuffix(gh.URL, "/"), "GITHUB_REPOSITORY=acme/chat", "GITHUB_SERVER_URL=https://github.test",
		"GITHUB_RUN_ID=1", "GITHUB_WORKSPACE=" + dir, "RUNNER_TEMP=" + dir, "PERFGATE_MAX_LAG=1s",
		"INPUT_POLICY=" + policy, "INPUT_TARGET=" + url, "INPUT_GITHUB-TOKEN=ghs_bench", "INPUT_STORE=dir:" + filepath.Join(dir, "store"),
		"INPUT_OUT=" + filepath.Join(dir, "out"), "INPUT_COMMENT=always", "INPUT_FAIL-ON=never", "INPUT_SAVE-BASELINE=auto",
		"GITHUB_OUTPUT=" + filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "summary"),
	}
	action := func(event, fixture string) time.Duration {
		cmd := exec.Command(bin, "action")
		cmd.Env = append(env, "GITHUB_EVENT_NAME="+event, "GITHUB_EVENT_PATH="+filepath.Join(events, fixture))
		start := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(start)
		if err != nil {
			b.Fatalf("perfgate action: %v\n%s", err, out)
		}
		return took
	}
	action("push", "push_main.json") // a baseline to compare with
	b.ResetTimer()
	var total time.Duration
	for range b.N {
		total += action("pull_request", "pull_request_same_repo.json")
	}
	b.StopTimer()
	var rep struct{ Mode string }
	js, _ := os.ReadFile(filepath.Join(dir, "out", "report.json"))
	json.Unmarshal(js, &rep)
	if rep.Mode != "history" || len(gh.Comments("acme", "chat", 42)) != 1 {
		b.Fatalf("the measured runs did not compare with the baseline and comment (mode %q)", rep.Mode)
	}
	mean := total / time.Duration(b.N)
	b.ReportMetric(float64(mean.Milliseconds()), "wall-ms")
	b.ReportMetric(float64((mean - overheadLoad).Milliseconds()), "overhead-ms")
}
