package ghaction

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"
)

// CheckPullHead verifies that pull request pr of owner/repo has head
// commit sha. A workflow_run job that publishes a report produced by an
// untrusted pull-request workflow takes the PR number from that report's
// artifact; checking it against the run's head commit keeps a forged
// number from putting the comment on another pull request.
func CheckPullHead(ctx context.Context, c *github.Client, owner, repo string, pr int, sha string) error {
	p, _, err := c.PullRequests.Get(ctx, owner, repo, pr)
	if err != nil {
		return classify(fmt.Sprintf("reading pull request #%d", pr), err)
	}
	if got := p.GetHead().GetSHA(); got == "" || got != sha {
		return fmt.Errorf("pull request #%d has head %s, not the commit this report measured (%s)", pr, short(got), short(sha))
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	if sha == "" {
		return "none"
	}
	return sha
}
