package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/internal/ghaction"
)

func init() {
	register(&command{name: "action", summary: "run as a GitHub Action: gate, sticky PR comment, job summary, outputs", run: runAction})
}

func runAction(ctx context.Context, e *env, args []string) int {
	c := commands["action"]
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprint(e.stdout, c.usage)
			return exitPass
		}
		return usageError(c, e, "perfgate action takes no arguments; it reads INPUT_* variables")
	}
	j, err := ghaction.Start(e.getenv, e.stdout, e.stderr)
	fail := func(err error) int {
		j.Fail(err)
		return pipeline.ExitCode(err, nil, "")
	}
	if err != nil {
		return fail(&pipeline.InvalidError{Err: err})
	}
	in, ev := j.In, j.Event
	if in.ReportDir != "" {
		return publishReport(ctx, e, j)
	}
	if err := j.RefuseForkPolicy(); err != nil {
		return fail(&pipeline.InvalidError{Err: err})
	}
	p, err := readPolicy(e, in.Policy)
	if err != nil {
		ghaction.Annotate(j.Action, ghaction.PolicyAnnotations(err))
		return fail(&pipeline.InvalidError{What: in.Policy + " is not a valid policy; the annotations show each problem"})
	}
	if err := j.CheckPolicyEnv(p); err != nil {
		return fail(&pipeline.InvalidError{File: in.Policy, Err: err})
	}
	j.MaskPolicy(p)
	o := pipeline.Options{EnvRule: j.EnvRule(),
		TargetURL: in.Target, BaselineURL: in.BaselineURL, OutDir: in.Out, FailOn: in.FailOn,
		Commit: ev.SHA, Branch: cmp.Or(ev.Branch, ev.Tag), BaseBranch: ev.CompareBranch(), Labels: in.Labels,
		SaveBaseline: in.Save == "true" || in.Save == "auto" && ev.IsPushToDefault(), RunURL: ghaction.RunURL(e.getenv), Getenv: j.Getenv,
	}
	e.gateOptions(&o, false)
	if o.Store, err = pipeline.OpenStore(in.Store, in.Keep, e.getenv, j.Client, ev.Owner, ev.Repo); err != nil {
		return fail(&pipeline.InvalidError{What: "store " + in.Store, Err: err})
	}
	if o.Store == nil && o.SaveBaseline {
		fmt.Fprintln(e.stderr, "perfgate: no store: this run is not saved as a baseline")
		o.SaveBaseline = false
	}
	fmt.Fprintf(e.stderr, "perfgate: %s event on %s/%s, branch %q, comparing with %q%s\n", ev.Name, ev.Owner, ev.Repo, o.Branch, o.BaseBranch, map[bool]string{true: ", saving the baseline"}[o.SaveBaseline])

	res, err := pipeline.Run(ctx, p, o)
	if res == nil {
		return fail(err)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
	}
	ghaction.Annotate(j.Action, ghaction.VerdictAnnotations(res.Verdict, in.Policy))
	done := ghaction.Done{Policy: p.Name, Verdict: string(res.Verdict.Outcome), Reason: res.Verdict.Reason, Markdown: res.Markdown, Dir: res.OutDir, Capacity: res.Capacity}
	if err := j.Publish(ctx, done); err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
	}
	return pipeline.ExitCode(err, res, o.FailOn)
}

// publishReport publishes a report made by an earlier job. It runs no load,
// so its exit code says only whether publishing worked.
func publishReport(ctx context.Context, e *env, j *ghaction.Job) int {
	err := j.PublishReportDir(ctx)
	var bad *ghaction.BadReportError
	if errors.As(err, &bad) {
		j.Action.Errorf("perfgate: %v", err)
		return pipeline.ExitCode(&pipeline.InvalidError{Err: err}, nil, "")
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
	}
	return pipeline.ExitCode(err, nil, "never")
}
