package load

import (
	"math"
	"testing"
	"time"
)

func TestConstantPacer(t *testing.T) {
	p := ConstantPacer{Rate: 100, Duration: time.Second}
	cases := []struct {
		elapsed time.Duration
		sent    uint64
		wait    time.Duration
		stop    bool
	}{
		{0, 0, 0, false},
		{0, 1, 10 * time.Millisecond, false},
		{5 * time.Millisecond, 1, 5 * time.Millisecond, false},
		{20 * time.Millisecond, 1, 0, false}, // behind: send now
		{0, 99, 990 * time.Millisecond, false},
		{0, 100, 0, true}, // due at 1 s: past the end
	}
	for _, c := range cases {
		w, s := p.Pace(c.elapsed, c.sent)
		if w != c.wait || s != c.stop {
			t.Errorf("Pace(%v, %d) = %v, %v; want %v, %v", c.elapsed, c.sent, w, s, c.wait, c.stop)
		}
	}
	if _, stop := (ConstantPacer{Rate: 0}).Pace(0, 0); !stop {
		t.Error("rate 0 must stop")
	}
	if _, stop := (ConstantPacer{Rate: math.NaN()}).Pace(0, 0); !stop {
		t.Error("rate NaN must stop")
	}
}

func TestPoissonPacerDeterministicAndMean(t *testing.T) {
	a := NewPoissonPacer(200, 0, 42)
	b := NewPoissonPacer(200, 0, 42)
	c := NewPoissonPacer(200, 0, 43)
	const n = 20000
	same := true
	var last time.Duration
	for i := uint64(0); i < n; i++ {
		da, _ := a.Pace(0, i)
		db, _ := b.Pace(0, i)
		dc, _ := c.Pace(0, i)
		if da != db {
			t.Fatalf("same seed, request %d: %v != %v", i, da, db)
		}
		if da != dc {
			same = false
		}
		if da < last {
			t.Fatalf("request %d due %v before request %d at %v", i, da, i-1, last)
		}
		last = da
	}
	if same {
		t.Error("different seeds gave the same schedule")
	}
	// n arrivals at 200/s take about n/200 = 100 s (sd 0.7 s).
	if got := last.Seconds(); math.Abs(got-100) > 4 {
		t.Errorf("20000 arrivals took %.1fs, want about 100s", got)
	}
	// Random access gives the same answer as the sequential walk.
	d1, _ := a.Pace(0, 1234)
	d2, _ := NewPoissonPacer(200, 0, 42).Pace(0, 1234)
	if d1 != d2 {
		t.Errorf("random access %v != fresh walk %v", d1, d2)
	}
	w, _ := a.Pace(d1-time.Millisecond, 1234)
	if w != time.Millisecond {
		t.Errorf("wait = %v, want 1ms", w)
	}
	if _, stop := NewPoissonPacer(200, time.Second, 1).Pace(0, 1000); !stop {
		t.Error("request 1000 at 200/s must be past a 1 s schedule")
	}
}

func TestStepPacer(t *testing.T) {
	p := StepPacer{Steps: []Step{
		{Rate: 10, Duration: time.Second},              // requests 0..9 at 0, 100ms, ...
		{Rate: 0, Duration: time.Second},               // pause
		{Rate: 100, Duration: time.Second},             // requests 10..109 from 2 s
		{Rate: 300, Duration: time.Second, Ramp: true}, // ramp 100 -> 300: 200 requests
	}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	at := func(n uint64) time.Duration {
		d, stop := p.Pace(0, n)
		if stop {
			t.Fatalf("request %d: unexpected stop", n)
		}
		return d
	}
	if got := at(9); got != 900*time.Millisecond {
		t.Errorf("request 9 at %v, want 900ms", got)
	}
	if got := at(10); got != 2*time.Second {
		t.Errorf("request 10 at %v, want 2s (after the pause)", got)
	}
	if got := at(109); got != 2990*time.Millisecond {
		t.Errorf("request 109 at %v, want 2.99s", got)
	}
	// Ramp: hits(t) = 100t + 100t²; 100 hits at t = 0.618 s.
	if got := at(210).Seconds() - 3; math.Abs(got-0.618) > 0.002 {
		t.Errorf("request 210 at 3+%.4fs, want 3+0.618s", got)
	}
	if got := at(309); got > 4*time.Second || got < 3990*time.Millisecond {
		t.Errorf("last ramp request at %v, want just under 4s", got)
	}
	if _, stop := p.Pace(0, 310); !stop {
		t.Error("request 310 must stop: 10+100+200 requests in the plan")
	}
	bad := []StepPacer{{}, {Steps: []Step{{Rate: -1, Duration: time.Second}}}, {Steps: []Step{{Rate: 1}}}}
	for i, b := range bad {
		if b.Validate() == nil {
			t.Errorf("bad pacer %d validated", i)
		}
	}
	if p.Total() != 4*time.Second {
		t.Errorf("Total = %v", p.Total())
	}
}

func TestCountScheduled(t *testing.T) {
	if n := countScheduled(ConstantPacer{Rate: 100}, Shard{}, time.Second, 3*time.Second); n != 200 {
		t.Errorf("count = %d, want 200", n)
	}
}
