package report

import (
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
)

// inconclusiveInput is a paired run at a low rate whose ttft.p95 saw no
// regression but could not rule out a material one: τ learned from 12 A/A
// records stored by pushes to the default branch.
func inconclusiveInput() Input {
	cs := steadyChecks("chat-steady", gate.ModePaired)
	noise := &gate.Noise{SE: 0.05, DF: 11, Alpha: 0.05, WithinSE: 0.049, Tau: 0.00995, TauSource: gate.TauLearned, AARuns: 12}
	mde := gate.MDE(noise.SE, noise.DF, noise.Alpha, 0.03)
	cs[2] = gate.Check{Scenario: "chat-steady", Name: "ttft.p95", Metric: "ttft", Stat: "p95", Kind: gate.KindRegression,
		Mode: gate.ModePaired, Unit: "ms", Baseline: 405.1, Candidate: 413.3, Change: 0.0202, CILow: -0.0675, CIHigh: 0.1163,
		Confidence: 1 - noise.Alpha, MDE: mde, PValue: 0.58, Windows: 12, Samples: 960, Gating: true,
		Verdict: gate.Warn, ReasonKind: gate.ReasonInconclusive, Noise: noise,
		Advice: gate.Advise(noise, 12, 60, 0.03, 0.10),
		Reason: "ttft.p95 +2.0% [-6.8%, +11.6%]: inconclusive: interval [-6.8%, +11.6%] reaches material +10.0% and does not clear negligible +3.0%"}
	for i := range cs {
		if cs[i].Kind == gate.KindRegression && cs[i].Gating && cs[i].Noise == nil {
			cs[i].Noise = &gate.Noise{SE: 0.012, DF: 11, Alpha: 0.05, WithinSE: 0.0084, Tau: 0.0086, TauSource: gate.TauLearned, AARuns: 12}
		}
	}
	run := paired(record("chat-steady", 12, 8, 7.98, 1.8))
	v := &gate.Verdict{Outcome: gate.Warn, Mode: gate.ModePaired, Checks: cs,
		Calibration: []gate.CalibrationSummary{{Scenario: "chat-steady", Records: 12,
			Newest: run.Time.Add(-50 * time.Hour), Oldest: run.Time.Add(-41 * 24 * time.Hour),
			NewestAge: 50 * 3600, OldestAge: 41 * 86400}},
		Resolution: &gate.Resolution{MDE: mde, Check: "chat-steady ttft.p95", Material: 0.10, Advice: cs[2].Advice},
	}
	v.ReasonKind = gate.RunReasonKind(v.Outcome, v.Checks)
	v.Reason = "No regression seen, but 1 gating check could not rule out a material one: changes under 22% are invisible to this run (chat-steady ttft.p95); to resolve 10%, run 9.1× as long (9m6s instead of 1m0s)."
	in := passInput()
	in.Verdict, in.Runs, in.Branch = v, []*baseline.Record{run}, "feature/tokenizer-cache"
	return in
}

func TestInconclusiveSaidPlainly(t *testing.T) {
	in := inconclusiveInput()
	md := Markdown(in, MarkdownOptions{})
	res := in.Verdict.Resolution
	if len(res.Advice) == 0 || res.Advice[0].Lever != gate.LeverDuration {
		t.Fatalf("fixture advice %+v: want a longer run first", res.Advice)
	}
	for _, want := range []string{
		"> **No regression seen.** Ways to resolve a 10% change in `chat-steady ttft.p95` (MDE " + formatMDE(res.MDE, false) + " now), cheapest first: " + res.Advice[0].Text,
		"- **WARN** (inconclusive) `ttft.p95`:",
		"- Between-deployment noise τ learned from 12 A/A records (newest 2 days old, oldest 41 days).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("comment lacks %q:\n%s", want, md)
		}
	}
	rep := BuildJSON(in)
	if rep.ReasonKind != gate.ReasonInconclusive || rep.Resolution == nil || len(rep.Resolution.Advice) != len(res.Advice) {
		t.Errorf("report.json: reason kind %q, resolution %+v", rep.ReasonKind, rep.Resolution)
	}
	if len(rep.Calibration) != 1 || rep.Calibration[0].Records != 12 || rep.Calibration[0].Newest != "2026-03-12T07:26:53Z" {
		t.Errorf("report.json calibration %+v", rep.Calibration)
	}
}

func TestPriorSaidPerScenario(t *testing.T) {
	v := &gate.Verdict{Calibration: []gate.CalibrationSummary{{Scenario: "a", PriorUsed: true}, {Scenario: "b", Records: 3, PriorUsed: true, NewestAge: 3600, OldestAge: 3 * 86400, Newest: time.Unix(1, 0), Oldest: time.Unix(0, 0)}}}
	if n := calibrationNote(v, "a"); !strings.Contains(n, "the prior, no A/A records yet") {
		t.Errorf("no records: %q", n)
	}
	if n := calibrationNote(v, "b"); !strings.Contains(n, "at least the prior; 3 A/A records (newest 60 minutes old, oldest 3 days) are too few to rely on alone") {
		t.Errorf("too few records: %q", n)
	}
	if n := calibrationNote(v, "c"); n != "" {
		t.Errorf("a scenario that was not paired: %q", n)
	}
}

// TestResolutionOfASeenWorsening: a run whose most serious WARN is a
// measured worsening still gets the ways to resolve it, but never the words
// "No regression seen" (the demo's +32% e2e.p95 was headed so).
func TestResolutionOfASeenWorsening(t *testing.T) {
	in := inconclusiveInput()
	in.Verdict.ReasonKind = gate.ReasonSmallRegression
	in.Verdict.Reason = "No check failed, but 1 check is WARN: ttft.p95 +8.0% [+0.5%, +16%]."
	md := Markdown(in, MarkdownOptions{})
	if strings.Contains(md, "No regression seen") || !strings.Contains(md, "> Ways to resolve a 10% change") {
		t.Errorf("comment of a seen worsening:\n%s", md)
	}
}
