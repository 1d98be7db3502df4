package gate

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

// TestHiddenQueue: TTFT that grows like a queue while the server's queue
// gauge stays near empty (llama.cpp: requests_deferred at most 2 while TTFT
// reached 4 s) is noted; a queue the gauge shows, or a flat TTFT, is not.
func TestHiddenQueue(t *testing.T) {
	rec := func(ttftP50 []float64, waitingMax float64) *baseline.Record {
		r := &baseline.Record{Scenario: "steady", Metrics: map[string]*baseline.Metric{}}
		ttft := &baseline.Metric{Unit: "ms"}
		for _, v := range ttftP50 {
			ttft.Windows = append(ttft.Windows, baseline.WindowStats{Count: 20, Stats: map[string]float64{"p50": v}})
		}
		r.Metrics["ttft"] = ttft
		r.Metrics["server.requests_waiting"] = &baseline.Metric{Pooled: baseline.WindowStats{Count: 12, Stats: map[string]float64{"max": waitingMax, "mean": waitingMax / 2}}}
		return r
	}
	if w := hiddenQueueWarning(rec([]float64{300, 900, 2200, 4000}, 2)); !strings.Contains(w, "rose from 300 ms to 4.00 s") || !strings.Contains(w, "never exceeded 2") {
		t.Errorf("hidden queue not noted: %q", w)
	}
	for name, r := range map[string]*baseline.Record{
		"the gauge shows the queue": rec([]float64{300, 900, 2200, 4000}, 14),
		"flat TTFT":                 rec([]float64{300, 320, 310, 330}, 0),
		"small growth":              rec([]float64{100, 150, 250, 400}, 0),
	} {
		if w := hiddenQueueWarning(r); w != "" {
			t.Errorf("%s: noted %q", name, w)
		}
	}
}
