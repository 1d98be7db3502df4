package baseline

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestDirStoreCrashHelperProcess saves and pins records as fast as it can
// until it is killed; run by TestDirStoreKilledMidSave.
func TestDirStoreCrashHelperProcess(t *testing.T) {
	dir := os.Getenv("PERFGATE_CRASH_HELPER")
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := NewDirStore(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 5000 {
		k, err := s.Save(ctx, testRecord(t, i, "p", "s", KindRun, "main"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Pin(ctx, k); err != nil { // rewrites index.json each time
			t.Fatal(err)
		}
	}
}

// TestDirStoreKilledMidSave kills (SIGKILL) a process that is saving
// records and rewriting the index, at several points, and checks that
// every record saved before the kill is intact, the index still decodes,
// and nothing in the store is reported as undecodable.
func TestDirStoreKilledMidSave(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, after := range []int{1, 4, 9} {
		t.Run(strconv.Itoa(after), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestDirStoreCrashHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), "PERFGATE_CRASH_HELPER="+dir)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			group := filepath.Join(dir, "p", "s", KindRun, "main")
			before := map[string][]byte{}
			deadline := time.Now().Add(20 * time.Second)
			for len(before) < after && time.Now().Before(deadline) {
				files, _ := filepath.Glob(filepath.Join(group, "*.json"))
				for _, f := range files {
					if _, seen := before[f]; !seen {
						if b, err := os.ReadFile(f); err == nil {
							before[f] = b
						}
					}
				}
				time.Sleep(time.Millisecond)
			}
			cmd.Process.Kill()
			cmd.Wait()
			if len(before) < after {
				t.Fatalf("the helper saved %d records in 20 s", len(before))
			}
			for f, b := range before {
				now, err := os.ReadFile(f)
				if err != nil || !bytes.Equal(now, b) {
					t.Errorf("%s changed or vanished after the kill: %v", f, err)
				}
			}
			s, _ := NewDirStore(dir, 0)
			recs, skipped, err := s.List(context.Background(), Query{})
			if err != nil || len(skipped) > 0 {
				t.Fatalf("after the kill: err %v, skipped %v", err, skipped)
			}
			if len(recs) < len(before) {
				t.Errorf("%d records listed, %d were saved before the kill", len(recs), len(before))
			}
			// The store keeps working: a new save after the crash succeeds.
			if _, err := s.Save(context.Background(), testRecord(t, 99999, "p", "s", KindRun, "main")); err != nil {
				t.Errorf("save after the crash: %v", err)
			}
		})
	}
}
