package load_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/sim"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// BenchmarkTTFTVsSimulator compares the mean TTFT measured by Run with the
// simulator's own record of when it produced each first token (the sum and
// count of its vllm:time_to_first_token_seconds histogram, from request
// arrival). The simulator keeps no per-request record, so means are
// compared.
func BenchmarkTTFTVsSimulator(b *testing.B) {
	for b.Loop() {
		srv, err := sim.NewServer(sim.DefaultConfig().NoNoise())
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		wl := load.Synthetic{Seed: 1, InputTokens: load.Dist{Mean: 256}, OutputTokens: load.Dist{Mean: 16}}
		p := load.Plan{Pacer: load.ConstantPacer{Rate: 10}, Duration: 3 * time.Second, Window: time.Second, Workload: wl}
		tg := load.Target{URL: ts.URL, API: load.APIOpenAIChat, Model: srv.Config().Model, Stream: true}
		_, w := runClean(b, p, tg)
		resp, err := http.Get(ts.URL + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(resp.Body)
		resp.Body.Close()
		ts.Close()
		srv.Close()
		if err != nil {
			b.Fatal(err)
		}
		f := fams["vllm:time_to_first_token_seconds"]
		if f == nil || len(f.GetMetric()) == 0 {
			b.Fatal("no TTFT histogram in the simulator's metrics")
		}
		h := f.GetMetric()[0].GetHistogram()
		if int64(h.GetSampleCount()) != w.Succeeded {
			b.Fatalf("simulator saw %d first tokens, client %d", h.GetSampleCount(), w.Succeeded)
		}
		simMean := h.GetSampleSum() / float64(h.GetSampleCount()) * 1e6
		measured := w.Histogram(metric.TTFT).Mean()
		b.ReportMetric(measured-simMean, "mean-err-µs")
		b.ReportMetric(simMean, "sim-ttft-mean-µs")
	}
}

// runClean runs plan p against tg and fails b unless every request
// succeeded; it returns the result and its pooled window.
func runClean(b *testing.B, p load.Plan, tg load.Target) (*load.Result, *load.Window) {
	b.Helper()
	r, err := load.Run(context.Background(), p, tg)
	if err != nil {
		b.Fatal(err)
	}
	w, err := r.Pooled()
	if err != nil {
		b.Fatal(err)
	}
	if w.Failed > 0 || w.Succeeded == 0 {
		b.Fatalf("succeeded %d failed %d: %v", w.Succeeded, w.Failed, r.ErrorExamples)
	}
	return r, w
}
