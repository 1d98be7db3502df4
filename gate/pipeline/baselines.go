package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/policies"
)

// TrendRuns is how many of the base branch's stored runs the report's
// trend shows (at least regression.history).
const TrendRuns = 20

// loadBaselines reads, per scenario, the stored runs of branch the gate
// compares with (regression.history of them; none when paired, which
// compares with its live baseline), the newest TrendRuns of them for the
// report's trend, and the A/A calibration records. Unreadable records are
// skipped and reported in warnings.
func loadBaselines(ctx context.Context, st baseline.Store, p *policies.Policy, branch string, paired bool) (hist, trend, cal map[string][]*baseline.Record, warnings []string) {
	hist, trend, cal = map[string][]*baseline.Record{}, map[string][]*baseline.Record{}, map[string][]*baseline.Record{}
	for _, sc := range p.Scenarios {
		n := max(p.Regression.History, TrendRuns)
		recs, skipped, err := st.List(ctx, baseline.Query{Policy: p.Name, Scenario: sc.Name, Kind: baseline.KindRun, Branch: branch, Limit: n})
		if !paired {
			warnings = append(warnings, storeWarnings(err, skipped)...)
		}
		if usable := usableRuns(recs, p.Regression.History); !paired && len(usable) > 0 {
			hist[sc.Name] = usable
		}
		if usable := usableRuns(recs, n); len(usable) > 0 {
			trend[sc.Name] = usable
		}
		recs, skipped, err = st.List(ctx, baseline.Query{Policy: p.Name, Scenario: sc.Name, Kind: baseline.KindCalibration, Limit: baseline.CalibrationRecords})
		warnings = append(warnings, storeWarnings(err, skipped)...)
		if len(recs) > 0 {
			cal[sc.Name] = recs
		}
	}
	return hist, trend, cal, warnings
}

// usableRuns are the valid, complete runs among the first limit of recs
// (all when limit is 0), as the store lists them.
func usableRuns(recs []*baseline.Record, limit int) []*baseline.Record {
	if limit > 0 && len(recs) > limit {
		recs = recs[:limit]
	}
	var usable []*baseline.Record
	for _, r := range recs {
		if r.Valid && !r.Partial {
			usable = append(usable, r)
		}
	}
	return usable
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

// notSaveable says why a run judged v must not become a baseline (nor a
// calibration record), or returns "": an invalid run cannot be trusted,
// and a run that broke its error-rate SLO measured a broken deployment,
// whose latencies (of the few requests that succeeded, or none) would make
// every later comparison meaningless.
func notSaveable(v *gate.Verdict) string {
	if v.Outcome == gate.Invalid {
		return "the run is invalid (" + v.Reason + ")"
	}
	for _, c := range v.Checks {
		if c.Kind == gate.KindSLO && c.Metric == metric.ErrorRate && c.Verdict == gate.Fail {
			return fmt.Sprintf("scenario %s broke its error-rate SLO (%s)", c.Scenario, c.Reason)
		}
	}
	return ""
}

// savedAs names what a saved run becomes.
func (o Options) savedAs() string {
	if o.Calibrate {
		return "a calibration record"
	}
	return "a baseline"
}

// saveRecords stores this run: valid, complete records only. A calibration
// run is stored whole (both arms); a run stored as a baseline drops its
// reference arm, and when it was paired it is also stored whole as a
// calibration record, since on the default branch both arms serve the
// same commit.
func saveRecords(ctx context.Context, o Options, v *gate.Verdict, recs []*baseline.Record) error {
	if why := notSaveable(v); why != "" {
		o.logf("not saved as %s: %s", o.savedAs(), why)
		return nil
	}
	for _, rec := range recs {
		if !o.Calibrate && rec.Reference != nil {
			cal := *rec
			cal.Kind = baseline.KindCalibration
			if key, err := o.Store.Save(ctx, &cal); err == nil || errors.Is(err, baseline.ErrPrune) {
				o.logf("saved calibration record %s", key)
			}
		}
		r := *rec
		if o.Calibrate {
			r.Kind = baseline.KindCalibration
		} else {
			r.Kind, r.Reference = baseline.KindRun, nil
		}
		key, err := o.Store.Save(ctx, &r)
		if err != nil && !errors.Is(err, baseline.ErrPrune) {
			return fmt.Errorf("saving the %s baseline: %w", r.Scenario, err)
		}
		o.logf("saved %s record %s", r.Kind, key)
	}
	return nil
}

// noBaseline says, for each measured scenario without a live baseline and
// without a stored run, which branch of which store was searched.
func (o Options) noBaseline(p *policies.Policy, hist map[string][]*baseline.Record, runs []*baseline.Record) []string {
	var out []string
	for _, rec := range runs {
		if rec == nil || rec.Reference != nil || len(hist[rec.Scenario]) > 0 {
			continue
		}
		branch := fmt.Sprintf("branch %q", o.BaseBranch)
		if o.BaseBranch == "" {
			branch = "no branch (pass --branch or --base-branch, or run inside a git repository)"
		}
		store := "the store"
		if o.StoreName != "" {
			store = fmt.Sprintf("store %q", o.StoreName)
		}
		out = append(out, fmt.Sprintf("no baseline yet for scenario %s: %s holds no stored run of policy %s on %s; a run on that branch with --save-baseline stores one", rec.Scenario, store, p.Name, branch))
	}
	return out
}

// OpenStore opens a baseline store: none for "" or "none", a directory for
// "DIR" or "dir:PATH", or a git branch for "branch:NAME" through the GitHub
// contents API of owner/repo via gh (with gh nil, from GITHUB_TOKEN,
// GITHUB_REPOSITORY and GITHUB_API_URL). It keeps keep runs per policy,
// scenario and branch (0: the store's default).
func OpenStore(spec string, keep int, getenv func(string) string, gh *github.Client, owner, repo string) (baseline.Store, error) {
	switch {
	case spec == "" || spec == "none":
		return nil, nil
	case strings.HasPrefix(spec, "branch:") && gh != nil && (owner == "" || repo == ""):
		return nil, errors.New("a branch store needs the repository (GITHUB_REPOSITORY)")
	}
	return baseline.Open(spec, baseline.OpenOptions{Getenv: getenv, Client: gh, Owner: owner, Repo: repo, Keep: keep})
}
