package metric

import (
	"math"
	"testing"
)

// hist is a histogram of the values 1..100.
type hist struct{}

func (hist) ValueAtQuantile(percent float64) int64 { return int64(math.Ceil(percent)) }
func (hist) Mean() float64                         { return 50.5 }
func (hist) Max() int64                            { return 100 }
func (hist) Min() int64                            { return 1 }

func TestHistStat(t *testing.T) {
	for stat, want := range map[string]float64{"p50": 50, "p95": 95, "p99.9": 100, "mean": 50.5, "max": 100, "min": 1} {
		if got := HistStat(hist{}, stat); got != want {
			t.Errorf("%s = %v, want %v", stat, got, want)
		}
	}
	if got := HistStat(hist{}, "value"); !math.IsNaN(got) {
		t.Errorf("value = %v, want NaN", got)
	}
}
