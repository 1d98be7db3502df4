package gate

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Looks: the second look of a paired or history run (policy
// regression.extend). When a gating check is inconclusive at the planned
// end, the load goes on and the gate decides again at later looks, with the
// family α spent across them by a Lan–DeMets spending function of the
// Pocock type, α(t) = α·ln(1 + (e − 1)·t), where t is the share of the
// longest run measured so far (Lan and DeMets, "Discrete sequential
// boundaries for clinical trials", Biometrika 70, 1983; the Pocock-type
// function is from Kim and DeMets, 1987). Look k is judged at the
// increment α(t_k) − α(t_{k−1}), so the increments add up to α whatever
// the looks taken and whenever the run stops: by the union bound a false
// FAIL at any look stays within α. That is conservative next to exact
// group-sequential boundaries, which use the correlation between looks;
// it needs no assumption about it. The Pocock-type function spends α
// evenly enough that the planned end, the look most runs stop at, keeps
// nearly half of it (O'Brien–Fleming's would leave it almost nothing).

// SpentAlpha returns α(t) = alpha·ln(1 + (e − 1)·t), the family α spent up
// to information share t in [0, 1].
func SpentAlpha(alpha, t float64) float64 {
	t = math.Min(1, math.Max(0, t))
	return alpha * math.Log(1+(math.E-1)*t)
}

// LookAlpha returns the α of a look at information share t after a look at
// tPrev (0 for the first): SpentAlpha(alpha, t) − SpentAlpha(alpha, tPrev).
func LookAlpha(alpha, tPrev, t float64) float64 {
	return SpentAlpha(alpha, t) - SpentAlpha(alpha, tPrev)
}

// Looks is what the second look did in one scenario: the measured length
// at each look taken, the longest run allowed, and the family α the last
// look was judged at.
type Looks struct {
	Scenario string `json:"scenario"`
	// At holds the measured seconds at each look, in order (the first is
	// the planned end).
	At []float64 `json:"at_s"`
	// Max is the longest the run could have been measured, in seconds
	// (the planned duration plus regression.extend).
	Max float64 `json:"max_s"`
	// Alpha is the family α of the last look (LookAlpha), which every
	// check of the run was judged at.
	Alpha float64 `json:"alpha"`
	// Why says why the looks stopped: "decided", "limit" or "not
	// extensible" (a scenario whose kind cannot be extended).
	Why string `json:"why"`
}

// Why values of Looks.
const (
	LooksDecided = "decided" // nothing inconclusive was left to resolve
	LooksLimit   = "limit"   // the longest run was reached
)

// NewLooks returns the looks of a scenario with the planned duration and
// up to extend more, after the looks at measured seconds at, judged at the
// family level alpha.
func NewLooks(scenario string, at []float64, planned, extend time.Duration, alpha float64, why string) Looks {
	maxS := (planned + extend).Seconds()
	l := Looks{Scenario: scenario, At: at, Max: maxS, Why: why}
	prev := 0.0
	for _, s := range at {
		l.Alpha = LookAlpha(alpha, prev, s/maxS)
		prev = s / maxS
	}
	return l
}

// Sentence says what the looks did, for reports.
func (l Looks) Sentence() string {
	var at []string
	for _, s := range l.At {
		at = append(at, (time.Duration(s * float64(time.Second))).Round(time.Second).String())
	}
	what := "decided at the planned end"
	if len(l.At) > 1 {
		what = fmt.Sprintf("extended: %d looks, at %s", len(l.At), strings.Join(at, ", "))
		if l.Why == LooksLimit {
			what += " (the longest allowed)"
		}
	}
	return fmt.Sprintf("%s: %s of up to %s; the family α at the last look is %.3g (α spent across looks, Lan–DeMets Pocock type)",
		l.Scenario, what, (time.Duration(l.Max * float64(time.Second))).Round(time.Second), l.Alpha)
}

// NeedsAnotherLook reports whether the verdict of a look leaves a gating
// check of scenario undecided (WARN of any kind, or inconclusive reported
// as PASS) and none failed: only then is more load worth it.
func NeedsAnotherLook(v *Verdict, scenario string) bool {
	inconclusive := false
	for _, c := range v.Checks {
		if c.Scenario != scenario || c.Kind != KindRegression || !c.Gating {
			continue
		}
		if c.Verdict == Fail {
			return false
		}
		if c.Verdict == Warn || c.ReasonKind == ReasonInconclusive {
			inconclusive = true
		}
	}
	return inconclusive
}
