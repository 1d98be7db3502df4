package gate

import (
	"math"
	"sort"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// Value returns metric name's statistic stat of rec as the checks read it:
// pooled over the record's windows, the capacity's req/s, the error rate
// over every completed request. ok is false when rec did not measure it.
func Value(rec *baseline.Record, name, stat string) (v float64, unit string, ok bool) {
	if rec == nil {
		return 0, "", false
	}
	switch name {
	case metric.Capacity:
		if rec.Capacity == nil || !(rec.Capacity.RPS > 0) {
			return 0, metric.RPS, false
		}
		return rec.Capacity.RPS, metric.RPS, true
	case metric.ColdStart:
		return rec.ColdStart, metric.Ms, rec.ColdStart > 0
	case metric.ErrorRate:
		failed, total := rec.ErrorCounts()
		if total == 0 {
			return 0, metric.Ratio, false
		}
		return float64(failed) / float64(total), metric.Ratio, true
	}
	m := rec.Metrics[name]
	if m == nil {
		return 0, "", false
	}
	v, ok = m.Pooled.Stats[stat]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) || m.Pooled.Count == 0 {
		return 0, m.Unit, false
	}
	return v, m.Unit, true
}

// TrendPoint is one run in the trend of a metric.
type TrendPoint struct {
	Key    string    `json:"key,omitempty"`
	Commit string    `json:"commit,omitempty"`
	Branch string    `json:"branch,omitempty"`
	Time   time.Time `json:"time"`
	Value  float64   `json:"value"`
	Pinned bool      `json:"pinned,omitempty"`
	// Current marks the run being judged (not a stored one).
	Current bool `json:"current,omitempty"`
}

// Trend is the values of one statistic of a scenario over runs, oldest
// first.
type Trend struct {
	Scenario string       `json:"scenario"`
	Metric   string       `json:"metric"` // "e2e.p95"
	Unit     string       `json:"unit"`
	Points   []TrendPoint `json:"points"`
}

// TrendOf returns the trend of key ("e2e.p95", "requests_per_s") over
// stored runs (in any order: the points are sorted by time), then current,
// when not nil. Runs that did
// not measure it are left out; invalid and partial stored runs too, as the
// gate leaves them out of its history.
func TrendOf(scenario, key string, stored []*baseline.Record, current *baseline.Record) Trend {
	name, stat := metric.SplitName(key)
	t := Trend{Scenario: scenario, Metric: key}
	add := func(r *baseline.Record, cur bool) {
		v, unit, ok := Value(r, name, stat)
		if !ok {
			return
		}
		if t.Unit == "" {
			t.Unit = unit
		}
		t.Points = append(t.Points, TrendPoint{Key: r.Key, Commit: r.Commit, Branch: r.Branch, Time: r.Time, Value: v, Pinned: r.Pinned, Current: cur})
	}
	for _, r := range stored {
		if r != nil && r.Valid && !r.Partial {
			add(r, false)
		}
	}
	// A store lists pinned runs first: the trend is in time order.
	sort.SliceStable(t.Points, func(i, j int) bool { return t.Points[i].Time.Before(t.Points[j].Time) })
	if current != nil {
		add(current, true)
	}
	return t
}
