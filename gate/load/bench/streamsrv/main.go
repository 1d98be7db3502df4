// Command streamsrv is perfgate's simulator set up for streaming benchmarks
// at high concurrency, with its own record of when each token left it.
//
// The engine is configured so that it is not the bottleneck: no batch or
// queue limit, no noise, every decode step --itl long whatever the batch,
// so time between tokens is --itl and time to first token is one or two
// steps. Every content token's write (and flush) is timed per request:
// TTFT is first content write − arrival of the request, ITL the gaps
// between content writes. GET /truth returns the quantiles of both since
// the last /truth, and resets them.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfgate/perfgate/gate/sim"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address")
	itl := flag.Duration("itl", 20*time.Millisecond, "time between tokens (one engine step)")
	flag.Parse()
	cfg := sim.DefaultConfig().NoNoise()
	cfg.StepBase, cfg.PrefillPerToken, cfg.DecodePerSeq = *itl, 0, 0
	cfg.Slots, cfg.KVTokens, cfg.MaxQueue, cfg.MaxBatchTokens = 1<<20, 1<<40, 1<<20, 1<<30
	srv, err := sim.NewServer(cfg)
	if err != nil {
		log.Fatal(err)
	}
	t := &truth{h: srv}
	t.reset()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /truth", t.serveTruth)
	mux.Handle("/", t)
	s := &http.Server{Addr: *addr, Handler: mux}
	log.Fatal(s.ListenAndServe())
}

type truth struct {
	h         http.Handler
	mu        sync.Mutex
	ttft, itl *hdrhistogram.Histogram // µs
	requests  int64
	tokens    int64
	total     int64 // tokens since start, never reset
}

func (t *truth) reset() {
	t.ttft = hdrhistogram.New(1, 600_000_000, 3)
	t.itl = hdrhistogram.New(1, 600_000_000, 3)
	t.requests, t.tokens = 0, 0
}

func (t *truth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" {
		t.h.ServeHTTP(w, r)
		return
	}
	tw := &tokenWriter{ResponseWriter: w, arrival: time.Now()}
	t.h.ServeHTTP(tw, r)
	if tw.n == 0 {
		return
	}
	t.mu.Lock()
	t.requests++
	t.tokens += int64(tw.n)
	t.total += int64(tw.n)
	t.ttft.RecordValue(tw.first.Sub(tw.arrival).Microseconds())
	for _, g := range tw.gaps {
		t.itl.RecordValue(g)
	}
	t.mu.Unlock()
}

func (t *truth) serveTruth(w http.ResponseWriter, _ *http.Request) {
	t.mu.Lock()
	q := func(h *hdrhistogram.Histogram) map[string]float64 {
		return map[string]float64{"p50": float64(h.ValueAtQuantile(50)) / 1e3, "p90": float64(h.ValueAtQuantile(90)) / 1e3,
			"p99": float64(h.ValueAtQuantile(99)) / 1e3, "mean": h.Mean() / 1e3}
	}
	out := map[string]any{"requests": t.requests, "tokens": t.tokens, "total_tokens": t.total, "ttft_ms": q(t.ttft), "itl_ms": q(t.itl)}
	t.reset()
	t.mu.Unlock()
	json.NewEncoder(w).Encode(out)
}

type tokenWriter struct {
	http.ResponseWriter
	arrival, first, last time.Time
	n                    int
	gaps                 []int64 // µs
}

func (w *tokenWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// contentToken marks a chunk with content (not the empty role chunk).
var contentToken = []byte(`"delta":{"content":"`)

func (w *tokenWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	http.NewResponseController(w.ResponseWriter).Flush()
	now := time.Now()
	for rest := b; ; {
		j := bytes.Index(rest, contentToken)
		if j < 0 {
			break
		}
		rest = rest[j+len(contentToken):]
		if len(rest) == 0 || rest[0] == '"' {
			continue
		}
		if w.n == 0 {
			w.first = now
		} else {
			w.gaps = append(w.gaps, now.Sub(w.last).Microseconds())
		}
		w.last = now
		w.n++
	}
	return n, err
}
