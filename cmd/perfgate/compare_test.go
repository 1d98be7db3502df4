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
	"github.com/perfgate/perfgate/gate/sim"
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

// TestRunOutFeedsCompare: "run --out" writes the run's records next to the
// reports, and compare judges them as its help and the README show.
func TestRunOutFeedsCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	base := startSim(t, func(c *sim.Config) { c.Seed = 1 })
	cand := startSim(t, func(c *sim.Config) { c.Seed = 2 })
	pol := writePolicy(t, strings.Replace(testPolicy, `duration: "6s"`, `duration: "2s"`, 1))
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", pol, "--target", cand, "--baseline-url", base, "--out", out, "--quiet", "--max-lag", "1s")
	if code != exitPass && code != exitFail {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	rec := filepath.Join(out, "records", "steady.json")
	if !strings.Contains(stdout, rec) {
		t.Errorf("the run does not name its record %s:\n%s", rec, stdout)
	}
	code, stdout, stderr = perfgate(context.Background(), t, "compare", "--candidate", rec, "--policy", pol)
	if code != exitPass && code != exitFail || !strings.Contains(stdout, "tpot.p50") {
		t.Fatalf("compare --candidate %s: exit %d\n%s\n%s", rec, code, stdout, stderr)
	}
}

// TestCompareHelpStatesItsExitCodes: the exit codes compare's help gives
// are the ones it returns (a malformed record is invalid input, 2, as the
// README says).
func TestCompareHelpStatesItsExitCodes(t *testing.T) {
	code, help, _ := perfgate(context.Background(), t, "help", "compare")
	if code != exitPass {
		t.Fatal(code)
	}
	i := strings.Index(help, "Exit codes:")
	if i < 0 {
		t.Fatalf("no exit codes in compare's help:\n%s", help)
	}
	codes := strings.Join(strings.Fields(help[i:]), " ")
	two, three, _ := strings.Cut(codes[strings.Index(codes, " 2 "):], " 3 ")
	if !strings.Contains(two, "record") || strings.Contains(three, "record file") || strings.Contains(three, "invalid record") {
		t.Errorf("compare's help does not say a malformed record file exits 2: %q", codes)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), "`2` invalid input (policy, flags, record file") {
		t.Errorf("README's exit codes no longer name the record file under 2")
	}
}
