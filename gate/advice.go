package gate

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/perfgate/perfgate/gate/stats"
)

// Advice is one way to bring a check's minimum detectable effect under the
// material change, computed from the parts of its standard error (Noise)
// with the gate's own formula MDE = ln(1+δ) + (t + z)·SE.
type Advice struct {
	// Lever is one of the Lever* constants.
	Lever string `json:"lever"`
	// Factor multiplies the duration, the rate or the replicas per arm
	// (LeverDuration, LeverRate, LeverReplicas, LeverDurationReplicas: the
	// replicas); for LeverAARecords and LeverHistory it is the number of
	// stored records needed; 0 for LeverPaired.
	Factor float64 `json:"factor"`
	// Duration is the duration a LeverDuration or LeverDurationReplicas
	// advice asks for, in seconds (0 when unknown).
	Duration float64 `json:"duration_s"`
	// MDE is the predicted relative MDE with the change; 0 when it cannot
	// be predicted (it depends on what a calibration will learn).
	MDE float64 `json:"mde"`
	// Text says it in words.
	Text string `json:"text"`
}

// Levers, in the order advice lists them when they cost the same.
const (
	LeverDuration         = "duration"          // more windows: the within-run part falls as 1/√W
	LeverRate             = "rate"              // more requests per window: the within-run part falls about as 1/√rate
	LeverReplicas         = "replicas"          // k independent replicas per arm: τ falls as 1/√k
	LeverDurationReplicas = "duration+replicas" // both, when neither alone is enough
	LeverAARecords        = "aa_records"        // learn τ instead of the prior, or learn it to more degrees of freedom
	LeverHistory          = "history"           // compare with more stored runs
	LeverPaired           = "paired"            // a live baseline removes the run-to-run spread of history mode
)

var leverOrder = []string{LeverDuration, LeverRate, LeverReplicas, LeverDurationReplicas, LeverHistory, LeverAARecords, LeverPaired}

// The practical limits of the levers: beyond them advice does not propose
// a lever (it once suggested 95 replicas per arm), and "perfgate plan" says
// that no practical change resolves the material change.
const (
	MaxDurationFactor = 10               // ten times the configured duration
	MaxDuration       = 30 * time.Minute // and no longer than this in all
	MaxRateFactor     = 4                // above that a target is seldom still below saturation
	MaxReplicas       = 8                // independent replicas per arm
)

// NoPracticalLever says what to do when no lever within the practical
// limits resolves the material change.
var NoPracticalLever = fmt.Sprintf("not with up to %d× the duration, %d× the rate or %d replicas per arm: raise the material change, or accept WARN for it", MaxDurationFactor, MaxRateFactor, MaxReplicas)

// practical reports whether advice with lever, factor and duration (in
// seconds, 0 when unknown) is within the practical limits.
func practical(lever string, factor, duration float64) bool {
	switch lever {
	case LeverDuration:
		return factor <= MaxDurationFactor && duration <= MaxDuration.Seconds()
	case LeverRate:
		return factor <= MaxRateFactor
	case LeverReplicas, LeverDurationReplicas:
		return factor <= MaxReplicas && duration <= MaxDuration.Seconds()
	}
	return true
}

// Advise returns what would bring the MDE of a check with noise n, judged
// over windows windows of a run of duration seconds, under the material
// change mat (relative), with negligible change neg: nil when it already
// is. Each lever is computed alone, holding the degrees of freedom (more
// windows only lower t, so the factors are upper bounds).
func Advise(n *Noise, windows int, duration, neg, mat float64) []Advice {
	if n == nil || !(n.SE > 0) || n.DF <= 0 {
		return nil
	}
	k := stats.TQuantile(n.DF, 1-n.Alpha) + stats.NormalQuantile(0.95)
	room := (stats.LogChange(mat) - stats.LogChange(neg)) / k
	if n.SE <= room {
		return nil
	}
	s2 := room * room
	a := n.WithinSE * n.WithinSE
	b := n.betweenVar()
	mde := func(se2 float64) float64 { return MDE(math.Sqrt(se2), n.DF, n.Alpha, neg) }
	var out []Advice
	add := func(lever string, factor, dur, m float64, text string) {
		if practical(lever, factor, dur) {
			out = append(out, Advice{Lever: lever, Factor: factor, Duration: dur, MDE: m, Text: text})
		}
	}
	// The within-run part: more windows, or more requests per window.
	if b < s2 && a > 0 {
		f := ceil1(a / (s2 - b))
		dur := f * duration
		add(LeverDuration, f, dur, mde(a/f+b), fmt.Sprintf("run %s as long%s", times(f), durationText(dur, duration)))
		add(LeverRate, f, 0, mde(a/f+b), fmt.Sprintf("send %s the rate, if the target stays below saturation", times(f)))
	}
	if n.HistoryRuns > 0 {
		return append(out, historyAdvice(n, a, neg, mat, k)...)
	}
	// The between-deployment part: k independent replicas per arm.
	if a < s2 && b > 0 {
		r := math.Ceil(b / (s2 - a))
		add(LeverReplicas, r, 0, mde(a+b/r), fmt.Sprintf("spread each arm over %d independent replicas (τ %.1f%% falls as 1/√k)", int(r), 100*n.Tau))
	}
	if len(out) == 0 && a > 0 && b > 0 {
		r, f := math.Ceil(2*b/s2), ceil1(2*a/s2)
		if f > MaxDurationFactor {
			r = MaxReplicas + 1 // not practical
		}
		add(LeverDurationReplicas, r, f*duration, mde(a/f+b/r), fmt.Sprintf("run %s as long%s with %d replicas per arm", times(f), durationText(f*duration, duration), int(r)))
	}
	switch {
	case n.TauSource == TauPrior && a < s2:
		need := max(stats.MinAARuns, n.AARuns+1)
		add(LeverAARecords, float64(need), 0, 0, fmt.Sprintf("learn τ from %d A/A records (now %d; the prior τ %.1f%% is in use): a learned τ below %.1f%% resolves it", need, n.AARuns, 100*n.Tau, 100*math.Sqrt(s2-a)))
	case n.TauSource == TauLearned && n.AARuns < maxAARead && windows > 1:
		// More A/A records raise the degrees of freedom of τ̂ towards
		// those of the windows.
		df := stats.WelchDF(a, float64(windows-1), b, stats.BetweenDF(maxAARead))
		if m := MDE(n.SE, df, n.Alpha, neg); m <= mat {
			add(LeverAARecords, maxAARead, 0, m, fmt.Sprintf("learn τ from %d A/A records (now %d): %.0f degrees of freedom instead of %.0f", maxAARead, n.AARuns, df, n.DF))
		}
	}
	sortAdvice(out)
	return out
}

// maxAARead is how many A/A records the gate reads per scenario
// (baseline.CalibrationRecords; the baseline package is not imported here
// for one constant).
const maxAARead = 30

// historyAdvice is what resolves a check against stored runs: more of
// them, or a live baseline.
func historyAdvice(n *Noise, a, neg, mat, k float64) []Advice {
	var out []Advice
	for runs := n.HistoryRuns + 1; runs <= 50; runs++ {
		se := math.Sqrt(n.HistorySD*n.HistorySD*(1+1/float64(runs)) + a)
		if m := MDE(se, stats.BetweenDF(runs), n.Alpha, neg); m <= mat {
			out = append(out, Advice{Lever: LeverHistory, Factor: float64(runs), MDE: m,
				Text: fmt.Sprintf("compare with %d stored runs (regression.history; now %d)", runs, n.HistoryRuns)})
			break
		}
	}
	out = append(out, Advice{Lever: LeverPaired, Text: fmt.Sprintf("a live baseline (paired mode) removes the %.1f%% spread between stored runs", 100*n.HistorySD)})
	return out
}

// sortAdvice orders advice by factor for the multiplying levers, then by
// lever; the others keep their order after them.
func sortAdvice(out []Advice) {
	rank := func(l string) int { return slices.Index(leverOrder, l) }
	multiplies := func(l string) bool {
		return l == LeverDuration || l == LeverRate || l == LeverReplicas || l == LeverDurationReplicas
	}
	slices.SortStableFunc(out, func(x, y Advice) int {
		mx, my := multiplies(x.Lever), multiplies(y.Lever)
		switch {
		case mx && my && x.Factor != y.Factor:
			if x.Factor < y.Factor {
				return -1
			}
			return 1
		case mx != my:
			if mx {
				return -1
			}
			return 1
		}
		return rank(x.Lever) - rank(y.Lever)
	})
}

// ceil1 rounds x up to one decimal, at least 1.
func ceil1(x float64) float64 { return math.Max(1, math.Ceil(10*x-1e-9)/10) }

func times(f float64) string { return fmt.Sprintf("%s×", trimFloat(f)) }

func trimFloat(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

// durationText is " (4m12s instead of 1m0s)", or "" when the duration is
// not known.
func durationText(to, from float64) string {
	if !(from > 0) {
		return ""
	}
	d := func(s float64) string { return (time.Duration(s * float64(time.Second))).Round(time.Second).String() }
	return fmt.Sprintf(" (%s instead of %s)", d(to), d(from))
}
