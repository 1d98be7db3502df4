package metric

import "strings"

// Journey metrics. A journey workload (several requests in a row per
// arrival, such as embed → search → generate) records, besides the
// run-wide metrics of the journey as a whole, the metrics of each step
// and of each named journey under a scope: "step.search.e2e",
// "journey.rag.ttft", "step.search.error_rate". A scoped metric has the
// unit, direction and statistics of its base metric (Lookup resolves it),
// so SLOs, gates and reports treat it like any other.
const (
	StepScope    = "step."
	JourneyScope = "journey."
)

// ScopedNames are the base metrics recorded per step and per journey.
var ScopedNames = []string{E2E, Service, TTFT, TPOT, ITL, ErrorRate}

// Scoped splits a scoped metric name such as "step.search.e2e" into its
// scope ("step" or "journey"), the step or journey name and the base
// metric; ok is false for a name without a scope.
func Scoped(name string) (scope, owner, base string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(name, StepScope):
		scope, rest = "step", name[len(StepScope):]
	case strings.HasPrefix(name, JourneyScope):
		scope, rest = "journey", name[len(JourneyScope):]
	default:
		return "", "", "", false
	}
	owner, base, ok = strings.Cut(rest, ".")
	if !ok || owner == "" || base == "" {
		return "", "", "", false
	}
	return scope, owner, base, true
}

// StepMetric returns the name of base metric m of step name: "step.NAME.m".
func StepMetric(name, m string) string { return StepScope + name + "." + m }

// JourneyMetric returns the name of base metric m of journey name.
func JourneyMetric(name, m string) string { return JourneyScope + name + "." + m }
