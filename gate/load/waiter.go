package load

import (
	"context"
	"time"
)

// A waiter sleeps the dispatcher until a request's intended send time.
//
// It must not keep the processor busy. Spinning (yielding in a loop until
// the due time) keeps the lag in the microseconds, but a goroutine that is
// always runnable stops the Go scheduler from polling the network in its
// idle path: responses are then noticed only by the runtime's background
// poll, about every 10 ms, which adds milliseconds to every latency at
// rates where the spin never ends (about 1,000 req/s on one core).
//
// Go's own timers wake up to a millisecond late on Linux (the network
// poller's wait has millisecond resolution). newWaiter returns a precise
// timer where the platform has one (a timerfd read through the network
// poller on Linux: the processor idles in the poller and is woken by the
// kernel's high-resolution timer, so responses are noticed at once), and a
// Go timer elsewhere.
type waiter interface {
	// wait sleeps for d (or returns at once when d <= 0) and reports
	// whether the waiter's context is still live.
	wait(d time.Duration) bool
	close()
}

// goTimerWaiter waits on a Go timer: portable, up to about a millisecond
// late on Linux.
type goTimerWaiter struct {
	ctx context.Context
	t   *time.Timer
}

func newGoTimerWaiter(ctx context.Context) *goTimerWaiter {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &goTimerWaiter{ctx: ctx, t: t}
}

func (w *goTimerWaiter) wait(d time.Duration) bool {
	if d <= 0 {
		return w.ctx.Err() == nil
	}
	w.t.Reset(d)
	select {
	case <-w.t.C:
		return true
	case <-w.ctx.Done():
		w.t.Stop()
		return false
	}
}

func (w *goTimerWaiter) close() { w.t.Stop() }
