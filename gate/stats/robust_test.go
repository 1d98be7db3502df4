package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNoPanics feeds every entry point seeded random inputs that include
// empty slices, NaN, infinities, zeros and extreme values; none may panic.
func TestNoPanics(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	special := []float64{0, math.NaN(), math.Inf(1), math.Inf(-1), 1e308, -1e-308, 1}
	sample := func() []float64 {
		x := make([]float64, rng.IntN(6))
		for i := range x {
			if rng.IntN(3) == 0 {
				x[i] = special[rng.IntN(len(special))]
			} else {
				x[i] = rng.NormFloat64()
			}
		}
		return x
	}
	num := func() float64 { return special[rng.IntN(len(special))] * rng.Float64() }
	for i := 0; i < 2000; i++ {
		d := sample()
		SignedRank(d)
		HodgesLehmannBounds(d, num())
		Holm(d)
		HolmStepDown(d, num())
		r, err := Paired(PairedInput{D: d, Tau2: num(), NAA: rng.IntN(8) - 1, PriorTau2: num(), DF: DFMethod(rng.IntN(3))})
		if err == nil {
			r.Lower(num())
			r.Upper(num())
			r.PExceeds(num())
			r.MDE(num(), num(), num())
		}
		Lag1(d)
		Summarize(d)
		TauSquared([]PairedSummary{{Mean: num(), SD: num(), W: rng.IntN(4) - 1}, {Mean: num(), SD: num(), W: 3}})
		History(num(), num(), d)
		Jackknife(len(d), func(j int) float64 { return d[j] })
		Wilson(rng.IntN(5)-1, rng.IntN(5)-1, num())
		NewcombeDiff(rng.IntN(5)-1, rng.IntN(5)-1, rng.IntN(5)-1, rng.IntN(5)-1, num())
		Decide(num(), num(), num(), num())
		Explain(num(), num(), num(), num())
		TQuantile(num(), num())
		TCDF(num(), num())
	}
}
