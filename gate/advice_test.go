package gate

import (
	"math"
	"testing"

	"github.com/perfgate/perfgate/gate/stats"
)

// noiseWith is a paired check's noise judged at alpha 0.05 on df degrees
// of freedom with a within-run part w and τ.
func noiseWith(w, tau, df float64, source string, aa int) *Noise {
	n := &Noise{Tau: tau, TauSource: source, AARuns: aa}
	n.judged(stats.Estimate{SE: math.Hypot(w, tau), DF: df}, 0.05)
	return n
}

func find(as []Advice, lever string) *Advice {
	for i := range as {
		if as[i].Lever == lever {
			return &as[i]
		}
	}
	return nil
}

func TestAdviseWithinRunDominates(t *testing.T) {
	n := noiseWith(0.03, 0.01, 11, TauLearned, 30)
	as := Advise(n, 12, 60, 0.03, 0.10)
	d := find(as, LeverDuration)
	if d == nil || as[0].Lever != LeverDuration {
		t.Fatalf("advice %+v: want a longer duration first", as)
	}
	// The advised duration brings the MDE just under the material change.
	if d.MDE > 0.10 || d.MDE < 0.09 || d.Duration != 60*d.Factor {
		t.Errorf("duration ×%v: MDE %v, %v s", d.Factor, d.MDE, d.Duration)
	}
	f := d.Factor - 0.1
	if m := MDE(math.Sqrt(0.03*0.03/f+0.01*0.01), 11, 0.05, 0.03); m <= 0.10 {
		t.Errorf("×%v is not the smallest factor: ×%v gives MDE %v already", d.Factor, f, m)
	}
	if r := find(as, LeverRate); r == nil || r.Factor != d.Factor {
		t.Errorf("rate advice %+v", r)
	}
	if find(as, LeverReplicas) != nil {
		// The within-run part alone is above the room: replicas cannot help.
		t.Errorf("replicas advised with a dominating within-run part: %+v", as)
	}
}

func TestAdviseTauDominates(t *testing.T) {
	n := noiseWith(0.01, 0.03, 11, TauLearned, 30)
	as := Advise(n, 12, 60, 0.03, 0.10)
	r := find(as, LeverReplicas)
	if r == nil || find(as, LeverDuration) != nil {
		t.Fatalf("advice %+v: want replicas and no longer duration", as)
	}
	if r.MDE > 0.10 || r.Factor < 2 {
		t.Errorf("replicas %+v", r)
	}
}

func TestAdvisePriorAndBoth(t *testing.T) {
	n := noiseWith(0.025, 0.025, 11, TauPrior, 2)
	as := Advise(n, 12, 60, 0.03, 0.10)
	if b := find(as, LeverDurationReplicas); b == nil || b.MDE > 0.10 || b.Factor < 2 || b.Duration <= 60 {
		t.Errorf("advice %+v: want duration and replicas together", as)
	}
	if a := find(as, LeverAARecords); a != nil {
		t.Errorf("A/A records advised though the within-run part alone exceeds the room: %+v", a)
	}
	n = noiseWith(0.01, 0.06, 11, TauPrior, 2)
	if a := find(Advise(n, 12, 60, 0.03, 0.10), LeverAARecords); a == nil || a.Factor != stats.MinAARuns || a.MDE != 0 {
		t.Errorf("prior in use: A/A advice %+v", a)
	}
}

// TestAdviseOnlyPractical: noise that only dozens of replicas or hours of
// load would resolve gets no advice (the report says no practical change
// resolves it), and every proposed factor is within the limits.
func TestAdviseOnlyPractical(t *testing.T) {
	if as := Advise(noiseWith(0.06, 0.06, 11, TauPrior, 2), 12, 60, 0.03, 0.10); len(as) != 0 {
		t.Errorf("impractical advice %+v", as)
	}
	for _, w := range []float64{0.005, 0.01, 0.02, 0.04} {
		for _, tau := range []float64{0.005, 0.01, 0.02, 0.04} {
			for _, a := range Advise(noiseWith(w, tau, 11, TauLearned, 10), 12, 300, 0.03, 0.10) {
				if !practical(a.Lever, a.Factor, a.Duration) || (a.Lever == LeverRate && a.Factor > MaxRateFactor) || a.Duration > MaxDuration.Seconds() {
					t.Errorf("within %v τ %v: %+v beyond the limits", w, tau, a)
				}
			}
		}
	}
}

func TestAdviseNothingWhenResolved(t *testing.T) {
	if as := Advise(noiseWith(0.005, 0.005, 11, TauLearned, 30), 12, 60, 0.03, 0.10); as != nil {
		t.Errorf("advice for a check that resolves 10%%: %+v", as)
	}
}

func TestAdviseHistory(t *testing.T) {
	n := &Noise{HistorySD: 0.01, HistoryRuns: 3}
	n.judged(stats.Estimate{SE: math.Sqrt(0.01*0.01*(1+1.0/3) + 0.01*0.01), DF: 2}, 0.05)
	as := Advise(n, 12, 60, 0.03, 0.10)
	h := find(as, LeverHistory)
	if h == nil || h.Factor <= 3 || h.MDE > 0.10 || find(as, LeverPaired) == nil {
		t.Errorf("history advice %+v", as)
	}
}
