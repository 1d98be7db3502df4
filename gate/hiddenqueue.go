package gate

import (
	"fmt"
	"math"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// Thresholds of hiddenQueueWarning: the client's TTFT window median grew
// by at least HiddenQueueGrowth times and HiddenQueueMinMs milliseconds
// across the run while the server's waiting-requests gauge never exceeded
// HiddenQueueMaxWaiting.
const (
	HiddenQueueGrowth     = 2.0
	HiddenQueueMinMs      = 1000.0
	HiddenQueueMaxWaiting = 2.0
)

// hiddenQueueWarning says when the client's time to first token and the
// server's queue metric disagree: TTFT grew across the windows as a queue
// does, while server.requests_waiting stayed near empty. The requests then
// waited in a queue the metric does not count (llama.cpp's HTTP thread
// pool: requests_deferred stayed at most 2 while TTFT reached 4 s), so
// an SLO on the server's queue would pass a queueing server; the client's
// TTFT is the measure to trust. "" when they agree or one is missing.
func hiddenQueueWarning(rec *baseline.Record) string {
	ttft, waiting := rec.Metrics[metric.TTFT], rec.Metrics[metric.ServerPrefix+"requests_waiting"]
	if ttft == nil || waiting == nil || waiting.Pooled.Count == 0 {
		return ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, w := range ttft.Windows {
		if v, ok := w.Stats["p50"]; ok && w.Count > 0 && !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	maxWaiting, ok := waiting.Pooled.Stats["max"]
	if !ok || math.IsInf(lo, 0) || hi < HiddenQueueGrowth*lo || hi-lo < HiddenQueueMinMs || maxWaiting > HiddenQueueMaxWaiting {
		return ""
	}
	return fmt.Sprintf("scenario %s: the client's TTFT (window median) rose from %s to %s while the server's waiting requests (server.requests_waiting) never exceeded %s: requests waited in a queue that metric does not count (llama.cpp's HTTP thread pool does this), so trust the TTFT, not the server's queue metric",
		rec.Scenario, metric.Format(lo, metric.Ms), metric.Format(hi, metric.Ms), metric.FormatNumber(maxWaiting))
}
