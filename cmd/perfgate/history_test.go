package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
)

const historyPolicy = `name: "bl"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "m"}
workload: prompts: {input_tokens: 64, output_tokens: 16}
scenarios: steady: {rate: 10, duration: "30s"}
regression: gate: ["requests_per_s", "error_rate"]
`

// TestHistoryCommand stores five runs of main (rates 10..14 req/s), one of
// a branch and an excluded one, and prints the trend as a table, JSON and
// CSV: main's runs oldest first with their values, the branch filter, the
// excluded run left out; bad input is exit 2.
func TestHistoryCommand(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "bl.cue")
	os.WriteFile(pol, []byte(historyPolicy), 0o644)
	store := filepath.Join(dir, "store")
	st, err := baseline.Open(store, baseline.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		saveRuns(t, st, storedRun(t, i, baseline.KindRun, "main", float64(10+i)))
	}
	saveRuns(t, st, storedRun(t, 7, baseline.KindRun, "feature", 99))
	bad := saveRuns(t, st, storedRun(t, 8, baseline.KindRun, "main", 1000))
	if err := st.Exclude(t.Context(), bad[0]); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := perfgateIn(t, bareEnv, "history", pol, "--store", store, "--branch", "main")
	if code != exitPass {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"steady · requests_per_s  ▁▂▄▆█", "aaaaaaa", "eeeeeee", "+40.0%", "steady · error_rate"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "1,000") || strings.Contains(stdout, "99.0") {
		t.Errorf("an excluded run or another branch's in the table:\n%s", stdout)
	}

	code, stdout, _ = perfgateIn(t, bareEnv, "history", "--policy", pol, "--store", store, "--metric", "requests_per_s", "--format", "json")
	var trends []gate.Trend
	if code != exitPass || json.Unmarshal([]byte(stdout), &trends) != nil || len(trends) != 1 {
		t.Fatalf("json: exit %d\n%s", code, stdout)
	}
	var vals []float64
	for _, p := range trends[0].Points {
		vals = append(vals, p.Value)
	}
	if len(vals) != 6 || vals[0] != 10 || vals[4] != 14 || vals[5] != 99 {
		t.Errorf("json values %v, want 10..14 then the branch's 99, by time", vals)
	}

	code, stdout, _ = perfgateIn(t, bareEnv, "history", pol, "--store", store, "--branch", "main", "--metric", "requests_per_s", "--format", "csv", "--limit", "3")
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != exitPass || err != nil || len(rows) != 4 || rows[0][7] != "value" || rows[1][7] != "12" || rows[3][7] != "14" {
		t.Errorf("csv (the newest 3): exit %d %v\n%s", code, err, stdout)
	}

	for _, args := range [][]string{
		{"history", pol},
		{"history", pol, "--store", store, "--format", "xml"},
		{"history", pol, "--store", store, "--scenario", "stedy"},
		{"history", pol, "--store", store, "--metric", "nope.p95"},
		{"history", "--store", store},
	} {
		if code, _, stderr := perfgateIn(t, bareEnv, args...); code != exitInvalid || stderr == "" {
			t.Errorf("%v: exit %d, want 2 with a message", args, code)
		}
	}
}
