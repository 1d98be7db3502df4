package load

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidityJudgesItsFields(t *testing.T) {
	ok := Validity{Sent: 100, LagP99: 2 * time.Millisecond, LagLimit: 10 * time.Millisecond, Offered: 20, Achieved: 20, AchievedRatio: 1, InFlightCap: 64}
	for _, tc := range []struct {
		name   string
		change func(*Validity)
		keptUp bool
		want   []string // one substring per reason, in order
	}{
		{"within every limit", func(*Validity) {}, true, nil},
		{"nothing sent", func(v *Validity) { v.Sent, v.Achieved, v.AchievedRatio = 0, 0, 0 }, false,
			[]string{"no request was sent in the measured windows"}},
		{"lag over its limit", func(v *Validity) { v.LagP99 = 12 * time.Millisecond }, false,
			[]string{"client schedule lag p99 12ms exceeds 10ms: the load generator could not send on time"}},
		{"lag at its limit", func(v *Validity) { v.LagP99 = v.LagLimit }, true, nil},
		{"behind schedule", func(v *Validity) { v.Achieved, v.AchievedRatio = 18, 0.9 }, false,
			[]string{"achieved 18.0 req/s of 20.0 offered (90.0%)"}},
		{"saturated target", func(v *Validity) { v.CapReached, v.Achieved, v.AchievedRatio = 7, 18, 0.9 }, true,
			[]string{"the in-flight cap of 64 was reached 7 times: responses were too slow for the offered rate (target saturated; if it should hold more requests open at once, raise the scenario's max_in_flight)"}},
		{"client overhead over its limit", func(v *Validity) {
			v.OverheadP50, v.OverheadP99, v.OverheadLimit, v.Probes = 5*time.Millisecond, 9*time.Millisecond, time.Millisecond, 400
		}, false,
			[]string{"client overhead p50 5ms (p99 9ms) exceeds 1ms: the load generator noticed responses late (400 probes), so its latencies are not the target's"}},
		{"client overhead not measured", func(v *Validity) { v.OverheadP50, v.OverheadLimit = 6*time.Millisecond, time.Millisecond }, true, nil},
		{"client overhead at its limit", func(v *Validity) {
			v.OverheadP50, v.OverheadP99, v.OverheadLimit, v.Probes = time.Millisecond, 30*time.Millisecond, time.Millisecond, 400
		}, true, nil},
		{"saturated and late", func(v *Validity) { v.CapReached, v.LagP99 = 1, time.Second }, false,
			[]string{"schedule lag p99 1s exceeds 10ms", "(target saturated;"}},
	} {
		v := ok
		tc.change(&v)
		if v.KeptUp() != tc.keptUp {
			t.Errorf("%s: KeptUp %v, want %v", tc.name, v.KeptUp(), tc.keptUp)
		}
		got := v.Reasons()
		if len(got) != len(tc.want) || !slices.EqualFunc(got, tc.want, strings.Contains) {
			t.Errorf("%s: reasons %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRecorderJudgesLagAgainstTheLatency: with a LagTolerance, the lag
// limit grows with the measured e2e p50, never below MaxLagP99.
// TestRecorderJudgesLagAgainstTheLatency: the lag limit is the floor
// (MaxLagP99), raised to LagTolerance × the median service time (actual
// send to last byte), never above MaxLagCeiling. The last case is the
// starved generator of two servers sharing 2 cores with it: lag p99
// 2.68 s, e2e median 57 s. Judged against 5% of the e2e median (2.85 s,
// inflated by the lag itself) it passed; against the service time and the
// ceiling it does not.
func TestRecorderJudgesLagAgainstTheLatency(t *testing.T) {
	for _, tc := range []struct {
		tolerance float64
		e2e, lag  time.Duration
		limit     time.Duration
		keptUp    bool
	}{
		{0, time.Second, 20 * time.Millisecond, DefaultMaxLagP99, false},
		{0.05, time.Second, 20 * time.Millisecond, 49 * time.Millisecond, true},
		{0.05, 100 * time.Millisecond, 20 * time.Millisecond, DefaultMaxLagP99, false},
		{0.05, 57 * time.Second, 2680 * time.Millisecond, MaxLagCeiling, false},
		{0.05, 57 * time.Second, 60 * time.Millisecond, MaxLagCeiling, true},
	} {
		r, err := NewRecorder(Plan{Pacer: ConstantPacer{Rate: 100}, Duration: time.Second, Window: 500 * time.Millisecond, LagTolerance: tc.tolerance})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			at := time.Duration(i) * 10 * time.Millisecond
			r.Add(Sample{Intended: at, Sent: at + tc.lag, ClientLag: tc.lag, First: -1, Done: at + tc.e2e, Tokens: -1})
		}
		v := r.Finish().Validity
		if v.LagLimit.Round(time.Millisecond) != tc.limit || v.KeptUp() != tc.keptUp || v.Sent != 100 || v.AchievedRatio != 1 {
			t.Errorf("tolerance %v, e2e %v, lag %v: %+v", tc.tolerance, tc.e2e, tc.lag, v)
		}
	}
	if _, err := NewRecorder(Plan{Duration: time.Second, LagTolerance: -1}); err == nil {
		t.Error("a negative lag tolerance was accepted")
	}
}
