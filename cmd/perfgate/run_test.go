package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/sim"
)

// testPolicy is a short steady scenario against a streaming chat API: 12
// windows of 0.5 s at 40 req/s, so each window holds about 20 requests.
const testPolicy = `name: "e2e-test"
target: {
	url: "http://127.0.0.1:1"
	api: "openai-chat"
	model: "sim-llama-3.1-8b"
	ready: {timeout: "5s", interval: "100ms"}
}
workload: prompts: {input_tokens: 64, output_tokens: 32}
scenarios: steady: {rate: 40, warmup: "1s", duration: "6s", window: "500ms"}
slos: {"tpot.p50": "< 200ms", "error_rate": "< 5%"}
regression: gate: ["e2e.p50", "tpot.p50", "output_tokens_per_s"]
`

func startSim(t *testing.T, mutate func(*sim.Config)) string {
	t.Helper()
	cfg := sim.DefaultConfig().NoNoise()
	if mutate != nil {
		mutate(&cfg)
	}
	url, _, stop, err := sim.Listen(cfg, "127.0.0.1:0", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}

// serveSim serves a simulator of cfg on a test server and returns it (for
// its ground truth) with the server (srv.URL is the target).
func serveSim(t *testing.T, cfg sim.Config) (*sim.Server, *httptest.Server) {
	t.Helper()
	s, err := sim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); s.Close() })
	return s, srv
}

func writePolicy(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.cue")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// perfgate runs the CLI in process and returns its exit code and outputs.
func perfgate(ctx context.Context, t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, testGetenv, &out, &errb)
	return code, out.String(), errb.String()
}

// testGetenv is the environment of in-process runs. The load tests share
// two cores with the rest of the suite, where the scheduler can stall a
// process for a few hundred milliseconds: they test the gate's logic, so
// they allow the client far more schedule lag than a dedicated runner needs
// (TestRunClientThatCannotKeepUpIsInvalid tests the validity check).
func testGetenv(k string) string {
	if k == "PERFGATE_MAX_LAG" {
		return "400ms"
	}
	return ""
}

type reportFile struct {
	Schema  string `json:"schema"`
	Verdict string `json:"verdict"`
	Checks  []struct {
		Scenario string `json:"scenario"`
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Verdict  string `json:"verdict"`
		Reason   string `json:"reason"`
	} `json:"checks"`
}

func readReport(t *testing.T, dir string) reportFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reportFile
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	for _, f := range []string{"comment.md", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	return r
}

func TestRunPairedUnchangedNeverFails(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	base := startSim(t, func(c *sim.Config) { c.Seed = 1 })
	cand := startSim(t, func(c *sim.Config) { c.Seed = 2 })
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, testPolicy), "--target", cand, "--baseline-url", base, "--out", out, "--quiet", "--max-lag", "1s")
	r := readReport(t, out)
	// Without A/A records the prior τ cannot rule out +10%, so an
	// unchanged candidate may warn; it must never fail.
	if code != exitPass || r.Verdict == "fail" {
		t.Fatalf("unchanged candidate: exit %d, verdict %s\n%s\n%s", code, r.Verdict, stdout, stderr)
	}
}

func TestRunPairedSlowdownFailsNamingTheMetric(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	base := startSim(t, func(c *sim.Config) { c.Seed = 1 })
	// Uncalibrated (no A/A records, the prior τ with heavy tails) a paired
	// run resolves changes of about +70% on the medians
	// (docs/evaluation.md): a decode 60% slower is well beyond it.
	cand := startSim(t, func(c *sim.Config) { c.Seed = 2; c.DecodeSlowdown = 1.6 })
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, testPolicy), "--target", cand, "--baseline-url", base, "--out", out, "--quiet", "--max-lag", "1s")
	r := readReport(t, out)
	if code != exitFail || r.Verdict != "fail" {
		t.Fatalf("decode 60%% slower: exit %d, verdict %s\n%s\n%s", code, r.Verdict, stdout, stderr)
	}
	failed := map[string]bool{}
	for _, c := range r.Checks {
		if c.Verdict == "fail" {
			failed[c.Name] = true
		}
	}
	if !failed["tpot.p50"] {
		t.Errorf("tpot.p50 did not fail; failed: %v\n%s", failed, stdout)
	}
	if !strings.Contains(stdout, "tpot.p50") {
		t.Errorf("the summary does not name tpot.p50:\n%s", stdout)
	}
}

func TestRunUnreachableTargetExits3(t *testing.T) {
	pol := strings.Replace(testPolicy, `ready: {timeout: "5s", interval: "100ms"}`, `ready: {timeout: "600ms", interval: "100ms"}`, 1)
	code, _, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, pol), "--target", "http://127.0.0.1:1", "--out", t.TempDir(), "--quiet")
	if code != exitNoTrust {
		t.Fatalf("exit %d, want 3; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "not ready") || !strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("unclear message: %s", stderr)
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("stack trace in output: %s", stderr)
	}
}

func TestRunClientThatCannotKeepUpIsInvalid(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	url := startSim(t, nil)
	// A /health probe plus an http workload against the cheapest endpoint,
	// at a rate no 2-core machine can send.
	pol := `name: "too-fast"
target: {url: "http://127.0.0.1:1", api: "http", ready: {timeout: "5s"}}
workload: requests: [{method: "GET", path: "/health"}]
scenarios: steady: {rate: 500000, warmup: "200ms", duration: "1s", window: "500ms", max_in_flight: 64}
`
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, pol), "--target", url, "--out", out, "--quiet")
	r := readReport(t, out)
	if code != exitNoTrust || r.Verdict != "invalid" {
		t.Fatalf("exit %d verdict %s, want 3/invalid\n%s\n%s", code, r.Verdict, stdout, stderr)
	}
}

func TestRunInterruptedWritesPartialReport(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	url := startSim(t, nil)
	pol := strings.Replace(testPolicy, `duration: "6s"`, `duration: "30s"`, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	out := t.TempDir()
	start := time.Now()
	code, stdout, stderr := perfgate(ctx, t, "run", "--policy", writePolicy(t, pol), "--target", url, "--out", out, "--quiet")
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("cancellation took %v", took)
	}
	r := readReport(t, out)
	if code != exitNoTrust || r.Verdict != "invalid" {
		t.Fatalf("exit %d verdict %s\n%s\n%s", code, r.Verdict, stdout, stderr)
	}
	md, _ := os.ReadFile(filepath.Join(out, "comment.md"))
	if !strings.Contains(strings.ToLower(string(md)), "cut short") && !strings.Contains(strings.ToLower(string(md)), "partial") {
		t.Errorf("comment does not say the run was partial:\n%s", md)
	}
}

func TestRunSavesBaselineAndComparesHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	url := startSim(t, nil)
	pol := writePolicy(t, strings.Replace(testPolicy, `duration: "6s"`, `duration: "2s"`, 1))
	store := t.TempDir()
	for i := 0; i < 3; i++ {
		code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", pol, "--target", url, "--store", store, "--save-baseline", "--branch", "main", "--commit", "abc", "--out", t.TempDir(), "--quiet")
		if code != exitPass {
			t.Fatalf("baseline run %d: exit %d\n%s\n%s", i, code, stdout, stderr)
		}
	}
	st, err := baseline.NewDirStore(store, 0)
	if err != nil {
		t.Fatal(err)
	}
	recs, skipped, err := st.List(context.Background(), baseline.Query{Policy: "e2e-test", Branch: "main"})
	if err != nil || len(skipped) > 0 || len(recs) != 3 {
		t.Fatalf("stored %d records (skipped %v, err %v), want 3", len(recs), skipped, err)
	}
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", pol, "--target", url, "--store", store, "--branch", "feature", "--base-branch", "main", "--out", out, "--quiet")
	r := readReport(t, out)
	if code == exitInvalid || code == exitNoTrust {
		t.Fatalf("history run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	judged := false
	for _, c := range r.Checks {
		if c.Kind == "regression" && c.Name == "tpot.p50" && !strings.Contains(c.Reason, "no baseline") {
			judged = true
		}
	}
	if !judged {
		t.Errorf("tpot.p50 was not compared with the stored history:\n%s", stdout)
	}
}

func TestCalibrateStoresAARecords(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	a := startSim(t, func(c *sim.Config) { c.Seed = 1 })
	b := startSim(t, func(c *sim.Config) { c.Seed = 2 })
	pol := writePolicy(t, strings.Replace(testPolicy, `duration: "6s"`, `duration: "2s"`, 1))
	store := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "calibrate", "--policy", pol, "--target", a, "--baseline-url", b, "--store", store, "--out", t.TempDir(), "--quiet")
	if code != exitPass {
		t.Fatalf("calibrate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	st, _ := baseline.NewDirStore(store, 0)
	recs, _, err := st.List(context.Background(), baseline.Query{Policy: "e2e-test", Kind: baseline.KindCalibration})
	if err != nil || len(recs) != 1 || recs[0].Reference == nil {
		t.Fatalf("calibration records: %d (err %v)", len(recs), err)
	}
	// Without a second deployment there is nothing to calibrate.
	code, _, stderr = perfgate(context.Background(), t, "calibrate", "--policy", pol, "--target", a, "--store", store)
	if code != exitInvalid || !strings.Contains(stderr, "baseline-url") {
		t.Errorf("calibrate without a baseline URL: exit %d, %s", code, stderr)
	}
}
