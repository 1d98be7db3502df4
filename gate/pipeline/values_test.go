package pipeline

import (
	"bytes"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name.golden; on a mismatch it writes
// testdata/name.got, and -update rewrites the golden file.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.Remove(filepath.Join("testdata", name+".got"))
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(filepath.Join("testdata", name+".got"), got, 0o644)
		t.Errorf("%s differs from %s (output in testdata/%s.got; go test -update accepts it)", name, path, name)
	}
}

// valuesPolicy has an SLO on a server series that is never measured
// here, limited as a percentage, and gates a latency tail, a latency of
// few samples and a throughput.
const valuesPolicy = `name: "values"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "m", metrics: url: "/metrics"}
scenarios: steady: {rate: 40, duration: "60s"}
slos: {"server.kv_cache_usage.max": "< 95%", "e2e.p50": "< 2s"}
regression: gate: ["e2e.p50", "e2e.p99", "ttft.p95", "requests_per_s"]
`

// valuesRecord is 12 windows of 5 s with perWindow requests whose e2e
// latency is lognormal around e2e ms, whose TTFT (one value in each of
// the first ttftWindows windows) is around ttft ms, and whose scraped
// KV-cache usage peaks at 42%.
func valuesRecord(t *testing.T, rng *rand.Rand, perWindow, ttftWindows int, e2e, ttft float64) *baseline.Record {
	t.Helper()
	res := &load.Result{Scenario: "steady", Window: 5 * time.Second, Offered: 40, Achieved: 40,
		Validity: load.Validity{Sent: int64(12 * perWindow), AchievedRatio: 1}}
	for w := 0; w < 12; w++ {
		win := load.NewWindow(w, time.Duration(w)*5*time.Second, time.Duration(w+1)*5*time.Second)
		for i := 0; i < perWindow; i++ {
			win.Record(metric.E2E, int64(e2e*math.Exp(0.1*rng.NormFloat64())*1000))
		}
		if w < ttftWindows {
			win.Record(metric.TTFT, int64(ttft*math.Exp(0.1*rng.NormFloat64())*1000))
		}
		win.Server = map[string]load.SeriesStat{"kv_cache_usage": {Max: 0.42, Mean: 0.3, Samples: 5}}
		win.Sent, win.Succeeded = int64(perWindow), int64(perWindow)
		res.Windows = append(res.Windows, win)
	}
	rec, err := load.Summarize(res, load.RunMeta{Policy: "values", Commit: "c0ffee", Branch: "pr", Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestValuesRenderedOnce: the terminal, the comment, JUnit and report.json
// show the same numbers, and none where a value does not exist.
//   - history whose stored runs lacked e2e.p99: baseline null / "—", never 0;
//   - a paired ttft.p95 of too few samples to judge: its real change, not 0;
//   - a throughput's MDE: one size everywhere (JSON's positive mde);
//   - an SLO "< 95%" on a server series (stored without a unit): "< 95%"
//     and "42%", not "< 0.950" and "0.420";
//   - the terminal table stays aligned with server.kv_cache_usage.max.
func TestValuesRenderedOnce(t *testing.T) {
	p := parse(t, valuesPolicy)
	rng := rand.New(rand.NewPCG(7, 8))
	var hist []*baseline.Record
	for i := 0; i < 5; i++ {
		r := valuesRecord(t, rng, 200, 0, 100, 0)
		delete(r.Metrics[metric.E2E].Pooled.Stats, "p99")
		for j := range r.Metrics[metric.E2E].Windows {
			delete(r.Metrics[metric.E2E].Windows[j].Stats, "p99")
		}
		hist = append(hist, r)
	}
	paired := valuesRecord(t, rng, 200, 5, 100, 68.8)
	paired.Reference = valuesRecord(t, rng, 200, 5, 100, 53.4)
	for _, tc := range []struct {
		name string
		c    Comparison
	}{
		// One TTFT sample: too few to judge (informational), not unmeasured.
		{"history", Comparison{Candidate: valuesRecord(t, rng, 200, 1, 100, 50), History: hist}},
		{"paired", Comparison{Candidate: paired}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Compare(p, tc.c, Options{Branch: "pr", Commit: "c0ffee"})
			if err != nil {
				t.Fatal(err)
			}
			var term bytes.Buffer
			WriteSummary(&term, res.Verdict)
			in := report.Input{Policy: p.Name, Verdict: res.Verdict, Runs: []*baseline.Record{tc.c.Candidate}, Mode: res.Mode, Material: 0.1}
			js, err := report.JSON(in)
			if err != nil {
				t.Fatal(err)
			}
			ju, err := report.JUnit(in)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "values-"+tc.name+".txt", term.Bytes())
			golden(t, "values-"+tc.name+".comment.md", []byte(report.Markdown(in, report.MarkdownOptions{})))
			golden(t, "values-"+tc.name+".report.json", js)
			golden(t, "values-"+tc.name+".junit.xml", ju)
		})
	}
}
