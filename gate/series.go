package gate

import (
	"fmt"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

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

// seriesOf extracts name.stat from rec.
func seriesOf(rec *baseline.Record, name, stat string) (*series, error) {
	m, ok := rec.Metrics[name]
	if !ok || m == nil {
		return nil, fmt.Errorf("metric %s was not measured in scenario %s", name, rec.Scenario)
	}
	s := &series{metric: name, stat: stat, unit: m.Unit, pooled: math.NaN(), pooledCount: m.Pooled.Count}
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

// windowsTailOK reports whether every window of s has enough tail samples.
func (s *series) windowsTailOK() bool {
	if len(s.values) == 0 {
		return false
	}
	for i, n := range s.counts {
		if !metric.EnoughTail(s.stat, n) || !(s.values[i] > 0) {
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
	pooled := mergeHists(hs, excl)
	if pooled == nil || pooled.TotalCount() == 0 {
		return math.NaN()
	}
	return metric.HistStat(pooled, stat) * scale
}

// mergeHists returns the histograms hs merged, without window excl (excl <
// 0: all windows); nil when there is none.
func mergeHists(hs []*hdrhistogram.Histogram, excl int) *hdrhistogram.Histogram {
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
	return pooled
}
