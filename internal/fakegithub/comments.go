package fakegithub

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Operations of the issue comments API (pull requests are issues).
const (
	OpListIssueComments  = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"
	OpCreateIssueComment = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
	OpGetIssueComment    = "GET /repos/{owner}/{repo}/issues/comments/{comment_id}"
	OpEditIssueComment   = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"
)

// MaxCommentBody is GitHub's limit on the body of an issue comment.
const MaxCommentBody = 65536

// DefaultCommenter is the login of comments created through the API, the
// bot a workflow token acts as.
const DefaultCommenter = "github-actions[bot]"

// Comment is an issue or pull-request comment held by the fake.
type Comment struct {
	ID      int64
	Issue   int
	User    string
	Body    string
	Created time.Time
	Updated time.Time
}

// issues is the issue state of a repository: which issue numbers exist and
// their comments in creation order.
type issues struct {
	numbers  map[int]bool
	comments []*Comment
	pulls    map[int]Pull
}

// CreateIssue makes issue (or pull request) number exist in a repository,
// so that its comments can be listed and created.
func (s *Server) CreateIssue(owner, name string, number int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookup(owner, name)
	if rp == nil {
		return errorf("no repository %s/%s", owner, name)
	}
	if rp.issues.numbers == nil {
		rp.issues.numbers = map[int]bool{}
	}
	rp.issues.numbers[number] = true
	return nil
}

// AddComment adds a comment by user to an existing issue without going
// through the API (and without counting a call), and returns its ID.
func (s *Server) AddComment(owner, name string, number int, user, body string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookup(owner, name)
	if rp == nil || !rp.issues.numbers[number] {
		return 0, errorf("no issue %s/%s#%d", owner, name, number)
	}
	return s.addComment(rp, number, user, body).ID, nil
}

// Comments returns copies of the comments of an issue in creation order.
func (s *Server) Comments(owner, name string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookup(owner, name)
	if rp == nil {
		return nil
	}
	var out []Comment
	for _, c := range rp.issues.comments {
		if c.Issue == number {
			out = append(out, *c)
		}
	}
	return out
}

// SecondaryRateLimitNext makes the next n calls of op answer 403 with
// GitHub's secondary rate limit body and a Retry-After header of
// retryAfter (whole seconds), before any other processing but
// authentication.
func (s *Server) SecondaryRateLimitNext(op string, retryAfter time.Duration, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rateLimits == nil {
		s.rateLimits = map[string][]time.Duration{}
	}
	for range n {
		s.rateLimits[op] = append(s.rateLimits[op], retryAfter)
	}
}

// secondaryRateLimited writes the headers of a secondary rate limit and
// returns its status and body.
func secondaryRateLimited(w http.ResponseWriter, retryAfter time.Duration) (int, any) {
	w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	return http.StatusForbidden, map[string]string{
		"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		"documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		"status":            "403",
	}
}

func (s *Server) addComment(rp *repo, number int, user, body string) *Comment {
	s.seq++
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.seq) * time.Second)
	c := &Comment{ID: int64(1000 + s.seq), Issue: number, User: user, Body: body, Created: now, Updated: now}
	rp.issues.comments = append(rp.issues.comments, c)
	return c
}

func (s *Server) commentJSON(rp *repo, c *Comment) map[string]any {
	full := rp.owner + "/" + rp.name
	return map[string]any{
		"id":                 c.ID,
		"node_id":            fmt.Sprintf("IC_%d", c.ID),
		"body":               c.Body,
		"user":               map[string]any{"login": c.User, "type": "Bot"},
		"url":                fmt.Sprintf("%srepos/%s/issues/comments/%d", s.URL, full, c.ID),
		"html_url":           fmt.Sprintf("https://github.test/%s/pull/%d#issuecomment-%d", full, c.Issue, c.ID),
		"issue_url":          fmt.Sprintf("%srepos/%s/issues/%d", s.URL, full, c.Issue),
		"created_at":         c.Created.Format(time.RFC3339),
		"updated_at":         c.Updated.Format(time.RFC3339),
		"author_association": "NONE",
	}
}

// commentBody is the body of POST and PATCH on comments.
type commentBody struct {
	Body *string `json:"body"`
}

// checkBody applies GitHub's validation of a comment body.
func checkBody(b *commentBody) (int, apiError) {
	switch {
	case b.Body == nil || *b.Body == "":
		return http.StatusUnprocessableEntity, apiError("Validation Failed: body wasn't supplied")
	case len(*b.Body) > MaxCommentBody:
		return http.StatusUnprocessableEntity, errorf("Validation Failed: body is too long (maximum is %d characters)", MaxCommentBody)
	}
	return 0, ""
}

func (s *Server) registerComments() {
	issue := func(r *http.Request, rp *repo) (int, bool) {
		n, err := strconv.Atoi(r.PathValue("issue_number"))
		return n, err == nil && rp.issues.numbers[n]
	}
	byID := func(r *http.Request, rp *repo) *Comment {
		id, err := strconv.ParseInt(r.PathValue("comment_id"), 10, 64)
		if err != nil {
			return nil
		}
		for _, c := range rp.issues.comments {
			if c.ID == id {
				return c
			}
		}
		return nil
	}
	list := func(w http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		n, ok := issue(r, rp)
		if !ok {
			return http.StatusNotFound, apiError("Not Found")
		}
		var list []*Comment
		for _, c := range rp.issues.comments {
			if c.Issue == n {
				list = append(list, c)
			}
		}
		lo, hi := paginate(w, r, len(list))
		out := []map[string]any{}
		for _, c := range list[lo:hi] {
			out = append(out, s.commentJSON(rp, c))
		}
		return http.StatusOK, out
	}
	s.handle(OpCreateIssueComment, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		n, ok := issue(r, rp)
		if !ok {
			return http.StatusNotFound, apiError("Not Found")
		}
		var b commentBody
		if err := decodeBody(r, &b); err != "" {
			return http.StatusBadRequest, err
		}
		if status, e := checkBody(&b); e != "" {
			return status, e
		}
		return http.StatusCreated, s.commentJSON(rp, s.addComment(rp, n, DefaultCommenter, *b.Body))
	})
	get := func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		c := byID(r, rp)
		if c == nil {
			return http.StatusNotFound, apiError("Not Found")
		}
		return http.StatusOK, s.commentJSON(rp, c)
	}
	// GET .../issues/{issue_number}/comments and GET
	// .../issues/comments/{comment_id} overlap as mux patterns, so one
	// route tells them apart.
	s.mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{a}/{b}", func(w http.ResponseWriter, r *http.Request) {
		a, b := r.PathValue("a"), r.PathValue("b")
		switch {
		case a == "comments":
			r.SetPathValue("comment_id", b)
			s.dispatch(OpGetIssueComment, w, r, get)
		case b == "comments":
			r.SetPathValue("issue_number", a)
			s.dispatch(OpListIssueComments, w, r, list)
		default:
			s.count("unknown " + r.Method + " " + r.URL.Path)
			writeError(w, http.StatusNotFound, "Not Found")
		}
	})
	s.handle(OpEditIssueComment, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		c := byID(r, rp)
		if c == nil {
			return http.StatusNotFound, apiError("Not Found")
		}
		var b commentBody
		if err := decodeBody(r, &b); err != "" {
			return http.StatusBadRequest, err
		}
		if status, e := checkBody(&b); e != "" {
			return status, e
		}
		s.seq++
		c.Body = *b.Body
		c.Updated = c.Created.Add(time.Duration(s.seq) * time.Second)
		return http.StatusOK, s.commentJSON(rp, c)
	})
}
