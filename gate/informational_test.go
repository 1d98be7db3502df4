package gate

import "testing"

// Informational checks are notes: a WARN or even a FAIL among them never
// turns the run's verdict, and the reason counts only gating checks.
func TestInformationalChecksNeverDecide(t *testing.T) {
	cs := []Check{
		{Name: "e2e.p99", Kind: KindSLO, Verdict: Warn, Reason: "e2e.p99: only 800 samples, too few for p99 (needs 1000); informational"},
		{Name: "ttft.p95", Kind: KindRegression, Verdict: Fail, Reason: "ttft.p95: shown, not judged"},
		{Name: "error_rate", Kind: KindSLO, Verdict: Pass, Gating: true},
	}
	v := &Verdict{Checks: cs}
	finish(v, nil, 0.10)
	if v.Outcome != Pass || v.ReasonKind != "" || v.Reason != "All 1 gating check passed (2 informational checks shown)." {
		t.Errorf("run %s (%q): %s", v.Outcome, v.ReasonKind, v.Reason)
	}
	v = &Verdict{Checks: cs[:2]}
	finish(v, nil, 0.10)
	if v.Outcome != Pass || v.Reason != "No gating check: 2 informational checks are shown, not judged." {
		t.Errorf("only informational: %s: %s", v.Outcome, v.Reason)
	}
}

// A run with no check at all judged nothing: invalid, never a pass.
func TestNothingJudgedIsInvalid(t *testing.T) {
	v := &Verdict{}
	finish(v, nil, 0.10)
	if v.Outcome != Invalid {
		t.Errorf("no checks: %s: %s", v.Outcome, v.Reason)
	}
}
