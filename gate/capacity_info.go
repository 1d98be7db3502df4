package gate

import (
	"fmt"
	"slices"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// judgesCapacity reports whether the policy judges capacity itself: a
// capacity SLO or "capacity" among the gating checks.
func judgesCapacity(slos []SLO, rules Rules) bool {
	return slices.Contains(rules.Gate, metric.Capacity) || slices.ContainsFunc(slos, func(s SLO) bool { return s.Metric == metric.Capacity })
}

// capacityInfo is the check of a capacity that neither an SLO nor the gate
// judges: a capacity is a measurement, so it is reported, informational,
// compared with the baseline when there is one (paired arm or stored
// runs), and says what it is: the highest rate at which every SLO held.
func capacityInfo(rec *baseline.Record, history []*baseline.Record, aa aaStats, rules Rules, slos int) Check {
	r := compareCheck(rec, metric.Capacity, history, aa, rules)
	c := r.check
	if r.est != nil {
		if err := r.est.judge(&c, rules.Alpha, false); err != nil {
			r.est = nil
		}
	}
	c.Gating, c.Verdict, c.ReasonKind, c.Noise, c.Advice = false, Warn, ReasonInformational, nil, nil
	c.Unit, c.Candidate, c.Samples = metric.RPS, rec.Capacity.RPS, int64(len(rec.Capacity.Steps))
	s := CapacitySentence(rec.Capacity, slos)
	if r.est != nil {
		s += fmt.Sprintf("; %s against the baseline's %s", formatChange(&c), metric.Format(c.Baseline, metric.RPS))
	}
	c.Reason = s + `; informational: add "capacity" to regression.gate or a capacity SLO to judge it`
	return c
}

// CapacitySentence says what a capacity search found, in words: "capacity
// 12.3 req/s, the highest rate at which all 9 SLOs held (e2e.p95 < 2s broke
// above it)".
func CapacitySentence(c *baseline.Capacity, slos int) string {
	held := "every SLO held"
	if slos > 1 {
		held = fmt.Sprintf("all %d SLOs held", slos)
	}
	var s string
	switch {
	case c.RPS <= 0 && c.BrokenBy != "":
		s = fmt.Sprintf("capacity not found: no rate tried met every SLO (%s broke even at the lowest)", c.BrokenBy)
	case c.RPS <= 0:
		s = "capacity not found: no rate tried met every SLO"
	default:
		s = fmt.Sprintf("capacity %s, the highest rate at which %s", metric.Format(c.RPS, metric.RPS), held)
		if c.BrokenBy == "" {
			s = fmt.Sprintf("capacity at least %s, the highest rate tried; %s there", metric.Format(c.RPS, metric.RPS), held)
		}
		if c.BrokenBy != "" {
			s += fmt.Sprintf(" (%s broke above it)", c.BrokenBy)
		} else {
			s += " (no rate tried broke an SLO: search.to or the budget ended the search)"
		}
	}
	if !c.Converged && c.RPS > 0 && c.BrokenBy != "" {
		s += ", not narrowed to the requested precision within the budget"
	}
	return fmt.Sprintf("%s, from %d steps", s, len(c.Steps))
}

// capacityCriterionUnmeasured is the check of a server SLO that a capacity
// search could not apply: the search judges each step by the SLOs, and a
// server series that the last step that met them did not measure (scrapes
// that failed, a series not exposed) was skipped there, so the capacity
// found ignores it. Such an SLO is unmeasured (Invalid unless optional).
// Latency SLOs need no such check: a step that met them measured them.
func capacityCriterionUnmeasured(rec *baseline.Record, slo SLO, rules Rules) (Check, bool) {
	scraped := slices.ContainsFunc(rec.Windows, func(w baseline.WindowCounts) bool { return w.Scrapes > 0 })
	if rec.Capacity == nil || !metric.IsServer(slo.Metric) || !scraped {
		return Check{}, false // records without scrape counts (older versions) are not judged here
	}
	why := unmeasured(rec, slo.Metric, slo.Stat)
	if why == "" {
		return Check{}, false
	}
	c := unmeasuredCheck(rec, slo.Name, KindSLO, "at the capacity found (the last step that met the other SLOs), "+why+"; the capacity search could not apply it", slices.Contains(rules.Optional, slo.Name))
	c.Op, c.Limit, c.Baseline, c.HigherIsBetter = slo.Op, slo.Limit, slo.Limit, !slo.upperIsBad()
	return c, true
}
