package pipeline

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/gate/runner"
	"github.com/perfgate/perfgate/internal/atomicfile"
	"github.com/perfgate/perfgate/internal/redact"
	"github.com/perfgate/perfgate/policies"
)

// ReportFiles are the names of the reports written into Options.OutDir.
var ReportFiles = []string{"comment.md", "report.json", "junit.xml", report.HTMLFile}

// RecordDir is the directory under Options.OutDir that receives a run's
// records, one file per scenario (SCENARIO.json): the input of Compare
// ("perfgate compare --candidate OUT/records/steady.json").
const RecordDir = "records"

// Reports returns the paths of the reports in r.OutDir, then of the records
// written there.
func (r *Result) Reports() []string {
	paths := make([]string, len(ReportFiles), len(ReportFiles)+len(r.RecordFiles))
	for i, f := range ReportFiles {
		paths[i] = filepath.Join(r.OutDir, f)
	}
	return append(paths, r.RecordFiles...)
}

// writeRecords writes each record of a run into dir/records/SCENARIO.json,
// atomically, as the store would keep it (paired records with their
// reference arm), and returns the paths written.
func writeRecords(dir string, recs []*baseline.Record) ([]string, error) {
	var paths []string
	for _, rec := range recs {
		if rec == nil {
			continue
		}
		data, err := baseline.Encode(rec)
		if err != nil {
			return paths, err
		}
		if err := os.MkdirAll(filepath.Join(dir, RecordDir), 0o755); err != nil {
			return paths, err
		}
		p := filepath.Join(dir, RecordDir, rec.Scenario+".json")
		if err := atomicfile.WriteFile(p, data, 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// decide evaluates in, plans capacity and cost, renders the reports and
// writes them: the path Run and Compare share.
func decide(p *policies.Policy, o Options, in gate.Input, warnings []string, partial bool, took time.Duration) (*Result, error) {
	v := gate.Evaluate(in)
	v.Capacity = append(v.Capacity, planCapacity(p.Cost, in.Runs, in.History)...)
	if o.SaveBaseline || o.Calibrate {
		if why := notSaveable(v); why != "" {
			warnings = append(warnings, "not saved as "+o.savedAs()+": "+why)
		}
	}
	ri := o.reportInput(p, v, in.Runs, warnings)
	ri.Partial, ri.Duration, ri.History = partial, took, o.trend
	if ri.History == nil {
		ri.History = in.History
	}
	r := &Result{Verdict: v, Mode: ri.Mode, Markdown: report.Markdown(ri, report.MarkdownOptions{}), Records: in.Runs, OutDir: o.OutDir}
	for _, rec := range in.Runs {
		if rec.Capacity != nil {
			r.Capacity = rec.Capacity.RPS
			break
		}
	}
	if o.OutDir != "" {
		if err := writeReports(o.OutDir, ri, r.Markdown); err != nil {
			return r, fmt.Errorf("writing reports: %w", err)
		}
	}
	return r, nil
}

// planCapacity turns every capacity record into replicas and cost under the
// policy's cost model (none without one). A record is compared with its live
// reference arm, else with the newest stored run of its scenario.
func planCapacity(cost *policies.Cost, runs []*baseline.Record, history map[string][]*baseline.Record) []gate.CapacityPlan {
	if cost == nil {
		return nil
	}
	c := gate.Cost{InstanceHourUSD: cost.InstanceHourUSD, PeakRPS: cost.PeakRPS, Headroom: float64(cost.Headroom)}
	var plans []gate.CapacityPlan
	for _, rec := range runs {
		base := rec.Reference
		if base == nil && len(history[rec.Scenario]) > 0 {
			base = history[rec.Scenario][0]
		}
		if plan := gate.PlanCapacity(rec, base, c); plan != nil {
			plans = append(plans, *plan)
		}
	}
	return plans
}

// reportInput is what the reports show of a run of p.
func (o Options) reportInput(p *policies.Policy, v *gate.Verdict, runs []*baseline.Record, warnings []string) report.Input {
	return report.Input{
		Policy: p.Name, Title: cmp.Or(o.Title, p.Report.Title), Verdict: v, Runs: runs, Mode: v.Mode,
		Commit: o.Commit, Branch: o.Branch, Target: redact.URL(o.TargetURL), BaselineURL: redact.URL(o.BaselineURL),
		Material: float64(p.Regression.Material), FailOn: o.FailOn, Warnings: warnings, RunURL: o.RunURL,
	}
}

// writeReports writes report.json, comment.md, junit.xml and report.html
// into dir, each atomically, so no half-written report remains.
func writeReports(dir string, in report.Input, md string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := report.JSON(in)
	if err != nil {
		return err
	}
	ju, err := report.JUnit(in)
	if err != nil {
		return err
	}
	page, err := report.HTML(in)
	if err != nil {
		return err
	}
	for i, data := range [][]byte{[]byte(md), js, ju, page} {
		if err := atomicfile.WriteFile(filepath.Join(dir, ReportFiles[i]), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// lookWith returns the runner.LookFunc that judges rec, the run so far of
// one extended scenario, at look l against the baselines of in (those of
// the final verdict), and reports whether a gating check is undecided. With
// nothing to compare with (no live baseline, no stored runs) there are no
// looks: nil.
func lookWith(in gate.Input, paired bool) runner.LookFunc {
	if !paired && len(in.History) == 0 {
		return nil
	}
	return func(rec *baseline.Record, l gate.Looks) bool {
		in.Runs, in.Looks = []*baseline.Record{rec}, []gate.Looks{l}
		return gate.NeedsAnotherLook(gate.Evaluate(in), rec.Scenario)
	}
}
