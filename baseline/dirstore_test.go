package baseline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// openDirStore opens a DirStore in a new temporary directory.
func openDirStore(t *testing.T, keep int) (Store, writeRaw) {
	dir := t.TempDir()
	s, err := NewDirStore(dir, keep)
	if err != nil {
		t.Fatal(err)
	}
	return s, func(t *testing.T, name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDirStoreContract(t *testing.T) { testStoreContract(t, openDirStore) }

// TestDirStoreLeftovers checks what a crash before a rename leaves: a
// temporary file, which List ignores and a later prune removes once it is
// stale. Records are written with mode recordPerm.
func TestDirStoreLeftovers(t *testing.T) {
	s, _ := NewDirStore(t.TempDir(), 0)
	keys := saveAll(t, s, KindRun, 0, 1)
	good, _ := os.ReadFile(s.file(keys[1]))
	group := filepath.Dir(s.file(keys[0]))
	fresh := filepath.Join(group, ".20250302T000000.000000000Z-x-1.json.tmp-123")
	stale := filepath.Join(group, ".20250302T000000.000000000Z-x-2.json.tmp-456")
	for _, f := range []string{fresh, stale} {
		if err := os.WriteFile(f, good[:50], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTemp)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if got := list(t, s, Query{Policy: "p"}); !slices.Equal(got, []string{keys[1], keys[0]}) {
		t.Errorf("records = %v, want the two saved ones", got)
	}
	saveAll(t, s, KindRun, 2)
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file not removed: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file removed (a writer may still be renaming it): %v", err)
	}
	info, err := os.Stat(s.file(keys[0]))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != recordPerm {
		t.Errorf("record mode %v, want %v", info.Mode().Perm(), os.FileMode(recordPerm))
	}
}

func TestDirStoreConcurrentSaves(t *testing.T) {
	ctx := context.Background()
	s, _ := NewDirStore(t.TempDir(), -1) // 50 records: none may be pruned
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
