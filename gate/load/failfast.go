package load

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/errmsg"
)

// FailFast stops a run whose first requests all or nearly all fail: a
// target that answers every request with an error (a wrong model name, a
// server answering 500) is not load-tested for the whole schedule. The
// decision is taken once, when Requests requests have completed (warm-up
// included) or Within has passed since the start with at least
// FailFastMinRequests completed, whichever comes first; from then on
// failures are data.
type FailFast struct {
	// ErrorRate is the share of failed requests (0 < ErrorRate ≤ 1) at or
	// above which the run stops.
	ErrorRate float64
	Requests  int
	Within    time.Duration
}

// FailFastMinRequests is the fewest completed requests FailFast decides on.
const FailFastMinRequests = 5

// Abort says why FailFast stopped a run.
type Abort struct {
	Arm      string        // "" for Run, "base" or "candidate" for RunPaired
	After    time.Duration // since the start of the run
	Requests int64         // requests completed when it was decided
	Failed   int64
	// Class is the dominant error class and Count its failures; Status is
	// the most frequent HTTP status among them (0 when none had one).
	Class  string
	Count  int64
	Status int
	// Message is the first error message of the class, the server's own
	// message when its answer carried one: secrets removed, one line,
	// truncated.
	Message string
}

// String is one line that says what failed and why, such as
// `438 of 438 requests failed: http-4xx 404 Not Found: The model ... does not exist.`.
func (a *Abort) String() string {
	s := fmt.Sprintf("%s of %s requests failed in the first %s", metric.Thousands(float64(a.Failed)), metric.Thousands(float64(a.Requests)), a.After.Round(100*time.Millisecond))
	if a.Arm != "" {
		s = a.Arm + ": " + s
	}
	s += fmt.Sprintf(", %s of them %s", metric.Thousands(float64(a.Count)), a.Class)
	if a.Message != "" {
		s += ": " + a.Message
	}
	return s
}

// errorTally counts a run's failures by class and, per class, by status.
type errorTally struct {
	byClass  map[string]int64
	byStatus map[string]map[int]int64
	decided  bool
}

func (t *errorTally) add(class string, status int) {
	if t.byClass == nil {
		t.byClass, t.byStatus = map[string]int64{}, map[string]map[int]int64{}
	}
	t.byClass[class]++
	if status != 0 {
		if t.byStatus[class] == nil {
			t.byStatus[class] = map[int]int64{}
		}
		t.byStatus[class][status]++
	}
}

// top returns the most frequent error class (ties: by name), its count and
// its most frequent status.
func (t *errorTally) top() (class string, n int64, status int) {
	for c, k := range t.byClass {
		if k > n || k == n && c < class {
			class, n = c, k
		}
	}
	var sn int64
	for s, k := range t.byStatus[class] {
		if k > sn || k == sn && s < status {
			status, sn = s, k
		}
	}
	return class, n, status
}

// TopErrors returns "CLASS N" for the most frequent error classes recorded
// so far (at most two, most frequent first), for progress lines.
func (r *Recorder) TopErrors() string {
	type kv struct {
		c string
		n int64
	}
	var all []kv
	for c, n := range r.errs.byClass {
		all = append(all, kv{c, n})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].c < all[j].c })
	_, _, st := r.errs.top()
	var parts []string
	for i, e := range all {
		if i == 2 {
			break
		}
		label := e.c
		if i == 0 && st != 0 {
			label = fmt.Sprintf("%s %d", e.c, st)
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", label, e.n))
	}
	return strings.Join(parts, ", ")
}

// failFast decides, once, whether the run should stop at run time now
// under f; it returns the reason, or nil to go on.
func (r *Recorder) failFast(f *FailFast, now time.Duration) *Abort {
	if f == nil || r.errs.decided {
		return nil
	}
	done := r.succeeded + r.failed
	if done < int64(max(f.Requests, 1)) && (now < f.Within || done < FailFastMinRequests) {
		return nil
	}
	r.errs.decided = true
	if r.failed == 0 || float64(r.failed) < f.ErrorRate*float64(done) {
		return nil
	}
	class, n, status := r.errs.top()
	return &Abort{After: now, Requests: done, Failed: r.failed, Class: class, Count: n, Status: status,
		Message: errmsg.Short(r.res.ErrorExamples[class])}
}

// markStopped records when sending stopped before the schedule's end.
func (r *runner) markStopped() {
	r.stopped.CompareAndSwap(0, int64(time.Since(r.t0)))
}
