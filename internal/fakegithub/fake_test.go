package fakegithub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

func newRepo(t *testing.T) (*Server, *github.Client) {
	t.Helper()
	s := New()
	c := s.Client(t)
	if err := s.CreateRepo("o", "r", "main"); err != nil {
		t.Fatal(err)
	}
	return s, c
}

func statusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		return er.Response.StatusCode
	}
	return 0
}

func TestGitHashes(t *testing.T) {
	// Known values from `git hash-object` and git's empty tree.
	if got := BlobSHA([]byte("hello\n")); got != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Errorf("BlobSHA = %s", got)
	}
	o := newObjects()
	if got := o.buildTree(map[string]string{}); got != "4b825dc642cb6eb9a060e54bf8d69288fbee4904" {
		t.Errorf("empty tree = %s", got)
	}
	// `git write-tree` of a/b = "hello\n" and c = "x".
	root := o.buildTree(map[string]string{"a/b": BlobSHA([]byte("hello\n")), "c": BlobSHA([]byte("x"))})
	if root != "31bd878b1704b911725435a0120cebe7b4a75a49" {
		t.Errorf("tree {a/b, c} = %s", root)
	}
}

func TestContentsLocking(t *testing.T) {
	s, c := newRepo(t)
	ctx := context.Background()
	put := func(p string, sha *string, content string) (*github.RepositoryContentResponse, error) {
		r, _, err := c.Repositories.CreateFile(ctx, "o", "r", p, &github.RepositoryContentFileOptions{
			Message: github.String("m"), Content: []byte(content), SHA: sha, Branch: github.String("main"),
		})
		return r, err
	}
	r1, err := put("d/f.txt", nil, "one")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r1.Content.GetSHA(), BlobSHA([]byte("one")); got != want {
		t.Errorf("created sha %s, want %s", got, want)
	}
	if _, err := put("d/f.txt", nil, "two"); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("create over existing file without sha: %v, want 422", err)
	} else if !strings.Contains(err.Error(), `"sha" wasn't supplied`) {
		t.Errorf("422 message: %v", err)
	}
	stale := "0000000000000000000000000000000000000000"
	if _, err := put("d/f.txt", &stale, "two"); statusOf(err) != http.StatusConflict {
		t.Errorf("update with stale sha: %v, want 409", err)
	}
	r2, err := put("d/f.txt", r1.Content.SHA, "two")
	if err != nil {
		t.Fatalf("update with current sha: %v", err)
	}
	if _, err := put("d/f.txt", r1.Content.SHA, "three"); statusOf(err) != http.StatusConflict {
		t.Errorf("second update with the old sha: %v, want 409", err)
	}
	if got, _ := s.File("o", "r", "main", "d/f.txt"); string(got) != "two" {
		t.Errorf("file = %q, want two", got)
	}
	fc, dir, _, err := c.Repositories.GetContents(ctx, "o", "r", "d/f.txt", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil || fc == nil || dir != nil {
		t.Fatalf("get file: %v %v %v", fc, dir, err)
	}
	if text, _ := fc.GetContent(); text != "two" || fc.GetSHA() != r2.Content.GetSHA() {
		t.Errorf("get file = %q sha %s", text, fc.GetSHA())
	}
	_, dir, _, err = c.Repositories.GetContents(ctx, "o", "r", "d", nil)
	if err != nil || len(dir) != 1 || dir[0].GetName() != "f.txt" {
		t.Errorf("list dir: %v %v", dir, err)
	}
	del := func(sha *string) error {
		_, _, err := c.Repositories.DeleteFile(ctx, "o", "r", "d/f.txt", &github.RepositoryContentFileOptions{
			Message: github.String("m"), SHA: sha, Branch: github.String("main"),
		})
		return err
	}
	if err := del(nil); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("delete without sha: %v, want 422", err)
	}
	if err := del(r1.Content.SHA); statusOf(err) != http.StatusConflict {
		t.Errorf("delete with stale sha: %v, want 409", err)
	}
	if err := del(r2.Content.SHA); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := del(r2.Content.SHA); statusOf(err) != http.StatusNotFound {
		t.Errorf("delete again: %v, want 404", err)
	}
	if _, _, _, err := c.Repositories.GetContents(ctx, "o", "r", "d/f.txt", nil); statusOf(err) != http.StatusNotFound {
		t.Errorf("get deleted: %v, want 404", err)
	}
	if got := s.Statuses(OpPutContents); got[201] != 1 || got[200] != 1 || got[409] != 2 || got[422] != 1 {
		t.Errorf("PUT statuses = %v", got)
	}
	if got := s.Calls(OpDeleteContents); got != 4 {
		t.Errorf("DELETE calls = %d, want 4", got)
	}
}

func TestReadOnlyAndFailures(t *testing.T) {
	s, c := newRepo(t)
	ctx := context.Background()
	s.SetReadOnly(true)
	_, _, err := c.Repositories.CreateFile(ctx, "o", "r", "x", &github.RepositoryContentFileOptions{
		Message: github.String("m"), Content: []byte("x"),
	})
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusForbidden ||
		er.Message != "Resource not accessible by integration" {
		t.Errorf("read-only write: %v", err)
	}
	if _, _, err := c.Repositories.Get(ctx, "o", "r"); err != nil {
		t.Errorf("read-only read: %v", err)
	}
	s.SetReadOnly(false)
	s.FailNext(OpGetRepo, http.StatusBadGateway, 2)
	for i, want := range []int{502, 502, 0} {
		if _, _, err := c.Repositories.Get(ctx, "o", "r"); statusOf(err) != want {
			t.Errorf("call %d: %v, want status %d", i, err, want)
		}
	}
	if got := s.Calls(OpGetRepo); got != 4 {
		t.Errorf("GET repo calls = %d, want 4", got)
	}
	if _, _, err := c.Repositories.Get(ctx, "o", "missing"); statusOf(err) != http.StatusNotFound {
		t.Errorf("missing repo: %v", err)
	}
}

func TestRequireToken(t *testing.T) {
	s := New()
	s.RequireToken("tok")
	c := s.Client(t)
	if err := s.CreateRepo("o", "r", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Repositories.Get(context.Background(), "o", "r"); err != nil {
		t.Errorf("with token: %v", err)
	}
	anon := github.NewClient(nil)
	anon.BaseURL = c.BaseURL
	if _, _, err := anon.Repositories.Get(context.Background(), "o", "r"); statusOf(err) != http.StatusUnauthorized {
		t.Errorf("without token: %v, want 401", err)
	}
}

func TestBranchPagination(t *testing.T) {
	s, c := newRepo(t)
	ctx := context.Background()
	head, _ := s.Head("o", "r", "main")
	for i := range 249 {
		_, _, err := c.Git.CreateRef(ctx, "o", "r", &github.Reference{
			Ref: github.String(fmt.Sprintf("refs/heads/b%03d", i)), Object: &github.GitObject{SHA: &head},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	opts := &github.BranchListOptions{ListOptions: github.ListOptions{PerPage: 100}}
	var names []string
	pages := 0
	for range 10 {
		bs, resp, err := c.Repositories.ListBranches(ctx, "o", "r", opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, b := range bs {
			names = append(names, b.GetName())
		}
		if pages == 1 && (resp.LastPage != 3 || resp.NextPage != 2) {
			t.Errorf("first page: next %d last %d, want 2 and 3", resp.NextPage, resp.LastPage)
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if pages != 3 || len(names) != 250 || names[0] != "b000" || names[249] != "main" {
		t.Errorf("pages %d, %d branches, first %q last %q", pages, len(names), names[0], names[len(names)-1])
	}
	// The default page size is 30.
	bs, _, err := c.Repositories.ListBranches(ctx, "o", "r", nil)
	if err != nil || len(bs) != 30 {
		t.Errorf("default page: %d branches, %v", len(bs), err)
	}
}

func TestGitObjectsAndTrees(t *testing.T) {
	s, c := newRepo(t)
	ctx := context.Background()
	tree, _, err := c.Git.CreateTree(ctx, "o", "r", "", []*github.TreeEntry{
		{Path: github.String("a/b"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("hello\n")},
		{Path: github.String("c"), Mode: github.String("100644"), Type: github.String("blob"), Content: github.String("x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	commit, _, err := c.Git.CreateCommit(ctx, "o", "r", &github.Commit{Message: github.String("orphan"), Tree: tree}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Git.CreateRef(ctx, "o", "r", &github.Reference{Ref: github.String("refs/heads/side"), Object: &github.GitObject{SHA: commit.SHA}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Git.CreateRef(ctx, "o", "r", &github.Reference{Ref: github.String("refs/heads/side"), Object: &github.GitObject{SHA: commit.SHA}}); statusOf(err) != 422 {
		t.Errorf("duplicate ref: %v, want 422", err)
	}
	if parents, ok := s.Parents("o", "r", commit.GetSHA()); !ok || len(parents) != 0 {
		t.Errorf("orphan commit parents %v", parents)
	}
	ref, _, err := c.Git.GetRef(ctx, "o", "r", "heads/side")
	if err != nil || ref.Object.GetSHA() != commit.GetSHA() {
		t.Errorf("get ref: %v %v", ref, err)
	}
	if _, _, err := c.Git.GetRef(ctx, "o", "r", "heads/nope"); statusOf(err) != 404 {
		t.Errorf("missing ref: %v", err)
	}
	main, _ := s.Head("o", "r", "main")
	if _, _, err := c.Git.UpdateRef(ctx, "o", "r", &github.Reference{Ref: github.String("heads/side"), Object: &github.GitObject{SHA: &main}}, false); statusOf(err) != 422 {
		t.Errorf("non fast-forward update: %v, want 422", err)
	}
	full, _, err := c.Git.GetTree(ctx, "o", "r", "side", true)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range full.Entries {
		paths = append(paths, e.GetPath()+":"+e.GetType())
	}
	if got := strings.Join(paths, " "); got != "a:tree a/b:blob c:blob" || full.GetTruncated() {
		t.Errorf("recursive tree = %s (truncated %v)", got, full.GetTruncated())
	}
	s.SetTreeLimit(2)
	cut, _, err := c.Git.GetTree(ctx, "o", "r", "side", true)
	if err != nil || !cut.GetTruncated() || len(cut.Entries) != 2 {
		t.Errorf("truncated tree: %d entries, truncated %v, %v", len(cut.Entries), cut.GetTruncated(), err)
	}
	top, _, err := c.Git.GetTree(ctx, "o", "r", full.GetSHA(), false)
	if err != nil || len(top.Entries) != 2 || top.Entries[0].GetType() != "tree" {
		t.Errorf("top tree: %v %v", top, err)
	}
	blob, _, err := c.Git.GetBlob(ctx, "o", "r", BlobSHA([]byte("hello\n")))
	if err != nil || blob.GetEncoding() != "base64" || blob.GetSize() != 6 {
		t.Errorf("blob: %v %v", blob, err)
	}
	if b, ok := s.File("o", "r", "side", "a/b"); !ok || string(b) != "hello\n" {
		t.Errorf("File = %q %v", b, ok)
	}
	if got := s.Paths("o", "r", "main"); len(got) != 1 || got[0] != "README.md" {
		t.Errorf("main paths = %v", got)
	}
}
