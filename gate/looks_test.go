package gate

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
)

// TestLookAlphaAccounting: the α of the looks adds up to the family α
// whatever looks are taken, the planned end keeps nearly half of it, and
// an unextended policy spends it all at once.
func TestLookAlphaAccounting(t *testing.T) {
	const alpha = 0.05
	if got := SpentAlpha(alpha, 1); math.Abs(got-alpha) > 1e-15 {
		t.Errorf("α(1) = %v, want %v", got, alpha)
	}
	if SpentAlpha(alpha, 0) != 0 || SpentAlpha(alpha, -1) != 0 || SpentAlpha(alpha, 2) != SpentAlpha(alpha, 1) {
		t.Error("α(t) outside [0, 1]")
	}
	for _, looks := range [][]float64{{1}, {60, 120, 180}, {60, 180}, {60, 90, 120, 150, 180}} {
		maxS := looks[len(looks)-1]
		sum, prev := 0.0, 0.0
		for _, s := range looks {
			a := LookAlpha(alpha, prev, s/maxS)
			if !(a > 0) {
				t.Errorf("looks %v: α %v at %v", looks, a, s)
			}
			sum += a
			prev = s / maxS
		}
		if math.Abs(sum-alpha) > 1e-12 {
			t.Errorf("looks %v: α spent %v, want %v", looks, sum, alpha)
		}
	}
	// 60 s planned, up to 180 s: the planned end keeps ln(1+(e−1)/3) = 45% of α.
	l := NewLooks("steady", []float64{60}, time.Minute, 2*time.Minute, alpha, LooksDecided)
	if want := alpha * math.Log(1+(math.E-1)/3); math.Abs(l.Alpha-want) > 1e-15 || l.Alpha < 0.44*alpha {
		t.Errorf("first look α %v, want %v", l.Alpha, want)
	}
	l = NewLooks("steady", []float64{60, 120, 180}, time.Minute, 2*time.Minute, alpha, LooksLimit)
	if want := alpha - SpentAlpha(alpha, 2.0/3); math.Abs(l.Alpha-want) > 1e-15 {
		t.Errorf("third look α %v, want %v", l.Alpha, want)
	}
	if s := l.Sentence(); s == "" {
		t.Error("no sentence")
	}
}

// TestLooksLowerTheFamilyAlpha: a run judged at a later look uses that
// look's α, so a change the full α would fail only warns.
func TestLooksLowerTheFamilyAlpha(t *testing.T) {
	rules := Rules{Gate: []string{"e2e.p50"}}
	for seed := uint64(1); seed < 60; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		cal := LearnCalibration(map[string][]*baseline.Record{"steady": calibration(rng, 10, 0.01)}, rules)
		rec := pairedRun(rng, 0.06, 0.01)
		full := Evaluate(Input{Rules: rules, Runs: []*baseline.Record{rec}, Calibration: cal})
		c := findCheck(t, full, "e2e.p50", KindRegression)
		if c.Verdict != Fail {
			continue
		}
		looks := NewLooks("steady", []float64{60, 120, 180}, time.Minute, 2*time.Minute, 0.05, LooksLimit)
		later := Evaluate(Input{Rules: rules, Runs: []*baseline.Record{rec}, Calibration: cal, Looks: []Looks{looks}})
		lc := findCheck(t, later, "e2e.p50", KindRegression)
		if lc.Confidence <= c.Confidence || len(later.Looks) != 1 {
			t.Fatalf("at the third look the interval is at %v, at one look %v; looks %+v", lc.Confidence, c.Confidence, later.Looks)
		}
		return
	}
	t.Fatal("no seed gave a FAIL at the full α")
}

func TestNeedsAnotherLook(t *testing.T) {
	v := &Verdict{Checks: []Check{
		{Scenario: "steady", Kind: KindRegression, Gating: true, Verdict: Pass},
		{Scenario: "steady", Kind: KindRegression, Gating: true, Verdict: Warn, ReasonKind: ReasonInconclusive},
		{Scenario: "other", Kind: KindRegression, Gating: true, Verdict: Fail},
		{Scenario: "steady", Kind: KindRegression, Gating: false, Verdict: Warn, ReasonKind: ReasonInformational},
	}}
	if !NeedsAnotherLook(v, "steady") {
		t.Error("an inconclusive check: no further look")
	}
	v.Checks[0].Verdict = Fail
	if NeedsAnotherLook(v, "steady") {
		t.Error("a FAIL is decided: further look")
	}
	if NeedsAnotherLook(v, "none") {
		t.Error("a scenario with no checks: further look")
	}
}
