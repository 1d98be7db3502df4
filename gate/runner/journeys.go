package runner

import (
	"net/http"
	"sort"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/policies"
)

// journeys maps the policy's journeys onto the engine's, in name order.
func journeys(p *policies.Policy) []load.Journey {
	names := make([]string, 0, len(p.Workload.Journeys))
	for n := range p.Workload.Journeys {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]load.Journey, 0, len(names))
	for _, n := range names {
		j := p.Workload.Journeys[n]
		lj := load.Journey{Name: n, Weight: j.Weight}
		for i := range j.Steps {
			lj.Steps = append(lj.Steps, step(p, &j.Steps[i]))
		}
		out = append(out, lj)
	}
	return out
}

func step(p *policies.Policy, s *policies.Step) load.JourneyStep {
	ls := load.JourneyStep{Name: s.Name, API: p.StepAPI(s), Model: s.Model, Stream: s.Stream, Input: s.Input, MaxTokens: s.MaxTokens, Optional: s.Optional}
	if ls.API == policies.APIHTTP {
		// The request's checks are the step's (applied by the journey).
		ls.HTTP = httpSpec(p, &policies.Request{Method: s.Method, Path: s.Path, Headers: s.Headers, Body: s.Body, Checks: policies.Checks{Status: s.Checks.Status}})
	}
	if ls.HTTP.Header == nil {
		ls.HTTP.Header = http.Header{}
	}
	ls.Checks = httpSpec(p, &policies.Request{Checks: policies.Checks{JSON: s.Checks.JSON}}).Checks
	names := make([]string, 0, len(s.Extract))
	for n := range s.Extract {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ls.Extract = append(ls.Extract, load.Extract{Var: n, Path: s.Extract[n]})
	}
	return ls
}

// journeySteps lists the steps of each journey in order, for a record.
func journeySteps(p *policies.Policy) []baseline.Journey {
	var out []baseline.Journey
	for _, j := range journeys(p) {
		bj := baseline.Journey{Name: j.Name}
		for _, s := range j.Steps {
			bj.Steps = append(bj.Steps, s.Name)
		}
		out = append(out, bj)
	}
	return out
}
