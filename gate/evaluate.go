package gate

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	mstats "github.com/aclements/go-moremath/stats"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// Rules are a policy's regression rules in the gate's terms.
type Rules struct {
	// Gate lists the gating checks by name ("e2e.p95", "ttft.p95",
	// "tpot.p50", "requests_per_s", "output_tokens_per_s", "capacity",
	// "error_rate").
	Gate []string
	// Negligible (δ) and Material (Δ) are relative changes (0.03, 0.10).
	Negligible, Material float64
	// Alpha is the family error rate of a false FAIL across the gating
	// checks (1 − confidence), in (0, 0.5).
	Alpha float64
	// History is how many stored runs history mode compares with.
	History int
	// ErrorRateNegligible and ErrorRateMaterial are absolute differences
	// of error proportions (0.001 = 0.1 percentage points).
	ErrorRateNegligible, ErrorRateMaterial float64
	// PriorTau is the between-deployment standard deviation (log scale)
	// assumed until enough A/A calibration runs exist; 0 means
	// sqrt(stats.DefaultPriorTau2).
	PriorTau float64
}

// Default rule values (docs/statistics.md explains them).
const (
	DefaultNegligible          = 0.03
	DefaultMaterial            = 0.10
	DefaultAlpha               = 0.05
	DefaultHistory             = 10
	DefaultErrorRateNegligible = 0.001
	DefaultErrorRateMaterial   = 0.01
)

func (r Rules) withDefaults() Rules {
	if r.Negligible <= 0 {
		r.Negligible = DefaultNegligible
	}
	if r.Material <= r.Negligible {
		r.Material = math.Max(DefaultMaterial, 2*r.Negligible)
	}
	if !(r.Alpha > 0 && r.Alpha < 0.5) {
		r.Alpha = DefaultAlpha
	}
	if r.History <= 0 {
		r.History = DefaultHistory
	}
	if r.ErrorRateNegligible <= 0 {
		r.ErrorRateNegligible = DefaultErrorRateNegligible
	}
	if r.ErrorRateMaterial <= r.ErrorRateNegligible {
		r.ErrorRateMaterial = math.Max(DefaultErrorRateMaterial, 2*r.ErrorRateNegligible)
	}
	return r
}

// Input is everything Evaluate judges.
type Input struct {
	Rules Rules
	SLOs  []SLO
	// Runs are this run's records, one per scenario. A paired run's record
	// carries the live baseline arm in Reference.
	Runs []*baseline.Record
	// History holds, per scenario, the stored runs of the base branch,
	// newest first (pinned first); used when a run has no Reference.
	History map[string][]*baseline.Record
	// Calibration holds, per scenario, stored A/A records (with Reference)
	// from which the between-deployment variance τ² is learned.
	Calibration map[string][]*baseline.Record
	// Memo, when set, keeps what was computed about calibration records
	// for later calls that share them.
	Memo *Memo
}

// regression is a regression check before the Holm step.
type regression struct {
	check     Check
	est       stats.Estimate
	neg, mat  float64 // thresholds on the log scale
	wilcoxonP float64 // one-sided signed-rank p of "worse than negligible"; NaN if not computed
	judgeable bool
	propDiff  bool // an error-rate check: judged on proportions, not est
	counts    [4]int
}

// Evaluate checks the SLOs and compares every gating metric of the run
// with its baseline, and returns the verdict.
func Evaluate(in Input) *Verdict {
	rules := in.Rules.withDefaults()
	v := &Verdict{}
	var regs []*regression
	measured := map[string]bool{}
	for _, rec := range in.Runs {
		if rec == nil {
			continue
		}
		// A capacity record's latencies come from the search's last step,
		// at a rate that differs between arms and runs: only the capacity
		// itself is compared (the SLOs were its criteria at every step).
		isCapacity := rec.Capacity != nil
		for _, slo := range in.SLOs {
			if !hasMetric(rec, slo.Metric) || isCapacity && slo.Metric != "capacity" {
				continue
			}
			v.Checks = append(v.Checks, checkSLO(rec, slo, rules.Alpha))
		}
		v.Checks = append(v.Checks, phaseChecks(rec, rules)...)
		v.Warnings = append(v.Warnings, comparabilityWarnings(rec, in.History[rec.Scenario])...)
		tau := newTauCache(in.Calibration[rec.Scenario], rules, in.Memo)
		for _, name := range rules.Gate {
			metric, stat := SplitName(name)
			if !hasMetric(rec, metric) || isCapacity && metric != "capacity" {
				continue
			}
			measured[name] = true
			regs = append(regs, compare(rec, name, metric, stat, in.History[rec.Scenario], tau, rules))
		}
	}
	for _, name := range rules.Gate {
		if !measured[name] {
			v.Warnings = append(v.Warnings, fmt.Sprintf("gating metric %s was not measured by any scenario", name))
		}
	}
	decideRegressions(regs, rules)
	for _, r := range regs {
		v.Checks = append(v.Checks, r.check)
	}
	finish(v, in.Runs)
	return v
}

// hasMetric reports whether rec measured metric.
func hasMetric(rec *baseline.Record, metric string) bool {
	switch metric {
	case "capacity":
		return rec.Capacity != nil
	case "cold_start":
		return rec.ColdStart > 0
	case "error_rate":
		return len(rec.Windows) > 0
	}
	_, ok := rec.Metrics[metric]
	return ok
}

// compare builds the regression check of one gating metric of rec.
func compare(rec *baseline.Record, name, metric, stat string, history []*baseline.Record, tau *tauCache, rules Rules) *regression {
	r := &regression{
		check: Check{
			Scenario: rec.Scenario, Name: name, Metric: metric, Stat: stat, Kind: KindRegression,
			HigherIsBetter: HigherIsBetter(metric), Gating: true,
		},
		neg:       stats.LogChange(rules.Negligible),
		mat:       stats.LogChange(rules.Material),
		wilcoxonP: math.NaN(),
	}
	if len(history) > rules.History {
		history = history[:rules.History]
	}
	c := &r.check
	switch {
	case metric == "error_rate":
		compareErrorRate(r, rec, history, rules)
		return r
	case rec.Reference != nil:
		c.Mode = ModePaired
		comparePaired(r, rec, rec.Reference, tau)
	case len(history) > 0:
		c.Mode = ModeHistory
		compareHistory(r, rec, history)
	default:
		c.Mode = ModeNone
		pv, err := valueOf(rec, metric, stat, rules.Alpha)
		if err == nil {
			c.Candidate, c.Unit, c.Samples = pv.value, pv.unit, pv.count
		}
		notJudged(r, "no baseline yet: runs stored from the base branch, or a live baseline URL, give one")
	}
	return r
}

// notJudged makes r informational with the given reason.
func notJudged(r *regression, reason string) {
	r.judgeable = false
	r.check.Gating = false
	r.check.Verdict = Warn
	r.check.Reason = r.check.Name + ": " + reason
}

// sign is +1 for lower-is-better metrics and -1 for higher-is-better ones:
// multiplying a log-ratio by it makes positive mean worse.
func (r *regression) sign() float64 {
	if r.check.HigherIsBetter {
		return -1
	}
	return 1
}

// comparePaired estimates the change between the two arms of a paired run.
func comparePaired(r *regression, cand, ref *baseline.Record, tau *tauCache) {
	c := &r.check
	metric, stat := c.Metric, c.Stat
	if metric == "capacity" {
		compareCapacityPaired(r, cand, ref, tau)
		return
	}
	cs, err1 := seriesOf(cand, metric, stat)
	bs, err2 := seriesOf(ref, metric, stat)
	if err := errors.Join(err1, err2); err != nil {
		notJudged(r, err.Error())
		return
	}
	c.Unit, c.Candidate, c.Baseline, c.Samples = cs.unit, cs.pooled, bs.pooled, cs.pooledCount
	tau2, nAA := tau.get(c.Name)
	d, pooled, err := pairedDiffs(cs, bs, r.sign())
	if err != nil {
		notJudged(r, err.Error())
		return
	}
	c.Windows = len(d)
	if !pooled {
		// Welch-Satterthwaite degrees of freedom: min(W-1, N_AA-1) ignores
		// that the within-run part of the variance is known to W-1 degrees
		// of freedom, and the evaluation (docs/evaluation.md) shows it
		// costs power with no gain in false alarms.
		trim := TrimFor(stat)
		pr, err := stats.Paired(stats.PairedInput{D: d, Tau2: tau2, NAA: nAA, PriorTau2: tau.prior2, DF: stats.DFWelch, Trim: trim})
		if err != nil {
			notJudged(r, "paired estimate: "+err.Error())
			return
		}
		r.est, r.judgeable = pr.Estimate, true
		if aa := tau.stats(c.Name); trim > 0 && aa.n >= stats.MinAARuns && aa.total > r.est.SE*r.est.SE {
			// A trimmed mean's within-run error, estimated from the
			// windows of one run, can come out small when no window
			// happened to stall: it is not let below the spread of the
			// A/A runs' own estimates, the whole null variance of this
			// comparison.
			r.est.SE, r.est.DF = math.Sqrt(aa.total), math.Min(r.est.DF, float64(aa.n-1))
		}
		c.Warnings = append(c.Warnings, errStrings(pr.Warnings)...)
		shifted := make([]float64, len(d))
		for i, x := range d {
			shifted[i] = x - r.neg
		}
		if sr, err := stats.SignedRank(shifted); err == nil {
			r.wilcoxonP = sr.PGreater
		}
		return
	}
	// Too few tail values per window: the pooled percentile, with a
	// paired delete-one-window jackknife for its within-run error.
	effect, se, n, err := pooledPaired(cs, bs, r.sign())
	if err != nil {
		notJudged(r, err.Error())
		return
	}
	c.Warnings = append(c.Warnings, fmt.Sprintf("%s has too few values per window for %s: pooled over windows", metric, stat))
	if aa := tau.stats(c.Name); aa.n >= stats.MinAARuns {
		// The jackknife of a pooled percentile is itself noisy (it is not
		// a consistent estimator for quantiles: one stalled window makes
		// it explode), so splitting the A/A variance into within and
		// between parts, or adding this run's jackknife, is unreliable
		// here: the spread of the A/A runs' own pooled estimates is the
		// null variance of this comparison, used whole.
		r.est = stats.Estimate{Effect: effect, SE: math.Sqrt(aa.total), DF: float64(aa.n - 1)}
		r.judgeable = true
		return
	}
	pr := pairedWithSE(effect, se, n, tau2, nAA, tau.prior2)
	r.est, r.judgeable = pr.Estimate, true
	c.Warnings = append(c.Warnings, errStrings(pr.Warnings)...)
}

// pooledPaired estimates the signed log-ratio of the pooled statistic of
// two aligned series and its within-run standard error by a paired
// delete-one-window jackknife over the n windows both have.
func pooledPaired(cs, bs *series, sign float64) (effect, se float64, n int, err error) {
	ch, err1 := cs.decodedHists()
	bh, err2 := bs.decodedHists()
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, 0, err
	}
	n = min(len(ch), len(bh))
	scale := scaleOf(cs.unit)
	effect = sign * math.Log(cs.pooled/bs.pooled)
	_, se, err = stats.Jackknife(n, func(excl int) float64 {
		return sign * math.Log(leaveOneOut(ch[:n], excl, cs.stat, scale)/leaveOneOut(bh[:n], excl, cs.stat, scale))
	})
	if err != nil || math.IsNaN(se) || math.IsNaN(effect) || math.IsInf(effect, 0) {
		return 0, 0, 0, fmt.Errorf("the pooled estimate of %s.%s failed", cs.metric, cs.stat)
	}
	return effect, se, n, nil
}

// pairedWithSE applies the paired method's τ² and degrees-of-freedom rules
// to an effect whose within-run standard error comes from elsewhere (a
// jackknife, a capacity bracket), by building window differences with the
// same mean and standard error.
func pairedWithSE(effect, se float64, w int, tau2 float64, nAA int, prior2 float64) stats.PairedResult {
	if w < 2 {
		w = 2
	}
	// Values ±a around effect (one at effect when w is odd) have mean
	// effect and sample standard deviation sd = se·√w.
	sd := se * math.Sqrt(float64(w))
	a := sd
	if w%2 == 0 {
		a = sd * math.Sqrt(float64(w-1)/float64(w))
	}
	d := make([]float64, w)
	for i := range d {
		switch {
		case w%2 == 1 && i == w-1:
			d[i] = effect
		case i%2 == 0:
			d[i] = effect + a
		default:
			d[i] = effect - a
		}
	}
	pr, err := stats.Paired(stats.PairedInput{D: d, Tau2: tau2, NAA: nAA, PriorTau2: prior2})
	if err != nil {
		return stats.PairedResult{Estimate: stats.Estimate{Effect: effect, SE: math.Sqrt(se*se + tau2), DF: float64(w - 1)}}
	}
	pr.Effect = effect
	pr.SE = math.Sqrt(se*se + pr.Tau2)
	pr.Lag1 = 0
	return pr
}

// pairedDiffs returns the per-window signed log-ratios of two aligned
// series. pooled is true when the windows have too few tail values for the
// statistic but the pooled sample has enough: the caller then estimates
// on the pooled statistic.
func pairedDiffs(cs, bs *series, sign float64) (d []float64, pooled bool, err error) {
	n := min(len(cs.values), len(bs.values))
	if n < 2 {
		return nil, false, fmt.Errorf("only %d paired windows (needs 2)", n)
	}
	if cs.windowsTailOK() && bs.windowsTailOK() {
		for i := 0; i < n; i++ {
			d = append(d, sign*math.Log(cs.values[i]/bs.values[i]))
		}
		return d, false, nil
	}
	if _, isPct := metric.Quantile(cs.stat); isPct && tailOK(cs.stat, cs.pooledCount) && tailOK(cs.stat, bs.pooledCount) && cs.hists[0] != "" {
		return nil, true, nil
	}
	if _, isPct := metric.Quantile(cs.stat); isPct {
		return nil, false, fmt.Errorf("only %d samples, too few for %s (needs %d); informational", min(cs.pooledCount, bs.pooledCount), cs.stat, minCountFor(cs.stat))
	}
	for i := 0; i < n; i++ {
		if cs.values[i] > 0 && bs.values[i] > 0 {
			d = append(d, sign*math.Log(cs.values[i]/bs.values[i]))
		}
	}
	if len(d) < 2 {
		return nil, false, fmt.Errorf("fewer than 2 windows with values in both arms")
	}
	return d, false, nil
}

// compareCapacityPaired compares the capacities of the two arms.
func compareCapacityPaired(r *regression, cand, ref *baseline.Record, tau *tauCache) {
	c := &r.check
	c.Unit = "req/s"
	if cand.Capacity == nil || ref.Capacity == nil || cand.Capacity.RPS <= 0 || ref.Capacity.RPS <= 0 {
		notJudged(r, "capacity was not found in both arms")
		return
	}
	c.Candidate, c.Baseline = cand.Capacity.RPS, ref.Capacity.RPS
	se := math.Hypot(capacitySE(cand.Capacity), capacitySE(ref.Capacity))
	tau2, nAA := tau.get(c.Name)
	pr := pairedWithSE(r.sign()*math.Log(c.Candidate/c.Baseline), se, 10, tau2, nAA, tau.prior2)
	r.est, r.judgeable = pr.Estimate, true
	c.Warnings = append(c.Warnings, errStrings(pr.Warnings)...)
}

// compareHistory compares rec with the stored runs of the base branch.
func compareHistory(r *regression, rec *baseline.Record, history []*baseline.Record) {
	c := &r.check
	metric, stat := c.Metric, c.Stat
	x, seX, unit, count, err := logStat(rec, metric, stat, true)
	if err != nil {
		notJudged(r, err.Error())
		return
	}
	c.Unit, c.Samples, c.Candidate = unit, count, math.Exp(x)
	var hist []float64
	for _, h := range history {
		if hx, _, _, _, err := logStat(h, metric, stat, false); err == nil {
			hist = append(hist, r.sign()*hx)
		}
	}
	c.History = len(hist)
	if len(hist) == 0 {
		notJudged(r, "no stored run measured it")
		return
	}
	hr, err := stats.History(r.sign()*x, seX, hist)
	if err != nil {
		notJudged(r, "history estimate: "+err.Error())
		return
	}
	c.Baseline = math.Exp(r.sign() * hr.Mean)
	r.est = hr.Estimate
	if !hr.Judgeable {
		ch := 100 * stats.RelChange(r.sign()*hr.Effect)
		notJudged(r, fmt.Sprintf("%+.1f%% against %d stored run(s); reported, not judged (needs %d)", ch, hr.N, stats.MinHistory))
		fillInterval(r, r.est.Lower(0.05), r.est.Upper(0.05), 0.95)
		return
	}
	r.judgeable = true
}

// logStat returns ln of metric.stat of rec and, when withSE, its standard
// error (a jackknife over windows: costly, so not for stored runs, whose
// spread the history's own variance already holds).
func logStat(rec *baseline.Record, metric, stat string, withSE bool) (x, se float64, unit string, count int64, err error) {
	if metric == "capacity" {
		if rec.Capacity == nil || rec.Capacity.RPS <= 0 {
			return 0, 0, "", 0, fmt.Errorf("no capacity measured")
		}
		return math.Log(rec.Capacity.RPS), capacitySE(rec.Capacity), "req/s", int64(len(rec.Capacity.Steps)), nil
	}
	s, err := seriesOf(rec, metric, stat)
	if err != nil {
		return 0, 0, "", 0, err
	}
	if !(s.pooled > 0) {
		return 0, 0, s.unit, s.pooledCount, fmt.Errorf("no positive value of %s.%s", metric, stat)
	}
	if !tailOK(stat, s.pooledCount) {
		return 0, 0, s.unit, s.pooledCount, fmt.Errorf("only %d samples, too few for %s (needs %d); informational", s.pooledCount, stat, minCountFor(stat))
	}
	if withSE {
		if se, err = logSE(s); err != nil {
			return 0, 0, s.unit, s.pooledCount, err
		}
	}
	return math.Log(s.pooled), se, s.unit, s.pooledCount, nil
}

// compareErrorRate compares error proportions: Newcombe's interval for the
// difference candidate − baseline, judged against absolute thresholds.
func compareErrorRate(r *regression, rec *baseline.Record, history []*baseline.Record, rules Rules) {
	c := &r.check
	c.Unit = "ratio"
	r.propDiff = true
	r.neg, r.mat = rules.ErrorRateNegligible, rules.ErrorRateMaterial
	cf, cn := errorCounts(rec)
	var bf, bn int64
	switch {
	case rec.Reference != nil:
		c.Mode = ModePaired
		bf, bn = errorCounts(rec.Reference)
	case len(history) > 0:
		c.Mode = ModeHistory
		for _, h := range history {
			f, n := errorCounts(h)
			bf, bn = bf+f, bn+n
		}
		c.History = len(history)
	default:
		c.Mode = ModeNone
	}
	c.Samples = cn
	if cn > 0 {
		c.Candidate = float64(cf) / float64(cn)
	}
	if bn == 0 || cn == 0 {
		notJudged(r, "no baseline requests to compare the error rate with")
		return
	}
	c.Baseline = float64(bf) / float64(bn)
	r.counts = [4]int{int(cf), int(cn), int(bf), int(bn)}
	r.judgeable = true
}

func errorCounts(rec *baseline.Record) (failed, total int64) {
	for _, w := range rec.Windows {
		failed += w.Failed
		total += w.Failed + w.Succeeded
	}
	return failed, total
}

// decideRegressions applies Holm's step-down across the judgeable checks
// and the three-valued rule to each.
func decideRegressions(regs []*regression, rules Rules) {
	var idx []int
	var ps []float64
	for i, r := range regs {
		if r.judgeable && !r.propDiff {
			idx = append(idx, i)
			ps = append(ps, r.est.PExceeds(r.neg))
		}
	}
	thresholds, reject := stats.HolmStepDown(ps, rules.Alpha)
	m := 0
	for _, r := range regs {
		if r.judgeable {
			m++
		}
	}
	for k, i := range idx {
		r := regs[i]
		am := thresholds[k]
		lcb, ucb := r.est.Lower(am), r.est.Upper(am)
		out := stats.Decide(lcb, ucb, r.neg, r.mat)
		c := &r.check
		c.PValue = ps[k]
		c.MDE = stats.RelChange(r.est.MDE(am, r.neg, 0.95))
		fillInterval(r, lcb, ucb, 1-am)
		c.Reason = c.Name + " " + formatChange(c) + ": " + stats.ExplainDirected(lcb, ucb, r.neg, r.mat, c.HigherIsBetter)
		switch {
		case out == stats.Fail && !reject[k]:
			out = stats.Warn
			c.Reason += "; not significant after the Holm correction across gating metrics"
		case out == stats.Fail && !math.IsNaN(r.wilcoxonP) && r.wilcoxonP > am:
			out = stats.Warn
			c.Reason += fmt.Sprintf("; the signed-rank cross-check does not confirm it (p=%.3g)", r.wilcoxonP)
		}
		c.Verdict = outcomeOf(out)
	}
	// Error rates: Newcombe's interval at a Bonferroni level, which is
	// never less strict than Holm's.
	for _, r := range regs {
		if !r.judgeable || !r.propDiff {
			continue
		}
		a := rules.Alpha / float64(max(m, 1))
		cnt := r.counts
		diff, lo, hi, err := stats.NewcombeDiff(cnt[0], cnt[1], cnt[2], cnt[3], 1-2*a)
		c := &r.check
		if err != nil {
			notJudged(r, "error rate interval: "+err.Error())
			continue
		}
		c.Change, c.CILow, c.CIHigh, c.Confidence = diff, lo, hi, 1-a
		pp := func(x float64) string { return fmt.Sprintf("%+.2f pp", 100*x) }
		switch {
		case lo > r.neg:
			c.Verdict = Fail
			c.Reason = fmt.Sprintf("error_rate %.2f%% vs %.2f%%: the difference is at least %s, above the negligible %s", 100*c.Candidate, 100*c.Baseline, pp(lo), pp(r.neg))
		case hi < r.mat:
			c.Verdict = Pass
			c.Reason = fmt.Sprintf("error_rate %.2f%% vs %.2f%%: the difference is at most %s, below the material %s", 100*c.Candidate, 100*c.Baseline, pp(hi), pp(r.mat))
		default:
			c.Verdict = Warn
			c.Reason = fmt.Sprintf("error_rate %.2f%% vs %.2f%%: the difference [%s, %s] is inconclusive", 100*c.Candidate, 100*c.Baseline, pp(lo), pp(hi))
		}
	}
}

// fillInterval stores the change and its interval as relative changes of
// the metric itself (so a throughput drop shows as negative).
func fillInterval(r *regression, lcb, ucb, conf float64) {
	c := &r.check
	e := r.est.Effect
	if r.check.HigherIsBetter {
		c.Change, c.CILow, c.CIHigh = stats.RelChange(-e), stats.RelChange(-ucb), stats.RelChange(-lcb)
	} else {
		c.Change, c.CILow, c.CIHigh = stats.RelChange(e), stats.RelChange(lcb), stats.RelChange(ucb)
	}
	c.Confidence = conf
}

func formatChange(c *Check) string {
	return fmt.Sprintf("%+.1f%% [%+.1f%%, %+.1f%%]", 100*c.Change, 100*c.CILow, 100*c.CIHigh)
}

func outcomeOf(o stats.Outcome) Outcome {
	switch o {
	case stats.Pass:
		return Pass
	case stats.Fail:
		return Fail
	}
	return Warn
}

func errStrings(errs []error) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, strings.TrimPrefix(e.Error(), "stats: "))
	}
	return out
}

// finish sets the overall outcome and its one-sentence reason.
func finish(v *Verdict, runs []*baseline.Record) {
	var invalid []string
	for _, rec := range runs {
		if rec == nil {
			continue
		}
		if rec.Partial {
			invalid = append(invalid, fmt.Sprintf("scenario %s was cut short", rec.Scenario))
		}
		if !rec.Valid {
			reasons := strings.Join(rec.Invalid, "; ")
			if reasons == "" {
				reasons = "the load generator did not keep up"
			}
			invalid = append(invalid, fmt.Sprintf("scenario %s: %s", rec.Scenario, reasons))
		}
	}
	var fails, warns []Check
	for _, c := range v.Checks {
		switch {
		case c.Verdict == Fail:
			fails = append(fails, c)
		case c.Verdict == Warn:
			warns = append(warns, c)
		}
	}
	sort.SliceStable(fails, func(i, j int) bool { return fails[i].Kind == KindRegression && fails[j].Kind != KindRegression })
	switch {
	case len(invalid) > 0:
		v.Outcome = Invalid
		v.Reason = "The measurement cannot be trusted: " + strings.Join(invalid, "; ") + "."
	case len(fails) > 0:
		v.Outcome = Fail
		v.Reason = fmt.Sprintf("%s.", fails[0].Reason)
		if len(fails) > 1 {
			v.Reason = fmt.Sprintf("%d checks failed; first: %s.", len(fails), fails[0].Reason)
		}
	case len(warns) > 0:
		v.Outcome = Warn
		v.Reason = fmt.Sprintf("No check failed, but %d %s: %s.", len(warns), plural(len(warns), "is inconclusive or informational", "are inconclusive or informational"), warns[0].Reason)
	case len(v.Checks) == 0:
		v.Outcome = Pass
		v.Reason = "Nothing to judge: the policy has no SLOs and no gating metric was measured."
	default:
		v.Outcome = Pass
		v.Reason = fmt.Sprintf("All %d checks passed.", len(v.Checks))
		if worst := largestRegression(v.Checks); worst != nil {
			v.Reason = fmt.Sprintf("All %d checks passed; the largest change is %s %s, and this run could have detected a worsening of %+.1f%%.", len(v.Checks), worst.Name, formatChange(worst), 100*worst.MDE)
		}
	}
}

// largestRegression returns the gating regression check with the largest
// worsening.
func largestRegression(cs []Check) *Check {
	var best *Check
	worse := func(c *Check) float64 {
		if c.HigherIsBetter {
			return -c.Change
		}
		return c.Change
	}
	for i := range cs {
		c := &cs[i]
		if c.Kind != KindRegression || !c.Gating || c.Metric == "error_rate" {
			continue
		}
		if best == nil || worse(c) > worse(best) {
			best = c
		}
	}
	return best
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// comparabilityWarnings says when stored runs were measured under other
// conditions (metric definitions, model, runner size, user labels).
func comparabilityWarnings(rec *baseline.Record, history []*baseline.Record) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	check := func(other *baseline.Record, what string) {
		if other.MetricDefs != rec.MetricDefs {
			add(fmt.Sprintf("%s: %s uses metric definitions %s, this run %s", rec.Scenario, what, other.MetricDefs, rec.MetricDefs))
		}
		if other.Env.Model != rec.Env.Model {
			add(fmt.Sprintf("%s: %s measured model %q, this run %q", rec.Scenario, what, other.Env.Model, rec.Env.Model))
		}
		if other.Env.CPUs != rec.Env.CPUs || other.Env.Arch != rec.Env.Arch {
			add(fmt.Sprintf("%s: %s ran on a %d-CPU %s runner, this run on %d-CPU %s", rec.Scenario, what, other.Env.CPUs, other.Env.Arch, rec.Env.CPUs, rec.Env.Arch))
		}
		for k, v := range rec.Env.Labels {
			if ov, ok := other.Env.Labels[k]; ok && ov != v {
				add(fmt.Sprintf("%s: %s has label %s=%q, this run %q", rec.Scenario, what, k, ov, v))
			}
		}
		if other.PolicyHash != "" && rec.PolicyHash != "" && other.PolicyHash != rec.PolicyHash {
			add(fmt.Sprintf("%s: the policy changed since %s was stored; the comparison may not be like for like", rec.Scenario, what))
		}
	}
	if rec.Reference != nil {
		return nil // both arms ran now, under one plan
	}
	for _, h := range history {
		check(h, "a stored baseline")
	}
	return out
}

// tauCache learns τ² per check name from the scenario's A/A records.
type tauCache struct {
	aa     []*baseline.Record
	prior2 float64
	cache  map[string]aaStats
	memo   *Memo
}

// Memo keeps what Evaluate computed about calibration records, so that
// calls sharing them (an evaluation running thousands of trials over one
// pool of A/A records) compute it once. The zero Memo is ready to use; a
// nil *Memo memoises nothing. It is safe for concurrent use.
type Memo struct {
	mu sync.Mutex
	m  map[memoKey]memoValue
}

type memoKey struct {
	rec  *baseline.Record
	name string
}

type memoValue struct {
	sum stats.PairedSummary
	ok  bool
}

// summary returns the paired summary of check name in the A/A record rec
// (whose Reference is the other arm), computing it at most once.
func (m *Memo) summary(rec *baseline.Record, name string) (stats.PairedSummary, bool) {
	if m == nil {
		return aaSummary(rec, name)
	}
	k := memoKey{rec, name}
	m.mu.Lock()
	v, hit := m.m[k]
	m.mu.Unlock()
	if hit {
		return v.sum, v.ok
	}
	v.sum, v.ok = aaSummary(rec, name)
	m.mu.Lock()
	if m.m == nil {
		m.m = map[memoKey]memoValue{}
	}
	m.m[k] = v
	m.mu.Unlock()
	return v.sum, v.ok
}

// aaSummary is the paired estimate of check name in one A/A record: its
// mean log-ratio and within-run spread, as the check itself would compute
// them (window by window, or pooled with a jackknife).
func aaSummary(rec *baseline.Record, name string) (stats.PairedSummary, bool) {
	metric, stat := SplitName(name)
	if metric == "capacity" {
		if rec.Capacity != nil && rec.Reference.Capacity != nil && rec.Capacity.RPS > 0 && rec.Reference.Capacity.RPS > 0 {
			se := math.Hypot(capacitySE(rec.Capacity), capacitySE(rec.Reference.Capacity))
			return stats.PairedSummary{Mean: math.Log(rec.Capacity.RPS / rec.Reference.Capacity.RPS), SD: se * math.Sqrt(10), W: 10}, true
		}
		return stats.PairedSummary{}, false
	}
	cs, err1 := seriesOf(rec, metric, stat)
	bs, err2 := seriesOf(rec.Reference, metric, stat)
	if err1 != nil || err2 != nil {
		return stats.PairedSummary{}, false
	}
	d, pooled, err := pairedDiffs(cs, bs, 1)
	switch {
	case err != nil:
		return stats.PairedSummary{}, false
	case pooled:
		effect, se, n, err := pooledPaired(cs, bs, 1)
		if err != nil || n < 2 {
			return stats.PairedSummary{}, false
		}
		return stats.PairedSummary{Mean: effect, SD: se * math.Sqrt(float64(n)), W: n}, true
	}
	sum, err := stats.SummarizeTrimmed(d, TrimFor(stat))
	return sum, err == nil
}

// TailTrim is the share of windows cut from each end of the per-window
// log-ratios of a tail percentile (p90 and above) before averaging them:
// a rare stall lands in one arm's window and moves that window's tail
// far more than a regression does, so the plain mean of twelve windows
// is at the mercy of one or two of them (docs/evaluation.md). Medians and
// throughput keep the plain mean.
const TailTrim = 0.2

// TrimFor returns the share of windows trimmed from each end in the paired
// estimate of stat: TailTrim for p90 and above, else 0.
func TrimFor(stat string) float64 {
	if q, ok := metric.Quantile(stat); ok && q >= 0.9 {
		return TailTrim
	}
	return 0
}

// aaStats is what the A/A records say about one check.
type aaStats struct {
	tau2 float64 // between-deployment variance, method of moments
	n    int     // A/A runs used
	// total is the sample variance of the A/A runs' estimates: the whole
	// null variance of one paired comparison, within-run noise included.
	total float64
}

func newTauCache(aa []*baseline.Record, rules Rules, memo *Memo) *tauCache {
	prior2 := 0.0
	if rules.PriorTau > 0 {
		prior2 = rules.PriorTau * rules.PriorTau
	}
	return &tauCache{aa: aa, prior2: prior2, cache: map[string]aaStats{}, memo: memo}
}

// get returns τ̂² for a check and the number of A/A runs it rests on.
func (t *tauCache) get(name string) (tau2 float64, n int) {
	a := t.stats(name)
	return a.tau2, a.n
}

// stats learns what the A/A records say about a check.
func (t *tauCache) stats(name string) aaStats {
	if v, ok := t.cache[name]; ok {
		return v
	}
	var sums []stats.PairedSummary
	for _, rec := range t.aa {
		if rec == nil || rec.Reference == nil {
			continue
		}
		if sum, ok := t.memo.summary(rec, name); ok {
			sums = append(sums, sum)
		}
	}
	a := aaStats{}
	a.tau2, a.n, _ = stats.TauSquared(sums)
	if len(sums) >= 2 {
		means := make([]float64, len(sums))
		for i, s := range sums {
			means[i] = s.Mean
		}
		a.total = mstats.Variance(means)
	}
	t.cache[name] = a
	return a
}
