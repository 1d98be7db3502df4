package load_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/sim"
)

// tokenLog wraps a simulator and records, per request index (the first
// word of the prompt), when each content token left it: the time its
// Write returned.
type tokenLog struct {
	h     http.Handler
	mu    sync.Mutex
	times map[uint64][]time.Time
}

func (s *tokenLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		Messages []struct{ Content string } `json:"messages"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.Messages) == 0 {
		s.h.ServeHTTP(w, r)
		return
	}
	i, _ := strconv.ParseUint(strings.Fields(req.Messages[0].Content)[0], 10, 64)
	s.h.ServeHTTP(&tokenWriter{ResponseWriter: w, log: s, i: i}, r)
}

type tokenWriter struct {
	http.ResponseWriter
	log *tokenLog
	i   uint64
}

func (w *tokenWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// contentToken marks a chunk with content (not the empty role chunk).
var contentToken = []byte(`"delta":{"content":"`)

func (w *tokenWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	http.NewResponseController(w.ResponseWriter).Flush()
	now := time.Now()
	k := 0
	for rest := b; ; {
		j := bytes.Index(rest, contentToken)
		if j < 0 {
			break
		}
		rest = rest[j+len(contentToken):]
		if len(rest) > 0 && rest[0] != '"' {
			k++
		}
	}
	w.log.mu.Lock()
	for ; k > 0; k-- {
		w.log.times[w.i] = append(w.log.times[w.i], now)
	}
	w.log.mu.Unlock()
	return n, err
}

func quantile(d []time.Duration, q float64) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// BenchmarkStreamingAccuracy compares the TTFT and ITL quantiles Run
// records with the simulator's record of when each token left it (TTFT:
// first content write − intended send; ITL: gaps between content writes),
// at several rates. The simulator is fast (1-ms steps, 8 output tokens),
// so the client's error is not hidden in a long latency.
func BenchmarkStreamingAccuracy(b *testing.B) {
	for _, rate := range []float64{50, 200, 1000, 2000} {
		b.Run(fmt.Sprintf("rate=%.0f", rate), func(b *testing.B) {
			for b.Loop() {
				streamingAccuracy(b, rate)
			}
		})
	}
}

func streamingAccuracy(b *testing.B, rate float64) {
	cfg := sim.DefaultConfig().NoNoise()
	cfg.StepBase, cfg.PrefillPerToken, cfg.DecodePerSeq = time.Millisecond, time.Microsecond, time.Microsecond
	cfg.Slots, cfg.MaxQueue = 1024, 8192
	srv, err := sim.NewServer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	logged := &tokenLog{h: srv, times: map[uint64][]time.Time{}}
	ts := httptest.NewServer(logged)
	defer ts.Close()
	pacer := load.ConstantPacer{Rate: rate}
	wl := load.Synthetic{Seed: 1, InputTokens: load.Dist{Mean: 16}, OutputTokens: load.Dist{Mean: 8}}
	p := load.Plan{Pacer: pacer, Duration: 3 * time.Second, Window: time.Second, Workload: wl}
	tg := load.Target{URL: ts.URL, API: load.APIOpenAIChat, Model: cfg.Model, Stream: true}
	r, w := runClean(b, p, tg)
	var ttft, itl []time.Duration
	logged.mu.Lock()
	for n, ts := range logged.times {
		due, _ := pacer.Pace(0, n)
		ttft = append(ttft, ts[0].Sub(r.Started.Add(due)))
		for k := 1; k < len(ts); k++ {
			itl = append(itl, ts[k].Sub(ts[k-1]))
		}
	}
	logged.mu.Unlock()
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	for _, q := range []float64{0.5, 0.99} {
		tag := strconv.Itoa(int(q * 100))
		b.ReportMetric(us(load.QuantileDuration(w.Histogram(metric.TTFT), q)-quantile(ttft, q)), "ttft-p"+tag+"-err-µs")
		b.ReportMetric(us(load.QuantileDuration(w.Histogram(metric.ITL), q)-quantile(itl, q)), "itl-p"+tag+"-err-µs")
	}
	b.ReportMetric(us(quantile(ttft, 0.5)), "sim-ttft-p50-µs")
	b.ReportMetric(us(quantile(itl, 0.5)), "sim-itl-p50-µs")
	b.ReportMetric(r.Achieved, "req/s")
	b.ReportMetric(us(r.Validity.OverheadP99), "overhead-p99-µs")
}
