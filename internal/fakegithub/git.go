package fakegithub

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
)

// Operations of the git database API.
const (
	OpGetRef       = "GET /repos/{owner}/{repo}/git/ref/{ref}"
	OpCreateRef    = "POST /repos/{owner}/{repo}/git/refs"
	OpUpdateRef    = "PATCH /repos/{owner}/{repo}/git/refs/{ref}"
	OpDeleteRef    = "DELETE /repos/{owner}/{repo}/git/refs/{ref}"
	OpGetTree      = "GET /repos/{owner}/{repo}/git/trees/{tree_sha}"
	OpCreateTree   = "POST /repos/{owner}/{repo}/git/trees"
	OpGetCommit    = "GET /repos/{owner}/{repo}/git/commits/{commit_sha}"
	OpCreateCommit = "POST /repos/{owner}/{repo}/git/commits"
	OpGetBlob      = "GET /repos/{owner}/{repo}/git/blobs/{file_sha}"
)

// objects is a git object store. Blob and tree hashes are git's, so a client
// can compute a blob SHA locally.
type objects struct {
	blobs   map[string][]byte
	trees   map[string]map[string]treeEntry // tree SHA -> name -> entry
	commits map[string]*commitObj
	refs    map[string]string // "refs/heads/main" -> commit SHA
}

type treeEntry struct {
	mode, typ, sha string
}

type commitObj struct {
	tree    string
	parents []string
	message string
}

func newObjects() objects {
	return objects{
		blobs:   map[string][]byte{},
		trees:   map[string]map[string]treeEntry{},
		commits: map[string]*commitObj{},
		refs:    map[string]string{},
	}
}

// BlobSHA returns git's hash of a blob with content data.
func BlobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func (o *objects) putBlob(data []byte) string {
	sha := BlobSHA(data)
	o.blobs[sha] = slices.Clone(data)
	return sha
}

// buildTree stores the trees of a flat snapshot (path -> blob SHA) and
// returns the root tree SHA.
func (o *objects) buildTree(files map[string]string) string {
	entries := map[string]treeEntry{}
	sub := map[string]map[string]string{}
	for p, sha := range files {
		dir, rest, nested := strings.Cut(p, "/")
		if !nested {
			entries[p] = treeEntry{mode: "100644", typ: "blob", sha: sha}
			continue
		}
		if sub[dir] == nil {
			sub[dir] = map[string]string{}
		}
		sub[dir][rest] = sha
	}
	for dir, f := range sub {
		entries[dir] = treeEntry{mode: "040000", typ: "tree", sha: o.buildTree(f)}
	}
	// git's tree hash: entries sorted by name, a directory sorting as name+"/".
	names := sortedKeys(entries)
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		if entries[a].typ == "tree" {
			a += "/"
		}
		if entries[b].typ == "tree" {
			b += "/"
		}
		return a < b
	})
	var body []byte
	for _, n := range names {
		e := entries[n]
		raw, _ := hex.DecodeString(e.sha)
		body = append(body, strings.TrimPrefix(e.mode, "0")+" "+n+"\x00"...)
		body = append(body, raw...)
	}
	h := sha1.New()
	fmt.Fprintf(h, "tree %d\x00", len(body))
	h.Write(body)
	sha := hex.EncodeToString(h.Sum(nil))
	o.trees[sha] = entries
	return sha
}

// flatten returns the flat snapshot (path -> blob SHA) of a tree.
func (o *objects) flatten(treeSHA string) map[string]string {
	out := map[string]string{}
	var walk func(sha, prefix string, depth int)
	walk = func(sha, prefix string, depth int) {
		if depth > 64 {
			return
		}
		for name, e := range o.trees[sha] {
			if e.typ == "tree" {
				walk(e.sha, prefix+name+"/", depth+1)
			} else {
				out[prefix+name] = e.sha
			}
		}
	}
	walk(treeSHA, "", 0)
	return out
}

// commit stores a commit and returns its SHA (unique per call).
func (s *Server) commit(rp *repo, tree string, parents []string, msg string) string {
	s.seq++
	h := sha1.New()
	fmt.Fprintf(h, "commit tree %s parents %v seq %d\n\n%s", tree, parents, s.seq, msg)
	sha := hex.EncodeToString(h.Sum(nil))
	rp.commits[sha] = &commitObj{tree: tree, parents: parents, message: msg}
	return sha
}

// resolve returns the commit SHA of a branch name, "heads/<branch>",
// "refs/heads/<branch>", tag or commit SHA ("" means the default branch).
func (rp *repo) resolve(ref string) (string, bool) {
	if ref == "" {
		ref = rp.defaultBranch
	}
	for _, name := range []string{ref, "refs/" + ref, "refs/heads/" + ref, "refs/tags/" + ref} {
		if sha, ok := rp.refs[name]; ok {
			return sha, true
		}
	}
	if _, ok := rp.commits[ref]; ok {
		return ref, true
	}
	return "", false
}

// snapshot returns the flat files of a ref's commit.
func (rp *repo) snapshot(ref string) (files map[string]string, commit string, ok bool) {
	commit, ok = rp.resolve(ref)
	if !ok {
		return nil, "", false
	}
	return rp.flatten(rp.commits[commit].tree), commit, true
}

// advance commits files on top of branch and moves the branch.
func (s *Server) advance(rp *repo, branch string, files map[string]string, msg string) (commit string) {
	ref := "refs/heads/" + branch
	commit = s.commit(rp, rp.buildTree(files), []string{rp.refs[ref]}, msg)
	rp.refs[ref] = commit
	return commit
}

func (s *Server) refJSON(name, sha string) map[string]any {
	return map[string]any{
		"ref":    name,
		"url":    s.URL + "repos/git/" + name,
		"object": map[string]any{"type": "commit", "sha": sha},
	}
}

func (s *Server) commitJSON(sha string, c *commitObj) map[string]any {
	parents := []map[string]string{}
	for _, p := range c.parents {
		parents = append(parents, map[string]string{"sha": p})
	}
	return map[string]any{
		"sha":     sha,
		"message": c.message,
		"tree":    map[string]string{"sha": c.tree},
		"parents": parents,
	}
}

func (s *Server) registerGit() {
	s.handle(OpGetRef, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		name := "refs/" + strings.TrimPrefix(r.PathValue("ref"), "refs/")
		sha, ok := rp.refs[name]
		if !ok {
			return http.StatusNotFound, apiError("Not Found")
		}
		return http.StatusOK, s.refJSON(name, sha)
	})
	s.handle(OpCreateRef, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		var body struct{ Ref, SHA string }
		if err := decodeBody(r, &body); err != "" {
			return http.StatusBadRequest, err
		}
		if !strings.HasPrefix(body.Ref, "refs/") || strings.Count(body.Ref, "/") < 2 {
			return http.StatusUnprocessableEntity, apiError("Reference name must start with 'refs/' and have at least two slashes.")
		}
		if _, ok := rp.commits[body.SHA]; !ok {
			return http.StatusUnprocessableEntity, apiError("Object does not exist")
		}
		if _, ok := rp.refs[body.Ref]; ok {
			return http.StatusUnprocessableEntity, apiError("Reference already exists")
		}
		rp.refs[body.Ref] = body.SHA
		return http.StatusCreated, s.refJSON(body.Ref, body.SHA)
	})
	s.handle(OpUpdateRef, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		name := "refs/" + strings.TrimPrefix(r.PathValue("ref"), "refs/")
		var body struct {
			SHA   string
			Force bool
		}
		if err := decodeBody(r, &body); err != "" {
			return http.StatusBadRequest, err
		}
		old, ok := rp.refs[name]
		if !ok {
			return http.StatusUnprocessableEntity, apiError("Reference does not exist")
		}
		if _, ok := rp.commits[body.SHA]; !ok {
			return http.StatusUnprocessableEntity, apiError("Object does not exist")
		}
		if !body.Force && !rp.isAncestor(old, body.SHA) {
			return http.StatusUnprocessableEntity, apiError("Update is not a fast forward")
		}
		rp.refs[name] = body.SHA
		return http.StatusOK, s.refJSON(name, body.SHA)
	})
	s.handle(OpDeleteRef, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		name := "refs/" + strings.TrimPrefix(r.PathValue("ref"), "refs/")
		if _, ok := rp.refs[name]; !ok {
			return http.StatusUnprocessableEntity, apiError("Reference does not exist")
		}
		delete(rp.refs, name)
		return http.StatusNoContent, nil
	})
	s.handle(OpGetTree, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		sha := r.PathValue("tree_sha")
		if _, ok := rp.trees[sha]; !ok {
			c, ok := rp.resolve(sha)
			if !ok {
				return http.StatusNotFound, apiError("Not Found")
			}
			sha = rp.commits[c].tree
		}
		type entry struct {
			Path string `json:"path"`
			Mode string `json:"mode"`
			Type string `json:"type"`
			SHA  string `json:"sha"`
			Size *int   `json:"size,omitempty"`
		}
		var list []entry
		var walk func(tree, prefix string, recursive bool, depth int)
		walk = func(tree, prefix string, recursive bool, depth int) {
			for _, name := range sortedKeys(rp.trees[tree]) {
				e := rp.trees[tree][name]
				ent := entry{Path: prefix + name, Mode: e.mode, Type: e.typ, SHA: e.sha}
				if e.typ == "blob" {
					n := len(rp.blobs[e.sha])
					ent.Size = &n
				}
				list = append(list, ent)
				if recursive && e.typ == "tree" && depth < 64 {
					walk(e.sha, prefix+name+"/", true, depth+1)
				}
			}
		}
		recursive := r.URL.Query().Get("recursive") != ""
		walk(sha, "", recursive, 0)
		truncated := false
		if recursive && len(list) > s.treeLimit {
			list, truncated = list[:s.treeLimit], true
		}
		if list == nil {
			list = []entry{}
		}
		return http.StatusOK, map[string]any{"sha": sha, "tree": list, "truncated": truncated}
	})
	s.handle(OpCreateTree, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		var body struct {
			BaseTree string `json:"base_tree"`
			Tree     []struct {
				Path    string          `json:"path"`
				Mode    string          `json:"mode"`
				Type    string          `json:"type"`
				SHA     json.RawMessage `json:"sha"`
				Content *string         `json:"content"`
			} `json:"tree"`
		}
		if err := decodeBody(r, &body); err != "" {
			return http.StatusBadRequest, err
		}
		files := map[string]string{}
		if body.BaseTree != "" {
			if _, ok := rp.trees[body.BaseTree]; !ok {
				return http.StatusUnprocessableEntity, apiError("base_tree is not a valid tree oid")
			}
			files = rp.flatten(body.BaseTree)
		}
		for _, e := range body.Tree {
			p := path.Clean(e.Path)
			if e.Path == "" || p != e.Path || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "..") {
				return http.StatusUnprocessableEntity, errorf("tree.path %q is invalid", e.Path)
			}
			var sha *string
			if len(e.SHA) > 0 && string(e.SHA) != "null" {
				var v string
				if json.Unmarshal(e.SHA, &v) != nil {
					return http.StatusUnprocessableEntity, apiError("tree.sha is not a string")
				}
				sha = &v
			}
			switch {
			case e.Content != nil:
				files[p] = rp.putBlob([]byte(*e.Content))
			case sha != nil && e.Type == "tree":
				if _, ok := rp.trees[*sha]; !ok {
					return http.StatusUnprocessableEntity, errorf("tree.sha %s is not a valid tree", *sha)
				}
				for sub, b := range rp.flatten(*sha) {
					files[p+"/"+sub] = b
				}
			case sha != nil:
				if _, ok := rp.blobs[*sha]; !ok {
					return http.StatusUnprocessableEntity, errorf("tree.sha %s is not a valid blob", *sha)
				}
				files[p] = *sha
			case string(e.SHA) == "null":
				delete(files, p)
				for f := range files {
					if strings.HasPrefix(f, p+"/") {
						delete(files, f)
					}
				}
			default:
				return http.StatusUnprocessableEntity, apiError("Must supply either tree.sha or tree.content")
			}
		}
		sha := rp.buildTree(files)
		return http.StatusCreated, map[string]any{"sha": sha, "truncated": false}
	})
	s.handle(OpGetCommit, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		sha := r.PathValue("commit_sha")
		c, ok := rp.commits[sha]
		if !ok {
			return http.StatusNotFound, apiError("Not Found")
		}
		return http.StatusOK, s.commitJSON(sha, c)
	})
	s.handle(OpCreateCommit, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		var body struct {
			Message string   `json:"message"`
			Tree    string   `json:"tree"`
			Parents []string `json:"parents"`
		}
		if err := decodeBody(r, &body); err != "" {
			return http.StatusBadRequest, err
		}
		if _, ok := rp.trees[body.Tree]; !ok {
			return http.StatusUnprocessableEntity, apiError("Tree SHA does not exist")
		}
		for _, p := range body.Parents {
			if _, ok := rp.commits[p]; !ok {
				return http.StatusUnprocessableEntity, apiError("Parent SHA does not exist or is not a commit object")
			}
		}
		sha := s.commit(rp, body.Tree, body.Parents, body.Message)
		return http.StatusCreated, s.commitJSON(sha, rp.commits[sha])
	})
	s.handle(OpGetBlob, func(_ http.ResponseWriter, r *http.Request, rp *repo) (int, any) {
		sha := r.PathValue("file_sha")
		data, ok := rp.blobs[sha]
		if !ok {
			return http.StatusNotFound, apiError("Not Found")
		}
		return http.StatusOK, map[string]any{
			"sha": sha, "size": len(data), "encoding": "base64",
			"content": base64.StdEncoding.EncodeToString(data),
		}
	})
}

// isAncestor reports whether commit a is b or an ancestor of b.
func (rp *repo) isAncestor(a, b string) bool {
	seen := map[string]bool{}
	queue := []string{b}
	for len(queue) > 0 && len(seen) < 1<<20 {
		c := queue[0]
		queue = queue[1:]
		if c == a {
			return true
		}
		if seen[c] || rp.commits[c] == nil {
			continue
		}
		seen[c] = true
		queue = append(queue, rp.commits[c].parents...)
	}
	return false
}
