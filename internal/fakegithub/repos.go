package fakegithub

import (
	"net/http"
	"strings"
)

// OpGetRepo is the operation that reads a repository.
const OpGetRepo = "GET /repos/{owner}/{repo}"

// repo is the state of one repository. Fields of other API areas are added
// here.
type repo struct {
	id            int64
	owner, name   string
	defaultBranch string
	objects
	issues issues
}

// CreateRepo adds a repository whose default branch has one commit holding
// README.md. It returns an error if the repository exists.
func (s *Server) CreateRepo(owner, name, defaultBranch string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	full := owner + "/" + name
	if s.repos[full] != nil {
		return errorf("repository %s exists", full)
	}
	if defaultBranch == "" {
		defaultBranch = "main"
	}
	rp := &repo{id: int64(len(s.repos) + 1), owner: owner, name: name, defaultBranch: defaultBranch, objects: newObjects()}
	files := map[string]string{"README.md": rp.putBlob([]byte("# " + name + "\n"))}
	rp.refs["refs/heads/"+defaultBranch] = s.commit(rp, rp.buildTree(files), nil, "Initial commit")
	s.repos[full] = rp
	return nil
}

func (e apiError) Error() string { return string(e) }

func (s *Server) registerRepos() {
	s.handle(OpGetRepo, func(_ http.ResponseWriter, _ *http.Request, rp *repo) (int, any) {
		return http.StatusOK, map[string]any{
			"id":             rp.id,
			"name":           rp.name,
			"full_name":      rp.owner + "/" + rp.name,
			"owner":          map[string]any{"login": rp.owner},
			"default_branch": rp.defaultBranch,
			"private":        false,
		}
	})
}

// lookup returns the repository or nil.
func (s *Server) lookup(owner, name string) *repo {
	return s.repos[owner+"/"+strings.TrimSuffix(name, ".git")]
}
