package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The Go types below mirror #Policy in schema.cue field for field (json tags
// are the schema's field names); TestTypesMatchSchema keeps them in step.
// Parse fills every defaulted field, so code that uses a Policy never
// applies defaults of its own.

// Policy is a parsed and validated perfgate policy.
type Policy struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels"`
	Seed        int64             `json:"seed"`
	Target      Target            `json:"target"`
	Workload    Workload          `json:"workload"`
	// Scenarios are in the order the policy wrote them.
	Scenarios  Scenarios   `json:"scenarios"`
	SLOs       SLOs        `json:"slos"`
	Optional   []string    `json:"optional"`
	Goodput    *Goodput    `json:"goodput,omitempty"`
	Regression Regression  `json:"regression"`
	Cost       *Cost       `json:"cost,omitempty"`
	Report     ReportPrefs `json:"report"`
	FailFast   FailFast    `json:"fail_fast"`

	// File is the name the policy was parsed from; it is not part of the schema.
	File string `json:"-"`
	// envRefs holds where each header of target.headers names its
	// environment variable, keyed by header name (for EnvRule.Check).
	envRefs map[string]*Error
	// hookEnvRefs are the environment variables fault hooks and the
	// Prometheus token read, with where (faults.go).
	hookEnvRefs []hookEnvRef
}

// API kinds of a target.
const (
	APIOpenAIChat        = "openai-chat"
	APIOpenAICompletions = "openai-completions"
	APIHTTP              = "http"
	// APIOpenAIEmbeddings is the API of a journey step only.
	APIOpenAIEmbeddings = "openai-embeddings"
)

// Target is the service under test.
type Target struct {
	URL         string              `json:"url"`
	API         string              `json:"api"`
	Model       string              `json:"model,omitempty"`
	Stream      bool                `json:"stream,omitempty"`
	Headers     map[string]EnvValue `json:"headers"`
	Timeout     Duration            `json:"timeout"`
	Ready       Ready               `json:"ready"`
	Metrics     *Scrape             `json:"metrics,omitempty"`
	BaselineURL string              `json:"baseline_url,omitempty"`
	Prometheus  *Prometheus         `json:"prometheus,omitempty"`
}

// OpenAI reports whether the target speaks one of the OpenAI APIs.
func (t Target) OpenAI() bool { return t.API != APIHTTP }

// Streaming reports whether responses arrive as a token stream, which TTFT,
// TPOT and ITL need.
func (t Target) Streaming() bool { return t.OpenAI() && t.Stream }

// EnvValue is a value read from an environment variable when a run starts.
type EnvValue struct {
	Env    string `json:"env"`
	Prefix string `json:"prefix"`
}

// Ready is the readiness probe.
type Ready struct {
	Path     string   `json:"path"`
	Status   int      `json:"status"`
	Timeout  Duration `json:"timeout"`
	Interval Duration `json:"interval"`
}

// Scrape is the Prometheus endpoint scraped during a run.
type Scrape struct {
	URL      string            `json:"url"`
	Interval Duration          `json:"interval"`
	Series   map[string]Series `json:"series"`
}

// Series is one scraped Prometheus series.
type Series struct {
	Metrics []string `json:"metrics"`
	Unit    string   `json:"unit"`
}

// Workload says what each request sends.
type Workload struct {
	// Prompts is set for the OpenAI APIs unless a dataset is given.
	Prompts   *Prompts       `json:"prompts,omitempty"`
	Dataset   *Dataset       `json:"dataset,omitempty"`
	ExtraBody map[string]any `json:"extra_body,omitempty"`
	Requests  []Request      `json:"requests,omitempty"`
	// Journeys are the multi-step journeys, by name.
	Journeys map[string]Journey `json:"journeys,omitempty"`
}

// Journey is a named sequence of requests sent for one arrival.
type Journey struct {
	Weight float64 `json:"weight"`
	Steps  []Step  `json:"steps"`
}

// Step is one request of a journey.
type Step struct {
	Name      string            `json:"name"`
	API       string            `json:"api,omitempty"`
	Model     string            `json:"model,omitempty"`
	Stream    bool              `json:"stream"`
	Input     string            `json:"input,omitempty"`
	MaxTokens int               `json:"max_tokens,omitempty"`
	Method    string            `json:"method"`
	Path      string            `json:"path,omitempty"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body,omitempty"`
	Checks    Checks            `json:"checks"`
	Extract   map[string]string `json:"extract"`
	Optional  bool              `json:"optional"`
}

// StepAPI returns the API of step s of a journey: its own, or the target's.
func (p *Policy) StepAPI(s *Step) string {
	if s.API != "" {
		return s.API
	}
	return p.Target.API
}

// StepStreams reports whether step s streams its answer (TTFT, TPOT, ITL).
func (p *Policy) StepStreams(s *Step) bool {
	api := p.StepAPI(s)
	return (api == APIOpenAIChat || api == APIOpenAICompletions) && s.Stream
}

// Prompts describes synthetic prompts.
type Prompts struct {
	InputTokens  Length `json:"input_tokens"`
	OutputTokens Length `json:"output_tokens"`
	IgnoreEOS    bool   `json:"ignore_eos"`
}

// Dataset is a JSONL file of requests or template fields.
type Dataset struct {
	Path    string `json:"path"`
	Format  string `json:"format"`
	Shuffle bool   `json:"shuffle"`
}

// Request is one request template of an http workload.
type Request struct {
	Name     string            `json:"name,omitempty"`
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Headers  map[string]string `json:"headers"`
	Body     json.RawMessage   `json:"body,omitempty"`
	BodyFile string            `json:"body_file,omitempty"`
	Weight   float64           `json:"weight"`
	Checks   Checks            `json:"checks"`
}

// Checks say what a successful response looks like.
type Checks struct {
	Status []int       `json:"status"`
	JSON   []JSONCheck `json:"json"`
}

// JSONCheck is one condition on the JSON response body.
type JSONCheck struct {
	Path    string `json:"path"`
	Exists  *bool  `json:"exists,omitempty"`
	Equals  any    `json:"equals,omitempty"`
	Matches string `json:"matches,omitempty"`
}

// Scenario kinds.
const (
	KindSteady   = "steady"
	KindCapacity = "capacity"
	KindSpike    = "spike"
	KindSoak     = "soak"
)

// Arrival processes of open-loop scenarios.
const (
	ArrivalConstant = "constant"
	ArrivalPoisson  = "poisson"
)

// Scenario is one load test. Which fields are set depends on Kind.
type Scenario struct {
	// Name is the scenario's key in the policy; it is not a schema field.
	Name   string   `json:"-"`
	Kind   string   `json:"kind"`
	Warmup Duration `json:"warmup"`
	Window Duration `json:"window"`
	// MaxInFlight is max_in_flight, 0 when the policy leaves it unset
	// (then Policy.InFlightCap computes it).
	MaxInFlight int `json:"max_in_flight,omitempty"`
	// Arrival is set for every kind.
	Arrival string `json:"arrival"`
	// Rate is requests per second (steady unless Concurrency is set, spike, soak).
	Rate float64 `json:"rate,omitempty"`
	// Concurrency is the closed-loop alternative to Rate (steady only).
	Concurrency int `json:"concurrency,omitempty"`
	// Duration is the measured time after the warm-up (steady, spike, soak).
	Duration Duration `json:"duration,omitempty"`
	// Capacity search.
	Search *Search  `json:"search,omitempty"`
	Budget Duration `json:"budget,omitempty"`
	Step   Duration `json:"step,omitempty"`
	// Spike.
	Factor float64  `json:"factor,omitempty"`
	At     Duration `json:"at,omitempty"`
	Hold   Duration `json:"hold,omitempty"`
	// Faults are injected during the run (faults.go).
	Faults []Fault `json:"faults,omitempty"`
}

// Search is the rate range of a capacity scenario.
type Search struct {
	From      float64 `json:"from"`
	To        float64 `json:"to"`
	Precision Percent `json:"precision"`
}

// Scenarios keeps the policy's scenarios in the order written.
type Scenarios []Scenario

func (s *Scenarios) UnmarshalJSON(b []byte) error {
	*s = nil
	return decodeOrdered(b, func(key string, raw json.RawMessage) error {
		sc := Scenario{Name: key}
		if err := json.Unmarshal(raw, &sc); err != nil {
			return err
		}
		*s = append(*s, sc)
		return nil
	})
}

func (s Scenarios) MarshalJSON() ([]byte, error) {
	return encodeOrdered(len(s), func(i int) (string, any) { return s[i].Name, s[i] })
}

// Lookup returns the scenario with the given name.
func (s Scenarios) Lookup(name string) (*Scenario, bool) {
	for i := range s {
		if s[i].Name == name {
			return &s[i], true
		}
	}
	return nil, false
}

// SLO is one absolute limit on a metric.
type SLO struct {
	Ref   MetricRef
	Limit Limit
	// Unit is the unit of Limit.Value and of the metric (Unit*).
	Unit string
	// key is the SLO's key as written, for messages about a key that
	// Ref could not parse.
	key string
}

// SLOs keeps the policy's SLOs in the order written.
type SLOs []SLO

func (s *SLOs) UnmarshalJSON(b []byte) error {
	*s = nil
	return decodeOrdered(b, func(key string, raw json.RawMessage) error {
		slo := SLO{key: key}
		if err := json.Unmarshal(raw, &slo.Limit); err != nil {
			return err
		}
		// The schema has checked the key's form; the policy decides whether
		// a server series exists, so a parse error here is left to check.
		slo.Ref, _ = ParseMetricRef(key)
		*s = append(*s, slo)
		return nil
	})
}

func (s SLOs) MarshalJSON() ([]byte, error) {
	return encodeOrdered(len(s), func(i int) (string, any) { return s[i].Ref.String(), s[i].Limit })
}

// Goodput holds the per-request limits of a good request.
type Goodput struct {
	TTFT *Duration `json:"ttft,omitempty"`
	TPOT *Duration `json:"tpot,omitempty"`
	E2E  *Duration `json:"e2e,omitempty"`
}

// Regression says how a run is compared with its baseline.
type Regression struct {
	Gate       []string `json:"gate"`
	Negligible Percent  `json:"negligible"`
	Material   Percent  `json:"material"`
	Confidence Percent  `json:"confidence"`
	History    int      `json:"history"`
	// Inconclusive is "warn" or "pass": how an inconclusive check is reported.
	Inconclusive string `json:"inconclusive"`
	// PriorTau is the between-deployment spread assumed before
	// calibration; 0 means the gate's default (gate.PriorTauFor).
	PriorTau Percent `json:"prior_tau,omitempty"`
	// Extend is how much longer a steady or soak scenario may run when a
	// gating check is undecided at its planned end (the second look); 0
	// means one look.
	Extend Duration `json:"extend,omitempty"`
}

// GateRefs returns the gating metrics parsed.
func (r Regression) GateRefs() []MetricRef {
	out := make([]MetricRef, 0, len(r.Gate))
	for _, g := range r.Gate {
		if ref, err := ParseMetricRef(g); err == nil {
			out = append(out, ref)
		}
	}
	return out
}

// Cost is the input of capacity planning.
type Cost struct {
	InstanceHourUSD float64 `json:"instance_hour_usd"`
	PeakRPS         float64 `json:"peak_rps"`
	Headroom        Percent `json:"headroom"`
}

// FailFast stops a scenario whose first requests nearly all fail.
type FailFast struct {
	Enabled   bool     `json:"enabled"`
	ErrorRate Percent  `json:"error_rate"`
	Requests  int      `json:"requests"`
	Within    Duration `json:"within"`
}

// ReportPrefs are the report options.
type ReportPrefs struct {
	Title   string `json:"title,omitempty"`
	Chart   bool   `json:"chart"`
	Details bool   `json:"details"`
}

// EnvVars returns the environment variables the policy reads, in a stable order.
func (p *Policy) EnvVars() []string {
	var out []string
	for _, name := range sortedKeys(p.Target.Headers) {
		out = append(out, p.Target.Headers[name].Env)
	}
	return append(out, p.hookEnvVars()...)
}

// decodeOrdered calls fn for each member of the JSON object b, in order.
func decodeOrdered(b []byte, fn func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("expected an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := fn(key, raw); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

func encodeOrdered(n int, at func(i int) (string, any)) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i < n; i++ {
		k, v := at(i)
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
