package runner

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/policies"
)

// ConfigError is a problem of the policy or its environment found while
// planning a run (a missing environment variable, an unreadable dataset):
// the CLI maps it to exit code 2.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Target maps the policy's target onto the load engine's, with url as the
// base URL and header values read from the environment. Header values are
// secrets: errors name the variable, never its value.
func Target(p *policies.Policy, url string, getenv func(string) string) (load.Target, error) {
	t := p.Target
	lt := load.Target{
		URL:        url,
		API:        t.API,
		Model:      t.Model,
		Stream:     t.Streaming(),
		FreeLength: p.Workload.Prompts != nil && !p.Workload.Prompts.IgnoreEOS,
		Timeout:    t.Timeout.Std(),
		Headers:    http.Header{},
	}
	for name, v := range t.Headers {
		val := getenv(v.Env)
		if val == "" {
			return lt, &ConfigError{fmt.Errorf("%s: header %s reads environment variable %s, which is not set", p.File, name, v.Env)}
		}
		lt.Headers.Set(name, v.Prefix+val)
	}
	if t.Metrics != nil {
		lt.MetricsURL = t.Metrics.URL
		lt.Series = map[string][]string{}
		for name, s := range t.Metrics.Series {
			lt.Series[name] = append([]string(nil), s.Metrics...)
		}
	}
	if len(p.Workload.Journeys) > 0 {
		lt.Journeys = journeys(p)
		return lt, nil
	}
	if t.API == policies.APIHTTP {
		if len(p.Workload.Requests) == 0 {
			return lt, &ConfigError{fmt.Errorf("%s: an http target needs workload.requests", p.File)}
		}
		for i := range p.Workload.Requests {
			lt.HTTP = append(lt.HTTP, httpSpec(p, &p.Workload.Requests[i]))
		}
	}
	return lt, nil
}

// httpSpec maps one request template of the policy onto the engine's.
func httpSpec(p *policies.Policy, r *policies.Request) load.HTTPSpec {
	spec := load.HTTPSpec{Name: r.Name, Weight: r.Weight, Method: r.Method, Path: r.Path, Header: http.Header{}, Status: r.Checks.Status}
	for k, v := range r.Headers {
		spec.Header.Set(k, v)
	}
	if len(r.Body) > 0 {
		// A string body is sent as its text (a text/template); any other
		// JSON value is a JSON body whose strings may be templates.
		var s string
		if json.Unmarshal(r.Body, &s) == nil {
			spec.Body = s
		} else {
			spec.JSONBody = r.Body
		}
	}
	if r.BodyFile != "" {
		spec.BodyFile = relTo(p.File, r.BodyFile)
	}
	for _, c := range r.Checks.JSON {
		lc := load.Check{Path: c.Path}
		switch {
		case c.Matches != "":
			lc.Op, lc.Value = load.CheckMatches, c.Matches
		case c.Equals != nil:
			lc.Op, lc.Value = load.CheckEquals, jsonText(c.Equals)
		case c.Exists != nil && !*c.Exists:
			lc.Op = load.CheckAbsent
		default:
			lc.Op = load.CheckExists
		}
		spec.Checks = append(spec.Checks, lc)
	}
	return spec
}

func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// relTo resolves path relative to the directory of the policy file.
func relTo(policyFile, path string) string {
	if filepath.IsAbs(path) || policyFile == "" {
		return path
	}
	return filepath.Join(filepath.Dir(policyFile), path)
}

// Workload builds the request source of the policy: synthetic prompts or a
// JSONL dataset, seeded with the policy's seed so that every arm and every
// rerun sends the same requests.
func Workload(p *policies.Policy) (load.Workload, error) {
	w := p.Workload
	switch {
	case w.Dataset != nil:
		ds, err := load.LoadDataset(relTo(p.File, w.Dataset.Path), load.DatasetOptions{Format: w.Dataset.Format, Seed: p.Seed, Shuffle: w.Dataset.Shuffle})
		if err != nil {
			return nil, &ConfigError{err}
		}
		if p.Target.API != policies.APIHTTP && len(w.Journeys) == 0 {
			for i, r := range ds.Rows {
				if r.Text == "" {
					return nil, &ConfigError{fmt.Errorf("%s: record %d has no prompt, which api %s needs (records without one fill http request templates)", relTo(p.File, w.Dataset.Path), i+1, p.Target.API)}
				}
			}
		}
		return ds, nil
	case w.Prompts != nil:
		s := load.Synthetic{Seed: p.Seed, InputTokens: dist(w.Prompts.InputTokens), OutputTokens: dist(w.Prompts.OutputTokens)}
		if err := s.Validate(); err != nil {
			return nil, &ConfigError{fmt.Errorf("%s: workload.prompts: %w", p.File, err)}
		}
		return s, nil
	}
	// An http workload without a dataset sends its template as is.
	return load.Synthetic{Seed: p.Seed, InputTokens: load.Dist{Kind: policies.DistFixed, Mean: 1}, OutputTokens: load.Dist{Kind: policies.DistFixed, Mean: 1}}, nil
}

func dist(l policies.Length) load.Dist {
	switch l.Dist() {
	case policies.DistFixed:
		return load.Dist{Kind: policies.DistFixed, Mean: float64(l.Fixed)}
	case policies.DistUniform:
		return load.Dist{Kind: policies.DistUniform, Min: l.Min, Max: l.Max}
	}
	return load.Dist{Kind: policies.DistNormal, Mean: l.Mean, Stddev: l.Stddev, Min: l.Min, Max: l.Max}
}

// basePlan fills what every scenario's plan shares.
func basePlan(p *policies.Policy, sc *policies.Scenario, wl load.Workload) load.Plan {
	pl := load.Plan{
		Scenario:    sc.Name,
		Warmup:      sc.Warmup.Std(),
		Window:      sc.Window.Std(),
		MaxInFlight: p.InFlightCap(sc),
		Workload:    wl,
		Seed:        p.Seed,
		// A lag that is a small part of the latency does not distort it.
		LagTolerance: LagTolerance,
		FailFast:     FailFastOf(p),
	}
	if g := p.Goodput; g != nil {
		if g.TTFT != nil {
			pl.Good.TTFT = g.TTFT.Std()
		}
		if g.TPOT != nil {
			pl.Good.TPOT = g.TPOT.Std()
		}
		if g.E2E != nil {
			pl.Good.E2E = g.E2E.Std()
		}
	}
	if p.Target.Metrics != nil {
		pl.ScrapeInterval = p.Target.Metrics.Interval.Std()
	}
	return pl
}

// pacer returns the open-loop schedule of a rate over total time.
func pacer(p *policies.Policy, sc *policies.Scenario, rate float64, total time.Duration) load.Pacer {
	if sc.Arrival == policies.ArrivalPoisson {
		return load.NewPoissonPacer(rate, total, p.Seed)
	}
	return load.ConstantPacer{Rate: rate, Duration: total}
}

// SteadyPlan is the plan of a steady or soak scenario.
func SteadyPlan(p *policies.Policy, sc *policies.Scenario, wl load.Workload) load.Plan {
	pl := basePlan(p, sc, wl)
	pl.Duration = sc.Duration.Std()
	if sc.Concurrency > 0 {
		pl.Concurrency = sc.Concurrency
	} else {
		pl.Pacer = pacer(p, sc, sc.Rate, pl.Warmup+pl.Duration)
	}
	return pl
}

// SpikePlan is the plan of a spike scenario: the base rate, a jump to
// Factor× the rate at At for Hold, then the base rate again.
func SpikePlan(p *policies.Policy, sc *policies.Scenario, wl load.Workload) load.Plan {
	pl := basePlan(p, sc, wl)
	pl.Duration = sc.Duration.Std()
	at := pl.Warmup + sc.At.Std()
	hold := sc.Hold.Std()
	rest := pl.Warmup + pl.Duration - at - hold
	steps := []load.Step{{Rate: sc.Rate, Duration: at}, {Rate: sc.Rate * sc.Factor, Duration: hold}}
	if rest > 0 {
		steps = append(steps, load.Step{Rate: sc.Rate, Duration: rest})
	}
	pl.Pacer = load.StepPacer{Steps: steps}
	return pl
}

// CapacityStepPlan is the plan of one capacity-search step at rate.
func CapacityStepPlan(p *policies.Policy, sc *policies.Scenario, wl load.Workload, rate float64, step time.Duration) load.Plan {
	pl := basePlan(p, sc, wl)
	// A short warm-up lets the queue of the previous step drain out of the
	// measurement; two windows per step keep the jackknife meaningful.
	pl.Warmup = min(sc.Warmup.Std(), step/4)
	pl.Duration = step
	pl.Window = step / 2
	pl.Pacer = load.ConstantPacer{Rate: rate, Duration: pl.Warmup + step}
	return pl
}

// SLOs converts the policy's SLOs for the gate.
func SLOs(p *policies.Policy) []gate.SLO {
	out := make([]gate.SLO, 0, len(p.SLOs))
	for _, s := range p.SLOs {
		metric, stat := s.Ref.Metric, s.Ref.Stat
		if s.Ref.Server {
			metric = "server." + metric
		}
		if s.Ref.Phase != "" {
			metric = s.Ref.Phase + "." + metric // not a capacity step's criterion
		}
		if stat == "" {
			stat = "value"
		}
		out = append(out, gate.SLO{Name: s.Ref.String(), Metric: metric, Stat: stat, Op: s.Limit.Op, Limit: s.Limit.Value, Unit: s.Unit, Text: s.Limit.String()})
	}
	return out
}

// Rules converts the policy's regression rules for the gate.
func Rules(p *policies.Policy) gate.Rules {
	r := p.Regression
	return gate.Rules{
		Gate:       append([]string(nil), r.Gate...),
		Negligible: float64(r.Negligible),
		Material:   float64(r.Material),
		Alpha:      1 - float64(r.Confidence),
		History:    r.History,

		Inconclusive: r.Inconclusive,
		PriorTau:     float64(r.PriorTau),
		Optional:     append([]string(nil), p.Optional...),
	}
}
