package gate

import (
	"fmt"
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// historyComparator compares a run with the stored runs of the base
// branch: a prediction interval around their mean log value that includes
// their run-to-run spread (docs/statistics.md). With fewer than
// stats.MinHistory stored runs the change is reported, not judged.
type historyComparator struct {
	rec     *baseline.Record
	history []*baseline.Record
	sign    float64
	th      logThresholds
}

func (h historyComparator) compare(c *Check) (estimate, error) {
	x, seX, unit, count, err := logStat(h.rec, c.Metric, c.Stat, true)
	if err != nil {
		return nil, err
	}
	c.Unit, c.Samples, c.Candidate = unit, count, math.Exp(x)
	var hist []float64
	for _, stored := range h.history {
		if hx, _, _, _, err := logStat(stored, c.Metric, c.Stat, false); err == nil {
			hist = append(hist, h.sign*hx)
		}
	}
	c.History = len(hist)
	if len(hist) == 0 {
		return nil, fmt.Errorf("no stored run measured it")
	}
	hr, err := stats.History(h.sign*x, seX, hist)
	if err != nil {
		return nil, fmt.Errorf("history estimate: %w", err)
	}
	c.Baseline = math.Exp(h.sign * hr.Mean)
	c.Noise = historyNoise(hr)
	est := h.th.estimate(hr.Estimate)
	if !hr.Judgeable {
		fillInterval(c, est.Estimate, est.Lower(0.05), est.Upper(0.05), 0.95)
		ch := 100 * stats.RelChange(h.sign*hr.Effect)
		return nil, fmt.Errorf("%+.1f%% against %d stored run(s); reported, not judged (needs %d)", ch, hr.N, stats.MinHistory)
	}
	return est, nil
}

// logStat returns ln of metric.stat of rec and, when withSE, its standard
// error (a jackknife over windows: costly, so not for stored runs, whose
// spread the history's own variance already holds).
func logStat(rec *baseline.Record, m, stat string, withSE bool) (x, se float64, unit string, count int64, err error) {
	if m == metric.Capacity {
		if rec.Capacity == nil || rec.Capacity.RPS <= 0 {
			return 0, 0, "", 0, fmt.Errorf("no capacity measured")
		}
		return math.Log(rec.Capacity.RPS), capacitySE(rec.Capacity), metric.RPS, int64(len(rec.Capacity.Steps)), nil
	}
	s, err := seriesOf(rec, m, stat)
	if err != nil {
		return 0, 0, "", 0, err
	}
	if !(s.pooled > 0) {
		return 0, 0, s.unit, s.pooledCount, fmt.Errorf("no positive value of %s.%s", m, stat)
	}
	if !metric.EnoughTail(stat, s.pooledCount) {
		return 0, 0, s.unit, s.pooledCount, tooFewErr(s.pooledCount, stat)
	}
	if withSE {
		if se, err = logSE(s); err != nil {
			return 0, 0, s.unit, s.pooledCount, err
		}
	}
	return math.Log(s.pooled), se, s.unit, s.pooledCount, nil
}
