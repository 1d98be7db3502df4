package ghaction

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/internal/fakegithub"
	"github.com/perfgate/perfgate/internal/ghclient"
)

// newFake starts a fake GitHub with acme/chat and PR 42, and returns a
// comment service whose client retries rate limits without waiting; the
// waits it was asked for are recorded in *slept.
func newFake(t *testing.T) (*fakegithub.Server, *GitHubComments, *[]time.Duration) {
	t.Helper()
	s := fakegithub.New()
	t.Cleanup(s.Close)
	s.RequireToken("s3cret-token")
	if err := s.CreateRepo("acme", "chat", "main"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIssue("acme", "chat", 42); err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	rt := &ghclient.RetryTransport{Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}}
	c, err := ghclient.New(strings.TrimSuffix(s.URL, "/"), "s3cret-token", rt)
	if err != nil {
		t.Fatal(err)
	}
	return s, &GitHubComments{Client: c, Owner: "acme", Repo: "chat"}, &slept
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	s, g, _ := newFake(t)
	ctx := context.Background()
	marker := report.Marker("chat-latency")
	r1, err := g.Upsert(ctx, 42, marker, marker+"\nfirst", true)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Action != CommentCreated || r1.URL == "" {
		t.Fatalf("first run: %+v", r1)
	}
	r2, err := g.Upsert(ctx, 42, marker, marker+"\nsecond", true)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Action != CommentUpdated || r2.ID != r1.ID || r2.URL != r1.URL {
		t.Fatalf("second run: %+v, first %+v", r2, r1)
	}
	r3, err := g.Upsert(ctx, 42, marker, marker+"\nsecond", true)
	if err != nil || r3.Action != CommentUnchanged {
		t.Fatalf("same body: %+v, %v", r3, err)
	}
	// Another policy gets its own comment.
	other := report.Marker("chat-capacity")
	if r, err := g.Upsert(ctx, 42, other, other+"\nx", true); err != nil || r.Action != CommentCreated || r.ID == r1.ID {
		t.Fatalf("other policy: %+v, %v", r, err)
	}
	cs := s.Comments("acme", "chat", 42)
	if len(cs) != 2 || cs[0].Body != marker+"\nsecond" {
		t.Fatalf("comments: %+v", cs)
	}
	if got := s.Calls(fakegithub.OpCreateIssueComment); got != 2 {
		t.Errorf("creates = %d, want 2", got)
	}
	if got := s.Calls(fakegithub.OpEditIssueComment); got != 1 {
		t.Errorf("edits = %d, want 1", got)
	}
	if _, err := g.Upsert(ctx, 42, marker, "no marker", true); err == nil {
		t.Error("a body without the marker was accepted")
	}
}

func TestUpsertFindsCommentPastTheFirstPages(t *testing.T) {
	s, g, _ := newFake(t)
	ctx := context.Background()
	marker := report.Marker("chat-latency")
	for i := range 150 {
		body := fmt.Sprintf("review comment %d", i)
		if i == 7 {
			// A quote of the marker that does not start the body is not ours.
			body = "> " + marker + "\nquoted"
		}
		if _, err := s.AddComment("acme", "chat", 42, "reviewer", body); err != nil {
			t.Fatal(err)
		}
	}
	id, err := s.AddComment("acme", "chat", 42, fakegithub.DefaultCommenter, marker+"\nold")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 70 {
		if _, err := s.AddComment("acme", "chat", 42, "reviewer", fmt.Sprintf("later %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := g.Upsert(ctx, 42, marker, marker+"\nnew", true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != CommentUpdated || r.ID != id {
		t.Fatalf("got %+v, want an update of comment %d", r, id)
	}
	if got := s.Calls(fakegithub.OpListIssueComments); got != 2 {
		t.Errorf("list calls = %d, want 2 (the comment is on page 2 of 100)", got)
	}
	if got := s.Calls(fakegithub.OpCreateIssueComment); got != 0 {
		t.Errorf("created %d comments", got)
	}
	if n := len(s.Comments("acme", "chat", 42)); n != 221 {
		t.Errorf("%d comments, want 221", n)
	}
}

func TestUpsertOnChangeMode(t *testing.T) {
	s, g, _ := newFake(t)
	ctx := context.Background()
	marker := report.Marker("p")
	r, err := g.Upsert(ctx, 42, marker, marker+"\npass", ShouldCreate(CommentOnChange, "pass"))
	if err != nil || r.Action != CommentSkipped || r.URL != "" {
		t.Fatalf("pass without a comment: %+v, %v", r, err)
	}
	r, err = g.Upsert(ctx, 42, marker, marker+"\nfail", ShouldCreate(CommentOnChange, "fail"))
	if err != nil || r.Action != CommentCreated {
		t.Fatalf("fail: %+v, %v", r, err)
	}
	r, err = g.Upsert(ctx, 42, marker, marker+"\npass again", ShouldCreate(CommentOnChange, "pass"))
	if err != nil || r.Action != CommentUpdated {
		t.Fatalf("pass after fail: %+v, %v", r, err)
	}
	if n := len(s.Comments("acme", "chat", 42)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
	for _, c := range []struct {
		mode    CommentMode
		outcome string
		want    bool
	}{{CommentAlways, "pass", true}, {CommentOnChange, "warn", true}, {CommentOnChange, "invalid", true}, {CommentNever, "fail", false}} {
		if got := ShouldCreate(c.mode, c.outcome); got != c.want {
			t.Errorf("ShouldCreate(%s, %s) = %v", c.mode, c.outcome, got)
		}
	}
}

func TestUpsertReadOnlyToken(t *testing.T) {
	s, g, slept := newFake(t)
	s.SetReadOnly(true)
	marker := report.Marker("p")
	_, err := g.Upsert(context.Background(), 42, marker, marker+"\nx", true)
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("err = %v, want ErrReadOnly", err)
	}
	if strings.Contains(err.Error(), "s3cret-token") {
		t.Errorf("the error shows the token: %v", err)
	}
	if len(*slept) != 0 || s.Calls(fakegithub.OpCreateIssueComment) != 1 {
		t.Errorf("a read-only 403 was retried: waits %v, creates %d", *slept, s.Calls(fakegithub.OpCreateIssueComment))
	}
	// A pull request the token cannot see answers 404: also a fallback.
	if _, err := g.Upsert(context.Background(), 99, marker, marker+"\nx", true); !errors.Is(err, ErrReadOnly) {
		t.Errorf("404: err = %v, want ErrReadOnly", err)
	}
	// Other failures are not mistaken for a read-only token.
	s.SetReadOnly(false)
	s.FailNext(fakegithub.OpListIssueComments, http.StatusBadGateway, ghclient.DefaultRetries+1) // more than the transport retries
	if _, err := g.Upsert(context.Background(), 42, marker, marker+"\nx", true); err == nil || errors.Is(err, ErrReadOnly) {
		t.Errorf("502: err = %v", err)
	}
}

func TestUpsertHonoursSecondaryRateLimit(t *testing.T) {
	s, g, slept := newFake(t)
	marker := report.Marker("p")
	s.SecondaryRateLimitNext(fakegithub.OpListIssueComments, 2*time.Second, 1)
	s.SecondaryRateLimitNext(fakegithub.OpCreateIssueComment, 7*time.Second, 2)
	r, err := g.Upsert(context.Background(), 42, marker, marker+"\nx", true)
	if err != nil || r.Action != CommentCreated {
		t.Fatalf("%+v, %v", r, err)
	}
	want := []time.Duration{2 * time.Second, 7 * time.Second, 7 * time.Second}
	if fmt.Sprint(*slept) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", *slept, want)
	}
	if n := len(s.Comments("acme", "chat", 42)); n != 1 {
		t.Errorf("%d comments, want 1 (the retried POST must not duplicate)", n)
	}
	if got := s.Statuses(fakegithub.OpCreateIssueComment); got[http.StatusForbidden] != 2 || got[http.StatusCreated] != 1 {
		t.Errorf("create statuses %v", got)
	}
}

func TestRetryTransportBounds(t *testing.T) {
	s, g, slept := newFake(t)
	marker := report.Marker("p")
	// More rate limits than retries: the caller gets the rate-limit error.
	s.SecondaryRateLimitNext(fakegithub.OpListIssueComments, time.Second, ghclient.DefaultRetries+1)
	_, err := g.Upsert(context.Background(), 42, marker, marker+"\nx", true)
	if err == nil || errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("err = %v, want a rate-limit error", err)
	}
	if len(*slept) != ghclient.DefaultRetries {
		t.Errorf("%d waits, want %d", len(*slept), ghclient.DefaultRetries)
	}
	// A wait longer than MaxWait is not attempted. (A fresh client: go-github
	// itself refuses requests until a reported rate limit ends.)
	s, g, slept = newFake(t)
	s.SecondaryRateLimitNext(fakegithub.OpListIssueComments, time.Hour, 1)
	if _, err := g.Upsert(context.Background(), 42, marker, marker+"\nx", true); err == nil {
		t.Fatal("a one-hour Retry-After was waited for")
	}
	if len(*slept) != 0 || s.Calls(fakegithub.OpListIssueComments) != 1 {
		t.Errorf("waits %v, list calls %d", *slept, s.Calls(fakegithub.OpListIssueComments))
	}
}

func TestCheckPullHead(t *testing.T) {
	s, g, _ := newFake(t)
	if err := s.CreatePull("acme", "chat", fakegithub.Pull{Number: 57, HeadSHA: "ab12cd34ef56ab12", HeadRepo: "outsider/chat", BaseRef: "main"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := CheckPullHead(ctx, g.Client, "acme", "chat", 57, "ab12cd34ef56ab12"); err != nil {
		t.Errorf("matching head: %v", err)
	}
	if err := CheckPullHead(ctx, g.Client, "acme", "chat", 57, "ffff"); err == nil {
		t.Error("another head was accepted")
	}
	if err := CheckPullHead(ctx, g.Client, "acme", "chat", 58, "ab12cd34ef56ab12"); err == nil {
		t.Error("a missing pull request was accepted")
	}
}
