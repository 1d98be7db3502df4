//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/pipeline"
)

const shardPolicy = `name: "sharded"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "sim-llama-3.1-8b", stream: true, ready: {timeout: "5s", interval: "100ms"}}
workload: prompts: {input_tokens: 32, output_tokens: 16}
scenarios: steady: {rate: 60, arrival: "poisson", warmup: "500ms", duration: "2s", window: "500ms"}
slos: {"ttft.p95": "< 5s", "error_rate": "< 5%"}
regression: gate: ["e2e.p95", "ttft.p95"]
`

// runShards runs shards 1..n of a sharded run in n processes of their own
// (this test binary as perfgate) and returns their --out directories.
func runShards(t *testing.T, n int, pol string, extra ...string) []string {
	t.Helper()
	start := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
	var dirs []string
	var cmds []*exec.Cmd
	var errs []*bytes.Buffer
	for i := 1; i <= n; i++ {
		dir := t.TempDir()
		cmd, stderr := startPerfgate(t, append([]string{"run", "--policy", pol, "--shard", fmt.Sprintf("%d/%d", i, n), "--start-at", start, "--out", dir, "--quiet", "--max-lag", "1s"}, extra...)...)
		dirs, cmds, errs = append(dirs, dir), append(cmds, cmd), append(errs, stderr)
	}
	for i, cmd := range cmds {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("shard %d/%d: %v\n%s", i+1, n, err, errs[i])
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("shard %d/%d still running after 60 s\n%s", i+1, n, errs[i])
		}
		noCrash(t, errs[i].String())
	}
	return dirs
}

type shardCheckRow struct{ Scenario, Name, Kind, Mode string }

func shardReportChecks(t *testing.T, dir string) (mode string, rows []shardCheckRow) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Mode   string `json:"mode"`
		Checks []struct {
			Scenario, Name, Kind, Mode string
		} `json:"checks"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Checks {
		rows = append(rows, shardCheckRow{c.Scenario, c.Name, c.Kind, c.Mode})
	}
	return r.Mode, rows
}

// TestShardsMergeLikeOneRun runs 3 shards in separate processes against
// one simulator (paired: against two), merges them, and checks that the
// merge is exact (every window's histogram is the union of the shards'),
// that the shards together sent the whole schedule (each about a third),
// and that the merged report has the checks and mode a single run has; in
// history mode a merged run saved as the baseline is the history of the
// next merged run.
func TestShardsMergeLikeOneRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	cand := startSim(t, nil)
	base := startSim(t, nil)
	pol := writePolicy(t, shardPolicy)
	ctx := context.Background()

	t.Run("paired", func(t *testing.T) {
		dirs := runShards(t, 3, pol, "--target", cand, "--baseline-url", base)
		out := t.TempDir()
		code, stdout, stderr := perfgate(ctx, t, append([]string{"merge", "--policy", pol, "--out", out, "--quiet"}, dirs...)...)
		noCrash(t, stdout, stderr)
		if code != exitPass && code != exitFail {
			t.Fatalf("merge exit %d\n%s%s", code, stdout, stderr)
		}
		checkExact(t, dirs, out)
		single := t.TempDir()
		if code, _, stderr := perfgate(ctx, t, "run", "--policy", pol, "--target", cand, "--baseline-url", base, "--out", single, "--quiet", "--max-lag", "1s"); code != exitPass && code != exitFail {
			t.Fatalf("single run exit %d\n%s", code, stderr)
		}
		m1, c1 := shardReportChecks(t, out)
		m2, c2 := shardReportChecks(t, single)
		if m1 != "paired" || m1 != m2 || !slices.Equal(c1, c2) {
			t.Errorf("merged report: mode %s, checks %v\nsingle run: mode %s, checks %v", m1, c1, m2, c2)
		}
	})

	t.Run("history", func(t *testing.T) {
		store := t.TempDir()
		dirs := runShards(t, 3, pol, "--target", cand)
		code, stdout, stderr := perfgate(ctx, t, append([]string{"merge", "--policy", pol, "--out", t.TempDir(), "--store", store, "--save-baseline", "--branch", "main", "--quiet"}, dirs...)...)
		if code != exitPass {
			t.Fatalf("first merge exit %d\n%s%s", code, stdout, stderr)
		}
		dirs = runShards(t, 3, pol, "--target", cand)
		out := t.TempDir()
		code, stdout, stderr = perfgate(ctx, t, append([]string{"merge", "--policy", pol, "--out", out, "--store", store, "--branch", "pr", "--base-branch", "main", "--quiet"}, dirs...)...)
		noCrash(t, stdout, stderr)
		if code != exitPass && code != exitFail {
			t.Fatalf("second merge exit %d\n%s%s", code, stdout, stderr)
		}
		if mode, _ := shardReportChecks(t, out); mode != "history" {
			t.Errorf("mode %q, want history\n%s", mode, stdout)
		}
		checkExact(t, dirs, out)
	})
}

// checkExact compares the merged record in out with the union of the
// shards' recorded latencies, merged here apart from the code under test.
func checkExact(t *testing.T, dirs []string, out string) {
	t.Helper()
	shards, err := pipeline.ReadShards(dirs)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "records", "steady.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := baseline.Decode("steady.json", data)
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, s := range shards {
		total += s.Raw[0].Candidate.Achieved
	}
	for _, s := range shards {
		share := s.Raw[0].Candidate.Achieved / total
		if share < 0.2 || share > 0.47 {
			t.Errorf("shard %d/3 sent %.0f%% of the requests, want about a third", s.Index, 100*share)
		}
	}
	if diff := rec.Achieved - total; diff > 1e-6 || diff < -1e-6 {
		t.Errorf("merged rate %.3f req/s, the shards' sum %.3f", rec.Achieved, total)
	}
	for k, ws := range rec.Metrics[metric.E2E].Windows {
		union := load.NewHistogram(metric.E2E)
		var sent int64
		for _, s := range shards {
			w := s.Raw[0].Candidate.Windows[k]
			if err := load.MergeHistogram(union, w.Histogram(metric.E2E)); err != nil {
				t.Fatal(err)
			}
			sent += w.Sent
		}
		got, err := baseline.DecodeHist(ws.Hist)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []float64{50, 95, 99, 100} {
			if a, b := got.ValueAtQuantile(q), union.ValueAtQuantile(q); a != b {
				t.Errorf("window %d: merged e2e p%g %d, union of the shards %d", k, q, a, b)
			}
		}
		if got.TotalCount() != union.TotalCount() || rec.Windows[k].Sent != sent {
			t.Errorf("window %d: merged %d values / %d sent, the shards %d / %d", k, got.TotalCount(), rec.Windows[k].Sent, union.TotalCount(), sent)
		}
	}
}

// TestMergeRefusesBadShardSets checks that a missing, duplicated,
// mismatched or late shard is named, with exit 3, 2, 2 and 3.
func TestMergeRefusesBadShardSets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	url := startSim(t, nil)
	pol := writePolicy(t, shardPolicy)
	dirs := runShards(t, 3, pol, "--target", url)
	ctx := context.Background()
	edit := func(dir string, change func(map[string]any)) string {
		t.Helper()
		name := fmt.Sprintf("shard-%s-of-3.json", filepath.Base(dir)[len(filepath.Base(dir))-1:])
		matches, _ := filepath.Glob(filepath.Join(dir, "shard-*-of-3.json"))
		if len(matches) != 1 {
			t.Fatalf("%s: %v (%s)", dir, matches, name)
		}
		b, err := os.ReadFile(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		b, _ = json.Marshal(m)
		out := filepath.Join(t.TempDir(), filepath.Base(matches[0]))
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		wants []string
	}{
		{"missing", dirs[:2], exitNoTrust, []string{"shard 3/3 missing"}},
		{"duplicated", []string{dirs[0], dirs[1], dirs[2], edit(dirs[0], func(map[string]any) {})}, exitInvalid, []string{"shard 1/3 is there twice"}},
		{"mismatched", []string{dirs[0], edit(dirs[1], func(m map[string]any) { m["seed"] = 99.0 }), dirs[2]}, exitInvalid, []string{"shard 2/3 does not belong", "seed"}},
		{"cut short", []string{dirs[0], edit(dirs[1], func(m map[string]any) { m["partial"] = true }), dirs[2]}, exitNoTrust, []string{"shard 2/3 was cut short"}},
		{"late", []string{dirs[0], dirs[1], edit(dirs[2], func(m map[string]any) {
			m["raw"].([]any)[0].(map[string]any)["Candidate"].(map[string]any)["StartLag"] = float64(5 * time.Second)
		})}, exitNoTrust, []string{"shard 3/3 started 5s after the agreed start"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := perfgate(ctx, t, append([]string{"merge", "--policy", pol, "--out", out, "--quiet"}, tc.args...)...)
			noCrash(t, stdout, stderr)
			all := stdout + stderr
			if tc.name == "late" {
				b, _ := os.ReadFile(filepath.Join(out, "report.json"))
				all += string(b)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, all)
			}
			for _, w := range tc.wants {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestShardedCapacityLadder runs a capacity scenario in 2 shards: each
// steps through the same fixed ladder at half of each rate, and the merge
// judges the whole rates and finds a capacity as a search would.
func TestShardedCapacityLadder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	url := startSim(t, nil)
	pol := writePolicy(t, strings.Replace(shardPolicy, `steady: {rate: 60, arrival: "poisson", warmup: "500ms", duration: "2s", window: "500ms"}`,
		`capacity: {search: {from: 10, to: 40}, budget: "3s", step: "1s", warmup: "500ms", window: "500ms"}`, 1))
	dirs := runShards(t, 2, pol, "--target", url)
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, append([]string{"merge", "--policy", pol, "--out", out, "--quiet"}, dirs...)...)
	noCrash(t, stdout, stderr)
	if code != exitPass {
		t.Fatalf("merge exit %d\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "records", "capacity.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := baseline.Decode("capacity.json", data)
	if err != nil {
		t.Fatal(err)
	}
	c := rec.Capacity
	if c == nil || len(c.Steps) != 3 {
		t.Fatalf("capacity %+v, want 3 steps (10, 20, 40 req/s)", c)
	}
	for i, want := range []float64{10, 20, 40} {
		st := c.Steps[i]
		if st.Rate < want*0.999 || st.Rate > want*1.001 || st.Achieved < want*0.9 || !st.Met {
			t.Errorf("step %d: rate %.2f, achieved %.2f, met %v; want %g req/s sent by both shards together, met", i, st.Rate, st.Achieved, st.Met, want)
		}
	}
	if c.RPS < 39.9 {
		t.Errorf("capacity %.1f req/s, want 40 (every step met the SLOs)", c.RPS)
	}
}

// TestActionMergesShards: the action's shards input merges a sharded run's
// records instead of sending load: on a push it saves the merged run as
// the baseline, on a pull request it compares with it and comments.
func TestActionMergesShards(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	h := newActionHarness(t)
	h.env["INPUT_TARGET"] = "http://127.0.0.1:1" // a merge sends nothing
	for _, step := range []struct{ event, fixture string }{{"push", "push_main.json"}, {"pull_request", "pull_request_same_repo.json"}} {
		dirs := runShards(t, 2, h.env["INPUT_POLICY"], "--target", h.simURL)
		h.env["INPUT_SHARDS"] = strings.Join(dirs, "\n")
		code, stdout, stderr := h.run(step.event, step.fixture)
		noCrash(t, stdout, stderr)
		if code != exitPass {
			t.Fatalf("%s: exit %d\n%s\n%s", step.event, code, stdout, stderr)
		}
		if !strings.Contains(stderr, "merged 2 shards") {
			t.Errorf("%s: no merge:\n%s", step.event, stderr)
		}
	}
	if r := h.report(); r.Mode != "history" {
		t.Errorf("the pull request's merged run: mode %q, want history against the merged run saved on main", r.Mode)
	}
	if cs := h.gh.Comments("acme", "chat", 42); len(cs) != 1 {
		t.Errorf("%d comments, want 1", len(cs))
	}
}
