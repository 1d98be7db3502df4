package policies

import (
	"fmt"
	"strings"
)

// Summary says in one line what the policy will do: its name, the target
// API (and how the load splits across request templates), the scenarios,
// and how many SLOs and gating metrics it has ("perfgate validate" prints
// it).
func (p *Policy) Summary() string {
	var sc []string
	for _, s := range p.Scenarios {
		if s.Name == s.Kind {
			sc = append(sc, s.Name)
		} else {
			sc = append(sc, s.Name+" ("+s.Kind+")")
		}
	}
	target := p.Target.API + " target"
	if reqs := p.Workload.Requests; len(reqs) > 1 {
		// How the load splits across the request templates.
		total := 0.0
		for _, r := range reqs {
			total += r.Weight
		}
		var parts []string
		for i, r := range reqs {
			name := r.Name
			if name == "" {
				name = fmt.Sprintf("request %d", i+1)
			}
			parts = append(parts, fmt.Sprintf("%s %.0f%%", name, 100*r.Weight/total))
		}
		target += " (" + strings.Join(parts, ", ") + ")"
	}
	if js := p.Workload.Journeys; len(js) > 0 {
		// Each journey with its steps, in order.
		var parts []string
		for _, name := range sortedKeys(js) {
			var steps []string
			for _, st := range js[name].Steps {
				steps = append(steps, st.Name)
			}
			parts = append(parts, fmt.Sprintf("%s: %s", name, strings.Join(steps, " → ")))
		}
		target += " (journeys " + strings.Join(parts, "; ") + ")"
	}
	return fmt.Sprintf("policy %q, %s, scenarios %s, %s, %s",
		p.Name, target, strings.Join(sc, ", "), plural(len(p.SLOs), "SLO"), plural(len(p.Regression.Gate), "gating metric"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
