package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/sim"
)

// TestActionPushCalibratesByItself: on a push to the default branch with a
// live baseline, the action stores the paired run as an A/A calibration
// record as well as the baseline, with no perfgate calibrate; a pull
// request's report then says how many A/A records its τ̂ came from and how
// old they are, and stores nothing.
func TestActionPushCalibratesByItself(t *testing.T) {
	if testing.Short() {
		t.Skip("runs load for several seconds")
	}
	h := newActionHarness(t)
	// The live baseline: a second deployment of the same build.
	cfg := sim.DefaultConfig()
	cfg.Slowdown, cfg.Seed = 5, 7
	base, _, stop, err := sim.Listen(cfg, "127.0.0.1:0", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	h.env["INPUT_BASELINE-URL"] = base
	// Two arms on a shared test machine: this test is about what is
	// stored, not about the client's timing (TestRunClientThatCannotKeepUpIsInvalid).
	h.env["PERFGATE_MAX_LAG"] = "10s"
	st, err := baseline.NewDirStore(filepath.Join(h.dir, "store"), 0)
	if err != nil {
		t.Fatal(err)
	}
	count := func(kind string) []*baseline.Record {
		recs, _, err := st.List(context.Background(), baseline.Query{Policy: "action-e2e", Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	for i := 1; i <= 2; i++ {
		code, stdout, stderr := h.run("push", "push_main.json")
		if code != exitPass {
			t.Fatalf("push %d: exit %d\n%s\n%s", i, code, stdout, stderr)
		}
		if !strings.Contains(stderr, "saved calibration record") {
			t.Errorf("push %d did not store a calibration record:\n%s", i, stderr)
		}
		cal := count(baseline.KindCalibration)
		if len(cal) != i || cal[0].Reference == nil || cal[0].Branch != "main" {
			t.Fatalf("push %d: %d calibration records, want %d with both arms", i, len(cal), i)
		}
		if runs := count(baseline.KindRun); len(runs) != i || runs[0].Reference != nil {
			t.Fatalf("push %d: %d run records, want %d without the reference arm", i, len(runs), i)
		}
	}

	code, stdout, stderr := h.run("pull_request", "pull_request_same_repo.json")
	if code == exitInvalid || code == exitNoTrust {
		t.Fatalf("PR: exit %d\n%s\n%s", code, stdout, stderr)
	}
	r := h.report()
	if r.Mode != "paired" || len(r.Calibration) != 1 {
		t.Fatalf("PR report: mode %q, calibration %+v", r.Mode, r.Calibration)
	}
	c := r.Calibration[0]
	if c.Records != 2 || c.Newest == "" || c.Oldest == "" || c.NewestAge == nil || *c.NewestAge < 0 || *c.OldestAge < *c.NewestAge {
		t.Errorf("PR report calibration %+v: want 2 A/A records with their ages", c)
	}
	for _, ch := range r.Checks {
		if ch.Kind == "regression" && ch.Mode == "paired" && ch.Noise != nil && ch.Noise.AARuns != 2 {
			t.Errorf("%s: τ̂ from %d A/A records, want 2", ch.Name, ch.Noise.AARuns)
		}
	}
	if cs := h.gh.Comments("acme", "chat", 42); len(cs) != 1 || !strings.Contains(cs[0].Body, "2 A/A records") {
		t.Errorf("the comment does not name the A/A records:\n%v", cs)
	}
	if n := len(count(baseline.KindCalibration)); n != 2 {
		t.Errorf("a PR run changed the calibration records: %d", n)
	}
}
