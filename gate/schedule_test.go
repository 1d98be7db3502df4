package gate

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

// openLoop marks both arms of a paired record as an open-loop run that
// offered perWindow requests a 5-s window, of which the candidate
// completed candShare.
func openLoop(rec *baseline.Record, candShare float64) *baseline.Record {
	for r, share := rec, candShare; r != nil; r, share = r.Reference, 1 {
		r.ScenarioKind = "steady"
		r.Offered = float64(r.Windows[0].Sent) / 5
		for i := range r.Windows {
			r.Windows[i].Succeeded = int64(share * float64(r.Windows[i].Sent))
			r.Windows[i].OutputTokens = 64 * r.Windows[i].Succeeded
		}
	}
	return rec
}

func TestScheduleBoundThroughputIsInformational(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rules := Rules{Gate: []string{"e2e.p50", "requests_per_s"}}
	v := Evaluate(Input{Rules: rules, Runs: []*baseline.Record{openLoop(pairedRun(rng, 0, 0.005), 1)}})
	c := findCheck(t, v, "requests_per_s", KindRegression)
	if c.Gating || c.ReasonKind != ReasonInformational || !strings.Contains(c.Reason, "offered load") || !strings.Contains(c.Reason, "closed-loop") || len(c.Warnings) != 0 {
		t.Errorf("open loop, schedule kept: %+v", c)
	}
	if c.Candidate == 0 || c.Baseline == 0 {
		t.Errorf("the measured values are still shown: %+v", c)
	}

	// A candidate that completes 80% of its schedule fell behind: judged.
	v = Evaluate(Input{Rules: rules, Runs: []*baseline.Record{openLoop(pairedRun(rng, 0.2, 0.005), 0.8)}})
	if c := findCheck(t, v, "requests_per_s", KindRegression); !c.Gating || c.ReasonKind == ReasonInformational {
		t.Errorf("candidate behind its schedule: %+v", c)
	}

	// Closed loop: the throughput is the server's.
	rec := openLoop(pairedRun(rng, 0, 0.005), 1)
	rec.Concurrency, rec.Reference.Concurrency = 8, 8
	v = Evaluate(Input{Rules: rules, Runs: []*baseline.Record{rec}})
	if c := findCheck(t, v, "requests_per_s", KindRegression); !c.Gating {
		t.Errorf("closed loop: %+v", c)
	}
}

func TestFollowedScheduleOutputTokens(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	rec := openLoop(pairedRun(rng, 0, 0.005), 1)
	arms := []*baseline.Record{rec, rec.Reference}
	if err := followedSchedule(rec, "output_tokens_per_s", arms, 0.03); err == nil {
		t.Error("same schedule, same lengths: output_tokens_per_s judged")
	}
	for i := range rec.Windows {
		rec.Windows[i].OutputTokens = 48 * rec.Windows[i].Succeeded // answers 25% shorter
	}
	if err := followedSchedule(rec, "output_tokens_per_s", arms, 0.03); err != nil {
		t.Errorf("shorter answers: output_tokens_per_s not judged: %v", err)
	}
	if err := followedSchedule(rec, "requests_per_s", arms, 0.03); err == nil {
		t.Error("requests_per_s judged though both arms kept their schedule")
	}
	if err := followedSchedule(rec, "goodput", arms, 0.03); err != nil {
		t.Errorf("goodput is not schedule-bound: %v", err)
	}
	// History mode: this run and stored runs that all kept up.
	if err := followedSchedule(rec.Reference, "requests_per_s", []*baseline.Record{rec.Reference, rec.Reference}, 0.03); err == nil {
		t.Error("history: requests_per_s judged")
	}
}
