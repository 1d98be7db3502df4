package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestHolmPublished(t *testing.T) {
	// The worked example of the Wikipedia article "Holm–Bonferroni method":
	// four hypotheses with p = 0.01, 0.04, 0.03, 0.005 at alpha = 0.05.
	// 0.005 < 0.05/4 and 0.01 < 0.05/3 are rejected; 0.03 > 0.05/2 stops the
	// procedure, so 0.03 and 0.04 are not rejected.
	// R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02.
	p := []float64{0.01, 0.04, 0.03, 0.005}
	want := []float64{0.03, 0.06, 0.06, 0.02}
	got := Holm(p)
	for i := range want {
		if !approx(got[i], want[i], 1e-15) {
			t.Errorf("Holm[%d]=%v, want %v", i, got[i], want[i])
		}
	}
	thr, rej := HolmStepDown(p, 0.05)
	wantThr := []float64{0.05 / 3, 0.05, 0.05 / 2, 0.05 / 4}
	wantRej := []bool{true, false, false, true}
	for i := range p {
		if !approx(thr[i], wantThr[i], 1e-15) || rej[i] != wantRej[i] {
			t.Errorf("test %d: threshold %v reject %v, want %v %v", i, thr[i], rej[i], wantThr[i], wantRej[i])
		}
	}

	// Adjusted values are capped at 1 and NaN is excluded from m, as R does
	// with NA: p.adjust(c(0.02, NA, 0.6, 0.01), "holm") = 0.04 NA 0.6 0.03.
	got = Holm([]float64{0.02, math.NaN(), 0.6, 0.01})
	if !approx(got[0], 0.04, 1e-15) || !math.IsNaN(got[1]) || !approx(got[2], 0.6, 1e-15) || !approx(got[3], 0.03, 1e-15) {
		t.Errorf("with NaN: %v", got)
	}
	if got := Holm([]float64{0.4, 0.5}); got[0] != 0.8 || got[1] != 0.8 {
		t.Errorf("monotone: %v, want 0.8 0.8", got)
	}
	if got := Holm([]float64{0.9, 0.7}); got[0] != 1 || got[1] != 1 {
		t.Errorf("cap: %v, want 1 1", got)
	}
	if got := Holm(nil); len(got) != 0 {
		t.Errorf("nil: %v", got)
	}
}

func TestHolmStepDownStops(t *testing.T) {
	// Sorted p: 0.03 > 0.05/2 is not rejected, so 0.04 <= 0.05 is not
	// rejected either, although it is below its own threshold.
	thr, rej := HolmStepDown([]float64{0.04, 0.03}, 0.05)
	if rej[0] || rej[1] || thr[0] != 0.05 || thr[1] != 0.025 {
		t.Errorf("thresholds %v reject %v", thr, rej)
	}
}

func TestHolmStepDownAgreesWithAdjusted(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 500; trial++ {
		m := 1 + rng.IntN(8)
		p := make([]float64, m)
		for i := range p {
			p[i] = rng.Float64() * 0.1
		}
		adj := Holm(p)
		_, rej := HolmStepDown(p, 0.05)
		for i := range p {
			if rej[i] != (adj[i] <= 0.05) {
				t.Fatalf("p=%v: reject %v but adjusted %v", p, rej, adj)
			}
		}
	}
}
