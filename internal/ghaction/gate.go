package ghaction

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/policies"
)

// ContainerWorkspace is GITHUB_WORKSPACE inside a Docker action's
// container: the runner mounts the workspace there. perfgate reads it to
// know that localhost is the container's, not the runner's.
const ContainerWorkspace = "/github/workspace"

// Gate runs the gate once per policy of the policy input, publishes one
// sticky comment per policy (each keyed by its policy's name, as with one
// policy), appends each report to the job summary, and sets the outputs
// once, for the worst verdict. setup fills in what the command's
// environment decides (progress, version). It returns the exit code: the
// highest of the policies'.
func (j *Job) Gate(ctx context.Context, setup func(*pipeline.Options)) int {
	if j.In.ValidateOnly {
		return j.validateOnly()
	}
	if err := j.RefuseForkPolicy(); err != nil {
		return j.failed(&pipeline.InvalidError{Err: err})
	}
	if err := j.CheckScenarios(); err != nil {
		return j.failed(&pipeline.InvalidError{Err: err})
	}
	if err := j.checkNames(); err != nil {
		return j.failed(&pipeline.InvalidError{Err: err})
	}
	var done []Done
	var errs []error
	code := pipeline.ExitPass
	for _, file := range j.In.Policies {
		d, c, err := j.gateOne(ctx, file, setup)
		code = max(code, c)
		if d != nil {
			done = append(done, *d)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(done) > 0 {
		if err := j.PublishAll(ctx, done); err != nil {
			fmt.Fprintf(j.Log, "perfgate: %v\n", err)
		}
	}
	// A policy that could not run is reported last, so that its invalid
	// verdict is the outputs' (the last value written wins).
	for _, err := range errs {
		j.Fail(err)
	}
	return code
}

// failed reports an error that stops the whole step and returns its code.
func (j *Job) failed(err error) int {
	j.Fail(err)
	return pipeline.ExitCode(err, nil, "")
}

// gateOne runs the gate of one policy file. A policy that cannot run gives
// no Done but the error to report (its annotations are made) and its exit
// code.
func (j *Job) gateOne(ctx context.Context, file string, setup func(*pipeline.Options)) (*Done, int, error) {
	stop := func(err error) (*Done, int, error) { return nil, pipeline.ExitCode(err, nil, ""), err }
	in, ev := j.In, j.Event
	p, err := policies.ParseFile(file)
	if err != nil {
		fmt.Fprintf(j.Log, "%v\n", err)
		Annotate(j.Action, PolicyAnnotations(err))
		return stop(&pipeline.InvalidError{What: file + " is not a valid policy; the annotations show each problem"})
	}
	if err := j.CheckPolicyEnv(p); err != nil {
		return stop(&pipeline.InvalidError{File: file, Err: err})
	}
	j.MaskPolicy(p)
	o := pipeline.Options{EnvRule: j.EnvRule(),
		TargetURL: in.Target, BaselineURL: in.BaselineURL, OutDir: in.Out, FailOn: in.FailOn,
		Commit: ev.SHA, Branch: cmp.Or(ev.Branch, ev.Tag), BaseBranch: ev.CompareBranch(), Labels: in.Labels,
		SaveBaseline: in.Save == "true" || in.Save == "auto" && ev.IsPushToDefault(), RunURL: RunURL(j.Getenv), Getenv: j.Getenv,
		MaxLag: in.Args.MaxLag, Title: in.Args.Title, Scenarios: scenariosOf(p, j.scenarios()),
	}
	if len(in.Policies) > 1 {
		o.OutDir = filepath.Join(in.Out, p.Name)
	}
	if setup != nil {
		setup(&o)
	}
	if in.Args.Quiet {
		o.Progress = nil
	}
	if len(in.Shards) == 0 { // a merge sends no request
		if err := j.checkLoopback(ctx, p, o); err != nil {
			return stop(fmt.Errorf("%w: %w", pipeline.ErrCannotMeasure, err))
		}
	}
	if o.Store, err = pipeline.OpenStore(in.Store, in.Keep, j.Getenv, j.Client, ev.Owner, ev.Repo); err != nil {
		return stop(&pipeline.InvalidError{What: "store " + in.Store, Err: err})
	}
	if o.Store == nil && o.SaveBaseline {
		fmt.Fprintln(j.Log, "perfgate: no store: this run is not saved as a baseline")
		o.SaveBaseline = false
	}
	fmt.Fprintf(j.Log, "perfgate: %s: %s event on %s/%s, branch %q, comparing with %q%s\n", file, ev.Name, ev.Owner, ev.Repo, o.Branch, o.BaseBranch, map[bool]string{true: ", saving the baseline"}[o.SaveBaseline])
	var res *pipeline.Result
	if len(in.Shards) > 0 {
		res, err = pipeline.Merge(ctx, p, in.Shards, o)
	} else {
		res, err = pipeline.Run(ctx, p, o)
	}
	if res == nil {
		return stop(err)
	}
	if err != nil {
		fmt.Fprintf(j.Log, "perfgate: %v\n", err)
	}
	Annotate(j.Action, VerdictAnnotations(res.Verdict, file))
	d := &Done{Policy: p.Name, Verdict: string(res.Verdict.Outcome), Reason: res.Verdict.Reason, Markdown: res.Markdown, Dir: res.OutDir, Capacity: res.Capacity}
	return d, pipeline.ExitCode(err, res, o.FailOn), nil
}

// scenarios are the scenarios input and args' --scenario together.
func (j *Job) scenarios() []string {
	return append(slices.Clone(j.In.Scenarios), j.In.Args.Scenarios...)
}

// scenariosOf returns the named scenarios that policy p has, nil (all)
// when none is named (CheckScenarios made sure p has one of them).
func scenariosOf(p *policies.Policy, names []string) []string {
	if len(names) == 0 {
		return nil
	}
	var out []string
	for _, sc := range p.Scenarios {
		if slices.Contains(names, sc.Name) {
			out = append(out, sc.Name)
		}
	}
	return out
}

// CheckScenarios checks that every named scenario is in at least one of
// the policies, and that every policy has at least one of them (with
// several policies, each runs the named scenarios it has).
func (j *Job) CheckScenarios() error {
	names := j.scenarios()
	if len(names) == 0 {
		return nil
	}
	var all []string
	var ps []*policies.Policy
	for _, file := range j.In.Policies {
		p, err := policies.ParseFile(file)
		if err != nil {
			return nil // reported with its annotations when it is run
		}
		ps = append(ps, p)
		all = append(all, policyScenarios(p)...)
	}
	for _, n := range names {
		if !slices.Contains(all, n) {
			msg := fmt.Sprintf("scenarios: no policy has a scenario %q (they have: %s)", n, strings.Join(all, ", "))
			if near := policies.Closest(n, all); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			return errors.New(msg)
		}
	}
	for i, p := range ps {
		if len(scenariosOf(p, names)) == 0 {
			return fmt.Errorf("scenarios: %s has none of %s (its scenarios: %s)", j.In.Policies[i], strings.Join(names, ", "), strings.Join(policyScenarios(p), ", "))
		}
	}
	return nil
}

// checkNames refuses two policies with one name: their comments share a
// marker and their reports a directory.
func (j *Job) checkNames() error {
	seen := map[string]string{}
	for _, file := range j.In.Policies {
		p, err := policies.ParseFile(file)
		if err != nil {
			continue // reported with its annotations when it is run
		}
		if other, dup := seen[p.Name]; dup {
			return fmt.Errorf("policies %s and %s are both named %q: each policy needs its own name (it keys its comment and its report directory)", other, file, p.Name)
		}
		seen[p.Name] = file
	}
	return nil
}

func policyScenarios(p *policies.Policy) []string {
	var out []string
	for _, sc := range p.Scenarios {
		out = append(out, sc.Name)
	}
	return out
}

// InContainer reports whether perfgate runs in the Docker action's
// container (GITHUB_WORKSPACE is where the runner mounts the workspace in
// one), where localhost is the container's own.
func (j *Job) InContainer() bool {
	return j.Getenv("GITHUB_WORKSPACE") == ContainerWorkspace
}

// checkLoopback refuses, in the action's container, a target (or live
// baseline) on a loopback address that refuses connections: a server an
// earlier step started on the runner listens on the runner's loopback,
// which the container does not share. It says so with both fixes. A
// loopback URL that answers (a server in the same container: unlikely, but
// possible) is left alone.
func (j *Job) checkLoopback(ctx context.Context, p *policies.Policy, o pipeline.Options) error {
	if !j.InContainer() {
		return nil
	}
	for _, u := range []string{cmp.Or(o.TargetURL, p.Target.URL), cmp.Or(o.BaselineURL, p.Target.BaselineURL)} {
		if err := loopbackRefused(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// LoopbackHelp is the two ways to reach a server the workflow starts.
const LoopbackHelp = "perfgate runs in the action's Docker container, whose localhost is not the runner's. " +
	"Either start the server as a job service container (jobs.<id>.services.NAME, with its ports) and set target to http://NAME:PORT, " +
	"or install perfgate on the runner with the setup action (uses: perfgate/perfgate/setup@v1) and run \"perfgate run\" in a run: step, which reaches localhost " +
	"(docs/github-action.md, \"Targets on localhost\")"

func loopbackRefused(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if !strings.EqualFold(host, "localhost") && !strings.HasSuffix(strings.ToLower(host), ".localhost") && (ip == nil || !ip.IsLoopback()) {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		port = cmp.Or(port, "80")
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err == nil {
		c.Close()
		return nil
	}
	return fmt.Errorf("the target %s is on localhost and refuses connections from inside the action's container (%v). %s", u.Scheme+"://"+u.Host, err, LoopbackHelp)
}
