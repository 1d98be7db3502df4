package pipeline

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/gate"
)

// TestUndecidedRunIsExtended: an uncalibrated paired run cannot rule out
// +10% on e2e.p50, so with regression.extend it goes on to the longest run
// allowed, in segments of the planned duration, and the checks are judged
// at the α its last look left.
func TestUndecidedRunIsExtended(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	src := strings.Replace(briefPolicy, `regression: gate: ["e2e.p50", "error_rate"]`, `regression: {gate: ["e2e.p50", "error_rate"], extend: "2s"}`, 1)
	p := parse(t, src)
	base, cand := startSim(t), startSim(t)
	var log, prog bytes.Buffer
	res, err := Run(context.Background(), p, Options{TargetURL: cand, BaselineURL: base, MaxLag: testMaxLag, Log: &log, Progress: &prog})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(res.Verdict.Looks) != 1 {
		t.Fatalf("looks %+v", res.Verdict.Looks)
	}
	l := res.Verdict.Looks[0]
	if len(l.At) != 3 || math.Abs(l.At[0]-1) > 1e-9 || math.Abs(l.At[2]-3) > 1e-9 || l.Max != 3 || l.Why != gate.LooksLimit {
		t.Errorf("looks %+v: want 1 s, 2 s, 3 s up to the limit", l)
	}
	if want := gate.LookAlpha(0.05, 2.0/3, 1); math.Abs(l.Alpha-want) > 1e-12 {
		t.Errorf("last look α %v, want %v", l.Alpha, want)
	}
	rec := res.Records[0]
	if len(rec.Windows) != 12 || rec.Reference == nil || len(rec.Reference.Windows) != 12 {
		t.Errorf("joined record: %d windows (reference %v)", len(rec.Windows), rec.Reference != nil)
	}
	var c gate.Check
	for _, ch := range res.Verdict.Checks {
		if ch.Name == "e2e.p50" && ch.Kind == gate.KindRegression {
			c = ch
		}
	}
	// 20 req/s for 3 s (5 a window are too few for per-window medians:
	// it is judged pooled).
	if c.Samples < 50 || math.Abs(c.Confidence-(1-l.Alpha)) > 1e-12 {
		t.Errorf("e2e.p50 judged over %d samples at %v, want about 60 at %v", c.Samples, c.Confidence, 1-l.Alpha)
	}
	// Comparing the stored record again rebuilds its looks from its span.
	again, err := Compare(p, Comparison{Candidate: rec}, Options{})
	if err != nil || len(again.Verdict.Looks) != 1 || len(again.Verdict.Looks[0].At) != 3 || again.Verdict.Looks[0].Alpha != l.Alpha {
		t.Errorf("compare: %v, looks %+v", err, again.Verdict.Looks)
	}
	if !strings.Contains(res.Markdown, "- Looks: steady: extended: 3 looks") || !strings.Contains(prog.String(), "looking again after 1s more") {
		t.Errorf("the looks are not reported:\n%s\n%s", res.Markdown, prog.String())
	}
}
