package gate

import (
	"math"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/gate/stats"
)

// TestExplainSaysItAsAReviewerWould: a verdict's reason names the change
// in the metric's direction and the policy's own thresholds (3%, 10%),
// never their log-scale images (2.9%, 9.1% for a throughput).
func TestExplainSaysItAsAReviewerWould(t *testing.T) {
	neg, mat := math.Log1p(0.03), math.Log1p(0.10)
	tpot := &Check{Name: "tpot.p50", Unit: "ms"}
	got := explain(tpot, math.Log(1.22), math.Log(1.15), math.Log(1.30), neg, mat, stats.Fail)
	if want := "tpot.p50 is 22% slower (at least 15%), above the 3% this policy tolerates"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	capacity := &Check{Name: "capacity", Unit: "req/s", HigherIsBetter: true}
	// A drop of 5% (1 − e^−x = 0.05), anywhere from 1% to 12%.
	got = explain(capacity, -math.Log(0.95), -math.Log(0.99), -math.Log(0.88), neg, mat, stats.Warn)
	for _, w := range []string{"capacity is 5% lower", "from 1% lower to 12% lower", "a 10% change", "the 3% this policy tolerates"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q lacks %q", got, w)
		}
	}
	for _, bad := range []string{"9.1%", "2.9%", "material -", "negligible -"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q quotes %q", got, bad)
		}
	}
}
