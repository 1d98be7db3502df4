package pipeline

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/policies"
)

// briefPolicy is a steady scenario of 1 s in 250 ms windows at 20 req/s
// against a streaming chat API.
const briefPolicy = `name: "pipeline-test"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "sim-llama-3.1-8b", ready: {timeout: "5s", interval: "50ms"}}
workload: prompts: {input_tokens: 32, output_tokens: 16}
scenarios: steady: {rate: 20, warmup: "200ms", duration: "1s", window: "250ms"}
slos: {"error_rate": "< 5%"}
regression: gate: ["e2e.p50", "error_rate"]
`

func parse(t *testing.T, src string) *policies.Policy {
	t.Helper()
	p, err := policies.Parse("p.cue", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startSim serves a noiseless simulator for the test's duration.
func startSim(t *testing.T) string {
	t.Helper()
	s, err := sim.NewServer(sim.DefaultConfig().NoNoise())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); s.Close() })
	return srv.URL
}

// A 2-core machine shared with other tests can stall the client: these
// tests check the pipeline, not the load generator's validity check.
const testMaxLag = 400 * time.Millisecond

func TestRunSavesThenComparesWithHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	url, p := startSim(t), parse(t, briefPolicy)
	st, err := baseline.NewDirStore(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	o := Options{TargetURL: url, Store: st, Branch: "main", SaveBaseline: true, MaxLag: testMaxLag, Log: &log, Version: "test"}
	o.OutDir = t.TempDir()
	res, err := Run(context.Background(), p, o)
	if err != nil {
		t.Fatalf("baseline run: %v\n%s", err, log.String())
	}
	if res.Mode != gate.ModeNone || len(res.Records) != 1 || res.Verdict.Outcome == gate.Invalid {
		t.Fatalf("baseline run: mode %s, %d records, verdict %s", res.Mode, len(res.Records), res.Verdict.Outcome)
	}
	for _, f := range res.Reports() {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("report not written: %v", err)
		}
	}
	if !strings.Contains(log.String(), "saved run record") {
		t.Errorf("log does not name the saved record:\n%s", log.String())
	}
	recs, _, err := st.List(context.Background(), baseline.Query{Policy: p.Name, Branch: "main"})
	if err != nil || len(recs) != 1 || recs[0].Env.Perfgate != "test" || recs[0].Reference != nil {
		t.Fatalf("stored %d records (err %v)", len(recs), err)
	}

	o.Branch, o.BaseBranch, o.SaveBaseline, o.OutDir = "feature", "main", false, ""
	res, err = Run(context.Background(), p, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != gate.ModeHistory || res.OutDir != "" {
		t.Errorf("mode %q, out dir %q; want history and no reports", res.Mode, res.OutDir)
	}
	if !strings.HasPrefix(res.Markdown, "<!-- perfgate:policy=pipeline-test -->") {
		t.Errorf("markdown does not start with the marker:\n%s", res.Markdown)
	}
}

func TestRunInvalidInput(t *testing.T) {
	p := parse(t, briefPolicy)
	noURL := parse(t, briefPolicy)
	noURL.Target.URL = "" // the schema requires one, but a caller may clear it
	st, err := baseline.NewDirStore(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    *policies.Policy
		o    Options
		want string
	}{
		{"no target", noURL, Options{}, "no target URL"},
		{"fail-on", p, Options{FailOn: "sometimes"}, "--fail-on"},
		{"calibrate without baseline", p, Options{Calibrate: true, Store: st}, "baseline-url"},
		{"save without store", p, Options{SaveBaseline: true}, "--store"},
		{"max lag", p, Options{Getenv: func(k string) string { return map[string]string{"PERFGATE_MAX_LAG": "soon"}[k] }}, "PERFGATE_MAX_LAG"},
		{"unknown scenario", p, Options{Scenarios: []string{"spike"}}, `no scenario "spike"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), tc.p, tc.o)
			var invalid *InvalidError
			if res != nil || !errors.As(err, &invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, %v; want an *InvalidError saying %q", res, err, tc.want)
			}
		})
	}
	_, err = Run(context.Background(), noURL, Options{})
	if err.(*InvalidError).File != "p.cue" {
		t.Errorf("%v does not name the policy file", err)
	}
}

func TestRunThatCannotMeasureWritesAnInvalidReport(t *testing.T) {
	p := parse(t, strings.Replace(briefPolicy, `timeout: "5s"`, `timeout: "300ms"`, 1))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name        string
		ctx         context.Context
		interrupted bool
	}{
		{"unreachable", context.Background(), false},
		{"interrupted", cancelled, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			res, err := Run(tc.ctx, p, Options{OutDir: out})
			if res != nil || !errors.Is(err, ErrCannotMeasure) || errors.Is(err, ErrInterrupted) != tc.interrupted {
				t.Fatalf("got %v, %v", res, err)
			}
			md, rerr := os.ReadFile(filepath.Join(out, "comment.md"))
			if rerr != nil || !strings.Contains(string(md), "could not be made") {
				t.Errorf("comment.md (%v):\n%s", rerr, md)
			}
		})
	}
}

// TestCompareProducesTheCapacityPlan: offline, a capacity record judged
// under a policy with a cost model gets its replicas and cost, as a live
// run does.
func TestCompareProducesTheCapacityPlan(t *testing.T) {
	rec := func(rps float64) *baseline.Record {
		return &baseline.Record{Policy: "cost", Scenario: "capacity", Kind: baseline.KindRun, Valid: true, Capacity: &baseline.Capacity{RPS: rps}}
	}
	p := &policies.Policy{Name: "cost", Cost: &policies.Cost{InstanceHourUSD: 3.6, PeakRPS: 100, Headroom: 0.25}}
	out := t.TempDir()
	res, err := Compare(p, Comparison{Candidate: rec(25), History: []*baseline.Record{rec(50)}}, Options{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	plans := res.Verdict.Capacity
	if len(plans) != 1 || plans[0].Candidate.Replicas != 5 || plans[0].Baseline == nil || plans[0].Baseline.Replicas != 3 {
		t.Fatalf("capacity plans %+v; want 5 replicas now, 3 before", plans)
	}
	if js, _ := os.ReadFile(filepath.Join(out, "report.json")); !strings.Contains(string(js), `"replicas": 5`) {
		t.Errorf("report.json has no plan:\n%s", js)
	}
	if res, _ := Compare(nil, Comparison{Candidate: rec(25)}, Options{}); len(res.Verdict.Capacity) != 0 {
		t.Errorf("a plan without a cost model: %+v", res.Verdict.Capacity)
	}
}

func TestWriteSummaryFormatsValuesWithTheCatalog(t *testing.T) {
	var b bytes.Buffer
	WriteSummary(&b, &gate.Verdict{Outcome: gate.Pass, Reason: "ok", Checks: []gate.Check{
		{Scenario: "steady", Name: "ttft.p95", Kind: gate.KindSLO, Unit: "ms", Op: "<", Limit: 3000, Candidate: 2310, Verdict: gate.Pass, Gating: true},
	}})
	if !strings.Contains(b.String(), "< 3.00 s") || !strings.Contains(b.String(), "2.31 s") {
		t.Errorf("summary:\n%s", b.String())
	}
}
