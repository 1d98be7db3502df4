package gate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/errmsg"
)

// errorCause names what a scenario's failed requests mostly were: the
// dominant error class with its count, the most frequent HTTP status and
// the server's own message (shortened, secrets already removed), such as
// "1,200 of 1,200 requests failed, mostly http-5xx (1,200, status 500):
// 500 Internal Server Error: CUDA out of memory". "" when none failed.
func errorCause(rec *baseline.Record) string {
	if rec == nil {
		return ""
	}
	byClass, byStatus := map[string]int64{}, map[string]int64{}
	for _, w := range rec.Windows {
		for c, n := range w.Errors {
			byClass[c] += n
		}
		for s, n := range w.Status {
			byStatus[s] += n
		}
	}
	failed, total := rec.ErrorCounts()
	if failed == 0 {
		return ""
	}
	class, n := top(byClass)
	status, _ := top(byStatus)
	s := fmt.Sprintf("%s of %s requests failed, mostly %s (%s", metric.Thousands(float64(failed)), metric.Thousands(float64(total)), class, metric.Thousands(float64(n)))
	if _, err := strconv.Atoi(status); err == nil && (class == "http-4xx" || class == "http-5xx") {
		s += ", status " + status
	}
	s += ")"
	if msg := errmsg.Short(rec.ErrorExamples[class]); msg != "" {
		s += ": " + msg
	}
	return s
}

// top returns the key with the largest count (ties: the smallest key).
func top(m map[string]int64) (string, int64) {
	best, n := "", int64(0)
	for k, v := range m {
		if v > n || v == n && k < best {
			best, n = k, v
		}
	}
	return best, n
}

// withCause appends to a run's reason what the failed requests mostly were
// when one of the checks it names (the first of cs, or any failing
// error_rate check) is an error rate.
func withCause(reason string, cs []Check, runs []*baseline.Record) string {
	for i, c := range cs {
		if c.Metric != metric.ErrorRate || i > 0 && c.Verdict != Fail {
			continue
		}
		if cause := errorCause(runOf(runs, c.Scenario)); cause != "" {
			return reason + " " + strings.TrimSuffix(cause, ".") + "."
		}
	}
	return reason
}
