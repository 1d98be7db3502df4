package gate

import (
	"fmt"
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// PowerInput is what is known of one scenario before it runs: its shape,
// and what the store holds about its noise.
type PowerInput struct {
	Rules    Rules
	Scenario string
	// Windows is the number of windows per arm the scenario will measure
	// (1 for a capacity scenario), WindowSeconds their length, Rate the
	// planned arrival rate (req/s; 0 when unknown, as in closed loop).
	Windows       int
	WindowSeconds float64
	Rate          float64
	// Capacity is true for a capacity scenario: only its capacity gates.
	Capacity bool
	// Paired is true when a live baseline will be measured.
	Paired bool
	// Alpha is the level each check will be judged at: the Holm level of
	// the first step, Rules.Alpha over the number of gating checks (the
	// level of a check that shows the smallest p-value, as a regressed one
	// does).
	Alpha float64
	// Calibration holds the scenario's stored A/A runs (LearnCalibration),
	// History its stored runs of the base branch, newest first.
	Calibration []CalibrationRun
	History     []*baseline.Record
}

// CheckPower is the predicted power of one gating check: its MDE and
// what it is made of, and what would bring it under the material change.
type CheckPower struct {
	Name string
	// Mode is ModePaired, ModeHistory or ModeNone (not judged).
	Mode string
	// MDE is the predicted relative MDE; 0 when the check will not be
	// judged (Note says why).
	MDE   float64
	Noise Noise
	// Within says where the within-run spread came from; "" when no stored
	// record had it: MDE is then τ's share only, a lower bound.
	Within string
	Advice []Advice
	Note   string
}

// PredictPower predicts, with the gate's own formulas, the MDE of every
// gating check of one scenario (error rates excepted: they are judged on
// counts, not on a log scale).
func PredictPower(in PowerInput) []CheckPower {
	rules := in.Rules.withDefaults()
	if in.Alpha <= 0 {
		in.Alpha = rules.Alpha
	}
	var out []CheckPower
	for _, name := range rules.Gate {
		m, stat := metric.SplitName(name)
		if m == metric.ErrorRate || in.Capacity != (m == metric.Capacity) {
			continue
		}
		cp := CheckPower{Name: name, Mode: ModeNone}
		if note := phasePowerNote(name); note != "" {
			cp.Note = note
			out = append(out, cp)
			continue
		}
		switch {
		case in.Paired:
			cp.Mode = ModePaired
			predictPaired(&cp, in, rules, stat)
		case len(in.History) > 0:
			cp.Mode = ModeHistory
			predictHistory(&cp, in, rules, m, stat)
		default:
			cp.Note = "no baseline: a live baseline URL, or runs stored from the base branch, give one"
		}
		if cp.Noise.SE > 0 && cp.Note == "" {
			cp.Noise.Alpha = in.Alpha
			cp.MDE = MDE(cp.Noise.SE, cp.Noise.DF, in.Alpha, rules.Negligible)
			cp.Advice = Advise(&cp.Noise, in.Windows, float64(in.Windows)*in.WindowSeconds, rules.Negligible, rules.Material)
		}
		out = append(out, cp)
	}
	return out
}

// tooFewPlanned says whether the planned samples are too few for stat, and
// whether each window is.
func (in PowerInput) tooFewPlanned(stat string) (total, perWindow bool) {
	if in.Rate <= 0 || in.Capacity {
		return false, false
	}
	n := int64(in.Rate * in.WindowSeconds)
	return !metric.EnoughTail(stat, n*int64(in.Windows)), !metric.EnoughTail(stat, n)
}

// predictPaired predicts a paired check: SE² = s²/W + τ² with τ² and the
// degrees of freedom chosen as stats.Paired chooses them from the stored
// A/A runs, s from the A/A runs' own window spread (else from single-arm
// stored runs, √2 times their spread).
func predictPaired(cp *CheckPower, in PowerInput, rules Rules, stat string) {
	total, perWindow := in.tooFewPlanned(stat)
	if total {
		cp.Note = fmt.Sprintf("about %.0f samples planned, too few for %s (needs %d): informational", in.Rate*in.WindowSeconds*float64(in.Windows), stat, metric.MinCount(stat))
		return
	}
	w := in.Windows
	if in.Capacity {
		w = capacityWindows
	}
	aa := aaStatsOf(in.Calibration, cp.Name, rules)
	within, from := withinFromCalibration(in.Calibration, cp.Name, w)
	if from == "" {
		within, from = withinFromHistory(in.History, cp.Name, w)
		within *= math.Sqrt2 // two arms, no common noise paired out: an upper bound
	}
	cp.Within = from
	trim := TrimFor(stat)
	if perWindow {
		trim = 0 // pooled over windows with a jackknife, no trimming
	}
	pr, err := stats.Paired(stats.PairedInput{D: spreadOf(within*math.Sqrt(float64(w)), w, trim), Tau2: aa.tau2, NAA: aa.n, PriorTau2: aa.prior2, DF: stats.DFWelch, Trim: trim})
	if err != nil {
		cp.Note = err.Error()
		return
	}
	cp.Noise = *pairedNoise(pr, aa)
	se, df := pr.SE, pr.DF
	// As compare_paired.go does once the A/A runs are enough: a pooled
	// check takes their whole spread (not below its own jackknife plus
	// τ̂²), a trimmed one is not let below it.
	switch {
	case perWindow && aa.n >= stats.MinAARuns && aa.totalFor(w) >= se*se:
		se, df = math.Sqrt(aa.totalFor(w)), aa.totalDF()
	case perWindow && aa.n >= stats.MinAARuns:
		df = stats.WelchDF(se*se-aa.tau2, float64(w-1), aa.tau2, stats.BetweenDF(aa.n)) // this run's own jackknife plus τ̂² is the floor
	case trim > 0 && aa.n >= stats.MinAARuns && aa.totalFor(w) > se*se:
		se, df = math.Sqrt(aa.totalFor(w)), math.Min(df, aa.totalDF())
	}
	cp.Noise.SE, cp.Noise.DF = se, df
	cp.Noise.WithinSE = math.Sqrt(math.Max(0, se*se-cp.Noise.Tau*cp.Noise.Tau))
	if from == "" {
		cp.Noise.WithinSE = 0
	}
}

// predictHistory predicts a check against the stored runs: the prediction
// interval's SE² = s²(1+1/N) + se_x², se_x from the stored runs' own
// window spread.
func predictHistory(cp *CheckPower, in PowerInput, rules Rules, m, stat string) {
	if total, _ := in.tooFewPlanned(stat); total {
		cp.Note = fmt.Sprintf("too few samples planned for %s (needs %d): informational", stat, metric.MinCount(stat))
		return
	}
	hist := in.History
	if len(hist) > rules.History {
		hist = hist[:rules.History]
	}
	var xs []float64
	for _, rec := range hist {
		if x, _, _, _, err := logStat(rec, m, stat, false); err == nil {
			xs = append(xs, x)
		}
	}
	if len(xs) < stats.MinHistory {
		cp.Note = fmt.Sprintf("%d stored runs measured it (needs %d): reported, not judged", len(xs), stats.MinHistory)
		return
	}
	within, from := withinFromHistory(hist, cp.Name, in.Windows)
	hr, err := stats.History(0, within, xs)
	if err != nil {
		cp.Note = err.Error()
		return
	}
	cp.Within = from
	cp.Noise = *historyNoise(hr)
	cp.Noise.SE, cp.Noise.DF, cp.Noise.WithinSE = hr.SE, hr.DF, within
}

// withinFromCalibration is the within-run standard error of check name
// over w windows, from the A/A runs' window spread (the median of their
// variances of a window log-ratio: one run with a stall, or a pooled
// percentile's erratic jackknife, does not set it), and what it came
// from; "" without any.
func withinFromCalibration(runs []CalibrationRun, name string, w int) (float64, string) {
	var vs []float64
	for _, r := range runs {
		if s, ok := r.checks[name]; ok && s.W >= 2 {
			vs = append(vs, s.SD*s.SD)
		}
	}
	if len(vs) == 0 {
		return 0, ""
	}
	return math.Sqrt(median(vs) / float64(w)), fmt.Sprintf("%d A/A records", len(vs))
}

// withinFromHistory is the standard error of ln(statistic) of one arm over
// w windows, from the stored runs' own jackknife over their windows (the
// median of their variances), and what it came from; "" without any.
func withinFromHistory(recs []*baseline.Record, name string, w int) (float64, string) {
	m, stat := metric.SplitName(name)
	var vs []float64
	for _, rec := range recs {
		_, se, _, _, err := logStat(rec, m, stat, true)
		if err != nil || !(se > 0) || len(rec.Windows) == 0 {
			continue
		}
		// The variance of a mean over windows falls as 1/W.
		vs = append(vs, se*se*float64(len(rec.Windows))/float64(max(w, 1)))
	}
	if len(vs) == 0 {
		return 0, ""
	}
	return math.Sqrt(median(vs)), fmt.Sprintf("%d stored runs", len(vs))
}

// spreadOf returns w values whose estimate with trim (stats.Paired) has
// mean 0 and standard deviation sd: ±c, with a 0 in the middle when w is
// odd, which winsorizing leaves as they are.
func spreadOf(sd float64, w int, trim float64) []float64 {
	c := sd * (1 - 2*trim)
	if w%2 == 0 {
		c *= math.Sqrt(float64(w-1) / float64(w))
	}
	if g := int(math.Floor(trim * float64(w))); g == 0 || w-2*g < 2 {
		c = sd
		if w%2 == 0 {
			c *= math.Sqrt(float64(w-1) / float64(w))
		}
	}
	d := make([]float64, w)
	for i := range d {
		switch {
		case w%2 == 1 && i == w/2:
			d[i] = 0
		case i < w/2:
			d[i] = -c
		default:
			d[i] = c
		}
	}
	return d
}
