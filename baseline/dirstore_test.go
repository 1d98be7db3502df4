package baseline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func keysOf(recs []*Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Key)
	}
	return out
}

func TestKey(t *testing.T) {
	r := testRecord(t, 0, "chat api/v2", "../steady", KindRun, "feature/x")
	k, err := Key(r)
	if err != nil {
		t.Fatal(err)
	}
	want := "chat_api_v2/_._steady/run/feature_x/20250301T120000.000000000Z-000000000000-"
	if !strings.HasPrefix(k, want) || !strings.HasSuffix(k, ".json") || checkKey(k) != nil {
		t.Errorf("Key = %q, want prefix %q", k, want)
	}
	r.Pinned = true
	if k2, _ := Key(r); k2 != k {
		t.Errorf("Pinned changed the key: %q", k2)
	}
	r.Achieved++
	if k3, _ := Key(r); k3 == k {
		t.Error("different records share a key")
	}
	for _, bad := range []string{"", "a/b", "../../../../x.json", "a/b/c/d/e.txt", "a/b/c/d/.e.json", "a/b c/c/d/e.json"} {
		if checkKey(bad) == nil {
			t.Errorf("checkKey(%q) accepted", bad)
		}
	}
}

func TestDirStoreListOrderAndFilters(t *testing.T) {
	ctx := context.Background()
	s, err := NewDirStore(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := range 5 {
		k, err := s.Save(ctx, testRecord(t, i, "p", "steady", KindRun, "main"))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	for _, r := range []*Record{
		testRecord(t, 10, "p", "steady", KindCalibration, "main"),
		testRecord(t, 11, "p", "steady", KindRun, "dev"),
		testRecord(t, 12, "p", "spike", KindRun, "main"),
		testRecord(t, 13, "q", "steady", KindRun, "main"),
	} {
		if _, err := s.Save(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Saving the same record again is a no-op with the same key.
	if k, err := s.Save(ctx, testRecord(t, 4, "p", "steady", KindRun, "main")); err != nil || k != keys[4] {
		t.Errorf("second save: %q %v, want %q", k, err, keys[4])
	}
	recs, skipped, err := s.List(ctx, Query{Policy: "p", Scenario: "steady", Kind: KindRun, Branch: "main"})
	if err != nil || skipped != nil {
		t.Fatal(err, skipped)
	}
	if got, want := keysOf(recs), []string{keys[4], keys[3], keys[2], keys[1], keys[0]}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want newest first %v", got, want)
	}
	recs, _, _ = s.List(ctx, Query{Policy: "p", Scenario: "steady", Kind: KindRun, Branch: "main", Limit: 2})
	if got := keysOf(recs); !slices.Equal(got, []string{keys[4], keys[3]}) {
		t.Errorf("limit 2: %v", got)
	}
	for q, n := range map[Query]int{
		{}:                                   9,
		{Policy: "p"}:                        8,
		{Policy: "p", Kind: KindCalibration}: 1,
		{Branch: "dev"}:                      1,
		{Scenario: "spike"}:                  1,
		{Policy: "nope"}:                     0,
	} {
		recs, _, err := s.List(ctx, q)
		if err != nil || len(recs) != n {
			t.Errorf("List(%+v) = %d records, %v; want %d", q, len(recs), err, n)
		}
	}
}

func TestDirStorePinExclude(t *testing.T) {
	ctx := context.Background()
	s, _ := NewDirStore(t.TempDir(), 3)
	q := Query{Policy: "p", Scenario: "s", Kind: KindRun, Branch: "main"}
	var keys []string
	for i := range 3 {
		k, err := s.Save(ctx, testRecord(t, i, "p", "s", KindRun, "main"))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := s.Pin(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Exclude(ctx, keys[2]); err != nil {
		t.Fatal(err)
	}
	recs, _, _ := s.List(ctx, q)
	if got := keysOf(recs); !slices.Equal(got, []string{keys[0], keys[1]}) || !recs[0].Pinned || recs[1].Pinned {
		t.Errorf("pinned first, excluded gone: %v", got)
	}
	recs, _, _ = s.List(ctx, Query{Policy: "p", Limit: 1})
	if got := keysOf(recs); !slices.Equal(got, []string{keys[0]}) {
		t.Errorf("limit 1 prefers the pinned record over the newest: %v", got)
	}
	// Four newer records: pruning keeps the pinned one and the newest three.
	for i := 3; i < 7; i++ {
		k, err := s.Save(ctx, testRecord(t, i, "p", "s", KindRun, "main"))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	onDisk, _ := s.keys()
	slices.Sort(onDisk)
	if want := []string{keys[0], keys[4], keys[5], keys[6]}; !slices.Equal(onDisk, want) {
		t.Errorf("after pruning: %v, want %v", onDisk, want)
	}
	// Pinning an excluded record includes it; excluding a pinned one unpins it.
	if err := s.Exclude(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	recs, _, _ = s.List(ctx, q)
	if got := keysOf(recs); !slices.Equal(got, []string{keys[6], keys[5], keys[4]}) {
		t.Errorf("after exclude of pinned: %v", got)
	}
	if err := s.Include(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Pin(ctx, keys[5]); err != nil {
		t.Fatal(err)
	}
	if err := s.Unpin(ctx, keys[5]); err != nil {
		t.Fatal(err)
	}
	recs, _, _ = s.List(ctx, q)
	if got := keysOf(recs); !slices.Equal(got, []string{keys[6], keys[5], keys[4], keys[0]}) {
		t.Errorf("after include and unpin: %v", got)
	}
	if err := s.Pin(ctx, "p/s/run/main/19990101T000000.000000000Z-x-00000000.json"); !errors.Is(err, ErrNotFound) {
		t.Errorf("pin of a missing record: %v", err)
	}
	if err := s.Pin(ctx, "../../etc/passwd"); err == nil {
		t.Error("pin of a malformed key succeeded")
	}
	// A record saved with Pinned set is pinned.
	r := testRecord(t, 1, "p", "s", KindRun, "main")
	r.Pinned = true
	k, err := s.Save(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if recs, _, _ := s.List(ctx, q); len(recs) == 0 || recs[0].Key != k || !recs[0].Pinned {
		t.Errorf("Save with Pinned: %v", keysOf(recs))
	}
}

func TestDirStoreCrashLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := NewDirStore(dir, 0)
	var keys []string
	for i := range 2 {
		k, err := s.Save(ctx, testRecord(t, i, "p", "s", KindRun, "main"))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	good, _ := os.ReadFile(s.file(keys[1]))
	group := filepath.Dir(s.file(keys[0]))
	// A crash before the rename leaves a temporary file; a crash of a writer
	// that does not write atomically leaves a truncated file.
	if err := os.WriteFile(filepath.Join(group, ".20250302T000000.000000000Z-x-1.json.tmp-123"), good[:50], 0o644); err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(group, "20250302T000000.000000000Z-abc-deadbeef.json")
	if err := os.WriteFile(torn, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	recs, skipped, err := s.List(ctx, Query{Policy: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(recs); !slices.Equal(got, []string{keys[1], keys[0]}) {
		t.Errorf("records = %v, want the two intact ones", got)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0].Error(), torn) || !strings.Contains(skipped[0].Error(), "truncated") {
		t.Errorf("skipped = %v, want the truncated file named", skipped)
	}
	var de *DecodeError
	if len(skipped) == 1 && !errors.As(skipped[0], &de) {
		t.Errorf("skipped error is %T", skipped[0])
	}
	// A corrupt index is an error naming it, not silently ignored exclusions.
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.List(ctx, Query{}); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "index.json")) {
		t.Errorf("corrupt index: %v", err)
	}
}

func TestDirStoreConcurrentSaves(t *testing.T) {
	ctx := context.Background()
	s, _ := NewDirStore(t.TempDir(), 0)
	const n = 40
	pinKeys := make([]string, n/4)
	for i := range pinKeys {
		k, err := s.Save(ctx, testRecord(t, 1000+i, "p", "s", KindRun, "main"))
		if err != nil {
			t.Fatal(err)
		}
		pinKeys[i] = k
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Save(ctx, testRecord(t, i, "p", "s", KindRun, "main")); err != nil {
				errs <- err
			}
			if i < len(pinKeys) {
				if err := s.Pin(ctx, pinKeys[i]); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	recs, skipped, err := s.List(ctx, Query{})
	if err != nil || skipped != nil {
		t.Fatal(err, skipped)
	}
	pinned := 0
	for _, r := range recs {
		if r.Pinned {
			pinned++
		}
	}
	if len(recs) != n+len(pinKeys) || pinned != len(pinKeys) {
		t.Errorf("%d records, %d pinned; want %d and %d", len(recs), pinned, n+len(pinKeys), len(pinKeys))
	}
}

// TestDirStoreHelperProcess is run by TestDirStoreConcurrentProcesses in
// child processes.
func TestDirStoreHelperProcess(t *testing.T) {
	dir := os.Getenv("PERFGATE_DIRSTORE_HELPER")
	if dir == "" {
		t.Skip("helper process only")
	}
	id, _ := strconv.Atoi(os.Getenv("PERFGATE_DIRSTORE_ID"))
	s, err := NewDirStore(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 10 {
		k, err := s.Save(ctx, testRecord(t, id*100+i, "p", "s", KindRun, "main"))
		if err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			if err := s.Pin(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestDirStoreConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	const procs = 3
	var wg sync.WaitGroup
	out := make([][]byte, procs)
	errs := make([]error, procs)
	for p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestDirStoreHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), "PERFGATE_DIRSTORE_HELPER="+dir, fmt.Sprintf("PERFGATE_DIRSTORE_ID=%d", p))
			out[p], errs[p] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for p := range procs {
		if errs[p] != nil {
			t.Fatalf("process %d: %v\n%s", p, errs[p], out[p])
		}
	}
	s, _ := NewDirStore(dir, 0)
	recs, skipped, err := s.List(context.Background(), Query{})
	if err != nil || skipped != nil {
		t.Fatal(err, skipped)
	}
	pinned := 0
	for _, r := range recs {
		if r.Pinned {
			pinned++
		}
	}
	if len(recs) != procs*10 || pinned != procs*2 {
		t.Errorf("%d records, %d pinned; want %d and %d", len(recs), pinned, procs*10, procs*2)
	}
}
