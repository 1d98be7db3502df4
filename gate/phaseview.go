package gate

import (
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// Phases of a scenario's windows around its disturbances (faults, or a
// spike): "before.e2e.p95" is the e2e p95 of the windows before them.
const (
	PhaseBefore = "before"
	PhaseDuring = "during"
	PhaseAfter  = "after"
)

// disturbance is one fault or spike of a record: from start to end, in
// seconds from the start of the measured windows.
type disturbance struct {
	name       string
	start, end float64
	// tol is the recovery tolerance: window p95 latency within tol of its
	// level before, error rate within RecoveryErrorTolerance of it.
	tol   float64
	fault *baseline.FaultPhase // nil for a spike
}

// RecoveryErrorTolerance is how far above its rate before a fault (or
// spike) a window's error rate may be for the service to count as
// recovered: 1 percentage point.
const RecoveryErrorTolerance = 0.01

// disturbancesOf returns the faults of rec whose start hook ran, or its
// spike, in time order.
func disturbancesOf(rec *baseline.Record) []disturbance {
	var out []disturbance
	for i := range rec.Faults {
		f := &rec.Faults[i]
		if f.StartSeconds == 0 && f.StopSeconds == 0 && !f.Started && f.StartError == "" {
			continue // the run ended before it started
		}
		tol := f.Tolerance
		if tol <= 0 {
			tol = RecoveryTolerance
		}
		out = append(out, disturbance{name: f.Name, start: f.StartSeconds, end: math.Max(f.StopSeconds, f.StartSeconds), tol: tol, fault: f})
	}
	if len(out) == 0 && rec.Spike != nil {
		sp := rec.Spike
		out = append(out, disturbance{name: "spike", start: sp.AtSeconds, end: sp.AtSeconds + sp.HoldSeconds, tol: RecoveryTolerance})
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].start < out[j-1].start; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// phaseOf labels window w: during when it overlaps a disturbance, before
// when it ends before the first one starts, after when it starts after
// the last one ended; "" between two disturbances.
func phaseOf(w baseline.WindowCounts, ds []disturbance) string {
	if len(ds) == 0 {
		return ""
	}
	for _, d := range ds {
		if w.Start < d.end && w.End > d.start {
			return PhaseDuring
		}
	}
	last := ds[0].end
	for _, d := range ds {
		last = math.Max(last, d.end)
	}
	switch {
	case w.End <= ds[0].start:
		return PhaseBefore
	case w.Start >= last:
		return PhaseAfter
	}
	return ""
}

// phaseView returns rec restricted to its windows of phase, with every
// metric's pooled statistics computed again over them (its reference arm
// too, by its own phases); nil when no window has that phase.
func phaseView(rec *baseline.Record, phase string) *baseline.Record {
	if rec == nil {
		return nil
	}
	ds := disturbancesOf(rec)
	var keep []int
	for i, w := range rec.Windows {
		if phaseOf(w, ds) == phase {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	v := *rec
	v.Windows = make([]baseline.WindowCounts, 0, len(keep))
	for _, i := range keep {
		v.Windows = append(v.Windows, rec.Windows[i])
	}
	v.Metrics = make(map[string]*baseline.Metric, len(rec.Metrics))
	for name, m := range rec.Metrics {
		if m == nil || len(m.Windows) != len(rec.Windows) {
			continue
		}
		sub := &baseline.Metric{Unit: m.Unit}
		for _, i := range keep {
			sub.Windows = append(sub.Windows, m.Windows[i])
		}
		sub.Pooled = poolWindows(name, sub)
		v.Metrics[name] = sub
	}
	v.Capacity = nil
	if rec.Reference != nil {
		v.Reference = phaseView(rec.Reference, phase)
	}
	return &v
}

// poolWindows computes the pooled statistics of m's windows the way
// load.Summarize does: histograms merged, rates count-weighted (ratios) or
// averaged, server series max of maxima and sample-weighted mean.
func poolWindows(name string, m *baseline.Metric) baseline.WindowStats {
	out := baseline.WindowStats{Stats: map[string]float64{}}
	var hists []*hdrhistogram.Histogram
	for _, w := range m.Windows {
		if w.Hist == "" {
			continue
		}
		if h, err := baseline.DecodeHist(w.Hist); err == nil {
			hists = append(hists, h)
		}
	}
	if len(hists) > 0 {
		pooled := mergeHists(hists, -1)
		if pooled == nil || pooled.TotalCount() == 0 {
			return out
		}
		_, scale := metric.RecordScale(name)
		out.Count = pooled.TotalCount()
		for _, s := range metric.Stats {
			out.Stats[s] = metric.HistStat(pooled, s) * scale
		}
		return out
	}
	var sum, n float64
	var smax, smean float64
	hasMax := false
	for _, w := range m.Windows {
		out.Count += w.Count
		if v, ok := w.Stats[metric.ValueStat]; ok && !math.IsNaN(v) {
			if m.Unit == metric.Ratio {
				sum += v * float64(w.Count)
			} else {
				sum += v
				n++
			}
		}
		if v, ok := w.Stats["max"]; ok && w.Count > 0 {
			if !hasMax || v > smax {
				smax = v
			}
			hasMax = true
			smean += w.Stats["mean"] * float64(w.Count)
		}
	}
	switch {
	case hasMax:
		out.Stats["max"] = smax
		out.Stats["mean"] = smean / float64(out.Count)
	case m.Unit == metric.Ratio && out.Count > 0:
		out.Stats[metric.ValueStat] = sum / float64(out.Count)
	case m.Unit != metric.Ratio && n > 0:
		out.Stats[metric.ValueStat] = sum / n
	}
	return out
}
