package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A p99 SLO with too few samples and regression gates without a baseline
// are informational: notes that never change the verdict, even under
// --fail-on warn; JUnit marks them skipped with the reason, the terminal
// and the comment call them "info".
func TestRunInformationalChecksAreNotes(t *testing.T) {
	url := startSim(t, nil)
	policy := writePolicy(t, fmt.Sprintf(`name: "notes"
target: {url: %q, api: "openai-chat", model: "sim-llama-3.1-8b", ready: {timeout: "3s", interval: "50ms"}}
workload: prompts: {input_tokens: 16, output_tokens: 8}
scenarios: steady: {rate: 20, warmup: "500ms", duration: "2s", window: "1s"}
slos: {"e2e.p99": "< 10s", "error_rate": "< 5%%"}
`, url))
	out := t.TempDir()
	// --max-lag 1s: this test is about notes, not about a busy machine's lag.
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", policy, "--out", out, "--fail-on", "warn", "--max-lag", "1s")
	if code != exitPass {
		t.Fatalf("exit %d, want 0 (informational checks are notes)\n%s\n%s", code, stdout, stderr)
	}
	rep := readReport(t, out)
	if rep.Verdict != "pass" {
		t.Errorf("verdict %s", rep.Verdict)
	}
	if !regexp.MustCompile(`(?m)^steady\s+e2e\.p99\s+slo .* info$`).MatchString(stdout) {
		t.Errorf("terminal row of e2e.p99 is not info:\n%s", stdout)
	}
	md, _ := os.ReadFile(filepath.Join(out, "comment.md"))
	if !regexp.MustCompile("(?m)^\\| `?e2e\\.p99`? .*\\| info \\|").MatchString(string(md)) {
		t.Errorf("comment row of e2e.p99 is not info:\n%s", md)
	}
	ju, _ := os.ReadFile(filepath.Join(out, "junit.xml"))
	j := string(ju)
	if !strings.Contains(j, `<skipped message="informational (never gating): e2e.p99: only`) || strings.Contains(j, "<failure") {
		t.Errorf("junit:\n%s", j)
	}
}
