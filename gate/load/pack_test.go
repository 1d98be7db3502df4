package load

import (
	"context"
	"github.com/perfgate/perfgate/gate/metric"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// TestPackKeepsEveryStatistic: a packed window answers exactly as the
// dense one did, takes late values, and merges.
func TestPackKeepsEveryStatistic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	dense, packed := NewWindow(0, 0, time.Second), NewWindow(0, 0, time.Second)
	for i := 0; i < 5000; i++ {
		v := int64(rng.ExpFloat64() * 40_000)
		if i == 17 {
			v = HistMaxLatencyUS + 5 // clamped in both
		}
		dense.Record(metric.E2E, v)
		packed.Record(metric.E2E, v)
		packed.Record(metric.OutputTokens, int64(i%300))
		dense.Record(metric.OutputTokens, int64(i%300))
	}
	packed.Pack()
	packed.Pack() // idempotent
	if len(packed.hist) != 0 || len(packed.packed) != 2 {
		t.Fatalf("after Pack: %d dense, %d packed histograms", len(packed.hist), len(packed.packed))
	}
	same := func(when string) {
		t.Helper()
		for _, m := range []string{metric.E2E, metric.OutputTokens} {
			a, b := dense.Histogram(m), packed.Histogram(m)
			if a.TotalCount() != b.TotalCount() || a.Min() != b.Min() || a.Max() != b.Max() || a.Mean() != b.Mean() || a.StdDev() != b.StdDev() {
				t.Errorf("%s %s: count %d/%d min %d/%d max %d/%d mean %v/%v sd %v/%v", when, m,
					a.TotalCount(), b.TotalCount(), a.Min(), b.Min(), a.Max(), b.Max(), a.Mean(), b.Mean(), a.StdDev(), b.StdDev())
			}
			for _, q := range []float64{0, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
				if x, y := Quantile(a, q), Quantile(b, q); x != y {
					t.Errorf("%s %s q%v: %d vs %d", when, m, q, x, y)
				}
			}
		}
	}
	same("packed")
	if dense.Clamped != packed.Clamped || packed.Clamped != 1 {
		t.Errorf("clamped %d vs %d", dense.Clamped, packed.Clamped)
	}
	if got := packed.Metrics(); len(got) != 2 || got[0] != metric.E2E || got[1] != metric.OutputTokens {
		t.Errorf("metrics %v", got)
	}
	// Changing what Histogram returned does not change a packed window.
	_ = packed.Histogram(metric.E2E).RecordValue(1)
	// A late value unpacks one histogram.
	dense.Record(metric.E2E, 123)
	packed.Record(metric.E2E, 123)
	same("late value")
	if len(packed.hist) != 1 || len(packed.packed) != 1 {
		t.Errorf("late value: %d dense, %d packed", len(packed.hist), len(packed.packed))
	}
	packed.Pack()
	m1, err := MergeWindows(dense, dense)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := MergeWindows(packed, packed)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := m1.Histogram(metric.E2E), m2.Histogram(metric.E2E); a.TotalCount() != b.TotalCount() || Quantile(a, 0.99) != Quantile(b, 0.99) {
		t.Errorf("merged: %d/%d", a.TotalCount(), b.TotalCount())
	}
}

// TestRunPacksClosedWindows: during a run, windows that no request can
// still land in are packed; the result reads the same.
func TestRunPacksClosedWindows(t *testing.T) {
	srv := okServer(t, 0)
	tg := httpTarget(srv.URL)
	tg.Timeout = 100 * time.Millisecond
	p := Plan{Pacer: ConstantPacer{Rate: 100}, Duration: 2500 * time.Millisecond, Window: 250 * time.Millisecond, Workload: tinyWorkload}
	r, packed := runCountingPacked(t, p, tg)
	for _, w := range r.Windows {
		if h := w.Histogram(metric.E2E); h == nil || h.TotalCount() != w.Succeeded {
			t.Errorf("window %d: histogram does not hold its %d successes", w.Index, w.Succeeded)
		}
	}
	// Windows ending before 2.5 s − 1.1 s are packed at the last ticks.
	if packed == 0 {
		t.Errorf("no window was packed")
	}
	t.Logf("%d of %d windows packed", packed, len(r.Windows))
}

// TestClosedLoopPacksClosedWindows: in closed loop a request is recorded
// in the window of its actual send, which may follow the one it was
// started in; packing goes on past such boundaries.
func TestClosedLoopPacksClosedWindows(t *testing.T) {
	srv := okServer(t, time.Millisecond)
	// Building each prompt takes 2 ms, between the start of a request and
	// its send, so sends cross window boundaries often.
	p := Plan{Concurrency: 4, Duration: 2500 * time.Millisecond, Window: 200 * time.Millisecond, Workload: slowWorkload{tinyWorkload}}
	r, packed := runCountingPacked(t, p, httpTarget(srv.URL))
	// Windows ending more than a second before the last tick are packed.
	if packed < 3 {
		t.Errorf("%d of %d windows packed", packed, len(r.Windows))
	}
}

type slowWorkload struct{ Workload }

func (w slowWorkload) Request(i uint64) Prompt {
	time.Sleep(2 * time.Millisecond)
	return w.Workload.Request(i)
}

// runCountingPacked runs p against tg and counts the windows of the result
// that were packed during the run.
func runCountingPacked(t *testing.T, p Plan, tg Target) (*Result, int) {
	t.Helper()
	r, err := Run(context.Background(), p, tg)
	if err != nil {
		t.Fatal(err)
	}
	packed := 0
	for _, w := range r.Windows {
		if len(w.packed) > 0 {
			packed++
		}
	}
	return r, packed
}

// TestLateValueIsPackedAgain: a value for a packed window unpacks it, and
// the next tick that finds the window complete packs it again.
func TestLateValueIsPackedAgain(t *testing.T) {
	p := &Plan{Duration: 2 * time.Second, Window: time.Second}
	a := newRecorder(p)
	res := a.res
	started := make([]atomic.Int64, p.windows())
	started[0].Store(1)
	a.noteStarted(0)
	a.Add(Sample{Intended: 100 * time.Millisecond, Sent: 100 * time.Millisecond, Done: 200 * time.Millisecond, First: -1, Tokens: -1})
	a.packClosed(3*time.Second, started)
	if a.packed != 2 || len(res.Windows[0].hist) != 0 {
		t.Fatalf("packed %d, window 0 dense %d", a.packed, len(res.Windows[0].hist))
	}
	// A request started in window 1 but recorded late in window 0 (a
	// closed-loop send across the boundary, say).
	started[1].Store(1)
	a.noteStarted(1)
	a.Add(Sample{Intended: 900 * time.Millisecond, Sent: 900 * time.Millisecond, Done: 950 * time.Millisecond, First: -1, Tokens: -1})
	if len(res.Windows[0].hist) == 0 {
		t.Fatal("the late value did not unpack window 0")
	}
	a.packClosed(4*time.Second, started)
	if len(res.Windows[0].hist) != 0 || res.Windows[0].Histogram(metric.E2E).TotalCount() != 2 {
		t.Errorf("window 0 after the next tick: dense %d, e2e count %d", len(res.Windows[0].hist), res.Windows[0].Histogram(metric.E2E).TotalCount())
	}
}
