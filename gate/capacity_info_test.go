package gate

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

// TestCapacityOnlyRunReportsItsCapacity: a run whose only scenario is a
// capacity search, with SLOs (its criteria) but no capacity SLO and no
// "capacity" gate, reports the capacity as an informational check that
// says what it is, compared with a live baseline when there is one, and
// the run's sentence is about it, not "nothing to judge".
func TestCapacityOnlyRunReportsItsCapacity(t *testing.T) {
	capRec := func(rps float64) *baseline.Record {
		return &baseline.Record{Scenario: "capacity", Valid: true, Capacity: &baseline.Capacity{RPS: rps, BrokenBy: "e2e.p95 < 2s", Converged: true,
			Steps: []baseline.CapacityStep{{Rate: rps, Met: true}, {Rate: rps * 1.04, Breached: "e2e.p95 < 2s"}}}}
	}
	slos := []SLO{
		{Name: "e2e.p95", Metric: "e2e", Stat: "p95", Op: "<", Limit: 2000, Text: "< 2s"},
		{Name: "error_rate", Metric: "error_rate", Stat: "value", Op: "<", Limit: 0.01, Text: "< 1%"},
	}
	rules := Rules{Gate: []string{"e2e.p95", "ttft.p95", "error_rate"}}
	v := Evaluate(Input{Rules: rules, SLOs: slos, Runs: []*baseline.Record{capRec(12)}})
	if len(v.Checks) != 1 {
		t.Fatalf("%d checks: %+v", len(v.Checks), v.Checks)
	}
	c := v.Checks[0]
	if c.Name != "capacity" || c.Gating || c.Verdict != Warn || c.ReasonKind != ReasonInformational || c.Candidate != 12 ||
		!strings.Contains(c.Reason, "capacity 12.0 req/s, the highest rate at which all 2 SLOs held (e2e.p95 < 2s broke above it)") {
		t.Errorf("check %+v", c)
	}
	if strings.Contains(v.Reason, "Nothing to judge") || !strings.Contains(v.Reason, "capacity 12.0 req/s") {
		t.Errorf("run reason %q", v.Reason)
	}
	// Paired: the change against the live baseline's capacity.
	rec := capRec(10)
	rec.Reference = capRec(12)
	v = Evaluate(Input{Rules: rules, SLOs: slos, Runs: []*baseline.Record{rec}})
	if c := v.Checks[0]; c.Mode != ModePaired || c.Baseline != 12 || !strings.Contains(c.Reason, "against the baseline's 12.0 req/s") || c.Gating {
		t.Errorf("paired check %+v", c)
	}
	// A server SLO the search's last met step could not measure (every
	// scrape failed) is on its row, invalid: the capacity ignored it.
	srv := capRec(12)
	srv.Windows = []baseline.WindowCounts{{Sent: 10, Succeeded: 10, Scrapes: 5, ScrapeFailures: 5}, {Sent: 10, Succeeded: 10, Scrapes: 5, ScrapeFailures: 5}}
	srv.ScrapeError = "metrics http://127.0.0.1:9/metrics: 404 Not Found"
	kv := SLO{Name: "server.kv_cache_usage.max", Metric: "server.kv_cache_usage", Stat: "max", Op: "<", Limit: 0.9, Text: "< 0.9"}
	v = Evaluate(Input{Rules: rules, SLOs: append(slos, kv), Runs: []*baseline.Record{srv}})
	if len(v.Checks) != 2 || v.Checks[0].Verdict != Invalid || !strings.Contains(v.Checks[0].Reason, "404") || v.Outcome != Invalid {
		t.Errorf("unmeasured server SLO of a capacity search: %s %+v", v.Outcome, v.Checks)
	}
	// A gated capacity is judged as before, without a second row.
	v = Evaluate(Input{Rules: Rules{Gate: []string{"capacity"}}, SLOs: slos, Runs: []*baseline.Record{rec}})
	if len(v.Checks) != 1 || !v.Checks[0].Gating {
		t.Errorf("gated: %+v", v.Checks)
	}
}
