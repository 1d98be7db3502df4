package policies

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"cuelang.org/go/cue/token"

	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/reqtmpl"
)

// semantic runs the checks the schema cannot express. Each error names the
// field it concerns; positions come from the policy as written.
func (c *checker) semantic(p *Policy) {
	c.checkTarget(p)
	c.checkWorkload(p)
	c.checkJourneys(p)
	c.checkFiles(p)
	if len(p.Scenarios) == 0 {
		c.add([]string{"scenarios"}, token.NoPos, "no scenario: a policy with nothing to run judges nothing; expected at least one, such as scenarios: steady: {rate: 8}")
	}
	for i := range p.Scenarios {
		c.checkScenario(p, &p.Scenarios[i])
		c.checkFaults(&p.Scenarios[i])
	}
	c.checkPrometheus(p)
	for i := range p.SLOs {
		c.checkSLO(p, &p.SLOs[i])
	}
	c.checkRegression(p)
	c.checkOptional(p)
	if p.Cost != nil {
		if _, ok := firstOfKind(p, KindCapacity); !ok {
			c.add([]string{"cost"}, token.NoPos, "cost planning sizes replicas from the measured capacity; add a capacity scenario or remove cost")
		}
	}
	if p.Goodput != nil && p.Goodput.TTFT == nil && p.Goodput.TPOT == nil && p.Goodput.E2E == nil {
		c.add([]string{"goodput"}, token.NoPos, "goodput names no limit; expected at least one of ttft, tpot or e2e")
	}
	if p.Goodput != nil && !p.Target.Streaming() && (p.Goodput.TTFT != nil || p.Goodput.TPOT != nil) {
		c.add([]string{"goodput"}, token.NoPos, "goodput limits on ttft and tpot need a streaming OpenAI target (%s); use e2e", c.streamingHint(p))
	}
}

func (c *checker) checkTarget(p *Policy) {
	t := p.Target
	if u, err := url.Parse(t.URL); err != nil || u.Host == "" {
		c.add([]string{"target", "url"}, token.NoPos, "%q is not a valid URL; expected a URL such as \"https://preview.example.com\"", t.URL)
	}
	if t.BaselineURL != "" && strings.TrimRight(t.BaselineURL, "/") == strings.TrimRight(t.URL, "/") {
		c.add([]string{"target", "baseline_url"}, token.NoPos, "the baseline URL is the target URL itself; expected the live baseline deployment to compare with")
	}
	if t.Ready.Interval > t.Ready.Timeout {
		c.add([]string{"target", "ready", "interval"}, token.NoPos, "the readiness interval (%v) is longer than its timeout (%v)", t.Ready.Interval, t.Ready.Timeout)
	}
	if t.Timeout <= 0 {
		c.add([]string{"target", "timeout"}, token.NoPos, "expected a duration longer than 0, found %v", t.Timeout)
	}
	if t.Metrics != nil {
		for _, name := range sortedKeys(t.Metrics.Series) {
			if len(t.Metrics.Series[name].Metrics) == 0 {
				c.add([]string{"target", "metrics", "series", name, "metrics"}, token.NoPos, "expected at least one Prometheus metric name")
			}
		}
	}
}

func (c *checker) checkWorkload(p *Policy) {
	w := &p.Workload
	path := func(s ...string) []string { return append([]string{"workload"}, s...) }
	userHas := func(s ...string) bool { return c.lookupUser(path(s...)).Exists() }
	if p.Target.OpenAI() {
		if len(w.Requests) > 0 {
			c.add(path("requests"), token.NoPos, "request templates are for api \"http\"; an OpenAI target sends prompts or a dataset")
		}
		if w.Dataset != nil && userHas("prompts") {
			c.add(path("prompts"), token.NoPos, "give either prompts or a dataset, not both")
		}
	} else {
		if len(w.Requests) == 0 && len(w.Journeys) == 0 {
			c.add(path(), token.NoPos, "an http target needs at least one request template; expected workload.requests such as [{method: \"POST\", path: \"/predict\", body: {...}}]")
		}
		if userHas("prompts") {
			c.add(path("prompts"), token.NoPos, "synthetic prompts are for the OpenAI APIs; an http target sends workload.requests")
		}
		if len(w.ExtraBody) > 0 {
			c.add(path("extra_body"), token.NoPos, "extra_body is for the OpenAI APIs; put the fields in the body of workload.requests")
		}
	}
	if w.Prompts != nil {
		c.checkLength(path("prompts", "input_tokens"), w.Prompts.InputTokens)
		c.checkLength(path("prompts", "output_tokens"), w.Prompts.OutputTokens)
	}
	for i := range w.Requests {
		r := &w.Requests[i]
		rp := path("requests", fmt.Sprint(i))
		if len(r.Body) > 0 && r.BodyFile != "" {
			c.add(append(rp, "body_file"), token.NoPos, "give either body or body_file, not both")
		}
		if r.Method == "GET" && (len(r.Body) > 0 || r.BodyFile != "") {
			c.add(append(rp, "method"), token.NoPos, "a GET request has no body; expected POST, PUT or PATCH with a body")
		}
		for _, t := range templatesIn(r.Path, r.Body) {
			if _, err := reqtmpl.Parse("t", t); err != nil {
				c.add(rp, token.NoPos, "the template %q does not parse: %v", t, trimTemplateErr(err))
			} else if w.Dataset == nil {
				c.add(rp, token.NoPos, "the template %q fills fields from a dataset, but the workload has none; expected workload.dataset", t)
			}
		}
		if len(r.Checks.Status) == 0 {
			c.add(append(rp, "checks", "status"), token.NoPos, "expected at least one status that counts as success, such as [200]")
		}
		for j, jc := range r.Checks.JSON {
			jp := append(rp, "checks", "json", fmt.Sprint(j))
			n := 0
			if jc.Exists != nil {
				n++
			}
			if jc.Equals != nil || c.lookupUser(append(jp, "equals")).Exists() {
				n++
			}
			if jc.Matches != "" {
				n++
				if _, err := regexp.Compile(jc.Matches); err != nil {
					c.add(append(jp, "matches"), token.NoPos, "not a valid regular expression: %v", err)
				}
			}
			if n != 1 {
				c.add(jp, token.NoPos, "a JSON check needs exactly one of exists, equals or matches; found %d", n)
			}
		}
	}
}

// templatesIn returns the strings of a request that use {{...}}.
// templatesIn returns the templates of a request as the engine compiles
// them: the path, and a string body whole, or every string value of a JSON
// body on its own.
func templatesIn(path string, body []byte) []string {
	var out []string
	if strings.Contains(path, "{{") {
		out = append(out, path)
	}
	var v any
	if len(body) == 0 || json.Unmarshal(body, &v) != nil {
		return out
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if strings.Contains(v, "{{") {
				out = append(out, v)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(v[k])
			}
		}
	}
	walk(v)
	return out
}

func trimTemplateErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func (c *checker) checkLength(path []string, l Length) {
	switch {
	case l.Fixed > 0:
	case l.Mean > 0:
		if l.Max > 0 && l.Min > l.Max {
			c.add(path, token.NoPos, "min (%d) is above max (%d)", l.Min, l.Max)
		}
	case l.Min > 0 && l.Max > 0:
		if l.Min > l.Max {
			c.add(path, token.NoPos, "min (%d) is above max (%d)", l.Min, l.Max)
		}
		if l.Stddev > 0 {
			c.add(path, token.NoPos, "stddev needs a mean; expected {mean, stddev} for a normal distribution or {min, max} for a uniform one")
		}
	default:
		c.add(path, token.NoPos, "expected a token count such as 128, {mean: 512, stddev: 128} or {min: 64, max: 256}")
	}
}

func (c *checker) checkScenario(p *Policy, s *Scenario) {
	path := func(f ...string) []string { return append([]string{"scenarios", s.Name}, f...) }
	if s.Window <= 0 {
		c.add(path("window"), token.NoPos, "expected a window longer than 0, found %v", s.Window)
		return
	}
	measured := s.Duration
	switch s.Kind {
	case KindSteady:
		switch {
		case s.Rate == 0 && s.Concurrency == 0:
			c.add(path(), token.NoPos, "a steady scenario needs a rate (requests per second) or a concurrency; expected rate: 10 or concurrency: 8")
		case s.Rate > 0 && s.Concurrency > 0:
			c.add(path("concurrency"), token.NoPos, "give either rate (open loop) or concurrency (closed loop), not both")
		case s.Concurrency > 0 && c.lookupUser(path("arrival")).Exists():
			c.add(path("arrival"), token.NoPos, "arrival applies to a rate; a closed-loop scenario (concurrency) has no arrival process")
		}
		if s.MaxInFlight > 0 && s.Concurrency > s.MaxInFlight {
			c.add(path("concurrency"), token.NoPos, "concurrency %d is above max_in_flight %d", s.Concurrency, s.MaxInFlight)
		}
	case KindCapacity:
		measured = s.Step
		sr := s.Search
		if sr.From >= sr.To {
			c.add(path("search"), token.NoPos, "the search range is empty: from (%v) must be below to (%v)", fmtNum(sr.From), fmtNum(sr.To))
		} else if sr.To/sr.From > 10000 {
			c.add(path("search"), token.NoPos, "the search range %v to %v req/s spans more than 10,000x; narrow it so the budget can bracket the capacity", fmtNum(sr.From), fmtNum(sr.To))
		}
		if sr.Precision <= 0 || sr.Precision > 0.5 {
			c.add(path("search", "precision"), token.NoPos, "expected a precision above 0%% and at most 50%%, found %v", sr.Precision)
		}
		if s.Step > 0 && s.Budget < 3*s.Step {
			c.add(path("budget"), token.NoPos, "the budget (%v) holds fewer than 3 steps of %v; a search needs at least 3 rates", s.Budget, s.Step)
		}
		if s.Warmup >= s.Budget {
			c.add(path("warmup"), token.NoPos, "the warm-up (%v) must be shorter than the budget (%v)", s.Warmup, s.Budget)
		}
		if len(p.SLOs) == 0 {
			c.add(path(), token.NoPos, "a capacity search looks for the highest rate that meets the SLOs, but the policy has none; expected slos such as {\"e2e.p95\": \"< 1s\"}")
		}
	case KindSpike:
		if s.At+s.Hold > s.Duration {
			c.add(path("hold"), token.NoPos, "the spike (at %v for %v) ends after the duration (%v)", s.At, s.Hold, s.Duration)
		}
	}
	if measured <= 0 {
		name := "duration"
		if s.Kind == KindCapacity {
			name = "step"
		}
		c.add(path(name), token.NoPos, "expected a duration longer than 0, found %v", measured)
		return
	}
	if s.Kind != KindCapacity && s.Warmup >= s.Duration {
		c.add(path("warmup"), token.NoPos, "the warm-up (%v) must be shorter than the duration (%v)", s.Warmup, s.Duration)
	}
	if measured < 2*s.Window {
		name := "duration"
		if s.Kind == KindCapacity {
			name = "step"
		}
		c.add(path(name), token.NoPos, "%v holds fewer than 2 windows of %v; windows are the statistical unit, so expected at least %v or a shorter window",
			measured, s.Window, Duration(2*s.Window))
	}
	if s.Window < Duration(100*time.Millisecond) {
		c.add(path("window"), token.NoPos, "a window of %v is too short to hold a percentile; expected at least 100ms", s.Window)
	}
}

// checkSLO checks that the metric exists for this policy and converts the
// limit into the metric's unit.
func (c *checker) checkSLO(p *Policy, s *SLO) {
	path := []string{"slos", s.Ref.String()}
	if s.Ref.Metric == "" && s.key != "" {
		path[1] = s.key
	}
	unit, better, ok := c.metricAvailable(p, s.Ref, path)
	if !ok {
		return
	}
	s.Unit = unit
	v, err := s.Limit.inUnit(unit)
	if err != nil {
		c.add(path, token.NoPos, "the limit %q %s", s.Limit.String(), err)
		return
	}
	s.Limit.Value = v
	if better != "" && s.Limit.Upper() != (better == "lower") {
		want := "an upper bound such as \"< ...\""
		if better == "higher" {
			want = "a lower bound such as \"> ...\""
		}
		c.add(path, token.NoPos, "%s is %s-is-better, so its limit must be %s; found %q", s.Ref, better, want, s.Limit.String())
	}
}

// metricAvailable reports whether the policy can produce the metric, with
// its unit and better direction; otherwise it records why not at path.
func (c *checker) metricAvailable(p *Policy, ref MetricRef, path []string) (unit, better string, ok bool) {
	if ref.Metric == "" {
		_, err := ParseMetricRef(path[len(path)-1])
		c.add(path, token.NoPos, "%v", err)
		return "", "", false
	}
	if ref.Phase != "" && !ref.Server && perRun(ref.Metric) {
		c.add(path, token.NoPos, "%s is one value per run and has no %s phase; write %q", ref.Metric, ref.Phase, ref.Metric)
		return "", "", false
	}
	if ref.Phase != "" && !anyScenario(p, (*Scenario).HasPhases) {
		c.add(path, token.NoPos, "%s restricts a metric to the windows %s faults or a spike, but no scenario has faults or is a spike; expected faults: [{name: \"db\", at: \"20s\", for: \"15s\", ...}] in a scenario", ref, ref.Phase)
		return "", "", false
	}
	if ref.Server {
		if q, ok := p.Target.Prometheus.query(ref.Metric); ok {
			// A cluster metric may be better high (GPU utilisation) or low
			// (queue depth): an SLO may bound it either way.
			return q.Unit, "", true
		}
		if p.Target.Metrics == nil {
			c.add(path, token.NoPos, "%s is scraped from the server, but target.metrics is not set; expected target: metrics: {url: \"/metrics\"}", ref)
			return "", "", false
		}
		series, found := p.Target.Metrics.Series[ref.Metric]
		if !found {
			names := sortedKeys(p.Target.Metrics.Series)
			msg := fmt.Sprintf("no series %q in target.metrics.series", ref.Metric)
			if hint := closest(ref.Metric, names); hint != "" {
				msg += fmt.Sprintf("; did you mean %q?", hint)
			}
			c.add(path, token.NoPos, "%s; expected one of %s", msg, joinWords(names, "or"))
			return "", "", false
		}
		return series.Unit, "lower", true
	}
	if _, _, _, ok := metric.Scoped(ref.Metric); ok {
		return c.scopedAvailable(p, ref, path)
	}
	m, _ := LookupMetric(ref.Metric)
	switch m.Needs {
	case NeedsStreaming:
		if !p.Target.Streaming() {
			c.add(path, token.NoPos, "%s needs a streaming API (%s)", ref, c.streamingHint(p))
			return "", "", false
		}
	case NeedsOpenAI:
		if !p.Target.OpenAI() {
			c.add(path, token.NoPos, "%s counts generated tokens, which needs an OpenAI API; this target's api is %q", ref, p.Target.API)
			return "", "", false
		}
	case NeedsGoodput:
		if p.Goodput == nil {
			c.add(path, token.NoPos, "%s counts requests that meet the goodput limits, but the policy has none; expected goodput: {e2e: \"2s\"}", ref)
			return "", "", false
		}
	case NeedsPhases:
		if !anyScenario(p, (*Scenario).HasPhases) {
			c.add(path, token.NoPos, "%s is timed from the end of a fault or spike, but no scenario has faults or is a spike; expected faults: [{name: \"db\", at: \"20s\", for: \"15s\", ...}] in a scenario", ref)
			return "", "", false
		}
	case NeedsReplicas:
		_, spike := firstOfKind(p, KindSpike)
		_, promOK := p.Target.Prometheus.query(metric.ReplicasSeries)
		_, scrapeOK := p.Target.Metrics.series(metric.ReplicasSeries)
		if !spike || !promOK && !scrapeOK {
			c.add(path, token.NoPos, "%s needs a spike scenario and a server series named %q (target.metrics.series or target.prometheus.queries)", ref, metric.ReplicasSeries)
			return "", "", false
		}
	case NeedsCapacity:
		if _, found := firstOfKind(p, KindCapacity); !found {
			c.add(path, token.NoPos, "%s is measured by a capacity scenario, but the policy has none; expected scenarios: capacity: {search: {from: 1, to: 50}}", ref)
			return "", "", false
		}
	}
	return m.Unit, m.Better, true
}

func (c *checker) streamingHint(p *Policy) string {
	if p.Target.OpenAI() {
		return "this target sets stream: false"
	}
	return fmt.Sprintf("api openai-chat or openai-completions; this target's api is %q", p.Target.API)
}

func (c *checker) checkRegression(p *Policy) {
	r := p.Regression
	path := func(f ...string) []string { return append([]string{"regression"}, f...) }
	if r.Negligible >= r.Material {
		c.add(path("negligible"), token.NoPos, "the negligible change (%v) must be smaller than the material change (%v)", r.Negligible, r.Material)
	}
	if r.Material <= 0 {
		c.add(path("material"), token.NoPos, "expected a material change above 0%%, found %v", r.Material)
	}
	if r.Confidence < 0.5 || r.Confidence >= 1 {
		c.add(path("confidence"), token.NoPos, "expected a confidence from 50%% to below 100%%, such as \"95%%\"; found %v", r.Confidence)
	}
	seen := map[string]bool{}
	for i, g := range r.Gate {
		gp := path("gate", fmt.Sprint(i))
		if seen[g] {
			c.add(gp, token.NoPos, "%q is listed twice", g)
			continue
		}
		seen[g] = true
		ref, err := ParseMetricRef(g)
		if err != nil {
			c.add(gp, token.NoPos, "%v", err)
			continue
		}
		c.metricAvailable(p, ref, gp)
	}
}

func firstOfKind(p *Policy, kind string) (*Scenario, bool) {
	for i := range p.Scenarios {
		if p.Scenarios[i].Kind == kind {
			return &p.Scenarios[i], true
		}
	}
	return nil, false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkFiles checks that the files the policy names (the dataset, request
// bodies) exist, relative to the policy file, when the policy was read from
// a file: a missing one would otherwise only fail the run.
func (c *checker) checkFiles(p *Policy) {
	if p.File == "" {
		return
	}
	if _, err := os.Stat(p.File); err != nil {
		return // parsed from memory: nothing to resolve paths against
	}
	missing := func(path []string, name string) {
		full := name
		if !filepath.IsAbs(name) {
			full = filepath.Join(filepath.Dir(p.File), name)
		}
		if _, err := os.Stat(full); err != nil {
			c.add(path, token.NoPos, "%s: %s (paths are relative to the policy file)", full, unwrapPathError(err))
		}
	}
	if d := p.Workload.Dataset; d != nil && d.Path != "" {
		missing([]string{"workload", "dataset", "path"}, d.Path)
	}
	for i, r := range p.Workload.Requests {
		if r.BodyFile != "" {
			missing([]string{"workload", "requests", fmt.Sprint(i), "body_file"}, r.BodyFile)
		}
	}
}

// checkOptional: every optional name is an SLO or a gating metric.
func (c *checker) checkOptional(p *Policy) {
	known := map[string]bool{}
	var names []string
	for _, s := range p.SLOs {
		if n := s.Ref.String(); !known[n] {
			known[n] = true
			names = append(names, n)
		}
	}
	for _, g := range p.Regression.Gate {
		if !known[g] {
			known[g] = true
			names = append(names, g)
		}
	}
	for i, o := range p.Optional {
		if !known[o] {
			c.add([]string{"optional", fmt.Sprint(i)}, token.NoPos, "%q is neither an SLO nor a gating metric of this policy; expected one of %s", o, joinWords(names, "or"))
		}
	}
}
