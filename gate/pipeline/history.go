package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/policies"
)

// HistoryOptions select what History shows.
type HistoryOptions struct {
	// Store is the store spec (baseline.Open); Format "table", "json" or
	// "csv" (report.WriteHistory).
	Store, Format string
	// Branch keeps the runs of one branch ("" = every branch).
	Branch string
	// Scenario keeps one scenario ("" = every scenario of the policy).
	Scenario string
	// Metrics are the statistics to show ("e2e.p95"); none means the
	// policy's gating metrics (regression.gate).
	Metrics []string
	// Limit is how many of the newest runs to show per scenario (0:
	// TrendRuns).
	Limit int
}

// History prints the trends of policy p's metrics over the runs of the
// store o.Store (perfgate history) on stdout, warnings about unreadable
// records on stderr. Bad options are an *InvalidError, before the store is
// read.
func History(ctx context.Context, p *policies.Policy, o HistoryOptions, stdout, stderr io.Writer, getenv func(string) string) error {
	switch {
	case o.Store == "":
		return &InvalidError{What: "--store is required"}
	case !slices.Contains(report.HistoryFormats, o.Format):
		return &InvalidError{What: fmt.Sprintf("--format %q: want table, json or csv", o.Format)}
	}
	st, err := baseline.Open(o.Store, baseline.OpenOptions{Getenv: getenv})
	if err != nil {
		return &InvalidError{What: "--store", Err: err}
	}
	trends, warnings, err := Trends(ctx, st, p, o)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "perfgate history: %s\n", w)
	}
	if err != nil {
		return err
	}
	return report.WriteHistory(stdout, trends, o.Format)
}

// Trends returns the trend of each metric of each scenario of policy p
// over the runs stored in st (not the excluded ones, nor invalid or
// partial runs, which the gate does not compare with either), oldest
// first, and warnings about records that could not be read. A scenario or
// metric the policy does not have is invalid input.
func Trends(ctx context.Context, st baseline.Store, p *policies.Policy, o HistoryOptions) ([]gate.Trend, []string, error) {
	limit := o.Limit
	if limit <= 0 {
		limit = TrendRuns
	}
	metrics := o.Metrics
	if len(metrics) == 0 {
		metrics = p.Regression.Gate
	}
	for _, m := range metrics {
		if _, err := policies.ParseMetricRef(m); err != nil {
			return nil, nil, &InvalidError{What: fmt.Sprintf("--metric %q: %v", m, err)}
		}
	}
	var names []string
	for _, sc := range p.Scenarios {
		names = append(names, sc.Name)
	}
	if o.Scenario != "" && !slices.Contains(names, o.Scenario) {
		what := fmt.Sprintf("--scenario %q: policy %s has no such scenario (its scenarios: %v)", o.Scenario, p.Name, names)
		if near := policies.Closest(o.Scenario, names); near != "" {
			what += fmt.Sprintf("; did you mean %q?", near)
		}
		return nil, nil, &InvalidError{What: what}
	}
	var trends []gate.Trend
	var warnings []string
	for _, sc := range names {
		if o.Scenario != "" && sc != o.Scenario {
			continue
		}
		recs, skipped, err := st.List(ctx, baseline.Query{Policy: p.Name, Scenario: sc, Kind: baseline.KindRun, Branch: o.Branch, Limit: limit})
		warnings = append(warnings, storeWarnings(nil, skipped)...)
		if err != nil {
			return nil, warnings, fmt.Errorf("baseline store: %w", err)
		}
		for _, m := range metrics {
			trends = append(trends, gate.TrendOf(sc, m, recs, nil))
		}
	}
	return trends, warnings, nil
}
