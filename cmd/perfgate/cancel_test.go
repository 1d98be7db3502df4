package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/policies"
)

// cancelAfter cancels the returned context d from now and records when.
func cancelAfter(d time.Duration) (context.Context, func() time.Time, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var at time.Time
	timer := time.AfterFunc(d, func() {
		mu.Lock()
		at = time.Now()
		mu.Unlock()
		cancel()
	})
	return ctx, func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return at
	}, func() { timer.Stop(); cancel() }
}

// TestCancelInEveryPhase cancels perfgate run (as SIGTERM does through
// main's signal context) while it waits for readiness, warms up, measures
// (against a healthy and a hanging target) and searches capacity. Each
// time it returns within 5 s of the cancellation, exits 3 and leaves a
// partial report.
func TestCancelInEveryPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	simURL := startSim(t, nil)
	coldSim := startSim(t, func(c *sim.Config) { c.ColdStart = time.Minute })
	hang := faultServer(t, func(w http.ResponseWriter, r *http.Request) { waitOrGone(r, 20*time.Second) })
	steady := func(warmup, duration string) string {
		return strings.Replace(strings.Replace(testPolicy, `warmup: "1s"`, `warmup: "`+warmup+`"`, 1), `duration: "6s"`, `duration: "`+duration+`"`, 1)
	}
	capacity := strings.Replace(testPolicy, `scenarios: steady: {rate: 40, warmup: "1s", duration: "6s", window: "500ms"}`,
		`scenarios: capacity: {search: {from: 5, to: 400}, budget: "30s", step: "2s", warmup: "200ms", window: "500ms"}`, 1)
	if capacity == testPolicy {
		t.Fatal("capacity policy not built")
	}
	hanging := strings.Replace(steady("0s", "20s"), `ready: {timeout: "5s", interval: "100ms"}`, `timeout: "60s"
	ready: {timeout: "5s", interval: "100ms"}`, 1)
	cases := []struct {
		name, policy, target string
		after                time.Duration
		stderr               string // a phrase of the message
	}{
		{"readiness wait", testPolicy, coldSim, 400 * time.Millisecond, "interrupted before anything was measured"},
		{"warm-up", steady("4s", "5s"), simURL, 1200 * time.Millisecond, ""},
		{"measuring", steady("300ms", "20s"), simURL, 1500 * time.Millisecond, ""},
		{"measuring, target hangs", hanging, hang.URL, 1500 * time.Millisecond, ""},
		{"capacity search", capacity, simURL, 2 * time.Second, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancelledAt, stop := cancelAfter(tc.after)
			defer stop()
			out := t.TempDir()
			code, stdout, stderr := perfgate(ctx, t, "run", "--policy", writePolicy(t, tc.policy), "--target", tc.target, "--out", out, "--quiet")
			returned := time.Now()
			noCrash(t, stdout, stderr)
			at := cancelledAt()
			if at.IsZero() {
				t.Fatalf("finished before the cancellation: exit %d\n%s\n%s", code, stdout, stderr)
			}
			took := returned.Sub(at)
			t.Logf("returned %v after the cancellation", took.Round(time.Millisecond))
			if took > 5*time.Second {
				t.Errorf("returned %v after the cancellation, want within 5 s", took)
			}
			if code != exitNoTrust {
				t.Errorf("exit %d, want 3\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr does not say %q:\n%s", tc.stderr, stderr)
			}
			r := readRunReport(t, out)
			if r.Verdict != "invalid" || !r.Partial {
				t.Errorf("report verdict %s, partial %v; want a partial invalid report", r.Verdict, r.Partial)
			}
		})
	}
}

// blockingStore is a store whose Save waits for the context, as a slow
// branch store would.
type blockingStore struct {
	baseline.Store
	entered chan struct{}
	once    sync.Once
}

func (s *blockingStore) Save(ctx context.Context, r *baseline.Record) (string, error) {
	s.once.Do(func() { close(s.entered) })
	<-ctx.Done()
	return "", ctx.Err()
}

// TestCancelWhileSaving cancels the run while it saves its baseline: the
// reports are already written, nothing half-saved remains, and the run
// exits 3 naming what failed within 5 s.
func TestCancelWhileSaving(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	url := startSim(t, nil)
	dir := t.TempDir()
	ds, err := baseline.NewDirStore(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	st := &blockingStore{Store: ds, entered: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	go func() {
		select {
		case <-st.entered:
			cancelledAt = time.Now()
			cancel()
		case <-time.After(30 * time.Second):
		}
	}()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	pol := writePolicy(t, strings.Replace(strings.Replace(testPolicy, `duration: "6s"`, `duration: "1s"`, 1), `warmup: "1s"`, `warmup: "300ms"`, 1))
	p, err := policies.ParseFile(pol)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.Run(ctx, p, pipeline.Options{TargetURL: url, Store: st, OutDir: out, SaveBaseline: true, Branch: "main", MaxLag: time.Second, Log: &stderr})
	code := finish(&env{getenv: func(string) string { return "" }, stdout: &stdout, stderr: &stderr}, err, res, "")
	returned := time.Now()
	noCrash(t, stdout.String(), stderr.String())
	if cancelledAt.IsZero() {
		t.Fatalf("Save was never called: exit %d\n%s", code, stderr.String())
	}
	if took := returned.Sub(cancelledAt); took > 5*time.Second {
		t.Errorf("returned %v after the cancellation", took)
	}
	t.Logf("returned %v after the cancellation", returned.Sub(cancelledAt).Round(time.Millisecond))
	if code != exitNoTrust || !strings.Contains(stderr.String(), "saving") {
		t.Errorf("exit %d, want 3 naming the save:\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); err != nil {
		t.Errorf("no report: %v", err)
	}
	recs, skipped, err := ds.List(context.Background(), baseline.Query{})
	if err != nil || len(skipped) > 0 || len(recs) != 0 {
		t.Errorf("store holds %d records, skipped %v, err %v; want nothing", len(recs), skipped, err)
	}
}
