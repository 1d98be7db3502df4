package runner

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/policies"
)

// capacityPolicy searches the capacity of the simulator for 256/64-token
// chat requests within a 60 s budget; the TTFT SLO breaks at the cliff,
// where the waiting queue starts to grow, so the capacity it finds should
// be the saturation throughput.
const capacityPolicy = `name: "capacity-accuracy"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "sim-llama-3.1-8b", ready: timeout: "5s"}
workload: prompts: {input_tokens: 256, output_tokens: 64}
scenarios: capacity: {search: {from: 8, to: 128, precision: "5%"}, warmup: "1s", window: "2s", budget: "60s", step: "4s"}
slos: {"ttft.p95": "< 1s"}
`

// BenchmarkCapacityAccuracy runs a real-time capacity search against the
// simulator and reports how far the capacity found is from the
// simulator's saturation throughput (ground truth). One iteration takes
// about a minute: run with -benchtime 1x.
func BenchmarkCapacityAccuracy(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cfg := sim.DefaultConfig()
		cfg.Seed = int64(i + 1)
		truth := sim.SaturationRPS(cfg, 256, 64)
		s, err := sim.NewServer(cfg)
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(s)
		path := filepath.Join(b.TempDir(), "p.cue")
		os.WriteFile(path, []byte(capacityPolicy), 0o644)
		p, err := policies.ParseFile(path)
		if err != nil {
			b.Fatal(err)
		}
		out, err := Run(context.Background(), Options{Policy: p, TargetURL: srv.URL, Meta: load.RunMeta{}})
		srv.Close()
		s.Close()
		if err != nil {
			b.Fatal(err)
		}
		c := out.Records[0].Capacity
		rel := c.RPS/truth - 1
		b.ReportMetric(100*rel, "err%")
		b.ReportMetric(c.RPS, "found_rps")
		b.ReportMetric(truth, "truth_rps")
		var steps string
		for _, st := range c.Steps {
			steps += fmt.Sprintf(" %.1f:%v", st.Rate, st.Met)
		}
		b.Logf("seed %d: capacity %.2f req/s, saturation %.2f req/s (%+.1f%%), converged %v, broken by %q, steps%s", cfg.Seed, c.RPS, truth, 100*rel, c.Converged, c.BrokenBy, steps)
		if math.Abs(rel) > 0.10 {
			b.Logf("outside ±10%%")
		}
	}
}
