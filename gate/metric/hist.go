package metric

import "math"

// Histogram is what a statistic reads of a recorded distribution; an
// HdrHistogram (*hdrhistogram.Histogram) has it. Values are in the unit they
// were recorded in (microseconds for latencies, see RecordScale).
type Histogram interface {
	// ValueAtQuantile takes a percentage in [0, 100], as HdrHistogram does.
	ValueAtQuantile(percent float64) int64
	Mean() float64
	Max() int64
	Min() int64
}

// HistStat returns statistic stat ("p95", "mean", "max", "min") of h in the
// unit h was recorded in, or NaN for a statistic a distribution does not
// have. h must hold at least one value.
func HistStat(h Histogram, stat string) float64 {
	switch stat {
	case "mean":
		return h.Mean()
	case "max":
		return float64(h.Max())
	case "min":
		return float64(h.Min())
	}
	q, ok := Quantile(stat)
	if !ok {
		return math.NaN()
	}
	return float64(h.ValueAtQuantile(q * 100))
}
