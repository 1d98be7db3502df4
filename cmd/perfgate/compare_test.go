package main

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
)

// syntheticRecord builds a record of 12 windows of 200 requests whose e2e
// latency is lognormal around median·scale milliseconds.
func syntheticRecord(t *testing.T, rng *rand.Rand, median, scale float64) *baseline.Record {
	t.Helper()
	res := &load.Result{Scenario: "steady", Window: 5 * time.Second, Offered: 40, Achieved: 40,
		Validity: load.Validity{Sent: 2400, AchievedRatio: 1}}
	for w := 0; w < 12; w++ {
		win := load.NewWindow(w, time.Duration(w)*5*time.Second, time.Duration(w+1)*5*time.Second)
		for i := 0; i < 200; i++ {
			win.Record(metric.E2E, int64(median*scale*math.Exp(0.2*rng.NormFloat64())*1000))
		}
		win.Sent, win.Succeeded = 200, 200
		res.Windows = append(res.Windows, win)
	}
	rec, err := load.Summarize(res, load.RunMeta{Policy: "cmp", Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func writeRecord(t *testing.T, dir, name string, rec *baseline.Record) string {
	t.Helper()
	data, err := baseline.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestComparePaired(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for _, tc := range []struct {
		scale float64
		code  int
	}{{1.0, exitPass}, {2.0, exitFail}} { // uncalibrated: only a change beyond what 5% deployments explain fails
		cand := syntheticRecord(t, rng, 100, tc.scale)
		cand.Reference = syntheticRecord(t, rng, 100, 1)
		path := writeRecord(t, dir, "cand.json", cand)
		code, stdout, stderr := perfgate(context.Background(), t, "compare", "--candidate", path, "--gate", "e2e.p50,e2e.p95", "--out", filepath.Join(dir, "out"))
		if code != tc.code {
			t.Errorf("scale %v: exit %d, want %d\n%s%s", tc.scale, code, tc.code, stdout, stderr)
		}
		if !strings.Contains(stdout, "e2e.p50") || !strings.Contains(stdout, "paired") && !strings.Contains(stdout, "%") {
			t.Errorf("table lacks the check:\n%s", stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "report.json")); err != nil {
		t.Errorf("no report written: %v", err)
	}
}

func TestCompareHistory(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	var args []string
	for i := 0; i < 6; i++ {
		args = append(args, "--baseline", writeRecord(t, dir, "base"+string(rune('a'+i))+".json", syntheticRecord(t, rng, 100*math.Exp(0.01*rng.NormFloat64()), 1)))
	}
	cand := writeRecord(t, dir, "cand.json", syntheticRecord(t, rng, 100, 1.5))
	code, stdout, _ := perfgate(context.Background(), t, append([]string{"compare", "--candidate", cand, "--gate", "e2e.p50"}, args...)...)
	if code != exitFail || !strings.Contains(stdout, "FAIL") {
		t.Errorf("+50%% against 6 stored runs: exit %d\n%s", code, stdout)
	}
	// One baseline only: reported, not judged.
	code, stdout, _ = perfgate(context.Background(), t, "compare", "--candidate", cand, "--baseline", args[1], "--gate", "e2e.p50")
	if code != exitPass || !strings.Contains(stdout, "not judged") {
		t.Errorf("one stored run: exit %d\n%s", code, stdout)
	}
}

func TestCompareBadRecords(t *testing.T) {
	dir := t.TempDir()
	good := writeRecord(t, dir, "good.json", syntheticRecord(t, rand.New(rand.NewPCG(5, 6)), 100, 1))
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"schema": "perfgate/record/v1", "kind": `), 0o644)
	future := filepath.Join(dir, "future.json")
	os.WriteFile(future, []byte(`{"schema": "perfgate/record/v9", "kind": "run"}`), 0o644)
	for _, tc := range []struct{ path, want string }{
		{corrupt, "corrupt.json"},
		{future, "newer perfgate"},
		{filepath.Join(dir, "missing.json"), "missing.json"},
	} {
		code, _, stderr := perfgate(context.Background(), t, "compare", "--candidate", tc.path, "--baseline", good)
		if code != exitInvalid || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 naming %q", filepath.Base(tc.path), code, stderr, tc.want)
		}
		if strings.Contains(stderr, "goroutine") {
			t.Errorf("stack trace: %s", stderr)
		}
	}
}
