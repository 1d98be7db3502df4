package runner

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/perfgate/perfgate/gate/load"
)

// progress writes what a run is doing: on a terminal one line updated in
// place, elsewhere a plain line every few seconds (quiet enough for CI logs).
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	live     bool
	lastLine time.Time
	dirty    bool
}

// logEvery is the period of progress lines in CI logs.
const logEvery = 10 * time.Second

func newProgress(w io.Writer, live bool) *progress { return &progress{w: w, live: live} }

// linef writes a permanent line.
func (p *progress) linef(format string, a ...any) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dirty {
		fmt.Fprint(p.w, "\r\033[K")
		p.dirty = false
	}
	fmt.Fprintf(p.w, format+"\n", a...)
}

// snapshot returns a load.Plan progress callback for a phase of total length.
func (p *progress) snapshot(phase string, total time.Duration) func(load.Snapshot) {
	if p == nil || p.w == nil {
		return nil
	}
	return func(s load.Snapshot) {
		p.mu.Lock()
		defer p.mu.Unlock()
		arm := ""
		if s.Arm != "" {
			arm = s.Arm + " "
		}
		line := fmt.Sprintf("%s%s [%s] %4.0fs/%.0fs  %6.1f req/s  in flight %3d  p95 %s  errors %d",
			arm, phase, s.Phase, s.Elapsed.Seconds(), total.Seconds(), s.Rate, s.InFlight, s.P95.Round(time.Millisecond), s.Errors)
		switch {
		case p.live:
			fmt.Fprint(p.w, "\r\033[K"+line)
			p.dirty = true
		case time.Since(p.lastLine) >= logEvery:
			fmt.Fprintln(p.w, line)
			p.lastLine = time.Now()
		}
	}
}

// done ends a live line.
func (p *progress) done() {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dirty {
		fmt.Fprint(p.w, "\r\033[K")
		p.dirty = false
	}
}
