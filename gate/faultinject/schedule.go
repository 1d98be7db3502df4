package faultinject

import (
	"context"
	"sync"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/policies"
)

// StopGrace bounds the stop hooks that Finish runs after the run: each
// also has its own timeout.
const StopGrace = 30 * time.Second

// phase is one fault of a running schedule.
type phase struct {
	fault       policies.Fault
	start, stop Hook
	out         baseline.FaultPhase
	started     bool // the start hook ran (successfully or not)
	stopped     bool // the stop hook ran
	startAt     time.Time
	stopAt      time.Time
}

// Schedule runs the fault phases of one scenario.
type Schedule struct {
	measured time.Time // start of the measured windows
	phases   []*phase
	mu       sync.Mutex
	cancel   context.CancelFunc
	done     chan struct{}
}

// Start schedules faults: fault i starts at faults[i].At after the warm-up
// (runStart + warmup) and stops For later. It returns at once; call
// Finish when the load ends, whatever the outcome. getenv reads the
// values of hook headers. Start never blocks on a hook: hooks run in their
// own goroutine, in time order.
func Start(ctx context.Context, faults []policies.Fault, runStart time.Time, warmup time.Duration, getenv func(string) string) *Schedule {
	s := &Schedule{measured: runStart.Add(warmup), done: make(chan struct{})}
	for _, f := range faults {
		p := &phase{fault: f, out: baseline.FaultPhase{Name: f.Name, Tolerance: float64(f.Tolerance)}}
		if f.Toxiproxy != nil {
			p.start, p.stop = ToxicHooks(f.Name, f.Toxiproxy)
		} else {
			p.start, p.stop = HookOf(f.Start, getenv), HookOf(f.Stop, getenv)
		}
		s.phases = append(s.phases, p)
	}
	ctx, s.cancel = context.WithCancel(ctx)
	go s.loop(ctx)
	return s
}

// event is a start or stop of one phase at a time after the warm-up.
type event struct {
	at    time.Duration
	p     *phase
	start bool
}

func (s *Schedule) loop(ctx context.Context) {
	defer close(s.done)
	var evs []event
	for _, p := range s.phases {
		evs = append(evs, event{p.fault.At.Std(), p, true}, event{(p.fault.At + p.fault.For).Std(), p, false})
	}
	// A stable sort by time keeps a fault's start before its stop.
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].at < evs[j-1].at; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
	for _, ev := range evs {
		t := time.NewTimer(time.Until(s.measured.Add(ev.at)))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if ev.start {
			s.runStart(ctx, ev.p)
		} else {
			s.runStop(context.WithoutCancel(ctx), ev.p)
		}
	}
}

func (s *Schedule) runStart(ctx context.Context, p *phase) {
	s.mu.Lock()
	p.started = true
	p.startAt = time.Now()
	s.mu.Unlock()
	err := p.start.Run(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		p.out.StartError = err.Error()
	} else {
		p.out.Started = true
	}
}

// runStop runs the stop hook of p once, if its start ran.
func (s *Schedule) runStop(ctx context.Context, p *phase) {
	s.mu.Lock()
	if !p.started || p.stopped {
		s.mu.Unlock()
		return
	}
	p.stopped = true
	p.stopAt = time.Now()
	s.mu.Unlock()
	var err error
	if p.stop != nil {
		err = p.stop.Run(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		p.out.StopError = err.Error()
	} else {
		p.out.Stopped = true
	}
}

// Finish ends the schedule: no fault starts any more, and every fault that
// started and was not stopped yet is stopped now (an interrupted or failed
// run), with a context of its own bounded by StopGrace, so that a
// cancelled run still removes its faults. It returns the phases as they
// happened, in policy order, timed from measured, the start of the
// measured windows as the load engine saw it. Call it once.
func (s *Schedule) Finish(measured time.Time) []baseline.FaultPhase {
	s.cancel()
	<-s.done
	ctx, cancel := context.WithTimeout(context.Background(), StopGrace)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range s.phases {
		s.mu.Lock()
		pending := p.started && !p.stopped
		if pending {
			p.out.Interrupted = true
		}
		s.mu.Unlock()
		if pending {
			wg.Add(1)
			go func() { defer wg.Done(); s.runStop(ctx, p) }()
		}
	}
	wg.Wait()
	out := make([]baseline.FaultPhase, len(s.phases))
	for i, p := range s.phases {
		out[i] = p.out
		if p.started {
			out[i].StartSeconds = p.startAt.Sub(measured).Seconds()
			out[i].StopSeconds = p.stopAt.Sub(measured).Seconds()
		}
	}
	return out
}
