package policies

import (
	"encoding/json"
	"fmt"

	"cuelang.org/go/cue/token"
)

// Fault is one fault phase of a scenario: Start runs At after the warm-up,
// Stop For later (and always, once Start ran). Toxiproxy replaces the two
// hooks with a toxic added and removed through the Toxiproxy API.
type Fault struct {
	Name      string   `json:"name"`
	At        Duration `json:"at"`
	For       Duration `json:"for"`
	Start     *Hook    `json:"start,omitempty"`
	Stop      *Hook    `json:"stop,omitempty"`
	Toxiproxy *Toxic   `json:"toxiproxy,omitempty"`
	// Tolerance is how close to its level before the fault the window p95
	// latency must come back (relative) for the service to count as
	// recovered; the error rate must come back within 1 percentage point
	// (gate.RecoveryErrorTolerance).
	Tolerance Percent `json:"tolerance"`
}

// Hook is an HTTP request or a command run to start or stop a fault.
type Hook struct {
	HTTP    *HookHTTP `json:"http,omitempty"`
	Command []string  `json:"command,omitempty"`
	Timeout Duration  `json:"timeout"`
}

// HookHTTP is the HTTP request of a hook; header values come from the
// environment.
type HookHTTP struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Body    string              `json:"body,omitempty"`
	Headers map[string]EnvValue `json:"headers"`
}

// Toxic is a Toxiproxy toxic added to Proxy for the length of a fault.
type Toxic struct {
	URL      string    `json:"url"`
	Proxy    string    `json:"proxy"`
	Type     string    `json:"type"`
	Stream   string    `json:"stream"`
	Toxicity float64   `json:"toxicity"`
	Latency  *Duration `json:"latency,omitempty"`
	Jitter   *Duration `json:"jitter,omitempty"`
	Timeout  *Duration `json:"timeout,omitempty"`
	Rate     *int      `json:"rate,omitempty"`
}

// Prometheus is a Prometheus server queried over each scenario's time
// range; each query becomes the server series of its name.
type Prometheus struct {
	URL        string               `json:"url"`
	Queries    map[string]PromQuery `json:"queries"`
	Token      *EnvValue            `json:"token,omitempty"`
	Timeout    Duration             `json:"timeout"`
	Resolution Duration             `json:"resolution"`
	Delay      Duration             `json:"delay"`
}

// PromQuery is one PromQL query and the unit of its values; a query
// written as a bare string has unit count.
type PromQuery struct {
	Query string `json:"query"`
	Unit  string `json:"unit"`
}

func (q *PromQuery) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*q = PromQuery{Query: s, Unit: UnitCount}
		return nil
	}
	type plain PromQuery
	if err := json.Unmarshal(b, (*plain)(q)); err != nil {
		return err
	}
	if q.Unit == "" {
		q.Unit = UnitCount
	}
	return nil
}

// HasPhases reports whether the scenario's windows fall before, during and
// after something: its faults, or a spike.
func (s *Scenario) HasPhases() bool { return len(s.Faults) > 0 || s.Kind == KindSpike }

// checkFaults checks the fault phases of scenario s.
func (c *checker) checkFaults(s *Scenario) {
	if len(s.Faults) == 0 {
		return
	}
	path := func(i int, f ...string) []string {
		return append([]string{"scenarios", s.Name, "faults", fmt.Sprint(i)}, f...)
	}
	if s.Kind == KindCapacity {
		c.add([]string{"scenarios", s.Name, "faults"}, token.NoPos, "a capacity scenario changes its rate step by step and has no phases; put faults in a steady, spike or soak scenario")
		return
	}
	seen := map[string]bool{}
	for i, f := range s.Faults {
		if seen[f.Name] {
			c.add(path(i, "name"), token.NoPos, "fault %q is named twice in this scenario", f.Name)
		}
		seen[f.Name] = true
		if f.For <= 0 {
			c.add(path(i, "for"), token.NoPos, "expected a duration longer than 0, found %v", f.For)
		}
		if s.Duration > 0 && f.At+f.For > s.Duration {
			c.add(path(i, "for"), token.NoPos, "the fault (at %v for %v) ends after the duration (%v); leave windows after it to time the recovery", f.At, f.For, s.Duration)
		}
		hooks := f.Start != nil || f.Stop != nil
		switch {
		case f.Toxiproxy != nil && hooks:
			c.add(path(i), token.NoPos, "give toxiproxy or start and stop hooks, not both")
		case f.Toxiproxy == nil && f.Start == nil:
			c.add(path(i), token.NoPos, "a fault needs a start hook (and usually a stop hook) or a toxiproxy toxic; expected start: {http: {url: \"...\"}} or toxiproxy: {proxy: \"db\", type: \"latency\", latency: \"500ms\"}")
		}
		for _, h := range []struct {
			name string
			hook *Hook
		}{{"start", f.Start}, {"stop", f.Stop}} {
			if h.hook == nil {
				continue
			}
			switch {
			case h.hook.HTTP != nil && len(h.hook.Command) > 0:
				c.add(path(i, h.name), token.NoPos, "a hook is an http request or a command, not both")
			case h.hook.HTTP == nil && len(h.hook.Command) == 0:
				c.add(path(i, h.name), token.NoPos, "a hook needs http: {url: \"...\"} or command: [\"program\", \"arg\"]")
			}
			if h.hook.Timeout <= 0 {
				c.add(path(i, h.name, "timeout"), token.NoPos, "expected a duration longer than 0, found %v", h.hook.Timeout)
			}
		}
		if t := f.Toxiproxy; t != nil {
			tp := func(k string) []string { return path(i, "toxiproxy", k) }
			switch t.Type {
			case "latency":
				if t.Latency == nil {
					c.add(tp("latency"), token.NoPos, "a latency toxic needs latency, such as \"500ms\"")
				}
			case "timeout":
				if t.Timeout == nil {
					c.add(tp("timeout"), token.NoPos, "a timeout toxic needs timeout, such as \"0s\" (hold connections open) or \"2s\"")
				}
			case "bandwidth":
				if t.Rate == nil {
					c.add(tp("rate"), token.NoPos, "a bandwidth toxic needs rate in KB/s, such as 10")
				}
			}
		}
	}
}

// checkPrometheus checks target.prometheus: its series must not shadow
// those of target.metrics.
func (c *checker) checkPrometheus(p *Policy) {
	pr := p.Target.Prometheus
	if pr == nil {
		return
	}
	for _, name := range sortedKeys(pr.Queries) {
		if p.Target.Metrics != nil {
			if _, dup := p.Target.Metrics.Series[name]; dup {
				c.add([]string{"target", "prometheus", "queries", name}, token.NoPos, "series %q is also scraped by target.metrics (by default or in its series); give the query another name", name)
			}
		}
	}
	if pr.Timeout <= 0 || pr.Resolution <= 0 {
		c.add([]string{"target", "prometheus"}, token.NoPos, "timeout and resolution must be longer than 0")
	}
}

// hookEnvRef is an environment variable a fault hook or the Prometheus
// token reads, and where the policy names it.
type hookEnvRef struct {
	name string
	at   *Error
}

// hookEnvRefs returns the environment variables of the fault hooks'
// headers and of target.prometheus.token, in policy order.
func (c *checker) hookEnvRefs(p *Policy) []hookEnvRef {
	var out []hookEnvRef
	add := func(name string, path []string) {
		line, col := posLineCol(c.posOf(path))
		out = append(out, hookEnvRef{name, &Error{Pos: Position{Filename: c.filename, Line: line, Col: col}, Path: c.formatPath(path)}})
	}
	for _, sc := range p.Scenarios {
		for i, f := range sc.Faults {
			for _, h := range []struct {
				key  string
				hook *Hook
			}{{"start", f.Start}, {"stop", f.Stop}} {
				if h.hook == nil || h.hook.HTTP == nil {
					continue
				}
				for _, name := range sortedKeys(h.hook.HTTP.Headers) {
					add(h.hook.HTTP.Headers[name].Env, []string{"scenarios", sc.Name, "faults", fmt.Sprint(i), h.key, "http", "headers", name, "env"})
				}
			}
		}
	}
	if pr := p.Target.Prometheus; pr != nil && pr.Token != nil {
		add(pr.Token.Env, []string{"target", "prometheus", "token", "env"})
	}
	return out
}

// hookEnvVars returns the environment variables the policy's fault hooks
// and Prometheus token read.
func (p *Policy) hookEnvVars() []string {
	var out []string
	for _, r := range p.hookEnvRefs {
		out = append(out, r.name)
	}
	return out
}

// query returns the Prometheus query of series name; p may be nil.
func (p *Prometheus) query(name string) (PromQuery, bool) {
	if p == nil {
		return PromQuery{}, false
	}
	q, ok := p.Queries[name]
	return q, ok
}

// series returns the scraped series name; s may be nil.
func (s *Scrape) series(name string) (Series, bool) {
	if s == nil {
		return Series{}, false
	}
	v, ok := s.Series[name]
	return v, ok
}

func anyScenario(p *Policy, f func(*Scenario) bool) bool {
	for i := range p.Scenarios {
		if f(&p.Scenarios[i]) {
			return true
		}
	}
	return false
}
