package gate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// promGap says why a series queried from Prometheus (target.prometheus)
// was not measured in rec, or "" when it was; ok is false for any other
// metric. A Prometheus series is measured when at least half of the
// windows have a value (MinScrapeCoverage, as for scraped series).
func promGap(rec *baseline.Record, m, stat string) (why string, ok bool) {
	src := rec.Prometheus
	name, isServer := strings.CutPrefix(m, metric.ServerPrefix)
	if src == nil || !isServer {
		return "", false
	}
	if e, failed := src.Errors[name]; failed {
		return e, true
	}
	if !slices.Contains(src.Series, name) {
		return "", false
	}
	bm := rec.Metrics[m]
	if bm == nil || !hasStat(bm, stat) {
		return fmt.Sprintf("Prometheus returned no %s of %s", stat, name), true
	}
	var got int
	for _, w := range bm.Windows {
		if w.Count > 0 {
			got++
		}
	}
	if float64(got) < MinScrapeCoverage*float64(len(rec.Windows)) {
		return fmt.Sprintf("Prometheus had values for %d of %d windows", got, len(rec.Windows)), true
	}
	return "", true
}
