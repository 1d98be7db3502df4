package gate

import (
	"fmt"
	"math"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// MinTailSamples is how many values a sample needs above a percentile for
// that percentile to be estimated there (n·(1−q) ≥ 10).
const MinTailSamples = 10

// higherIsBetter lists the metrics where a larger value is an improvement.
var higherIsBetter = map[string]bool{
	"requests_per_s":      true,
	"output_tokens_per_s": true,
	"goodput":             true,
	"capacity":            true,
}

// HigherIsBetter reports whether a larger value of metric is better.
func HigherIsBetter(metric string) bool { return higherIsBetter[metric] }

// SplitName splits a check name such as "ttft.p95", "p99.9" suffixes
// included, or "server.kv_cache_usage.max" into metric and statistic. A name
// without a statistic ("requests_per_s") gets "value".
func SplitName(name string) (metric, stat string) {
	if strings.HasSuffix(name, ".p99.9") {
		return strings.TrimSuffix(name, ".p99.9"), "p99.9"
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return name, "value"
	}
	switch s := name[i+1:]; s {
	case "p50", "p90", "p95", "p99", "mean", "max", "min", "value":
		return name[:i], s
	}
	return name, "value"
}

// series is one metric statistic of one record, window by window.
type series struct {
	metric, stat string
	unit         string
	values       []float64 // per window; NaN where the window has no value
	counts       []int64
	hists        []string // encoded per-window histograms, when the metric has them
	pooled       float64
	pooledCount  int64
}

// seriesOf extracts metric.stat from rec.
func seriesOf(rec *baseline.Record, metric, stat string) (*series, error) {
	m, ok := rec.Metrics[metric]
	if !ok || m == nil {
		return nil, fmt.Errorf("metric %s was not measured in scenario %s", metric, rec.Scenario)
	}
	s := &series{metric: metric, stat: stat, unit: m.Unit, pooled: math.NaN(), pooledCount: m.Pooled.Count}
	if v, ok := m.Pooled.Stats[stat]; ok {
		s.pooled = v
	}
	for _, w := range m.Windows {
		v, ok := w.Stats[stat]
		if !ok {
			v = math.NaN()
		}
		s.values = append(s.values, v)
		s.counts = append(s.counts, w.Count)
		s.hists = append(s.hists, w.Hist)
	}
	return s, nil
}

// tailOK reports whether a sample of n values has enough values above the
// quantile of stat to estimate it. Non-percentile statistics always do.
func tailOK(stat string, n int64) bool {
	q, ok := metric.Quantile(stat)
	if !ok {
		return n > 0
	}
	return float64(n)*(1-q) >= MinTailSamples
}

// minCountFor returns the smallest sample size with enough tail values for stat.
func minCountFor(stat string) int64 {
	q, ok := metric.Quantile(stat)
	if !ok {
		return 1
	}
	return int64(math.Ceil(MinTailSamples / (1 - q)))
}

// windowsTailOK reports whether every window of s has enough tail samples.
func (s *series) windowsTailOK() bool {
	if len(s.values) == 0 {
		return false
	}
	for i, n := range s.counts {
		if !tailOK(s.stat, n) || !(s.values[i] > 0) {
			return false
		}
	}
	return true
}

// decodedHists decodes the per-window histograms of s.
func (s *series) decodedHists() ([]*hdrhistogram.Histogram, error) {
	out := make([]*hdrhistogram.Histogram, len(s.hists))
	for i, enc := range s.hists {
		if enc == "" {
			continue
		}
		h, err := baseline.DecodeHist(enc)
		if err != nil {
			return nil, fmt.Errorf("window %d of %s: %w", i, s.metric, err)
		}
		out[i] = h
	}
	return out, nil
}

// leaveOneOut returns the statistic of the pooled histogram without window
// excl (excl < 0: all windows), in the metric's unit.
func leaveOneOut(hs []*hdrhistogram.Histogram, excl int, stat string, scale float64) float64 {
	var pooled *hdrhistogram.Histogram
	for i, h := range hs {
		if i == excl || h == nil {
			continue
		}
		if pooled == nil {
			pooled = hdrhistogram.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
		}
		pooled.Merge(h)
	}
	if pooled == nil || pooled.TotalCount() == 0 {
		return math.NaN()
	}
	return metric.HistStat(pooled, stat) * scale
}
