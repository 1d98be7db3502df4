package eval

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/sim"
)

// TestEvaluationRecordsLikeARealRun runs one short scenario twice: in
// virtual time as the evaluation does, and for real with the load engine
// against the simulated server over HTTP. Both go through load.Recorder, so
// they must agree on the windows, the metrics recorded in them and the
// record's metric set; only the values differ (real time has its own
// noise).
func TestEvaluationRecordsLikeARealRun(t *testing.T) {
	wl := Workload{PromptMean: 32, OutputTokens: 8, Warmup: 500 * time.Millisecond, Duration: 2 * time.Second, Window: 500 * time.Millisecond}
	cfg := sim.DefaultConfig().NoNoise()
	p := wl.plan(ScenarioSteady, 10)

	virtual, err := wl.result(cfg, p, wl.schedule(p, 1))
	if err != nil {
		t.Fatal(err)
	}

	srv, err := sim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	live := p
	live.Workload = load.Synthetic{Seed: 1, InputTokens: load.Dist{Mean: wl.PromptMean}, OutputTokens: load.Dist{Mean: float64(wl.OutputTokens)}}
	measured, err := load.Run(context.Background(), live, load.Target{URL: ts.URL, API: load.APIOpenAIChat, Model: cfg.Model, Stream: true})
	if err != nil {
		t.Fatal(err)
	}

	if len(virtual.Windows) != 4 || len(measured.Windows) != len(virtual.Windows) {
		t.Fatalf("windows: virtual %d, real %d, want 4", len(virtual.Windows), len(measured.Windows))
	}
	want := []string{metric.E2E, metric.ITL, metric.OutputTokens, metric.ScheduleLag, metric.Service, metric.TPOT, metric.TTFT}
	for i, vw := range virtual.Windows {
		mw := measured.Windows[i]
		if vw.Start != mw.Start || vw.End != mw.End {
			t.Errorf("window %d: virtual [%v, %v), real [%v, %v)", i, vw.Start, vw.End, mw.Start, mw.End)
		}
		if got := vw.Metrics(); !slices.Equal(got, want) {
			t.Errorf("virtual window %d records %v, want %v", i, got, want)
		}
		if mw.Failed == 0 && !slices.Equal(mw.Metrics(), vw.Metrics()) {
			t.Errorf("window %d: real records %v, virtual %v", i, mw.Metrics(), vw.Metrics())
		}
		if vw.Sent != 5 || vw.Succeeded != 5 || vw.Good != 5 || vw.LengthMismatch != 0 {
			t.Errorf("virtual window %d: sent %d, succeeded %d, good %d, length mismatches %d", i, vw.Sent, vw.Succeeded, vw.Good, vw.LengthMismatch)
		}
	}
	if !virtual.Validity.KeptUp() || virtual.Validity.Sent != 20 || virtual.Offered != 10 || virtual.ColdStart <= 0 {
		t.Errorf("virtual run: offered %v, cold start %v, validity %+v %q", virtual.Offered, virtual.ColdStart, virtual.Validity, virtual.Validity.Reasons())
	}

	vrec, err := load.Summarize(virtual, load.RunMeta{Policy: "eval"})
	if err != nil {
		t.Fatal(err)
	}
	mrec, err := load.Summarize(measured, load.RunMeta{Policy: "eval"})
	if err != nil {
		t.Fatal(err)
	}
	if v, m := slices.Sorted(maps.Keys(vrec.Metrics)), slices.Sorted(maps.Keys(mrec.Metrics)); !slices.Equal(v, m) {
		t.Errorf("record metrics: virtual %v, real %v", v, m)
	}
}

// TestSampleOfARejectedRequest: an answer other than 200 is a failure of
// the HTTP class of its status, without latencies.
func TestSampleOfARejectedRequest(t *testing.T) {
	q := sim.Request{Arrival: time.Second, PromptTokens: 10, MaxTokens: 4}
	for status, class := range map[int]string{http.StatusTooManyRequests: load.ErrHTTP4xx, http.StatusServiceUnavailable: load.ErrHTTP5xx} {
		s := sample(q, sim.Timing{Status: status, Arrival: time.Second}, nil)
		if s.Class != class || s.Status != status || s.First >= 0 || s.Tokens >= 0 || s.Done != time.Second {
			t.Errorf("status %d: %+v", status, s)
		}
	}
	s := sample(q, sim.Timing{Status: http.StatusOK, Arrival: time.Second, FirstToken: 2 * time.Second, End: 4 * time.Second, OutputTokens: 3,
		TokenTimes: []time.Duration{2 * time.Second, 3 * time.Second, 4 * time.Second}}, nil)
	if s.Class != "" || s.First != 2*time.Second || s.Tokens != 3 || s.Want != 4 || len(s.ITL) != 2 || s.ITL[1] != time.Second {
		t.Errorf("served: %+v", s)
	}
}
