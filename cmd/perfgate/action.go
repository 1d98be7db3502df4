package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/internal/ghaction"
	"github.com/perfgate/perfgate/internal/ghclient"
	"github.com/perfgate/perfgate/policies"
)

func init() {
	register(&command{
		name:    "action",
		summary: "run as a GitHub Action: gate, sticky PR comment, job summary, outputs",
		usage: `Usage: perfgate action

Runs perfgate inside a GitHub Actions job (the entrypoint of the perfgate
action, see action.yml and docs/github-action.md). It takes no flags: inputs
come from INPUT_* variables and the event from GITHUB_EVENT_PATH.

Inputs: policy (required), target, baseline-url, github-token, store
(branch:NAME, dir:PATH or none), save-baseline (auto, true, false), fail-on
(fail, warn, never), comment (always, on-change, never), labels (key=value,
one per line or comma-separated), out (report directory), and for publishing
a report made by an earlier job: report-dir and pr-number.

On a pull request it compares with the stored runs of the PR's base branch
and keeps one comment per policy up to date; on a push to the default branch
(save-baseline: auto) it stores the run as the newest baseline. A token that
cannot write comments (pull requests from forks) is not an error: the report
goes to the job summary and annotations instead.

Exit codes: as perfgate run.

Example (a workflow step; the action's image runs this command):
  - uses: perfgate/perfgate@v1
    with: {policy: perf/chat.cue, target: "${{ steps.deploy.outputs.url }}"}
`,
		run: runAction,
	})
}

// actionInputs are the action's inputs (action.yml).
type actionInputs struct {
	policy, target, baselineURL, token, store, save, failOn, out string
	comment                                                      ghaction.CommentMode
	labels                                                       map[string]string
	reportDir                                                    string
	prNumber                                                     int
}

func readActionInputs(a *githubactions.Action, getenv func(string) string) (actionInputs, error) {
	in := actionInputs{
		policy: a.GetInput("policy"), target: a.GetInput("target"), baselineURL: a.GetInput("baseline-url"),
		token: a.GetInput("github-token"), store: a.GetInput("store"), save: strings.ToLower(a.GetInput("save-baseline")),
		failOn: strings.ToLower(a.GetInput("fail-on")), out: a.GetInput("out"), reportDir: a.GetInput("report-dir"),
	}
	if in.token == "" {
		in.token = getenv("GITHUB_TOKEN")
	}
	var err error
	if in.comment, err = ghaction.ParseCommentMode(a.GetInput("comment")); err != nil {
		return in, err
	}
	switch in.save {
	case "":
		in.save = "auto"
	case "auto", "true", "false":
	default:
		return in, fmt.Errorf("save-baseline %q: want auto, true or false", in.save)
	}
	if in.failOn == "" {
		in.failOn = "fail"
	}
	if in.out == "" {
		in.out = "perfgate-report"
	}
	if in.labels, err = parseLabels(a.GetInput("labels")); err != nil {
		return in, err
	}
	if s := a.GetInput("pr-number"); s != "" {
		if in.prNumber, err = strconv.Atoi(s); err != nil || in.prNumber <= 0 {
			return in, fmt.Errorf("pr-number %q is not a pull-request number", s)
		}
	}
	if in.policy == "" && in.reportDir == "" {
		return in, errors.New("the policy input is required")
	}
	return in, nil
}

// parseLabels reads key=value pairs separated by newlines or commas.
func parseLabels(s string) (map[string]string, error) {
	labels := map[string]string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("labels: %q is not key=value", f)
		}
		labels[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return labels, nil
}

// secretName reports whether an environment variable probably holds a
// secret, so that its value is masked in the log once read.
func secretName(k string) bool {
	k = strings.ToUpper(k)
	for _, w := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "AUTH", "CREDENTIAL", "COOKIE"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// maskPolicyHeaders masks the value of every header the policy reads from
// the environment, whatever the variable is called. A policy that does not
// parse is left to the gate to report.
func maskPolicyHeaders(a *githubactions.Action, path string, getenv func(string) string) {
	src, err := os.ReadFile(path)
	if err != nil {
		return
	}
	p, err := policies.Parse(path, src)
	if err != nil {
		return
	}
	for _, h := range p.Target.Headers {
		if v := getenv(h.Env); v != "" {
			a.AddMask(v)
		}
	}
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
	// Mask secrets before anything can print them: the token, and every
	// secret-looking variable the gate reads (headers in the policy).
	masked := map[string]bool{}
	getenv := func(k string) string {
		v := e.getenv(k)
		if v != "" && secretName(k) && !masked[k] {
			masked[k] = true
			a.AddMask(v)
		}
		return v
	}
	if tok := e.getenv("INPUT_GITHUB-TOKEN"); tok != "" {
		a.AddMask(tok)
	}
	getenv("GITHUB_TOKEN")
	fail := func(code int, format string, args ...any) int {
		msg := fmt.Sprintf(format, args...)
		a.Errorf("perfgate: %s", msg)
		if err := ghaction.Publish(a, ghaction.Outputs{Verdict: "invalid", Summary: msg}, "## perfgate: could not run\n\n"+msg+"\n"); err != nil {
			fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
		}
		return code
	}

	in, err := readActionInputs(a, e.getenv)
	if err != nil {
		return fail(exitInvalid, "%v", err)
	}
	maskPolicyHeaders(a, in.policy, e.getenv)
	ev, err := ghaction.ReadEvent(e.getenv)
	if err != nil {
		return fail(exitInvalid, "%v", err)
	}
	rt := &ghclient.RetryTransport{Log: func(msg string) { fmt.Fprintf(e.stderr, "perfgate: %s\n", msg) }}
	gh, err := ghclient.New(e.getenv("GITHUB_API_URL"), in.token, rt)
	if err != nil {
		return fail(exitInvalid, "%v", err)
	}
	comments := &ghaction.GitHubComments{Client: gh, Owner: ev.Owner, Repo: ev.Repo}
	if in.reportDir != "" {
		return publishReport(ctx, e, a, in, ev, comments)
	}

	o := gateOptions{
		PolicyPath: in.policy, Target: in.target, BaselineURL: in.baselineURL, OutDir: in.out,
		FailOn: in.failOn, Commit: ev.SHA, Branch: ev.Branch, BaseBranch: ev.CompareBranch(),
		Labels: in.labels, RunURL: runURL(e.getenv),
	}
	if ev.Branch == "" && ev.Tag != "" {
		o.Branch = ev.Tag
	}
	switch in.save {
	case "auto":
		o.SaveBaseline = ev.IsPushToDefault()
	case "true":
		o.SaveBaseline = true
	}
	if in.store != "" && in.store != "none" {
		if strings.HasPrefix(in.store, "branch:") && (ev.Owner == "" || ev.Repo == "") {
			return fail(exitInvalid, "store %s needs the repository (GITHUB_REPOSITORY)", in.store)
		}
		st, err := openStore(in.store, gh, ev.Owner, ev.Repo)
		if err != nil {
			return fail(exitInvalid, "store %s: %v", in.store, err)
		}
		o.Store = st
	} else if o.SaveBaseline {
		fmt.Fprintln(e.stderr, "perfgate: no store: this run is not saved as a baseline")
		o.SaveBaseline = false
	}
	fmt.Fprintf(e.stderr, "perfgate: %s event on %s/%s, branch %q, comparing with %q%s\n", ev.Name, ev.Owner, ev.Repo, o.Branch, o.BaseBranch, map[bool]string{true: ", saving the baseline"}[o.SaveBaseline])

	ge := &env{getenv: getenv, stdout: e.stderr, stderr: e.stderr}
	out, code := runGate(ctx, ge, o)
	if out == nil {
		if code == exitInvalid {
			if src, rerr := os.ReadFile(in.policy); rerr == nil {
				if _, perr := policies.Parse(in.policy, src); perr != nil {
					ghaction.Annotate(a, ghaction.PolicyAnnotations(perr))
					return fail(code, "%s is not a valid policy; the annotations show each problem", in.policy)
				}
			}
			return fail(code, "invalid input (see the log above)")
		}
		return fail(code, "the measurement could not be made (see the log above)")
	}
	outcome := string(out.Verdict.Outcome)
	ghaction.Annotate(a, ghaction.VerdictAnnotations(out.Verdict, in.policy))
	url := upsertComment(ctx, e, a, in, ev, comments, report.Marker(out.Policy.Name), out.Markdown, outcome)
	err = ghaction.Publish(a, ghaction.Outputs{
		Verdict: outcome, ReportPath: filepath.Join(out.OutDir, "report.json"), CommentURL: url,
		Capacity: out.Capacity, Summary: out.Verdict.Reason,
	}, out.Markdown)
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
	}
	return code
}

// upsertComment writes the sticky comment when the event is a pull request
// and the mode allows it, and returns its URL. A token that cannot write
// gives a notice, never an error: the summary and annotations carry the
// report.
func upsertComment(ctx context.Context, e *env, a *githubactions.Action, in actionInputs, ev *ghaction.Event, svc ghaction.CommentService, marker, body, outcome string) string {
	if in.comment == ghaction.CommentNever || !ev.IsPullRequest() {
		return ""
	}
	if in.token == "" {
		a.Noticef("perfgate: no github-token, so no pull-request comment; the report is in the job summary")
		return ""
	}
	res, err := svc.Upsert(ctx, ev.PR, marker, body, ghaction.ShouldCreate(in.comment, outcome))
	switch {
	case errors.Is(err, ghaction.ErrReadOnly):
		a.Noticef("perfgate: could not write the comment on #%d: %v. The report is in the job summary and the annotations; the gate's verdict is unchanged. For pull requests from forks, publish the comment from a workflow_run job (docs/github-action.md).", ev.PR, err)
		return ""
	case err != nil:
		a.Warningf("perfgate: could not write the comment on #%d: %v. The report is in the job summary.", ev.PR, err)
		return ""
	}
	fmt.Fprintf(e.stderr, "perfgate: comment %s on #%d %s\n", res.Action, ev.PR, res.URL)
	return res.URL
}

// publishReport publishes a report made by an earlier job (the workflow_run
// pattern for pull requests from forks): comment.md and report.json from
// in.reportDir, on in.prNumber or the event's pull request. It runs no
// load, so its exit code says only whether publishing worked.
func publishReport(ctx context.Context, e *env, a *githubactions.Action, in actionInputs, ev *ghaction.Event, svc ghaction.CommentService) int {
	md, err := os.ReadFile(filepath.Join(in.reportDir, "comment.md"))
	if err != nil {
		a.Errorf("perfgate: report-dir: %v", err)
		return exitInvalid
	}
	js, err := os.ReadFile(filepath.Join(in.reportDir, "report.json"))
	if err != nil {
		a.Errorf("perfgate: report-dir: %v", err)
		return exitInvalid
	}
	var rep report.JSONReport
	if err := json.Unmarshal(js, &rep); err != nil || rep.Schema != report.Schema {
		a.Errorf("perfgate: report-dir: report.json is not a %s report", report.Schema)
		return exitInvalid
	}
	body := string(md)
	marker := report.Marker(rep.Policy)
	if !strings.HasPrefix(body, marker) {
		a.Errorf("perfgate: report-dir: comment.md does not start with the marker of policy %q", rep.Policy)
		return exitInvalid
	}
	switch rep.Verdict {
	case "pass", "warn", "fail", "invalid":
	default:
		a.Errorf("perfgate: report-dir: unknown verdict %q", rep.Verdict)
		return exitInvalid
	}
	pe := *ev
	if in.prNumber > 0 {
		pe.PR = in.prNumber
		// The number comes from an artifact the pull request's own code
		// could have written: check it against the run's head commit.
		if gh, ok := svc.(*ghaction.GitHubComments); ok && ev.SHA != "" {
			if err := ghaction.CheckPullHead(ctx, gh.Client, ev.Owner, ev.Repo, pe.PR, ev.SHA); err != nil {
				a.Errorf("perfgate: not commenting: %v", err)
				return exitInvalid
			}
		}
	}
	url := upsertComment(ctx, e, a, in, &pe, svc, marker, body, rep.Verdict)
	if err := ghaction.Publish(a, ghaction.Outputs{
		Verdict: rep.Verdict, ReportPath: filepath.Join(in.reportDir, "report.json"), CommentURL: url, Summary: rep.Reason,
	}, body); err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
		return exitNoTrust
	}
	return exitPass
}

// runURL links to the workflow run, or "" outside Actions.
func runURL(getenv func(string) string) string {
	server, repo, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if server == "" || repo == "" || id == "" {
		return ""
	}
	return server + "/" + repo + "/actions/runs/" + id
}
