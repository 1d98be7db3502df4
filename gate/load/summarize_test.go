package load

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
)

// TestSummarizeRecordsEveryMetric: a record holds every recorded metric in
// its catalog unit, the rate metrics per window, and the validity verdict
// with its reasons; Keep narrows the metrics.
func TestSummarizeRecordsEveryMetric(t *testing.T) {
	r, err := NewRecorder(Plan{Pacer: ConstantPacer{Rate: 20}, Duration: 2 * time.Second, Window: time.Second, MaxLagP99: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		at := time.Duration(i) * 50 * ms
		r.Add(Sample{Intended: at, Sent: at + 2*ms, ClientLag: 2 * ms, First: at + 20*ms, Done: at + 100*ms, Tokens: 4,
			ITL: []time.Duration{20 * ms, 30 * ms, 30 * ms}})
	}
	res := r.Finish()
	rec, err := Summarize(res, RunMeta{Policy: "p"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{metric.E2E, metric.ErrorRate, metric.ITL, metric.OutputTokens, metric.OutputTokensPerS, metric.Goodput,
		metric.RequestsPerS, metric.ScheduleLag, metric.Service, metric.TPOT, metric.TTFT}
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(rec.Metrics)); !slices.Equal(got, want) {
		t.Errorf("metrics %v, want %v", got, want)
	}
	for name, m := range rec.Metrics {
		if d, _ := metric.Lookup(name); m.Unit != d.Unit || len(m.Windows) != 2 {
			t.Errorf("%s: unit %q (catalog %q), %d windows", name, m.Unit, d.Unit, len(m.Windows))
		}
	}
	if p50 := rec.Metrics[metric.E2E].Pooled.Stats["p50"]; p50 < 99.9 || p50 > 100.1 {
		t.Errorf("e2e p50 %v ms", p50)
	}
	if rec.MetricDefs != metric.DefsVersion || rec.Valid || len(rec.Invalid) != 1 {
		t.Errorf("defs %q, valid %v %q (2 ms of lag over a 1 ms limit)", rec.MetricDefs, rec.Valid, rec.Invalid)
	}

	kept, err := Summarize(res, RunMeta{Policy: "p", Keep: func(name string) bool { return name == metric.TTFT || name == metric.RequestsPerS }})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(kept.Metrics)); !slices.Equal(got, []string{metric.RequestsPerS, metric.TTFT}) {
		t.Errorf("kept %v", got)
	}
}
