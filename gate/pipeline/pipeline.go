// Package pipeline runs the gate: it is the one place that turns a parsed
// policy and options into a decision, so every command (run, calibrate,
// action, demo, compare) is an adapter over it.
//
// The data flow of Run:
//
//	Options --resolve--> target, baseline URL, mode inputs (or *InvalidError)
//	policy --runner.Run--> records of this run (or ErrCannotMeasure, ErrInterrupted)
//	Store.List --> history and A/A calibration records of the base branch
//	gate.Evaluate(rules, SLOs, records, history, calibration) --> Verdict
//	cost model + capacity records --> capacity plans in the Verdict
//	Verdict --report--> comment.md, report.json, junit.xml in OutDir (atomically)
//	records --> OutDir/records/SCENARIO.json, the input of Compare
//	Store.Save(records) when saving a baseline or a calibration
//
// Compare takes stored records instead of a live run and follows the same
// evaluate, plan and render path. Errors are typed: *InvalidError for bad
// input, ErrCannotMeasure and ErrInterrupted (use errors.Is) for a
// measurement that could not be made or was cut short; any other error is a
// failure to write the reports or save the records. A run cut short still
// writes a partial report and returns its Result with the error.
package pipeline

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/gate/runner"
	"github.com/perfgate/perfgate/policies"
)

// Options configure one gate run. The zero value runs every scenario of the
// policy against its own target URL, compares with nothing and writes no
// reports.
type Options struct {
	// TargetURL and BaselineURL override the policy's target.url and
	// target.baseline_url. A baseline URL selects paired mode.
	TargetURL, BaselineURL string
	// Store holds the baselines; nil means no history and nothing saved.
	// StoreName is how the user named it (--store), for messages.
	Store     baseline.Store
	StoreName string
	// OutDir receives report.json, comment.md and junit.xml, and Run's
	// records in OutDir/records (RecordDir); "" writes none.
	OutDir string
	// SaveBaseline stores this run as the newest baseline of Branch (it
	// needs a Store). Calibrate makes the run an A/A run (it needs a
	// baseline URL) and stores it as a calibration record.
	SaveBaseline, Calibrate bool
	// FailOn is "fail" (the default when ""), "warn" or "never"; the reports
	// name it (JUnit counts WARN as a failure with "warn").
	FailOn string
	// Commit and Branch identify this run; BaseBranch is the branch whose
	// stored runs it is compared with ("" = Branch).
	Commit, Branch, BaseBranch string
	// Labels describe the environment (gpu=a10g); stored with the records.
	Labels map[string]string
	// Title names the report's headline ("" = the policy's report.title).
	Title string
	// RunURL links to the CI run from the report.
	RunURL string
	// Scenarios, when not empty, names the scenarios to run.
	Scenarios []string
	// MaxLag is the client schedule lag p99 above which a run is invalid;
	// zero means PERFGATE_MAX_LAG from Getenv, else the runner's default.
	MaxLag time.Duration
	// Progress receives progress lines (nil: silent); Live selects one
	// updating line, for a terminal.
	Progress io.Writer
	Live     bool
	// Log receives notes a user should see in any case: records saved, a
	// measurement error reported with what was measured (nil: discarded).
	Log io.Writer
	// Getenv reads header secrets and PERFGATE_MAX_LAG (nil: empty).
	Getenv func(string) string
	// EnvRule says which environment variables the policy may read (its
	// target.headers); a policy asking for another is invalid input.
	EnvRule policies.EnvRule
	// Version is the perfgate version stored with the records.
	Version string

	// trend is the base branch's stored runs the report's trend shows
	// (Run sets it; Compare shows its history).
	trend map[string][]*baseline.Record
}

// Result is what a gate run decided and wrote.
type Result struct {
	Verdict *gate.Verdict
	// Mode is the comparison mode the report names: gate.ModePaired,
	// gate.ModeHistory or gate.ModeNone.
	Mode string
	// Markdown is the comment body, starting with report.Marker(policy).
	Markdown string
	// Records are this run's records, one per scenario.
	Records []*baseline.Record
	// Capacity is the req/s of the first capacity scenario, 0 if none.
	Capacity float64
	// OutDir is Options.OutDir, where the reports are ("" when none).
	OutDir string
	// RecordFiles are the paths of the records Run wrote into OutDir.
	RecordFiles []string
}

// Run runs the gate of policy p: see the package documentation.
func Run(ctx context.Context, p *policies.Policy, o Options) (*Result, error) {
	started := time.Now()
	o, err := o.resolve(p)
	if err != nil {
		return nil, err
	}
	// The baselines come first: a look of an extended scenario judges
	// the run so far against them.
	in, warnings := o.input(ctx, p)
	res, err := runner.Run(ctx, runner.Options{
		Policy: p, TargetURL: o.TargetURL, BaselineURL: o.BaselineURL, Getenv: o.EnvRule.Getenv(o.Getenv), Meta: o.meta(p),
		Progress: o.Progress, Live: o.Live, Scenarios: o.Scenarios, MaxLag: o.MaxLag, Look: lookWith(in, o.BaselineURL != ""),
	})
	var cfgErr *runner.ConfigError
	var abort *runner.AbortError
	switch {
	case errors.As(err, &cfgErr):
		return nil, &InvalidError{Err: err}
	case errors.As(err, &abort):
		return o.stopped(p, abort, res, started)
	case err != nil && (res == nil || len(res.Records) == 0):
		return nil, o.unmeasured(ctx, p, err, started)
	case err != nil:
		o.logf("%v (reporting what was measured)", err)
	}
	return o.conclude(ctx, p, in, res, warnings, started)
}

// input returns the rules, SLOs and stored baselines a run of p is judged
// with, and warnings about the store; it keeps the base branch's stored
// runs for the report's trend in o.trend.
func (o *Options) input(ctx context.Context, p *policies.Policy) (gate.Input, []string) {
	in := gate.Input{Rules: runner.Rules(p), SLOs: runner.SLOs(p)}
	warnings := unsentSecrets(p, *o)
	if o.Store != nil {
		var aa map[string][]*baseline.Record
		var ws []string
		in.History, o.trend, aa, ws = loadBaselines(ctx, o.Store, p, o.BaseBranch, o.BaselineURL != "")
		warnings = append(warnings, ws...)
		in.Calibration = gate.LearnCalibration(aa, in.Rules)
	}
	return in, warnings
}

// conclude judges the records of a run (or of merged shards) against the
// baselines in in, writes the reports and the records, and saves them
// when asked: the part of Run after measuring.
func (o Options) conclude(ctx context.Context, p *policies.Policy, in gate.Input, res *runner.Outcome, warnings []string, started time.Time) (*Result, error) {
	in.Runs, in.Looks = res.Records, res.Looks
	if o.Store != nil {
		warnings = append(warnings, o.noBaseline(p, in.History, res.Records)...)
	}
	r, err := decide(p, o, in, warnings, res.Partial, time.Since(started))
	if err != nil {
		return r, err
	}
	if o.OutDir != "" {
		if r.RecordFiles, err = writeRecords(o.OutDir, res.Records); err != nil {
			return r, fmt.Errorf("writing the records: %w", err)
		}
	}
	if o.SaveBaseline || o.Calibrate {
		if err := saveRecords(ctx, o, r.Verdict, res.Records); err != nil {
			return r, err
		}
	}
	if res.Partial && ctx.Err() != nil {
		return r, fmt.Errorf("%w: the report covers what was measured before", ErrInterrupted)
	}
	return r, nil
}

// resolve checks o against p and fills in what the policy and the
// environment say.
func (o Options) resolve(p *policies.Policy) (Options, error) {
	if p == nil {
		return o, &InvalidError{What: "no policy"}
	}
	switch o.FailOn {
	case "":
		o.FailOn = "fail"
	case "fail", "warn", "never":
	default:
		return o, &InvalidError{What: fmt.Sprintf("--fail-on %q: expected fail, warn or never", o.FailOn)}
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if errs := o.EnvRule.Check(p); errs != nil {
		return o, &InvalidError{Err: errs}
	}
	if err := o.secretDestinations(p); err != nil {
		return o, err
	}
	o.TargetURL = cmp.Or(o.TargetURL, p.Target.URL)
	o.BaselineURL = cmp.Or(o.BaselineURL, p.Target.BaselineURL)
	o.BaseBranch = cmp.Or(o.BaseBranch, o.Branch)
	switch {
	case o.TargetURL == "":
		return o, &InvalidError{File: p.File, What: "no target URL: set target.url in the policy or pass --target"}
	case o.Calibrate && o.BaselineURL == "":
		return o, &InvalidError{What: "a calibration (A/A) run compares two deployments of the same commit: pass --baseline-url or set target.baseline_url"}
	case (o.SaveBaseline || o.Calibrate) && o.Store == nil:
		return o, &InvalidError{What: "--save-baseline needs --store"}
	}
	if v := o.Getenv("PERFGATE_MAX_LAG"); o.MaxLag == 0 && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return o, &InvalidError{What: fmt.Sprintf("PERFGATE_MAX_LAG=%q: expected a duration such as 50ms", v)}
		}
		o.MaxLag = d
	}
	return o, nil
}

// meta is what every record of the run carries about it.
func (o Options) meta(p *policies.Policy) load.RunMeta {
	js, _ := json.Marshal(p)
	sum := sha256.Sum256(js)
	m := load.RunMeta{Policy: p.Name, PolicyHash: hex.EncodeToString(sum[:8]), Commit: o.Commit, Branch: o.Branch, Time: time.Now()}
	m.Env.Perfgate = o.Version
	if len(o.Labels) > 0 {
		m.Env.Labels = o.Labels
	}
	if o.Calibrate {
		m.Kind = baseline.KindCalibration
	}
	return m
}

// unmeasured writes the report of a run that measured nothing, for the
// CI's artefacts and summary, and returns the error that says why.
func (o Options) unmeasured(ctx context.Context, p *policies.Policy, err error, started time.Time) error {
	cancelled := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil
	if cancelled {
		err = fmt.Errorf("%w before anything was measured", ErrInterrupted)
	}
	err = fmt.Errorf("%w: %w", ErrCannotMeasure, err)
	if o.OutDir != "" {
		v := &gate.Verdict{Outcome: gate.Invalid, Reason: err.Error()}
		ri := o.reportInput(p, v, nil, nil)
		ri.Partial, ri.Duration = cancelled, time.Since(started)
		if werr := writeReports(o.OutDir, ri, report.Markdown(ri, report.MarkdownOptions{})); werr != nil {
			o.logf("writing reports: %v", werr)
		}
	}
	return err
}

func (o Options) logf(format string, a ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "perfgate: "+format+"\n", a...)
	}
}
