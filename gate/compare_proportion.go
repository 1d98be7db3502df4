package gate

import (
	"fmt"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// proportion compares error proportions: the failed share of this run's
// requests against that of the baseline arm, or of the stored runs pooled,
// judged on their absolute difference (Newcombe's interval) against
// absolute thresholds (Rules.ErrorRateNegligible and ErrorRateMaterial).
type proportion struct {
	rec      *baseline.Record
	baseline []*baseline.Record // the paired arm, or the stored runs
	history  bool               // baseline holds stored runs
	neg, mat float64
	family   float64 // the family level α (Rules.Alpha)
}

func (p proportion) compare(c *Check) (estimate, error) {
	c.Unit = metric.Ratio
	cf, cn := p.rec.ErrorCounts()
	var bf, bn int64
	for _, b := range p.baseline {
		f, n := b.ErrorCounts()
		bf, bn = bf+f, bn+n
	}
	if p.history {
		c.History = len(p.baseline)
	}
	c.Samples = cn
	if cn > 0 {
		c.Candidate = float64(cf) / float64(cn)
	}
	if bn == 0 || cn == 0 {
		return nil, fmt.Errorf("no baseline requests to compare the error rate with")
	}
	c.Baseline = float64(bf) / float64(bn)
	return &proportionDiff{failed: [2]int{int(cf), int(bf)}, total: [2]int{int(cn), int(bn)}, neg: p.neg, mat: p.mat, family: p.family}, nil
}
