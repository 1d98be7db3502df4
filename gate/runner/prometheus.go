package runner

import (
	"context"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/promsource"
	"github.com/perfgate/perfgate/policies"
)

// addPrometheus queries the policy's Prometheus series over the measured
// windows of rec (a steady, spike or soak scenario's), after waiting
// target.prometheus.delay for the last scrapes to be stored. The series
// describe the deployment the queries select, so only the candidate's
// record gets them. A failed query is data (rec.Prometheus.Errors).
// started is when the scenario's load began (its warm-up first): the
// record's Time is the whole run's start, earlier for a later scenario.
func addPrometheus(ctx context.Context, p *policies.Policy, sc *policies.Scenario, rec *baseline.Record, started time.Time, getenv func(string) string, prog *progress) {
	pr := p.Target.Prometheus
	if pr == nil || rec == nil || rec.Capacity != nil || len(rec.Windows) == 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(pr.Delay.Std()):
	}
	measured := started.Add(sc.Warmup.Std())
	// A cancelled run still gets its series: the queries have their own
	// timeout.
	promsource.AddSeries(context.WithoutCancel(ctx), promsource.New(pr, getenv), pr, rec, measured)
	for _, name := range sortedErrs(rec.Prometheus.Errors) {
		prog.linef("  %s", rec.Prometheus.Errors[name])
	}
}

func sortedErrs(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// AddPrometheus queries the policy's Prometheus series for records a merge
// of shards made: each scenario's load began at its slot in the sharded
// run's timetable (Sharding.StartOf).
func AddPrometheus(ctx context.Context, p *policies.Policy, s *Sharding, only []string, recs []*baseline.Record, getenv func(string) string) {
	for _, rec := range recs {
		if sc, ok := p.Scenarios.Lookup(rec.Scenario); ok {
			addPrometheus(ctx, p, sc, rec, s.StartOf(p, only, sc), getenv, nil)
		}
	}
}
