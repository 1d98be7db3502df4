package baseline

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"
)

// DefaultBranch is the branch BranchStore uses when none is given.
const DefaultBranch = "perfgate-baselines"

// Defaults of the BranchStore options.
const (
	DefaultAttempts  = 12                    // tries of one write before giving up
	DefaultBaseDelay = 50 * time.Millisecond // first backoff after a conflict
	DefaultMaxDelay  = 2 * time.Second       // longest backoff
	maxRetryAfter    = 60 * time.Second      // longest Retry-After honoured
	blobCacheMax     = 64 << 20              // bytes of blobs kept by one store
	branchReadme     = "# perfgate baselines\n\nStored perfgate records, one JSON file per record, and index.json\n(pinned and excluded records). Written by perfgate; do not edit by hand.\n"
)

// BranchStore is a Store in a branch of a GitHub repository, reached
// through the REST API (contents, git trees and blobs) of go-github v62.
//
// Records are files at their keys; pins and exclusions are index.json at
// the root. Every write is a commit. A record is created without a SHA, so
// it never overwrites another; index.json is updated with its blob SHA as an
// optimistic lock, and a conflict (409, or 422 when another writer created
// the file first) re-reads it and retries with jittered exponential
// backoff, so concurrent updates all land. Writes that fail because the
// branch moved meanwhile (409) are retried the same way.
//
// A missing branch is created by the first write as an orphan branch whose
// first commit holds only a README (git trees, commits and refs API): the
// branch shares no history with the code, so pushes to it never carry
// workflows. List on a missing branch returns no records and writes
// nothing, so it works with a read-only token. A repository with no
// commits at all is not supported by the git API (409) and gives an error.
type BranchStore struct {
	client              *github.Client
	owner, repo, branch string

	keep      int
	attempts  int
	baseDelay time.Duration
	maxDelay  time.Duration

	mu        sync.Mutex // guards the fields below
	rnd       *rand.Rand
	ensured   bool
	blobs     map[string][]byte // blob SHA -> content; blobs are immutable
	blobBytes int
}

var _ Store = (*BranchStore)(nil)

// BranchOption configures a BranchStore.
type BranchOption func(*BranchStore)

// WithKeep keeps the newest n unpinned records per (policy, scenario, kind,
// branch); n <= 0 (the default) keeps every record.
func WithKeep(n int) BranchOption { return func(s *BranchStore) { s.keep = n } }

// WithRetry sets how many times a conflicting write is tried
// (DefaultAttempts) and the backoff between tries, which doubles from base
// up to max with jitter (DefaultBaseDelay, DefaultMaxDelay).
func WithRetry(attempts int, base, max time.Duration) BranchOption {
	return func(s *BranchStore) {
		if attempts > 0 {
			s.attempts = attempts
		}
		if base > 0 {
			s.baseDelay = base
		}
		if max > 0 {
			s.maxDelay = max
		}
	}
}

// WithSeed seeds the backoff jitter (default 1).
func WithSeed(seed uint64) BranchOption {
	return func(s *BranchStore) { s.rnd = rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }
}

// NewBranchStore returns a store in branch (DefaultBranch if empty) of
// owner/repo. The client's BaseURL selects the API (GitHub Enterprise
// included) and its transport carries the token.
func NewBranchStore(client *github.Client, owner, repo, branch string, opts ...BranchOption) (*BranchStore, error) {
	if client == nil {
		return nil, errors.New("baseline: branch store: nil GitHub client")
	}
	if owner == "" || repo == "" || strings.Contains(owner+repo, "/") {
		return nil, fmt.Errorf("baseline: branch store: invalid repository %q/%q", owner, repo)
	}
	if branch == "" {
		branch = DefaultBranch
	}
	s := &BranchStore{
		client: client, owner: owner, repo: repo, branch: branch,
		attempts: DefaultAttempts, baseDelay: DefaultBaseDelay, maxDelay: DefaultMaxDelay,
		blobs: map[string][]byte{},
	}
	WithSeed(1)(s)
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Branch returns the branch the store writes to.
func (s *BranchStore) Branch() string { return s.branch }

// where names a path in the branch for errors: "owner/repo@branch:path".
func (s *BranchStore) where(p string) string {
	return s.owner + "/" + s.repo + "@" + s.branch + ":" + p
}

// status returns the HTTP status of a go-github error, or 0.
func status(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// errRetry marks an attempt that should be retried after a backoff.
type errRetry struct {
	err  error
	wait time.Duration // a server-requested wait (Retry-After), or 0
}

func (e *errRetry) Error() string { return e.err.Error() }

// transient classifies errors worth retrying: server errors and secondary
// rate limits. Conflicts are classified by each caller.
func transient(err error) *errRetry {
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		w := time.Second
		if abuse.RetryAfter != nil {
			w = min(*abuse.RetryAfter, maxRetryAfter)
		}
		return &errRetry{err: err, wait: w}
	}
	switch status(err) {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return &errRetry{err: err}
	}
	return nil
}

// retry runs f up to s.attempts times while it returns an *errRetry.
func (s *BranchStore) retry(ctx context.Context, what string, f func() error) error {
	var last error
	for attempt := range s.attempts {
		err := f()
		var r *errRetry
		if !errors.As(err, &r) {
			return err
		}
		last = r.err
		if attempt == s.attempts-1 {
			break
		}
		wait := r.wait
		if wait == 0 {
			s.mu.Lock()
			wait = backoff(attempt, s.baseDelay, s.maxDelay, s.rnd.Float64())
			s.mu.Unlock()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("baseline: %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
	return fmt.Errorf("baseline: %s: gave up after %d attempts: %w", what, s.attempts, last)
}

// gitBlobSHA is git's hash of a blob, the SHA the contents API reports.
func gitBlobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

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

// Save stores r as a new file in the branch; see Store. If pruning fails
// after the record is stored, the error wraps ErrPrune.
func (s *BranchStore) Save(ctx context.Context, r *Record) (string, error) {
	data, key, err := encodeForStore(r)
	if err != nil {
		return "", err
	}
	if err := s.ensureBranch(ctx); err != nil {
		return "", err
	}
	want := gitBlobSHA(data)
	var sha *string // set when a different file already holds the key
	err = s.retry(ctx, "save "+s.where(key), func() error {
		_, _, err := s.client.Repositories.CreateFile(ctx, s.owner, s.repo, key, &github.RepositoryContentFileOptions{
			Message: github.String("perfgate: save " + key),
			Content: data,
			SHA:     sha,
			Branch:  github.String(s.branch),
		})
		switch {
		case err == nil:
			return nil
		case status(err) == http.StatusConflict:
			return &errRetry{err: err}
		case status(err) == http.StatusUnprocessableEntity && sha == nil:
			// The key exists: the same record (done) or a damaged file (replace it).
			cur, err2 := s.fileSHA(ctx, key)
			if err2 != nil {
				return err2
			}
			if cur == want {
				return nil
			}
			sha = &cur
			return &errRetry{err: err}
		}
		if t := transient(err); t != nil {
			return t
		}
		return fmt.Errorf("baseline: save %s: %w", s.where(key), err)
	})
	if err != nil {
		return "", err
	}
	if r.Pinned {
		if err := s.update(ctx, key, statePinned); err != nil {
			return key, err
		}
	}
	if err := s.prune(ctx, path.Dir(key)); err != nil {
		return key, fmt.Errorf("%w: %w", ErrPrune, err)
	}
	return key, nil
}

// fileSHA returns the blob SHA of the file at p in the branch.
func (s *BranchStore) fileSHA(ctx context.Context, p string) (string, error) {
	fc, _, _, err := s.client.Repositories.GetContents(ctx, s.owner, s.repo, p,
		&github.RepositoryContentGetOptions{Ref: s.branch})
	if err != nil {
		return "", fmt.Errorf("baseline: read %s: %w", s.where(p), err)
	}
	if fc == nil {
		return "", fmt.Errorf("baseline: read %s: a directory, not a file", s.where(p))
	}
	return fc.GetSHA(), nil
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

func (s *BranchStore) readIndexBlob(ctx context.Context, sha string) (*Index, error) {
	if sha == "" {
		return decodeIndex(s.where(indexName), nil)
	}
	data, err := s.blob(ctx, sha, indexName)
	if errors.Is(err, errGone) {
		data, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeIndex(s.where(indexName), data)
}

// List returns matching records; see Store and Query. A missing branch
// holds no records.
func (s *BranchStore) List(ctx context.Context, q Query) ([]*Record, []error, error) {
	snap, ok, err := s.list(ctx, q)
	if err != nil || !ok {
		return nil, nil, err
	}
	ix, err := s.readIndexBlob(ctx, snap.indexSHA)
	if err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(snap.files))
	for k := range snap.files {
		keys = append(keys, k)
	}
	read := func(ctx context.Context, key string) ([]byte, error) {
		return s.blob(ctx, snap.files[key], key)
	}
	return collect(ctx, q, ix, keys, s.where, read)
}

// Pin marks the record key as pinned; see Store.
func (s *BranchStore) Pin(ctx context.Context, key string) error {
	return s.update(ctx, key, statePinned)
}

// Unpin returns the record key to normal; see Store.
func (s *BranchStore) Unpin(ctx context.Context, key string) error {
	return s.update(ctx, key, stateUnpinned)
}

// Exclude marks the record key as excluded; see Store.
func (s *BranchStore) Exclude(ctx context.Context, key string) error {
	return s.update(ctx, key, stateExcluded)
}

// Include returns the excluded record key to normal; see Store.
func (s *BranchStore) Include(ctx context.Context, key string) error {
	return s.update(ctx, key, stateIncluded)
}

// readIndex reads index.json from the head of the branch with its blob SHA
// ("" when it does not exist).
func (s *BranchStore) readIndex(ctx context.Context) (*Index, string, error) {
	fc, _, _, err := s.client.Repositories.GetContents(ctx, s.owner, s.repo, indexName,
		&github.RepositoryContentGetOptions{Ref: s.branch})
	if status(err) == http.StatusNotFound {
		ix, err := decodeIndex(s.where(indexName), nil)
		return ix, "", err
	}
	if err != nil {
		return nil, "", fmt.Errorf("baseline: read %s: %w", s.where(indexName), err)
	}
	if fc == nil {
		return nil, "", fmt.Errorf("baseline: read %s: a directory, not a file", s.where(indexName))
	}
	text, err := fc.GetContent()
	if err != nil {
		return nil, "", fmt.Errorf("baseline: read %s: %w", s.where(indexName), err)
	}
	ix, err := decodeIndex(s.where(indexName), []byte(text))
	return ix, fc.GetSHA(), err
}

// update changes the state of key in index.json, with the index's blob SHA
// as an optimistic lock.
func (s *BranchStore) update(ctx context.Context, key string, op state) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if op == statePinned || op == stateExcluded {
		if _, err := s.fileSHA(ctx, key); err != nil {
			if status(err) == http.StatusNotFound {
				return fmt.Errorf("baseline: %s %s: %w", op, s.where(key), ErrNotFound)
			}
			return err
		}
		if err := s.ensureBranch(ctx); err != nil {
			return err
		}
	}
	return s.retry(ctx, op.String()+" "+s.where(key), func() error {
		ix, sha, err := s.readIndex(ctx)
		if err != nil {
			if t := transient(err); t != nil {
				return t
			}
			return err
		}
		if !ix.apply(key, op) {
			return nil
		}
		opts := &github.RepositoryContentFileOptions{
			Message: github.String("perfgate: " + op.String() + " " + key),
			Content: ix.encode(),
			Branch:  github.String(s.branch),
		}
		if sha != "" {
			opts.SHA = github.String(sha)
		}
		_, _, err = s.client.Repositories.UpdateFile(ctx, s.owner, s.repo, indexName, opts)
		switch status(err) {
		case 0:
			if err == nil {
				return nil
			}
		case http.StatusConflict, http.StatusUnprocessableEntity:
			return &errRetry{err: err} // the index changed since it was read
		}
		if t := transient(err); t != nil {
			return t
		}
		return fmt.Errorf("baseline: write %s: %w", s.where(indexName), err)
	})
}

// prune deletes the records of the group directory dir beyond keep.
func (s *BranchStore) prune(ctx context.Context, dir string) error {
	if s.keep <= 0 {
		return nil
	}
	parts := strings.Split(dir, "/")
	q := Query{Policy: parts[0], Scenario: parts[1], Kind: parts[2], Branch: parts[3]}
	snap, _, err := s.list(ctx, q)
	if err != nil {
		return err
	}
	var keys []string
	for k := range snap.files {
		if path.Dir(k) == dir {
			keys = append(keys, k)
		}
	}
	if len(keys) <= s.keep {
		return nil
	}
	ix, _, err := s.readIndex(ctx)
	if err != nil {
		return err
	}
	for _, k := range prunable(keys, ix.Pinned, s.keep) {
		sha := snap.files[k]
		err := s.retry(ctx, "prune "+s.where(k), func() error {
			_, _, err := s.client.Repositories.DeleteFile(ctx, s.owner, s.repo, k, &github.RepositoryContentFileOptions{
				Message: github.String("perfgate: prune " + k),
				SHA:     github.String(sha),
				Branch:  github.String(s.branch),
			})
			switch status(err) {
			case 0:
				if err == nil {
					return nil
				}
			case http.StatusNotFound:
				return nil // pruned by a concurrent writer
			case http.StatusConflict:
				return &errRetry{err: err}
			}
			if t := transient(err); t != nil {
				return t
			}
			return fmt.Errorf("baseline: prune %s: %w", s.where(k), err)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
