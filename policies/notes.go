package policies

import (
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/gate/metric"
)

// Notes returns advice about a valid policy that would not make it invalid:
// settings that are allowed but will not measure what they seem to ("perfgate
// validate" and "perfgate plan" print them).
//
// Percentiles with too few forecast samples are warnings of their own
// (SampleWarnings).
//
// A gate on a schedule-bound throughput (requests_per_s,
// output_tokens_per_s) with an open-loop scenario: in an open-loop
// scenario below saturation it is the offered load, so the check is
// informational unless a run falls behind its schedule.
func (p *Policy) Notes() []string {
	var notes []string
	var open []string
	for _, s := range p.Scenarios {
		if s.Kind != KindCapacity && s.Concurrency == 0 {
			open = append(open, fmt.Sprintf("%q", s.Name))
		}
	}
	if len(open) == 0 {
		return notes
	}
	for _, g := range p.Regression.Gate {
		m, _ := metric.SplitName(g)
		if !metric.ScheduleBound(m) {
			continue
		}
		notes = append(notes, fmt.Sprintf("regression.gate: %s in the open-loop scenario(s) %s is the offered load while the target keeps up, whatever the server does: it is judged only when a run falls behind its schedule (requests fail or are held back), and reported as informational otherwise. To gate throughput, gate \"capacity\" (with a capacity scenario) or \"goodput\", or add a closed-loop scenario (concurrency: N)",
			g, strings.Join(open, ", ")))
	}
	return notes
}
