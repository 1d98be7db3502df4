package policies

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/perfgate/perfgate/gate/metric"
)

// MetricDefsVersion is metric.DefsVersion, stored with every record.
const MetricDefsVersion = metric.DefsVersion

// Units of metric values.
const (
	UnitMs    = metric.Ms
	UnitRatio = metric.Ratio
	UnitRPS   = metric.RPS
	UnitTPS   = metric.TPS
	UnitBytes = "bytes"
	UnitCount = "count"
)

// What a metric needs from the policy before it can be measured.
const (
	NeedsStreaming = metric.NeedsStreaming
	NeedsOpenAI    = metric.NeedsOpenAI
	NeedsGoodput   = metric.NeedsGoodput
	NeedsCapacity  = metric.NeedsCapacity
	NeedsPhases    = metric.NeedsPhases
	NeedsReplicas  = metric.NeedsReplicas
)

// Metric is one entry of the schema's #Catalog, which validates the metric
// names of policy files. Package metric is the catalog the rest of perfgate
// reads; TestCatalogMatchesSchema keeps the two in step.
type Metric struct {
	Name string `json:"-"`
	// Unit of the metric's values (Unit*).
	Unit string `json:"unit"`
	// Better is "lower" or "higher".
	Better string `json:"better"`
	// Stats is "percentiles" for distributions (referenced as name.p95) or
	// "value" for one number per window (referenced by name alone).
	Stats string `json:"stats"`
	// Needs is what the policy must have for the metric to exist (Needs*), or "".
	Needs string `json:"needs"`
	Doc   string `json:"doc"`
}

// HigherIsBetter reports whether an increase of the metric is an improvement.
func (m Metric) HigherIsBetter() bool { return m.Better == "higher" }

func decodeCatalog(v cue.Value) ([]Metric, error) {
	it, err := v.Fields()
	if err != nil {
		return nil, err
	}
	var out []Metric
	for it.Next() {
		var m Metric
		if err := it.Value().Decode(&m); err != nil {
			return nil, err
		}
		m.Name = it.Selector().Unquoted()
		out = append(out, m)
	}
	return out, nil
}

// Metrics returns the metric catalog in schema order.
func Metrics() []Metric {
	return append([]Metric(nil), schema().catalog...)
}

// LookupMetric returns the catalog entry of a metric name such as "ttft".
func LookupMetric(name string) (Metric, bool) {
	for _, m := range schema().catalog {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Stats are the statistics of distribution metrics, as in "ttft.p95".
var Stats = metric.Stats

// ServerStats are the statistics of scraped server series, as in "server.rss.max".
var ServerStats = metric.ServerStats

// MetricRef is a parsed metric reference: "ttft.p95", "error_rate" or
// "server.kv_cache_usage.max".
type MetricRef struct {
	Metric string // catalog name, or the series name when Server is true
	Stat   string // "" for value metrics
	Server bool
	// Phase is "before", "during" or "after" for a metric restricted to
	// those windows of a scenario with faults or a spike ("during.e2e.p95").
	Phase string
}

func (r MetricRef) String() string {
	var b strings.Builder
	if r.Phase != "" {
		b.WriteString(r.Phase + ".")
	}
	if r.Server {
		b.WriteString("server.")
	}
	b.WriteString(r.Metric)
	if r.Stat != "" {
		b.WriteString(".")
		b.WriteString(r.Stat)
	}
	return b.String()
}

// ParseMetricRef parses a metric reference. For server series it checks only
// the form; whether the series exists depends on the policy.
func ParseMetricRef(s string) (MetricRef, error) {
	if phase, rest := metric.SplitPhase(s); phase != "" {
		r, err := ParseMetricRef(rest)
		if err != nil {
			return r, err
		}
		r.Phase = phase
		return r, nil
	}
	if ref, ok, err := parseScopedRef(s); ok {
		return ref, err
	}
	if rest, ok := strings.CutPrefix(s, "server."); ok {
		name, stat, ok := strings.Cut(rest, ".")
		if !ok || name == "" || !slices.Contains(ServerStats, stat) {
			return MetricRef{}, fmt.Errorf("%q is not a server metric; expected server.NAME.max or server.NAME.mean", s)
		}
		return MetricRef{Metric: name, Stat: stat, Server: true}, nil
	}
	if m, ok := LookupMetric(s); ok {
		if m.Stats != "value" {
			return MetricRef{}, fmt.Errorf("%q needs a statistic, as in %q", s, s+".p95")
		}
		return MetricRef{Metric: s}, nil
	}
	name, stat, ok := strings.Cut(s, ".")
	m, known := LookupMetric(name)
	switch {
	case !known:
		return MetricRef{}, fmt.Errorf("unknown metric %q", s)
	case m.Stats == "value":
		return MetricRef{}, fmt.Errorf("%q has a single value per window and takes no statistic: write %q", s, name)
	case !ok || !slices.Contains(Stats, stat):
		return MetricRef{}, fmt.Errorf("unknown statistic %q of %s; expected one of %s", stat, name, strings.Join(Stats, ", "))
	}
	return MetricRef{Metric: name, Stat: stat}, nil
}

// metricRefNames lists every catalog reference ("e2e.p50", ..., "error_rate"),
// for suggestions.
func metricRefNames() []string {
	var out []string
	for _, m := range schema().catalog {
		if m.Stats == "value" {
			out = append(out, m.Name)
			continue
		}
		for _, s := range Stats {
			out = append(out, m.Name+"."+s)
		}
	}
	return out
}

// perRun reports whether metric name has one value per run (no windows),
// so no phase: "during.recovery" means nothing.
func perRun(name string) bool {
	switch name {
	case metric.Recovery, metric.ScaleUp, metric.Suffered, metric.Capacity, metric.ColdStart:
		return true
	}
	return false
}
