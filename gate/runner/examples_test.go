package runner

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/policies"
)

// Every example policy runs unchanged against the simulator ("perfgate
// sim") with zero failed requests: its target, workload, dataset and
// checks as written; only the scenarios' durations are shortened to keep
// the test short (warm-up 500 ms, 2 s measured, a capacity search of one
// 2-second step at its lowest rate).
func TestExamplePoliciesRunAgainstSimWithoutErrors(t *testing.T) {
	files, _ := filepath.Glob("../../policies/examples/*")
	if len(files) < 2 {
		t.Fatalf("example policies: %v", files)
	}
	url, _, stop, err := sim.Listen(sim.DefaultConfig(), "127.0.0.1:0", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for _, f := range files {
		p, err := policies.ParseFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range p.Scenarios {
			sc := &p.Scenarios[i]
			sc.Warmup = policies.Duration(500 * time.Millisecond)
			sc.Duration = policies.Duration(2 * time.Second)
			sc.Window = policies.Duration(time.Second)
			if sc.Kind == policies.KindCapacity {
				sc.Search.To = sc.Search.From
				sc.Budget, sc.Step = policies.Duration(3*time.Second), policies.Duration(2*time.Second)
			}
		}
		// Any secret will do: the simulator does not check it.
		getenv := func(k string) string { return "test-key" }
		out, err := Run(context.Background(), Options{Policy: p, TargetURL: url, Getenv: getenv, MaxLag: time.Second})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, rec := range out.Records {
			if rec.Capacity != nil {
				for _, st := range rec.Capacity.Steps {
					if !st.Met {
						t.Errorf("%s: capacity step at %.3g req/s broke %s", f, st.Rate, st.Breached)
					}
				}
				continue
			}
			failed, total := rec.ErrorCounts()
			if failed > 0 || total == 0 {
				var ex []string
				for c, m := range rec.ErrorExamples {
					ex = append(ex, c+": "+m)
				}
				t.Errorf("%s: scenario %s: %d of %d requests failed: %s", f, rec.Scenario, failed, total, strings.Join(ex, "; "))
			}
		}
	}
}
