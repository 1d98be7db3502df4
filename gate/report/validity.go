package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

func writeValidity(b *strings.Builder, in Input, open, compact bool) {
	type arm struct {
		label string
		r     *baseline.Record
	}
	var arms []arm
	for _, r := range in.Runs {
		if r == nil {
			continue
		}
		arms = append(arms, arm{r.Scenario, r})
		if r.Reference != nil {
			arms = append(arms, arm{r.Scenario + " (baseline arm)", r.Reference})
		}
	}
	if len(arms) == 0 {
		return
	}
	// Invalid arms first, so they survive the cap.
	sort.SliceStable(arms, func(i, j int) bool { return !arms[i].r.Valid && arms[j].r.Valid })
	limit := maxRunsListed
	if compact {
		limit = maxRunsListed / 4
	}
	items := listItems(len(arms), limit, "runs", func(i int) string {
		return validityLine(mdText(clip(arms[i].label, maxNameChars)), arms[i].r)
	})
	writeDetails(b, "Validity of the run", items, open)
}

func validityLine(label string, r *baseline.Record) string {
	status := "valid"
	if !r.Valid {
		status = "**invalid**"
	}
	if r.Partial {
		status += ", partial"
	}
	s := label + ": " + status
	s += "; offered " + metric.Format(r.Offered, metric.RPS) + ", achieved " + metric.Format(r.Achieved, metric.RPS)
	if r.Offered > 0 && finite(r.Achieved) {
		s += " (" + metric.FormatNumber(r.Achieved/r.Offered*100) + "%)"
	}
	if lag, ok := schedLagP99(r); ok {
		s += "; schedule lag p99 " + metric.Format(lag, metric.Ms)
	}
	if r.ColdStart > 0 {
		s += "; cold start " + metric.Format(r.ColdStart, metric.Ms)
	}
	s += errorsText(r)
	s += resentText(r)
	s += scrapesText(r)
	s += lengthText(r)
	reasons, more := firstN(r.Invalid, maxInvalidReason)
	for i, x := range reasons {
		if i == 0 {
			s += ": "
		} else {
			s += "; "
		}
		s += mdText(clip(oneLine(x), maxReasonChars))
	}
	if more > 0 {
		s += fmt.Sprintf("; … %d more", more)
	}
	return s
}

// errorsText says how many measured requests failed, by class, with the
// first message of each class: "; 12 of 40 requests failed: 12 timeout
// (no complete response within 500ms)". It is empty when none failed.
func errorsText(r *baseline.Record) string {
	failed, _ := r.ErrorCounts()
	if failed == 0 {
		return ""
	}
	sent, byClass := sentAndErrors(r)
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool {
		if byClass[classes[i]] != byClass[classes[j]] {
			return byClass[classes[i]] > byClass[classes[j]]
		}
		return classes[i] < classes[j]
	})
	parts := make([]string, 0, len(classes))
	for _, c := range classes {
		part := metric.Thousands(float64(byClass[c])) + " " + mdText(c)
		if msg := r.ErrorExamples[c]; msg != "" {
			part += " (" + mdText(clip(oneLine(msg), maxReasonChars)) + ")"
		}
		parts = append(parts, part)
	}
	return fmt.Sprintf("; %s of %s requests failed: %s", metric.Thousands(float64(failed)), metric.Thousands(float64(sent)), strings.Join(parts, ", "))
}

// resentText says how many requests were sent again on a fresh connection
// because the server closed a kept-alive one (see load.Window.Resent); it
// is empty when none were.
func resentText(r *baseline.Record) string {
	n := windowSum(r, func(w baseline.WindowCounts) int64 { return w.Resent })
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %s requests sent again on a fresh connection (the server closed kept-alive connections; not counted as failures)", metric.Thousands(float64(n)))
}

// scrapeCounts returns the scrapes of the server metrics made in r's
// measured windows, those that failed, and the fewest and most in one
// window (all 0 when nothing was scraped).
func scrapeCounts(r *baseline.Record) (total, failed, lo, hi int64) {
	for i, w := range r.Windows {
		total += w.Scrapes
		failed += w.ScrapeFailures
		if i == 0 || w.Scrapes < lo {
			lo = w.Scrapes
		}
		hi = max(hi, w.Scrapes)
	}
	if total == 0 {
		return 0, 0, 0, 0
	}
	return total, failed, lo, hi
}

// scrapesText says how the server metrics were sampled: "; 48 scrapes of
// the server metrics (4–5 per window, 3 failed: …)"; empty when none were
// made.
func scrapesText(r *baseline.Record) string {
	total, failed, lo, hi := scrapeCounts(r)
	if total == 0 {
		return ""
	}
	per := metric.Thousands(float64(lo))
	if hi != lo {
		per += "–" + metric.Thousands(float64(hi))
	}
	s := fmt.Sprintf("; %s scrapes of the server metrics (%s per window", metric.Thousands(float64(total)), per)
	if failed > 0 {
		s += fmt.Sprintf(", %s failed", metric.Thousands(float64(failed)))
		if r.ScrapeError != "" {
			s += ": " + mdText(clip(oneLine(r.ScrapeError), maxReasonChars))
		}
	}
	return s + ")"
}

// lengthText says how many successful responses were not as long as the
// max_tokens that ignore_eos asked for: the output length, and with it
// every per-request latency, was not controlled (a server that ignores
// max_tokens or ignore_eos, or shifts its context past max_tokens and
// generates on). Empty when all were.
func lengthText(r *baseline.Record) string {
	n := windowSum(r, func(w baseline.WindowCounts) int64 { return w.LengthMismatch })
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %s successful responses were not max_tokens long although ignore_eos asked for it: the output length was not controlled", metric.Thousands(float64(n)))
}

// windowSum sums a per-window count over r's measured windows.
func windowSum(r *baseline.Record, count func(baseline.WindowCounts) int64) int64 {
	var n int64
	for _, w := range r.Windows {
		n += count(w)
	}
	return n
}
