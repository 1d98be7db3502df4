package runner

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/policies"
)

func parse(t *testing.T, src string) *policies.Policy {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.cue")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := policies.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const headerPolicy = `name: "h"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "m",
	headers: Authorization: {env: "PG_TEST_KEY", prefix: "Bearer "}}
scenarios: steady: rate: 5
`

func TestTargetReadsHeadersFromTheEnvironment(t *testing.T) {
	p := parse(t, headerPolicy)
	_, err := Target(p, "http://127.0.0.1:1", func(string) string { return "" })
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "PG_TEST_KEY") {
		t.Fatalf("missing variable: %v", err)
	}
	lt, err := Target(p, "http://127.0.0.1:1", func(k string) string {
		if k == "PG_TEST_KEY" {
			return "s3cret"
		}
		return ""
	})
	if err != nil || lt.Headers.Get("Authorization") != "Bearer s3cret" || !lt.Stream {
		t.Fatalf("target %+v, err %v", lt, err)
	}
}

// lagValidity records a second of 100 req/s under the plan of a steady
// scenario of the policy (so with the runner's lag tolerance) with maxLag:
// sent requests of which each lagged by lag and took e2e from its intended
// send time.
func lagValidity(t *testing.T, maxLag, lag, e2e time.Duration, sent int) load.Validity {
	t.Helper()
	p := parse(t, `name: "l"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "m"}
scenarios: steady: {rate: 100, duration: "1s", warmup: "0s", window: "500ms"}
`)
	wl, err := Workload(p)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := p.Scenarios.Lookup("steady")
	pl := SteadyPlan(p, sc, wl)
	pl.MaxLagP99 = maxLag
	rec, err := load.NewRecorder(pl)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sent {
		at := time.Duration(i) * 10 * time.Millisecond
		rec.Add(load.Sample{Intended: at, Sent: at + lag, ClientLag: lag, First: -1, Done: at + e2e, Tokens: -1})
	}
	return rec.Finish().Validity
}

func TestLagToleranceOfPlans(t *testing.T) {
	// 20 ms of lag on 1 s requests (980 ms of service) is 2%: kept up.
	if v := lagValidity(t, 0, 20*time.Millisecond, time.Second, 100); !v.KeptUp() || len(v.Reasons()) != 0 || v.LagLimit.Round(time.Millisecond) != 49*time.Millisecond {
		t.Errorf("20ms lag on 1s latency: %+v %q", v, v.Reasons())
	}
	// 20 ms on 100 ms requests is 20%: not.
	v := lagValidity(t, 0, 20*time.Millisecond, 100*time.Millisecond, 100)
	if v.KeptUp() || v.LagLimit != load.DefaultMaxLagP99 || len(v.Reasons()) != 1 || !strings.Contains(v.Reasons()[0], "exceeds 10ms: the load generator could not send on time") {
		t.Errorf("20ms lag on 100ms latency: %+v %q", v, v.Reasons())
	}
	// An explicit limit allows it.
	if v := lagValidity(t, 50*time.Millisecond, 20*time.Millisecond, 100*time.Millisecond, 100); !v.KeptUp() {
		t.Errorf("a 50ms limit did not allow 20ms of lag: %q", v.Reasons())
	}
	// A rate shortfall is never excused.
	if v := lagValidity(t, 0, 20*time.Millisecond, time.Second, 80); v.KeptUp() || !v.BehindSchedule() || v.LagExceeded() {
		t.Errorf("an 80%% achieved rate: %+v %q", v, v.Reasons())
	}
}

func TestSpikeAndCapacityPlans(t *testing.T) {
	p := parse(t, `name: "s"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "m"}
scenarios: {
	spike: {rate: 10, factor: 3, warmup: "2s", at: "5s", hold: "4s", duration: "20s", window: "1s"}
	capacity: {search: {from: 2, to: 40}, warmup: "2s", window: "2s", step: "4s"}
}
slos: "e2e.p95": "< 1s"
`)
	wl, err := Workload(p)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := p.Scenarios.Lookup("spike")
	pl := SpikePlan(p, sp, wl)
	steps := pl.Pacer.(load.StepPacer).Steps
	if len(steps) != 3 || steps[0].Duration != 7*time.Second || steps[1].Rate != 30 || steps[1].Duration != 4*time.Second || steps[2].Duration != 11*time.Second {
		t.Errorf("spike steps %+v", steps)
	}
	cp, _ := p.Scenarios.Lookup("capacity")
	cpl := CapacityStepPlan(p, cp, wl, 12, 4*time.Second)
	if cpl.Duration != 4*time.Second || cpl.Warmup != time.Second || cpl.Window != 2*time.Second {
		t.Errorf("capacity step plan: duration %v warmup %v window %v", cpl.Duration, cpl.Warmup, cpl.Window)
	}
}

func TestHTTPTemplatesAndRecordsDataset(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.EscapedPath()+" "+string(b))
		mu.Unlock()
		io.WriteString(w, `{"predictions":[{"label":"cat"}]}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	rows := `{"id": "a/1", "pixels": [0, 255], "caption": "a \"quoted\" cat"}` + "\n" + `{"id": "b 2", "pixels": [], "caption": "dog"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "rows.jsonl"), []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `name: "classify"
target: {url: "http://127.0.0.1:1", api: "http"}
workload: {
	dataset: {path: "rows.jsonl", shuffle: false}
	requests: [
		{name: "predict", path: "/predict/{{path .id}}", weight: 4, body: {pixels: "{{.pixels}}", note: "caption: {{.caption}}"},
			checks: json: [{path: "predictions.0.label", exists: true}]},
		{name: "health", method: "GET", path: "/health"},
	]
}
scenarios: steady: rate: 5
`
	path := filepath.Join(dir, "p.cue")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := policies.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lt, err := Target(p, srv.URL, func(string) string { return "" })
	if err != nil || len(lt.HTTP) != 2 || lt.HTTP[0].Weight != 4 || lt.HTTP[1].Name != "health" {
		t.Fatalf("target: %v %+v", err, lt.HTTP)
	}
	res := runBriefly(t, p, lt, 100, 300*time.Millisecond, 100*time.Millisecond)
	var ok, predict, health int
	for _, w := range res.Windows {
		ok += int(w.Succeeded)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, g := range got {
		switch {
		case strings.HasPrefix(g, "GET /health "):
			health++
		case g == `POST /predict/a%2F1 {"pixels":[0,255],"note":"caption: a \"quoted\" cat"}`,
			g == `POST /predict/b%202 {"pixels":[],"note":"caption: dog"}`:
			predict++
		default:
			t.Errorf("unexpected request %q", g)
		}
	}
	if predict == 0 || health == 0 || predict < health || ok < predict+health-2 {
		t.Errorf("predict %d, health %d, succeeded %d of %d", predict, health, ok, len(got))
	}

	// An OpenAI target cannot send a record without a prompt.
	p.Target.API = policies.APIOpenAIChat
	if _, err := Workload(p); err == nil || !strings.Contains(err.Error(), "record 1 has no prompt") {
		t.Errorf("records without a prompt for openai-chat: %v", err)
	}
}

// TestImageClassifierExampleAgainstTheSimulator runs the example policy's
// workload (records dataset, JSON body template, response checks) against
// the simulator's /predict for a moment: every request is accepted.
func TestImageClassifierExampleAgainstTheSimulator(t *testing.T) {
	cfg := sim.DefaultConfig().NoNoise()
	cfg.Seed = 1
	cfg.ColdStart = 0
	s, err := sim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	p, err := policies.ParseFile(filepath.Join("..", "..", "policies", "examples", "image-classifier.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lt, err := Target(p, srv.URL, func(string) string { return "k-123456" })
	if err != nil {
		t.Fatal(err)
	}
	res := runBriefly(t, p, lt, 40, 500*time.Millisecond, 250*time.Millisecond)
	pooled, err := res.Pooled()
	if err != nil {
		t.Fatal(err)
	}
	if pooled.Succeeded == 0 || pooled.Failed != 0 {
		t.Errorf("succeeded %d, failed %d: %v %v", pooled.Succeeded, pooled.Failed, pooled.Errors, res.ErrorExamples)
	}
}

// runBriefly runs the policy's workload against lt at a constant rate for
// a moment.
func runBriefly(t *testing.T, p *policies.Policy, lt load.Target, rate float64, d, window time.Duration) *load.Result {
	t.Helper()
	wl, err := Workload(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := load.Run(context.Background(), load.Plan{Pacer: load.ConstantPacer{Rate: rate}, Duration: d, Window: window, Workload: wl}, lt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRulesCarryThePolicysPriorTau: regression.prior_tau reaches the gate,
// and its absence leaves the gate's default.
func TestRulesCarryThePolicysPriorTau(t *testing.T) {
	if r := Rules(parse(t, headerPolicy+"regression: prior_tau: \"2%\"\n")); r.PriorTau != 0.02 {
		t.Errorf("prior_tau 2%%: Rules.PriorTau = %v", r.PriorTau)
	}
	if r := Rules(parse(t, headerPolicy)); r.PriorTau != 0 {
		t.Errorf("no prior_tau: Rules.PriorTau = %v, want 0 (the gate's default)", r.PriorTau)
	}
}

// TestExistsFalseIsAnAbsenceCheck: checks.json's exists: false makes the
// path's presence a failure (it was read as exists: true).
func TestExistsFalseIsAnAbsenceCheck(t *testing.T) {
	p, err := policies.Parse("p.cue", []byte(`name: "cls"
target: {url: "http://127.0.0.1:1", api: "http"}
workload: requests: [{path: "/predict", checks: json: [{path: "fallback", exists: false}, {path: "label", exists: true}]}]
scenarios: steady: rate: 5
slos: "e2e.p95": "< 2s"
`))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := Target(p, "http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := tg.HTTP[0].Checks
	if len(got) != 2 || got[0].Op != load.CheckAbsent || got[1].Op != load.CheckExists {
		t.Errorf("checks %+v, want absent then exists", got)
	}
}
