package gate

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
)

// MetricDefsVersion names the version of perfgate's metric definitions
// (docs/metrics.md). It is stored in every record; records written under
// another version are not compared silently.
const MetricDefsVersion = "perfgate/metrics/v1"

// Statistics computed for every histogram metric, per window and pooled.
var histStats = []string{"p50", "p90", "p95", "p99", "p99.9", "mean", "max"}

// quantileOf maps a percentile statistic to its quantile in [0,1].
var quantileOf = map[string]float64{"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99, "p99.9": 0.999}

// RunMeta is what a record needs besides the measurement itself.
type RunMeta struct {
	Kind       string // baseline.KindRun or baseline.KindCalibration; empty means run
	Policy     string
	PolicyHash string
	Commit     string
	Branch     string
	Time       time.Time
	Env        baseline.Env
}

// unitOf gives the unit of a recorded load metric in a record. Latencies are
// recorded in microseconds and stored in milliseconds.
func unitOf(metric string) (unit string, scale float64) {
	switch metric {
	case load.MetricOutputTokens:
		return "tokens", 1
	default:
		return "ms", 1e-3
	}
}

// Summarize turns one arm's load result into a record: per metric the
// statistics and the encoded histogram of every window, the pooled
// histogram, and the rate metrics (requests_per_s, output_tokens_per_s,
// goodput, error_rate) per window.
func Summarize(res *load.Result, meta RunMeta) (*baseline.Record, error) {
	if res == nil {
		return nil, fmt.Errorf("summarize: no result")
	}
	kind := meta.Kind
	if kind == "" {
		kind = baseline.KindRun
	}
	ws := res.Window.Seconds()
	rec := &baseline.Record{
		Schema:        baseline.Schema,
		Kind:          kind,
		Policy:        meta.Policy,
		PolicyHash:    meta.PolicyHash,
		Scenario:      res.Scenario,
		Commit:        meta.Commit,
		Branch:        meta.Branch,
		Time:          meta.Time.UTC(),
		Env:           meta.Env,
		MetricDefs:    MetricDefsVersion,
		WindowSeconds: ws,
		Metrics:       map[string]*baseline.Metric{},
		Offered:       res.Offered,
		Achieved:      res.Achieved,
		ColdStart:     float64(res.ColdStart) / float64(time.Millisecond),
		Valid:         res.Validity.KeptUp,
		Invalid:       append([]string(nil), res.Validity.Reasons...),
		Partial:       res.Partial,
	}
	if rec.Time.IsZero() {
		rec.Time = res.Started.UTC()
	}
	if len(res.ErrorExamples) > 0 {
		rec.ErrorExamples = make(map[string]string, len(res.ErrorExamples))
		for k, v := range res.ErrorExamples {
			rec.ErrorExamples[k] = v
		}
	}

	names := map[string]bool{}
	server := map[string]bool{}
	var tokens, good int64
	for _, w := range res.Windows {
		for _, n := range w.Metrics() {
			names[n] = true
		}
		for n := range w.Server {
			server[n] = true
		}
		tokens += w.OutputTokens
		good += w.Good
		rec.Windows = append(rec.Windows, countsOf(w))
	}

	for _, name := range sortedKeys(names) {
		m, err := histMetric(res.Windows, name)
		if err != nil {
			return nil, err
		}
		rec.Metrics[name] = m
	}
	if len(res.Windows) == 0 {
		return rec, nil
	}

	rec.Metrics["requests_per_s"] = rateMetric(res.Windows, "req/s", func(w *load.Window) (float64, int64) {
		return float64(w.Succeeded) / windowSeconds(w, ws), w.Succeeded
	})
	rec.Metrics["error_rate"] = rateMetric(res.Windows, "ratio", func(w *load.Window) (float64, int64) {
		n := w.Succeeded + w.Failed
		if n == 0 {
			return math.NaN(), 0
		}
		return float64(w.Failed) / float64(n), n
	})
	if tokens > 0 {
		rec.Metrics["output_tokens_per_s"] = rateMetric(res.Windows, "tok/s", func(w *load.Window) (float64, int64) {
			return float64(w.OutputTokens) / windowSeconds(w, ws), w.Succeeded
		})
	}
	if good > 0 {
		rec.Metrics["goodput"] = rateMetric(res.Windows, "req/s", func(w *load.Window) (float64, int64) {
			return float64(w.Good) / windowSeconds(w, ws), w.Succeeded
		})
	}
	for _, name := range sortedKeys(server) {
		rec.Metrics["server."+name] = serverMetric(res.Windows, name)
	}
	return rec, nil
}

func windowSeconds(w *load.Window, nominal float64) float64 {
	if d := (w.End - w.Start).Seconds(); d > 0 {
		return d
	}
	return nominal
}

func countsOf(w *load.Window) baseline.WindowCounts {
	c := baseline.WindowCounts{
		Start:        w.Start.Seconds(),
		End:          w.End.Seconds(),
		Sent:         w.Sent,
		Succeeded:    w.Succeeded,
		Failed:       w.Failed,
		Good:         w.Good,
		OutputTokens: w.OutputTokens,
	}
	if len(w.Errors) > 0 {
		c.Errors = make(map[string]int64, len(w.Errors))
		for k, v := range w.Errors {
			c.Errors[k] = v
		}
	}
	if len(w.Status) > 0 {
		c.Status = make(map[string]int64, len(w.Status))
		for k, v := range w.Status {
			c.Status[strconv.Itoa(k)] = v
		}
	}
	return c
}

// histMetric summarises one histogram metric over the windows.
func histMetric(windows []*load.Window, name string) (*baseline.Metric, error) {
	unit, scale := unitOf(name)
	m := &baseline.Metric{Unit: unit}
	var pooled *hdrhistogram.Histogram
	for _, w := range windows {
		h := w.Histogram(name)
		st, err := histStatsOf(h, scale)
		if err != nil {
			return nil, fmt.Errorf("summarize %s window %d: %w", name, w.Index, err)
		}
		m.Windows = append(m.Windows, st)
		if h == nil {
			continue
		}
		if pooled == nil {
			pooled = hdrhistogram.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
		}
		if dropped := pooled.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("summarize %s: %d values out of the pooled histogram's range", name, dropped)
		}
	}
	st, err := histStatsOf(pooled, scale)
	if err != nil {
		return nil, fmt.Errorf("summarize %s pooled: %w", name, err)
	}
	m.Pooled = st
	return m, nil
}

// histStatsOf computes the standard statistics of h, scaled into the
// metric's unit, and encodes h. A nil or empty histogram gives Count 0 and
// no statistics.
func histStatsOf(h *hdrhistogram.Histogram, scale float64) (baseline.WindowStats, error) {
	if h == nil || h.TotalCount() == 0 {
		return baseline.WindowStats{Stats: map[string]float64{}}, nil
	}
	st := baseline.WindowStats{Count: h.TotalCount(), Stats: make(map[string]float64, len(histStats))}
	for _, s := range histStats {
		st.Stats[s] = histStat(h, s) * scale
	}
	enc, err := baseline.EncodeHist(h)
	if err != nil {
		return st, err
	}
	st.Hist = enc
	return st, nil
}

// histStat returns statistic s of h in the histogram's own unit.
func histStat(h *hdrhistogram.Histogram, s string) float64 {
	switch s {
	case "mean":
		return h.Mean()
	case "max":
		return float64(h.Max())
	case "min":
		return float64(h.Min())
	}
	// ValueAtQuantile takes a percentage in [0,100].
	return float64(h.ValueAtQuantile(quantileOf[s] * 100))
}

// rateMetric builds a per-window rate metric; value returns the window's
// value and the count it rests on. The pooled value is the count-weighted
// mean (for error_rate: total failed over total completed).
func rateMetric(windows []*load.Window, unit string, value func(*load.Window) (float64, int64)) *baseline.Metric {
	m := &baseline.Metric{Unit: unit}
	var sum float64
	var n int
	var count int64
	for _, w := range windows {
		v, c := value(w)
		st := baseline.WindowStats{Count: c, Stats: map[string]float64{}}
		if !math.IsNaN(v) {
			st.Stats["value"] = v
			if unit == "ratio" {
				sum += v * float64(c)
			} else {
				sum += v
				n++
			}
		}
		count += c
		m.Windows = append(m.Windows, st)
	}
	pooled := baseline.WindowStats{Count: count, Stats: map[string]float64{}}
	switch {
	case unit == "ratio" && count > 0:
		pooled.Stats["value"] = sum / float64(count)
	case unit != "ratio" && n > 0:
		pooled.Stats["value"] = sum / float64(n)
	}
	m.Pooled = pooled
	return m
}

// serverMetric keeps the per-window max and mean of a scraped series; the
// pooled statistics are the max of maxima and the sample-weighted mean.
func serverMetric(windows []*load.Window, name string) *baseline.Metric {
	m := &baseline.Metric{Unit: ""}
	pooled := baseline.WindowStats{Stats: map[string]float64{}}
	var sum float64
	for _, w := range windows {
		s, ok := w.Server[name]
		st := baseline.WindowStats{Stats: map[string]float64{}}
		if ok && s.Samples > 0 {
			st.Count = int64(s.Samples)
			st.Stats["max"] = s.Max
			st.Stats["mean"] = s.Mean
			if pooled.Count == 0 || s.Max > pooled.Stats["max"] {
				pooled.Stats["max"] = s.Max
			}
			pooled.Count += int64(s.Samples)
			sum += s.Mean * float64(s.Samples)
		}
		m.Windows = append(m.Windows, st)
	}
	if pooled.Count > 0 {
		pooled.Stats["mean"] = sum / float64(pooled.Count)
	}
	m.Pooled = pooled
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
