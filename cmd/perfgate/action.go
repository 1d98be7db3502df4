package main

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/internal/ghaction"
)

func init() {
	register(&command{
		name:    "action",
		summary: "run as a GitHub Action: gate, sticky PR comment, job summary, outputs",
		run:     runAction,
	})
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
	a := githubactions.New(githubactions.WithGetenv(e.getenv), githubactions.WithWriter(e.stdout))
	// Mask secrets before anything can print them: the token, every
	// secret-looking variable the gate reads, and the policy's headers.
	if tok := e.getenv("INPUT_GITHUB-TOKEN"); tok != "" {
		a.AddMask(tok)
	}
	getenv := ghaction.MaskingGetenv(a, e.getenv)
	getenv("GITHUB_TOKEN")
	fail := func(err error) int {
		a.Errorf("perfgate: %v", err)
		if perr := ghaction.Publish(a, ghaction.Outputs{Verdict: "invalid", Summary: err.Error()}, "## perfgate: could not run\n\n"+err.Error()+"\n"); perr != nil {
			fmt.Fprintf(e.stderr, "perfgate: %v\n", perr)
		}
		return exitCode(err, nil, "")
	}
	in, err := ghaction.ReadInputs(a, e.getenv)
	if err != nil {
		return fail(&pipeline.InvalidError{Err: err})
	}
	ev, err := ghaction.ReadEvent(e.getenv)
	if err != nil {
		return fail(&pipeline.InvalidError{Err: err})
	}
	rt := &ghaction.RetryTransport{Log: func(msg string) { fmt.Fprintf(e.stderr, "perfgate: %s\n", msg) }}
	gh, err := ghaction.NewClient(e.getenv("GITHUB_API_URL"), in.Token, rt)
	if err != nil {
		return fail(&pipeline.InvalidError{Err: err})
	}
	comments := &ghaction.GitHubComments{Client: gh, Owner: ev.Owner, Repo: ev.Repo}
	if in.ReportDir != "" {
		return publishReport(ctx, e, a, in, ev, comments)
	}
	p, err := readPolicy(e, in.Policy)
	if err != nil {
		ghaction.Annotate(a, ghaction.PolicyAnnotations(err))
		return fail(&pipeline.InvalidError{What: in.Policy + " is not a valid policy; the annotations show each problem"})
	}
	for _, h := range p.Target.Headers {
		if v := e.getenv(h.Env); v != "" {
			a.AddMask(v)
		}
	}
	o := pipeline.Options{
		TargetURL: in.Target, BaselineURL: in.BaselineURL, OutDir: in.Out, FailOn: in.FailOn,
		Commit: ev.SHA, Branch: cmp.Or(ev.Branch, ev.Tag), BaseBranch: ev.CompareBranch(), Labels: in.Labels,
		SaveBaseline: in.Save == "true" || in.Save == "auto" && ev.IsPushToDefault(), RunURL: ghaction.RunURL(e.getenv),
		Progress: e.stderr, Live: isTerminal(e.stderr) && e.getenv("CI") == "", Log: e.stderr, Getenv: getenv, Version: version,
	}
	if in.Store != "" && in.Store != "none" {
		if strings.HasPrefix(in.Store, "branch:") && (ev.Owner == "" || ev.Repo == "") {
			return fail(&pipeline.InvalidError{What: "store " + in.Store + " needs the repository (GITHUB_REPOSITORY)"})
		}
		if o.Store, err = openStore(in.Store, in.Keep, e.getenv, gh, ev.Owner, ev.Repo); err != nil {
			return fail(&pipeline.InvalidError{What: "store " + in.Store, Err: err})
		}
	} else if o.SaveBaseline {
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
	outcome := string(res.Verdict.Outcome)
	ghaction.Annotate(a, ghaction.VerdictAnnotations(res.Verdict, in.Policy))
	url := ghaction.PostComment(ctx, a, comments, in, ev, report.Marker(p.Name), res.Markdown, outcome, e.stderr)
	if err := ghaction.Publish(a, ghaction.Outputs{
		Verdict: outcome, ReportPath: filepath.Join(res.OutDir, "report.json"), CommentURL: url,
		Capacity: res.Capacity, Summary: res.Verdict.Reason,
	}, res.Markdown); err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
	}
	return exitCode(err, res.Verdict, o.FailOn)
}

// publishReport publishes a report made by an earlier job (the workflow_run
// pattern for pull requests from forks) on in.PRNumber or the event's pull
// request. It runs no load, so its exit code says only whether publishing
// worked.
func publishReport(ctx context.Context, e *env, a *githubactions.Action, in ghaction.Inputs, ev *ghaction.Event, svc ghaction.CommentService) int {
	body, rep, err := ghaction.ReadReportDir(in.ReportDir)
	pe := *ev
	if in.PRNumber > 0 && err == nil {
		pe.PR = in.PRNumber
		// The number comes from an artifact the pull request's own code
		// could have written: check it against the run's head commit.
		if ev.SHA != "" {
			if err = svc.CheckPullHead(ctx, pe.PR, ev.SHA); err != nil {
				err = fmt.Errorf("not commenting: %w", err)
			}
		}
	}
	if err != nil {
		a.Errorf("perfgate: %v", err)
		return exitCode(&pipeline.InvalidError{Err: err}, nil, "")
	}
	url := ghaction.PostComment(ctx, a, svc, in, &pe, report.Marker(rep.Policy), body, rep.Verdict, e.stderr)
	err = ghaction.Publish(a, ghaction.Outputs{Verdict: rep.Verdict, ReportPath: filepath.Join(in.ReportDir, "report.json"), CommentURL: url, Summary: rep.Reason}, body)
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
	}
	return exitCode(err, nil, "never") // only whether publishing worked
}
