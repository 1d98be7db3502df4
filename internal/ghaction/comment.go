package ghaction

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
	"github.com/sethvargo/go-githubactions"
)

// CommentMode says when the sticky comment is written.
type CommentMode string

// Comment modes (the action's "comment" input).
const (
	// CommentAlways creates or updates the comment on every run.
	CommentAlways CommentMode = "always"
	// CommentOnChange updates an existing comment, and creates one only
	// when the verdict is not pass: a passing PR gets no new comment, but a
	// comment that reported a failure is updated once fixed.
	CommentOnChange CommentMode = "on-change"
	// CommentNever writes no comment.
	CommentNever CommentMode = "never"
)

// ParseCommentMode checks the "comment" input; "" is CommentAlways.
func ParseCommentMode(s string) (CommentMode, error) {
	switch m := CommentMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return CommentAlways, nil
	case CommentAlways, CommentOnChange, CommentNever:
		return m, nil
	}
	return "", fmt.Errorf("comment %q: want always, on-change or never", s)
}

// CommentAction is what Upsert did.
type CommentAction string

// Comment actions.
const (
	CommentCreated   CommentAction = "created"
	CommentUpdated   CommentAction = "updated"
	CommentUnchanged CommentAction = "unchanged" // the body was already current
	CommentSkipped   CommentAction = "skipped"   // the mode said not to write
)

// CommentResult is the outcome of Upsert.
type CommentResult struct {
	Action CommentAction
	// ID and URL identify the comment; zero and "" when skipped.
	ID  int64
	URL string
}

// CommentService keeps one comment per pull request and marker.
type CommentService interface {
	// Upsert finds the comment of pr whose body starts with marker and
	// replaces its body, or creates one when none exists and create is
	// true. body must start with marker, so the next run finds it.
	Upsert(ctx context.Context, pr int, marker, body string, create bool) (CommentResult, error)
	// CheckPullHead returns an error unless pull request pr has head
	// commit sha: a PR number taken from an untrusted artifact must name
	// the pull request whose commit the report measured.
	CheckPullHead(ctx context.Context, pr int, sha string) error
}

// ErrReadOnly is wrapped by the errors of a CommentService when GitHub
// refused the request with 403 or 404, as it does for the read-only token
// of a pull request from a fork: the caller falls back to the job summary
// and annotations and does not fail the gate.
var ErrReadOnly = errors.New("the GitHub token cannot write comments on this pull request (read-only token, as on pull requests from forks)")

// GitHubComments is a CommentService over the issue comments API of
// go-github (pull requests are issues).
type GitHubComments struct {
	Client      *github.Client
	Owner, Repo string
	// PerPage is the page size used to search for the comment (100, the
	// most GitHub allows, when 0).
	PerPage int
}

var _ CommentService = (*GitHubComments)(nil)

// Upsert implements CommentService. It searches every page of the
// pull request's comments, oldest first; if several carry the marker, the
// oldest is the one kept up to date.
func (g *GitHubComments) Upsert(ctx context.Context, pr int, marker, body string, create bool) (CommentResult, error) {
	if marker == "" || !strings.HasPrefix(body, marker) {
		return CommentResult{}, errors.New("comment body must start with its marker")
	}
	found, err := g.find(ctx, pr, marker)
	if err != nil {
		return CommentResult{}, err
	}
	if found != nil {
		if found.GetBody() == body {
			return CommentResult{Action: CommentUnchanged, ID: found.GetID(), URL: found.GetHTMLURL()}, nil
		}
		c, _, err := g.Client.Issues.EditComment(ctx, g.Owner, g.Repo, found.GetID(), &github.IssueComment{Body: &body})
		if err != nil {
			return CommentResult{}, classify("updating comment", err)
		}
		return CommentResult{Action: CommentUpdated, ID: c.GetID(), URL: c.GetHTMLURL()}, nil
	}
	if !create {
		return CommentResult{Action: CommentSkipped}, nil
	}
	c, _, err := g.Client.Issues.CreateComment(ctx, g.Owner, g.Repo, pr, &github.IssueComment{Body: &body})
	if err != nil {
		return CommentResult{}, classify("creating comment", err)
	}
	return CommentResult{Action: CommentCreated, ID: c.GetID(), URL: c.GetHTMLURL()}, nil
}

// CheckPullHead implements CommentService.
func (g *GitHubComments) CheckPullHead(ctx context.Context, pr int, sha string) error {
	return CheckPullHead(ctx, g.Client, g.Owner, g.Repo, pr, sha)
}

// find returns the oldest comment of pr whose body starts with marker, or
// nil, following the Link header across all pages.
func (g *GitHubComments) find(ctx context.Context, pr int, marker string) (*github.IssueComment, error) {
	per := g.PerPage
	if per <= 0 {
		per = 100
	}
	opts := &github.IssueListCommentsOptions{
		Sort:        github.String("created"),
		Direction:   github.String("asc"),
		ListOptions: github.ListOptions{PerPage: per},
	}
	for {
		list, resp, err := g.Client.Issues.ListComments(ctx, g.Owner, g.Repo, pr, opts)
		if err != nil {
			return nil, classify("listing comments", err)
		}
		for _, c := range list {
			if strings.HasPrefix(strings.TrimLeft(c.GetBody(), " \t\r\n"), marker) {
				return c, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// classify wraps ErrReadOnly into 403 and 404 answers that are not rate
// limits. The error names the operation and the status, never the token.
func classify(op string, err error) error {
	var rl *github.RateLimitError
	var arl *github.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &arl) {
		return fmt.Errorf("%s: GitHub rate limit: %w", op, err)
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusForbidden, http.StatusNotFound:
			return fmt.Errorf("%s: %d %s: %w", op, er.Response.StatusCode, er.Message, ErrReadOnly)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ShouldCreate says whether mode allows creating a new comment for a run
// whose verdict is outcome ("pass", "warn", "fail", "invalid").
func ShouldCreate(mode CommentMode, outcome string) bool {
	switch mode {
	case CommentAlways:
		return true
	case CommentOnChange:
		return outcome != "pass"
	}
	return false
}

// PostComment writes the sticky comment of a run when the event is a pull
// request and the comment mode allows it, and returns its URL ("" when none
// was written). A token that cannot write gives a notice, never an error:
// the job summary and the annotations carry the report. log receives a
// line about what was done.
func PostComment(ctx context.Context, a *githubactions.Action, svc CommentService, in Inputs, ev *Event, marker, body, outcome string, log io.Writer) string {
	if in.Comment == CommentNever || !ev.IsPullRequest() {
		return ""
	}
	if in.Token == "" {
		a.Noticef("perfgate: no github-token, so no pull-request comment; the report is in the job summary")
		return ""
	}
	res, err := svc.Upsert(ctx, ev.PR, marker, body, ShouldCreate(in.Comment, outcome))
	switch {
	case errors.Is(err, ErrReadOnly):
		a.Noticef("perfgate: could not write the comment on #%d: %v. The report is in the job summary and the annotations; the gate's verdict is unchanged. For pull requests from forks, publish the comment from a workflow_run job (docs/github-action.md).", ev.PR, err)
		return ""
	case err != nil:
		a.Warningf("perfgate: could not write the comment on #%d: %v. The report is in the job summary.", ev.PR, err)
		return ""
	}
	fmt.Fprintf(log, "perfgate: comment %s on #%d %s\n", res.Action, ev.PR, res.URL)
	return res.URL
}
