package sim

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// benchConfig is a noise-free configuration with room for every stream, so
// that the benchmark measures the server, not the model's queueing.
func benchConfig() Config {
	c := DefaultConfig().NoNoise()
	c.StepBase = time.Millisecond
	c.PrefillPerToken = 0
	c.DecodePerSeq = 0
	c.Slots = 4096
	c.KVTokens = 1 << 24
	c.MaxQueue = 1 << 16
	return c
}

// BenchmarkStreaming16 measures streaming completions of 16 tokens, each
// token its own SSE chunk and flush, through a real TCP connection on
// 127.0.0.1. It reports requests per second. With SIM_BENCH_URL set it
// drives that server instead (for example "perfgate sim --no-noise
// --step-base 1ms --prefill-per-token 0 --decode-per-seq 0 --slots 4096
// --kv-tokens 16777216" pinned to another core), so that client and server
// do not share a CPU.
//
// Measured on 2026-11-23 (2 shared cores, AMD EPYC): the server pinned to
// one core with GOMAXPROCS=1 spent 104-114 µs of CPU per request, i.e.
// 8,800-9,600 streaming requests/s per core; peak RSS 40 MB.
func BenchmarkStreaming16(b *testing.B) {
	url := os.Getenv("SIM_BENCH_URL")
	if url == "" {
		s, err := NewServer(benchConfig())
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(s)
		defer s.Close()
		defer ts.Close()
		url = ts.URL
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}}
	body := []byte(`{"prompt":"hello world","max_tokens":16,"ignore_eos":true,"stream":true}`)
	var failed atomic.Int64
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url+"/v1/completions", "application/json", bytes.NewReader(body))
			if err != nil {
				failed.Add(1)
				continue
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || n < 16*100 {
				failed.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d requests failed", f, b.N)
	}
}
