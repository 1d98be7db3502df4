package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/pipeline"
)

func TestExitCode(t *testing.T) {
	result := func(o gate.Outcome) *pipeline.Result { return &pipeline.Result{Verdict: &gate.Verdict{Outcome: o}} }
	for _, tc := range []struct {
		err    error
		res    *pipeline.Result
		failOn string
		want   int
	}{
		{nil, result(gate.Pass), "fail", exitPass},
		{nil, result(gate.Warn), "fail", exitPass},
		{nil, result(gate.Warn), "warn", exitFail},
		{nil, result(gate.Fail), "fail", exitFail},
		{nil, result(gate.Fail), "never", exitPass},
		{nil, result(gate.Invalid), "never", exitNoTrust},
		{&pipeline.InvalidError{What: "bad flag"}, nil, "fail", exitInvalid},
		{fmt.Errorf("--history: %w", &pipeline.InvalidError{File: "x.json"}), nil, "fail", exitInvalid},
		{fmt.Errorf("%w: target not ready", pipeline.ErrCannotMeasure), nil, "fail", exitNoTrust},
		{pipeline.ErrInterrupted, result(gate.Pass), "never", exitNoTrust},
		{errors.New("saving the steady baseline: conflict"), result(gate.Pass), "fail", exitNoTrust},
		{nil, nil, "never", exitPass}, // publishing a report judges nothing
		{nil, nil, "fail", exitNoTrust},
	} {
		if got := pipeline.ExitCode(tc.err, tc.res, tc.failOn); got != tc.want {
			t.Errorf("pipeline.ExitCode(%v, %+v, %q) = %d, want %d", tc.err, tc.res, tc.failOn, got, tc.want)
		}
	}
}

// TestCompareWithACostModelPlansCapacity: perfgate compare under a policy
// with a cost model reports replicas and cost, as perfgate run does.
func TestCompareWithACostModelPlansCapacity(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	dir := t.TempDir()
	cand, base := syntheticRecord(t, rng, 100, 1), syntheticRecord(t, rng, 100, 1)
	cand.Policy, base.Policy = "chat-api", "chat-api"
	cand.Capacity, base.Capacity = &baseline.Capacity{RPS: 30}, &baseline.Capacity{RPS: 40}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := perfgate(context.Background(), t, "compare", "--candidate", writeRecord(t, dir, "c.json", cand),
		"--baseline", writeRecord(t, dir, "b.json", base), "--policy", "../../policies/examples/llm-chat.cue", "--out", out)
	if code == exitInvalid || code == exitNoTrust {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	js, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil || !strings.Contains(string(js), `"replicas"`) {
		t.Errorf("report.json has no capacity plan (%v):\n%s", err, js)
	}
}

// TestKeepPrunesTheStore: --keep reaches the store, which keeps the newest
// N runs of a group.
func TestKeepPrunesTheStore(t *testing.T) {
	dir := t.TempDir()
	st, err := pipeline.OpenStore("dir:"+dir, 2, testGetenv, nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 4; i++ {
		rec := syntheticRecord(t, rng, 100, 1)
		rec.Branch, rec.Time = "main", rec.Time.Add(time.Duration(i)*time.Hour)
		if _, err := st.Save(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	recs, _, err := st.List(context.Background(), baseline.Query{Branch: "main"})
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records kept (err %v), want 2", len(recs), err)
	}
	if st, err := pipeline.OpenStore("none", 2, testGetenv, nil, "", ""); st != nil || err != nil {
		t.Errorf("store none: %v, %v", st, err)
	}
	if _, err := pipeline.OpenStore("branch:b", 0, testGetenv, nil, "", ""); err == nil || !strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Errorf("branch store without a token: %v", err)
	}
}
