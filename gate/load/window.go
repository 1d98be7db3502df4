package load

import (
	"fmt"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/gate/metric"
)

// Histogram ranges. Latencies are recorded in microseconds from 1 µs to one
// hour, token counts from 1 to ten million, both with 3 significant digits
// (a value is known to within 0.1%). Larger values are clamped to the top of
// the range and counted in Window.Clamped.
const (
	HistSigFigs        = 3
	HistMaxLatencyUS   = int64(time.Hour / time.Microsecond)
	HistMaxTokens      = int64(10_000_000)
	microsPerDuration  = int64(time.Microsecond)
	histLowestDiscrete = 1
)

// NewHistogram returns an empty histogram with the range used for the
// recorded metric name: tokens for metric.OutputTokens, microseconds for
// every other metric.
func NewHistogram(name string) *hdrhistogram.Histogram {
	if name == metric.OutputTokens {
		return hdrhistogram.New(histLowestDiscrete, HistMaxTokens, HistSigFigs)
	}
	return hdrhistogram.New(histLowestDiscrete, HistMaxLatencyUS, HistSigFigs)
}

// Quantile returns the value at quantile q in [0, 1] of h (µs for latency
// histograms), or 0 for an empty or nil histogram.
func Quantile(h *hdrhistogram.Histogram, q float64) int64 {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	return h.ValueAtQuantile(q * 100)
}

// QuantileDuration is Quantile for a latency histogram, as a duration.
func QuantileDuration(h *hdrhistogram.Histogram, q float64) time.Duration {
	return time.Duration(Quantile(h, q)) * time.Microsecond
}

// MergeHistogram adds src into dst. It returns an error when dst could not
// hold some of the values (different ranges), naming how many were dropped.
func MergeHistogram(dst, src *hdrhistogram.Histogram) error {
	if src == nil {
		return nil
	}
	if dropped := dst.Merge(src); dropped > 0 {
		return fmt.Errorf("merge: %d values outside the destination histogram's range were dropped", dropped)
	}
	return nil
}

// MergeWindows pools windows (e.g. all measured windows of a run, or one
// window of several shards) into one new window: counts are summed,
// histograms merged exactly, InFlightMax is the maximum, server series are
// combined (max of maxima, sample-weighted mean). The windows are not
// modified. Start and End span the inputs.
func MergeWindows(ws ...*Window) (*Window, error) {
	out := newWindow(0, 0, 0)
	first := true
	for _, w := range ws {
		if w == nil {
			continue
		}
		if first || w.Start < out.Start {
			out.Start = w.Start
		}
		if first || w.End > out.End {
			out.End = w.End
		}
		first = false
		for _, name := range w.Metrics() {
			h := w.Histogram(name)
			d := out.hist[name]
			if d == nil {
				d = NewHistogram(name)
				out.hist[name] = d
			}
			if err := MergeHistogram(d, h); err != nil {
				return nil, fmt.Errorf("window %d, %s: %w", w.Index, name, err)
			}
		}
		out.Sent += w.Sent
		out.Succeeded += w.Succeeded
		out.Failed += w.Failed
		out.Cancelled += w.Cancelled
		out.Resent += w.Resent
		out.Scrapes += w.Scrapes
		out.ScrapeFailures += w.ScrapeFailures
		out.Good += w.Good
		out.OutputTokens += w.OutputTokens
		out.LengthMismatch += w.LengthMismatch
		out.CapReached += w.CapReached
		out.Clamped += w.Clamped
		out.InFlightMax = max(out.InFlightMax, w.InFlightMax)
		for k, v := range w.Errors {
			out.Errors[k] += v
		}
		mergeSteps(out, w)
		for k, v := range w.Status {
			out.Status[k] += v
		}
		for k, s := range w.Server {
			o, ok := out.Server[k]
			if !ok {
				out.Server[k] = s
				continue
			}
			n := o.Samples + s.Samples
			if n > 0 {
				o.Mean = (o.Mean*float64(o.Samples) + s.Mean*float64(s.Samples)) / float64(n)
			}
			o.Max = max(o.Max, s.Max)
			o.Samples = n
			out.Server[k] = o
		}
	}
	return out, nil
}

// Pooled merges the measured windows of a result into one window.
func (r *Result) Pooled() (*Window, error) { return MergeWindows(r.Windows...) }

func newWindow(i int, start, end time.Duration) *Window {
	return &Window{
		Index:  i,
		Start:  start,
		End:    end,
		hist:   map[string]*hdrhistogram.Histogram{},
		Errors: map[string]int64{},
		Status: map[int]int64{},
		Server: map[string]SeriesStat{},
	}
}

// NewWindow returns an empty window with the given index and bounds
// (relative to the end of the warm-up), ready for Record.
func NewWindow(i int, start, end time.Duration) *Window { return newWindow(i, start, end) }

// Metrics returns the names of the metrics with a histogram in w, sorted.
func (w *Window) Metrics() []string {
	names := make([]string, 0, len(w.hist)+len(w.packed))
	for n := range w.hist {
		names = append(names, n)
	}
	for n := range w.packed {
		if _, ok := w.hist[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Histogram returns the histogram of the named metric in w, or nil when
// the window has none. The histogram of an open window is the live one;
// that of a packed window is rebuilt on every call, so changing it does not
// change the window.
func (w *Window) Histogram(name string) *hdrhistogram.Histogram {
	if h := w.hist[name]; h != nil {
		return h
	}
	p := w.packed[name]
	if p == nil {
		return nil
	}
	h := NewHistogram(name)
	p.MergeInto(h) // the same geometry: nothing is dropped
	return h
}

// SetHistogram replaces the histogram of the named metric in w (tests, and
// tools that build windows from other data).
func (w *Window) SetHistogram(name string, h *hdrhistogram.Histogram) {
	delete(w.packed, name)
	if w.hist == nil {
		w.hist = map[string]*hdrhistogram.Histogram{}
	}
	w.hist[name] = h
}

// newPacked returns an empty sparse histogram with the geometry of
// NewHistogram(name).
func newPacked(name string) *hdrhistogram.PackedHistogram {
	if name == metric.OutputTokens {
		return hdrhistogram.NewPacked(histLowestDiscrete, HistMaxTokens, HistSigFigs)
	}
	return hdrhistogram.NewPacked(histLowestDiscrete, HistMaxLatencyUS, HistSigFigs)
}

// Pack moves the histograms of w into HdrHistogram's sparse form, which
// holds only the populated buckets (a few KiB for a window of a few
// hundred values instead of 188 KiB per latency histogram), so a long
// run's memory does not grow with its windows. The recorder packs a
// window once no request can still land in it; a late value unpacks that
// histogram again. Pack is idempotent.
func (w *Window) Pack() {
	for name, h := range w.hist {
		p := newPacked(name)
		if p.MergeFrom(h) > 0 {
			continue // another geometry (SetHistogram): keep it dense
		}
		p.Compact()
		if w.packed == nil {
			w.packed = map[string]*hdrhistogram.PackedHistogram{}
		}
		w.packed[name] = p
		delete(w.hist, name)
	}
}

// Record adds v to the histogram of the named metric, clamping it to the
// range of NewHistogram(name) (values outside it are counted in Clamped).
func (w *Window) Record(name string, v int64) {
	h := w.hist[name]
	if h == nil {
		// A late value for a packed window unpacks that histogram.
		h = w.Histogram(name)
		delete(w.packed, name)
		if h == nil {
			h = NewHistogram(name)
		}
		if w.hist == nil {
			w.hist = map[string]*hdrhistogram.Histogram{}
		}
		w.hist[name] = h
	}
	if v < 0 {
		v = 0
	}
	if top := h.HighestTrackableValue(); v > top {
		v = top
		w.Clamped++
	}
	if err := h.RecordValue(v); err != nil {
		w.Clamped++
	}
}

func (w *Window) recordDuration(name string, d time.Duration) {
	w.Record(name, int64(d)/microsPerDuration)
}

func (w *Window) addSeries(name string, v float64) {
	s := w.Server[name]
	if s.Samples == 0 || v > s.Max {
		s.Max = v
	}
	s.Mean += (v - s.Mean) / float64(s.Samples+1)
	s.Samples++
	w.Server[name] = s
}
