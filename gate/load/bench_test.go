package load

import (
	"bytes"
	"context"
	"fmt"
	"github.com/perfgate/perfgate/gate/metric"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

// ttftServer streams 8 tokens after a fixed prefill and records, per
// request index, when it started writing the first token.
type ttftServer struct {
	mu    sync.Mutex
	first map[uint64]time.Time
}

func (s *ttftServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i, _ := promptIndex(r)
	w.Header().Set("Content-Type", "text/event-stream")
	time.Sleep(2 * time.Millisecond) // prefill
	fl := w.(http.Flusher)
	for k := 0; k < 8; k++ {
		if k == 0 {
			now := time.Now()
			s.mu.Lock()
			s.first[i] = now
			s.mu.Unlock()
		}
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":\"t%d\"}}]}\n\n", k)
		fl.Flush()
		time.Sleep(500 * time.Microsecond)
	}
	io.WriteString(w, "data: {\"choices\":[],\"usage\":{\"completion_tokens\":8}}\n\ndata: [DONE]\n\n")
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// BenchmarkTTFTAccuracy compares measured TTFT with the server's own record
// of when it started writing the first token. Per request (client only): the delay
// between the server's write and the client's first-token timestamp. Per
// run (through Run): the median TTFT of the histograms against the median
// of the true TTFTs (first write - intended send time).
func BenchmarkTTFTAccuracy(b *testing.B) {
	srv := &ttftServer{first: map[uint64]time.Time{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tg := Target{URL: ts.URL, API: APIOpenAIChat, Model: "m", Stream: true}
	wl := Synthetic{Seed: 1, InputTokens: Dist{Mean: 16}, OutputTokens: Dist{Mean: 8}}
	for b.Loop() {
		c, err := prepareClient(tg, 4)
		if err != nil {
			b.Fatal(err)
		}
		var errs []time.Duration
		for i := uint64(1_000_000); i < 1_000_200; i++ {
			p := wl.Request(i)
			o := c.do(context.Background(), &p, nil)
			if o.class != "" {
				b.Fatal(o.msg)
			}
			srv.mu.Lock()
			errs = append(errs, o.first.Sub(srv.first[i]))
			srv.mu.Unlock()
		}
		b.ReportMetric(float64(median(errs).Microseconds()), "client-median-err-µs")
		b.ReportMetric(float64(errs[len(errs)*99/100].Microseconds()), "client-p99-err-µs")

		pacer := ConstantPacer{Rate: 100}
		r, err := Run(context.Background(), Plan{Pacer: pacer, Duration: 2 * time.Second, Window: time.Second, Workload: wl}, tg)
		if err != nil {
			b.Fatal(err)
		}
		w, _ := r.Pooled()
		var truth []time.Duration
		srv.mu.Lock()
		for n := uint64(0); n < uint64(w.Sent); n++ {
			due, _ := pacer.Pace(0, n)
			truth = append(truth, srv.first[n].Sub(r.Started.Add(due)))
		}
		srv.mu.Unlock()
		measured := QuantileDuration(w.Histogram(metric.TTFT), 0.5)
		diff := measured - median(truth)
		if diff < 0 {
			diff = -diff
		}
		b.ReportMetric(float64(diff.Microseconds()), "run-median-err-µs")
		b.ReportMetric(float64(median(truth).Microseconds()), "true-ttft-median-µs")
	}
}

// BenchmarkSSEParse measures the streaming parser on a real capture.
func BenchmarkSSEParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "captures", "vllmsim-chat-stream.sse"))
	if err != nil {
		b.Fatal(err)
	}
	c, _ := prepareClient(Target{URL: "http://127.0.0.1:1", API: APIOpenAIChat, Model: "m", Stream: true}, 1)
	itl := make([]time.Duration, 0, 64)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var o outcome
		o.itl = itl[:0]
		c.readStream(context.Background(), context.Background(), bytes.NewReader(data), &o)
		if o.class != "" || o.tokens != 8 {
			b.Fatal(o.msg)
		}
	}
}

// BenchmarkRecord measures the recorder's cost per successful streaming
// request (8 tokens).
func BenchmarkRecord(b *testing.B) {
	a, err := NewRecorder(Plan{Duration: time.Minute, Window: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	itl := []time.Duration{1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		at := time.Duration(i%60_000) * time.Millisecond
		a.Add(Sample{Intended: at, Sent: at + 50*time.Microsecond, First: at + 30*time.Millisecond,
			Done: at + 40*time.Millisecond, Tokens: 8, Want: 8, InFlight: 3, ITL: itl})
	}
}

// BenchmarkHotPath measures one closed-loop request through the runner's
// per-request path (client, sample, recorder) against a local server, for
// allocations per request.
func BenchmarkHotPath(b *testing.B) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	defer ts.Close()
	c, err := prepareClient(Target{URL: ts.URL, API: APIHTTP, HTTP: []HTTPSpec{{Path: "/"}}}, 4)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("client", func(b *testing.B) {
		b.ReportAllocs()
		p := Prompt{}
		for b.Loop() {
			if o := c.do(context.Background(), &p, nil); o.class != "" {
				b.Fatal(o.msg)
			}
		}
	})
	b.Run("net/http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := c.hc.Get(ts.URL + "/")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
