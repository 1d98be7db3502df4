package fakegithub

import (
	"net/http"
	"strings"
)

// Operations of the branches API.
const (
	OpGetBranch    = "GET /repos/{owner}/{repo}/branches/{branch}"
	OpListBranches = "GET /repos/{owner}/{repo}/branches"
)

func (s *Server) branchJSON(rp *repo, name, sha string) map[string]any {
	return map[string]any{
		"name":      name,
		"protected": false,
		"commit": map[string]any{
			"sha":    sha,
			"commit": map[string]any{"message": rp.commits[sha].message, "tree": map[string]string{"sha": rp.commits[sha].tree}},
		},
	}
}

func (s *Server) registerBranches() {
	s.handle(OpGetBranch, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		name := r.PathValue("branch")
		sha, ok := rp.refs["refs/heads/"+name]
		if !ok {
			return http.StatusNotFound, apiError("Branch not found")
		}
		return http.StatusOK, s.branchJSON(rp, name, sha)
	})
	s.handle(OpListBranches, func(w http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		var names []string
		for ref := range rp.refs {
			if name, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
				names = append(names, name)
			}
		}
		names = sortedKeys(setOf(names))
		lo, hi := paginate(w, r, len(names))
		list := []map[string]any{}
		for _, n := range names[lo:hi] {
			list = append(list, s.branchJSON(rp, n, rp.refs["refs/heads/"+n]))
		}
		return http.StatusOK, list
	})
}

// Head returns the commit SHA a branch points at.
func (s *Server) Head(owner, name, branch string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookup(owner, name)
	if rp == nil {
		return "", false
	}
	sha, ok := rp.refs["refs/heads/"+branch]
	return sha, ok
}

// Parents returns the parent SHAs of a commit, and whether it exists.
func (s *Server) Parents(owner, name, commit string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookup(owner, name)
	if rp == nil || rp.commits[commit] == nil {
		return nil, false
	}
	return append([]string(nil), rp.commits[commit].parents...), true
}

func setOf(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}
