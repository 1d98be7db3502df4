package load

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// GoodLimits are optional per-request limits for goodput: a successful
// request is good when it meets every non-zero limit. TTFT and TPOT limits
// apply only to streaming requests.
type GoodLimits struct {
	TTFT, TPOT, E2E time.Duration
}

// Plan is what to run: a schedule (open loop) or a concurrency (closed
// loop), for how long, with which workload.
type Plan struct {
	Scenario string
	// Pacer is the open-loop schedule, timed from the start of the run
	// (warm-up included). Ignored when Concurrency > 0.
	Pacer Pacer
	// Concurrency > 0 selects closed-loop mode: that many workers each send
	// their next request when the previous one completes. Latency then has
	// no intended time other than the actual send.
	Concurrency int
	// Warmup precedes the measured Duration; its requests are recorded
	// apart (Result.Warmup). Window is the length of a measured window
	// (zero: DefaultWindow).
	Duration, Warmup, Window time.Duration
	// MaxInFlight caps outstanding requests per arm (zero:
	// DefaultMaxInFlight). Reaching it delays sends and is recorded as
	// CapReached: the target is not keeping up.
	MaxInFlight int
	Workload    Workload
	Seed        int64 // copied into Result.Seed for the report; pacers and workloads carry their own
	Good        GoodLimits
	// MaxLagP99 is the client schedule lag p99 above which the run did not
	// keep up (zero: DefaultMaxLagP99).
	MaxLagP99 time.Duration
	// LagTolerance, when > 0, raises that limit to this share of the
	// measured median service time (never above MaxLagCeiling) when it is
	// larger. Lag is inside every latency (measured from the intended send
	// time) and distorts a comparison only when it is a noticeable part of
	// it; the e2e latency would let the lag raise its own limit.
	LagTolerance float64
	// ScrapeInterval is the period of server-metrics scrapes (zero:
	// DefaultScrapeInterval).
	ScrapeInterval time.Duration
	// Grace is how long in-flight requests may finish after ctx is
	// cancelled (zero: DefaultGrace).
	Grace time.Duration
	// Progress, when set, is called about once a second per arm from the
	// recorder goroutine; it must return quickly.
	Progress func(Snapshot)
	// StopEarly, when set, is asked after each progress snapshot whether
	// to stop sending (e.g. a capacity step that clearly breaches).
	StopEarly func(Snapshot) bool
	// FailFast, when set, stops sending when the first requests of an arm
	// all or nearly all fail (Result.Aborted says why).
	FailFast *FailFast
	// Shard, when not the whole, sends only this shard's part of the
	// schedule (MaxInFlight and Concurrency are shared out too); StartAt,
	// when set, is the wall-clock time the schedule starts, agreed by all
	// shards (Run waits for it; Result.StartLag says how late it began).
	Shard   Shard
	StartAt time.Time
}

// normalizeRecording checks and completes what a Recorder reads of the plan.
func (p *Plan) normalizeRecording() error {
	if p.Window <= 0 {
		p.Window = DefaultWindow
	}
	if p.Duration <= 0 {
		return errors.New("plan: duration must be > 0")
	}
	if p.Warmup < 0 {
		return errors.New("plan: warm-up must be >= 0")
	}
	if p.Concurrency < 0 {
		return errors.New("plan: concurrency must be >= 0")
	}
	if p.LagTolerance < 0 || math.IsNaN(p.LagTolerance) || math.IsInf(p.LagTolerance, 0) {
		return fmt.Errorf("plan: lag tolerance %v must be a share >= 0", p.LagTolerance)
	}
	if p.MaxInFlight <= 0 {
		p.MaxInFlight = DefaultMaxInFlight
	}
	if p.Concurrency > 0 {
		p.MaxInFlight = p.Concurrency
	}
	if p.MaxLagP99 <= 0 {
		p.MaxLagP99 = DefaultMaxLagP99
	}
	return nil
}

func (p *Plan) normalize() error {
	if err := p.normalizeRecording(); err != nil {
		return err
	}
	if err := p.Shard.Validate(); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if !p.Shard.Whole() {
		// This shard's part of the users and of the in-flight cap.
		if p.Concurrency > 0 {
			if p.Concurrency = p.Shard.share(p.Concurrency); p.Concurrency == 0 {
				return fmt.Errorf("plan: shard %s gets none of the closed-loop users: use at most as many shards as users", p.Shard)
			}
			p.MaxInFlight = p.Concurrency
		} else {
			p.MaxInFlight = max(1, (p.MaxInFlight+p.Shard.Count-1)/p.Shard.Count)
		}
	}
	if p.Concurrency == 0 && p.Pacer == nil {
		return errors.New("plan: needs a pacer (open loop) or a concurrency (closed loop)")
	}
	if sp, ok := p.Pacer.(StepPacer); ok && p.Concurrency == 0 {
		if err := sp.Validate(); err != nil {
			return fmt.Errorf("plan: %w", err)
		}
	}
	if p.Workload == nil {
		return errors.New("plan: no workload")
	}
	if s, ok := p.Workload.(Synthetic); ok {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("plan: workload: %w", err)
		}
	}
	if p.ScrapeInterval <= 0 {
		p.ScrapeInterval = DefaultScrapeInterval
	}
	if p.Grace <= 0 {
		p.Grace = DefaultGrace
	}
	return nil
}
