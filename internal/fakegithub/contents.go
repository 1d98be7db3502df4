package fakegithub

import (
	"encoding/base64"
	"net/http"
	"path"
	"strings"
)

// Operations of the contents API.
const (
	OpGetContents    = "GET /repos/{owner}/{repo}/contents/{path}"
	OpPutContents    = "PUT /repos/{owner}/{repo}/contents/{path}"
	OpDeleteContents = "DELETE /repos/{owner}/{repo}/contents/{path}"
)

func (s *Server) registerContents() {
	s.handle(OpGetContents, s.getContents)
	s.handle(OpPutContents, s.putContents)
	s.handle(OpDeleteContents, s.deleteContents)
}

func (s *Server) fileJSON(p, sha string, data []byte, withContent bool) map[string]any {
	m := map[string]any{
		"type": "file", "name": path.Base(p), "path": p, "sha": sha, "size": len(data),
		"url": s.URL + "contents/" + p,
	}
	if withContent {
		m["encoding"] = "base64"
		m["content"] = base64.StdEncoding.EncodeToString(data)
	}
	return m
}

// getContents returns a file with its content, or a directory listing (at
// most dirLimit entries, like GitHub's 1,000).
func (s *Server) getContents(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
	ref := r.URL.Query().Get("ref")
	files, _, ok := rp.snapshot(ref)
	if !ok {
		return http.StatusNotFound, errorf("No commit found for the ref %s", ref)
	}
	p := strings.Trim(r.PathValue("path"), "/")
	if sha, ok := files[p]; ok {
		return http.StatusOK, s.fileJSON(p, sha, rp.blobs[sha], true)
	}
	prefix := p + "/"
	if p == "" {
		prefix = ""
	}
	entries := map[string]map[string]any{}
	for f, sha := range files {
		rest, ok := strings.CutPrefix(f, prefix)
		if !ok {
			continue
		}
		if dir, _, nested := strings.Cut(rest, "/"); nested {
			entries[dir] = map[string]any{"type": "dir", "name": dir, "path": prefix + dir, "sha": "", "size": 0}
		} else {
			entries[rest] = s.fileJSON(f, sha, rp.blobs[sha], false)
		}
	}
	if len(entries) == 0 {
		return http.StatusNotFound, apiError("Not Found")
	}
	list := []map[string]any{}
	for _, name := range sortedKeys(entries) {
		if len(list) == s.dirLimit {
			break
		}
		list = append(list, entries[name])
	}
	return http.StatusOK, list
}

// contentsBody is the body of PUT and DELETE .../contents/{path}.
type contentsBody struct {
	Message string  `json:"message"`
	Content *string `json:"content"`
	SHA     *string `json:"sha"`
	Branch  string  `json:"branch"`
}

// target checks the path and branch of a write and returns the branch's
// files.
func (rp *repo) target(r *http.Request, b *contentsBody) (p, branch string, files map[string]string, status int, e apiError) {
	p = strings.Trim(r.PathValue("path"), "/")
	if p == "" || path.Clean(p) != p || strings.HasPrefix(p, "..") {
		return "", "", nil, http.StatusUnprocessableEntity, errorf("path %q is invalid", p)
	}
	if b.Message == "" {
		return "", "", nil, http.StatusUnprocessableEntity, apiError("Invalid request.\n\n\"message\" wasn't supplied.")
	}
	branch = b.Branch
	if branch == "" {
		branch = rp.defaultBranch
	}
	head, ok := rp.refs["refs/heads/"+branch]
	if !ok {
		return "", "", nil, http.StatusNotFound, errorf("Branch %s not found", branch)
	}
	return p, branch, rp.flatten(rp.commits[head].tree), 0, ""
}

// putContents creates a file (no sha) or updates it (sha of the current
// blob): a missing sha on an existing file is 422, a stale one 409.
func (s *Server) putContents(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
	var b contentsBody
	if err := decodeBody(r, &b); err != "" {
		return http.StatusBadRequest, err
	}
	p, branch, files, status, e := rp.target(r, &b)
	if e != "" {
		return status, e
	}
	if b.Content == nil {
		return http.StatusUnprocessableEntity, apiError("Invalid request.\n\n\"content\" wasn't supplied.")
	}
	data, err := base64.StdEncoding.DecodeString(*b.Content)
	if err != nil {
		return http.StatusUnprocessableEntity, apiError("content is not valid Base64")
	}
	for f := range files {
		if strings.HasPrefix(f, p+"/") || strings.HasPrefix(p, f+"/") {
			return http.StatusUnprocessableEntity, errorf("path %s conflicts with %s", p, f)
		}
	}
	old, exists := files[p]
	switch {
	case exists && b.SHA == nil:
		return http.StatusUnprocessableEntity, apiError("Invalid request.\n\n\"sha\" wasn't supplied.")
	case exists && *b.SHA != old:
		return http.StatusConflict, errorf("%s does not match %s", p, *b.SHA)
	case !exists && b.SHA != nil && *b.SHA != "":
		return http.StatusConflict, errorf("%s does not match %s", p, *b.SHA)
	}
	sha := rp.putBlob(data)
	files[p] = sha
	commit := s.advance(rp, branch, files, b.Message)
	status = http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	return status, map[string]any{
		"content": s.fileJSON(p, sha, data, false),
		"commit":  s.commitJSON(commit, rp.commits[commit]),
	}
}

// deleteContents deletes a file; its current blob sha is required.
func (s *Server) deleteContents(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
	var b contentsBody
	if err := decodeBody(r, &b); err != "" {
		return http.StatusBadRequest, err
	}
	p, branch, files, status, e := rp.target(r, &b)
	if e != "" {
		return status, e
	}
	old, exists := files[p]
	switch {
	case !exists:
		return http.StatusNotFound, apiError("Not Found")
	case b.SHA == nil:
		return http.StatusUnprocessableEntity, apiError("Invalid request.\n\n\"sha\" wasn't supplied.")
	case *b.SHA != old:
		return http.StatusConflict, errorf("%s does not match %s", p, *b.SHA)
	}
	delete(files, p)
	commit := s.advance(rp, branch, files, b.Message)
	return http.StatusOK, map[string]any{
		"content": nil,
		"commit":  s.commitJSON(commit, rp.commits[commit]),
	}
}

// File returns the content of path on a branch ("" for the default one).
func (s *Server) File(owner, name, branch, p string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookup(owner, name)
	if rp == nil {
		return nil, false
	}
	files, _, ok := rp.snapshot(branch)
	if !ok {
		return nil, false
	}
	sha, ok := files[p]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), rp.blobs[sha]...), true
}

// Paths returns the sorted paths of every file on a branch ("" for the
// default one), or nil if the repository or branch does not exist.
func (s *Server) Paths(owner, name, branch string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookup(owner, name)
	if rp == nil {
		return nil
	}
	files, _, ok := rp.snapshot(branch)
	if !ok {
		return nil
	}
	return sortedKeys(files)
}

// PutFile writes a file on an existing branch ("" for the default one) in a
// new commit, bypassing locks, read-only mode and counters; data nil
// deletes it. It is for seeding state, e.g. a corrupt file.
func (s *Server) PutFile(owner, name, branch, p string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.lookup(owner, name)
	if rp == nil {
		return errorf("no repository %s/%s", owner, name)
	}
	if branch == "" {
		branch = rp.defaultBranch
	}
	files, _, ok := rp.snapshot("refs/heads/" + branch)
	if !ok {
		return errorf("no branch %s in %s/%s", branch, owner, name)
	}
	if data == nil {
		delete(files, p)
	} else {
		files[p] = rp.putBlob(data)
	}
	s.advance(rp, branch, files, "seed "+p)
	return nil
}
