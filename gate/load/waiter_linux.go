//go:build linux && (amd64 || arm64 || riscv64 || ppc64 || ppc64le || s390x || loong64 || mips64 || mips64le)

package load

import (
	"context"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// timerfdWaiter waits on a Linux timerfd registered with the Go network
// poller. See waiter. The file builds on 64-bit Linux only: arm passes a
// struct itimerspec of four 64-bit fields; 32-bit Linux takes the Go timer.
type timerfdWaiter struct {
	ctx  context.Context
	f    *os.File
	raw  syscall.RawConn
	stop func() bool // unregisters the cancellation
	buf  [8]byte
	// fallback replaces the timerfd for the rest of the run if it fails.
	fallback *goTimerWaiter
}

const clockMonotonic = 1 // CLOCK_MONOTONIC, the clock of Go's monotonic time

// newWaiter returns a timerfd waiter, or a Go timer when the kernel refuses
// a timerfd.
func newWaiter(ctx context.Context) waiter {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return newGoTimerWaiter(ctx)
	}
	// A non-blocking descriptor is registered with the network poller, so
	// a read parks the goroutine, not its thread.
	f := os.NewFile(fd, "timerfd")
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return newGoTimerWaiter(ctx)
	}
	w := &timerfdWaiter{ctx: ctx, f: f, raw: raw}
	// A cancellation fires the timer at once; wait checks ctx after
	// arming, which covers a cancellation whose firing it overwrote.
	w.stop = context.AfterFunc(ctx, func() { w.arm(1) })
	return w
}

// arm sets the timer to expire once, d from now (d > 0).
func (w *timerfdWaiter) arm(d time.Duration) bool {
	// struct itimerspec: it_interval (zero: once), it_value.
	spec := [4]int64{0, 0, int64(d / time.Second), int64(d % time.Second)}
	var errno syscall.Errno
	err := w.raw.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	})
	return err == nil && errno == 0
}

func (w *timerfdWaiter) wait(d time.Duration) bool {
	if w.fallback != nil {
		return w.fallback.wait(d)
	}
	if d <= 0 {
		return w.ctx.Err() == nil
	}
	ok := w.arm(d)
	if w.ctx.Err() != nil {
		return false
	}
	if ok {
		_, err := w.f.Read(w.buf[:])
		ok = err == nil
	}
	if !ok {
		w.fallback = newGoTimerWaiter(w.ctx)
		return w.fallback.wait(d)
	}
	return w.ctx.Err() == nil
}

func (w *timerfdWaiter) close() {
	w.stop()
	w.f.Close()
	if w.fallback != nil {
		w.fallback.close()
	}
}
