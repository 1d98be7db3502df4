package stats_test

import (
	"fmt"
	"math"

	"github.com/perfgate/perfgate/gate/stats"
)

// A duet run: twelve per-window log-ratios of p95 latency, τ² learned from
// ten stored A/A runs, judged with δ = 3% and Δ = 10%.
func ExamplePaired() {
	ratios := []float64{1.061, 1.052, 1.070, 1.049, 1.066, 1.058, 1.071, 1.047, 1.063, 1.055, 1.068, 1.060}
	d := make([]float64, len(ratios))
	for i, r := range ratios {
		d[i] = math.Log(r) // candidate/baseline; latency: higher is worse
	}
	aa := []stats.PairedSummary{
		{Mean: 0.004, SD: 0.010, W: 12}, {Mean: -0.006, SD: 0.012, W: 12},
		{Mean: 0.001, SD: 0.009, W: 12}, {Mean: 0.008, SD: 0.011, W: 12},
		{Mean: -0.003, SD: 0.010, W: 12}, {Mean: 0.002, SD: 0.013, W: 12},
		{Mean: -0.007, SD: 0.010, W: 12}, {Mean: 0.005, SD: 0.011, W: 12},
		{Mean: 0.000, SD: 0.012, W: 12}, {Mean: -0.002, SD: 0.009, W: 12},
	}
	tau2, n, _ := stats.TauSquared(aa)
	r, err := stats.Paired(stats.PairedInput{D: d, Tau2: tau2, NAA: n})
	if err != nil {
		fmt.Println(err)
		return
	}
	neg, mat := stats.LogChange(0.03), stats.LogChange(0.10)
	lcb, ucb := r.Lower(0.01), r.Upper(0.01)
	fmt.Printf("change %+.1f%%, 99%% bounds [%+.1f%%, %+.1f%%], df %.0f\n",
		100*stats.RelChange(r.Effect), 100*stats.RelChange(lcb), 100*stats.RelChange(ucb), r.DF)
	fmt.Printf("MDE %+.1f%%\n", 100*stats.RelChange(r.MDE(0.01, neg, 0.95)))
	fmt.Println(stats.Decide(lcb, ucb, neg, mat), "-", stats.Explain(lcb, ucb, neg, mat))
	// Output:
	// change +6.0%, 99% bounds [+3.8%, +8.2%], df 3
	// MDE +5.9%
	// fail - lower bound +3.8% > negligible +3.0%
}

// The signed-rank cross-check on the data of R's ?wilcox.test example.
func ExampleSignedRank() {
	x := []float64{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30}
	y := []float64{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29}
	d := make([]float64, len(x))
	for i := range x {
		d[i] = x[i] - y[i]
	}
	r, err := stats.SignedRank(d)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("V = %.0f, p(greater) = %.5f, exact = %v, estimate = %.2f\n", r.V, r.PGreater, r.Exact, r.Estimate)
	// Output:
	// V = 40, p(greater) = 0.01953, exact = true, estimate = 0.46
}

// Holm across three gating metrics: each metric's p-value for "the change
// exceeds δ" gives its alpha_m and whether it may fail.
func ExampleHolmStepDown() {
	metrics := []string{"e2e.p95", "ttft.p95", "tpot.p50"}
	p := []float64{0.004, 0.030, 0.012}
	alphas, reject := stats.HolmStepDown(p, 0.05)
	for i, m := range metrics {
		fmt.Printf("%s alpha_m=%.4f may fail=%v\n", m, alphas[i], reject[i])
	}
	// Output:
	// e2e.p95 alpha_m=0.0167 may fail=true
	// ttft.p95 alpha_m=0.0500 may fail=true
	// tpot.p50 alpha_m=0.0250 may fail=true
}

// History mode: this run's log p95 against the last five stored runs.
func ExampleHistory() {
	hist := []float64{math.Log(212), math.Log(198), math.Log(205), math.Log(220), math.Log(201)}
	r, err := stats.History(math.Log(240), 0.02, hist)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("change %+.1f%%, lower bound %+.1f%%, MDE %+.1f%%, judgeable %v\n",
		100*stats.RelChange(r.Effect), 100*stats.RelChange(r.Lower(0.05)),
		100*stats.RelChange(r.MDE(0.05, stats.LogChange(0.03), 0.95)), r.Judgeable)
	// Output:
	// change +15.9%, lower bound +1.8%, MDE +27.5%, judgeable true
}

// Error rates of baseline and candidate compared as proportions.
func ExampleNewcombeDiff() {
	// Candidate: 9 errors in 1200 requests; baseline: 2 in 1180.
	d, lo, hi, err := stats.NewcombeDiff(9, 1200, 2, 1180, 0.90)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("difference %+.2f pp, 95%% one-sided bounds [%+.2f, %+.2f] pp\n", 100*d, 100*lo, 100*hi)
	// Output:
	// difference +0.58 pp, 95% one-sided bounds [+0.12, +1.13] pp
}

// The jackknife SE of a pooled statistic over windows.
func ExampleJackknife() {
	windowMeans := []float64{101, 99, 104, 98, 100, 102}
	_, se, err := stats.Jackknife(len(windowMeans), func(excluded int) float64 {
		var s float64
		for i, v := range windowMeans {
			if i != excluded {
				s += v
			}
		}
		return s / float64(len(windowMeans)-1)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("SE %.3f\n", se)
	// Output:
	// SE 0.882
}
