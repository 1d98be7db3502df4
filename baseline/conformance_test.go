package baseline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// writeRaw puts data at a store-relative name (a key, or "index.json"),
// bypassing the store, as a crash of a writer that does not write
// atomically or an edit by hand would.
type writeRaw func(t *testing.T, name string, data []byte)

// openStore opens a new, empty store that keeps keep records per group
// (see NewDirStore) and returns it with a writeRaw into it.
type openStore func(t *testing.T, keep int) (Store, writeRaw)

// testStoreContract checks the contract of Store that every store keeps:
// saving, listing with filters and order, pins and exclusions, retention,
// undecodable records skipped and named, and ErrNotFound. Each store runs
// it from its own test file; store-specific behaviour is tested there.
func testStoreContract(t *testing.T, open openStore) {
	t.Run("SaveList", func(t *testing.T) { contractSaveList(t, open) })
	t.Run("FiltersAndOrder", func(t *testing.T) { contractFiltersAndOrder(t, open) })
	t.Run("PinsAndExcludes", func(t *testing.T) { contractPinsAndExcludes(t, open) })
	t.Run("Retention", func(t *testing.T) { contractRetention(t, open) })
	t.Run("DefaultKeep", func(t *testing.T) { contractDefaultKeep(t, open) })
	t.Run("DecodeErrorsSkipped", func(t *testing.T) { contractDecodeErrors(t, open) })
	t.Run("NotFound", func(t *testing.T) { contractNotFound(t, open) })
}

// keysOf returns the keys of listed records, in order.
func keysOf(recs []*Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Key)
	}
	return out
}

// saveAll saves records i of one group and returns their keys in order.
func saveAll(t *testing.T, s Store, kind string, is ...int) []string {
	t.Helper()
	var keys []string
	for _, i := range is {
		k, err := s.Save(context.Background(), testRecord(t, i, "p", "s", kind, "main"))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// span returns from, from+1, ..., to-1.
func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// list lists q and fails the test on an error or a skipped record.
func list(t *testing.T, s Store, q Query) []string {
	t.Helper()
	recs, skipped, err := s.List(context.Background(), q)
	if err != nil || skipped != nil {
		t.Fatalf("List(%+v): %v, skipped %v", q, err, skipped)
	}
	return keysOf(recs)
}

func contractSaveList(t *testing.T, open openStore) {
	ctx := context.Background()
	s, _ := open(t, 0)
	recs, skipped, err := s.List(ctx, Query{})
	if err != nil || recs != nil || skipped != nil {
		t.Fatalf("List of an empty store: %v %v %v", recs, skipped, err)
	}
	want := testRecord(t, 1, "p", "s", KindRun, "main")
	k, err := s.Save(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if wantKey, _ := Key(want); k != wantKey {
		t.Errorf("Save returned %q, Key says %q", k, wantKey)
	}
	// Saving the same record again is a no-op with the same key.
	if k2, err := s.Save(ctx, want); err != nil || k2 != k {
		t.Errorf("second save: %q %v, want %q", k2, err, k)
	}
	recs, skipped, err = s.List(ctx, Query{})
	if err != nil || skipped != nil || len(recs) != 1 {
		t.Fatalf("List: %d records, %v, skipped %v", len(recs), err, skipped)
	}
	got := recs[0]
	if got.Key != k || got.Pinned {
		t.Errorf("listed Key %q Pinned %v, want %q false", got.Key, got.Pinned, k)
	}
	got.Key = ""
	if a, b := mustEncode(t, got), mustEncode(t, want); string(a) != string(b) {
		t.Error("the listed record differs from the saved one")
	}
}

func contractFiltersAndOrder(t *testing.T, open openStore) {
	ctx := context.Background()
	s, _ := open(t, -1)
	keys := saveAll(t, s, KindRun, 0, 1, 2, 3, 4)
	for _, r := range []*Record{
		testRecord(t, 10, "p", "s", KindCalibration, "main"),
		testRecord(t, 11, "p", "s", KindRun, "dev"),
		testRecord(t, 12, "p", "spike", KindRun, "main"),
		testRecord(t, 13, "q", "s", KindRun, "main"),
	} {
		if _, err := s.Save(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	group := Query{Policy: "p", Scenario: "s", Kind: KindRun, Branch: "main"}
	if got, want := list(t, s, group), []string{keys[4], keys[3], keys[2], keys[1], keys[0]}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want newest first %v", got, want)
	}
	group.Limit = 2
	if got := list(t, s, group); !slices.Equal(got, []string{keys[4], keys[3]}) {
		t.Errorf("limit 2: %v", got)
	}
	// Across groups the order is by time too: record 13 is the newest.
	if got := list(t, s, Query{Limit: 1}); len(got) != 1 || !strings.HasPrefix(got[0], "q/") {
		t.Errorf("newest of all: %v", got)
	}
	for q, n := range map[Query]int{
		{}:                                   9,
		{Policy: "p"}:                        8,
		{Policy: "p", Kind: KindCalibration}: 1,
		{Branch: "dev"}:                      1,
		{Scenario: "spike"}:                  1,
		{Policy: "nope"}:                     0,
	} {
		if got := list(t, s, q); len(got) != n {
			t.Errorf("List(%+v) = %d records, want %d", q, len(got), n)
		}
	}
}

func contractPinsAndExcludes(t *testing.T, open openStore) {
	ctx := context.Background()
	s, _ := open(t, -1)
	q := Query{Policy: "p", Scenario: "s", Kind: KindRun, Branch: "main"}
	keys := saveAll(t, s, KindRun, 0, 1, 2, 3)
	do := func(op func(context.Context, string) error, key string) {
		t.Helper()
		if err := op(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	do(s.Pin, keys[0])
	do(s.Exclude, keys[2])
	recs, _, _ := s.List(ctx, q)
	if got := keysOf(recs); !slices.Equal(got, []string{keys[0], keys[3], keys[1]}) || !recs[0].Pinned || recs[1].Pinned {
		t.Errorf("pinned first, excluded gone: %v", got)
	}
	if got := list(t, s, Query{Excluded: true}); !slices.Equal(got, []string{keys[2]}) {
		t.Errorf("excluded records: %v", got)
	}
	// The gate reads its history with a limit: the pinned record takes the
	// first slot, ahead of newer ones.
	if got := list(t, s, Query{Policy: "p", Limit: 2}); !slices.Equal(got, []string{keys[0], keys[3]}) {
		t.Errorf("limit 2 prefers the pinned record: %v", got)
	}
	// Excluding a pinned record unpins it; pinning an excluded one includes it.
	do(s.Exclude, keys[0])
	if got := list(t, s, q); !slices.Equal(got, []string{keys[3], keys[1]}) {
		t.Errorf("after excluding the pinned record: %v", got)
	}
	do(s.Pin, keys[2])
	if got := list(t, s, q); !slices.Equal(got, []string{keys[2], keys[3], keys[1]}) {
		t.Errorf("after pinning the excluded record: %v", got)
	}
	do(s.Include, keys[0])
	do(s.Unpin, keys[2])
	if got := list(t, s, q); !slices.Equal(got, []string{keys[3], keys[2], keys[1], keys[0]}) {
		t.Errorf("after include and unpin: %v", got)
	}
	if got := list(t, s, Query{Excluded: true}); got != nil {
		t.Errorf("excluded records after include: %v", got)
	}
	// Unpin and Include of a normal record change nothing.
	do(s.Unpin, keys[1])
	do(s.Include, keys[1])
	// A record saved with Pinned set is pinned.
	r := testRecord(t, 9, "p", "s", KindRun, "main")
	r.Pinned = true
	k, err := s.Save(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if recs, _, _ := s.List(ctx, q); len(recs) != 5 || recs[0].Key != k || !recs[0].Pinned || recs[1].Pinned {
		t.Errorf("Save with Pinned: %v", keysOf(recs))
	}
}

func contractRetention(t *testing.T, open openStore) {
	ctx := context.Background()
	s, _ := open(t, 3)
	keys := saveAll(t, s, KindRun, 0, 1, 2)
	if err := s.Pin(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Exclude(ctx, keys[2]); err != nil {
		t.Fatal(err)
	}
	// Four newer records: the pinned one stays, and of the others (the
	// excluded one included) the newest three.
	keys = append(keys, saveAll(t, s, KindRun, 3, 4, 5, 6)...)
	if err := s.Include(ctx, keys[2]); err != nil {
		t.Fatal(err)
	}
	want := []string{keys[0], keys[6], keys[5], keys[4]}
	if got := list(t, s, Query{}); !slices.Equal(got, want) {
		t.Errorf("after pruning: %v, want %v", got, want)
	}
	for _, k := range []string{keys[1], keys[2], keys[3]} {
		if err := s.Pin(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Errorf("pin of pruned %s: %v, want ErrNotFound", k, err)
		}
	}
	// Calibration records are kept down to CalibrationRecords, not 3.
	saveAll(t, s, KindCalibration, span(100, 100+CalibrationRecords+2)...)
	if got := list(t, s, Query{Kind: KindCalibration}); len(got) != CalibrationRecords {
		t.Errorf("%d calibration records kept with keep 3, want %d", len(got), CalibrationRecords)
	}
}

func contractDefaultKeep(t *testing.T, open openStore) {
	if testing.Short() {
		t.Skip("saves more than DefaultKeep records")
	}
	for _, c := range []struct{ keep, want int }{{0, DefaultKeep}, {-1, DefaultKeep + 2}} {
		t.Run(fmt.Sprint(c.keep), func(t *testing.T) {
			s, _ := open(t, c.keep)
			keys := saveAll(t, s, KindRun, span(0, DefaultKeep+2)...)
			slices.Reverse(keys)
			if got := list(t, s, Query{}); !slices.Equal(got, keys[:c.want]) {
				t.Errorf("keep %d: %d records kept, want the newest %d", c.keep, len(got), c.want)
			}
		})
	}
}

func contractDecodeErrors(t *testing.T, open openStore) {
	ctx := context.Background()
	s, raw := open(t, 0)
	keys := saveAll(t, s, KindRun, 0, 1)
	good := mustEncode(t, testRecord(t, 0, "p", "s", KindRun, "main"))
	// A newer name than the good records, so it is read first.
	torn := "p/s/run/main/20250302T000000.000000000Z-abc-deadbeef.json"
	raw(t, torn, good[:len(good)/2])
	recs, skipped, err := s.List(ctx, Query{Policy: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(recs); !slices.Equal(got, []string{keys[1], keys[0]}) {
		t.Errorf("records = %v, want the two intact ones", got)
	}
	var de *DecodeError
	if len(skipped) != 1 || !errors.As(skipped[0], &de) || !strings.Contains(de.File, torn) || !strings.Contains(skipped[0].Error(), "truncated") {
		t.Errorf("skipped = %v, want one *DecodeError naming %s", skipped, torn)
	}
	// A limit counts decoded records only.
	if recs, _, _ := s.List(ctx, Query{Limit: 1}); len(recs) != 1 || recs[0].Key != keys[1] {
		t.Errorf("limit 1 with a torn newest file: %v", keysOf(recs))
	}
	// A corrupt index is an error naming it, not silently lost exclusions.
	raw(t, indexName, []byte("{"))
	if _, _, err := s.List(ctx, Query{}); err == nil || !strings.Contains(err.Error(), indexName) {
		t.Errorf("corrupt index: %v", err)
	}
}

func contractNotFound(t *testing.T, open openStore) {
	ctx := context.Background()
	s, _ := open(t, 0)
	saveAll(t, s, KindRun, 0)
	missing := "p/s/run/main/19990101T000000.000000000Z-x-00000000.json"
	ops := map[string]func(context.Context, string) error{"Pin": s.Pin, "Unpin": s.Unpin, "Exclude": s.Exclude, "Include": s.Include}
	for name, op := range ops {
		err := op(ctx, missing)
		if name == "Pin" || name == "Exclude" {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s of a missing record: %v, want ErrNotFound", name, err)
			}
		} else if err != nil {
			t.Errorf("%s of a missing record: %v, want nothing to do", name, err)
		}
		for _, bad := range []string{"../../etc/passwd", "p/s/run/main", "p/s/run/main/.hidden.json", "p/s/run/ma in/x.json"} {
			if err := op(ctx, bad); !errors.Is(err, ErrMalformedKey) {
				t.Errorf("%s(%q): %v, want ErrMalformedKey", name, bad, err)
			}
		}
	}
}
