package gate

import (
	"fmt"
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// capacityWindows is the number of pseudo-windows with which a paired
// capacity comparison goes through the paired method. A capacity has no
// windows: its standard error comes from the final bracket of each arm's
// search (capacitySE), so the count only sets the degrees of freedom of
// the within-run part (W−1 = 9), of the order of those of the twelve
// windows of a one-minute latency check, rather than treating the bracket's
// uniform model of where the capacity lies as exact. The same count
// summarizes a capacity in an A/A run (aaSummary), so τ² is learned on the
// estimator the check uses.
const capacityWindows = 10

// capacityPaired compares the capacities found by the two arms of a
// paired run.
type capacityPaired struct {
	cand, ref *baseline.Record
	sign      float64
	aa        aaStats
	th        logThresholds
}

func (p capacityPaired) compare(c *Check) (estimate, error) {
	c.Unit = metric.RPS
	effect, se, err := capacityChange(p.cand, p.ref, p.sign)
	if err != nil {
		return nil, err
	}
	c.Candidate, c.Baseline = p.cand.Capacity.RPS, p.ref.Capacity.RPS
	pr := pairedWithSE(effect, se, capacityWindows, p.aa)
	c.Noise = pairedNoise(pr, p.aa)
	addPairedWarnings(c, pr, p.aa)
	return p.th.estimate(pr.Estimate), nil
}

// capacityChange returns the signed log-ratio of the capacities of cand
// and ref and its standard error from both arms' search brackets.
func capacityChange(cand, ref *baseline.Record, sign float64) (effect, se float64, err error) {
	if cand.Capacity == nil || ref.Capacity == nil || cand.Capacity.RPS <= 0 || ref.Capacity.RPS <= 0 {
		return 0, 0, fmt.Errorf("capacity was not found in both arms")
	}
	effect = sign * math.Log(cand.Capacity.RPS/ref.Capacity.RPS)
	return effect, math.Hypot(capacitySE(cand.Capacity), capacitySE(ref.Capacity)), nil
}
