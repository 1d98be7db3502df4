package stats

import (
	"math"

	mstats "github.com/aclements/go-moremath/stats"
)

// maxTDF is the number of degrees of freedom above which the t distribution
// is replaced by the normal: they differ by less than 1e-6 there, and the
// incomplete beta function behind TDist stops converging for huge df.
const maxTDF = 1e6

// TQuantile returns the p-quantile of Student's t distribution with df
// degrees of freedom, for p in (0,1) and df > 0 (df need not be an integer; above 1e6 the normal quantile is used).
// It returns -Inf or +Inf for p == 0 or p == 1, +Inf (or -Inf for p < 0.5)
// when df is zero or negative (no information: an unbounded interval), and
// NaN when p is outside [0,1] or NaN.
func TQuantile(df, p float64) float64 {
	switch {
	case math.IsNaN(p) || math.IsNaN(df) || p < 0 || p > 1:
		return math.NaN()
	case p == 0.5:
		return 0
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	case df <= 0:
		if p < 0.5 {
			return math.Inf(-1)
		}
		return math.Inf(1)
	case df > maxTDF:
		return NormalQuantile(p)
	}
	return mstats.InvCDF(mstats.TDist{V: df})(p)
}

// TCDF returns P(T <= x) for Student's t distribution with df > 0 degrees
// of freedom, in [0,1]. For df <= 0 it returns 0.5 (no information), and
// NaN when x or df is NaN.
func TCDF(df, x float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsNaN(df):
		return math.NaN()
	case math.IsInf(x, 1):
		return 1
	case math.IsInf(x, -1):
		return 0
	case df <= 0:
		return 0.5
	case df > maxTDF:
		return mstats.StdNormal.CDF(x)
	}
	return mstats.TDist{V: df}.CDF(x)
}

// NormalQuantile returns the p-quantile of the standard normal distribution
// for p in [0,1] (±Inf at the ends) and NaN outside.
func NormalQuantile(p float64) float64 {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return math.NaN()
	}
	return mstats.StdNormal.InvCDF(p)
}

// LogChange converts a relative change (0.03 for +3%, > -1) to the log
// scale used by this package: ln(1+r).
func LogChange(r float64) float64 { return math.Log1p(r) }

// RelChange converts a log-scale effect back to a relative change:
// exp(x) - 1 (0.0296 -> about +3%).
func RelChange(x float64) float64 { return math.Expm1(x) }
