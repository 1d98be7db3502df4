package load

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Shard selects one part of a schedule that several load generators send
// together: shard Index (1-based) of Count takes the requests whose index
// n has n mod Count = Index−1 (open loop: every Count-th arrival of the
// same seeded schedule, so the shards' union is the schedule of one
// generator), or its share of the closed-loop users. The zero Shard is
// the whole schedule.
type Shard struct {
	Index, Count int
}

// Whole reports whether s is the whole schedule (no sharding).
func (s Shard) Whole() bool { return s.Count <= 1 }

func (s Shard) String() string {
	if s.Whole() {
		return "1/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Validate reports a shard that does not exist.
func (s Shard) Validate() error {
	if s.Count < 0 || s.Count > MaxShards || (s.Count > 0 && (s.Index < 1 || s.Index > s.Count)) {
		return fmt.Errorf("shard %d/%d: want I/N with 1 ≤ I ≤ N ≤ %d", s.Index, s.Count, MaxShards)
	}
	return nil
}

// MaxShards is the most shards a run may be split into.
const MaxShards = 1024

// ParseShard reads "I/N" (1-based). A bare "N" takes I from index, the
// 0-based index an engine sets (Kubernetes Indexed Jobs'
// JOB_COMPLETION_INDEX, a matrix index): "" there is an error.
func ParseShard(spec, index string) (Shard, error) {
	i, n, found := strings.Cut(strings.TrimSpace(spec), "/")
	if !found {
		n, i = i, ""
		if strings.TrimSpace(index) == "" {
			return Shard{}, fmt.Errorf("shard %q: want I/N (1 ≤ I ≤ N), or N with the 0-based index in JOB_COMPLETION_INDEX or PERFGATE_SHARD_INDEX", spec)
		}
		k, err := strconv.Atoi(strings.TrimSpace(index))
		if err != nil {
			return Shard{}, fmt.Errorf("shard index %q: not a whole number", index)
		}
		i = strconv.Itoa(k + 1)
	}
	ii, err1 := strconv.Atoi(strings.TrimSpace(i))
	nn, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want I/N with whole numbers, such as 2/3", spec)
	}
	s := Shard{Index: ii, Count: nn}
	return s, s.Validate()
}

// owns reports whether request index n of the schedule is this shard's.
func (s Shard) owns(n uint64) bool {
	return s.Whole() || n%uint64(s.Count) == uint64(s.Index-1)
}

// share is this shard's part of a whole number of users or slots shared
// out as evenly as possible (the first shards take the remainder).
func (s Shard) share(total int) int {
	if s.Whole() {
		return total
	}
	k := total / s.Count
	if s.Index <= total%s.Count {
		k++
	}
	return k
}

// closedIndex is the request index of this shard's k-th closed-loop
// request: the shards' indices interleave, so no two send the same one.
func (s Shard) closedIndex(k uint64) uint64 {
	if s.Whole() {
		return k
	}
	return k*uint64(s.Count) + uint64(s.Index-1)
}

// startClock returns the origin of the run's schedule: now, or with
// p.StartAt set, that agreed wall-clock time after waiting for it (so that
// shards on several machines send one schedule). lag is how late the
// origin was reached (zero without StartAt); a run that starts after its
// StartAt sends the requests already due at once, and its schedule lag
// shows it.
func (p *Plan) startClock(ctx context.Context) (t0 time.Time, lag time.Duration, err error) {
	if p.StartAt.IsZero() {
		return time.Now(), 0, nil
	}
	// A time with a monotonic reading, at the wall-clock StartAt.
	t0 = time.Now().Add(time.Until(p.StartAt))
	if d := time.Until(t0); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return t0, 0, ctx.Err()
		}
	}
	return t0, max(0, time.Since(t0)), nil
}
