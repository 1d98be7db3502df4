package gate

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// CapacitySearch finds the highest arrival rate at which the SLOs hold,
// within a load-time budget. It is a pure state machine: the caller asks for
// the next step, measures it, and reports what it saw.
//
// The search brackets by growing the rate geometrically (×Growth) from From
// until a step breaches or To is reached, then bisects on the log scale
// between the highest rate that met the SLOs and the lowest that did not,
// until hi/lo < 1+Precision or the budget is spent. Rates are tried in the
// order a real server tolerates: a breaching step is followed by a lower one.
type CapacitySearch struct {
	From, To  float64       // req/s, 0 < From <= To
	Precision float64       // relative width at which the search stops (0.05 = 5%)
	Growth    float64       // bracketing factor, > 1
	Budget    time.Duration // total load time for all steps
	Step      time.Duration // load time of one step

	used   time.Duration
	lo, hi float64 // highest met, lowest breached (0 = none yet)
	steps  []baseline.CapacityStep
	broken string // SLO that broke at hi
}

// Default capacity search settings.
const (
	DefaultCapacityPrecision = 0.05
	DefaultCapacityGrowth    = 2.0
	DefaultCapacityBudget    = 60 * time.Second
	DefaultCapacityStep      = 6 * time.Second
)

// NewCapacitySearch returns a search over [from, to] req/s with the given
// precision, budget and step length; zero values take the defaults.
func NewCapacitySearch(from, to, precision float64, budget, step time.Duration) (*CapacitySearch, error) {
	if !(from > 0) || !(to >= from) || math.IsInf(to, 0) {
		return nil, fmt.Errorf("capacity search: need 0 < from <= to, got from=%g to=%g", from, to)
	}
	if precision <= 0 {
		precision = DefaultCapacityPrecision
	}
	if budget <= 0 {
		budget = DefaultCapacityBudget
	}
	if step <= 0 {
		step = DefaultCapacityStep
	}
	if step > budget {
		step = budget
	}
	return &CapacitySearch{From: from, To: to, Precision: precision, Growth: DefaultCapacityGrowth, Budget: budget, Step: step}, nil
}

// Next returns the rate of the next step and how long to run it; ok is
// false when the search is done.
func (s *CapacitySearch) Next() (rate float64, dur time.Duration, ok bool) {
	if s.used+s.Step > s.Budget+s.Step/4 {
		return 0, 0, false
	}
	switch {
	case len(s.steps) == 0:
		rate = s.From
	case s.hi == 0: // still bracketing: every step so far met the SLOs
		if s.lo >= s.To {
			return 0, 0, false
		}
		rate = math.Min(s.lo*s.Growth, s.To)
	case s.lo == 0: // even From breached: step down until something holds
		rate = s.hi / s.Growth
		if rate < s.From/16 {
			return 0, 0, false
		}
	default:
		if s.hi/s.lo < 1+s.Precision {
			return 0, 0, false
		}
		rate = math.Sqrt(s.lo * s.hi)
	}
	return rate, s.Step, true
}

// Observe records a measured step; used is the load time it took (a step
// stopped early because it clearly breached uses less than Step).
func (s *CapacitySearch) Observe(step baseline.CapacityStep, used time.Duration) {
	s.used += used
	s.steps = append(s.steps, step)
	if step.Met {
		if step.Rate > s.lo {
			s.lo = step.Rate
		}
		// A met step above a breached one means noise at the boundary:
		// the breach no longer bounds the capacity from above.
		if s.hi != 0 && step.Rate >= s.hi {
			s.hi = 0
		}
		return
	}
	if s.hi == 0 || step.Rate < s.hi {
		s.hi = step.Rate
		s.broken = step.Breached
	}
}

// Done reports whether the bracket is narrower than the precision.
func (s *CapacitySearch) Done() bool {
	return s.lo > 0 && s.hi > 0 && s.hi/s.lo < 1+s.Precision
}

// Used returns the load time spent so far.
func (s *CapacitySearch) Used() time.Duration { return s.used }

// Result returns the capacity found: the highest rate that met every SLO,
// the SLO that broke first above it, and the measured curve sorted by rate.
func (s *CapacitySearch) Result() baseline.Capacity {
	steps := append([]baseline.CapacityStep(nil), s.steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Rate < steps[j].Rate })
	c := baseline.Capacity{RPS: s.lo, BrokenBy: s.broken, Steps: steps, Converged: s.Done()}
	if s.hi == 0 && s.lo >= s.To {
		c.BrokenBy = "" // never broke within the searched range
	}
	return c
}

// capacitySE is the standard error of a capacity on the log scale implied
// by its final bracket: the capacity lies in [lo, hi), taken as uniform on
// the log scale (width/√12). With no breached step above it, it is zero.
func capacitySE(c *baseline.Capacity) float64 {
	hi := 0.0
	for _, st := range c.Steps {
		if !st.Met && st.Rate > c.RPS && (hi == 0 || st.Rate < hi) {
			hi = st.Rate
		}
	}
	if hi == 0 || c.RPS <= 0 {
		return 0
	}
	return math.Log(hi/c.RPS) / math.Sqrt(12)
}

// StepMeets judges one capacity step: whether every SLO holds at its
// point estimate on rec, the first SLO that does not, and the values seen
// ("e2e.p95": 812.5, "error_rate": 0.002), for the latency-vs-load curve.
// Percentiles are judged at their point value even when the step holds few
// values above them; SLOs on capacity itself are skipped.
func StepMeets(rec *baseline.Record, slos []SLO) (met bool, breached string, values map[string]float64) {
	met = true
	values = map[string]float64{}
	for _, name := range []string{"e2e.p95", "error_rate"} {
		m, s := metric.SplitName(name)
		if pv, err := valueOf(rec, m, s, DefaultAlpha); err == nil && !pv.noData {
			values[name] = pv.value
		}
	}
	if grow := queueGrowth(rec); grow != "" {
		met, breached = false, grow
	}
	for _, slo := range slos {
		if slo.Metric == metric.Capacity || !hasMetric(rec, slo.Metric) {
			continue
		}
		pv, err := valueOf(rec, slo.Metric, slo.Stat, DefaultAlpha)
		if err != nil || pv.noData {
			// Nothing succeeded: the step fails if anything was sent.
			if slo.Metric != metric.ErrorRate && len(rec.Windows) > 0 {
				met = false
				if breached == "" {
					breached = slo.Name + " " + slo.Text + " (no successful requests)"
				}
			}
			continue
		}
		values[slo.Name] = pv.value
		// A short step may hold too few values for a tail percentile to be
		// estimated precisely; its point value (close to the maximum) is
		// still the right evidence here: a step that cannot show the SLO
		// holding does not count as meeting it.
		if !slo.Holds(pv.value) && met && breached == "" {
			met = false
			breached = slo.Name + " " + slo.Text
		}
	}
	return met, breached, values
}

// Queue-growth thresholds of a capacity step: above the saturation rate the
// waiting queue, and with it the time to first token (or the latency),
// grows through the step. A step whose last window's median exceeds its
// first window's by both QueueGrowthRatio and QueueGrowthMin is over
// capacity even if its SLOs still hold: a short step has not yet let the
// queue reach them, and a longer one would.
const (
	QueueGrowthRatio = 1.5
	QueueGrowthMin   = 50.0 // ms
)

// queueGrowth returns a description of the queue growth in rec, or "".
func queueGrowth(rec *baseline.Record) string {
	name := "ttft"
	m, ok := rec.Metrics[name]
	if !ok {
		name = "e2e"
		m, ok = rec.Metrics[name]
	}
	if !ok || len(m.Windows) < 2 {
		return ""
	}
	first, ok1 := m.Windows[0].Stats["p50"]
	last, ok2 := m.Windows[len(m.Windows)-1].Stats["p50"]
	if !ok1 || !ok2 || !(first > 0) {
		return ""
	}
	if last > QueueGrowthRatio*first && last-first > QueueGrowthMin {
		return fmt.Sprintf("queue growing: %s.p50 %s → %s in one step (> ×%.1f and +%s)",
			name, metric.Format(first, metric.Ms), metric.Format(last, metric.Ms), QueueGrowthRatio, metric.Format(QueueGrowthMin, metric.Ms))
	}
	return ""
}
