package baseline

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// t0 is the time of the first test record.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// testRecord returns a valid record with three windows and seeded
// histograms; i varies its time, commit and values.
func testRecord(t testing.TB, i int, policy, scenario, kind, branch string) *Record {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	const windows = 3
	r := &Record{
		Schema: Schema, Kind: kind, Policy: policy, PolicyHash: "sha256:abc", Scenario: scenario,
		Commit: fmt.Sprintf("%040x", i+1), Branch: branch, Time: t0.Add(time.Duration(i) * time.Minute),
		Env:        Env{OS: "linux", Arch: "amd64", CPUs: 4, Target: "127.0.0.1", Perfgate: "test", Labels: map[string]string{"gpu": "none"}},
		MetricDefs: "v1", WindowSeconds: 5, Offered: 10, Achieved: 9.9, Valid: true,
		Metrics: map[string]*Metric{},
	}
	pooled := hdrhistogram.New(1, 60_000_000, 3)
	e2e := &Metric{Unit: "us"}
	rate := &Metric{Unit: "1/s"}
	for w := range windows {
		h := hdrhistogram.New(1, 60_000_000, 3)
		for range 200 {
			v := int64(1000 + rng.ExpFloat64()*5000)
			if err := h.RecordValue(v); err != nil {
				t.Fatal(err)
			}
		}
		if dropped := pooled.Merge(h); dropped != 0 {
			t.Fatalf("merge dropped %d", dropped)
		}
		enc, err := EncodeHist(h)
		if err != nil {
			t.Fatal(err)
		}
		r.Windows = append(r.Windows, WindowCounts{Start: float64(w) * 5, End: float64(w+1) * 5, Sent: 200, Succeeded: 200,
			Status: map[string]int64{"200": 200}})
		e2e.Windows = append(e2e.Windows, WindowStats{Count: h.TotalCount(),
			Stats: map[string]float64{"p50": float64(h.ValueAtQuantile(50)), "p95": float64(h.ValueAtQuantile(95))}, Hist: enc})
		rate.Windows = append(rate.Windows, WindowStats{Count: 1, Stats: map[string]float64{"value": 40 + rng.Float64()}})
	}
	enc, err := EncodeHist(pooled)
	if err != nil {
		t.Fatal(err)
	}
	e2e.Pooled = WindowStats{Count: pooled.TotalCount(), Stats: map[string]float64{"p95": float64(pooled.ValueAtQuantile(95))}, Hist: enc}
	rate.Pooled = WindowStats{Count: windows, Stats: map[string]float64{"value": 40}}
	r.Metrics["e2e"] = e2e
	r.Metrics["requests_per_s"] = rate
	return r
}

func mustEncode(t *testing.T, r *Record) []byte {
	t.Helper()
	data, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
