package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/gate/runner"
	"github.com/perfgate/perfgate/internal/redact"
	"github.com/perfgate/perfgate/policies"
)

func init() {
	register(&command{
		name:    "run",
		summary: "run the gate: load-test the target, compare with the baseline, decide",
		usage: `Usage: perfgate run --policy POLICY [--target URL] [--baseline-url URL] [--store DIR]
                    [--out DIR] [--save-baseline] [--fail-on fail|warn|never]

Runs every scenario of the policy against the target, checks the SLOs, compares
the gating metrics with the baseline and writes report.json, comment.md and
junit.xml into --out.

The baseline is either a live deployment measured at the same time under the
same schedule (--baseline-url, or target.baseline_url in the policy: paired
mode, the most sensitive), or the runs stored in --store from the base branch
(history mode). --save-baseline stores this run as the newest baseline.

Example:
  perfgate run --policy perf/chat.cue --target https://pr-42.preview.example.com \
      --store .perfgate --out perfgate-report

Exit codes: 0 pass (and warn unless --fail-on warn), 1 fail, 2 invalid input,
3 the measurement could not be made or cannot be trusted.
`,
		run: runRun,
	})
}

// gateOptions configures one gate run (perfgate run and perfgate action).
type gateOptions struct {
	PolicyPath   string
	Target       string            // overrides the policy's target URL when set
	BaselineURL  string            // live baseline for paired mode; overrides the policy's
	Store        baseline.Store    // nil: no history and nothing saved
	OutDir       string            // report.json, comment.md, junit.xml
	SaveBaseline bool              // store this run's records as baselines
	FailOn       string            // "fail" (default) | "warn" | "never"
	Commit       string            // this run's commit SHA
	Branch       string            // this run's branch (saved records carry it)
	BaseBranch   string            // branch whose stored history is compared with ("" = Branch)
	Labels       map[string]string // environment labels (e.g. gpu=a10g)
	Calibrate    bool              // A/A run: store a calibration record (both arms same commit)
	Title        string            // report headline name; "" = perfgate
	RunURL       string            // link to the CI run, for the report
	Quiet        bool              // no progress output
	Scenarios    []string          // run only these scenarios ("" = all)
	MaxLag       time.Duration     // client schedule lag p99 limit (0 = default)
}

// gateOutcome is what a gate run produced.
type gateOutcome struct {
	Policy   *policies.Policy
	Verdict  *gate.Verdict
	Markdown string // the comment body, starting with report.Marker(policy name)
	OutDir   string
	Capacity float64 // req/s of the first capacity scenario, 0 if none
	Records  []*baseline.Record
}

// labelsFlag collects repeated --label key=value flags.
type labelsFlag map[string]string

func (l labelsFlag) String() string { return fmt.Sprint(map[string]string(l)) }
func (l labelsFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("expected key=value, got %q", s)
	}
	l[k] = v
	return nil
}

func runRun(ctx context.Context, e *env, args []string) int {
	c := commands["run"]
	fs := newFlagSet(c, e)
	o := gateOptions{Labels: map[string]string{}}
	var store string
	fs.StringVar(&o.PolicyPath, "policy", "", "policy file (.cue, .yaml, .json)")
	fs.StringVar(&o.Target, "target", "", "base URL of the service under test (overrides target.url)")
	fs.StringVar(&o.BaselineURL, "baseline-url", "", "base URL of a live baseline deployment: paired mode")
	fs.StringVar(&store, "store", "", "baseline store: a directory (or dir:PATH, or branch:NAME with GITHUB_TOKEN and GITHUB_REPOSITORY)")
	fs.StringVar(&o.OutDir, "out", "perfgate-report", "directory for report.json, comment.md and junit.xml")
	fs.BoolVar(&o.SaveBaseline, "save-baseline", false, "store this run as the newest baseline of --branch")
	fs.StringVar(&o.FailOn, "fail-on", "fail", "verdict that exits non-zero: fail, warn or never")
	fs.StringVar(&o.Commit, "commit", e.getenv("GITHUB_SHA"), "commit SHA of the code under test")
	fs.StringVar(&o.Branch, "branch", e.getenv("GITHUB_REF_NAME"), "branch of the code under test")
	fs.StringVar(&o.BaseBranch, "base-branch", e.getenv("GITHUB_BASE_REF"), "branch whose stored runs to compare with (default --branch)")
	fs.Var(labelsFlag(o.Labels), "label", "environment label key=value, stored with the run (repeatable)")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress output")
	fs.DurationVar(&o.MaxLag, "max-lag", 0, "client schedule lag p99 above which the run is invalid (default 10ms or 5% of the median latency, whichever is larger; env PERFGATE_MAX_LAG)")
	var scenarios string
	fs.StringVar(&scenarios, "scenario", "", "comma-separated scenarios to run (default: all, in policy order)")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	if o.PolicyPath == "" {
		return usageError(c, e, "--policy is required")
	}
	if scenarios != "" {
		o.Scenarios = strings.Split(scenarios, ",")
	}
	if fs.NArg() > 0 {
		return usageError(c, e, "unexpected argument %q", fs.Arg(0))
	}
	if store != "" {
		st, err := openStore(store, nil, "", "")
		if err != nil {
			return usageError(c, e, "--store: %v", err)
		}
		o.Store = st
	}
	out, code := runGate(ctx, e, o)
	if out != nil && out.Verdict != nil {
		printVerdict(e.stdout, out.Verdict)
		fmt.Fprintf(e.stdout, "\nReports: %s\n", strings.Join(reportPaths(out.OutDir), ", "))
	}
	return code
}

// openStore opens a baseline store: "DIR" or "dir:PATH" (a directory), or
// "branch:NAME" (a git branch through the GitHub contents API of owner/repo
// via gh; with gh nil it is built from GITHUB_TOKEN, GITHUB_REPOSITORY and
// GITHUB_API_URL).
func openStore(spec string, gh *github.Client, owner, repo string) (baseline.Store, error) {
	kind, arg, ok := strings.Cut(spec, ":")
	if !ok || (kind != "dir" && kind != "branch") {
		kind, arg = "dir", spec
	}
	switch kind {
	case "branch":
		if gh == nil {
			var err error
			gh, owner, repo, err = githubFromEnv(os.Getenv)
			if err != nil {
				return nil, err
			}
		}
		if arg == "" {
			arg = "perfgate-baselines"
		}
		return baseline.NewBranchStore(gh, owner, repo, arg)
	default:
		if arg == "" {
			return nil, errors.New("empty directory")
		}
		return baseline.NewDirStore(arg, 0)
	}
}

// githubFromEnv builds a REST client from the GitHub Actions environment.
func githubFromEnv(getenv func(string) string) (*github.Client, string, string, error) {
	token := getenv("GITHUB_TOKEN")
	owner, repo, ok := strings.Cut(getenv("GITHUB_REPOSITORY"), "/")
	if token == "" || !ok {
		return nil, "", "", errors.New("a branch store needs GITHUB_TOKEN and GITHUB_REPOSITORY (owner/repo) in the environment")
	}
	gh := github.NewClient(nil).WithAuthToken(token)
	if api := getenv("GITHUB_API_URL"); api != "" && api != "https://api.github.com" {
		var err error
		gh, err = gh.WithEnterpriseURLs(api, api)
		if err != nil {
			return nil, "", "", fmt.Errorf("GITHUB_API_URL: %v", err)
		}
	}
	return gh, owner, repo, nil
}

// runGate runs the whole gate and returns the outcome and the exit code of
// the CLI contract.
func runGate(ctx context.Context, e *env, o gateOptions) (*gateOutcome, int) {
	started := time.Now()
	src, err := os.ReadFile(o.PolicyPath)
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %s: cannot read the policy: %v\n", o.PolicyPath, errors.Unwrap(err))
		return nil, exitInvalid
	}
	p, err := policies.Parse(o.PolicyPath, src)
	if err != nil {
		fmt.Fprintf(e.stderr, "%v\n", err)
		fmt.Fprintf(e.stderr, "perfgate: %s is not a valid policy; \"perfgate validate %s\" checks it without running anything.\n", o.PolicyPath, o.PolicyPath)
		return nil, exitInvalid
	}
	switch o.FailOn {
	case "":
		o.FailOn = "fail"
	case "fail", "warn", "never":
	default:
		fmt.Fprintf(e.stderr, "perfgate: --fail-on %q: expected fail, warn or never\n", o.FailOn)
		return nil, exitInvalid
	}
	target := firstNonEmpty(o.Target, p.Target.URL)
	if target == "" {
		fmt.Fprintf(e.stderr, "perfgate: %s: no target URL: set target.url in the policy or pass --target\n", o.PolicyPath)
		return nil, exitInvalid
	}
	baseURL := firstNonEmpty(o.BaselineURL, p.Target.BaselineURL)
	if o.Calibrate && baseURL == "" {
		fmt.Fprintf(e.stderr, "perfgate: a calibration (A/A) run compares two deployments of the same commit: pass --baseline-url or set target.baseline_url\n")
		return nil, exitInvalid
	}
	if o.BaseBranch == "" {
		o.BaseBranch = o.Branch
	}
	sum := sha256.Sum256(mustJSON(p))
	meta := load.RunMeta{Policy: p.Name, PolicyHash: hex.EncodeToString(sum[:8]), Commit: o.Commit, Branch: o.Branch, Time: time.Now()}
	meta.Env.Perfgate = version
	if len(o.Labels) > 0 {
		meta.Env.Labels = o.Labels
	}
	if o.Calibrate {
		meta.Kind = baseline.KindCalibration
	}
	if o.MaxLag == 0 {
		if v := e.getenv("PERFGATE_MAX_LAG"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				fmt.Fprintf(e.stderr, "perfgate: PERFGATE_MAX_LAG=%q: expected a duration such as 50ms\n", v)
				return nil, exitInvalid
			}
			o.MaxLag = d
		}
	}
	var progress io.Writer
	if !o.Quiet {
		progress = e.stderr
	}
	res, err := runner.Run(ctx, runner.Options{
		Policy: p, TargetURL: target, BaselineURL: baseURL, Getenv: e.getenv, Meta: meta,
		Progress: progress, Live: isTerminal(e.stderr) && e.getenv("CI") == "", Scenarios: o.Scenarios, MaxLag: o.MaxLag,
	})
	var cfgErr *runner.ConfigError
	switch {
	case errors.As(err, &cfgErr):
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
		return nil, exitInvalid
	case err != nil && (res == nil || len(res.Records) == 0):
		msg := err.Error()
		cancelled := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil
		if cancelled {
			msg = "interrupted before anything was measured"
		}
		fmt.Fprintf(e.stderr, "perfgate: the measurement could not be made: %s\n", msg)
		// The report still says so, for the CI's artefacts and summary.
		if o.OutDir != "" {
			v := &gate.Verdict{Outcome: gate.Invalid, Reason: "the measurement could not be made: " + msg}
			rin := report.Input{
				Policy: p.Name, Title: firstNonEmpty(o.Title, p.Report.Title), Verdict: v, Mode: gate.ModeNone,
				Commit: o.Commit, Branch: o.Branch, Target: redact.URL(target), BaselineURL: redact.URL(baseURL), Partial: cancelled,
				Duration: time.Since(started), Material: float64(p.Regression.Material), FailOn: o.FailOn, RunURL: o.RunURL,
			}
			if werr := writeReports(o.OutDir, rin, report.Markdown(rin, report.MarkdownOptions{})); werr != nil {
				fmt.Fprintf(e.stderr, "perfgate: writing reports: %v\n", werr)
			}
		}
		return nil, exitNoTrust
	case err != nil:
		fmt.Fprintf(e.stderr, "perfgate: %v (reporting what was measured)\n", err)
	}

	in := gate.Input{Rules: runner.Rules(p), SLOs: runner.SLOs(p), Runs: res.Records}
	var warnings []string
	mode := gate.ModeNone
	if baseURL != "" {
		mode = gate.ModePaired
	}
	if o.Store != nil {
		in.History, in.Calibration, warnings = loadBaselines(ctx, o.Store, p, o.BaseBranch, baseURL != "")
		if mode == gate.ModeNone && len(in.History) > 0 {
			mode = gate.ModeHistory
		}
	}
	v := gate.Evaluate(in)
	if p.Cost != nil {
		cost := gate.Cost{InstanceHourUSD: p.Cost.InstanceHourUSD, PeakRPS: p.Cost.PeakRPS, Headroom: float64(p.Cost.Headroom)}
		for _, rec := range res.Records {
			base := rec.Reference
			if base == nil && in.History[rec.Scenario] != nil {
				base = in.History[rec.Scenario][0]
			}
			if plan := gate.PlanCapacity(rec, base, cost); plan != nil {
				v.Capacity = append(v.Capacity, *plan)
			}
		}
	}
	rin := report.Input{
		Policy: p.Name, Title: firstNonEmpty(o.Title, p.Report.Title), Verdict: v, Runs: res.Records, Mode: mode,
		Commit: o.Commit, Branch: o.Branch, Target: redact.URL(target), BaselineURL: redact.URL(baseURL), Partial: res.Partial,
		Duration: time.Since(started), Material: float64(p.Regression.Material), FailOn: o.FailOn,
		Warnings: warnings, RunURL: o.RunURL,
	}
	md := report.Markdown(rin, report.MarkdownOptions{})
	out := &gateOutcome{Policy: p, Verdict: v, Markdown: md, OutDir: o.OutDir, Records: res.Records}
	for _, rec := range res.Records {
		if rec.Capacity != nil {
			out.Capacity = rec.Capacity.RPS
			break
		}
	}
	if o.OutDir != "" {
		if err := writeReports(o.OutDir, rin, md); err != nil {
			fmt.Fprintf(e.stderr, "perfgate: writing reports: %v\n", err)
			return out, exitNoTrust
		}
	}
	if o.SaveBaseline || o.Calibrate {
		if err := saveRecords(ctx, e, o, v, res.Records); err != nil {
			fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
			return out, exitNoTrust
		}
	}
	return out, exitCode(v.Outcome, o.FailOn)
}

// loadBaselines reads, per scenario, the stored runs of branch and the A/A
// calibration records. Unreadable records are skipped and reported.
func loadBaselines(ctx context.Context, st baseline.Store, p *policies.Policy, branch string, paired bool) (hist, cal map[string][]*baseline.Record, warnings []string) {
	hist, cal = map[string][]*baseline.Record{}, map[string][]*baseline.Record{}
	for _, sc := range p.Scenarios {
		if !paired {
			recs, skipped, err := st.List(ctx, baseline.Query{Policy: p.Name, Scenario: sc.Name, Kind: baseline.KindRun, Branch: branch, Limit: p.Regression.History})
			warnings = append(warnings, storeWarnings(err, skipped)...)
			var usable []*baseline.Record
			for _, r := range recs {
				if r.Valid && !r.Partial {
					usable = append(usable, r)
				}
			}
			if len(usable) > 0 {
				hist[sc.Name] = usable
			}
		}
		recs, skipped, err := st.List(ctx, baseline.Query{Policy: p.Name, Scenario: sc.Name, Kind: baseline.KindCalibration, Limit: 30})
		warnings = append(warnings, storeWarnings(err, skipped)...)
		if len(recs) > 0 {
			cal[sc.Name] = recs
		}
	}
	return hist, cal, warnings
}

func storeWarnings(err error, skipped []error) []string {
	var out []string
	if err != nil {
		out = append(out, "baseline store: "+err.Error())
	}
	for _, s := range skipped {
		out = append(out, "skipped a stored record: "+s.Error())
	}
	return out
}

// saveRecords stores this run: valid, complete records only. A calibration
// run is stored whole (both arms); a run stored as a baseline drops its
// reference arm, and when it was paired it is also stored whole as a
// calibration record, since on the default branch both arms serve the
// same commit.
func saveRecords(ctx context.Context, e *env, o gateOptions, v *gate.Verdict, recs []*baseline.Record) error {
	if o.Store == nil {
		return errors.New("--save-baseline needs --store")
	}
	if v.Outcome == gate.Invalid {
		fmt.Fprintln(e.stderr, "perfgate: not saving a baseline: this run cannot be trusted (see the report)")
		return nil
	}
	for _, rec := range recs {
		if !o.Calibrate && rec.Reference != nil {
			// A paired run saved as the baseline ran on the default branch,
			// where both arms serve the same code: it is also an A/A run.
			cal := *rec
			cal.Kind = baseline.KindCalibration
			if key, err := o.Store.Save(ctx, &cal); err == nil || errors.Is(err, baseline.ErrPrune) {
				fmt.Fprintf(e.stderr, "perfgate: saved calibration record %s\n", key)
			}
		}
		r := *rec
		if o.Calibrate {
			if r.Reference == nil {
				return errors.New("a calibration run needs a live baseline URL (both arms on the same commit)")
			}
			r.Kind = baseline.KindCalibration
		} else {
			r.Kind = baseline.KindRun
			r.Reference = nil
		}
		key, err := o.Store.Save(ctx, &r)
		if err != nil && !errors.Is(err, baseline.ErrPrune) {
			return fmt.Errorf("saving the %s baseline: %w", r.Scenario, err)
		}
		fmt.Fprintf(e.stderr, "perfgate: saved %s record %s\n", r.Kind, key)
	}
	return nil
}

// writeReports writes report.json, comment.md and junit.xml into dir, each
// through a temporary file and a rename so no half-written report remains.
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
	for name, data := range map[string][]byte{"report.json": js, "comment.md": []byte(md), "junit.xml": ju} {
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

func reportPaths(dir string) []string {
	return []string{filepath.Join(dir, "comment.md"), filepath.Join(dir, "report.json"), filepath.Join(dir, "junit.xml")}
}

// exitCode maps a verdict to the CLI contract's exit code.
func exitCode(o gate.Outcome, failOn string) int {
	switch {
	case o == gate.Invalid:
		return exitNoTrust
	case failOn == "never":
		return exitPass
	case o == gate.Fail:
		return exitFail
	case o == gate.Warn && failOn == "warn":
		return exitFail
	}
	return exitPass
}

// printVerdict writes a compact text summary of v for a terminal or log.
func printVerdict(w io.Writer, v *gate.Verdict) {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(string(v.Outcome)), v.Reason)
	if len(v.Checks) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-10s %-22s %-11s %12s %12s  %-26s %8s  %s\n", "scenario", "check", "kind", "baseline", "candidate", "change [interval]", "MDE", "verdict")
	for _, c := range v.Checks {
		change, mde := "", ""
		if c.Kind == gate.KindRegression && c.Mode != gate.ModeNone && c.Gating {
			change = fmt.Sprintf("%+.1f%% [%+.1f%%, %+.1f%%]", 100*c.Change, 100*c.CILow, 100*c.CIHigh)
			if c.Metric == "error_rate" {
				change = fmt.Sprintf("%+.2fpp [%+.2f, %+.2f]", 100*c.Change, 100*c.CILow, 100*c.CIHigh)
			}
			if c.MDE > 0 {
				mde = fmt.Sprintf("%+.1f%%", 100*c.MDE)
			}
		}
		base := gate.FormatValue(c.Baseline, c.Unit)
		if c.Kind == gate.KindRegression && c.Mode == gate.ModeNone {
			base = "—" // no baseline to compare with
		}
		if c.Kind == gate.KindSLO {
			base = c.Op + " " + gate.FormatValue(c.Limit, c.Unit)
		}
		verdict := string(c.Verdict)
		if !c.Gating {
			verdict += " (info)"
		}
		fmt.Fprintf(w, "%-10s %-22s %-11s %12s %12s  %-26s %8s  %s\n", c.Scenario, c.Name, c.Kind, base, gate.FormatValue(c.Candidate, c.Unit), change, mde, verdict)
	}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
