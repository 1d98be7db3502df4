package fakegithub

import (
	"net/http"
	"strconv"
)

// OpGetPull is the operation that reads a pull request.
const OpGetPull = "GET /repos/{owner}/{repo}/pulls/{pull_number}"

// Pull is a pull request held by the fake: its number, head and base.
type Pull struct {
	Number   int
	HeadRef  string
	HeadSHA  string
	HeadRepo string // full name of the head repository
	BaseRef  string
	BaseSHA  string
}

// CreatePull adds a pull request, which is also an issue (see CreateIssue).
func (s *Server) CreatePull(owner, name string, p Pull) error {
	s.mu.Lock()
	rp := s.lookup(owner, name)
	if rp == nil {
		s.mu.Unlock()
		return errorf("no repository %s/%s", owner, name)
	}
	if rp.issues.pulls == nil {
		rp.issues.pulls = map[int]Pull{}
	}
	rp.issues.pulls[p.Number] = p
	s.mu.Unlock()
	return s.CreateIssue(owner, name, p.Number)
}

func (s *Server) registerPulls() {
	s.handle(OpGetPull, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		n, err := strconv.Atoi(r.PathValue("pull_number"))
		p, ok := rp.issues.pulls[n]
		if err != nil || !ok {
			return http.StatusNotFound, apiError("Not Found")
		}
		full := rp.owner + "/" + rp.name
		return http.StatusOK, map[string]any{
			"number": p.Number,
			"state":  "open",
			"head":   map[string]any{"ref": p.HeadRef, "sha": p.HeadSHA, "repo": map[string]any{"full_name": p.HeadRepo}},
			"base":   map[string]any{"ref": p.BaseRef, "sha": p.BaseSHA, "repo": map[string]any{"full_name": full}},
		}
	})
}
