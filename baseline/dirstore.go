package baseline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/perfgate/perfgate/internal/atomicfile"
)

// DirStore is a Store in a local directory (for actions/cache and other CI
// caches). Records live at <dir>/<key>; pins and exclusions in
// <dir>/index.json. Every file is written atomically (a temporary file in
// the same directory, fsync, rename), so a crash leaves either the old or
// the new file, never a torn one; leftover temporary files (".*.tmp-*") are
// ignored and removed by later prunes once they are an hour old. Index
// updates and pruning hold an advisory lock on <dir>/.lock, so several
// processes may share a directory.
type DirStore struct {
	dir  string
	keep int
	mu   sync.Mutex // serialises index updates and pruning within the process
}

// recordPerm is the mode of record and index files, readable like the
// store's directories (0755): records hold no secrets (error examples are
// redacted).
const recordPerm = 0o644

// writeFile replaces name with data atomically (atomicfile.WriteFile).
func writeFile(name string, data []byte) error {
	if err := atomicfile.WriteFile(name, data, recordPerm); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}

var _ Store = (*DirStore)(nil)

// staleTemp is the age after which a leftover temporary file is removed.
const staleTemp = time.Hour

// NewDirStore returns a store in dir, creating it if needed. keep is the
// number of unpinned records kept per (policy, scenario, kind, branch):
// 0 means DefaultKeep, a negative keep keeps every record, and calibration
// groups keep at least CalibrationRecords. Pinned records are never pruned.
func NewDirStore(dir string, keep int) (*DirStore, error) {
	if dir == "" {
		return nil, errors.New("baseline: directory store: empty path")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("baseline: directory store: %w", err)
	}
	return &DirStore{dir: dir, keep: keep}, nil
}

// Dir returns the store's directory.
func (s *DirStore) Dir() string { return s.dir }

func (s *DirStore) file(key string) string { return filepath.Join(s.dir, filepath.FromSlash(key)) }

// Save stores r atomically; see Store.
func (s *DirStore) Save(ctx context.Context, r *Record) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	data, key, err := encodeForStore(r)
	if err != nil {
		return "", err
	}
	name := s.file(key)
	if old, err := os.ReadFile(name); err != nil || !bytes.Equal(old, data) {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return "", fmt.Errorf("baseline: save %s: %w", name, err)
		}
		if err := writeFile(name, data); err != nil {
			return "", err
		}
	}
	if r.Pinned {
		if err := s.update(ctx, key, statePinned); err != nil {
			return key, err
		}
	}
	if err := s.prune(path.Dir(key)); err != nil {
		return key, fmt.Errorf("%w: %w", ErrPrune, err)
	}
	return key, nil
}

// List returns matching records; see Store and Query.
func (s *DirStore) List(ctx context.Context, q Query) ([]*Record, []error, error) {
	ix, err := s.readIndex()
	if err != nil {
		return nil, nil, err
	}
	keys, err := s.keys()
	if err != nil {
		return nil, nil, err
	}
	read := func(_ context.Context, key string) ([]byte, error) {
		data, err := os.ReadFile(s.file(key))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errGone // pruned since the directory was read
		}
		if err != nil {
			return nil, fmt.Errorf("baseline: read %s: %w", s.file(key), err)
		}
		return data, nil
	}
	return collect(ctx, q, ix, keys, s.file, read)
}

// keys returns the keys of every record file in the store.
func (s *DirStore) keys() ([]string, error) {
	var keys []string
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		rel, err := filepath.Rel(s.dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		depth := strings.Count(rel, "/")
		if d.IsDir() {
			if rel != "." && (depth >= 4 || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && isRecordPath(rel) {
			keys = append(keys, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("baseline: list %s: %w", s.dir, err)
	}
	return keys, nil
}

func (s *DirStore) readIndex() (*Index, error) {
	name := filepath.Join(s.dir, indexName)
	data, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("baseline: read %s: %w", name, err)
	}
	return decodeIndex(name, data)
}

// lock serialises index updates and pruning within and across processes.
func (s *DirStore) lock() (func(), error) {
	s.mu.Lock()
	unlock, err := lockFile(filepath.Join(s.dir, ".lock"))
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	return func() { unlock(); s.mu.Unlock() }, nil
}

// Pin marks the record key as pinned; see Store.
func (s *DirStore) Pin(ctx context.Context, key string) error {
	return s.update(ctx, key, statePinned)
}

// Unpin returns the record key to normal; see Store.
func (s *DirStore) Unpin(ctx context.Context, key string) error {
	return s.update(ctx, key, stateUnpinned)
}

// Exclude marks the record key as excluded; see Store.
func (s *DirStore) Exclude(ctx context.Context, key string) error {
	return s.update(ctx, key, stateExcluded)
}

// Include returns the excluded record key to normal; see Store.
func (s *DirStore) Include(ctx context.Context, key string) error {
	return s.update(ctx, key, stateIncluded)
}

func (s *DirStore) update(ctx context.Context, key string, op state) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if op == statePinned || op == stateExcluded {
		if _, err := os.Stat(s.file(key)); err != nil {
			return fmt.Errorf("baseline: %s %s: %w", op, s.file(key), ErrNotFound)
		}
	}
	ix, err := s.readIndex()
	if err != nil {
		return err
	}
	if !ix.apply(key, op) {
		return nil
	}
	return writeFile(filepath.Join(s.dir, indexName), ix.encode())
}

// prune removes the records of the group directory dir beyond keep, and
// stale temporary files.
func (s *DirStore) prune(dir string) error {
	full := s.file(dir)
	entries, err := os.ReadDir(full)
	if err != nil {
		return fmt.Errorf("baseline: prune %s: %w", full, err)
	}
	var keys []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
				os.Remove(filepath.Join(full, name))
			}
			continue
		}
		if e.Type().IsRegular() && isRecordPath(dir+"/"+name) {
			keys = append(keys, dir+"/"+name)
		}
	}
	keep := groupKeep(s.keep, dir)
	if keep < 0 || len(keys) <= keep {
		return nil
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	ix, err := s.readIndex()
	if err != nil {
		return err
	}
	for _, k := range prunable(keys, ix.Pinned, keep) {
		if err := os.Remove(s.file(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("baseline: prune %s: %w", s.file(k), err)
		}
	}
	return nil
}
