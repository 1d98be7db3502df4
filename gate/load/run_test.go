package load

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/perfgate/perfgate/gate/metric"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var tinyWorkload = Synthetic{Seed: 1, InputTokens: Dist{Mean: 4}, OutputTokens: Dist{Mean: 4}}

func okServer(t *testing.T, delay time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if delay > 0 {
			time.Sleep(delay)
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// allSent reports whether every scheduled request was sent; exact counts
// are only asserted then, since a machine busy enough to delay a send past
// the end of the schedule drops it (and the result says so).
func allSent(t *testing.T, r *Result) bool {
	t.Helper()
	if r.Validity.AchievedRatio < 1 {
		t.Logf("generator fell behind on a busy machine: %v", r.Validity.Reasons())
		return false
	}
	return true
}

func httpTarget(url string) Target {
	return Target{URL: url, API: APIHTTP, HTTP: []HTTPSpec{{Path: "/", Body: `{"p":{{json .prompt}}}`}}}
}

func TestAchievedRateMatchesSchedule(t *testing.T) {
	srv := okServer(t, 0)
	p := Plan{Pacer: ConstantPacer{Rate: 200}, Duration: 1500 * time.Millisecond, Warmup: 200 * time.Millisecond,
		Window: 500 * time.Millisecond, Workload: tinyWorkload}
	var progress atomic.Int64
	p.Progress = func(Snapshot) { progress.Add(1) }
	r, err := Run(context.Background(), p, httpTarget(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Windows) != 3 {
		t.Fatalf("%d windows, want 3", len(r.Windows))
	}
	if !allSent(t, r) {
		return
	}
	// Requests belong to the window of their intended time: exactly 100
	// per 500 ms window at 200/s, however late they were sent.
	for _, w := range r.Windows {
		if w.Sent != 100 || w.Succeeded != 100 || w.Histogram(metric.E2E).TotalCount() != 100 || w.Histogram(metric.ScheduleLag).TotalCount() != 100 {
			t.Errorf("window %d: sent %d succeeded %d errors %v", w.Index, w.Sent, w.Succeeded, w.Errors)
		}
	}
	if r.Warmup.Sent != 40 {
		t.Errorf("warm-up sent %d, want 40", r.Warmup.Sent)
	}
	if r.Offered != 200 || r.Achieved != 200 || r.Validity.AchievedRatio != 1 {
		t.Errorf("offered %v achieved %v ratio %v", r.Offered, r.Achieved, r.Validity.AchievedRatio)
	}
	if r.ColdStart <= 0 || r.ColdStart > time.Second {
		t.Errorf("cold start %v", r.ColdStart)
	}
	if r.Partial || r.Validity.TargetSaturated() {
		t.Errorf("partial %v saturated %v", r.Partial, r.Validity.TargetSaturated())
	}
	if progress.Load() == 0 {
		t.Error("progress was never reported")
	}
	pooled, err := r.Pooled()
	if err != nil || pooled.Sent != 300 || pooled.Histogram(metric.E2E).TotalCount() != 300 {
		t.Errorf("pooled: %v %+v", err, pooled)
	}
}

// stallServer answers at once, except that the first request arriving
// after stallAt holds a global lock for stall: every request in between
// waits, as in a server-wide pause.
func stallServer(t *testing.T, stallAt, stall time.Duration) *httptest.Server {
	var mu sync.Mutex
	var once sync.Once
	start := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if time.Since(start) >= stallAt {
			once.Do(func() {
				mu.Lock()
				time.AfterFunc(stall, mu.Unlock)
			})
		}
		mu.Lock()
		mu.Unlock()
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStallShowsInP99NoCoordinatedOmission(t *testing.T) {
	srv := stallServer(t, 500*time.Millisecond, 2*time.Second)
	p := Plan{Pacer: ConstantPacer{Rate: 100}, Duration: 3 * time.Second, Window: time.Second, Workload: tinyWorkload}
	r, err := Run(context.Background(), p, httpTarget(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Windows) != 3 {
		t.Fatalf("%d windows", len(r.Windows))
	}
	w1 := r.Windows[1] // scheduled entirely inside the stall
	for _, w := range r.Windows {
		t.Logf("window %d: sent %d ok %d errors %v inflight %d cap %d", w.Index, w.Sent, w.Succeeded, w.Errors, w.InFlightMax, w.CapReached)
	}
	t.Logf("offered %v achieved %v validity %+v", r.Offered, r.Achieved, r.Validity)
	// A generator starved of CPU by a busy machine may fall behind; it must
	// then say so instead of looking like a fast target.
	if allSent(t, r) && (w1.Sent != 100 || w1.Succeeded != 100) {
		t.Fatalf("window 1 sent %d succeeded %d: the schedule must not wait for the stalled server", w1.Sent, w1.Succeeded)
	}
	// Requests scheduled at 1.0..2.0 s complete when the stall ends near
	// 2.5 s: latencies from 1.5 s down to 0.5 s.
	if p99 := QuantileDuration(w1.Histogram(metric.E2E), 0.99); p99 < 1200*time.Millisecond {
		t.Errorf("window 1 e2e p99 %v, want >= 1.2s", p99)
	}
	if p50 := QuantileDuration(w1.Histogram(metric.E2E), 0.50); p50 < 700*time.Millisecond {
		t.Errorf("window 1 e2e p50 %v, want >= 0.7s", p50)
	}
	if p99 := QuantileDuration(r.Windows[0].Histogram(metric.E2E), 0.99); p99 < 1200*time.Millisecond {
		t.Errorf("window 0 e2e p99 %v: its last half was scheduled during the stall", p99)
	}
	if w1.InFlightMax < w1.Sent-10 {
		t.Errorf("in-flight max %d: requests were not sent while others were outstanding", w1.InFlightMax)
	}
	if lag := QuantileDuration(w1.Histogram(metric.ScheduleLag), 0.5); lag > 100*time.Millisecond {
		t.Errorf("schedule lag p50 %v during the stall: sends waited for responses", lag)
	}
}

func TestInFlightCapIsTargetSaturation(t *testing.T) {
	srv := stallServer(t, 0, 700*time.Millisecond)
	p := Plan{Pacer: ConstantPacer{Rate: 100}, Duration: time.Second, Window: 500 * time.Millisecond,
		MaxInFlight: 5, Workload: tinyWorkload}
	r, err := Run(context.Background(), p, httpTarget(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	w0 := r.Windows[0]
	if w0.CapReached == 0 || w0.InFlightMax > 5 {
		t.Fatalf("cap reached %d, in-flight max %d", w0.CapReached, w0.InFlightMax)
	}
	if !r.Validity.TargetSaturated() || !strings.Contains(strings.Join(r.Validity.Reasons(), ";"), "target saturated") {
		t.Errorf("validity %+v", r.Validity)
	}
	// Waiting for a free slot is target time: it shows in the response
	// time, not in the client's own lag.
	if p99 := QuantileDuration(w0.Histogram(metric.E2E), 0.99); p99 < 500*time.Millisecond {
		t.Errorf("e2e p99 %v, want the cap wait included", p99)
	}
	if r.Validity.LagP99 > 400*time.Millisecond {
		t.Errorf("client lag p99 %v includes the cap wait", r.Validity.LagP99)
	}
}

func TestClosedLoop(t *testing.T) {
	srv := okServer(t, 10*time.Millisecond)
	p := Plan{Concurrency: 4, Duration: time.Second, Window: 500 * time.Millisecond, Workload: tinyWorkload}
	r, err := Run(context.Background(), p, httpTarget(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	var sent int64
	for _, w := range r.Windows {
		sent += w.Sent
		if w.InFlightMax > 4 {
			t.Errorf("window %d in flight %d > 4", w.Index, w.InFlightMax)
		}
		if w.Failed != 0 {
			t.Errorf("window %d: %v", w.Index, r.ErrorExamples)
		}
	}
	// 4 workers x 1 s / 10 ms = at most 400 requests.
	if sent < 20 || sent > 410 {
		t.Errorf("sent %d, want within [20, 410]", sent)
	}
	if r.Offered != r.Achieved || !r.Validity.KeptUp() {
		t.Errorf("offered %v achieved %v validity %+v", r.Offered, r.Achieved, r.Validity)
	}
}

// sseServer streams n content chunks (fewer when the prompt asks for more
// than limit) and records the prompts it received.
func sseServer(t *testing.T, delay time.Duration, limit int, seen *sync.Map) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b openAIBody
		body, _ := io.ReadAll(r.Body)
		if err := jsonUnmarshal(body, &b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if seen != nil && len(b.Messages) == 1 {
			seen.Store(b.Messages[0].Content, true)
		}
		time.Sleep(delay)
		n := min(b.MaxTokens, limit)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":\"t%d\"}}],\"usage\":null}\n\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(time.Millisecond)
		}
		fmt.Fprintf(w, "data: {\"choices\":[],\"usage\":{\"completion_tokens\":%d}}\n\ndata: [DONE]\n\n", n)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStreamingRunMetricsAndGoodput(t *testing.T) {
	srv := sseServer(t, 5*time.Millisecond, 6, nil)
	wl := Synthetic{Seed: 3, InputTokens: Dist{Mean: 10}, OutputTokens: Dist{Kind: DistUniform, Min: 4, Max: 8}}
	p := Plan{Pacer: NewPoissonPacer(60, 0, 5), Duration: 800 * time.Millisecond, Window: 400 * time.Millisecond,
		Workload: wl, Good: GoodLimits{TTFT: time.Hour, TPOT: time.Hour, E2E: time.Hour}}
	tg := Target{URL: srv.URL, API: APIOpenAIChat, Model: "m", Stream: true}
	r, err := Run(context.Background(), p, tg)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := r.Pooled()
	if w.Succeeded == 0 || w.Failed != 0 {
		t.Fatalf("succeeded %d failed %d: %v", w.Succeeded, w.Failed, r.ErrorExamples)
	}
	for _, m := range []string{metric.E2E, metric.Service, metric.TTFT, metric.TPOT, metric.ITL, metric.OutputTokens, metric.ScheduleLag} {
		if w.Histogram(m) == nil || w.Histogram(m).TotalCount() == 0 {
			t.Errorf("no %s recorded", m)
		}
	}
	if w.Good != w.Succeeded {
		t.Errorf("good %d of %d under limits of an hour", w.Good, w.Succeeded)
	}
	// Requests for 7 or 8 tokens get 6: a length mismatch.
	var want int64
	for i := uint64(0); i < uint64(r.Warmup.Sent+w.Sent); i++ {
		if wl.Request(i).MaxTokens > 6 {
			want++
		}
	}
	if w.LengthMismatch == 0 || w.LengthMismatch != want {
		t.Errorf("length mismatch %d, want %d", w.LengthMismatch, want)
	}
	if ttft, e2e := Quantile(w.Histogram(metric.TTFT), 0.5), Quantile(w.Histogram(metric.E2E), 0.5); ttft >= e2e || ttft < 5000 {
		t.Errorf("ttft p50 %dµs, e2e p50 %dµs", ttft, e2e)
	}
	p.Good = GoodLimits{E2E: time.Microsecond}
	r, _ = Run(context.Background(), p, tg)
	if w, _ := r.Pooled(); w.Good != 0 || w.Succeeded == 0 {
		t.Errorf("good %d of %d under an e2e limit of 1µs", w.Good, w.Succeeded)
	}
}

func TestFailuresAreDataByClassAndStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// The synthetic prompt starts with the request index.
		var b openAIBody
		jsonUnmarshal(body, &b)
		i, _ := strconv.Atoi(strings.Fields(b.Messages[0].Content)[0])
		switch i % 4 {
		case 1:
			http.Error(w, "slow down", 429)
		case 2:
			http.Error(w, "boom", 503)
		default:
			io.WriteString(w, `{"choices":[{"message":{"content":"x"}}],"usage":{"completion_tokens":4}}`)
		}
	}))
	defer srv.Close()
	p := Plan{Pacer: ConstantPacer{Rate: 100}, Duration: 400 * time.Millisecond, Workload: tinyWorkload}
	r, err := Run(context.Background(), p, Target{URL: srv.URL, API: APIOpenAIChat, Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	w := r.Windows[0]
	if allSent(t, r) && (w.Sent != 40 || w.Succeeded != 20 || w.Failed != 20 || w.Errors[ErrHTTP4xx] != 10 || w.Errors[ErrHTTP5xx] != 10 ||
		w.Status[429] != 10 || w.Status[503] != 10 || w.OutputTokens != 80) {
		t.Errorf("sent %d ok %d failed %d errors %v status %v tokens %d", w.Sent, w.Succeeded, w.Failed, w.Errors, w.Status, w.OutputTokens)
	}
	if !strings.Contains(r.ErrorExamples[ErrHTTP4xx], "slow down") {
		t.Errorf("examples %v", r.ErrorExamples)
	}
}

func TestPairedAlignsWindowsAndPrompts(t *testing.T) {
	var seenBase, seenCand sync.Map
	base := sseServer(t, 0, 100, &seenBase)
	cand := sseServer(t, 20*time.Millisecond, 100, &seenCand)
	wl := Synthetic{Seed: 11, InputTokens: Dist{Kind: DistUniform, Min: 3, Max: 30}, OutputTokens: Dist{Mean: 3}}
	p := Plan{Pacer: NewPoissonPacer(80, 0, 7), Duration: 1200 * time.Millisecond, Window: 400 * time.Millisecond, Workload: wl}
	mk := func(u string) Target { return Target{URL: u, API: APIOpenAIChat, Model: "m", Stream: true} }
	br, cr, err := RunPaired(context.Background(), p, mk(base.URL), mk(cand.URL))
	if err != nil {
		t.Fatal(err)
	}
	if len(br.Windows) != 3 || len(cr.Windows) != 3 {
		t.Fatalf("windows %d / %d", len(br.Windows), len(cr.Windows))
	}
	exact := allSent(t, br) && allSent(t, cr)
	for i := range br.Windows {
		b, c := br.Windows[i], cr.Windows[i]
		if b.Start != c.Start || b.End != c.End || exact && b.Sent != c.Sent || b.Sent == 0 {
			t.Errorf("window %d: base [%v,%v) sent %d, candidate [%v,%v) sent %d", i, b.Start, b.End, b.Sent, c.Start, c.End, c.Sent)
		}
	}
	var nb, nc int
	seenBase.Range(func(k, _ any) bool {
		nb++
		if _, ok := seenCand.Load(k); !ok {
			t.Errorf("prompt sent to base only: %.30q", k)
		}
		return true
	})
	seenCand.Range(func(any, any) bool { nc++; return true })
	if exact && nb != nc || nb == 0 {
		t.Errorf("%d prompts on base, %d on candidate", nb, nc)
	}
	cw, _ := cr.Pooled()
	if p50 := QuantileDuration(cw.Histogram(metric.TTFT), 0.5); p50 < 20*time.Millisecond {
		t.Errorf("candidate ttft p50 %v, want >= its 20ms delay", p50)
	}
}

func TestCancelGivesPartialResult(t *testing.T) {
	var hang atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if hang.Load() {
			select {
			case <-time.After(10 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, func() { hang.Store(true) })
	time.AfterFunc(700*time.Millisecond, cancel)
	p := Plan{Pacer: ConstantPacer{Rate: 50}, Duration: 10 * time.Second, Window: 250 * time.Millisecond,
		Grace: 200 * time.Millisecond, Workload: tinyWorkload}
	start := time.Now()
	r, err := Run(ctx, p, httpTarget(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cancelled run took %v", took)
	}
	if !r.Partial || len(r.Windows) == 0 || len(r.Windows) >= 40 {
		t.Fatalf("partial %v, %d windows", r.Partial, len(r.Windows))
	}
	w, _ := r.Pooled()
	if w.Cancelled == 0 || w.Succeeded == 0 || w.Succeeded+w.Failed+w.Cancelled != w.Sent {
		t.Errorf("sent %d ok %d failed %d cancelled %d %v", w.Sent, w.Succeeded, w.Failed, w.Cancelled, w.Errors)
	}
	if r.Validity.AchievedRatio < 0.9 {
		t.Errorf("achieved ratio %v over the part that ran", r.Validity.AchievedRatio)
	}
}

func TestStopEarly(t *testing.T) {
	srv := okServer(t, 0)
	p := Plan{Pacer: ConstantPacer{Rate: 50}, Duration: 20 * time.Second, Workload: tinyWorkload,
		StopEarly: func(s Snapshot) bool { return s.Sent > 0 }}
	start := time.Now()
	r, err := Run(context.Background(), p, httpTarget(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if !r.StoppedEarly || !r.Partial || time.Since(start) > 10*time.Second {
		t.Errorf("stopped early %v partial %v after %v", r.StoppedEarly, r.Partial, time.Since(start))
	}
}

func TestScrapeDuringRun(t *testing.T) {
	capture, err := os.ReadFile(filepath.Join("testdata", "captures", "vllmsim-metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1)
		s := strings.Replace(string(capture), `vllm:kv_cache_usage_perc{model_name="fake-model"} 0`,
			fmt.Sprintf(`vllm:kv_cache_usage_perc{model_name="fake-model"} %g`, float64(k%4)/4), 1)
		io.WriteString(w, s)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tg := httpTarget(srv.URL)
	tg.MetricsURL = "/metrics"
	p := Plan{Pacer: ConstantPacer{Rate: 20}, Duration: time.Second, Window: 500 * time.Millisecond,
		ScrapeInterval: 50 * time.Millisecond, Workload: tinyWorkload}
	r, err := Run(context.Background(), p, tg)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := r.Pooled()
	kv, ok := w.Server["kv_cache_usage"]
	if !ok || kv.Samples < 2 || kv.Max < kv.Mean || kv.Max > 0.75 || r.ScrapeErrors != 0 {
		t.Errorf("kv %+v ok %v, scrape errors %d %s", kv, ok, r.ScrapeErrors, r.ScrapeError)
	}
	if _, ok := w.Server["requests_waiting"]; !ok {
		t.Errorf("series %v", w.Server)
	}
	tg.MetricsURL = "/nope"
	p.Duration = 300 * time.Millisecond
	r, _ = Run(context.Background(), p, tg)
	if r.ScrapeErrors == 0 || !strings.Contains(r.ScrapeError, "/nope: metrics: text format parsing error") {
		t.Errorf("scrape errors %d %q", r.ScrapeErrors, r.ScrapeError)
	}
}

func TestBrokenPlans(t *testing.T) {
	tg := httpTarget("http://127.0.0.1:1")
	cases := map[string]Plan{
		"duration": {Pacer: ConstantPacer{Rate: 1}, Workload: tinyWorkload},
		"pacer":    {Duration: time.Second, Workload: tinyWorkload},
		"workload": {Pacer: ConstantPacer{Rate: 1}, Duration: time.Second},
		"step":     {Pacer: StepPacer{}, Duration: time.Second, Workload: tinyWorkload},
		"dist":     {Pacer: ConstantPacer{Rate: 1}, Duration: time.Second, Workload: Synthetic{InputTokens: Dist{Kind: "x"}}},
	}
	for name, p := range cases {
		if _, err := Run(context.Background(), p, tg); err == nil || !strings.Contains(err.Error(), "plan") {
			t.Errorf("%s: %v", name, err)
		}
	}
	p := Plan{Pacer: ConstantPacer{Rate: 1}, Duration: time.Second, Workload: tinyWorkload}
	if _, _, err := RunPaired(context.Background(), p, tg, Target{URL: "http://x", API: "grpc"}); err == nil || !strings.Contains(err.Error(), "candidate") {
		t.Errorf("paired: %v", err)
	}
}

func TestConnectFailuresAreDataAndInvalidNothing(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	p := Plan{Pacer: ConstantPacer{Rate: 50}, Duration: 200 * time.Millisecond, Workload: tinyWorkload}
	r, err := Run(context.Background(), p, httpTarget(url))
	if err != nil {
		t.Fatal(err)
	}
	w := r.Windows[0]
	if w.Errors[ErrConnect] != w.Sent || w.Sent != 10 || r.ColdStart != 0 {
		t.Errorf("sent %d errors %v cold %v", w.Sent, w.Errors, r.ColdStart)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
