package policies

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue/token"

	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/reqtmpl"
)

// Metrics of a journey workload: per step, every base metric of
// metric.ScopedNames ("step.NAME.e2e.p95", "step.NAME.error_rate"); per
// journey, e2e, ttft and error_rate ("journey.NAME.ttft.p95").
var journeyMetrics = []string{metric.E2E, metric.TTFT, metric.ErrorRate}

// parseScopedRef parses "step.NAME.METRIC[.STAT]" and
// "journey.NAME.METRIC[.STAT]"; ok is false for a name of another form.
func parseScopedRef(s string) (ref MetricRef, ok bool, err error) {
	scope, owner, rest, ok := metric.Scoped(s)
	if !ok {
		if strings.HasPrefix(s, metric.StepScope) || strings.HasPrefix(s, metric.JourneyScope) {
			return MetricRef{}, true, fmt.Errorf("%q is not a step or journey metric; expected step.NAME.METRIC.STAT such as \"step.search.e2e.p95\", or journey.NAME.METRIC.STAT such as \"journey.rag.ttft.p95\"", s)
		}
		return MetricRef{}, false, nil
	}
	allowed := metric.ScopedNames
	if scope == "journey" {
		allowed = journeyMetrics
	}
	if name, _, _ := strings.Cut(rest, "."); !slices.Contains(allowed, name) {
		return MetricRef{}, true, fmt.Errorf("%q: a %s has no metric %q; expected one of %s", s, scope, name, strings.Join(allowed, ", "))
	}
	base, err := ParseMetricRef(rest)
	if err != nil {
		return MetricRef{}, true, fmt.Errorf("%q: %w", s, err)
	}
	return MetricRef{Metric: scope + "." + owner + "." + base.Metric, Stat: base.Stat}, true, nil
}

// scopedAvailable is metricAvailable for a step or journey metric: the
// step or journey exists, and streams when the metric needs it.
func (c *checker) scopedAvailable(p *Policy, ref MetricRef, path []string) (unit, better string, ok bool) {
	scope, owner, base, _ := metric.Scoped(ref.Metric)
	d, _ := metric.Lookup(base)
	better = "lower"
	if d.HigherIsBetter {
		better = "higher"
	}
	streams := false
	switch scope {
	case "step":
		s, found := p.findStep(owner)
		if !found {
			c.add(path, token.NoPos, "%s names step %q, but no journey of workload.journeys has a step of that name%s", ref, owner, didYouMean(owner, p.stepNames()))
			return "", "", false
		}
		streams = p.StepStreams(s)
	case "journey":
		j, found := p.Workload.Journeys[owner]
		if !found {
			c.add(path, token.NoPos, "%s names journey %q, but workload.journeys has no journey of that name%s", ref, owner, didYouMean(owner, sortedKeys(p.Workload.Journeys)))
			return "", "", false
		}
		for i := range j.Steps {
			streams = streams || p.StepStreams(&j.Steps[i])
		}
	}
	switch {
	case d.Needs != NeedsStreaming || streams:
	case scope == "step":
		c.add(path, token.NoPos, "%s needs a streamed answer, but step %q is not a chat or completions step with stream: true", ref, owner)
		return "", "", false
	default:
		c.add(path, token.NoPos, "%s needs a streamed answer, but journey %q has no chat or completions step with stream: true", ref, owner)
		return "", "", false
	}
	return d.Unit, better, true
}

func (p *Policy) findStep(name string) (*Step, bool) {
	for _, jn := range sortedKeys(p.Workload.Journeys) {
		j := p.Workload.Journeys[jn]
		for i := range j.Steps {
			if j.Steps[i].Name == name {
				return &j.Steps[i], true
			}
		}
	}
	return nil, false
}

func (p *Policy) stepNames() []string {
	var out []string
	for _, jn := range sortedKeys(p.Workload.Journeys) {
		for _, s := range p.Workload.Journeys[jn].Steps {
			out = append(out, s.Name)
		}
	}
	return out
}

// checkJourneys checks what the schema cannot: step names unique across
// the journeys, fields that fit each step's API, well-formed extract
// paths, and that every variable a step's templates use comes from the
// workload (prompt, max_tokens, dataset fields) or from an extract of an
// earlier step.
func (c *checker) checkJourneys(p *Policy) {
	w := &p.Workload
	if len(w.Journeys) == 0 {
		return
	}
	if len(w.Requests) > 0 {
		c.add([]string{"workload", "requests"}, token.NoPos, "give either request templates or journeys, not both; a journey's http steps carry their own requests")
	}
	fields, known := c.workloadFields(p)
	seen := map[string]string{}
	for _, jn := range sortedKeys(w.Journeys) {
		j := w.Journeys[jn]
		jp := []string{"workload", "journeys", jn}
		if len(j.Steps) == 0 {
			c.add(append(jp, "steps"), token.NoPos, "a journey needs at least one step")
		}
		vars := map[string]bool{}
		for k, v := range fields {
			vars[k] = v
		}
		for i := range j.Steps {
			s := &j.Steps[i]
			sp := append(append([]string{}, jp...), "steps", fmt.Sprint(i))
			at := func(f ...string) []string { return append(append([]string{}, sp...), f...) }
			if other, dup := seen[s.Name]; dup {
				c.add(at("name"), token.NoPos, "step %q is already a step of journey %q; step names are unique, as their metrics (step.%s.*) are", s.Name, other, s.Name)
			}
			seen[s.Name] = jn
			api := p.StepAPI(s)
			userHas := func(f string) bool { return c.lookupUser(at(f)).Exists() }
			var templates [][2]string // field, template
			if api == APIHTTP {
				if s.Path == "" {
					c.add(sp, token.NoPos, "an http step needs a path, such as path: \"/v1/search\"")
				}
				for _, f := range []string{"input", "model", "max_tokens"} {
					if userHas(f) {
						c.add(at(f), token.NoPos, "%s is for OpenAI steps; an http step sends its path and body", f)
					}
				}
				if s.Method == "GET" && len(s.Body) > 0 {
					c.add(at("method"), token.NoPos, "a GET request has no body; expected POST, PUT or PATCH with a body")
				}
				for _, t := range templatesIn(s.Path, nil) {
					templates = append(templates, [2]string{"path", t})
				}
				for _, t := range templatesIn("", s.Body) {
					templates = append(templates, [2]string{"body", t})
				}
			} else {
				if p.Target.API == APIHTTP && s.Model == "" {
					c.add(sp, token.NoPos, "an OpenAI step of an http target needs a model")
				}
				for _, f := range []string{"path", "body", "headers"} {
					if userHas(f) {
						c.add(at(f), token.NoPos, "%s is for http steps; an OpenAI step sends its input", f)
					}
				}
				in := s.Input
				if in == "" {
					in = "{{.prompt}}"
				}
				templates = append(templates, [2]string{"input", in})
			}
			for _, t := range templates {
				tm, err := reqtmpl.Parse("t", t[1])
				if err != nil {
					c.add(at(t[0]), token.NoPos, "the template %q does not parse: %v", t[1], trimTemplateErr(err))
					continue
				}
				for _, v := range reqtmpl.Fields(tm) {
					if !vars[v] && known {
						c.add(at(t[0]), token.NoPos, "step %q uses {{.%s}}, which neither the workload nor an earlier step provides; expected one of %s",
							s.Name, v, joinWords(sortedKeys(vars), "or"))
					}
				}
			}
			for _, name := range sortedKeys(s.Extract) {
				if msg := reqtmpl.PathError(s.Extract[name]); msg != "" {
					c.add(at("extract", name), token.NoPos, "%s; expected a gjson path such as \"data.0.embedding\"", msg)
				}
				vars[name] = true
			}
		}
	}
}

// workloadFields returns the variables the workload gives every journey:
// prompt and max_tokens, and the fields of a dataset's first record. known
// is false when the dataset could not be read, so its fields are unknown.
func (c *checker) workloadFields(p *Policy) (map[string]bool, bool) {
	fields := map[string]bool{"prompt": true, "max_tokens": true}
	d := p.Workload.Dataset
	if d == nil {
		return fields, true
	}
	if _, err := os.Stat(p.File); p.File == "" || err != nil {
		return fields, false // parsed from memory: no file to resolve the path against
	}
	path := d.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(p.File), path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fields, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var row map[string]json.RawMessage
		if json.Unmarshal([]byte(line), &row) != nil {
			return fields, false
		}
		for k := range row {
			fields[k] = true
		}
		return fields, true
	}
	return fields, false
}
