package load

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Plan.
const (
	DefaultWindow      = 5 * time.Second
	DefaultMaxInFlight = 1024
	// DefaultGrace is how long in-flight requests may finish after the
	// run's context is cancelled.
	DefaultGrace = 2 * time.Second
	// lateSlack is how late a request may still be sent after the end of
	// the schedule (timer overshoot on the last tick).
	lateSlack = 250 * time.Millisecond
)

// Run measures target t under plan p. It returns an error only for a broken
// plan, workload or target description; a failing target is data in the
// Result. Cancelling ctx stops sending, lets in-flight requests finish for
// Plan.Grace, and returns the partial Result (Partial set).
func Run(ctx context.Context, p Plan, t Target) (*Result, error) {
	rs, err := run(ctx, p, []Target{t}, []string{""})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// RunPaired measures two targets at the same time under one schedule: every
// request index (hence the same prompt) is due at the same intended time on
// both arms, so their windows align one to one. Each arm has its own
// workers, in-flight cap and recorder state, so a slow arm does not delay
// the other's sends (up to 4096 ticks of backlog; beyond it the schedule
// waits for the slower arm, and both arms' lag shows it). In closed-loop mode
// each arm runs its own workers and request indices.
func RunPaired(ctx context.Context, p Plan, base, cand Target) (baseRes, candRes *Result, err error) {
	rs, err := run(ctx, p, []Target{base, cand}, []string{"base", "candidate"})
	if err != nil {
		return nil, nil, err
	}
	return rs[0], rs[1], nil
}

// tick is one scheduled request: its index and intended send time.
type tick struct {
	n   uint64
	due time.Duration
}

// job is a tick handed to a worker.
type job struct {
	tick
	capHit bool
	// notBefore is the earliest the client could have sent the request:
	// its intended time, or the moment the in-flight cap last released the
	// dispatcher, whichever is later. Lag beyond it is the client's own.
	notBefore time.Duration
}

// arm is the sending side of one target.
type arm struct {
	idx      int
	name     string
	c        *client
	inflight atomic.Int64
	ticks    chan tick
	jobs     chan job
	workers  int
	wg       sync.WaitGroup
	next     atomic.Uint64 // closed loop: next request index
	// started counts the requests handed to a worker per measured window
	// (of their intended time), so the recorder knows when a window is
	// complete and can pack it.
	started []atomic.Int64
}

type runner struct {
	p       Plan
	t0      time.Time
	end     time.Duration // warmup + duration
	arms    []*arm
	samples chan sampleMsg
	scrapes chan scrapeSample
	probes  chan probeSample
	reqCtx  context.Context // in-flight requests; cancelled after the grace
	itlPool sync.Pool
	stopped atomic.Int64 // time (since t0) sending stopped early; 0 if not
	early   atomic.Bool
	aborted *Abort // set by the recorder goroutine; read after it ended
}

func run(ctx context.Context, p Plan, targets []Target, names []string) ([]*Result, error) {
	if err := p.normalize(); err != nil {
		return nil, err
	}
	r := &runner{p: p, end: p.Warmup + p.Duration}
	for i, t := range targets {
		c, err := prepareClient(t, p.MaxInFlight)
		if err != nil {
			if len(targets) > 1 {
				return nil, fmt.Errorf("%s %w", names[i], err)
			}
			return nil, err
		}
		r.arms = append(r.arms, &arm{idx: i, name: names[i], c: c,
			ticks: make(chan tick, 4096), jobs: make(chan job),
			started: make([]atomic.Int64, p.windows())})
	}
	var murls []string
	for _, a := range r.arms {
		u := ""
		if a.c.t.MetricsURL != "" {
			var err error
			if u, err = metricsURL(&a.c.t); err != nil {
				return nil, err
			}
		}
		murls = append(murls, u)
	}
	r.itlPool.New = func() any { s := make([]time.Duration, 0, 32); return &s }
	r.samples = make(chan sampleMsg, 4096)
	r.scrapes = make(chan scrapeSample, 16)
	r.probes = make(chan probeSample, 16)

	// In-flight requests outlive ctx by the grace period.
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	r.reqCtx = reqCtx
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	go func() {
		select {
		case <-ctx.Done():
			t := time.NewTimer(p.Grace)
			defer t.Stop()
			select {
			case <-t.C:
				cancelReqs()
			case <-reqCtx.Done():
			}
		case <-reqCtx.Done():
		}
	}()

	recs := make([]*Recorder, len(r.arms))
	for i := range r.arms {
		recs[i] = newRecorder(&r.p)
	}

	t0, startLag, err := r.p.startClock(ctx)
	if err != nil {
		return nil, fmt.Errorf("waiting for the agreed start: %w", err)
	}
	r.t0 = t0
	recDone := make(chan struct{})
	go r.record(recs, stopSending, recDone)

	scrapeCtx, stopScrapes := context.WithCancel(reqCtx)
	var scrapers sync.WaitGroup
	for i, a := range r.arms {
		if murls[i] == "" {
			continue
		}
		series := a.c.t.Series
		if series == nil {
			series = DefaultSeries
		}
		scrapers.Add(1)
		go func() {
			defer scrapers.Done()
			scrape(scrapeCtx, a.c, murls[i], series, p.ScrapeInterval, p.Seed, r.t0, a.idx, r.scrapes)
		}()
	}

	scrapers.Add(1)
	go func() {
		defer scrapers.Done()
		probeOverhead(scrapeCtx, r.t0, p.Seed, r.probes)
	}()

	var senders sync.WaitGroup
	if p.Concurrency > 0 {
		for _, a := range r.arms {
			for k := 0; k < p.Concurrency; k++ {
				a.wg.Add(1)
				go r.closedWorker(sendCtx, a)
			}
		}
	} else {
		go r.schedule(sendCtx)
		for _, a := range r.arms {
			senders.Add(1)
			go func() {
				defer senders.Done()
				r.dispatch(sendCtx, a)
			}()
		}
	}
	senders.Wait()
	for _, a := range r.arms {
		if p.Concurrency == 0 {
			close(a.jobs)
		}
	}
	for _, a := range r.arms {
		a.wg.Wait()
	}
	stopScrapes()
	scrapers.Wait()
	close(r.samples)
	close(r.scrapes)
	close(r.probes)
	<-recDone

	measEnd := r.end
	partial := false
	if s := r.stopped.Load(); s > 0 && time.Duration(s) < measEnd {
		measEnd, partial = time.Duration(s), true
	}
	if ctx.Err() != nil {
		partial = true
		if el := time.Since(r.t0); el < measEnd {
			measEnd = el
		}
	}
	results := make([]*Result, len(recs))
	for i, rec := range recs {
		rec.EndAt(measEnd)
		res := rec.Finish()
		res.Target = r.arms[i].c.display
		res.Started = r.t0
		res.Shard, res.StartLag = r.p.Shard, startLag
		res.Partial = partial
		res.StoppedEarly = r.early.Load()
		if a := r.aborted; a != nil && (len(recs) == 1 || a.Arm == r.arms[i].name) {
			res.Aborted = a
		}
		results[i] = res
	}
	for _, a := range r.arms {
		if a.c.t.Transport == nil {
			a.c.hc.CloseIdleConnections()
		}
	}
	return results, nil
}

// schedule walks the pacer once and hands every tick to every arm. It runs
// ahead of time, bounded by the arms' tick buffers.
func (r *runner) schedule(ctx context.Context) {
	defer func() {
		for _, a := range r.arms {
			close(a.ticks)
		}
	}()
	for n := uint64(0); ; n++ {
		due, stop := r.p.Pacer.Pace(0, n)
		if stop || due >= r.end {
			return
		}
		if !r.p.Shard.owns(n) {
			continue
		}
		for _, a := range r.arms {
			select {
			case a.ticks <- tick{n: n, due: due}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// dispatch sends each tick of one arm at its intended time, growing the
// worker pool up to the in-flight cap.
func (r *runner) dispatch(ctx context.Context, a *arm) {
	w := newWaiter(ctx)
	defer w.close()
	var capFree time.Duration // when the in-flight cap last let a send through
	for tk := range a.ticks {
		// The waiter may wake early only when ctx ends; the loop makes
		// any early wake-up harmless.
		for wait := tk.due - time.Since(r.t0); wait > 0; wait = tk.due - time.Since(r.t0) {
			if !w.wait(wait) {
				break
			}
		}
		if ctx.Err() != nil {
			r.markStopped()
			return
		}
		if time.Since(r.t0) > r.end+lateSlack {
			return // too far behind: the rest of the schedule is not sent
		}
		j := job{tick: tk, notBefore: max(tk.due, capFree)}
		select {
		case a.jobs <- j:
			continue
		default:
		}
		if a.workers < r.p.MaxInFlight {
			a.workers++
			a.wg.Add(1)
			go r.worker(a, j)
			continue
		}
		j.capHit = true
		select {
		case a.jobs <- j:
			capFree = time.Since(r.t0)
		case <-ctx.Done():
			r.markStopped()
			return
		}
	}
}

func (r *runner) worker(a *arm, first job) {
	defer a.wg.Done()
	r.handle(a, first)
	for j := range a.jobs {
		r.handle(a, j)
	}
}

func (r *runner) closedWorker(ctx context.Context, a *arm) {
	defer a.wg.Done()
	for ctx.Err() == nil {
		now := time.Since(r.t0)
		if now >= r.end {
			return
		}
		n := r.p.Shard.closedIndex(a.next.Add(1) - 1)
		r.handle(a, job{tick: tick{n: n, due: now}, notBefore: now})
	}
	r.markStopped()
}

// handle sends one request and reports it to the recorder.
func (r *runner) handle(a *arm, j job) {
	pickup := time.Since(r.t0)
	inflight := a.inflight.Add(1)
	started := r.p.windowOf(j.due)
	if started >= 0 {
		a.started[started].Add(1)
	}
	var prompt Prompt
	if a.c.usesPrompt() {
		prompt = r.p.Workload.Request(j.n)
	} else {
		prompt.Index = j.n
	}
	itl := r.itlPool.Get().(*[]time.Duration)
	o := a.c.request(r.reqCtx, &prompt, *itl, r.t0, j.due)
	a.inflight.Add(-1)
	*itl = o.itl
	m := sampleMsg{arm: a.idx, started: started, itl: itl, Sample: Sample{
		Intended: j.due,
		Sent:     o.sent.Sub(r.t0),
		Done:     o.done.Sub(r.t0),
		First:    -1,
		ITL:      o.itl,
		Tokens:   o.tokens,
		InFlight: inflight,
		CapHit:   j.capHit,
		Class:    o.class,
		Status:   o.status,
		Msg:      o.msg,
		Resent:   o.resent,
		Model:    o.model,
		Journey:  o.journey,
		Steps:    o.steps,
	}}
	s := &m.Sample
	if a.c.fixedLength() {
		s.Want = prompt.MaxTokens
	}
	if r.p.Concurrency > 0 {
		s.Intended = s.Sent // closed loop: no schedule to lag behind
	}
	s.ClientLag = s.Sent - s.Intended
	if j.capHit {
		s.ClientLag = s.Sent - max(pickup, s.Intended)
	} else if j.notBefore > s.Intended {
		s.ClientLag = s.Sent - j.notBefore
	}
	if !o.first.IsZero() {
		s.First = o.first.Sub(r.t0)
	}
	r.samples <- m
}

// sampleMsg carries a Sample from a worker to the recorder goroutine.
type sampleMsg struct {
	arm     int
	started int              // the window counted in arm.started, or -1
	itl     *[]time.Duration // the pooled buffer behind Sample.ITL
	Sample
}

// record is the single goroutine that owns every histogram.
func (r *runner) record(recs []*Recorder, stopSending context.CancelFunc, done chan<- struct{}) {
	defer close(done)
	samples, scrapes, probes := r.samples, r.scrapes, r.probes
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Duration(0)
	for samples != nil || scrapes != nil || probes != nil {
		select {
		case s, ok := <-probes:
			if !ok {
				probes = nil
				continue
			}
			for _, rec := range recs {
				rec.addOverhead(s)
			}
		case m, ok := <-samples:
			if !ok {
				samples = nil
				continue
			}
			rec := recs[m.arm]
			rec.noteStarted(m.started)
			rec.Add(m.Sample)
			if r.aborted == nil && r.p.FailFast != nil {
				if a := rec.failFast(r.p.FailFast, time.Since(r.t0)); a != nil {
					a.Arm = r.arms[m.arm].name
					r.aborted = a
					r.markStopped()
					stopSending()
				}
			}
			*m.itl = (*m.itl)[:0]
			r.itlPool.Put(m.itl)
		case s, ok := <-scrapes:
			if !ok {
				scrapes = nil
				continue
			}
			recs[s.arm].addScrape(&s)
		case <-tick.C:
			now := time.Since(r.t0)
			for i, rec := range recs {
				rec.packClosed(now, r.arms[i].started)
			}
			if r.p.Progress == nil && r.p.StopEarly == nil {
				continue
			}
			phase := PhaseMeasure
			switch {
			case now < r.p.Warmup:
				phase = PhaseWarmup
			case now >= r.end || r.stopped.Load() > 0:
				phase = PhaseDrain
			}
			for i, rec := range recs {
				snap := Snapshot{
					Arm:       r.arms[i].name,
					Phase:     phase,
					Elapsed:   now,
					InFlight:  r.arms[i].inflight.Load(),
					P95:       QuantileDuration(rec.e2eAll, 0.95),
					Sent:      rec.sent,
					Succeeded: rec.succeeded,
					Errors:    rec.failed,
					TopErrors: rec.TopErrors(),
				}
				if dt := now - last; dt > 0 {
					snap.Rate = float64(rec.sent-rec.lastSent) / dt.Seconds()
				}
				rec.lastSent = rec.sent
				if r.p.Progress != nil {
					r.p.Progress(snap)
				}
				if phase == PhaseMeasure && r.p.StopEarly != nil && r.p.StopEarly(snap) {
					r.early.Store(true)
					r.markStopped()
					stopSending()
				}
			}
			last = now
		}
	}
}
