package gate

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
)

// runSearch drives a search against a server whose true capacity is truth:
// a step meets the SLOs exactly when its rate is at most truth.
func runSearch(t *testing.T, s *CapacitySearch, truth float64) (baseline.Capacity, []float64) {
	t.Helper()
	var rates []float64
	for i := 0; i < 100; i++ {
		rate, dur, ok := s.Next()
		if !ok {
			return s.Result(), rates
		}
		rates = append(rates, rate)
		st := baseline.CapacityStep{Rate: rate, Achieved: rate, Met: rate <= truth}
		if !st.Met {
			st.Breached = "ttft.p95 < 2s"
		}
		s.Observe(st, dur)
	}
	t.Fatal("search did not stop within 100 steps")
	return baseline.Capacity{}, nil
}

func TestCapacitySearchConverges(t *testing.T) {
	for _, truth := range []float64{3, 11, 23.5, 40, 63} {
		s, err := NewCapacitySearch(2, 64, 0.05, 90*time.Second, 6*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c, rates := runSearch(t, s, truth)
		if !c.Converged || c.RPS > truth || c.RPS < truth/1.05 {
			t.Errorf("truth %v: capacity %v converged=%v after rates %v", truth, c.RPS, c.Converged, rates)
		}
		if c.BrokenBy != "ttft.p95 < 2s" {
			t.Errorf("truth %v: broken by %q", truth, c.BrokenBy)
		}
		if s.Used() > 90*time.Second {
			t.Errorf("used %v, over the budget", s.Used())
		}
		for i := 1; i < len(c.Steps); i++ {
			if c.Steps[i].Rate < c.Steps[i-1].Rate {
				t.Errorf("steps not sorted by rate")
			}
		}
	}
}

func TestCapacitySearchNeverBreaks(t *testing.T) {
	s, _ := NewCapacitySearch(2, 64, 0.05, 60*time.Second, 5*time.Second)
	c, _ := runSearch(t, s, 1000)
	if c.RPS != 64 || c.BrokenBy != "" {
		t.Errorf("capacity beyond the range: %+v", c)
	}
}

func TestCapacitySearchBudget(t *testing.T) {
	s, _ := NewCapacitySearch(1, 1000, 0.01, 30*time.Second, 6*time.Second)
	_, rates := runSearch(t, s, 377)
	if len(rates) > 5 {
		t.Errorf("%d steps of 6s in a 30s budget", len(rates))
	}
}

func TestCapacitySearchBelowFrom(t *testing.T) {
	s, _ := NewCapacitySearch(8, 64, 0.05, 60*time.Second, 5*time.Second)
	c, _ := runSearch(t, s, 3)
	if c.RPS == 0 || c.RPS > 3 {
		t.Errorf("capacity below the start rate: %+v", c)
	}
	if se := capacitySE(&c); !(se > 0) || math.IsInf(se, 0) {
		t.Errorf("capacitySE = %v", se)
	}
}

func TestCapacitySearchBadRange(t *testing.T) {
	if _, err := NewCapacitySearch(0, 10, 0, 0, 0); err == nil {
		t.Error("from=0 accepted")
	}
	if _, err := NewCapacitySearch(10, 5, 0, 0, 0); err == nil {
		t.Error("to < from accepted")
	}
}

func TestStepMeetsQueueGrowth(t *testing.T) {
	step := func(first, last float64) *baseline.Record {
		return &baseline.Record{Scenario: "capacity", Windows: []baseline.WindowCounts{{Succeeded: 50}, {Succeeded: 50}},
			Metrics: map[string]*baseline.Metric{"ttft": {Unit: "ms", Windows: []baseline.WindowStats{
				{Count: 50, Stats: map[string]float64{"p50": first, "p95": first * 2}},
				{Count: 50, Stats: map[string]float64{"p50": last, "p95": last * 2}},
			}, Pooled: baseline.WindowStats{Count: 100, Stats: map[string]float64{"p50": (first + last) / 2, "p95": last * 2}}}}}
	}
	slos := []SLO{{Name: "ttft.p95", Metric: "ttft", Stat: "p95", Op: "<", Limit: 1000, Text: "< 1s"}}
	if met, why, _ := StepMeets(step(40, 45), slos); !met {
		t.Errorf("a steady step breached: %s", why)
	}
	met, why, _ := StepMeets(step(60, 400), slos)
	if met || !strings.Contains(why, "queue growing") {
		t.Errorf("growing TTFT within the step: met=%v %q", met, why)
	}
	if met, why, _ := StepMeets(step(300, 2000), slos); met || !strings.Contains(why, "queue") {
		t.Errorf("growing and over the SLO: met=%v %q", met, why)
	}
}
