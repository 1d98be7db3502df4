// Package runner carries out a policy against live targets: it waits for
// readiness, runs the scenarios in order with the load engine (one arm, or
// two arms under one schedule in paired mode), drives capacity searches,
// and turns every result into a baseline.Record. Deciding is left to
// package gate; rendering and storing to the caller.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/redact"
	"github.com/perfgate/perfgate/policies"
)

// ErrUnreachable is wrapped by Run's error when a target did not become
// ready within the policy's readiness timeout: the measurement could not be
// made (exit code 3).
var ErrUnreachable = errors.New("target not ready")

// Options configure one run.
type Options struct {
	Policy *policies.Policy
	// TargetURL is the candidate's base URL (the policy's unless overridden).
	TargetURL string
	// BaselineURL, when set, is a live baseline measured at the same time
	// under the same schedule (paired mode).
	BaselineURL string
	Getenv      func(string) string
	// Meta is copied into every record (commit, branch, labels, ...).
	Meta load.RunMeta
	// Progress receives progress lines; nil is silent. Live selects an
	// updating single line (a terminal) instead of periodic log lines.
	Progress io.Writer
	Live     bool
	// MaxLag is the client schedule lag p99 above which a run did not keep
	// up; zero means load.DefaultMaxLagP99. The limit actually applied is
	// max(MaxLag, min(LagTolerance × service p50, load.MaxLagCeiling))
	// (load.Plan.LagTolerance).
	MaxLag time.Duration
	// Scenarios, when not empty, names the scenarios to run; the others
	// are skipped.
	Scenarios []string
	// Transport overrides the HTTP transport of the load engine (tests).
	Transport http.RoundTripper
	// Look, when set, is asked at each look of a scenario the policy lets
	// extend (regression.extend) whether to go on; nil runs every scenario
	// for its planned duration only.
	Look LookFunc
	// Sharding, when set, runs one shard of a sharded run (see Sharding).
	Sharding *Sharding
}

// Outcome is what a run measured.
type Outcome struct {
	// Records holds one record per scenario run, in policy order; a paired
	// run's record carries the baseline arm in Reference.
	Records []*baseline.Record
	// Ready is how long each target took to become ready (cold start as
	// seen by the probe), keyed by "candidate" and "baseline".
	Ready map[string]time.Duration
	// Partial is true when ctx was cancelled before the end.
	Partial bool
	// Looks holds what the looks did in each extended scenario.
	Looks []gate.Looks
	// Raw holds the raw results of a sharded run, one per scenario run.
	Raw []Raw
}

// Run carries out every scenario of the policy. A failing target is data in
// the records; the error is for a broken plan (*ConfigError), an
// unreachable target (ErrUnreachable) or cancellation before anything was
// measured.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	p := o.Policy
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	for _, name := range o.Scenarios {
		if _, ok := p.Scenarios.Lookup(name); !ok {
			var names []string
			for _, sc := range p.Scenarios {
				names = append(names, sc.Name)
			}
			hint := ""
			if near := policies.Closest(name, names); near != "" {
				hint = fmt.Sprintf("; did you mean %q?", near)
			}
			return nil, &ConfigError{fmt.Errorf("%s: no scenario %q in the policy%s (its scenarios: %s)", p.File, name, hint, strings.Join(names, ", "))}
		}
	}
	cand, err := Target(p, o.TargetURL, o.Getenv)
	if err != nil {
		return nil, err
	}
	cand.Transport = o.Transport
	var base *load.Target
	if o.BaselineURL != "" {
		b, err := Target(p, o.BaselineURL, o.Getenv)
		if err != nil {
			return nil, err
		}
		b.Transport = o.Transport
		base = &b
	}
	wl, err := Workload(p)
	if err != nil {
		return nil, err
	}
	prog := newProgress(o.Progress, o.Live)
	defer prog.done()

	out := &Outcome{Ready: map[string]time.Duration{}}
	arms := map[string]string{"candidate": o.TargetURL}
	if base != nil {
		arms["baseline"] = o.BaselineURL
	}
	for arm, u := range arms {
		prog.linef("waiting for the %s at %s to be ready (up to %s)", arm, redact.URL(u), p.Target.Ready.Timeout.Std())
		d, err := waitReady(ctx, p, u, o.Transport, o.Getenv)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", arm, redact.URL(u), err)
		}
		out.Ready[arm] = d
	}

	meta := o.Meta
	if meta.Time.IsZero() {
		meta.Time = time.Now()
	}
	meta.Policy = p.Name
	meta.Env.OS, meta.Env.Arch, meta.Env.CPUs = runtime.GOOS, runtime.GOARCH, runtime.NumCPU()
	meta.Env.Target = hostOf(o.TargetURL)
	meta.Env.Model = p.Target.Model
	if meta.Env.Labels == nil && len(p.Labels) > 0 {
		meta.Env.Labels = p.Labels
	}

	for i := range p.Scenarios {
		sc := &p.Scenarios[i]
		if len(o.Scenarios) > 0 && !slices.Contains(o.Scenarios, sc.Name) {
			continue
		}
		if ctx.Err() != nil {
			out.Partial = true
			break
		}
		prog.linef("scenario %s (%s)", sc.Name, sc.Kind)
		started := time.Now()
		var rec *baseline.Record
		var looks *gate.Looks
		var err error
		switch {
		case o.Sharding != nil:
			rec, err = o.Sharding.runShard(ctx, &o, sc, wl, cand, base, meta, prog, out)
		case sc.Kind == policies.KindCapacity:
			rec, err = runCapacity(ctx, p, sc, wl, cand, base, meta, prog, o.MaxLag)
		case len(sc.Faults) > 0:
			rec, err = runFaultPhases(ctx, p, sc, wl, cand, base, meta, prog, o.MaxLag, o.Getenv)
		case o.Look != nil && extensible(p, sc):
			rec, looks, err = runLooks(ctx, p, sc, wl, cand, base, meta, prog, o.MaxLag, o.Look)
		default:
			rec, err = runFixed(ctx, p, sc, wl, cand, base, meta, prog, o.MaxLag)
		}
		var abort *AbortError
		if errors.As(err, &abort) && rec != nil {
			tagScenario(rec, p, sc)
			out.Records = append(out.Records, rec)
			out.Partial = true
		}
		if err != nil {
			return out, err
		}
		if looks != nil {
			out.Looks = append(out.Looks, *looks)
		}
		if o.Sharding == nil { // a merge queries Prometheus once, for all shards
			addPrometheus(ctx, p, sc, rec, started, o.Getenv, prog)
		}
		tagScenario(rec, p, sc)
		out.Records = append(out.Records, rec)
		if rec.Partial {
			out.Partial = true
			break
		}
	}
	return out, nil
}

// planFor returns the load plan of a steady, soak or spike scenario.
func planFor(p *policies.Policy, sc *policies.Scenario, wl load.Workload) load.Plan {
	if sc.Kind == policies.KindSpike {
		return SpikePlan(p, sc, wl)
	}
	return SteadyPlan(p, sc, wl)
}

// runFixed runs a scenario with a fixed schedule on one or two arms.
func runFixed(ctx context.Context, p *policies.Policy, sc *policies.Scenario, wl load.Workload, cand load.Target, base *load.Target, meta load.RunMeta, prog *progress, maxLag time.Duration) (*baseline.Record, error) {
	pl := planFor(p, sc, wl)
	pl.MaxLagP99 = maxLag
	pl.Progress = prog.snapshot(sc.Name, pl.Warmup+pl.Duration)
	bres, cres, err := runSegment(ctx, pl, cand, base)
	if err != nil {
		return nil, err
	}
	rec, err := recordOf(bres, cres, meta, base)
	if err != nil {
		return nil, err
	}
	return rec, aborted(sc.Name, cres, bres)
}

// pairedRecord summarises both arms and links them.
func pairedRecord(bres, cres *load.Result, meta load.RunMeta, baseURL string) (*baseline.Record, error) {
	crec, err := load.Summarize(cres, meta)
	if err != nil {
		return nil, err
	}
	bmeta := meta
	bmeta.Env.Target = hostOf(baseURL)
	brec, err := load.Summarize(bres, bmeta)
	if err != nil {
		return nil, err
	}
	crec.Reference = brec
	return crec, nil
}

// runCapacity searches the capacity of each arm (both at the same time in
// paired mode) and returns the candidate's record.
func runCapacity(ctx context.Context, p *policies.Policy, sc *policies.Scenario, wl load.Workload, cand load.Target, base *load.Target, meta load.RunMeta, prog *progress, maxLag time.Duration) (*baseline.Record, error) {
	slos := SLOs(p)
	if base == nil {
		return searchArm(ctx, p, sc, wl, cand, slos, meta, prog, "", maxLag)
	}
	var wg sync.WaitGroup
	var brec *baseline.Record
	var berr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		bmeta := meta
		bmeta.Env.Target = hostOf(base.URL)
		brec, berr = searchArm(ctx, p, sc, wl, *base, slos, bmeta, nil, "baseline", maxLag)
	}()
	crec, cerr := searchArm(ctx, p, sc, wl, cand, slos, meta, prog, "candidate", maxLag)
	wg.Wait()
	if err := errors.Join(cerr, berr); err != nil {
		return nil, err
	}
	crec.Reference = brec
	return crec, nil
}

// searchArm runs one capacity search against t.
func searchArm(ctx context.Context, p *policies.Policy, sc *policies.Scenario, wl load.Workload, t load.Target, slos []gate.SLO, meta load.RunMeta, prog *progress, arm string, maxLag time.Duration) (*baseline.Record, error) {
	s, err := gate.NewCapacitySearch(sc.Search.From, sc.Search.To, float64(sc.Search.Precision), sc.Budget.Std(), sc.Step.Std())
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("%s: scenario %s: %w", p.File, sc.Name, err)}
	}
	rec := &baseline.Record{}
	partial := false
	var last *baseline.Record
	for first := true; ; first = false {
		rate, dur, ok := s.Next()
		if !ok {
			break
		}
		if ctx.Err() != nil {
			partial = true
			break
		}
		pl := CapacityStepPlan(p, sc, wl, rate, dur)
		pl.MaxLagP99 = maxLag
		if prog != nil {
			pl.Progress = prog.snapshot(fmt.Sprintf("%s @ %.3g req/s", sc.Name, rate), pl.Warmup+pl.Duration)
		}
		pl.StopEarly = clearBreach(pl)
		if !first {
			// Only the first step tells a broken target: later ones
			// may fail because the rate is beyond the capacity.
			pl.FailFast = nil
		}
		started := time.Now()
		res, err := load.Run(ctx, pl, t)
		if err != nil {
			return nil, &ConfigError{err}
		}
		if err := aborted(sc.Name, res); err != nil {
			if arm != "" {
				err.(*AbortError).Abort.Arm = arm
			}
			return nil, err
		}
		used := min(time.Since(started), pl.Warmup+pl.Duration)
		srec, err := load.Summarize(res, meta)
		if err != nil {
			return nil, err
		}
		met, breached, values := gate.StepMeets(srec, slos)
		step := baseline.CapacityStep{Rate: rate, Achieved: res.Achieved, Met: met, Breached: breached, Values: values}
		_, step.Samples = srec.ErrorCounts()
		if !res.Validity.KeptUp() && !res.Validity.TargetSaturated() && met {
			// The client, not the target, fell behind: this step proves nothing.
			step.Met = false
			step.Breached = "load generator could not keep up: " + strings.Join(res.Validity.Reasons(), "; ")
		}
		s.Observe(step, used)
		if prog != nil {
			verdict := "met the SLOs"
			if !step.Met {
				verdict = "broke " + step.Breached
			}
			prog.linef("  %s%.3g req/s: %s (%d requests)", armPrefix(arm), rate, verdict, step.Samples)
		}
		if met {
			last = srec
		}
		if res.Partial {
			partial = true
			break
		}
	}
	c := s.Result()
	if last != nil {
		*rec = *last
	} else {
		meta2 := meta
		if meta2.Kind == "" {
			meta2.Kind = baseline.KindRun
		}
		rec = &baseline.Record{Schema: baseline.Schema, Kind: meta2.Kind, Policy: meta.Policy, PolicyHash: meta.PolicyHash,
			Commit: meta.Commit, Branch: meta.Branch, Time: meta.Time.UTC(), Env: meta.Env, MetricDefs: metric.DefsVersion,
			Metrics: map[string]*baseline.Metric{}, Valid: true}
	}
	rec.Scenario = sc.Name
	rec.Capacity = &c
	rec.Partial = partial
	// A capacity record is valid when its steps were measured honestly;
	// the steps that the client could not drive were already discounted.
	rec.Valid, rec.Invalid = true, nil
	return rec, nil
}

func armPrefix(arm string) string {
	if arm == "" {
		return ""
	}
	return arm + " "
}

// clearBreach stops a capacity step early once it clearly cannot meet the
// SLOs: more than a fifth of the requests failed, or the in-flight cap was
// reached (the queue grows without bound).
func clearBreach(pl load.Plan) func(load.Snapshot) bool {
	return func(s load.Snapshot) bool {
		if s.Elapsed < pl.Warmup+pl.Duration/3 {
			return false
		}
		if s.Sent > 20 && s.Errors*5 > s.Sent {
			return true
		}
		return pl.MaxInFlight > 0 && s.InFlight >= int64(pl.MaxInFlight)
	}
}

// waitReady polls the readiness probe with backoff until it answers the
// expected status or the timeout expires, and returns how long it took.
func waitReady(ctx context.Context, p *policies.Policy, base string, rt http.RoundTripper, getenv func(string) string) (time.Duration, error) {
	r := p.Target.Ready
	start := time.Now()
	if r.Path == "" {
		return 0, nil
	}
	u, err := joinURL(base, r.Path)
	if err != nil {
		return 0, &ConfigError{fmt.Errorf("%s: target url %q: %w", p.File, redact.URL(base), err)}
	}
	client := &http.Client{Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	want := r.Status
	if want == 0 {
		want = http.StatusOK
	}
	interval := r.Interval.Std()
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	wait := min(100*time.Millisecond, interval)
	deadline := start.Add(r.Timeout.Std())
	var last string
	for {
		// A probe never outlives the readiness timeout: a target that
		// accepts connections and never answers is as unready as a closed
		// port.
		probeTimeout := max(min(probeLimit, time.Until(deadline)), 50*time.Millisecond)
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		req, err := http.NewRequestWithContext(pctx, http.MethodGet, u, nil)
		if err != nil {
			cancel()
			return 0, &ConfigError{err}
		}
		for name, v := range p.Target.Headers {
			if val := getenv(v.Env); val != "" && load.SameOrigin(u, base) {
				req.Header.Set(name, v.Prefix+val)
			}
		}
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		probeErr := pctx.Err()
		cancel()
		switch {
		case err == nil && resp.StatusCode == want:
			return time.Since(start), nil
		case err == nil:
			last = fmt.Sprintf("last answer: HTTP %d", resp.StatusCode)
		case probeErr != nil && ctx.Err() == nil:
			last = fmt.Sprintf("last probe: no answer within %s", probeTimeout.Round(time.Millisecond))
		default:
			last = "last error: " + describeNetErr(err)
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if time.Now().Add(wait).After(deadline) {
			return 0, fmt.Errorf("%w after %s at %s (%s); check that the deployment is up, or raise target.ready.timeout", ErrUnreachable, r.Timeout.Std(), redact.URL(u), last)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, interval)
	}
}

// probeLimit bounds one readiness probe.
const probeLimit = 5 * time.Second

// describeNetErr shortens a transport error to its cause.
func describeNetErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.Contains(s, "dial") {
		return s[i+2:]
	}
	return s
}

func joinURL(base, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("expected an absolute URL such as http://host:port")
	}
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path, nil
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/"), nil
}

func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Host
}

// LagTolerance is the share of the median service time that client
// schedule lag may reach before a run counts as not kept up. Latency is
// measured from the intended send time, so lag is already inside every
// latency; it only distorts a comparison when it is a noticeable part of
// it. On a busy 2-core CI runner a fixed 10 ms limit marks honest runs of a
// 500 ms service invalid, so the limit is max(load.DefaultMaxLagP99,
// min(5% of the service p50, load.MaxLagCeiling)) (docs/statistics.md).
// Every plan of a policy carries it as load.Plan.LagTolerance.
const LagTolerance = 0.05

// tagScenario records the scenario's kind, its closed-loop users (and a spike's timing) in its
// record and in its reference arm, for the analyses of package gate, and
// the steps of the policy's journeys, for the reports.
func tagScenario(rec *baseline.Record, p *policies.Policy, sc *policies.Scenario) {
	for r := rec; r != nil; r = r.Reference {
		r.ScenarioKind, r.Concurrency = sc.Kind, sc.Concurrency
		r.Journeys = journeySteps(p)
		if sc.Kind == policies.KindSpike {
			r.Spike = &baseline.Spike{AtSeconds: sc.At.Std().Seconds(), HoldSeconds: sc.Hold.Std().Seconds(), Factor: sc.Factor}
		}
	}
}
