package baseline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Store keeps records between runs. DirStore and BranchStore implement it.
//
// Records are addressed by key, a slash-separated relative path derived from
// the record (see Key). Every record has one of three states: normal,
// pinned (kept by pruning and preferred by List) or excluded (never returned
// by List); Pin and Exclude switch between them, Unpin and Include return a
// record to normal.
type Store interface {
	// Save stores r and returns its key. Saving a record that is already
	// stored is a no-op that returns the same key. A record with Pinned set
	// is pinned after it is saved. Save then prunes the record's group down
	// to the store's keep limit (see DefaultKeep); if only that fails, the
	// error wraps ErrPrune and the key is returned.
	Save(ctx context.Context, r *Record) (key string, err error)
	// List returns the records that match q. Records that cannot be decoded
	// are skipped and reported in skipped, each error naming the file; err
	// is reserved for failures of the store itself. See Query for the order.
	List(ctx context.Context, q Query) (recs []*Record, skipped []error, err error)
	// Pin marks a stored record as pinned (and not excluded).
	Pin(ctx context.Context, key string) error
	// Unpin returns a pinned record to normal; a key that is not pinned
	// (stored or not) is left as it is.
	Unpin(ctx context.Context, key string) error
	// Exclude marks a stored record as excluded (and not pinned).
	Exclude(ctx context.Context, key string) error
	// Include returns an excluded record to normal; a key that is not
	// excluded (stored or not) is left as it is.
	Include(ctx context.Context, key string) error
}

// Query selects records. Empty string fields match every value.
//
// List returns the matching records that are not excluded, pinned records
// first and then the others, each part newest first (by Record.Time). Limit,
// when positive, caps the total count: pinned records take the first slots,
// so they are always included and preferred over newer unpinned records
// unless more than Limit records are pinned, in which case the newest Limit
// pinned records are returned. Returned records have Pinned set from the
// store's index and Key set to their key.
//
// With Excluded set, List returns the excluded records instead, newest
// first: what "perfgate baseline list" shows after the others. The gate
// never sets it.
type Query struct {
	Policy   string
	Scenario string
	Kind     string // KindRun, KindCalibration or "" for both
	Branch   string
	Limit    int
	Excluded bool
}

// errGone is returned by a read function of collect for a record deleted
// since the listing; the record is skipped silently.
var errGone = errors.New("record gone")

// ErrPrune is wrapped by the error of Save when the record was stored but
// removing old records failed.
var ErrPrune = errors.New("record saved, but pruning old records failed")

// ErrNotFound is wrapped by Pin and Exclude when no record has the key.
var ErrNotFound = errors.New("no such record")

// ErrMalformedKey is wrapped by Pin, Unpin, Exclude and Include when the
// key could not have come from Key.
var ErrMalformedKey = errors.New("baseline: malformed key")

// Key returns the key r is stored under:
//
//	<policy>/<scenario>/<kind>/<branch>/<UTC time>-<commit[:12]>-<hash>.json
//
// Each name is sanitised to [A-Za-z0-9._-] (others become "_", a leading dot
// becomes "_", an empty name becomes "_"), the time has fixed width so keys of
// a group sort by time, and hash is the first 8 hex digits of the SHA-256 of
// the encoded record, so distinct records never share a key and saving the
// same record twice yields the same key. The record's Pinned field does not
// enter the key.
func Key(r *Record) (string, error) {
	_, key, err := encodeForStore(r)
	return key, err
}

// timeLayout has a fixed width so that names sort in time order.
const timeLayout = "20060102T150405.000000000Z"

// encodeForStore returns the bytes stored for r (with Pinned cleared, since
// pins live in the index) and its key.
func encodeForStore(r *Record) ([]byte, string, error) {
	if r == nil {
		return nil, "", errors.New("baseline: nil record")
	}
	c := *r
	c.Pinned = false
	c.Key = ""
	data, err := Encode(&c)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)
	commit := sanitize(r.Commit)
	if r.Commit == "" {
		commit = "nocommit"
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	name := fmt.Sprintf("%s-%s-%s.json", r.Time.UTC().Format(timeLayout), commit, hex.EncodeToString(sum[:4]))
	return data, path.Join(groupDir(r.Policy, r.Scenario, r.Kind, r.Branch), name), nil
}

// groupDir is the directory of a (policy, scenario, kind, branch) group.
func groupDir(policy, scenario, kind, branch string) string {
	return path.Join(sanitize(policy), sanitize(scenario), sanitize(kind), sanitize(branch))
}

// maxNameLen bounds one sanitised path element.
const maxNameLen = 100

// sanitize maps a name onto a safe path element.
func sanitize(s string) string {
	var b strings.Builder
	for i, c := range s {
		if b.Len() >= maxNameLen {
			break
		}
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		case c == '.' && i > 0:
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// checkKey rejects keys that could not have come from Key.
func checkKey(key string) error {
	parts := strings.Split(key, "/")
	ok := len(parts) == 5 && strings.HasSuffix(key, ".json")
	for _, p := range parts {
		ok = ok && p != "" && sanitize(p) == p
	}
	if !ok {
		return fmt.Errorf("%w %q (want policy/scenario/kind/branch/name.json, as Key returns)", ErrMalformedKey, key)
	}
	return nil
}

// isRecordPath reports whether a store-relative path has the shape of a key.
func isRecordPath(p string) bool {
	return strings.Count(p, "/") == 4 && strings.HasSuffix(p, ".json") && !strings.HasPrefix(path.Base(p), ".")
}

// matchesDir reports whether key lies in a directory the query can match.
func (q Query) matchesDir(key string) bool {
	parts := strings.Split(key, "/")
	if len(parts) != 5 {
		return false
	}
	want := []string{q.Policy, q.Scenario, q.Kind, q.Branch}
	for i, w := range want {
		if w != "" && parts[i] != sanitize(w) {
			return false
		}
	}
	return true
}

// matches reports whether a decoded record satisfies the query exactly
// (sanitised directory names can collide).
func (q Query) matches(r *Record) bool {
	return (q.Policy == "" || q.Policy == r.Policy) &&
		(q.Scenario == "" || q.Scenario == r.Scenario) &&
		(q.Kind == "" || q.Kind == r.Kind) &&
		(q.Branch == "" || q.Branch == r.Branch)
}

// Index is the stored state of pins and exclusions: the file "index.json"
// at the root of a store.
type Index struct {
	Schema   string   `json:"schema"`
	Pinned   []string `json:"pinned"`
	Excluded []string `json:"excluded"`
}

// IndexSchema is the value of Index.Schema written by this version.
const IndexSchema = "perfgate/index/v1"

// indexName is the file name of the index at the root of a store.
const indexName = "index.json"

func decodeIndex(name string, data []byte) (*Index, error) {
	ix := &Index{Schema: IndexSchema}
	if len(bytes.TrimSpace(data)) == 0 {
		return ix, nil
	}
	if err := json.Unmarshal(data, ix); err != nil {
		return nil, jsonError(name, data, err)
	}
	if ix.Schema != IndexSchema {
		return nil, &DecodeError{File: name, Err: fmt.Errorf("index schema %q; this version reads %s", ix.Schema, IndexSchema)}
	}
	return ix, nil
}

func (ix *Index) encode() []byte {
	c := Index{Schema: IndexSchema, Pinned: sortedSet(ix.Pinned), Excluded: sortedSet(ix.Excluded)}
	data, _ := json.MarshalIndent(&c, "", "  ") // strings only: cannot fail
	return append(data, '\n')
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// state is what an index operation does to a key.
type state int

const (
	statePinned state = iota + 1
	stateUnpinned
	stateExcluded
	stateIncluded
)

// apply changes the state of key and reports whether anything changed.
func (ix *Index) apply(key string, op state) bool {
	pinned, excluded := slices.Contains(ix.Pinned, key), slices.Contains(ix.Excluded, key)
	del := func(s []string) []string { return slices.DeleteFunc(s, func(k string) bool { return k == key }) }
	switch op {
	case statePinned:
		if pinned && !excluded {
			return false
		}
		ix.Excluded = del(ix.Excluded)
		if !pinned {
			ix.Pinned = append(ix.Pinned, key)
		}
	case stateExcluded:
		if excluded && !pinned {
			return false
		}
		ix.Pinned = del(ix.Pinned)
		if !excluded {
			ix.Excluded = append(ix.Excluded, key)
		}
	case stateUnpinned:
		if !pinned {
			return false
		}
		ix.Pinned = del(ix.Pinned)
	case stateIncluded:
		if !excluded {
			return false
		}
		ix.Excluded = del(ix.Excluded)
	}
	return true
}

func (s state) String() string {
	switch s {
	case statePinned:
		return "pin"
	case stateUnpinned:
		return "unpin"
	case stateExcluded:
		return "exclude"
	}
	return "include"
}

// order returns the candidate keys in List order: excluded keys dropped
// (or only they kept, with excluded set), pinned keys first, each part
// newest first (keys of one group sort by time; across groups the order is
// refined after decoding).
func (ix *Index) order(keys []string, excluded bool) []string {
	var pinned, rest []string
	for _, k := range keys {
		switch {
		case slices.Contains(ix.Excluded, k) != excluded:
		case slices.Contains(ix.Pinned, k):
			pinned = append(pinned, k)
		default:
			rest = append(rest, k)
		}
	}
	byNameDesc := func(a, b string) int { return strings.Compare(path.Base(b), path.Base(a)) }
	slices.SortStableFunc(pinned, byNameDesc)
	slices.SortStableFunc(rest, byNameDesc)
	return append(pinned, rest...)
}

// collect decodes candidates in List order until limit records match.
// read returns the bytes of a key. Decode failures go to skipped.
func collect(ctx context.Context, q Query, ix *Index, keys []string, describe func(string) string,
	read func(context.Context, string) ([]byte, error)) ([]*Record, []error, error) {
	var recs []*Record
	var skipped []error
	var candidates []string
	for _, k := range keys {
		if q.matchesDir(k) {
			candidates = append(candidates, k)
		}
	}
	for _, k := range ix.order(candidates, q.Excluded) {
		if q.Limit > 0 && len(recs) >= q.Limit {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		data, err := read(ctx, k)
		if errors.Is(err, errGone) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		r, err := Decode(describe(k), data)
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		if !q.matches(r) {
			continue
		}
		r.Key = k
		r.Pinned = slices.Contains(ix.Pinned, k)
		recs = append(recs, r)
	}
	slices.SortStableFunc(recs, func(a, b *Record) int {
		if a.Pinned != b.Pinned {
			if a.Pinned {
				return -1
			}
			return 1
		}
		return b.Time.Compare(a.Time)
	})
	return recs, skipped, nil
}

// backoff returns the wait before retry attempt (0-based), with full
// jitter drawn from rnd in [0,1).
func backoff(attempt int, base, max time.Duration, rnd float64) time.Duration {
	d := base << min(attempt, 16)
	if d > max || d <= 0 {
		d = max
	}
	return time.Duration(float64(d) * (0.5 + rnd/2))
}

// ListAll returns every record q selects, excluded ones included: first
// those the gate reads, in its order (List), then the excluded ones, newest
// first; Limit, when positive, caps the total. The first read records are
// the ones List returns.
func ListAll(ctx context.Context, st Store, q Query) (recs []*Record, read int, skipped []error, err error) {
	q.Excluded = false
	recs, skipped, err = st.List(ctx, q)
	read = len(recs)
	if err != nil || q.Limit > 0 && read >= q.Limit {
		return recs, read, skipped, err
	}
	q.Excluded = true
	if q.Limit > 0 {
		q.Limit -= read
	}
	excluded, more, err := st.List(ctx, q)
	return append(recs, excluded...), read, append(skipped, more...), err
}
