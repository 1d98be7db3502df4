package gate

import (
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// Cost is a policy's cost model for capacity planning.
type Cost struct {
	InstanceHourUSD float64 // price of one replica for an hour
	PeakRPS         float64 // the peak traffic to plan for
	Headroom        float64 // spare capacity to keep (0.2 = 20%)
}

// PlanCapacity turns the capacity of a capacity-scenario record (and of its
// baseline, when there is one) into replicas for the peak and unit costs at
// capacity. It returns nil when the record has no capacity.
func PlanCapacity(rec, base *baseline.Record, cost Cost) *CapacityPlan {
	if rec == nil || rec.Capacity == nil || cost.PeakRPS <= 0 {
		return nil
	}
	p := &CapacityPlan{Scenario: rec.Scenario, PeakRPS: cost.PeakRPS, Headroom: cost.Headroom, InstanceHourUSD: cost.InstanceHourUSD}
	p.Candidate = sizing(rec, cost)
	if base != nil && base.Capacity != nil {
		s := sizing(base, cost)
		p.Baseline = &s
	}
	return p
}

func sizing(rec *baseline.Record, cost Cost) Sizing {
	c := rec.Capacity.RPS
	s := Sizing{CapacityRPS: c}
	if c <= 0 {
		return s
	}
	s.Replicas = int(math.Ceil(cost.PeakRPS / c * (1 + cost.Headroom)))
	if cost.InstanceHourUSD > 0 {
		perSecond := cost.InstanceHourUSD / 3600
		s.USDPerMillionRequests = perSecond / c * 1e6
		if m, ok := rec.Metrics[metric.OutputTokens]; ok {
			if tok := m.Pooled.Stats["mean"]; tok > 0 {
				s.USDPerThousandOutputTokens = perSecond / (c * tok) * 1e3
			}
		}
	}
	return s
}
