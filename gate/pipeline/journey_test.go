package pipeline

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/policies"
)

// ragPolicy is policies/examples/rag-journey.cue as written, its steady
// scenario shortened: 1 s of warm-up, 6 s measured in 2-second windows,
// at 50 journeys per second so that every p95 rests on 300 journeys.
func ragPolicy(t *testing.T) *policies.Policy {
	t.Helper()
	p, err := policies.ParseFile("../../policies/examples/rag-journey.cue")
	if err != nil {
		t.Fatal(err)
	}
	sc := &p.Scenarios[0]
	sc.Rate = 50
	sc.Warmup = policies.Duration(time.Second)
	sc.Duration = policies.Duration(6 * time.Second)
	sc.Window = policies.Duration(2 * time.Second)
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
// simulator's slow-search fault, 5 ms → 100 ms) FAILs the search step's
// latency and the user's time to first token, and nothing else; two
// unchanged deployments pass.
func TestJourneySearchRegressionFailsItsStepAndTheJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	cfg := sim.DefaultConfig().NoNoise()
	slow := cfg
	slow.RAG.SearchSlowdown = 20
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
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := Run(ctx, ragPolicy(t), o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict.Outcome == gate.Invalid {
				t.Fatalf("invalid run: %s\n%s", res.Verdict.Reason, describeChecks(res.Verdict))
			}
			if got := failed(res.Verdict); !slices.Equal(got, tc.want) {
				t.Errorf("FAILed %v, want %v\n%s", got, tc.want, describeChecks(res.Verdict))
			}
			if code := ExitCode(nil, res, "fail"); (code == ExitFail) != (len(tc.want) > 0) {
				t.Errorf("exit code %d", code)
			}
		})
	}
}
