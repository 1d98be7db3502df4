// Package metric is perfgate's one catalog of metrics: each metric's name,
// unit, which direction is better, which statistics it has, and how its
// values print. Policies, the load generator, the decision logic and the
// reports all read it; a test in package policies keeps it in step with the
// schema's #Catalog, which validates policy files.
//
// It is a leaf: it imports only the standard library.
package metric

import (
	"math"
	"strings"
)

// DefsVersion names the version of the metric definitions (docs/metrics.md).
// It is stored with every record, so values measured under another
// definition are never compared silently. Bump it when a definition changes
// meaning.
const DefsVersion = "perfgate/metrics/v1"

// Units of metric values as stored in records and shown in reports.
const (
	Ms     = "ms"     // milliseconds
	Ratio  = "ratio"  // a fraction in [0, 1]
	RPS    = "req/s"  // requests per second
	TPS    = "tok/s"  // tokens per second
	Tokens = "tokens" // a token count
	Bytes  = "bytes"
)

// Metric names. The first group is recorded per request into per-window
// histograms; the second is computed per window from counts.
const (
	E2E          = "e2e"           // intended send -> last byte (includes client-side queueing)
	Service      = "service"       // actual send -> last byte
	TTFT         = "ttft"          // intended send -> first chunk with content
	TPOT         = "tpot"          // (e2e - ttft) / (output_tokens - 1)
	ITL          = "itl"           // every gap between content chunks
	OutputTokens = "output_tokens" // output tokens per successful request
	ScheduleLag  = "schedule_lag"  // actual send - intended send (the client's own delay)

	RequestsPerS     = "requests_per_s"
	OutputTokensPerS = "output_tokens_per_s"
	Goodput          = "goodput"
	ErrorRate        = "error_rate"
	Capacity         = "capacity"
	ColdStart        = "cold_start"

	// Fault phases and autoscaling (gate/phases_fault.go, gate/autoscale.go).
	Recovery = "recovery" // end of a fault or spike -> latency and errors back within tolerance
	ScaleUp  = "scale_up" // start of a spike -> the replicas series rises
	Suffered = "suffered" // share of requests that failed or were slow from a spike's start to recovery
)

// Phases restrict a metric to the windows before, during or after a
// scenario's faults (or its spike): "during.e2e.p95".
var Phases = []string{"before", "during", "after"}

// SplitPhase splits "during.e2e" into "during" and "e2e"; phase is "" when
// name has no phase prefix.
func SplitPhase(name string) (phase, rest string) {
	for _, p := range Phases {
		if r, ok := strings.CutPrefix(name, p+"."); ok {
			return p, r
		}
	}
	return "", name
}

// ReplicasSeries is the server series (from target.metrics or
// target.prometheus) that counts a deployment's replicas.
const ReplicasSeries = "replicas"

// ServerPrefix starts the name of a series scraped from the target's
// metrics endpoint: "server.kv_cache_usage".
const ServerPrefix = "server."

// Kind says which statistics a metric has.
type Kind string

const (
	// Percentiles: a distribution, referenced as "name.p95" (Stats).
	Percentiles Kind = "percentiles"
	// Value: one number per window, referenced by the name alone.
	Value Kind = "value"
)

// Requirements a metric has of the policy before it can be measured.
const (
	NeedsStreaming = "streaming" // an OpenAI API with stream: true
	NeedsOpenAI    = "openai"    // an OpenAI API
	NeedsGoodput   = "goodput"   // a goodput section
	NeedsCapacity  = "capacity"  // a capacity scenario
	NeedsPhases    = "phases"    // a scenario with faults, or a spike
	NeedsReplicas  = "replicas"  // a spike scenario and a replicas server series
)

// Def is one metric of the catalog.
type Def struct {
	Name string
	// Unit of the stored values (Ms, Ratio, RPS, TPS, Tokens).
	Unit string
	// HigherIsBetter is true for throughput-like metrics.
	HigherIsBetter bool
	// Kind is Percentiles or Value.
	Kind Kind
	// Needs is what the policy must have for the metric to exist, or "".
	Needs string
	// Policy is true when a policy may name the metric in SLOs and gates
	// (the schema's #Catalog lists exactly these); the others are recorded
	// for reports and self-checks.
	Policy bool
	// Recorded is true for metrics recorded per request into histograms.
	Recorded bool
	// Scheduled is true for a throughput that an open-loop scenario fixes:
	// below saturation it is the offered load (times the requested output
	// length), whatever the server does (ScheduleBound).
	Scheduled bool
}

// catalog is in the schema's order; the recorded-only metrics follow.
var catalog = []Def{
	{Name: E2E, Unit: Ms, Kind: Percentiles, Policy: true, Recorded: true},
	{Name: Service, Unit: Ms, Kind: Percentiles, Policy: true, Recorded: true},
	{Name: TTFT, Unit: Ms, Kind: Percentiles, Needs: NeedsStreaming, Policy: true, Recorded: true},
	{Name: TPOT, Unit: Ms, Kind: Percentiles, Needs: NeedsStreaming, Policy: true, Recorded: true},
	{Name: ITL, Unit: Ms, Kind: Percentiles, Needs: NeedsStreaming, Policy: true, Recorded: true},
	{Name: RequestsPerS, Unit: RPS, HigherIsBetter: true, Kind: Value, Policy: true, Scheduled: true},
	{Name: OutputTokensPerS, Unit: TPS, HigherIsBetter: true, Kind: Value, Needs: NeedsOpenAI, Policy: true, Scheduled: true},
	{Name: Goodput, Unit: RPS, HigherIsBetter: true, Kind: Value, Needs: NeedsGoodput, Policy: true},
	{Name: ErrorRate, Unit: Ratio, Kind: Value, Policy: true},
	{Name: Capacity, Unit: RPS, HigherIsBetter: true, Kind: Value, Needs: NeedsCapacity, Policy: true},
	{Name: ColdStart, Unit: Ms, Kind: Value, Policy: true},
	{Name: Recovery, Unit: Ms, Kind: Value, Needs: NeedsPhases, Policy: true},
	{Name: ScaleUp, Unit: Ms, Kind: Value, Needs: NeedsReplicas, Policy: true},
	{Name: Suffered, Unit: Ratio, Kind: Value, Needs: NeedsReplicas, Policy: true},
	{Name: OutputTokens, Unit: Tokens, Kind: Percentiles, Recorded: true},
	{Name: ScheduleLag, Unit: Ms, Kind: Percentiles, Recorded: true},
}

// ScheduleBound reports whether metric name is a throughput that an
// open-loop scenario fixes below saturation (requests_per_s,
// output_tokens_per_s): it can only show a regression where the target
// falls behind its schedule, in a capacity search or a closed-loop
// scenario. Goodput is not: its share of good requests moves with the
// server.
func ScheduleBound(name string) bool {
	d, ok := Lookup(name)
	return ok && d.Scheduled
}

// All returns every metric of the catalog, those a policy may name first,
// in the schema's order.
func All() []Def { return append([]Def(nil), catalog...) }

// Lookup returns the definition of a metric name such as "ttft"; server
// series are not in the catalog. A scoped name ("step.search.e2e") has
// the definition of its base metric (see Scoped).
func Lookup(name string) (Def, bool) {
	for _, d := range catalog {
		if d.Name == name {
			return d, true
		}
	}
	if _, _, base, ok := Scoped(name); ok {
		return Lookup(base)
	}
	return Def{}, false
}

// HigherIsBetter reports whether a larger value of metric is an
// improvement; false for unknown metrics and server series.
func HigherIsBetter(name string) bool {
	d, _ := Lookup(name)
	return d.HigherIsBetter
}

// IsServer reports whether name is a scraped server series ("server.rss").
func IsServer(name string) bool { return strings.HasPrefix(name, ServerPrefix) }

// RecordScale returns the stored unit of a recorded metric and the factor
// from recorded values to stored ones: latencies are recorded in
// microseconds and stored in milliseconds; token counts stay counts.
func RecordScale(name string) (unit string, scale float64) {
	if d, ok := Lookup(name); ok && d.Unit != Ms {
		return d.Unit, 1
	}
	return Ms, 1e-3
}

// Stats are the statistics of distribution metrics, as in "ttft.p95",
// computed per window and pooled.
var Stats = []string{"p50", "p90", "p95", "p99", "p99.9", "mean", "max"}

// ServerStats are the statistics of scraped server series, as in
// "server.rss.max".
var ServerStats = []string{"max", "mean"}

// ValueStat is the statistic of a Value metric in records and check names
// split by SplitName.
const ValueStat = "value"

var quantiles = map[string]float64{"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99, "p99.9": 0.999}

// Quantile returns the quantile in [0,1] of a percentile statistic
// ("p95" -> 0.95); ok is false for other statistics.
func Quantile(stat string) (q float64, ok bool) {
	q, ok = quantiles[stat]
	return q, ok
}

// SplitName splits a check name such as "ttft.p95", "e2e.p99.9" or
// "server.kv_cache_usage.max" into metric and statistic. A name without a
// statistic ("requests_per_s") gets ValueStat.
func SplitName(name string) (metric, stat string) {
	if m, ok := strings.CutSuffix(name, ".p99.9"); ok {
		return m, "p99.9"
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return name, ValueStat
	}
	switch s := name[i+1:]; s {
	case "p50", "p90", "p95", "p99", "mean", "max", "min", ValueStat:
		return name[:i], s
	}
	return name, ValueStat
}

// MinTailSamples is how many values a sample needs above a percentile for
// that percentile to be estimated from it: n·(1−q) ≥ 10.
const MinTailSamples = 10

// EnoughTail reports whether a sample of n values has enough values above
// the quantile of stat to estimate it; other statistics need one value.
func EnoughTail(stat string, n int64) bool {
	q, ok := Quantile(stat)
	if !ok {
		return n > 0
	}
	return EnoughTailQ(n, q)
}

// EnoughTailQ is EnoughTail for a quantile q in [0,1].
func EnoughTailQ(n int64, q float64) bool {
	if n <= 0 || !(q >= 0 && q <= 1) {
		return false
	}
	// The tolerance absorbs the rounding of 1-q (1-0.95 is 0.04999...).
	return float64(n)*(1-q) >= MinTailSamples-1e-9
}

// MinCount returns the smallest sample with enough tail values for stat.
func MinCount(stat string) int64 {
	q, ok := Quantile(stat)
	if !ok {
		return 1
	}
	return int64(math.Ceil(MinTailSamples/(1-q) - 1e-9))
}
