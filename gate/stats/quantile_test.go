package stats

import (
	"math"
	"testing"
)

func TestQuantiles(t *testing.T) {
	// Student's t and normal tables (e.g. NIST/SEMATECH e-Handbook of
	// Statistical Methods, 1.3.6.7.2 and 1.3.6.7.1); R: qt(p, df), qnorm(p).
	for _, c := range []struct{ df, p, want float64 }{
		{1, 0.975, 12.706205},
		{5, 0.95, 2.015048},
		{10, 0.975, 2.228139},
		{11, 0.95, 1.795885},
		{11, 0.99, 2.718079},
		{23, 0.99, 2.499867},
		{100, 0.95, 1.660234},
		{11, 0.05, -1.795885},
	} {
		if got := TQuantile(c.df, c.p); !approx(got, c.want, 1e-5) {
			t.Errorf("TQuantile(%v, %v) = %v, want %v", c.df, c.p, got, c.want)
		}
		if got := TCDF(c.df, c.want); !approx(got, c.p, 1e-6) {
			t.Errorf("TCDF(%v, %v) = %v, want %v", c.df, c.want, got, c.p)
		}
	}
	for _, c := range []struct{ p, want float64 }{{0.95, 1.644854}, {0.975, 1.959964}, {0.99, 2.326348}, {0.5, 0}} {
		if got := NormalQuantile(c.p); !approx(got, c.want, 1e-6) {
			t.Errorf("NormalQuantile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := TQuantile(math.Inf(1), 0.95); !approx(got, 1.644854, 1e-6) {
		t.Errorf("df=Inf: %v", got)
	}
	if !math.IsInf(TQuantile(0, 0.95), 1) || !math.IsInf(TQuantile(0, 0.05), -1) {
		t.Error("df=0 must give infinite quantiles")
	}
	if !math.IsNaN(TQuantile(5, 1.5)) || !math.IsNaN(NormalQuantile(-0.1)) || !math.IsNaN(TQuantile(math.NaN(), 0.9)) {
		t.Error("out-of-range p must give NaN")
	}
	if got := RelChange(LogChange(0.03)); !approx(got, 0.03, 1e-15) {
		t.Errorf("round trip %v", got)
	}
}
