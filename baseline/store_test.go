package baseline

import (
	"strings"
	"testing"
	"time"
)

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

func TestGroupKeep(t *testing.T) {
	for _, c := range []struct {
		keep int
		dir  string
		want int
	}{
		{0, "p/s/run/main", DefaultKeep},
		{-1, "p/s/run/main", -1},
		{7, "p/s/run/main", 7},
		{7, "p/s/calibration/main", CalibrationRecords},
		{0, "p/s/calibration/main", DefaultKeep},
		{-5, "p/s/calibration/main", -1},
		{100, "p/s/calibration/main", 100},
	} {
		if got := groupKeep(c.keep, c.dir); got != c.want {
			t.Errorf("groupKeep(%d, %q) = %d, want %d", c.keep, c.dir, got, c.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	base, maxD := 50*time.Millisecond, 2*time.Second
	for attempt := range 40 {
		for _, rnd := range []float64{0, 0.5, 0.999} {
			d := backoff(attempt, base, maxD, rnd)
			ceil := min(base<<min(attempt, 16), maxD)
			if d < ceil/2 || d > ceil {
				t.Fatalf("backoff(%d, rnd %v) = %v, want within [%v, %v]", attempt, rnd, d, ceil/2, ceil)
			}
		}
	}
}
