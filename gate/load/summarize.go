package load

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

var _ metric.Histogram = (*hdrhistogram.Histogram)(nil)

// RunMeta is what a record needs besides the measurement itself.
type RunMeta struct {
	Kind       string // baseline.KindRun or baseline.KindCalibration; empty means run
	Policy     string
	PolicyHash string
	Commit     string
	Branch     string
	Time       time.Time
	Env        baseline.Env
	// Keep, when set, selects the metrics the record holds; the others are
	// left out before they are summarized. Nil keeps every metric. The
	// evaluation keeps only the metrics it judges: encoding the others
	// would be most of its run time.
	Keep func(metric string) bool
}

// Summarize turns one arm's load result into a record: per metric the
// statistics and the encoded histogram of every window, the pooled
// histogram, and the rate metrics (requests_per_s, output_tokens_per_s,
// goodput, error_rate) per window.
func Summarize(res *Result, meta RunMeta) (*baseline.Record, error) {
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
		MetricDefs:    metric.DefsVersion,
		WindowSeconds: ws,
		Metrics:       map[string]*baseline.Metric{},
		Offered:       res.Offered,
		Achieved:      res.Achieved,
		ColdStart:     float64(res.ColdStart) / float64(time.Millisecond),
		Valid:         res.Validity.KeptUp(),
		Invalid:       res.Validity.Reasons(),
		Partial:       res.Partial,
	}
	if rec.Time.IsZero() {
		rec.Time = res.Started.UTC()
	}
	rec.ScrapeError = res.ScrapeError
	rec.ServedModel = res.ServedModel
	if len(res.ErrorExamples) > 0 {
		rec.ErrorExamples = make(map[string]string, len(res.ErrorExamples))
		for k, v := range res.ErrorExamples {
			rec.ErrorExamples[k] = v
		}
	}

	names := map[string]bool{}
	server := map[string]bool{}
	var tokens int64
	for _, w := range res.Windows {
		for _, n := range w.Metrics() {
			names[n] = true
		}
		for n := range w.Server {
			server[n] = true
		}
		tokens += w.OutputTokens
		rec.Windows = append(rec.Windows, countsOf(w))
	}

	if meta.Keep != nil {
		rec.Subset = true
		maps.DeleteFunc(names, func(name string, _ bool) bool { return !meta.Keep(name) })
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		m, err := histMetric(res.Windows, name)
		if err != nil {
			return nil, err
		}
		rec.Metrics[name] = m
	}
	if len(res.Windows) == 0 {
		return rec, nil
	}

	rec.Metrics[metric.RequestsPerS] = rateMetric(res.Windows, metric.RPS, func(w *Window) (float64, int64) {
		return float64(w.Succeeded) / windowSeconds(w, ws), w.Succeeded
	})
	rec.Metrics[metric.ErrorRate] = rateMetric(res.Windows, metric.Ratio, func(w *Window) (float64, int64) {
		n := w.Succeeded + w.Failed
		if n == 0 {
			return math.NaN(), 0
		}
		return float64(w.Failed) / float64(n), n
	})
	if tokens > 0 {
		rec.Metrics[metric.OutputTokensPerS] = rateMetric(res.Windows, metric.TPS, func(w *Window) (float64, int64) {
			return float64(w.OutputTokens) / windowSeconds(w, ws), w.Succeeded
		})
	}
	// Goodput is a measurement even when no request was good: 0 req/s.
	rec.Metrics[metric.Goodput] = rateMetric(res.Windows, metric.RPS, func(w *Window) (float64, int64) {
		return float64(w.Good) / windowSeconds(w, ws), w.Succeeded
	})
	stepRateMetrics(rec, res.Windows)
	for _, name := range slices.Sorted(maps.Keys(server)) {
		rec.Metrics[metric.ServerPrefix+name] = serverMetric(res.Windows, name)
	}
	if meta.Keep != nil {
		maps.DeleteFunc(rec.Metrics, func(name string, _ *baseline.Metric) bool { return !meta.Keep(name) })
	}
	return rec, nil
}

func windowSeconds(w *Window, nominal float64) float64 {
	if d := (w.End - w.Start).Seconds(); d > 0 {
		return d
	}
	return nominal
}

func countsOf(w *Window) baseline.WindowCounts {
	c := baseline.WindowCounts{
		Start:          w.Start.Seconds(),
		End:            w.End.Seconds(),
		Sent:           w.Sent,
		Succeeded:      w.Succeeded,
		Failed:         w.Failed,
		Good:           w.Good,
		OutputTokens:   w.OutputTokens,
		Resent:         w.Resent,
		LengthMismatch: w.LengthMismatch,
		Scrapes:        w.Scrapes,
		ScrapeFailures: w.ScrapeFailures,
		Steps:          stepRecordCounts(w),
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
func histMetric(windows []*Window, name string) (*baseline.Metric, error) {
	unit, scale := metric.RecordScale(name)
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
	st := baseline.WindowStats{Count: h.TotalCount(), Stats: make(map[string]float64, len(metric.Stats))}
	for _, s := range metric.Stats {
		st.Stats[s] = metric.HistStat(h, s) * scale
	}
	enc, err := baseline.EncodeHist(h)
	if err != nil {
		return st, err
	}
	st.Hist = enc
	return st, nil
}

// rateMetric builds a per-window rate metric; value returns the window's
// value and the count it rests on. The pooled value is the count-weighted
// mean (for error_rate: total failed over total completed).
func rateMetric(windows []*Window, unit string, value func(*Window) (float64, int64)) *baseline.Metric {
	m := &baseline.Metric{Unit: unit}
	var sum float64
	var n int
	var count int64
	for _, w := range windows {
		v, c := value(w)
		st := baseline.WindowStats{Count: c, Stats: map[string]float64{}}
		if !math.IsNaN(v) {
			st.Stats["value"] = v
			if unit == metric.Ratio {
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
	case unit == metric.Ratio && count > 0:
		pooled.Stats["value"] = sum / float64(count)
	case unit != metric.Ratio && n > 0:
		pooled.Stats["value"] = sum / float64(n)
	}
	m.Pooled = pooled
	return m
}

// serverMetric keeps the per-window max and mean of a scraped series; the
// pooled statistics are the max of maxima and the sample-weighted mean.
func serverMetric(windows []*Window, name string) *baseline.Metric {
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
