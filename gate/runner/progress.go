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
		line := progressLine(arm+phase, s, total)
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

// progressLine is one progress line of a snapshot of a phase of total
// length: the elapsed time (never past the total: the drain after it is
// its phase), the rate, the requests in flight, the e2e p95 ("—" before a
// request succeeded) and the errors with their most frequent classes.
func progressLine(label string, s load.Snapshot, total time.Duration) string {
	p95 := "—"
	if s.P95 > 0 {
		p95 = s.P95.Round(time.Millisecond).String()
	}
	errs := fmt.Sprint(s.Errors)
	if s.TopErrors != "" {
		errs += " (" + s.TopErrors + ")"
	}
	return fmt.Sprintf("%s [%s] %4.0fs/%.0fs  %6.1f req/s  in flight %3d  p95 %s  errors %s",
		label, s.Phase, min(s.Elapsed, total).Seconds(), total.Seconds(), s.Rate, s.InFlight, p95, errs)
}
