package load

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/tidwall/gjson"

	"github.com/perfgate/perfgate/internal/errmsg"
	"github.com/perfgate/perfgate/internal/reqtmpl"
)

// Journey is a named sequence of requests sent for one arrival, such as a
// RAG query: embed the question, search a vector store, generate the
// answer. The arrival (a tick of the open-loop pacer) is the journey's
// intended start; step 1 is intended to start then, and every later step
// when the step before it ended, so a slow step delays the next and
// shows in the journey's latency (no coordinated omission across steps).
// A failed step ends the journey unless it is Optional; the journey then
// failed with the step's error class, counted once, and later steps are
// not sent.
type Journey struct {
	Name string
	// Weight is the journey's relative share of the arrivals; zero or
	// less counts as 1.
	Weight float64
	Steps  []JourneyStep
}

// JourneyStep is one request of a journey.
type JourneyStep struct {
	Name string
	// API is the step's kind: APIOpenAIChat, APIOpenAICompletions,
	// APIOpenAIEmbeddings or APIHTTP.
	API string
	// Model overrides Target.Model for an OpenAI step.
	Model string
	// Stream asks a chat or completions step for SSE streaming.
	Stream bool
	// Input is the template of an OpenAI step's text (the user message,
	// the prompt or the embeddings input), filled from the workload's
	// fields and the variables extracted so far; "" means "{{.prompt}}".
	Input string
	// MaxTokens, when > 0, is a chat or completions step's max_tokens;
	// 0 takes the workload's.
	MaxTokens int
	// HTTP is the request of an http step (its Name and Weight unused).
	HTTP HTTPSpec
	// Checks apply to the JSON response body; for a stream, to the
	// assembled answer, {"choices":[{"message":{"content":"..."}}]}
	// (chat) or {"choices":[{"text":"..."}]} (completions).
	Checks []Check
	// Extract sets variables from the response (the same JSON as Checks)
	// for the templates of later steps.
	Extract []Extract
	// Optional: a failure of this step does not end the journey; its
	// variables are then empty for the steps after it.
	Optional bool
}

// Extract takes the value at a gjson Path of a step's response into the
// variable Var: a JSON string as its text, any other value as its JSON
// (which a JSON body template "{{.var}}" inserts with its type).
type Extract struct {
	Var, Path string
}

// StepSample is what one step of a journey measured; times are from the
// start of the run, like a Sample's. Intended is the journey's intended
// start for its first step, and the end of the step before for the others.
type StepSample struct {
	Name                        string
	Intended, Sent, Done, First time.Duration
	ITL                         []time.Duration
	Tokens                      int
	Class, Msg                  string
	Status                      int
}

// journey is a prepared Journey.
type journey struct {
	name  string
	steps []journeyStep
	cum   float64
	// answer is the step whose first token is the journey's (the last
	// chat or completions step), or -1.
	answer int
}

type journeyStep struct {
	spec  *JourneyStep
	c     *client
	input *template.Template // an OpenAI step's text
	res   []*httpReq         // checks, compiled
	// needs are the variables the step's templates read, checked before
	// it is sent so that a missing one is named as such.
	needs []string
}

// embeddingsURL is openAIURL for /v1/embeddings.
func embeddingsURL(base string) string {
	switch {
	case strings.HasSuffix(base, "/v1/embeddings"):
		return base
	case strings.HasSuffix(base, "/v1"):
		return base + "/embeddings"
	}
	return base + "/v1/embeddings"
}

func embeddingsBody(model, input string) ([]byte, error) {
	return json.Marshal(struct {
		Model string `json:"model"`
		Input string `json:"input"`
	}{model, input})
}

// appendContent appends the text of a streamed chunk's first choice.
func appendContent(b, chunk []byte) []byte {
	ch := gjson.GetBytes(chunk, "choices.0")
	for _, path := range [...]string{"delta.content", "text"} {
		if v := ch.Get(path); v.Type == gjson.String {
			b = append(b, v.Str...)
		}
	}
	return b
}

// assembled is the answer of a stream in the shape of a non-streamed
// response, so that a check or extract path is the same either way.
func assembled(text []byte, chat bool) []byte {
	var v any
	if chat {
		v = map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": string(text)}}}}
	} else {
		v = map[string]any{"choices": []any{map[string]any{"text": string(text)}}}
	}
	b, _ := json.Marshal(v)
	return b
}

// prepareJourneys builds a client per step, sharing c's transport,
// secrets and limits.
func (c *client) prepareJourneys(base, query string) error {
	c.promptUsed = true
	total := 0.0
	for i := range c.t.Journeys {
		jr := &c.t.Journeys[i]
		if len(jr.Steps) == 0 {
			return fmt.Errorf("target: journey %s has no steps", jr.Name)
		}
		j := journey{name: jr.Name, answer: -1}
		w := jr.Weight
		if w <= 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			w = 1
		}
		total += w
		j.cum = total
		for k := range jr.Steps {
			st := &jr.Steps[k]
			where := fmt.Sprintf("target: journey %s, step %s", jr.Name, st.Name)
			sc := *c
			sc.journeys, sc.reqs, sc.isChat, sc.isOpenAI, sc.isEmbed = nil, nil, false, false, false
			sc.keep = len(st.Extract) > 0 || len(st.Checks) > 0
			sc.t.Journeys, sc.t.Stream = nil, st.Stream
			if st.Model != "" {
				sc.t.Model = st.Model
			}
			api := st.API
			if api == "" {
				api = c.t.API
			}
			spec := st.HTTP
			if err := sc.setAPI(api, []HTTPSpec{spec}, base, query); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if api != APIHTTP {
				// FreeLength stays the target's: a generating step asks
				// for exactly its max_tokens when the workload does.
				sc.t.Stream = st.Stream && api != APIOpenAIEmbeddings
			}
			js := journeyStep{spec: st, c: &sc}
			if api != APIHTTP {
				src := st.Input
				if src == "" {
					src = "{{.prompt}}"
				}
				t, err := reqtmpl.Parse("input", src)
				if err != nil {
					return fmt.Errorf("%s: input template: %w", where, err)
				}
				js.input = t
				if api != APIOpenAIEmbeddings {
					j.answer = k
				}
			}
			if len(st.Checks) > 0 {
				r, err := prepareHTTP(&HTTPSpec{Checks: st.Checks}, 0, base, query)
				if err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
				js.res = []*httpReq{&r}
			}
			js.needs = stepFields(&js)
			for _, x := range st.Extract {
				if msg := reqtmpl.PathError(x.Path); msg != "" {
					return fmt.Errorf("%s: extract %s: %s", where, x.Var, msg)
				}
			}
			j.steps = append(j.steps, js)
		}
		c.journeys = append(c.journeys, j)
	}
	for i := range c.journeys {
		c.journeys[i].cum /= total
	}
	c.journeys[len(c.journeys)-1].cum = 1
	return nil
}

// pickJourney returns the journey of arrival i, a fixed function of i as
// for request templates.
func (c *client) pickJourney(i uint64) *journey {
	return &c.journeys[pickWeighted(c.journeys, func(j journey) float64 { return j.cum }, i, 0x10a2b3)]
}

// request sends what arrival p asks for: one request, or a journey
// intended to start at due (from t0, the run's start).
func (c *client) request(ctx context.Context, p *Prompt, itl []time.Duration, t0 time.Time, due time.Duration) outcome {
	if c.journeys == nil {
		return c.do(ctx, p, itl)
	}
	return c.runJourney(ctx, p, itl, t0, due)
}

// runJourney sends the steps of p's journey in turn. The outcome is the
// journey's as a whole: sent with its first step, done with its last,
// its first token that of its answer step, its failure that of the step
// that ended it ("step NAME: ...").
func (c *client) runJourney(ctx context.Context, p *Prompt, itl []time.Duration, t0 time.Time, due time.Duration) outcome {
	j := c.pickJourney(p.Index)
	out := outcome{journey: j.name, tokens: -1, itl: itl[:0], steps: make([]StepSample, 0, len(j.steps))}
	vars, raw := p.Vars, p.Raw
	owned := false
	intended := due
	for k := range j.steps {
		js := &j.steps[k]
		sp := Prompt{Index: p.Index, Text: p.Text, MaxTokens: p.MaxTokens, InputTokens: p.InputTokens, Vars: vars, Raw: raw}
		var o outcome
		if v := missingVar(js.needs, vars); v != "" {
			now := time.Now()
			o = outcome{class: ErrCheck, msg: fmt.Sprintf("no variable %q: neither the workload nor an earlier step's extract set it", v), sent: now, done: now}
		} else if err := js.render(&sp); err != nil {
			now := time.Now()
			o = outcome{class: ErrCheck, msg: c.scrub(err.Error()), sent: now, done: now}
		} else {
			var buf []time.Duration
			if k == j.answer {
				buf = out.itl
			}
			o = js.c.do(ctx, &sp, buf)
		}
		if o.class == "" {
			if msg := js.check(o.body); msg != "" {
				o.class, o.msg = ErrCheck, c.scrub(msg)
			}
		}
		if o.class == "" && len(js.spec.Extract) > 0 {
			if !owned {
				vars, raw = cloneVars(vars, raw)
				owned = true
			}
			if msg := js.extract(o.body, vars, raw); msg != "" {
				o.class, o.msg = ErrCheck, c.scrub(msg)
			}
		}
		s := StepSample{Name: js.spec.Name, Intended: intended, Sent: o.sent.Sub(t0), Done: o.done.Sub(t0), First: -1,
			ITL: o.itl, Tokens: o.tokens, Class: o.class, Msg: o.msg, Status: o.status}
		if !o.first.IsZero() {
			s.First = o.first.Sub(t0)
		}
		out.steps = append(out.steps, s)
		if k == 0 {
			out.sent = o.sent
		}
		out.done = o.done
		intended = s.Done
		if k == j.answer {
			out.first, out.tokens, out.itl, out.counted, out.model = o.first, o.tokens, o.itl, o.counted, o.model
		}
		if o.class != "" && o.class != ClassCancelled && js.spec.Optional && len(js.spec.Extract) > 0 {
			// Later templates see the variables of a failed optional
			// step empty ({{if .x}} tells).
			if !owned {
				vars, raw = cloneVars(vars, raw)
				owned = true
			}
			for _, x := range js.spec.Extract {
				vars[x.Var] = ""
				delete(raw, x.Var)
			}
		}
		if o.class == ClassCancelled || (o.class != "" && !js.spec.Optional) {
			out.class, out.status = o.class, o.status
			out.msg = "step " + js.spec.Name + ": " + o.msg
			if o.class != ClassCancelled {
				out.first = time.Time{}
			}
			return out
		}
	}
	return out
}

// stepFields returns the variables a step's templates read, sorted.
func stepFields(js *journeyStep) []string {
	set := map[string]bool{}
	add := func(t *template.Template) {
		if t != nil {
			for _, f := range reqtmpl.Fields(t) {
				set[f] = true
			}
		}
	}
	add(js.input)
	for i := range js.c.reqs {
		r := &js.c.reqs[i]
		add(r.pathT)
		add(r.tmpl)
		if r.jbody != nil {
			r.jbody.root.fields(set)
		}
	}
	delete(set, "max_tokens") // always set for an OpenAI request
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

func missingVar(needs []string, vars map[string]string) string {
	for _, v := range needs {
		if _, ok := vars[v]; !ok {
			return v
		}
	}
	return ""
}

// render fills an OpenAI step's text from the variables.
func (js *journeyStep) render(p *Prompt) error {
	if js.input == nil {
		return nil
	}
	var b strings.Builder
	if err := js.input.Execute(&b, p.Vars); err != nil {
		return fmt.Errorf("input template, request %d: %w", p.Index, err)
	}
	p.Text = b.String()
	if js.spec.MaxTokens > 0 {
		p.MaxTokens = js.spec.MaxTokens
	}
	return nil
}

func (js *journeyStep) check(body []byte) string {
	if len(js.res) == 0 {
		return ""
	}
	if msg := js.res[0].check(body); msg != "" {
		return msg + " in the response " + responseText(body)
	}
	return ""
}

// extract sets the step's variables from body, or says which value the
// response lacked, quoting the response (truncated; secrets are removed
// by the caller).
func (js *journeyStep) extract(body []byte, vars map[string]string, raw map[string]json.RawMessage) string {
	if !gjson.ValidBytes(body) {
		return "extract: the response is not JSON: " + responseText(body)
	}
	for _, x := range js.spec.Extract {
		v := gjson.GetBytes(body, x.Path)
		if !v.Exists() {
			return fmt.Sprintf("extract %s: no value at %q in the response %s", x.Var, x.Path, responseText(body))
		}
		if v.Type == gjson.String {
			vars[x.Var] = v.Str
			delete(raw, x.Var)
			continue
		}
		vars[x.Var] = v.Raw
		raw[x.Var] = json.RawMessage(v.Raw)
	}
	return ""
}

// responseText quotes an untrusted response for an error message, cut to
// 200 bytes.
func responseText(body []byte) string {
	return quoteShort(errmsg.Truncate(string(body), 400), 200)
}

func cloneVars(vars map[string]string, raw map[string]json.RawMessage) (map[string]string, map[string]json.RawMessage) {
	v := make(map[string]string, len(vars)+4)
	for k, s := range vars {
		v[k] = s
	}
	r := make(map[string]json.RawMessage, len(raw)+4)
	for k, s := range raw {
		r[k] = s
	}
	return v, r
}
