package gate

import (
	"fmt"
	"math"

	mstats "github.com/aclements/go-moremath/stats"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// SLO is an absolute limit on one metric statistic: "ttft.p95 < 2s" is
// {Metric: "ttft", Stat: "p95", Op: "<", Limit: 2000} (the limit in the
// metric's unit, here ms).
type SLO struct {
	Name   string  // "ttft.p95"
	Metric string  // "ttft"
	Stat   string  // "p95"
	Op     string  // "<", "<=", ">", ">="
	Limit  float64 // in the metric's unit (ms, ratio, req/s, ...)
	Unit   string  // that unit, so the limit prints as written ("< 95%") measured or not
	Text   string  // as written in the policy ("< 2s"), for messages
}

// Holds reports whether value v satisfies the SLO.
func (s SLO) Holds(v float64) bool { return metric.Holds(s.Op, v, s.Limit) }

// upperIsBad reports whether exceeding the limit breaches the SLO.
func (s SLO) upperIsBad() bool { return s.Op == "<" || s.Op == "<=" }

// pointValue is a statistic of a record with an interval around it.
type pointValue struct {
	value      float64
	low, high  float64 // confidence bounds (one-sided each, at 1-alpha)
	count      int64   // values it rests on
	unit       string
	tailShort  bool // too few values above the percentile
	noData     bool
	windows    int
	reasonNote string
}

// valueOf computes statistic metric.stat of rec with one-sided bounds at
// level 1-alpha: a jackknife over windows for histogram statistics, the
// spread of window values for rates, a Wilson interval for error_rate.
func valueOf(rec *baseline.Record, name, stat string, alpha float64) (pointValue, error) {
	z := stats.NormalQuantile(1 - alpha)
	switch name {
	case metric.Capacity:
		if rec.Capacity == nil {
			return pointValue{noData: true}, nil
		}
		se := capacitySE(rec.Capacity)
		v := rec.Capacity.RPS
		return pointValue{value: v, low: v * math.Exp(-z*se), high: v * math.Exp(z*se), unit: metric.RPS, count: int64(len(rec.Capacity.Steps))}, nil
	case metric.ColdStart:
		return pointValue{value: rec.ColdStart, low: rec.ColdStart, high: rec.ColdStart, unit: metric.Ms, count: 1, noData: rec.ColdStart == 0}, nil
	case metric.ErrorRate:
		failed, total := rec.ErrorCounts()
		if total == 0 {
			return pointValue{noData: true, unit: metric.Ratio}, nil
		}
		lo, hi, err := stats.Wilson(int(failed), int(total), 1-2*alpha)
		if err != nil {
			return pointValue{}, err
		}
		return pointValue{value: float64(failed) / float64(total), low: lo, high: hi, count: total, unit: metric.Ratio, windows: len(rec.Windows)}, nil
	}
	s, err := seriesOf(rec, name, stat)
	if err != nil {
		return pointValue{}, err
	}
	pv := pointValue{value: s.pooled, count: s.pooledCount, unit: s.unit, windows: len(s.values)}
	if math.IsNaN(s.pooled) || s.pooledCount == 0 {
		pv.noData = true
		return pv, nil
	}
	if !metric.EnoughTail(stat, s.pooledCount) {
		pv.tailShort = true
	}
	se, err := logSE(s)
	if err != nil {
		return pv, err
	}
	pv.low, pv.high = pv.value*math.Exp(-z*se), pv.value*math.Exp(z*se)
	return pv, nil
}

// logSE is the standard error of ln(pooled statistic) of s: a delete-one
// jackknife over windows when per-window histograms exist, else the spread
// of the window values.
func logSE(s *series) (float64, error) {
	if len(s.values) < 2 || !(s.pooled > 0) {
		return 0, nil
	}
	if s.hists[0] != "" {
		hs, err := s.decodedHists()
		if err != nil {
			return 0, err
		}
		_, scale := metric.RecordScale(s.metric)
		_, se, err := stats.Jackknife(len(hs), func(excl int) float64 {
			return math.Log(leaveOneOut(hs, excl, s.stat, scale))
		})
		if err == nil && !math.IsNaN(se) {
			return se, nil
		}
	}
	var logs []float64
	for _, v := range s.values {
		if v > 0 {
			logs = append(logs, math.Log(v))
		}
	}
	if len(logs) < 2 {
		return 0, nil
	}
	return mstats.StdDev(logs) / math.Sqrt(float64(len(logs))), nil
}

// checkSLO judges one SLO on one record. A breach beyond the confidence
// bound fails; a breach of the point estimate that the interval does not
// confirm warns; a statistic without enough tail samples, or without data,
// is informational and warns.
func checkSLO(rec *baseline.Record, slo SLO, alpha float64) Check {
	c := Check{
		Scenario: rec.Scenario, Name: slo.Name, Metric: slo.Metric, Stat: slo.Stat,
		Kind: KindSLO, Limit: slo.Limit, Op: slo.Op, Baseline: slo.Limit,
		HigherIsBetter: !slo.upperIsBad(), Gating: true, Confidence: 1 - alpha,
		Unit: slo.Unit, Candidate: math.NaN(), // until measured
	}
	pv, err := valueOf(rec, slo.Metric, slo.Stat, alpha)
	if err != nil {
		c.Verdict, c.Gating = Warn, false
		c.Reason = err.Error()
		return c
	}
	c.Candidate, c.Samples, c.Windows = pv.value, pv.count, pv.windows
	if pv.unit != "" { // a server series is stored without one
		c.Unit = pv.unit
	}
	c.CILow, c.CIHigh = pv.low, pv.high
	switch {
	case pv.noData:
		c.Verdict, c.Gating = Warn, false
		c.Reason = fmt.Sprintf("%s: no samples, so the SLO %s could not be checked", slo.Name, slo.Text)
		return c
	case pv.tailShort:
		c.Verdict, c.Gating = Warn, false
		c.Reason = slo.Name + ": " + tooFewErr(pv.count, slo.Stat).Error()
		return c
	}
	favourable := pv.low // the bound on the side that would rescue the SLO
	if !slo.upperIsBad() {
		favourable = pv.high
	}
	v := metric.Format(pv.value, pv.unit)
	switch {
	case slo.Holds(pv.value):
		c.Verdict = Pass
		c.Reason = fmt.Sprintf("%s = %s meets %s", slo.Name, v, slo.Text)
	case !slo.Holds(favourable):
		c.Verdict = Fail
		c.Reason = fmt.Sprintf("%s = %s breaks %s (even its %.0f%% bound %s does)", slo.Name, v, slo.Text, 100*(1-alpha), metric.Format(favourable, pv.unit))
	default:
		c.Verdict, c.ReasonKind = Warn, ReasonSLOWithinNoise
		c.Reason = fmt.Sprintf("%s = %s breaks %s, but within noise (%.0f%% bound %s)", slo.Name, v, slo.Text, 100*(1-alpha), metric.Format(favourable, pv.unit))
	}
	c.Reason += scrapeNote(rec, slo.Metric)
	return c
}
