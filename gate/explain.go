package gate

import (
	"fmt"
	"math"
	"strconv"

	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/stats"
)

// explain says in words what the interval [lcb, ucb] of a log-scale check
// decided (out), as a reviewer would say it: the worsening in the
// metric's own direction (a latency slower, a throughput lower) and the
// policy's thresholds as the policy writes them (neg and mat are ln(1+δ)
// and ln(1+Δ): "3%", "10%"), never their log-scale images.
func explain(c *Check, effect, lcb, ucb, neg, mat float64, out stats.Outcome) string {
	worse, better := "higher", "lower"
	switch {
	case c.HigherIsBetter:
		worse, better = "lower", "higher"
	case c.Unit == metric.Ms:
		worse, better = "slower", "faster"
	}
	// size is the worsening a log-scale x means, as a share of the
	// baseline's value: a rise e^x−1, or for a throughput a drop 1−e^−x.
	size := func(x float64) float64 {
		if c.HigherIsBetter {
			return -math.Expm1(-x)
		}
		return math.Expm1(x)
	}
	by := func(x float64) string {
		if s := size(x); math.Abs(s) < 0.0005 {
			return "unchanged"
		} else if s < 0 {
			return pctWords(-s) + " " + better
		}
		return pctWords(size(x)) + " " + worse
	}
	tolerated, material := pctWords(math.Expm1(neg)), pctWords(math.Expm1(mat))
	switch out {
	case stats.Fail:
		return fmt.Sprintf("%s is %s (at least %s), above the %s this policy tolerates", c.Name, by(effect), pctWords(size(lcb)), tolerated)
	case stats.Pass:
		return fmt.Sprintf("%s is %s, at most %s: within the %s material change", c.Name, by(effect), by(ucb), material)
	}
	return fmt.Sprintf("%s is %s, but anywhere from %s to %s: inconclusive, as a %s change is not ruled out and the %s this policy tolerates is not cleared",
		c.Name, by(effect), by(lcb), by(ucb), material, tolerated)
}

// pctWords prints a positive share for a sentence: "22%", "3%", "2.5%".
func pctWords(x float64) string {
	p := 100 * x
	if math.Abs(p) >= 9.95 {
		return fmt.Sprintf("%.0f%%", p)
	}
	return strconv.FormatFloat(math.Round(p*10)/10, 'f', -1, 64) + "%"
}
