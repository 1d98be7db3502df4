package policies

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files and the README's policy reference")

func TestSchemaCompiles(t *testing.T) {
	if _, err := compileSchema(); err != nil {
		t.Fatal(err)
	}
}

func TestExamplesValidate(t *testing.T) {
	files, err := filepath.Glob("examples/*")
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		p, err := ParseFile(f)
		if err != nil {
			t.Errorf("%s:\n%v", f, err)
			continue
		}
		if p.File != f || p.Name == "" {
			t.Errorf("%s: file %q name %q", f, p.File, p.Name)
		}
	}
}

// TestExamplesCoverTheIssue pins what the two examples are there to show.
func TestExamplesCoverTheIssue(t *testing.T) {
	llm, err := ParseFile("examples/llm-chat.cue")
	if err != nil {
		t.Fatal(err)
	}
	if !llm.Target.Streaming() || llm.Cost == nil {
		t.Errorf("llm-chat: streaming %v, cost %v", llm.Target.Streaming(), llm.Cost)
	}
	if _, ok := firstOfKind(llm, KindCapacity); !ok {
		t.Error("llm-chat has no capacity scenario")
	}
	for _, m := range []string{"ttft", "tpot", "error_rate"} {
		if !hasSLO(llm, m) {
			t.Errorf("llm-chat has no %s SLO", m)
		}
	}
	img, err := ParseFile("examples/image-classifier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := img.Workload.Requests
	if img.Target.API != APIHTTP || len(r) == 0 || len(r[0].Body) == 0 || len(r[0].Checks.JSON) == 0 {
		t.Errorf("image-classifier: api %s, requests %+v", img.Target.API, r)
	}
	if !hasSLO(img, "e2e") || img.SLOs[0].Ref.Stat != "p99" {
		t.Errorf("image-classifier: want an e2e.p99 SLO first, got %+v", img.SLOs)
	}
}

func hasSLO(p *Policy, metric string) bool {
	for _, s := range p.SLOs {
		if s.Ref.Metric == metric {
			return true
		}
	}
	return false
}

const minimal = `name: "chat"
target: {url: "http://127.0.0.1:8000", api: "openai-chat", model: "m"}
scenarios: steady: rate: 5
slos: "ttft.p95": "< 2s"
`

// TestMinimalPolicyGetsSchemaDefaults checks that the defaults come from the
// schema: a few lines make a complete policy.
func TestMinimalPolicyGetsSchemaDefaults(t *testing.T) {
	p, err := Parse("min.cue", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	sc := p.Scenarios[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"seed", p.Seed, int64(1)},
		{"stream", p.Target.Stream, true},
		{"timeout", p.Target.Timeout.Std(), 60 * time.Second},
		{"ready.path", p.Target.Ready.Path, "/health"},
		{"ready.timeout", p.Target.Ready.Timeout.Std(), 2 * time.Minute},
		{"prompts.input", p.Workload.Prompts.InputTokens, Length{Fixed: 256}},
		{"prompts.output", p.Workload.Prompts.OutputTokens, Length{Fixed: 128}},
		{"kind", sc.Kind, KindSteady},
		{"warmup", sc.Warmup.Std(), 10 * time.Second},
		{"duration", sc.Duration.Std(), time.Minute},
		{"window", sc.Window.Std(), 5 * time.Second},
		{"arrival", sc.Arrival, ArrivalConstant},
		{"max_in_flight", sc.MaxInFlight, 0},
		{"in-flight cap", p.InFlightCap(&sc), MinInFlightCap},
		{"gate", p.Regression.Gate, []string{"e2e.p95", "ttft.p95", "tpot.p50", "error_rate"}},
		{"negligible", p.Regression.Negligible, Percent(0.03)},
		{"material", p.Regression.Material, Percent(0.10)},
		{"confidence", p.Regression.Confidence, Percent(0.95)},
		{"history", p.Regression.History, 10},
		{"slo value", p.SLOs[0].Limit.Value, 2000.0},
		{"slo unit", p.SLOs[0].Unit, UnitMs},
		{"report.chart", p.Report.Chart, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestDefaultsDependOnTheTarget(t *testing.T) {
	src := `name: "c"
target: {url: "http://h", api: "http"}
workload: requests: [{path: "/predict"}]
scenarios: {steady: concurrency: 4, burst: {kind: "spike", rate: 2}, long: {kind: "soak", rate: 1}}
`
	p, err := Parse("http.cue", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if p.Workload.Prompts != nil {
		t.Errorf("an http target got synthetic prompts: %+v", p.Workload.Prompts)
	}
	if want := []string{"e2e.p50", "e2e.p95", "error_rate"}; !reflect.DeepEqual(p.Regression.Gate, want) {
		t.Errorf("gate %v, want %v", p.Regression.Gate, want)
	}
	if r := p.Workload.Requests[0]; r.Method != "POST" || !reflect.DeepEqual(r.Checks.Status, []int{200}) || r.Weight != 1 {
		t.Errorf("request defaults: %+v", r)
	}
	if got := p.Scenarios[2].Duration.Std(); got != 10*time.Minute {
		t.Errorf("soak duration %v, want 10m", got)
	}
	if names := []string{p.Scenarios[0].Name, p.Scenarios[1].Name, p.Scenarios[2].Name}; !reflect.DeepEqual(names, []string{"steady", "burst", "long"}) {
		t.Errorf("scenario order %v, want the order written", names)
	}
	noStream := strings.Replace(minimal, `model: "m"`, `model: "m", stream: false`, 1)
	noStream = strings.Replace(noStream, `"ttft.p95"`, `"e2e.p95"`, 1)
	p, err = Parse("nostream.cue", []byte(noStream))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"e2e.p50", "e2e.p95", "error_rate"}; !reflect.DeepEqual(p.Regression.Gate, want) {
		t.Errorf("non-streaming gate %v, want %v", p.Regression.Gate, want)
	}
}

// TestFormatsAgree parses one policy written in CUE, YAML and JSON.
func TestFormatsAgree(t *testing.T) {
	srcs := map[string]string{
		"p.cue": `name: "chat"
target: {url: "http://h:8000", api: "openai-completions", model: "m", headers: Authorization: {env: "KEY", prefix: "Bearer "}}
workload: prompts: {input_tokens: {min: 10, max: 20}, output_tokens: {mean: 64, stddev: 8}}
scenarios: {steady: {rate: 2.5, arrival: "poisson"}, capacity: {search: {from: 1, to: 30}}}
slos: {"e2e.p99": "< 1.5s", error_rate: "< 0.5%", "output_tokens_per_s": "> 100 tok/s"}
regression: {gate: ["e2e.p95", "capacity"], negligible: "2%"}
cost: {instance_hour_usd: 1.5, peak_rps: 40}
`,
		"p.yaml": `name: chat
target:
  url: http://h:8000
  api: openai-completions
  model: m
  headers:
    Authorization: {env: KEY, prefix: "Bearer "}
workload:
  prompts:
    input_tokens: {min: 10, max: 20}
    output_tokens: {mean: 64, stddev: 8}
scenarios:
  steady: {rate: 2.5, arrival: poisson}
  capacity:
    search: {from: 1, to: 30}
slos:
  e2e.p99: "< 1.5s"
  error_rate: "< 0.5%"
  output_tokens_per_s: "> 100 tok/s"
regression:
  gate: [e2e.p95, capacity]
  negligible: 2%
cost: {instance_hour_usd: 1.5, peak_rps: 40}
`,
		"p.json": `{"name": "chat",
 "target": {"url": "http://h:8000", "api": "openai-completions", "model": "m",
            "headers": {"Authorization": {"env": "KEY", "prefix": "Bearer "}}},
 "workload": {"prompts": {"input_tokens": {"min": 10, "max": 20}, "output_tokens": {"mean": 64, "stddev": 8}}},
 "scenarios": {"steady": {"rate": 2.5, "arrival": "poisson"}, "capacity": {"search": {"from": 1, "to": 30}}},
 "slos": {"e2e.p99": "< 1.5s", "error_rate": "< 0.5%", "output_tokens_per_s": "> 100 tok/s"},
 "regression": {"gate": ["e2e.p95", "capacity"], "negligible": "2%"},
 "cost": {"instance_hour_usd": 1.5, "peak_rps": 40}}
`,
	}
	var first *Policy
	for _, name := range []string{"p.cue", "p.yaml", "p.json"} {
		p, err := Parse(name, []byte(srcs[name]))
		if err != nil {
			t.Fatalf("%s:\n%v", name, err)
		}
		p.File, p.envRefs = "", nil // where the file says things differs by format
		if first == nil {
			first = p
			continue
		}
		if !reflect.DeepEqual(p, first) {
			a, _ := json.MarshalIndent(first, "", " ")
			b, _ := json.MarshalIndent(p, "", " ")
			t.Errorf("%s differs from p.cue:\n%s\nvs\n%s", name, b, a)
		}
	}
	if got := first.SLOs[1].Limit.Value; got != 0.005 {
		t.Errorf("error_rate limit %v, want 0.005", got)
	}
	if d := first.Workload.Prompts.InputTokens.Dist(); d != DistUniform {
		t.Errorf("input_tokens dist %s, want uniform", d)
	}
	if d := first.Workload.Prompts.OutputTokens.Dist(); d != DistNormal {
		t.Errorf("output_tokens dist %s, want normal", d)
	}
	if got := first.EnvVars(); !reflect.DeepEqual(got, []string{"KEY"}) {
		t.Errorf("EnvVars %v", got)
	}
}

// TestBadPolicies checks the messages of every broken policy in the corpus
// against its golden file (go test ./policies -update rewrites them).
func TestBadPolicies(t *testing.T) {
	files, err := filepath.Glob("../testdata/policies/bad/*")
	if err != nil || len(files) < 15 {
		t.Fatalf("want at least 15 broken policies, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// The name as a user in the repository root would write it.
			rel := "testdata/policies/bad/" + name
			_, err = Parse(rel, src)
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Parse accepted a broken policy (err %v)", err)
			}
			for _, e := range es {
				if e.Pos.Filename != rel || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Msg == "" {
					t.Errorf("error without a position or message: %#v", e)
				}
			}
			golden(t, filepath.Join("../testdata/policies/golden", name+".err"), []byte(err.Error()+"\n"))
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./policies -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("messages differ from %s (go test ./policies -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

const allErrorsAtOnce = `name: "chat"
scenarios: burst: {rate: 5}
scenarios: steady: {rate: 0, arival: "poisson"}
colour: 1
`

// TestAllErrorsAtOnce: CUE reports problems in tiers (a missing required
// field hides everything else); Parse reports every kind in one go.
func TestAllErrorsAtOnce(t *testing.T) {
	_, err := Parse("all.cue", []byte(allErrorsAtOnce))
	want := []string{
		"all.cue:1:1: target: this field is required",
		"all.cue:2:12: scenarios.burst.kind: this field is required",
		`all.cue:3:27: scenarios.steady.rate: expected a number of requests per second greater than 0, found 0`,
		`all.cue:3:30: scenarios.steady.arival: unknown field "arival"`,
		`did you mean "arrival"?`,
		`all.cue:4:1: colour: unknown field "colour"`,
	}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

func TestLimitUnits(t *testing.T) {
	cases := []struct {
		limit, unit string
		want        float64
		bad         bool
	}{
		{"< 2s", UnitMs, 2000, false},
		{"<= 250us", UnitMs, 0.25, false},
		{"< 1.5m", UnitMs, 90000, false},
		{"< 0.1%", UnitRatio, 0.001, false},
		{"< 0.8", UnitRatio, 0, true}, // a bare number for a ratio is ambiguous: "< 80%"
		{"< 1", UnitRatio, 0, true},   // not 100%: "< 1%"
		{"< 80%", UnitRatio, 0.8, false},
		{"< 80", UnitRatio, 0, true},
		{"> 20 req/s", UnitRPS, 20, false},
		{"> 20", UnitRPS, 20, false},
		{"< 2GiB", UnitBytes, 2 << 30, false},
		{"< 500MB", UnitBytes, 5e8, false},
		{"< 2", UnitMs, 0, true},
		{"< 2s", UnitRatio, 0, true},
		{"< 150%", UnitRatio, 0, true},
	}
	for _, c := range cases {
		var l Limit
		if err := json.Unmarshal([]byte(`"`+c.limit+`"`), &l); err != nil {
			t.Fatalf("%s: %v", c.limit, err)
		}
		got, err := l.inUnit(c.unit)
		if (err != nil) != c.bad || !c.bad && got != c.want {
			t.Errorf("%q in %s: got %v, %v; want %v (error %v)", c.limit, c.unit, got, err, c.want, c.bad)
		}
	}
	l := Limit{Op: "<=", Value: 5}
	if !l.Met(5) || l.Met(5.1) || !l.Upper() {
		t.Error("Limit.Met or Upper wrong for <=")
	}
}

func TestParseMetricRef(t *testing.T) {
	for _, s := range metricRefNames() {
		r, err := ParseMetricRef(s)
		if err != nil || r.String() != s {
			t.Errorf("%s: %+v %v", s, r, err)
		}
	}
	r, err := ParseMetricRef("server.kv_cache_usage.max")
	if err != nil || !r.Server || r.Metric != "kv_cache_usage" || r.Stat != "max" {
		t.Errorf("server ref: %+v %v", r, err)
	}
	for _, bad := range []string{"ttft", "error_rate.p95", "ttft.p96", "latency", "server.x", "server.x.p95"} {
		if _, err := ParseMetricRef(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	for _, m := range Metrics() {
		if unitNames[m.Unit] == "" {
			t.Errorf("%s: unit %q has no name for messages", m.Name, m.Unit)
		}
	}
}

// TestReadmeReference keeps the README's policy reference generated from
// the schema (go test ./policies -update rewrites it).
func TestReadmeReference(t *testing.T) {
	const begin = "<!-- policy reference: generated from policies/schema.cue by go test ./policies -update -->\n"
	const end = "<!-- end of policy reference -->"
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no policy reference between %q and %q", begin, end)
	}
	want := s[:i] + begin + Reference() + s[j:]
	if want == s {
		return
	}
	if *update {
		if err := os.WriteFile("../README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Error("README.md's policy reference is out of date: run go test ./policies -update")
}

// FuzzParse: no input panics, and every error has a position in the file.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"examples/*", "../testdata/policies/bad/*"} {
		files, _ := filepath.Glob(glob)
		for _, name := range files {
			src, err := os.ReadFile(name)
			if err == nil {
				f.Add(filepath.Ext(name), src)
			}
		}
	}
	f.Add(".cue", []byte(minimal))
	f.Fuzz(func(t *testing.T, ext string, src []byte) {
		name := "fuzz" + ext
		p, err := Parse(name, src)
		if err == nil {
			if p == nil {
				t.Fatal("nil policy without an error")
			}
			return
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error of type %T: %v", err, err)
		}
		for _, e := range es {
			if e.Pos.Filename != name || e.Pos.Line < 1 || e.Msg == "" {
				t.Fatalf("bad error %#v", e)
			}
		}
	})
}

func TestRequestTemplates(t *testing.T) {
	const head = `name: "t"
target: {url: "http://127.0.0.1:1", api: "http"}
scenarios: steady: rate: 5
workload: dataset: {path: "rows.jsonl", format: "records"}
`
	good := head + `workload: requests: [{path: "/items/{{path .id}}", body: {x: "{{json .x}}", n: "{{.n}}", q: "{{if eq .x \"y\"}}1{{end}}"}}, {method: "GET", path: "/health", weight: 0.5}]`
	p, err := Parse("good.cue", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Workload.Requests) != 2 || p.Workload.Requests[1].Weight != 0.5 || p.Workload.Dataset.Format != "records" {
		t.Errorf("%+v", p.Workload)
	}
	for src, want := range map[string]string{
		head + `workload: requests: [{path: "/a b"}]`:                                    `expected a path starting with "/"`,
		head + `workload: requests: [{path: "/{{nofunc .id}}"}]`:                         `function "nofunc" not defined`,
		head + `workload: requests: [{path: "/", body: {a: "{{.x"}}]`:                    `does not parse`,
		head + `workload: requests: [{path: "/", body: {a: "{{range 9}}x{{end}}"}}]`:     `{{range}} is not allowed`,
		head + `workload: requests: [{path: "/", body: {a: "{{if .x}}", b: "{{end}}"}}]`: `does not parse`,
	} {
		if _, err := Parse("bad.cue", []byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s\n: %v, want %q", src, err, want)
		}
	}
}

func TestNotesScheduleBoundThroughput(t *testing.T) {
	p, err := Parse("p.cue", []byte(minimal+`regression: gate: ["ttft.p95", "output_tokens_per_s"]`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	notes := p.Notes()
	if len(notes) != 1 || !strings.Contains(notes[0], "output_tokens_per_s") || !strings.Contains(notes[0], "offered load") {
		t.Errorf("notes %q", notes)
	}
	p, err = Parse("p.cue", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Notes(); len(n) != 0 {
		t.Errorf("no throughput gate, notes %q", n)
	}
}
