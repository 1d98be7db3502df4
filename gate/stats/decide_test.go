package stats

import (
	"math"
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	neg, mat := LogChange(0.03), LogChange(0.10)
	for _, c := range []struct {
		lcb, ucb float64
		want     Outcome
	}{
		{LogChange(0.04), LogChange(0.20), Fail},  // clearly above δ
		{LogChange(0.04), LogChange(0.08), Fail},  // above δ and below Δ: Fail wins
		{LogChange(-0.02), LogChange(0.05), Pass}, // cannot reach Δ
		{LogChange(0.01), LogChange(0.12), Warn},  // inconclusive
		{neg, LogChange(0.12), Warn},              // at δ exactly: not above
		{LogChange(-0.01), mat, Warn},             // at Δ exactly: not below
		{math.NaN(), 0, Warn},
		{math.Inf(-1), math.Inf(1), Warn},
	} {
		if got := Decide(c.lcb, c.ucb, neg, mat); got != c.want {
			t.Errorf("Decide(%v, %v) = %v, want %v", c.lcb, c.ucb, got, c.want)
		}
	}
	if Pass >= Warn || Warn >= Fail || Outcome(0).String() != "unknown" || Fail.String() != "fail" {
		t.Error("outcome order or names")
	}
	if got := Explain(LogChange(0.042), LogChange(0.2), neg, mat); got != "lower bound +4.2% > negligible +3.0%" {
		t.Errorf("Explain fail: %q", got)
	}
	if got := Explain(LogChange(-0.02), LogChange(0.05), neg, mat); !strings.HasPrefix(got, "upper bound +5.0% < material +10.0%") {
		t.Errorf("Explain pass: %q", got)
	}
	if got := Explain(LogChange(0.01), LogChange(0.12), neg, mat); !strings.HasPrefix(got, "inconclusive") {
		t.Errorf("Explain warn: %q", got)
	}
}

func TestExplainDirectedHigherIsBetter(t *testing.T) {
	neg, mat := LogChange(0.03), LogChange(0.10)
	// Throughput down 8% [-16%, +0.5%]: on the worse scale the bounds are
	// [-ln(1.005), -ln(0.84)].
	lcb, ucb := -math.Log(1.005), -math.Log(0.84)
	got := ExplainDirected(lcb, ucb, neg, mat, true)
	if want := "inconclusive: interval [-16.0%, +0.5%] reaches material -9.1% and does not clear negligible -2.9%"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := ExplainDirected(-math.Log(0.95), -math.Log(0.80), neg, mat, true); got != "upper bound -5.0% < negligible -2.9%" {
		t.Errorf("fail: %s", got)
	}
	if got := ExplainDirected(-math.Log(1.02), -math.Log(0.95), neg, mat, true); got != "lower bound -5.0% > material -9.1%" {
		t.Errorf("pass: %s", got)
	}
	if got := ExplainDirected(math.NaN(), 0, neg, mat, true); got != "bounds unavailable" {
		t.Errorf("NaN: %s", got)
	}
}
