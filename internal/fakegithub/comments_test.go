package fakegithub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

func TestIssueCommentsPaginationCreateEdit(t *testing.T) {
	s, c := newRepo(t)
	ctx := context.Background()
	if err := s.CreateIssue("o", "r", 7); err != nil {
		t.Fatal(err)
	}
	for i := range 130 {
		if _, err := s.AddComment("o", "r", 7, "someone", fmt.Sprintf("comment %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var all []*github.IssueComment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	pages := 0
	for {
		list, resp, err := c.Issues.ListComments(ctx, "o", "r", 7, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, list...)
		if resp.NextPage == 0 {
			if pages == 2 && resp.PrevPage != 1 {
				t.Errorf("last page: prev %d, want 1", resp.PrevPage)
			}
			break
		}
		opts.Page = resp.NextPage
	}
	if pages != 2 || len(all) != 130 || all[129].GetBody() != "comment 129" {
		t.Fatalf("%d pages, %d comments, last %q", pages, len(all), all[len(all)-1].GetBody())
	}
	if got := s.Calls(OpListIssueComments); got != 2 {
		t.Errorf("list calls = %d, want 2", got)
	}

	made, _, err := c.Issues.CreateComment(ctx, "o", "r", 7, &github.IssueComment{Body: github.String("hello")})
	if err != nil {
		t.Fatal(err)
	}
	if made.GetUser().GetLogin() != DefaultCommenter || !strings.Contains(made.GetHTMLURL(), "#issuecomment-") {
		t.Errorf("created comment: %+v", made)
	}
	edited, _, err := c.Issues.EditComment(ctx, "o", "r", made.GetID(), &github.IssueComment{Body: github.String("bye")})
	if err != nil {
		t.Fatal(err)
	}
	if edited.GetBody() != "bye" || !edited.GetUpdatedAt().After(edited.GetCreatedAt().Time) {
		t.Errorf("edited comment: %+v", edited)
	}
	got, _, err := c.Issues.GetComment(ctx, "o", "r", made.GetID())
	if err != nil || got.GetBody() != "bye" {
		t.Errorf("get after edit: %v %q", err, got.GetBody())
	}
	if n := len(s.Comments("o", "r", 7)); n != 131 {
		t.Errorf("%d comments, want 131", n)
	}
}

func TestIssueCommentsErrors(t *testing.T) {
	s, c := newRepo(t)
	ctx := context.Background()
	if err := s.CreateIssue("o", "r", 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Issues.ListComments(ctx, "o", "r", 2, nil); statusOf(err) != http.StatusNotFound {
		t.Errorf("list on a missing issue: %v, want 404", err)
	}
	if _, _, err := c.Issues.CreateComment(ctx, "o", "r", 1, &github.IssueComment{Body: github.String("")}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("empty body: %v, want 422", err)
	}
	long := strings.Repeat("x", MaxCommentBody+1)
	if _, _, err := c.Issues.CreateComment(ctx, "o", "r", 1, &github.IssueComment{Body: &long}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("long body: %v, want 422", err)
	}
	if _, _, err := c.Issues.EditComment(ctx, "o", "r", 99999, &github.IssueComment{Body: github.String("x")}); statusOf(err) != http.StatusNotFound {
		t.Errorf("edit of a missing comment: %v, want 404", err)
	}

	s.SetReadOnly(true)
	if _, _, err := c.Issues.CreateComment(ctx, "o", "r", 1, &github.IssueComment{Body: github.String("x")}); statusOf(err) != http.StatusForbidden {
		t.Errorf("read-only create: %v, want 403", err)
	}
	if _, _, err := c.Issues.ListComments(ctx, "o", "r", 1, nil); err != nil {
		t.Errorf("read-only list: %v", err)
	}
	if got := s.Statuses(OpCreateIssueComment); got[http.StatusForbidden] != 1 || got[http.StatusUnprocessableEntity] != 2 {
		t.Errorf("create statuses %v", got)
	}
}

func TestSecondaryRateLimitNext(t *testing.T) {
	s, c := newRepo(t)
	ctx := context.Background()
	if err := s.CreateIssue("o", "r", 1); err != nil {
		t.Fatal(err)
	}
	s.SecondaryRateLimitNext(OpCreateIssueComment, 3*time.Second, 1)
	_, _, err := c.Issues.CreateComment(ctx, "o", "r", 1, &github.IssueComment{Body: github.String("x")})
	var rl *github.AbuseRateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter == nil || *rl.RetryAfter != 3*time.Second {
		t.Fatalf("err = %v, want a secondary rate limit with Retry-After 3s", err)
	}
	if n := len(s.Comments("o", "r", 1)); n != 0 {
		t.Errorf("a rate-limited call created %d comments", n)
	}
}

func TestGetPull(t *testing.T) {
	s, c := newRepo(t)
	if err := s.CreatePull("o", "r", Pull{Number: 5, HeadRef: "f", HeadSHA: "abc", HeadRepo: "fork/r", BaseRef: "main", BaseSHA: "def"}); err != nil {
		t.Fatal(err)
	}
	pr, _, err := c.PullRequests.Get(context.Background(), "o", "r", 5)
	if err != nil || pr.GetHead().GetSHA() != "abc" || pr.GetHead().GetRepo().GetFullName() != "fork/r" || pr.GetBase().GetRef() != "main" {
		t.Fatalf("%+v, %v", pr, err)
	}
	if _, _, err := c.PullRequests.Get(context.Background(), "o", "r", 6); statusOf(err) != http.StatusNotFound {
		t.Errorf("missing pull: %v", err)
	}
	if _, _, err := c.Issues.ListComments(context.Background(), "o", "r", 5, nil); err != nil {
		t.Errorf("a pull request is an issue: %v", err)
	}
}
