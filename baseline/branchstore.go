package baseline

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
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
// Conflicts are the only errors the store retries: rate limits and server
// errors are the client's transport's to retry (ghclient.RetryTransport,
// which Open installs), once per request. Retrying them here too would
// multiply the attempts (DefaultAttempts times the transport's), and only
// the store can re-read and re-apply after a conflict.
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
// branch): 0 (the default) means DefaultKeep, a negative n keeps every
// record, and calibration groups keep at least CalibrationRecords.
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
// included), its transport carries the token and should retry transient
// errors (ghclient.New builds such a client).
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

// errConflict marks an attempt that lost an optimistic-lock race: the file
// or the branch changed since it was read. retry runs the attempt again,
// which re-reads and re-applies.
type errConflict struct{ err error }

func (e *errConflict) Error() string { return e.err.Error() }

// retry runs f up to s.attempts times while it returns an *errConflict,
// with jittered exponential backoff between tries.
func (s *BranchStore) retry(ctx context.Context, what string, f func() error) error {
	var last error
	for attempt := range s.attempts {
		err := f()
		var c *errConflict
		if !errors.As(err, &c) {
			return err
		}
		last = c.err
		if attempt == s.attempts-1 {
			break
		}
		s.mu.Lock()
		wait := backoff(attempt, s.baseDelay, s.maxDelay, s.rnd.Float64())
		s.mu.Unlock()
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
	if err := s.createFile(ctx, key, data); err != nil {
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
