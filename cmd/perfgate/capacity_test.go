package main

import (
	"context"
	"strings"
	"testing"
)

// TestCapacityOnlyRunReportsACheck: a policy whose only scenario is a
// capacity search, with several SLOs (its criteria) and the default gate,
// reports its capacity as a check with a true sentence, never "nothing to
// judge" with 0 checks.
func TestCapacityOnlyRunReportsACheck(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	pol := strings.Replace(testPolicy, `scenarios: steady: {rate: 40, warmup: "1s", duration: "6s", window: "500ms"}`,
		`scenarios: capacity: {search: {from: 10, to: 80}, budget: "3s", step: "1s", warmup: "200ms", window: "500ms"}`, 1)
	pol = strings.Replace(pol, `regression: gate: ["e2e.p50", "tpot.p50", "output_tokens_per_s"]`, `slos: "e2e.p95": "< 10s"`, 1)
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, pol), "--target", startSim(t, nil), "--out", out, "--max-lag", "1s")
	noCrash(t, stdout, stderr)
	verdict, checks := reportChecks(t, out)
	c, ok := checks["regression capacity"]
	if !ok || c.Gating || !strings.Contains(c.Reason, "all 3 SLOs held") || !strings.Contains(c.Reason, "informational") {
		t.Fatalf("exit %d verdict %s; capacity check %+v in %v\n%s%s", code, verdict, c, checks, stdout, stderr)
	}
	t.Logf("%s", stdout)
	if strings.Contains(stdout, "Nothing to judge") || !strings.Contains(stdout, "capacity") {
		t.Errorf("the run's sentence:\n%s", stdout)
	}
}
