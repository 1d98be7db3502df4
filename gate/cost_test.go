package gate

import (
	"math"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

func TestPlanCapacity(t *testing.T) {
	rec := func(rps, tokens float64) *baseline.Record {
		return &baseline.Record{Scenario: "capacity", Capacity: &baseline.Capacity{RPS: rps},
			Metrics: map[string]*baseline.Metric{"output_tokens": {Pooled: baseline.WindowStats{Stats: map[string]float64{"mean": tokens}}}}}
	}
	p := PlanCapacity(rec(13.5, 128), rec(15, 128), Cost{InstanceHourUSD: 3.6, PeakRPS: 100, Headroom: 0.2})
	if p.Candidate.Replicas != 9 || p.Baseline.Replicas != 8 {
		t.Errorf("replicas %d vs %d, want 9 vs 8", p.Candidate.Replicas, p.Baseline.Replicas)
	}
	// $3.60/h = $0.001/s; at 15 req/s a request costs $0.001/15.
	if got, want := p.Baseline.USDPerMillionRequests, 1e6*0.001/15; math.Abs(got-want) > 1e-9 {
		t.Errorf("USD per 1M requests %v, want %v", got, want)
	}
	if got, want := p.Baseline.USDPerThousandOutputTokens, 1e3*0.001/(15*128); math.Abs(got-want) > 1e-12 {
		t.Errorf("USD per 1k tokens %v, want %v", got, want)
	}
	if PlanCapacity(&baseline.Record{}, nil, Cost{PeakRPS: 1}) != nil {
		t.Error("a record without capacity got a plan")
	}
}
