package load

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
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

// NewHistogram returns an empty histogram with the range used for metric:
// tokens for MetricOutputTokens, microseconds for every other metric.
func NewHistogram(metric string) *hdrhistogram.Histogram {
	if metric == MetricOutputTokens {
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
		out.Good += w.Good
		out.OutputTokens += w.OutputTokens
		out.LengthMismatch += w.LengthMismatch
		out.CapReached += w.CapReached
		out.Clamped += w.Clamped
		out.InFlightMax = max(out.InFlightMax, w.InFlightMax)
		for k, v := range w.Errors {
			out.Errors[k] += v
		}
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

// Histogram returns the histogram of metric in w, or nil when the window
// has none. The histogram of an open window is the live one; that of a
// packed window is rebuilt on every call, so changing it does not change
// the window.
func (w *Window) Histogram(metric string) *hdrhistogram.Histogram {
	if h := w.hist[metric]; h != nil {
		return h
	}
	p := w.packed[metric]
	if p == nil {
		return nil
	}
	h := NewHistogram(metric)
	p.MergeInto(h) // the same geometry: nothing is dropped
	return h
}

// SetHistogram replaces the histogram of metric in w (tests, and tools that
// build windows from other data).
func (w *Window) SetHistogram(metric string, h *hdrhistogram.Histogram) {
	delete(w.packed, metric)
	if w.hist == nil {
		w.hist = map[string]*hdrhistogram.Histogram{}
	}
	w.hist[metric] = h
}

// newPacked returns an empty sparse histogram with the geometry of
// NewHistogram(metric).
func newPacked(metric string) *hdrhistogram.PackedHistogram {
	if metric == MetricOutputTokens {
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

// Record adds v to the histogram of metric, clamping it to the range of
// NewHistogram(metric) (values outside it are counted in Clamped).
func (w *Window) Record(metric string, v int64) {
	h := w.hist[metric]
	if h == nil {
		// A late value for a packed window unpacks that histogram.
		h = w.Histogram(metric)
		delete(w.packed, metric)
		if h == nil {
			h = NewHistogram(metric)
		}
		if w.hist == nil {
			w.hist = map[string]*hdrhistogram.Histogram{}
		}
		w.hist[metric] = h
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

func (w *Window) recordDuration(metric string, d time.Duration) {
	w.Record(metric, int64(d)/microsPerDuration)
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

// sample is what a worker reports about one request. Times are relative to
// the start of the run.
type sample struct {
	arm       int
	intended  time.Duration
	sent      time.Duration
	first     time.Duration // first content chunk; <0 when none
	done      time.Duration
	clientLag time.Duration // lag not caused by the in-flight cap
	tokens    int           // <0 when unknown
	want      int           // requested output tokens; 0 when none
	inflight  int64
	capHit    bool
	started   int // the window counted in arm.started for this request, or -1
	class     string
	status    int
	msg       string
	itl       *[]time.Duration
}

// scrapeSample is one scrape of one arm's server metrics.
type scrapeSample struct {
	arm    int
	at     time.Duration
	values map[string]float64
	err    string
}

// armRecorder holds everything recorded for one arm. Only the recorder
// goroutine touches it.
type armRecorder struct {
	res       *Result
	warmup    time.Duration
	plan      *Plan         // the normalized plan: window of a time
	measEnd   time.Duration // nominal end of the measured windows
	clientLag *hdrhistogram.Histogram
	e2eAll    *hdrhistogram.Histogram // for progress
	cold      time.Duration
	lengthCtl bool
	good      GoodLimits
	packed    int              // windows before this index are packed
	recorded  []int64          // samples recorded per measured window
	repack    map[int]struct{} // packed windows a late value unpacked
	// for the progress rate
	lastSent, sent, succeeded, failed int64
}

func newArmRecorder(res *Result, p *Plan, lengthCtl bool) *armRecorder {
	n := p.windows()
	for i := 0; i < n; i++ {
		end := time.Duration(i+1) * p.Window
		if end > p.Duration {
			end = p.Duration
		}
		res.Windows = append(res.Windows, newWindow(i, time.Duration(i)*p.Window, end))
	}
	res.Warmup = newWindow(-1, -p.Warmup, 0)
	return &armRecorder{
		recorded:  make([]int64, n),
		res:       res,
		plan:      p,
		warmup:    p.Warmup,
		measEnd:   p.Warmup + p.Duration,
		clientLag: NewHistogram(MetricScheduleLag),
		e2eAll:    NewHistogram(MetricE2E),
		cold:      -1,
		lengthCtl: lengthCtl,
		good:      p.Good,
	}
}

// packClosed packs the measured windows that are complete at now (run
// time): their time is more than a second past, and every request handed
// to a worker for them (started, per window of the due time) has been
// recorded. A value that still comes late (a closed-loop request is
// recorded in the window of its actual send, which can be the next one)
// unpacks its histogram, and the window is packed again once complete.
func (a *armRecorder) packClosed(now time.Duration, started []atomic.Int64) {
	for k := range a.repack {
		if started[k].Load() == a.recorded[k] {
			a.res.Windows[k].Pack()
			delete(a.repack, k)
		}
	}
	for a.packed < len(a.res.Windows) {
		w := a.res.Windows[a.packed]
		if a.warmup+w.End+time.Second > now || started[a.packed].Load() != a.recorded[a.packed] {
			return
		}
		w.Pack()
		a.packed++
	}
}

// windows is the number of measured windows of the plan.
func (p *Plan) windows() int { return int((p.Duration + p.Window - 1) / p.Window) }

// windowOf returns the index of the measured window of a time relative to
// the run start (the last window for a time past the end), or -1 during
// the warm-up.
func (p *Plan) windowOf(t time.Duration) int {
	if t < p.Warmup {
		return -1
	}
	return min(int((t-p.Warmup)/p.Window), p.windows()-1)
}

// windowAt returns the window of a time relative to the run start, and
// whether it is a measured one.
func (a *armRecorder) windowAt(t time.Duration) (*Window, bool) {
	if i := a.plan.windowOf(t); i >= 0 {
		return a.res.Windows[i], true
	}
	return a.res.Warmup, false
}

func (a *armRecorder) add(s *sample) {
	w, measured := a.windowAt(s.intended)
	if s.started >= 0 {
		a.recorded[s.started]++
	}
	if measured && w.Index < a.packed {
		// A late value: the window is unpacked below and packed again
		// at the next tick that finds it complete.
		if a.repack == nil {
			a.repack = map[int]struct{}{}
		}
		a.repack[w.Index] = struct{}{}
	}
	w.Sent++
	a.sent++
	w.recordDuration(MetricScheduleLag, s.sent-s.intended)
	if measured {
		d := s.clientLag
		if d < 0 {
			d = 0
		}
		if v := int64(d) / microsPerDuration; v <= a.clientLag.HighestTrackableValue() {
			_ = a.clientLag.RecordValue(v)
		}
	}
	w.InFlightMax = max(w.InFlightMax, s.inflight)
	if s.capHit {
		w.CapReached++
	}
	switch s.class {
	case classCancelled:
		w.Cancelled++
		return
	case "":
	default:
		w.Failed++
		a.failed++
		w.Errors[s.class]++
		if s.status != 0 {
			w.Status[s.status]++
		}
		if a.res.ErrorExamples == nil {
			a.res.ErrorExamples = map[string]string{}
		}
		if _, ok := a.res.ErrorExamples[s.class]; !ok && s.msg != "" {
			a.res.ErrorExamples[s.class] = truncate(s.msg, 300)
		}
		return
	}
	w.Succeeded++
	a.succeeded++
	if a.cold < 0 || s.done < a.cold {
		a.cold = s.done
	}
	e2e := s.done - s.intended
	w.recordDuration(MetricE2E, e2e)
	w.recordDuration(MetricService, s.done-s.sent)
	if measured {
		if v := int64(e2e) / microsPerDuration; v >= 0 && v <= a.e2eAll.HighestTrackableValue() {
			_ = a.e2eAll.RecordValue(v)
		}
	}
	good := a.good.E2E <= 0 || e2e <= a.good.E2E
	var ttft time.Duration = -1
	if s.first >= 0 {
		ttft = s.first - s.intended
		w.recordDuration(MetricTTFT, ttft)
		if a.good.TTFT > 0 && ttft > a.good.TTFT {
			good = false
		}
		if s.itl != nil {
			for _, g := range *s.itl {
				w.recordDuration(MetricITL, g)
			}
		}
	}
	if s.tokens >= 0 {
		w.OutputTokens += int64(s.tokens)
		w.Record(MetricOutputTokens, int64(s.tokens))
		if a.lengthCtl && s.want > 0 && s.tokens != s.want {
			w.LengthMismatch++
		}
		if ttft >= 0 && s.tokens > 1 {
			tpot := (e2e - ttft) / time.Duration(s.tokens-1)
			w.recordDuration(MetricTPOT, tpot)
			if a.good.TPOT > 0 && tpot > a.good.TPOT {
				good = false
			}
		}
	}
	if good {
		w.Good++
	}
}

func (a *armRecorder) addScrape(s *scrapeSample) {
	if s.err != "" {
		a.res.ScrapeErrors++
		if a.res.ScrapeError == "" {
			a.res.ScrapeError = s.err
		}
		return
	}
	w, _ := a.windowAt(s.at)
	for k, v := range s.values {
		w.addSeries(k, v)
	}
}

// Validity limits.
const (
	// DefaultMaxLagP99 is the client-side schedule lag p99 above which a
	// run did not keep up. Go's timers and a loaded 2-core CI runner stay
	// well under it; a generator starved of CPU does not.
	DefaultMaxLagP99 = 10 * time.Millisecond
	// MinAchievedRatio is the lowest achieved/offered rate of a run that
	// kept up (unless the target itself saturated).
	MinAchievedRatio = 0.98
)

// finish computes the run-level fields of the result. measEnd is the time
// (from the run start) the measurement actually ended; offered the number of
// requests the schedule placed in [warmup, measEnd).
func (a *armRecorder) finish(measEnd time.Duration, offered int64, closedLoop bool, maxLag time.Duration, capSize int) {
	r := a.res
	span := measEnd - a.warmup
	// Drop windows that the run never reached (cancelled or stopped early).
	kept := r.Windows[:0]
	for _, w := range r.Windows {
		if w.Start < span {
			if w.End > span {
				w.End = span
			}
			kept = append(kept, w)
		}
	}
	r.Windows = kept
	var sent, capHits int64
	for _, w := range r.Windows {
		sent += w.Sent
		capHits += w.CapReached
	}
	if span > 0 {
		r.Achieved = float64(sent) / span.Seconds()
		r.Offered = float64(offered) / span.Seconds()
	}
	if closedLoop {
		r.Offered = r.Achieved
	}
	if a.cold >= 0 {
		r.ColdStart = a.cold
	}
	v := &r.Validity
	v.LagP99 = QuantileDuration(a.clientLag, 0.99)
	v.AchievedRatio = 1
	if r.Offered > 0 {
		v.AchievedRatio = r.Achieved / r.Offered
	}
	v.TargetSaturated = capHits > 0
	v.KeptUp = true
	if sent == 0 {
		v.KeptUp = false
		v.Reasons = append(v.Reasons, "no request was sent in the measured windows")
	}
	if v.LagP99 > maxLag {
		v.KeptUp = false
		v.Reasons = append(v.Reasons, fmt.Sprintf("client schedule lag p99 %v exceeds %v: the load generator could not send on time", v.LagP99, maxLag))
	}
	if v.TargetSaturated {
		v.Reasons = append(v.Reasons, fmt.Sprintf("the in-flight cap of %d was reached %d times: responses were too slow for the offered rate (target saturated)", capSize, capHits))
	}
	if v.AchievedRatio < MinAchievedRatio && !v.TargetSaturated && sent > 0 {
		v.KeptUp = false
		v.Reasons = append(v.Reasons, fmt.Sprintf("achieved %.1f req/s of %.1f offered (%.1f%%)", r.Achieved, r.Offered, 100*v.AchievedRatio))
	}
}
