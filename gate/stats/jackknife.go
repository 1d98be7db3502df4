package stats

import "math"

// Jackknife computes the delete-one jackknife over n >= 2 units (windows):
// stat(i) must return the statistic computed with unit i left out, for i in
// [0, n). It returns the mean of the n leave-one-out values and the
// jackknife standard error sqrt((n-1)/n · sum_i (stat(i) - mean)²), in the
// units of stat.
//
// Use the full-sample statistic as the point estimate and se as its standard
// error; the returned estimate is only the leave-one-out mean. For a pooled
// percentile the gate merges the histograms of all windows but one: deleting
// a whole window of many values keeps the statistic smooth enough for the
// jackknife, unlike deleting single observations (whose jackknife is
// inconsistent for quantiles). Take logs inside stat to get an SE on the log
// scale.
//
// Jackknife returns ErrTooFew for n < 2, ErrDomain for a nil stat and
// ErrNotFinite if stat returns a NaN or infinity.
func Jackknife(n int, stat func(excluded int) float64) (estimate, se float64, err error) {
	if n < 2 {
		return 0, 0, errf(ErrTooFew, "jackknife needs at least 2 units, got %d", n)
	}
	if stat == nil {
		return 0, 0, errf(ErrDomain, "nil statistic")
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = stat(i)
	}
	if !finite(v) {
		return 0, 0, ErrNotFinite
	}
	mean, sd := meanSD(v)
	// sum (v_i - mean)² = (n-1)·sd², so se² = (n-1)²/n · sd².
	fn := float64(n)
	return mean, (fn - 1) / math.Sqrt(fn) * sd, nil
}
