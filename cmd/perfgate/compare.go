package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/gate/runner"
	"github.com/perfgate/perfgate/policies"
)

func init() {
	register(&command{
		name:    "compare",
		summary: "compare stored records offline (no load): a candidate against baselines",
		usage: `Usage: perfgate compare --candidate B.json [--baseline A.json]... [--history DIR]
                        [--calibration DIR] [--policy P] [--gate LIST] [--out DIR]

Judges a stored candidate record the way "perfgate run" does, without sending
any load. The candidate is compared with:
  - its own reference arm, when it is a paired record (measured side by side);
  - otherwise the --baseline records (repeatable) and the records under
    --history, as stored runs of the base branch (history mode; at least 3
    are needed for a verdict, fewer are reported but not judged).
A/A calibration records under --calibration (or in the history directory)
teach the between-deployment variance used in paired mode.

The gating metrics and thresholds come from --policy, or from --gate and the
defaults (negligible 3%, material 10%, 95% confidence).

Example:
  perfgate compare --candidate out/pr.json --history .perfgate --policy perf/chat.cue

Exit codes: 0 pass (or warn), 1 fail, 2 unreadable input, 3 invalid record.
`,
		run: runCompare,
	})
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runCompare(ctx context.Context, e *env, args []string) int {
	c := commands["compare"]
	fs := newFlagSet(c, e)
	var bases multiFlag
	cand := fs.String("candidate", "", "the candidate record (JSON)")
	fs.Var(&bases, "baseline", "a baseline record (JSON); repeatable")
	histDir := fs.String("history", "", "a directory store (or directory of record files) of base-branch runs")
	calDir := fs.String("calibration", "", "a directory store of A/A calibration records")
	policyPath := fs.String("policy", "", "take gating metrics, thresholds and SLOs from this policy")
	gateList := fs.String("gate", "", "comma-separated gating metrics (default: every metric both sides measured)")
	out := fs.String("out", "", "also write report.json, comment.md and junit.xml here")
	failOn := fs.String("fail-on", "fail", "verdict that exits non-zero: fail, warn or never")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	if *cand == "" {
		return usageError(c, e, "--candidate is required")
	}
	if *failOn != "fail" && *failOn != "warn" && *failOn != "never" {
		return usageError(c, e, "--fail-on %q: expected fail, warn or never", *failOn)
	}
	rec, err := readRecord(*cand)
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate compare: %v\n", err)
		return exitInvalid
	}
	var history []*baseline.Record
	for _, b := range bases {
		r, err := readRecord(b)
		if err != nil {
			fmt.Fprintf(e.stderr, "perfgate compare: %v\n", err)
			return exitInvalid
		}
		history = append(history, r)
	}
	var warnings []string
	if *histDir != "" {
		recs, w, err := readRecordDir(ctx, *histDir, rec, baseline.KindRun)
		if err != nil {
			fmt.Fprintf(e.stderr, "perfgate compare: --history: %v\n", err)
			return exitInvalid
		}
		history, warnings = append(history, recs...), append(warnings, w...)
	}
	var cal []*baseline.Record
	for _, d := range []string{*calDir, *histDir} {
		if d == "" {
			continue
		}
		recs, w, err := readRecordDir(ctx, d, rec, baseline.KindCalibration)
		if err != nil {
			fmt.Fprintf(e.stderr, "perfgate compare: --calibration: %v\n", err)
			return exitInvalid
		}
		cal, warnings = append(cal, recs...), append(warnings, w...)
	}

	in := gate.Input{Runs: []*baseline.Record{rec}}
	if *policyPath != "" {
		p, err := policies.ParseFile(*policyPath)
		if err != nil {
			fmt.Fprintf(e.stderr, "%v\n", err)
			return exitInvalid
		}
		in.Rules, in.SLOs = runner.Rules(p), runner.SLOs(p)
	}
	if *gateList != "" {
		in.Rules.Gate = strings.Split(*gateList, ",")
	}
	if len(in.Rules.Gate) == 0 {
		in.Rules.Gate = commonGates(rec, history)
	}
	if len(history) > 0 {
		in.History = map[string][]*baseline.Record{rec.Scenario: history}
	}
	if len(cal) > 0 {
		in.Calibration = gate.LearnCalibration(map[string][]*baseline.Record{rec.Scenario: cal}, in.Rules)
	}
	v := gate.Evaluate(in)
	v.Warnings = append(v.Warnings, warnings...)
	printVerdict(e.stdout, v)
	if *out != "" {
		mode := gate.ModeNone
		switch {
		case rec.Reference != nil:
			mode = gate.ModePaired
		case len(history) > 0:
			mode = gate.ModeHistory
		}
		rin := report.Input{Policy: rec.Policy, Verdict: v, Runs: in.Runs, Mode: mode, Commit: rec.Commit, Branch: rec.Branch, FailOn: *failOn}
		if err := writeReports(*out, rin, report.Markdown(rin, report.MarkdownOptions{})); err != nil {
			fmt.Fprintf(e.stderr, "perfgate compare: writing reports: %v\n", err)
			return exitNoTrust
		}
	}
	return exitCode(v.Outcome, *failOn)
}

// readRecord reads and decodes one record file.
func readRecord(path string) (*baseline.Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the record: %v", path, errorsUnwrapPath(err))
	}
	return baseline.Decode(path, data)
}

func errorsUnwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// readRecordDir reads the records of rec's policy and scenario from a
// directory store, or failing that every *.json file directly in dir.
func readRecordDir(ctx context.Context, dir string, rec *baseline.Record, kind string) ([]*baseline.Record, []string, error) {
	st, err := baseline.NewDirStore(dir, 0)
	if err != nil {
		return nil, nil, err
	}
	recs, skipped, err := st.List(ctx, baseline.Query{Policy: rec.Policy, Scenario: rec.Scenario, Kind: kind})
	if err != nil {
		return nil, nil, err
	}
	warnings := storeWarnings(nil, skipped)
	if len(recs) > 0 {
		return recs, warnings, nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		r, err := readRecord(f)
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
	for _, m := range []string{"e2e", "ttft", "tpot", "itl"} {
		if has(m) {
			out = append(out, m+".p50", m+".p95")
		}
	}
	for _, m := range []string{"requests_per_s", "output_tokens_per_s"} {
		if has(m) {
			out = append(out, m)
		}
	}
	if rec.Capacity != nil {
		out = append(out, "capacity")
	}
	return out
}
