package ghaction

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/google/go-github/v62/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/internal/ghclient"
	"github.com/perfgate/perfgate/internal/inert"
	"github.com/perfgate/perfgate/policies"
)

// Job is one step of the perfgate action: its inputs, the event that
// started the workflow, the REST API and the runner's log.
type Job struct {
	Action *githubactions.Action
	In     Inputs
	Event  *Event
	// Client is the REST API, authenticated with the github-token input.
	Client *github.Client
	// Comments keeps the sticky comment.
	Comments CommentService
	// Getenv reads the environment and masks secret-looking values in the
	// log the first time it reads them (MaskingGetenv).
	Getenv func(string) string
	// Log is for lines the workflow log should show (stderr).
	Log io.Writer
}

// BadReportError is PublishReportDir's error when the report to publish
// is unreadable or malformed, or the pull request it is for does not have
// the commit it measured as its head: invalid input, nothing published.
type BadReportError struct{ Err error }

func (e *BadReportError) Error() string { return e.Err.Error() }
func (e *BadReportError) Unwrap() error { return e.Err }

// Start begins a job: it masks the token, reads the inputs and the event
// and builds the REST client. Workflow commands go to stdout, log lines to
// log. The job is returned even with an error, so that Fail can report it.
func Start(getenv func(string) string, stdout, log io.Writer) (*Job, error) {
	a := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout))
	j := &Job{Action: a, Log: log}
	// Mask secrets before anything can print them: the token, and every
	// secret-looking variable read later.
	if tok := getenv("INPUT_GITHUB-TOKEN"); tok != "" {
		a.AddMask(tok)
	}
	j.Getenv = MaskingGetenv(a, getenv)
	j.Getenv("GITHUB_TOKEN")
	var err error
	if j.In, err = ReadInputs(a, getenv); err != nil {
		return j, err
	}
	if j.Event, err = ReadEvent(getenv); err != nil {
		return j, err
	}
	rt := &ghclient.RetryTransport{Log: func(msg string) { fmt.Fprintf(log, "perfgate: %s\n", msg) }}
	if j.Client, err = ghclient.New(getenv("GITHUB_API_URL"), j.In.Token, rt); err != nil {
		return j, err
	}
	j.Comments = &GitHubComments{Client: j.Client, Owner: j.Event.Owner, Repo: j.Event.Repo}
	return j, nil
}

// RefuseForkPolicy returns why the job must not run a policy, or nil: a
// fork's code on an event with a write token (Event.ForkPolicyRefusal),
// unless the workflow set allow-fork-policy.
func (j *Job) RefuseForkPolicy() error {
	if j.Event.ForkCodeWithWriteToken() && !j.In.AllowForkPolicy {
		return errors.New(j.Event.ForkPolicyRefusal())
	}
	return nil
}

// EnvRule is what the workflow lets a policy read: the allow-env input,
// under the CI rule (policies.EnvRule).
func (j *Job) EnvRule() policies.EnvRule {
	return policies.EnvRule{CI: true, Allow: j.In.AllowEnv}
}

// CheckPolicyEnv annotates each environment variable p reads that the
// workflow does not allow, at its position, and returns an error naming
// them; nil when p reads none.
func (j *Job) CheckPolicyEnv(p *policies.Policy) error {
	errs := j.EnvRule().Check(p)
	if errs == nil {
		return nil
	}
	Annotate(j.Action, PolicyAnnotations(errs))
	return fmt.Errorf("the policy reads environment variables the workflow does not allow (the allow-env input):\n%w", errs)
}

// MaskPolicy masks the value of every header the policy reads from the
// environment, whatever the variable is called.
func (j *Job) MaskPolicy(p *policies.Policy) {
	for _, h := range p.Target.Headers {
		if v := j.Getenv(h.Env); v != "" {
			j.Action.AddMask(v)
		}
	}
}

// Fail reports a job that could not run: an error annotation, the outputs
// of an invalid verdict and a job summary that says why.
func (j *Job) Fail(err error) {
	j.Action.Errorf("perfgate: %v", err)
	var md strings.Builder
	md.WriteString("## perfgate: could not run\n\n")
	for _, line := range strings.Split(err.Error(), "\n") {
		md.WriteString("- " + inert.Markdown(line) + "\n")
	}
	if perr := Publish(j.Action, Outputs{Verdict: "invalid", Summary: err.Error()}, md.String()); perr != nil {
		fmt.Fprintf(j.Log, "perfgate: %v\n", perr)
	}
}

// Done is a finished gate run to publish.
type Done struct {
	Policy   string // the policy name, which keys the comment
	Verdict  string // pass, warn, fail or invalid
	Reason   string // one sentence
	Markdown string // the comment body and job summary
	Dir      string // the report directory
	Capacity float64
}

// Publish publishes a finished run: the sticky comment on a pull request
// (PostComment), the outputs and the job summary.
func (j *Job) Publish(ctx context.Context, d Done) error { return j.PublishAll(ctx, []Done{d}) }

// PublishAll publishes finished runs, one per policy: each its sticky
// comment (with the mention input's line on FAIL) and its part of the job
// summary; the outputs once, for the worst verdict (the first policy's on
// a tie): its report, comment and reason, which with several policies
// names the policy.
func (j *Job) PublishAll(ctx context.Context, ds []Done) error {
	worst, summary := -1, ""
	var urls []string
	for i, d := range ds {
		md := d.Markdown + MentionLine(j.In.Mention, d.Verdict)
		url := PostComment(ctx, j.Action, j.Comments, j.In, j.Event, report.Marker(d.Policy), md, d.Verdict, j.Log)
		urls = append(urls, url)
		summary += md
		if worst < 0 || verdictRank(d.Verdict) > verdictRank(ds[worst].Verdict) {
			worst = i
		}
	}
	d := ds[worst]
	reason := d.Reason
	if len(ds) > 1 {
		reason = d.Policy + ": " + reason
	}
	capacity := 0.0
	for _, d := range ds {
		if d.Capacity > 0 {
			capacity = d.Capacity
			break
		}
	}
	return Publish(j.Action, Outputs{
		Verdict: d.Verdict, ReportPath: filepath.Join(d.Dir, "report.json"), CommentURL: urls[worst], Capacity: capacity, Summary: reason,
	}, summary)
}

func verdictRank(v string) int {
	return map[string]int{"pass": 0, "warn": 1, "fail": 2, "invalid": 3}[v]
}

// MentionLine is the line the comment ends with on FAIL when the workflow
// names people to mention: "cc @alice @org/perf-team"; "" otherwise. The
// names are the workflow's (checked by parseMentions), not a pull
// request's, so they are not made inert.
func MentionLine(mention []string, verdict string) string {
	if len(mention) == 0 || verdict != "fail" {
		return ""
	}
	return "\n**perfgate FAIL** — cc " + strings.Join(mention, " ") + "\n"
}

// PublishReportDir publishes a report an earlier job made (the
// workflow_run pattern for pull requests from forks) on the pr-number
// input's pull request, else the event's.
func (j *Job) PublishReportDir(ctx context.Context) error {
	body, rep, err := ReadReportDir(j.In.ReportDir)
	if err != nil {
		return &BadReportError{err}
	}
	ev := *j.Event
	if j.In.PRNumber > 0 {
		ev.PR = j.In.PRNumber
		// The number comes from an artifact the pull request's own code
		// could have written: check it against the run's head commit.
		if j.Event.SHA != "" {
			if err := j.Comments.CheckPullHead(ctx, ev.PR, j.Event.SHA); err != nil {
				return &BadReportError{fmt.Errorf("not commenting: %w", err)}
			}
		}
	}
	pj := *j
	pj.Event = &ev
	return pj.Publish(ctx, Done{Policy: rep.Policy, Verdict: rep.Verdict, Reason: rep.Reason, Markdown: body, Dir: j.In.ReportDir})
}
