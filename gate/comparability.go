package gate

import (
	"fmt"

	"github.com/perfgate/perfgate/baseline"
)

// comparabilityWarnings says when stored runs were measured under other
// conditions (metric definitions, model, runner size, user labels).
func comparabilityWarnings(rec *baseline.Record, history []*baseline.Record) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	check := func(other *baseline.Record, what string) {
		if other.MetricDefs != rec.MetricDefs {
			add(fmt.Sprintf("%s: %s uses metric definitions %s, this run %s", rec.Scenario, what, other.MetricDefs, rec.MetricDefs))
		}
		if other.Env.Model != rec.Env.Model {
			add(fmt.Sprintf("%s: %s measured model %q, this run %q", rec.Scenario, what, other.Env.Model, rec.Env.Model))
		}
		if other.Env.CPUs != rec.Env.CPUs || other.Env.Arch != rec.Env.Arch {
			add(fmt.Sprintf("%s: %s ran on a %d-CPU %s runner, this run on %d-CPU %s", rec.Scenario, what, other.Env.CPUs, other.Env.Arch, rec.Env.CPUs, rec.Env.Arch))
		}
		for k, v := range rec.Env.Labels {
			if ov, ok := other.Env.Labels[k]; ok && ov != v {
				add(fmt.Sprintf("%s: %s has label %s=%q, this run %q", rec.Scenario, what, k, ov, v))
			}
		}
		if other.PolicyHash != "" && rec.PolicyHash != "" && other.PolicyHash != rec.PolicyHash {
			add(fmt.Sprintf("%s: the policy changed since %s was stored; the comparison may not be like for like", rec.Scenario, what))
		}
	}
	if rec.Reference != nil {
		return nil // both arms ran now, under one plan
	}
	for _, h := range history {
		check(h, "a stored baseline")
	}
	return out
}
