package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/internal/fakegithub"
)

// perfgateIn runs perfgate in process with the environment getenv.
func perfgateIn(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, getenv, &out, &errb)
	return code, out.String(), errb.String()
}

// bareEnv is an environment with no variable set.
func bareEnv(string) string { return "" }

// storedRun is a run record of policy "bl", scenario "steady" measured i
// minutes after a fixed time: 12 windows whose requests_per_s is noisy
// around rps (seeded by i).
func storedRun(t *testing.T, i int, kind, branch string, rps float64) *baseline.Record {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(i), 11))
	r := &baseline.Record{
		Schema: baseline.Schema, Kind: kind, Policy: "bl", Scenario: "steady", Branch: branch,
		Commit: strings.Repeat(string(rune('a'+i%26)), 40), Time: time.Date(2026, 3, 1, 12, i, 0, 0, time.UTC),
		Env:        baseline.Env{OS: "linux", Arch: "amd64", CPUs: 4, Target: "127.0.0.1", Perfgate: "test"},
		MetricDefs: "v1", WindowSeconds: 5, Offered: rps, Achieved: rps, Valid: true,
		Metrics: map[string]*baseline.Metric{},
	}
	m := &baseline.Metric{Unit: "1/s"}
	for w := range 12 {
		v := rps * (1 + 0.01*rng.NormFloat64())
		r.Windows = append(r.Windows, baseline.WindowCounts{Start: float64(w) * 5, End: float64(w+1) * 5, Sent: int64(5 * v), Succeeded: int64(5 * v)})
		m.Windows = append(m.Windows, baseline.WindowStats{Count: 1, Stats: map[string]float64{"value": v}})
	}
	m.Pooled = baseline.WindowStats{Count: 12, Stats: map[string]float64{"value": rps}}
	r.Metrics["requests_per_s"] = m
	return r
}

// saveRuns saves records into st and returns their keys.
func saveRuns(t *testing.T, st baseline.Store, recs ...*baseline.Record) []string {
	t.Helper()
	var keys []string
	for _, r := range recs {
		k, err := st.Save(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// listed runs "perfgate baseline list" and returns its rows: key and state.
func listed(t *testing.T, getenv func(string) string, args ...string) [][2]string {
	t.Helper()
	code, stdout, stderr := perfgateIn(t, getenv, append([]string{"baseline", "list"}, args...)...)
	if code != exitPass || stderr != "" {
		t.Fatalf("baseline list %v: exit %d\n%s%s", args, code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.HasPrefix(lines[0], "KEY ") {
		if stdout == "no stored records match\n" {
			return nil
		}
		t.Fatalf("no table header:\n%s", stdout)
	}
	var rows [][2]string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 7 { // the time has a space
			t.Fatalf("row %q has %d fields", l, len(f))
		}
		rows = append(rows, [2]string{f[0], f[6]})
	}
	return rows
}

func TestBaselineCommandDirStore(t *testing.T) {
	dir := t.TempDir()
	st, err := baseline.NewDirStore(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := saveRuns(t, st,
		storedRun(t, 0, baseline.KindRun, "main", 100),
		storedRun(t, 1, baseline.KindRun, "main", 100),
		storedRun(t, 2, baseline.KindRun, "main", 100),
		storedRun(t, 3, baseline.KindCalibration, "main", 100),
		storedRun(t, 4, baseline.KindRun, "dev", 100))
	rows := listed(t, bareEnv, "--store", dir)
	want := [][2]string{{keys[4], "-"}, {keys[3], "-"}, {keys[2], "-"}, {keys[1], "-"}, {keys[0], "-"}}
	if !slices.Equal(rows, want) {
		t.Errorf("list = %v, want newest first %v", rows, want)
	}
	// Flags may follow the keys.
	if code, stdout, stderr := perfgateIn(t, bareEnv, "baseline", "pin", keys[0], "--store", dir); code != exitPass || stdout != "pinned "+keys[0]+"\n" {
		t.Fatalf("pin: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := perfgateIn(t, bareEnv, "baseline", "exclude", "--store", "dir:"+dir, keys[2]); code != exitPass {
		t.Fatalf("exclude: exit %d\n%s", code, stderr)
	}
	rows = listed(t, bareEnv, "--store", dir)
	want = [][2]string{{keys[0], "pinned"}, {keys[4], "-"}, {keys[3], "-"}, {keys[1], "-"}, {keys[2], "excluded"}}
	if !slices.Equal(rows, want) {
		t.Errorf("list = %v, want the pinned first, the excluded last: %v", rows, want)
	}
	// The history of main as the gate reads it (regression.history 2).
	rows = listed(t, bareEnv, "--store", dir, "--branch", "main", "--kind", "run", "--limit", "2")
	if want := [][2]string{{keys[0], "pinned"}, {keys[1], "-"}}; !slices.Equal(rows, want) {
		t.Errorf("limit 2 = %v, want %v", rows, want)
	}
	rows = listed(t, bareEnv, "--store", dir, "--policy", "bl", "--scenario", "steady", "--kind", "calibration")
	if want := [][2]string{{keys[3], "-"}}; !slices.Equal(rows, want) {
		t.Errorf("calibration = %v, want %v", rows, want)
	}
	if rows := listed(t, bareEnv, "--store", dir, "--policy", "other"); rows != nil {
		t.Errorf("another policy: %v", rows)
	}
	for _, args := range [][]string{{"unpin", keys[0]}, {"include", keys[2], keys[1]}} {
		if code, _, stderr := perfgateIn(t, bareEnv, append([]string{"baseline", args[0], "--store", dir}, args[1:]...)...); code != exitPass {
			t.Fatalf("%s: exit %d\n%s", args[0], code, stderr)
		}
	}
	if rows := listed(t, bareEnv, "--store", dir, "--limit", "1"); !slices.Equal(rows, [][2]string{{keys[4], "-"}}) {
		t.Errorf("after unpin and include: %v", rows)
	}
}

func TestBaselineCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	st, _ := baseline.NewDirStore(dir, 0)
	key := saveRuns(t, st, storedRun(t, 0, baseline.KindRun, "main", 100))[0]
	missing := strings.Replace(key, "20260301T1200", "20250301T1200", 1)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no subcommand"},
		{[]string{"prune"}, `unknown subcommand "prune"`},
		{[]string{"list"}, "--store is required"},
		{[]string{"list", "--store", dir, "--kind", "aa"}, `--kind "aa": want run or calibration`},
		{[]string{"list", "--store", dir, "--limit", "-1"}, "--limit -1"},
		{[]string{"list", "--store", dir, "extra"}, `list takes no arguments (got "extra")`},
		{[]string{"list", "--store", dir, "--nope"}, "unknown flag --nope"},
		{[]string{"pin", "--store", dir}, "pin needs at least one record key"},
		{[]string{"pin", "--store", dir, missing}, "no record " + missing + " in " + dir},
		{[]string{"exclude", "--store", dir, key, "../../etc/passwd"}, `malformed key "../../etc/passwd"`},
		{[]string{"pin", "--store", "branch:x", key}, "needs GITHUB_TOKEN and GITHUB_REPOSITORY"},
	} {
		code, stdout, stderr := perfgateIn(t, bareEnv, append([]string{"baseline"}, c.args...)...)
		if code != exitInvalid || !strings.Contains(stderr, c.want) {
			t.Errorf("baseline %v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
		if strings.Contains(stdout+stderr, "panic") {
			t.Errorf("baseline %v panicked:\n%s%s", c.args, stdout, stderr)
		}
	}
	code, stdout, _ := perfgateIn(t, bareEnv, "baseline", "--help")
	if code != exitPass || !strings.Contains(stdout, "Example:") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = perfgateIn(t, bareEnv, "baseline", "list", "--help")
	if code != exitPass || !strings.Contains(stdout, "-limit") {
		t.Errorf("list --help: exit %d\n%s", code, stdout)
	}
}

// TestBaselineCommandBranchStore curates a branch store through the fake
// GitHub API, with the environment of a workflow.
func TestBaselineCommandBranchStore(t *testing.T) {
	fake := fakegithub.New()
	t.Cleanup(fake.Close)
	fake.RequireToken("ghs_t0ken")
	if err := fake.CreateRepo("o", "r", "main"); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_TOKEN": "ghs_t0ken", "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": strings.TrimSuffix(fake.URL, "/")}
	getenv := func(k string) string { return vars[k] }
	st, err := baseline.Open("branch:", baseline.OpenOptions{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	keys := saveRuns(t, st, storedRun(t, 0, baseline.KindRun, "main", 100), storedRun(t, 1, baseline.KindRun, "main", 100))
	if code, _, stderr := perfgateIn(t, getenv, "baseline", "exclude", "--store", "branch:", keys[1]); code != exitPass {
		t.Fatalf("exclude: exit %d\n%s", code, stderr)
	}
	index, _ := fake.File("o", "r", baseline.DefaultBranch, "index.json")
	if !strings.Contains(string(index), keys[1]) {
		t.Errorf("index.json on the branch does not exclude %s:\n%s", keys[1], index)
	}
	rows := listed(t, getenv, "--store", "branch:"+baseline.DefaultBranch)
	if want := [][2]string{{keys[0], "-"}, {keys[1], "excluded"}}; !slices.Equal(rows, want) {
		t.Errorf("list = %v, want %v", rows, want)
	}
	// A token that cannot write: the store failed, exit 3, no token shown.
	fake.SetReadOnly(true)
	code, _, stderr := perfgateIn(t, getenv, "baseline", "pin", "--store", "branch:", keys[0])
	if code != exitNoTrust || !strings.Contains(stderr, "403") || strings.Contains(stderr, "ghs_t0ken") {
		t.Errorf("read-only pin: exit %d, stderr %q", code, stderr)
	}
}

// TestBaselineExcludeLeavesGateHistory checks that the gate's history
// honours the store's curation: "perfgate compare --history" compares with
// an outlier run until it is excluded.
func TestBaselineExcludeLeavesGateHistory(t *testing.T) {
	dir := t.TempDir()
	st, _ := baseline.NewDirStore(dir, 0)
	keys := saveRuns(t, st,
		storedRun(t, 0, baseline.KindRun, "main", 100),
		storedRun(t, 1, baseline.KindRun, "main", 100),
		storedRun(t, 2, baseline.KindRun, "main", 100),
		storedRun(t, 3, baseline.KindRun, "main", 100),
		storedRun(t, 4, baseline.KindRun, "main", 40)) // a broken deployment
	cand := filepath.Join(t.TempDir(), "cand.json")
	data, err := baseline.Encode(storedRun(t, 9, baseline.KindRun, "feature", 100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cand, data, 0o644); err != nil {
		t.Fatal(err)
	}
	history := func() (n int, base float64) {
		t.Helper()
		out := t.TempDir()
		code, stdout, stderr := perfgateIn(t, bareEnv, "compare", "--candidate", cand, "--history", dir, "--gate", "requests_per_s", "--out", out, "--fail-on", "never")
		if code != exitPass {
			t.Fatalf("compare: exit %d\n%s%s", code, stdout, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Checks []struct {
				Metric   string  `json:"metric"`
				History  int     `json:"history"`
				Baseline float64 `json:"baseline"`
			} `json:"checks"`
		}
		if err := json.Unmarshal(b, &r); err != nil || len(r.Checks) != 1 {
			t.Fatalf("report.json: %v\n%s", err, b)
		}
		return r.Checks[0].History, r.Checks[0].Baseline
	}
	n, withOutlier := history()
	if n != 5 {
		t.Errorf("history of %d runs, want 5", n)
	}
	if code, _, stderr := perfgateIn(t, bareEnv, "baseline", "exclude", "--store", dir, keys[4]); code != exitPass {
		t.Fatalf("exclude: exit %d\n%s", code, stderr)
	}
	n, without := history()
	if n != 4 || without < 98 || without > 102 || withOutlier > 95 {
		t.Errorf("after excluding the outlier: %d runs, baseline %.1f/s (%.1f/s with it); want 4 runs around 100/s", n, without, withOutlier)
	}
}

// TestBaselineHelpStatesRetention keeps the help text's numbers in step
// with the stores' retention constants.
func TestBaselineHelpStatesRetention(t *testing.T) {
	code, out, _ := perfgateIn(t, bareEnv, "baseline", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		fmt.Sprintf("newest %d unpinned", baseline.DefaultKeep),
		fmt.Sprintf("at least %d,", baseline.CalibrationRecords),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("help does not say %q:\n%s", want, out)
		}
	}
}
