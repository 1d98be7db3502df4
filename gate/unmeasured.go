package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// applies reports whether a check of metric m belongs to rec at all: a
// capacity record is judged on its capacity only (its latencies come from
// the search's last step), only a capacity record has a capacity, and a
// record that keeps a subset of its metrics is judged on those.
func applies(rec *baseline.Record, m string) bool {
	if rec.Subset && rec.Metrics[m] == nil && m != metric.ErrorRate {
		return false // left out of the record on purpose
	}
	if rec.Capacity != nil {
		return m == metric.Capacity
	}
	return m != metric.Capacity
}

// unmeasured says why rec could not measure statistic stat of metric m, or
// returns "" when it did. The reason names what was missing: the scrapes
// that failed (with the first message), a series the endpoint did not
// expose, requests that all failed (with the first message).
func unmeasured(rec *baseline.Record, m, stat string) string {
	if rec == nil {
		return "no record"
	}
	failed, total := rec.ErrorCounts()
	switch m {
	case metric.Capacity:
		if rec.Capacity == nil {
			return "no capacity search ran"
		}
		return ""
	case metric.ErrorRate:
		if total == 0 {
			return "no request completed in the measured windows"
		}
		return ""
	}
	if metric.IsServer(m) {
		return scrapeGap(rec, m, stat)
	}
	if rec.Metrics[m] != nil && hasStat(rec.Metrics[m], stat) || m == metric.ColdStart && rec.ColdStart > 0 {
		return ""
	}
	switch {
	case total == 0:
		return "no request completed in the measured windows"
	case failed == total:
		return fmt.Sprintf("no request succeeded (%d of %d failed%s)", failed, total, firstFailure(rec))
	case m == metric.OutputTokensPerS:
		return "no output tokens were counted"
	}
	return fmt.Sprintf("none of the %d successful requests recorded it", total-failed)
}

// hasStat reports whether a metric has a finite pooled statistic stat (a
// histogram without values has none; a rate of 0 is a value).
func hasStat(bm *baseline.Metric, stat string) bool {
	v, ok := bm.Pooled.Stats[stat]
	return ok && !math.IsNaN(v)
}

// firstFailure is "; first connect: EOF" for the most frequent error class.
func firstFailure(rec *baseline.Record) string {
	byClass := map[string]int64{}
	for _, w := range rec.Windows {
		for c, n := range w.Errors {
			byClass[c] += n
		}
	}
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.SortFunc(classes, func(a, b string) int {
		if byClass[a] != byClass[b] {
			return int(byClass[b] - byClass[a])
		}
		return strings.Compare(a, b)
	})
	if len(classes) == 0 {
		return ""
	}
	s := "; mostly " + classes[0]
	if msg := rec.ErrorExamples[classes[0]]; msg != "" {
		s += ": " + clipReason(msg)
	}
	return s
}

func clipReason(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 160 {
		return string(r[:159]) + "…"
	}
	return s
}

// scrapeGap says why a server series is not measured in rec: no scrape,
// scrapes that failed, or a series the endpoint did not expose. Records without scrape counts
// (older versions) are judged by the presence of the series alone.
func scrapeGap(rec *baseline.Record, m, stat string) string {
	bm := rec.Metrics[m]
	var attempts, failures int64
	for _, w := range rec.Windows {
		attempts += w.Scrapes
		failures += w.ScrapeFailures
	}
	firstErr := ""
	if rec.ScrapeError != "" {
		firstErr = " (first: " + clipReason(rec.ScrapeError) + ")"
	}
	switch {
	case attempts == 0 && bm != nil && hasStat(bm, stat):
		return ""
	case attempts == 0:
		return "the metrics endpoint was not scraped in the measured windows"
	case failures == attempts:
		return fmt.Sprintf("all %d scrapes of the metrics endpoint failed%s", attempts, firstErr)
	case bm == nil || !hasStat(bm, stat):
		return fmt.Sprintf("the metrics endpoint answered %d of %d scrapes but exposed none of the series' Prometheus metrics (target.metrics.series.%s.metrics)", attempts-failures, attempts, strings.TrimPrefix(m, metric.ServerPrefix))
	}
	return ""
}

// unmeasuredCheck is the check of a name that rec could not measure: it
// cannot pass. It is invalid, which makes the run invalid, unless the
// policy lists the name as optional: then it is informational.
func unmeasuredCheck(rec *baseline.Record, name, kind, why string, optional bool) Check {
	m, stat := metric.SplitName(name)
	c := Check{
		Scenario: rec.Scenario, Name: name, Metric: m, Stat: stat, Kind: kind,
		HigherIsBetter: metric.HigherIsBetter(m), Gating: true, Verdict: Invalid,
		Candidate: math.NaN(), Baseline: math.NaN(), Change: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN(),
		Reason: fmt.Sprintf("%s could not be measured: %s", name, why),
	}
	if optional {
		c.Gating, c.Verdict, c.ReasonKind = false, Warn, ReasonInformational
		c.Reason += " (optional in the policy: not judged)"
	}
	return c
}
