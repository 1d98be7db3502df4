package pipeline

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/policies"
)

// ragPolicy is policies/examples/rag-journey.cue as written, its steady
// scenario shortened: 1 s of warm-up, 8 s measured at 30 journeys per
// second, so that every p95 rests on about 240 journeys, in 16 windows of
// 500 ms, so that the paired comparison's jackknife over windows has the
// degrees of freedom a busy machine's noise needs.
func ragPolicy(t *testing.T) *policies.Policy {
	t.Helper()
	p, err := policies.ParseFile("../../policies/examples/rag-journey.cue")
	if err != nil {
		t.Fatal(err)
	}
	sc := &p.Scenarios[0]
	sc.Rate = 30
	sc.Warmup = policies.Duration(time.Second)
	sc.Duration = policies.Duration(8 * time.Second)
	sc.Window = policies.Duration(500 * time.Millisecond)
	return p
}

func startSimConfig(t *testing.T, cfg sim.Config) string {
	t.Helper()
	s, err := sim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); s.Close() })
	return srv.URL
}

// runValid runs the gate, once more when the run could not be trusted
// (a machine so loaded that the load generator fell behind its schedule:
// perfgate's right answer, but not what the test is about).
func runValid(t *testing.T, p *policies.Policy, o Options) *Result {
	t.Helper()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		res, err := Run(ctx, p, o)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict.Outcome != gate.Invalid {
			return res
		}
		if attempt == 2 {
			t.Fatalf("invalid run twice: %s\n%s", res.Verdict.Reason, describeChecks(res.Verdict))
		}
		t.Logf("invalid run, run again: %s", res.Verdict.Reason)
	}
}

// failed returns the names of the checks that FAILed.
func failed(v *gate.Verdict) []string {
	var out []string
	for _, c := range v.Checks {
		if c.Verdict == gate.Fail && !slices.Contains(out, c.Name) {
			out = append(out, c.Name)
		}
	}
	slices.Sort(out)
	return out
}

func describeChecks(v *gate.Verdict) string {
	var b strings.Builder
	for _, c := range v.Checks {
		b.WriteString(c.Kind + " " + c.Name + " " + string(c.Verdict) + ": " + c.Reason + "\n")
	}
	return b.String()
}

// The example journey in paired mode: a search step made slower (the
// simulator's slow-search fault, 5 ms → 1 s, twenty times the rest of the
// time to the first token, so that the stalls of a busy machine in either
// arm's tail cannot hide it) FAILs the search step's latency and the
// user's time to first token, and nothing else; two unchanged deployments
// pass (exit code 0, nothing FAILs; in so short a run most checks are
// inconclusive, WARN).
func TestJourneySearchRegressionFailsItsStepAndTheJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	cfg := sim.DefaultConfig().NoNoise()
	slow := cfg
	slow.RAG.SearchSlowdown = 200
	for _, tc := range []struct {
		name string
		cand sim.Config
		want []string
	}{
		{"slow search", slow, []string{"journey.rag.ttft.p95", "step.search.e2e.p95"}},
		{"unchanged", cfg, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, cand := startSimConfig(t, cfg), startSimConfig(t, tc.cand)
			o := Options{TargetURL: cand, BaselineURL: base, MaxLag: time.Second, Version: "test"}
			res := runValid(t, ragPolicy(t), o)
			if got := failed(res.Verdict); !slices.Equal(got, tc.want) {
				t.Errorf("FAILed %v, want %v\n%s", got, tc.want, describeChecks(res.Verdict))
			}
			if code := ExitCode(nil, res, "fail"); (code == ExitFail) != (len(tc.want) > 0) {
				t.Errorf("exit code %d", code)
			}
		})
	}
}

// historyJourney is a brief journey policy gated on medians, which its
// 2-second runs hold enough of.
const historyJourney = `name: "rag-history"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "sim-llama-3.1-8b", ready: {timeout: "5s", interval: "50ms"}}
workload: {
	prompts: {input_tokens: 16, output_tokens: 8}
	journeys: rag: steps: [
		{name: "embed", api: "openai-embeddings", extract: vector: "data.0.embedding"},
		{name: "search", api: "http", path: "/v1/search", body: {vector: "{{.vector}}"}, extract: context: "results.#.text"},
		{name: "generate", input: "{{.context}} {{.prompt}}"},
	]
}
scenarios: steady: {rate: 30, warmup: "300ms", duration: "2s", window: "500ms"}
slos: {"step.search.error_rate": "< 5%", "journey.rag.ttft.p50": "< 10s"}
regression: gate: ["step.search.e2e.p50", "journey.rag.ttft.p50"]
`

// Step and journey metrics are judged against stored runs too (history
// mode): three runs saved on main, then a run with a slow search FAILs
// both gating checks.
func TestJourneyMetricsInHistoryMode(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	st, err := baseline.NewDirStore(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, historyJourney)
	cfg := sim.DefaultConfig().NoNoise()
	url := startSimConfig(t, cfg)
	for range 3 {
		runValid(t, p, Options{TargetURL: url, Store: st, Branch: "main", SaveBaseline: true, MaxLag: time.Second, Version: "test"})
	}
	slow := cfg
	slow.RAG.SearchSlowdown = 100 // 5 ms → 500 ms: history mode judges with the spread of 3 runs
	o := Options{TargetURL: startSimConfig(t, slow), Store: st, Branch: "feature", BaseBranch: "main", MaxLag: time.Second, Version: "test"}
	res := runValid(t, p, o)
	if res.Mode != gate.ModeHistory {
		t.Fatalf("mode %s, want history\n%s", res.Mode, describeChecks(res.Verdict))
	}
	if got := failed(res.Verdict); !slices.Equal(got, []string{"journey.rag.ttft.p50", "step.search.e2e.p50"}) {
		t.Errorf("FAILed %v\n%s", got, describeChecks(res.Verdict))
	}
	for _, c := range res.Verdict.Checks {
		if c.Kind == gate.KindRegression && c.Mode != gate.ModeHistory {
			t.Errorf("%s judged in mode %q", c.Name, c.Mode)
		}
	}
}
