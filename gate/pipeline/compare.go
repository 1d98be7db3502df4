package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/runner"
	"github.com/perfgate/perfgate/policies"
)

// Comparison is what Compare judges: stored records, no load.
type Comparison struct {
	// Candidate is judged against its own Reference arm when it has one
	// (paired), else against History.
	Candidate *baseline.Record
	// History holds stored runs of the base branch, newest first.
	History []*baseline.Record
	// Calibration holds stored A/A records, for paired mode's τ².
	Calibration []*baseline.Record
	// Gate, when set, replaces the policy's gating metrics; with neither,
	// every percentile and rate the records all measured gates.
	Gate []string
	// Warnings are shown in the reports (records skipped while reading).
	Warnings []string
}

// Compare judges c as Run judges a live run, under policy p (nil: the
// default rules and no SLOs), and renders and writes the reports of
// o.OutDir. Commit and Branch default to the candidate's. Of o it reads
// OutDir, FailOn, Commit, Branch, Title and RunURL.
func Compare(p *policies.Policy, c Comparison, o Options) (*Result, error) {
	rec := c.Candidate
	if rec == nil {
		return nil, &InvalidError{What: "no candidate record"}
	}
	if p == nil {
		p = &policies.Policy{Name: rec.Policy}
	}
	if o.FailOn != "" && o.FailOn != "fail" && o.FailOn != "warn" && o.FailOn != "never" {
		return nil, &InvalidError{What: fmt.Sprintf("--fail-on %q: expected fail, warn or never", o.FailOn)}
	}
	o.Commit, o.Branch = cmp.Or(o.Commit, rec.Commit), cmp.Or(o.Branch, rec.Branch)
	in := gate.Input{Rules: runner.Rules(p), SLOs: runner.SLOs(p), Runs: []*baseline.Record{rec}}
	if len(c.Gate) > 0 {
		in.Rules.Gate = c.Gate
	}
	if len(in.Rules.Gate) == 0 {
		in.Rules.Gate = commonGates(rec, c.History)
	}
	if len(c.History) > 0 {
		in.History = map[string][]*baseline.Record{rec.Scenario: c.History}
	}
	if len(c.Calibration) > 0 {
		in.Calibration = gate.LearnCalibration(map[string][]*baseline.Record{rec.Scenario: c.Calibration}, in.Rules)
	}
	if l := runner.LooksOf(p, rec); l != nil {
		in.Looks = []gate.Looks{*l}
	}
	return decide(p, o, in, c.Warnings, false, 0)
}

// ReadComparison reads a Comparison from files: the candidate record, the
// baseline records (as history), and the directories of stored runs
// (histDir) and of A/A records (calDir, and histDir too); "" skips a
// directory. Errors are *InvalidError naming the file or the flag.
func ReadComparison(ctx context.Context, cand string, bases []string, histDir, calDir string) (Comparison, error) {
	var c Comparison
	var err error
	if c.Candidate, err = ReadRecord(cand); err != nil {
		return c, err
	}
	for _, b := range bases {
		r, err := ReadRecord(b)
		if err != nil {
			return c, err
		}
		c.History = append(c.History, r)
	}
	for _, d := range []struct{ flag, dir, kind string }{
		{"--history", histDir, baseline.KindRun}, {"--calibration", calDir, baseline.KindCalibration}, {"--calibration", histDir, baseline.KindCalibration},
	} {
		if d.dir == "" {
			continue
		}
		recs, w, err := ReadRecordDir(ctx, d.dir, c.Candidate, d.kind)
		if err != nil {
			return c, fmt.Errorf("%s: %w", d.flag, err)
		}
		c.Warnings = append(c.Warnings, w...)
		if d.kind == baseline.KindRun {
			c.History = append(c.History, recs...)
		} else {
			c.Calibration = append(c.Calibration, recs...)
		}
	}
	return c, nil
}

// ReadRecord reads and decodes one record file; a file that cannot be read
// or decoded is an *InvalidError naming it.
func ReadRecord(path string) (*baseline.Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &InvalidError{File: path, What: "cannot read the record", Err: err}
	}
	rec, err := baseline.Decode(path, data)
	if err != nil {
		return nil, &InvalidError{Err: err}
	}
	return rec, nil
}

// ReadRecordDir reads the records of kind that match rec's policy and
// scenario from a directory store, or failing that from the *.json files
// directly in dir, newest first. Files that do not decode are skipped and
// named in warnings.
func ReadRecordDir(ctx context.Context, dir string, rec *baseline.Record, kind string) ([]*baseline.Record, []string, error) {
	st, err := baseline.NewDirStore(dir, 0)
	if err != nil {
		return nil, nil, &InvalidError{Err: err}
	}
	recs, skipped, err := st.List(ctx, baseline.Query{Policy: rec.Policy, Scenario: rec.Scenario, Kind: kind})
	if err != nil {
		return nil, nil, &InvalidError{Err: err}
	}
	warnings := storeWarnings(nil, skipped)
	if len(recs) > 0 {
		return recs, warnings, nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		r, err := ReadRecord(f)
		if err != nil {
			warnings = append(warnings, "skipped "+err.Error())
			continue
		}
		if r.Kind == kind && r.Scenario == rec.Scenario && r.Policy == rec.Policy && f != rec.Key {
			recs = append(recs, r)
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time.After(recs[j].Time) })
	return recs, warnings, nil
}

// commonGates lists the percentile and rate metrics a record and its
// baselines all measured: p50 and p95 of every latency, the throughputs.
func commonGates(rec *baseline.Record, history []*baseline.Record) []string {
	others := history
	if rec.Reference != nil {
		others = []*baseline.Record{rec.Reference}
	}
	has := func(m string) bool {
		if _, ok := rec.Metrics[m]; !ok {
			return false
		}
		for _, o := range others {
			if _, ok := o.Metrics[m]; !ok {
				return false
			}
		}
		return true
	}
	var out []string
	for _, m := range []string{metric.E2E, metric.TTFT, metric.TPOT, metric.ITL} {
		if has(m) {
			out = append(out, m+".p50", m+".p95")
		}
	}
	for _, m := range []string{metric.RequestsPerS, metric.OutputTokensPerS} {
		if has(m) {
			out = append(out, m)
		}
	}
	if rec.Capacity != nil {
		out = append(out, metric.Capacity)
	}
	return out
}
