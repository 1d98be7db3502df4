package load

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// StepCounts counts the requests of one step, or the arrivals of one
// journey, in a window. A step not sent (an earlier step failed) is not
// counted; a failure is counted once, under its step and class, and once
// under its journey.
type StepCounts struct {
	Sent, Succeeded, Failed, Cancelled int64
	Errors                             map[string]int64 // by error class
}

func (w *Window) stepCounts(key string) *StepCounts {
	if w.Steps == nil {
		w.Steps = map[string]*StepCounts{}
	}
	c := w.Steps[key]
	if c == nil {
		c = &StepCounts{Errors: map[string]int64{}}
		w.Steps[key] = c
	}
	return c
}

func (c *StepCounts) count(class string) {
	c.Sent++
	switch class {
	case "":
		c.Succeeded++
	case ClassCancelled:
		c.Cancelled++
	default:
		c.Failed++
		c.Errors[class]++
	}
}

// addJourney records the steps of a journey and the journey itself in w,
// the window of the journey's intended start: per step, e2e from its
// intended start (the end of the step before), service from its send,
// TTFT, TPOT and ITL when it streamed; per journey, e2e and TTFT (to the
// first token of its answer step) from the journey's intended start.
func (r *Recorder) addJourney(w *Window, s *Sample) {
	for i := range s.Steps {
		st := &s.Steps[i]
		w.stepCounts(metric.StepScope + st.Name).count(st.Class)
		if st.Class != "" {
			continue
		}
		name := func(m string) string { return metric.StepMetric(st.Name, m) }
		w.recordDuration(name(metric.E2E), st.Done-st.Intended)
		w.recordDuration(name(metric.Service), st.Done-st.Sent)
		if st.First >= 0 {
			w.recordDuration(name(metric.TTFT), st.First-st.Intended)
			for _, g := range st.ITL {
				w.recordDuration(name(metric.ITL), g)
			}
			if st.Tokens > 1 {
				w.recordDuration(name(metric.TPOT), (st.Done-st.First)/time.Duration(st.Tokens-1))
			}
		}
	}
	w.stepCounts(metric.JourneyScope + s.Journey).count(s.Class)
	if s.Class != "" {
		return
	}
	w.recordDuration(metric.JourneyMetric(s.Journey, metric.E2E), s.Done-s.Intended)
	if s.First >= 0 {
		w.recordDuration(metric.JourneyMetric(s.Journey, metric.TTFT), s.First-s.Intended)
	}
}

func mergeSteps(dst, src *Window) {
	for k, c := range src.Steps {
		d := dst.stepCounts(k)
		d.Sent += c.Sent
		d.Succeeded += c.Succeeded
		d.Failed += c.Failed
		d.Cancelled += c.Cancelled
		for class, n := range c.Errors {
			d.Errors[class] += n
		}
	}
}

// stepRecordCounts copies the step counts of w for its record.
func stepRecordCounts(w *Window) map[string]baseline.StepCounts {
	if len(w.Steps) == 0 {
		return nil
	}
	out := make(map[string]baseline.StepCounts, len(w.Steps))
	for k, c := range w.Steps {
		sc := baseline.StepCounts{Sent: c.Sent, Succeeded: c.Succeeded, Failed: c.Failed}
		if len(c.Errors) > 0 {
			sc.Errors = maps.Clone(c.Errors)
		}
		out[k] = sc
	}
	return out
}

// stepRateMetrics adds the error rate of every step and journey
// ("step.NAME.error_rate"): failed over completed, per window.
func stepRateMetrics(rec *baseline.Record, windows []*Window) {
	keys := map[string]bool{}
	for _, w := range windows {
		for k := range w.Steps {
			keys[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		rec.Metrics[k+"."+metric.ErrorRate] = rateMetric(windows, metric.Ratio, func(w *Window) (float64, int64) {
			c := w.Steps[k]
			if c == nil || c.Succeeded+c.Failed == 0 {
				return math.NaN(), 0
			}
			return float64(c.Failed) / float64(c.Succeeded+c.Failed), c.Succeeded + c.Failed
		})
	}
}
