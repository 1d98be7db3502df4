package pipeline

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
)

// TestSavedCalibrationsAgeOut: every paired run saved as a baseline is
// also an A/A calibration record, and the store keeps the newest
// baseline.CalibrationRecords of them (what the gate reads), whatever its
// keep, dropping the oldest.
func TestSavedCalibrationsAgeOut(t *testing.T) {
	ctx := context.Background()
	st, err := baseline.NewDirStore(t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Store: st, SaveBaseline: true}
	rng := rand.New(rand.NewPCG(41, 42))
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	n := baseline.CalibrationRecords + 5
	for i := 0; i < n; i++ {
		when := start.Add(time.Duration(i) * 24 * time.Hour)
		rec := storedRecord(rng, baseline.KindRun, when, 100, 0.03)
		rec.Reference = storedRecord(rng, baseline.KindRun, when, 100, 0.03)
		if err := saveRecords(ctx, o, &gate.Verdict{Outcome: gate.Pass}, []*baseline.Record{rec}); err != nil {
			t.Fatal(err)
		}
	}
	cal, _, err := st.List(ctx, baseline.Query{Policy: "plan-test", Kind: baseline.KindCalibration})
	if err != nil {
		t.Fatal(err)
	}
	if len(cal) != baseline.CalibrationRecords {
		t.Fatalf("%d calibration records kept, want %d", len(cal), baseline.CalibrationRecords)
	}
	if oldest := cal[len(cal)-1].Time; !oldest.Equal(start.Add(time.Duration(n-baseline.CalibrationRecords) * 24 * time.Hour)) {
		t.Errorf("oldest calibration kept is from %v: the oldest did not age out first", oldest)
	}
	runs, _, _ := st.List(ctx, baseline.Query{Policy: "plan-test", Kind: baseline.KindRun})
	if len(runs) != 3 {
		t.Errorf("%d run records kept with keep 3", len(runs))
	}
}
