package load

import (
	"fmt"
	"time"
)

// Validity limits.
const (
	// DefaultMaxLagP99 is the client-side schedule lag p99 above which a
	// run did not keep up. Go's timers and a loaded 2-core CI runner stay
	// well under it; a generator starved of CPU does not.
	DefaultMaxLagP99 = 10 * time.Millisecond
	// MaxLagCeiling bounds how far Plan.LagTolerance may raise that
	// limit: the tolerance scales with the median service time, which a
	// slow target (or a target starved by the same machine) makes long,
	// but a p99 lag beyond the ceiling means the generator was off its
	// schedule for a tenth of a second, which bunches requests whatever
	// the latency (docs/statistics.md). An explicit Plan.MaxLagP99 above
	// it still applies.
	MaxLagCeiling = 100 * time.Millisecond
	// DefaultMaxOverhead and OverheadShare bound the client's own delay
	// in noticing a readable response (Validity.OverheadP50): a run is
	// valid while its median is at most the larger of 1 ms and 10% of the
	// median service time, the latter never above MaxOverheadCeiling.
	// Above it the load generator, not the target, shapes the latencies
	// compared. The median is judged: a client that notices responses
	// late does so for most of them, while a busy machine's scheduling
	// noise reaches only the tail. The service time, not the e2e latency,
	// and the ceiling, for the reasons of MaxLagCeiling: a starved
	// generator inflates the latency its limit would scale with.
	DefaultMaxOverhead = time.Millisecond
	OverheadShare      = 0.1
	MaxOverheadCeiling = 25 * time.Millisecond
	// MinAchievedRatio is the lowest achieved/offered rate of a run that
	// kept up (unless the target itself saturated).
	MinAchievedRatio = 0.98
)

// Validity holds what judges whether the load generator kept up with its
// schedule, so that a run whose client fell behind is marked invalid
// instead of green. The judgement (KeptUp) and its explanation (Reasons)
// are computed from these fields, over the measured windows.
type Validity struct {
	// Sent is the number of requests sent.
	Sent int64
	// LagP99 is the p99 of the client's own schedule lag
	// (Sample.ClientLag); LagLimit is the limit it is judged against:
	// Plan.MaxLagP99, or Plan.LagTolerance × the median service time
	// (actual send to last byte, which the lag does not inflate) when
	// larger, capped at MaxLagCeiling.
	LagP99, LagLimit time.Duration
	// OverheadP50 and OverheadP99 are the median and p99 of the client's
	// own delay in noticing a readable response, over Probes probes in
	// the measured windows: the engine writes to a loopback connection at
	// random moments and times how late its reader sees the data, the
	// network poll and scheduling every response also waits for. Probes
	// is 0 when it was not measured (a Recorder fed by hand), and then it
	// is not judged. OverheadLimit is the limit the median is judged
	// against: the larger of DefaultMaxOverhead and OverheadShare × the
	// median service time (at most MaxOverheadCeiling).
	OverheadP50, OverheadP99, OverheadLimit time.Duration
	Probes                                  int64
	// Offered and Achieved are the requests/s the schedule asked for and
	// the client sent; AchievedRatio is Achieved/Offered (1 when nothing
	// was offered).
	Offered, Achieved, AchievedRatio float64
	// CapReached counts the sends the in-flight cap of InFlightCap delayed.
	CapReached  int64
	InFlightCap int
}

// NothingSent reports whether no request was sent in the measured windows.
func (v Validity) NothingSent() bool { return v.Sent == 0 }

// LagExceeded reports whether the client's schedule lag p99 exceeds its limit.
func (v Validity) LagExceeded() bool { return v.LagP99 > v.LagLimit }

// OverheadExceeded reports whether the client's own delay in noticing
// responses (probed) exceeds its limit.
func (v Validity) OverheadExceeded() bool { return v.Probes > 0 && v.OverheadP50 > v.OverheadLimit }

// TargetSaturated reports whether the in-flight cap was reached: the
// target, not the client, limited the rate.
func (v Validity) TargetSaturated() bool { return v.CapReached > 0 }

// BehindSchedule reports whether the client sent fewer than
// MinAchievedRatio of the offered requests without the target explaining
// it (TargetSaturated).
func (v Validity) BehindSchedule() bool {
	return v.Sent > 0 && !v.TargetSaturated() && v.AchievedRatio < MinAchievedRatio
}

// KeptUp reports whether the load generator kept up: something was sent,
// on time, at the offered rate (or the target saturated), and responses
// were noticed promptly.
func (v Validity) KeptUp() bool {
	return !v.NothingSent() && !v.LagExceeded() && !v.OverheadExceeded() && !v.BehindSchedule()
}

// Reasons explains, one sentence each, every problem the fields show: why
// the run did not keep up, and whether the target saturated (which alone
// does not make a run invalid).
func (v Validity) Reasons() []string {
	var out []string
	if v.NothingSent() {
		out = append(out, "no request was sent in the measured windows")
	}
	if v.LagExceeded() {
		out = append(out, fmt.Sprintf("client schedule lag p99 %v exceeds %v: the load generator could not send on time", v.LagP99, v.LagLimit))
	}
	if v.OverheadExceeded() {
		out = append(out, fmt.Sprintf("client overhead p50 %v (p99 %v) exceeds %v: the load generator noticed responses late (%d probes), so its latencies are not the target's", v.OverheadP50, v.OverheadP99, v.OverheadLimit, v.Probes))
	}
	if v.TargetSaturated() {
		out = append(out, fmt.Sprintf("the in-flight cap of %d was reached %d times: responses were too slow for the offered rate (target saturated; if it should hold more requests open at once, raise the scenario's max_in_flight)", v.InFlightCap, v.CapReached))
	}
	if v.BehindSchedule() {
		out = append(out, fmt.Sprintf("achieved %.1f req/s of %.1f offered (%.1f%%)", v.Achieved, v.Offered, 100*v.AchievedRatio))
	}
	return out
}
