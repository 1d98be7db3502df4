package load

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
)

// writeLog is a chat server that answers at once and records, per request
// index (the first word of the prompt), when it finished writing the
// response.
type writeLog struct {
	mu    sync.Mutex
	wrote map[uint64]time.Time
}

func (s *writeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b openAIBody
	body, _ := io.ReadAll(r.Body)
	jsonUnmarshal(body, &b)
	if len(b.Messages) == 0 {
		http.Error(w, "no messages", http.StatusBadRequest)
		return
	}
	i, err := strconv.ParseUint(strings.Fields(b.Messages[0].Content)[0], 10, 64)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"choices":[{"message":{"content":"ok"}}],"usage":{"completion_tokens":1}}`)
	w.(http.Flusher).Flush()
	now := time.Now()
	s.mu.Lock()
	s.wrote[i] = now
	s.mu.Unlock()
}

// TestLatencyMatchesServerWrites checks that the load generator does not
// delay its observation of responses: at 2,000 req/s on one processor, the
// median e2e latency it records must match the median of the true ones
// (the server's write time − the intended send time) within 2 ms. A
// dispatcher that keeps the processor busy until each send leaves the
// responses to the runtime's background network poll (every 10 ms) and
// misses by about 5 ms; a healthy one by well under 0.5 ms, so the margin
// holds on a busy machine too.
func TestLatencyMatchesServerWrites(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	srv := &writeLog{wrote: map[uint64]time.Time{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	pacer := ConstantPacer{Rate: 2000}
	tg := Target{URL: ts.URL, API: APIOpenAIChat, Model: "m", FreeLength: true}
	p := Plan{Pacer: pacer, Duration: 1500 * time.Millisecond, Window: 500 * time.Millisecond,
		Workload: Synthetic{Seed: 1, InputTokens: Dist{Mean: 8}, OutputTokens: Dist{Mean: 8}}}
	res, err := Run(context.Background(), p, tg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := res.Pooled()
	if err != nil {
		t.Fatal(err)
	}
	if w.Failed > 0 || w.Succeeded < 1000 {
		t.Fatalf("succeeded %d failed %d: %v", w.Succeeded, w.Failed, res.ErrorExamples)
	}
	var truth []time.Duration
	srv.mu.Lock()
	for n, at := range srv.wrote {
		due, _ := pacer.Pace(0, n)
		truth = append(truth, at.Sub(res.Started.Add(due)))
	}
	srv.mu.Unlock()
	measured := QuantileDuration(w.Histogram(metric.E2E), 0.5)
	want := median(truth)
	t.Logf("e2e p50: recorded %v, server writes %v (%d requests)", measured, want, len(truth))
	if d := measured - want; d > 2*time.Millisecond || d < -2*time.Millisecond {
		t.Errorf("recorded e2e p50 %v differs from the server's %v by %v (limit 2ms)", measured, want, d)
	}
}
