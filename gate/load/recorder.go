package load

import (
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/gate/metric"
)

// ClassCancelled is the Class of a Sample cut off by the end of a cancelled
// run: neither a success nor a failure.
const ClassCancelled = "cancelled"

// Sample is what is known of one request when it has completed: the input
// of a Recorder. Times are from the start of the run, warm-up included.
type Sample struct {
	// Intended is when the schedule wanted the request sent; in closed
	// loop, where there is no schedule, it is Sent.
	Intended time.Duration
	// Sent is when the request was actually sent; Done when its last byte
	// arrived or it failed.
	Sent, Done time.Duration
	// First is when the first chunk with content arrived; negative when
	// none did (a request that is not streamed, or failed first).
	First time.Duration
	// ClientLag is the part of Sent−Intended the client itself caused:
	// waiting for the in-flight cap, which the target's slowness causes,
	// is left out. It judges the load generator (Validity.LagP99).
	ClientLag time.Duration
	// ITL holds the gaps between consecutive content chunks.
	ITL []time.Duration
	// Tokens is the number of output tokens; negative when unknown.
	Tokens int
	// Want is the number of output tokens the request demanded
	// (max_tokens with ignore_eos), or 0 when the model chose the length.
	Want int
	// InFlight is the number of outstanding requests at the send, this
	// one included; CapHit is true when the in-flight cap delayed it.
	InFlight int64
	CapHit   bool
	// Class is "" for a success, an error class (ErrConnect, ...) for a
	// failure, or ClassCancelled. Status is the HTTP status of a failure
	// (0 when there was none) and Msg its message, secrets removed.
	Class  string
	Status int
	Msg    string
	// Model is the model a successful response named when it is not the
	// one requested, else "".
	Model string
	// Resent is true when the request was sent again on a fresh
	// connection because a kept-alive one failed before any response.
	Resent bool
	// Journey names the journey of a journey workload, whose Steps say
	// what each step sent did; the Sample is then the journey as a whole.
	Journey string
	Steps   []StepSample
}

// Recorder turns the Samples of one arm of a plan into its Result. It is
// the one place that defines what a request contributes: the window it
// belongs to (that of its intended send time), e2e and TTFT from the
// intended send time, service time from the actual send, TPOT as
// (e2e − TTFT) / (tokens − 1), every inter-token gap, output tokens,
// goodput, cold start, errors by class, schedule lag, and the validity of
// the run (see Validity).
//
// A Recorder is not safe for concurrent use: one goroutine feeds it, so its
// HdrHistograms need no lock. The load engine's workers hand their samples
// to such a goroutine; other sources (the simulator in virtual time) call
// Add directly.
type Recorder struct {
	res       *Result
	plan      *Plan         // normalized: the window of a time, the limits
	end       time.Duration // end of the measurement, from the run start
	clientLag *hdrhistogram.Histogram
	overhead  *hdrhistogram.Histogram // the client's delay noticing responses (probed)
	e2eAll    *hdrhistogram.Histogram // measured e2e, for progress
	cold      time.Duration
	packed    int              // windows before this index are packed
	recorded  []int64          // samples recorded per window of their start
	repack    map[int]struct{} // packed windows a late value unpacked
	// for progress snapshots
	lastSent, sent, succeeded, failed int64
	errs                              errorTally // failures by class and status, warm-up included
}

// NewRecorder returns a recorder for one arm of plan p. It reads the plan's
// timing (Warmup, Duration, Window), schedule (Pacer, or Concurrency for a
// closed loop), goodput limits (Good) and validity limits (MaxLagP99,
// LagTolerance, MaxInFlight); the workload and the hooks are not needed.
func NewRecorder(p Plan) (*Recorder, error) {
	if err := p.normalizeRecording(); err != nil {
		return nil, err
	}
	return newRecorder(&p), nil
}

func newRecorder(p *Plan) *Recorder {
	n := p.windows()
	res := &Result{Scenario: p.Scenario, Seed: p.Seed, Window: p.Window}
	for i := 0; i < n; i++ {
		end := time.Duration(i+1) * p.Window
		if end > p.Duration {
			end = p.Duration
		}
		res.Windows = append(res.Windows, newWindow(i, time.Duration(i)*p.Window, end))
	}
	res.Warmup = newWindow(-1, -p.Warmup, 0)
	return &Recorder{
		res:       res,
		plan:      p,
		end:       p.Warmup + p.Duration,
		recorded:  make([]int64, n),
		clientLag: NewHistogram(metric.ScheduleLag),
		overhead:  NewHistogram(metric.ScheduleLag),
		e2eAll:    NewHistogram(metric.E2E),
		cold:      -1,
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
func (r *Recorder) windowAt(t time.Duration) (*Window, bool) {
	if i := r.plan.windowOf(t); i >= 0 {
		return r.res.Windows[i], true
	}
	return r.res.Warmup, false
}

// Add records one request in the window of its intended send time.
func (r *Recorder) Add(s Sample) {
	w, measured := r.windowAt(s.Intended)
	if measured && w.Index < r.packed {
		// A late value: the window is unpacked below and packed again
		// at the next tick that finds it complete.
		if r.repack == nil {
			r.repack = map[int]struct{}{}
		}
		r.repack[w.Index] = struct{}{}
	}
	w.Sent++
	r.sent++
	if s.Journey != "" {
		r.addJourney(w, &s)
	}
	w.recordDuration(metric.ScheduleLag, s.Sent-s.Intended)
	if measured {
		if v := int64(max(s.ClientLag, 0)) / microsPerDuration; v <= r.clientLag.HighestTrackableValue() {
			_ = r.clientLag.RecordValue(v)
		}
	}
	w.InFlightMax = max(w.InFlightMax, s.InFlight)
	if s.Resent {
		w.Resent++
	}
	if s.CapHit {
		w.CapReached++
	}
	switch s.Class {
	case ClassCancelled:
		w.Cancelled++
		return
	case "":
	default:
		r.addFailure(w, &s)
		return
	}
	w.Succeeded++
	r.succeeded++
	if s.Model != "" && r.res.ServedModel == "" {
		r.res.ServedModel = s.Model
	}
	if r.cold < 0 || s.Done < r.cold {
		r.cold = s.Done
	}
	e2e := s.Done - s.Intended
	w.recordDuration(metric.E2E, e2e)
	w.recordDuration(metric.Service, s.Done-s.Sent)
	if measured {
		if v := int64(e2e) / microsPerDuration; v >= 0 && v <= r.e2eAll.HighestTrackableValue() {
			_ = r.e2eAll.RecordValue(v)
		}
	}
	good := r.plan.Good
	ok := good.E2E <= 0 || e2e <= good.E2E
	var ttft time.Duration = -1
	if s.First >= 0 {
		ttft = s.First - s.Intended
		w.recordDuration(metric.TTFT, ttft)
		if good.TTFT > 0 && ttft > good.TTFT {
			ok = false
		}
		for _, g := range s.ITL {
			w.recordDuration(metric.ITL, g)
		}
	}
	if s.Tokens >= 0 {
		w.OutputTokens += int64(s.Tokens)
		w.Record(metric.OutputTokens, int64(s.Tokens))
		if s.Want > 0 && s.Tokens != s.Want {
			w.LengthMismatch++
		}
		if ttft >= 0 && s.Tokens > 1 {
			tpot := (e2e - ttft) / time.Duration(s.Tokens-1)
			w.recordDuration(metric.TPOT, tpot)
			if good.TPOT > 0 && tpot > good.TPOT {
				ok = false
			}
		}
	}
	if ok {
		w.Good++
	}
}

// addFailure counts a failed request by class and status, and keeps the
// first message of each class.
func (r *Recorder) addFailure(w *Window, s *Sample) {
	w.Failed++
	r.failed++
	r.errs.add(s.Class, s.Status)
	w.Errors[s.Class]++
	if s.Status != 0 {
		w.Status[s.Status]++
	}
	if r.res.ErrorExamples == nil {
		r.res.ErrorExamples = map[string]string{}
	}
	if _, ok := r.res.ErrorExamples[s.Class]; !ok && s.Msg != "" {
		r.res.ErrorExamples[s.Class] = truncate(s.Msg, 300)
	}
}

// noteStarted counts a sample of a request started (handed to a worker)
// for measured window k, or none for k < 0; see packClosed.
func (r *Recorder) noteStarted(k int) {
	if k >= 0 {
		r.recorded[k]++
	}
}

// packClosed packs the measured windows that are complete at now (run
// time): their time is more than a second past, and every request handed
// to a worker for them (started, per window of the due time) has been
// recorded. A value that still comes late (a closed-loop request is
// recorded in the window of its actual send, which can be the next one)
// unpacks its histogram, and the window is packed again once complete.
func (r *Recorder) packClosed(now time.Duration, started []atomic.Int64) {
	for k := range r.repack {
		if started[k].Load() == r.recorded[k] {
			r.res.Windows[k].Pack()
			delete(r.repack, k)
		}
	}
	for r.packed < len(r.res.Windows) {
		w := r.res.Windows[r.packed]
		if r.plan.Warmup+w.End+time.Second > now || started[r.packed].Load() != r.recorded[r.packed] {
			return
		}
		w.Pack()
		r.packed++
	}
}

// scrapeSample is one scrape of one arm's server metrics.
type scrapeSample struct {
	arm    int
	at     time.Duration
	values map[string]float64
	err    string
}

func (r *Recorder) addScrape(s *scrapeSample) {
	w, _ := r.windowAt(s.at)
	w.Scrapes++
	if s.err != "" {
		w.ScrapeFailures++
		r.res.ScrapeErrors++
		if r.res.ScrapeError == "" {
			r.res.ScrapeError = s.err
		}
		return
	}
	for k, v := range s.values {
		w.addSeries(k, v)
	}
}

// EndAt records that the measurement ended at t (from the run start)
// before the plan's end, because the run was cancelled or stopped early:
// Finish drops the windows it never reached and computes rates over the
// time measured. A t within the warm-up ends it with the warm-up.
func (r *Recorder) EndAt(t time.Duration) {
	r.end = min(max(t, r.plan.Warmup), r.plan.Warmup+r.plan.Duration)
}

// Finish computes the run-level fields of the result (offered and achieved
// rates, cold start, validity) and returns it. Call it once, after the
// last Add. The caller fills in what the recorder cannot know: Target,
// Started, Partial and StoppedEarly.
func (r *Recorder) Finish() *Result {
	res := r.res
	span := r.end - r.plan.Warmup
	// Drop windows that the run never reached (cancelled or stopped early).
	kept := res.Windows[:0]
	for _, w := range res.Windows {
		if w.Start < span {
			if w.End > span {
				w.End = span
			}
			kept = append(kept, w)
		}
	}
	res.Windows = kept
	var sent, capHits int64
	for _, w := range res.Windows {
		sent += w.Sent
		capHits += w.CapReached
	}
	closedLoop := r.plan.Concurrency > 0
	if span > 0 {
		res.Achieved = float64(sent) / span.Seconds()
		if !closedLoop {
			res.Offered = float64(countScheduled(r.plan.Pacer, r.plan.Shard, r.plan.Warmup, r.end)) / span.Seconds()
		}
	}
	if closedLoop {
		res.Offered = res.Achieved
	}
	if r.cold >= 0 {
		res.ColdStart = r.cold
	}
	serviceP50 := r.pooledP50(metric.Service)
	res.Validity = Validity{
		Sent:          sent,
		LagP99:        QuantileDuration(r.clientLag, 0.99),
		LagLimit:      r.plan.MaxLagP99,
		OverheadP50:   QuantileDuration(r.overhead, 0.5),
		OverheadP99:   QuantileDuration(r.overhead, 0.99),
		Probes:        r.overhead.TotalCount(),
		OverheadLimit: max(DefaultMaxOverhead, min(time.Duration(OverheadShare*float64(serviceP50)), MaxOverheadCeiling)),
		Offered:       res.Offered,
		Achieved:      res.Achieved,
		AchievedRatio: 1,
		CapReached:    capHits,
		InFlightCap:   r.plan.MaxInFlight,
	}
	if r.plan.LagTolerance > 0 {
		relative := min(time.Duration(r.plan.LagTolerance*float64(serviceP50)), MaxLagCeiling)
		res.Validity.LagLimit = max(res.Validity.LagLimit, relative)
	}
	if res.Offered > 0 {
		res.Validity.AchievedRatio = res.Achieved / res.Offered
	}
	return res
}

// pooledP50 is the median of a duration metric (metric.E2E,
// metric.Service) over the measured windows, which the validity limits
// scale with.
func (r *Recorder) pooledP50(name string) time.Duration {
	pooled := NewHistogram(name)
	for _, w := range r.res.Windows {
		if err := MergeHistogram(pooled, w.Histogram(name)); err != nil {
			return 0 // the same geometry: nothing is dropped
		}
	}
	return QuantileDuration(pooled, 0.5)
}

// addOverhead records one probe of the client's delay in noticing a
// readable response, when it was sent within the measured windows.
func (r *Recorder) addOverhead(s probeSample) {
	if s.at < r.plan.Warmup || s.at >= r.end {
		return
	}
	if v := int64(max(s.d, 0)) / microsPerDuration; v <= r.overhead.HighestTrackableValue() {
		_ = r.overhead.RecordValue(v)
	}
}

// countScheduled counts the requests of shard sh the pacer places in [from, to).
func countScheduled(p Pacer, sh Shard, from, to time.Duration) int64 {
	if p == nil {
		return 0
	}
	var n, count uint64
	for ; ; n++ {
		due, stop := p.Pace(0, n)
		if stop || due >= to {
			break
		}
		if due >= from && sh.owns(n) {
			count++
		}
	}
	return int64(count)
}
