package baseline

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
)

// This file holds the BranchStore's use of the git API: the orphan branch
// is created with trees, commits and refs; listings walk trees and records
// are read as blobs, which are immutable and cached.

// ensureBranch creates the branch as an orphan when it is missing.
func (s *BranchStore) ensureBranch(ctx context.Context) error {
	s.mu.Lock()
	done := s.ensured
	s.mu.Unlock()
	if done {
		return nil
	}
	_, _, err := s.client.Git.GetRef(ctx, s.owner, s.repo, "heads/"+s.branch)
	switch {
	case err == nil:
	case status(err) == http.StatusNotFound:
		if err := s.createBranch(ctx); err != nil {
			return err
		}
	default:
		return fmt.Errorf("baseline: branch %s: %w", s.where(""), err)
	}
	s.mu.Lock()
	s.ensured = true
	s.mu.Unlock()
	return nil
}

func (s *BranchStore) createBranch(ctx context.Context) error {
	tree, _, err := s.client.Git.CreateTree(ctx, s.owner, s.repo, "", []*github.TreeEntry{{
		Path: github.String("README.md"), Mode: github.String("100644"),
		Type: github.String("blob"), Content: github.String(branchReadme),
	}})
	if err != nil {
		return fmt.Errorf("baseline: create branch %s: tree: %w", s.where(""), err)
	}
	commit, _, err := s.client.Git.CreateCommit(ctx, s.owner, s.repo, &github.Commit{
		Message: github.String("perfgate: create baseline branch"),
		Tree:    &github.Tree{SHA: tree.SHA},
	}, nil)
	if err != nil {
		return fmt.Errorf("baseline: create branch %s: commit: %w", s.where(""), err)
	}
	_, _, err = s.client.Git.CreateRef(ctx, s.owner, s.repo, &github.Reference{
		Ref: github.String("refs/heads/" + s.branch), Object: &github.GitObject{SHA: commit.SHA},
	})
	if err != nil && status(err) != http.StatusUnprocessableEntity { // 422: created concurrently
		return fmt.Errorf("baseline: create branch %s: ref: %w", s.where(""), err)
	}
	return nil
}

// snapshot is the listing of the branch at one commit.
type snapshot struct {
	files    map[string]string // record key -> blob SHA
	indexSHA string            // "" when there is no index
}

// list reads the record paths of the branch that q can match, with the git
// trees API: one recursive call, or a walk of the matching directories when
// GitHub truncates the recursive answer. ok is false if the branch is
// missing.
func (s *BranchStore) list(ctx context.Context, q Query) (snap snapshot, ok bool, err error) {
	snap.files = map[string]string{}
	tree, _, err := s.client.Git.GetTree(ctx, s.owner, s.repo, s.branch, true)
	if status(err) == http.StatusNotFound {
		return snap, false, nil
	}
	if err != nil {
		return snap, false, fmt.Errorf("baseline: list %s: %w", s.where(""), err)
	}
	if !tree.GetTruncated() {
		for _, e := range tree.Entries {
			p := e.GetPath()
			switch {
			case e.GetType() != "blob":
			case p == indexName:
				snap.indexSHA = e.GetSHA()
			case isRecordPath(p) && q.matchesDir(p):
				snap.files[p] = e.GetSHA()
			}
		}
		return snap, true, nil
	}
	return snap, true, s.walk(ctx, tree.GetSHA(), "", q, &snap)
}

// walk lists the tree sha at prefix (depth = number of path elements)
// without recursion, descending only into directories that q matches.
func (s *BranchStore) walk(ctx context.Context, sha, prefix string, q Query, snap *snapshot) error {
	depth := strings.Count(prefix, "/")
	tree, _, err := s.client.Git.GetTree(ctx, s.owner, s.repo, sha, false)
	if err != nil {
		return fmt.Errorf("baseline: list %s: %w", s.where(prefix), err)
	}
	if tree.GetTruncated() {
		return fmt.Errorf("baseline: list %s: GitHub truncated the tree of one directory", s.where(prefix))
	}
	want := []string{q.Policy, q.Scenario, q.Kind, q.Branch}
	for _, e := range tree.Entries {
		name := e.GetPath()
		switch {
		case depth == 0 && name == indexName && e.GetType() == "blob":
			snap.indexSHA = e.GetSHA()
		case depth < 4 && e.GetType() == "tree":
			if w := want[depth]; w != "" && sanitize(w) != name {
				continue
			}
			if err := s.walk(ctx, e.GetSHA(), prefix+name+"/", q, snap); err != nil {
				return err
			}
		case depth == 4 && e.GetType() == "blob" && isRecordPath(prefix+name):
			snap.files[prefix+name] = e.GetSHA()
		}
	}
	return nil
}

// blob returns the content of a blob, from the cache when possible.
func (s *BranchStore) blob(ctx context.Context, sha, p string) ([]byte, error) {
	s.mu.Lock()
	data, ok := s.blobs[sha]
	s.mu.Unlock()
	if ok {
		return data, nil
	}
	b, _, err := s.client.Git.GetBlob(ctx, s.owner, s.repo, sha)
	if status(err) == http.StatusNotFound {
		return nil, errGone
	}
	if err != nil {
		return nil, fmt.Errorf("baseline: read %s: %w", s.where(p), err)
	}
	if b.GetEncoding() != "base64" {
		return nil, fmt.Errorf("baseline: read %s: blob encoding %q", s.where(p), b.GetEncoding())
	}
	data, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(b.GetContent(), "\n", ""))
	if err != nil {
		return nil, fmt.Errorf("baseline: read %s: blob content: %w", s.where(p), err)
	}
	s.mu.Lock()
	if s.blobBytes+len(data) <= blobCacheMax {
		s.blobs[sha] = data
		s.blobBytes += len(data)
	}
	s.mu.Unlock()
	return data, nil
}
