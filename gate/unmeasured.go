package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// MinScrapeCoverage is the share of a window's scrapes that must have
// returned a server series for the window to count as covered. A server
// statistic is measured only when every measured window in which scrapes
// were made is covered: a maximum or a mean over the windows the server
// answered in says nothing about the others (a server that died mid-run
// keeps the values of its last healthy seconds).
const MinScrapeCoverage = 0.5

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
	if why, ok := promGap(rec, m, stat); ok {
		return why
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
// scrapes that failed, a series the endpoint did not expose, or a coverage
// below MinScrapeCoverage in some window. Records without scrape counts
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
		return "the record holds neither the series nor a scrape of the metrics endpoint in the measured windows"
	case failures == attempts:
		return fmt.Sprintf("all %d scrapes of the metrics endpoint failed%s", attempts, firstErr)
	case bm == nil || !hasStat(bm, stat):
		return fmt.Sprintf("the metrics endpoint answered %d of %d scrapes but exposed none of the series' Prometheus metrics (target.metrics.series.%s.metrics)", attempts-failures, attempts, strings.TrimPrefix(m, metric.ServerPrefix))
	}
	var low []int
	var got int64
	for i, w := range rec.Windows {
		var n int64
		if i < len(bm.Windows) {
			n = bm.Windows[i].Count
		}
		got += n
		if w.Scrapes > 0 && float64(n) < MinScrapeCoverage*float64(w.Scrapes) {
			low = append(low, i+1)
		}
	}
	if len(low) == 0 {
		return ""
	}
	return fmt.Sprintf("scrape coverage too low: %d of %d scrapes returned it (%.0f%%), and in %d of %d windows (%s) fewer than %.0f%% did%s",
		got, attempts, 100*float64(got)/float64(attempts), len(low), len(rec.Windows), windowList(low), 100*MinScrapeCoverage, firstErr)
}

// windowList writes window numbers as ranges: "3–5, 9".
func windowList(ws []int) string {
	var parts []string
	for i := 0; i < len(ws); {
		j := i
		for j+1 < len(ws) && ws[j+1] == ws[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d–%d", ws[i], ws[j]))
		} else {
			parts = append(parts, fmt.Sprint(ws[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// unmeasuredCheck is the check of a name that rec could not measure: it
// cannot pass. It is invalid, which makes the run invalid, unless the
// policy lists the name as optional: then it is informational.
func unmeasuredCheck(rec *baseline.Record, name, kind, why string, optional bool) Check {
	m, stat := metric.SplitName(name)
	c := Check{
		Scenario: rec.Scenario, Name: name, Metric: m, Stat: stat, Kind: kind,
		HigherIsBetter: metric.HigherIsBetter(m), Gating: true, Verdict: Invalid, ReasonKind: ReasonUnmeasured,
		Candidate: math.NaN(), Baseline: math.NaN(), Change: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN(),
		Reason: fmt.Sprintf("%s could not be measured: %s", name, why),
	}
	if optional {
		c.Gating, c.Verdict, c.ReasonKind = false, Warn, ReasonInformational
		c.Reason += " (optional in the policy: not judged)"
	}
	return c
}

// scrapeNote is " (45 of 48 scrapes)" for a server series of rec: how many
// of the measured windows' scrapes returned it; "" for other metrics and
// records without scrape counts.
func scrapeNote(rec *baseline.Record, m string) string {
	bm := rec.Metrics[m]
	if !metric.IsServer(m) || bm == nil {
		return ""
	}
	if rec.Prometheus != nil && slices.Contains(rec.Prometheus.Series, strings.TrimPrefix(m, metric.ServerPrefix)) {
		return fmt.Sprintf(" (from Prometheus, %d windows)", bm.Pooled.Count)
	}
	var attempts int64
	for _, w := range rec.Windows {
		attempts += w.Scrapes
	}
	if attempts == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d of %d scrapes)", bm.Pooled.Count, attempts)
}

// servedModelWarning notes a server that answered with another model than
// the one requested: it ignores the model name (llama.cpp serves whatever
// it has loaded), so the policy's model was not what was measured, or at
// least not checked. The text names no scenario, so a run says it once.
func servedModelWarning(rec *baseline.Record) string {
	if rec.ServedModel == "" {
		return ""
	}
	return fmt.Sprintf("the server answered as model %q to requests for %q: it ignores the requested model name (llama.cpp serves the model it has loaded), so which model was measured is not checked", rec.ServedModel, rec.Env.Model)
}
