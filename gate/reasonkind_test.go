package gate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/stats"
)

func TestDecideReasonKinds(t *testing.T) {
	unconfirmed := withP(0.001)
	unconfirmed.wilcoxonP, unconfirmed.wilcoxonN = 0.5, 12
	for _, tc := range []struct {
		name string
		ests []estimate
		want string // reason kind of the last check
	}{
		{"no worsening, wide interval", []estimate{testThresholds.estimate(stats.Estimate{Effect: 0, SE: 0.07, DF: 30})}, ReasonInconclusive},
		{"estimate within negligible", []estimate{testThresholds.estimate(stats.Estimate{Effect: 0.02, SE: 0.05, DF: 30})}, ReasonInconclusive},
		{"estimate above negligible", []estimate{testThresholds.estimate(stats.Estimate{Effect: 0.05, SE: 0.05, DF: 30})}, ReasonSmallRegression},
		{"lower bound above zero", []estimate{testThresholds.estimate(stats.Estimate{Effect: 0.06, SE: 0.025, DF: 30})}, ReasonSmallRegression},
		{"Holm stops the step-down", []estimate{withP(0.04), withP(0.045)}, ReasonNotSignificantAfterHolm},
		{"signed-rank does not confirm", []estimate{unconfirmed}, ReasonSignedRankDisagrees},
		{"a pass has no kind", []estimate{testThresholds.estimate(stats.Estimate{Effect: 0, SE: 0.01, DF: 30})}, ""},
		{"a fail has no kind", []estimate{withP(0.0001)}, ""},
		{"error rate, nothing seen", []estimate{&proportionDiff{failed: [2]int{0, 0}, total: [2]int{100, 100}, neg: 0.001, mat: 0.01}}, ReasonInconclusive},
		{"error rate, more errors", []estimate{&proportionDiff{failed: [2]int{4, 1}, total: [2]int{300, 300}, neg: 0.001, mat: 0.01}}, ReasonSmallRegression},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var regs []*regression
			for _, e := range tc.ests {
				regs = append(regs, &regression{check: Check{Name: "x.p50", Gating: true}, est: e})
			}
			decide(regs, 0.05)
			last := regs[len(regs)-1].check
			if last.ReasonKind != tc.want {
				t.Errorf("reason kind %q (%s: %s), want %q", last.ReasonKind, last.Verdict, last.Reason, tc.want)
			}
			if (last.Verdict == Warn) != (tc.want != "") {
				t.Errorf("verdict %s with reason kind %q", last.Verdict, last.ReasonKind)
			}
		})
	}
}

// noisyPaired is a paired run whose windows are too noisy for 12 of them
// to rule out a 10% change, with no change between the arms.
func noisyPaired(rng *rand.Rand, when time.Time) *baseline.Record {
	b := fakeRecord(rng, "steady", 12, 100, 0, 0.15, 400)
	c := fakeRecord(rng, "steady", 12, 100, 0, 0.15, 400)
	c.Time, b.Time = when, when
	c.Reference = b
	return c
}

func TestInconclusiveRunSaidPlainly(t *testing.T) {
	rules := Rules{Gate: []string{"e2e.p50"}}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for seed := uint64(1); seed < 40; seed++ {
		rec := noisyPaired(rand.New(rand.NewPCG(seed, 9)), now)
		v := Evaluate(Input{Rules: rules, Runs: []*baseline.Record{rec}})
		c := findCheck(t, v, "e2e.p50", KindRegression)
		if c.ReasonKind != ReasonInconclusive {
			continue
		}
		if v.Outcome != Warn || v.ReasonKind != ReasonInconclusive {
			t.Fatalf("run %s (%q): %s", v.Outcome, v.ReasonKind, v.Reason)
		}
		// Uncalibrated windows this noisy need more than any practical
		// lever: the reason says so instead of proposing dozens of replicas.
		if !strings.HasPrefix(v.Reason, "No regression seen") || !strings.Contains(v.Reason, "invisible to this run") || !strings.Contains(v.Reason, "no practical change of one run resolves 10%") {
			t.Errorf("reason does not say it plainly: %s", v.Reason)
		}
		if v.Resolution == nil || v.Resolution.MDE != c.MDE || len(v.Resolution.Advice) != 0 || v.Resolution.Check != "steady e2e.p50" {
			t.Fatalf("resolution %+v for MDE %v", v.Resolution, c.MDE)
		}
		if c.Noise == nil || c.Noise.TauSource != TauPrior || c.Noise.AARuns != 0 {
			t.Errorf("noise %+v: want the prior, no A/A runs", c.Noise)
		}
		if len(v.Calibration) != 1 || v.Calibration[0].Records != 0 || !v.Calibration[0].PriorUsed {
			t.Errorf("calibration %+v: want no records and the prior", v.Calibration)
		}

		rules.Inconclusive = InconclusivePass
		v = Evaluate(Input{Rules: rules, Runs: []*baseline.Record{rec}})
		c = findCheck(t, v, "e2e.p50", KindRegression)
		if v.Outcome != Pass || v.ReasonKind != ReasonInconclusive || c.Verdict != Pass || c.ReasonKind != ReasonInconclusive {
			t.Errorf("inconclusive reported as pass: run %s (%q), check %s (%q)", v.Outcome, v.ReasonKind, c.Verdict, c.ReasonKind)
		}
		if !strings.Contains(v.Reason, "reported as PASS") || !strings.Contains(c.Reason, "reported as PASS") {
			t.Errorf("the pass does not say it is inconclusive: %s / %s", v.Reason, c.Reason)
		}
		return
	}
	t.Fatal("no seed gave an inconclusive check")
}

func TestRunReasonKindTakesTheMostSerious(t *testing.T) {
	cs := []Check{
		{Verdict: Warn, ReasonKind: ReasonInformational},
		{Verdict: Warn, ReasonKind: ReasonInconclusive, Gating: true},
		{Verdict: Warn, ReasonKind: ReasonSmallRegression, Gating: true},
		{Verdict: Pass},
	}
	if got := RunReasonKind(Warn, cs); got != ReasonSmallRegression {
		t.Errorf("warn run: %q", got)
	}
	if got := RunReasonKind(Warn, cs[:2]); got != ReasonInconclusive {
		t.Errorf("warn run without the regression: %q", got)
	}
	if got := RunReasonKind(Pass, []Check{{Verdict: Pass, ReasonKind: ReasonInconclusive}}); got != ReasonInconclusive {
		t.Errorf("inconclusive reported as pass: %q", got)
	}
	if got := RunReasonKind(Fail, cs); got != "" {
		t.Errorf("fail run: %q", got)
	}
	cs[2].Reason = "e2e.p50 +6.0% [+0.5%, +11.8%]"
	// The informational check is a note: it is not among the WARN checks.
	v := &Verdict{Checks: cs}
	finish(v, nil, 0.10)
	if v.Outcome != Warn || v.ReasonKind != ReasonSmallRegression || v.Reason != "No check failed, but 2 checks are WARN; the most serious, a worsening not shown beyond the negligible change: e2e.p50 +6.0% [+0.5%, +11.8%]." {
		t.Errorf("run %s (%q): %s", v.Outcome, v.ReasonKind, v.Reason)
	}
}

func TestEveryWarnHasAReasonKind(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	rules := Rules{Gate: []string{"e2e.p50", "e2e.p95", "requests_per_s", "error_rate", "ttft.p95"}}
	for i := 0; i < 20; i++ {
		for _, in := range []Input{
			{Rules: rules, Runs: []*baseline.Record{noisyPaired(rng, time.Time{})}},
			{Rules: rules, Runs: []*baseline.Record{pairedRun(rng, 0.05, 0.02)}},
			{Rules: rules, Runs: []*baseline.Record{fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400)}},
			{Rules: rules, Runs: []*baseline.Record{fakeRecord(rng, "steady", 12, 100, 0.05, 0.02, 400)},
				History: map[string][]*baseline.Record{"steady": {fakeRecord(rng, "steady", 12, 100, 0, 0.02, 400), fakeRecord(rng, "steady", 12, 95, 0, 0.02, 400), fakeRecord(rng, "steady", 12, 105, 0, 0.02, 400)}}},
		} {
			v := Evaluate(in)
			for _, c := range v.Checks {
				if c.Verdict == Warn && reasonRank[c.ReasonKind] == 0 {
					t.Errorf("WARN without a reason kind: %+v", c)
				}
				if c.Verdict == Fail && len(c.Advice) > 0 {
					t.Errorf("advice to resolve a FAIL: %+v", c)
				}
			}
			if v.Outcome == Warn && v.ReasonKind == "" {
				t.Errorf("WARN run without a reason kind: %s", v.Reason)
			}
		}
	}
}

func TestCalibrationSummaryAges(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cal := calibration(rng, 6, 0.005)
	for i, r := range cal {
		r.Time = now.Add(-time.Duration(i+1) * 24 * time.Hour)
	}
	run := pairedRun(rng, 0, 0.005)
	run.Time = now
	v := Evaluate(Input{Rules: gateRules, Runs: []*baseline.Record{run}, Calibration: LearnCalibration(map[string][]*baseline.Record{"steady": cal}, gateRules)})
	if len(v.Calibration) != 1 {
		t.Fatalf("calibration %+v", v.Calibration)
	}
	s := v.Calibration[0]
	if s.Records != 6 || s.PriorUsed || s.NewestAge != 86400 || s.OldestAge != 6*86400 || !s.Newest.Equal(now.Add(-24*time.Hour)) {
		t.Errorf("summary %+v: want 6 records, 1 to 6 days old, learned", s)
	}
	c := findCheck(t, v, "e2e.p50", KindRegression)
	if c.Noise == nil || c.Noise.TauSource != TauLearned || c.Noise.AARuns != 6 || math.Abs(c.Noise.SE*c.Noise.SE-c.Noise.WithinSE*c.Noise.WithinSE-c.Noise.Tau*c.Noise.Tau) > 1e-12 {
		t.Errorf("noise %+v: want learned from 6 runs, SE² = within² + τ²", c.Noise)
	}
	if got := MDE(c.Noise.SE, c.Noise.DF, c.Noise.Alpha, gateRules.withDefaults().Negligible); math.Abs(got-c.MDE) > 1e-12 {
		t.Errorf("MDE from the noise %v, the check's %v", got, c.MDE)
	}
}
