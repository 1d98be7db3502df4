package gate

import (
	"fmt"

	"github.com/perfgate/perfgate/baseline"
)

// noBaseline is the comparison of a run with nothing to compare with: it
// reports the run's value and is never judged.
type noBaseline struct {
	rec   *baseline.Record
	alpha float64
}

func (n noBaseline) compare(c *Check) (estimate, error) {
	if pv, err := valueOf(n.rec, c.Metric, c.Stat, n.alpha); err == nil {
		c.Candidate, c.Unit, c.Samples = pv.value, pv.unit, pv.count
	}
	return nil, fmt.Errorf("no baseline yet: runs stored from the base branch, or a live baseline URL, give one")
}
