package stats

import (
	"errors"
	"testing"
)

func TestWilsonPublished(t *testing.T) {
	// Newcombe (1998), "Two-sided confidence intervals for the single
	// proportion: comparison of seven methods", Statistics in Medicine
	// 17:857-872, Table I, method 3 (score, no continuity correction), 95%.
	for _, c := range []struct {
		x, n   int
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	} {
		lo, hi, err := Wilson(c.x, c.n, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !approx(lo, c.lo, 5e-5) || !approx(hi, c.hi, 5e-5) {
			t.Errorf("Wilson(%d/%d) = %.4f %.4f, want %.4f %.4f", c.x, c.n, lo, hi, c.lo, c.hi)
		}
	}
	if lo, hi, _ := Wilson(20, 20, 0.95); hi != 1 || !approx(lo, 1-0.1611, 5e-5) {
		t.Errorf("20/20: %v %v", lo, hi)
	}
}

func TestNewcombeDiffPublished(t *testing.T) {
	// Newcombe (1998), "Interval estimation for the difference between
	// independent proportions: comparison of eleven methods", Statistics in
	// Medicine 17:873-890, Table II, method 10 (hybrid score, no continuity
	// correction), 95%.
	for _, c := range []struct {
		x1, n1, x2, n2 int
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{5, 56, 0, 29, -0.0381, 0.1926},
		{0, 10, 0, 20, -0.1611, 0.2775},
		{10, 10, 0, 20, 0.6791, 1.0000},
	} {
		d, lo, hi, err := NewcombeDiff(c.x1, c.n1, c.x2, c.n2, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if want := float64(c.x1)/float64(c.n1) - float64(c.x2)/float64(c.n2); !approx(d, want, 1e-15) {
			t.Errorf("diff %v, want %v", d, want)
		}
		if !approx(lo, c.lo, 5e-5) || !approx(hi, c.hi, 5e-5) {
			t.Errorf("NewcombeDiff(%d/%d - %d/%d) = %.4f %.4f, want %.4f %.4f", c.x1, c.n1, c.x2, c.n2, lo, hi, c.lo, c.hi)
		}
	}
}

func TestProportionBadInput(t *testing.T) {
	if _, _, err := Wilson(0, 0, 0.95); !errors.Is(err, ErrNoData) {
		t.Errorf("n=0: %v", err)
	}
	for _, c := range [][2]int{{-1, 10}, {11, 10}, {1, -1}} {
		if _, _, err := Wilson(c[0], c[1], 0.95); !errors.Is(err, ErrDomain) {
			t.Errorf("%v: %v", c, err)
		}
	}
	if _, _, err := Wilson(1, 10, 1); !errors.Is(err, ErrDomain) {
		t.Errorf("confidence 1: %v", err)
	}
	if _, _, _, err := NewcombeDiff(1, 10, 0, 0, 0.95); !errors.Is(err, ErrNoData) {
		t.Errorf("n2=0: %v", err)
	}
}
