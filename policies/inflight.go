package policies

import "math"

// MinInFlightCap is the least in-flight cap of a scenario that does not set
// max_in_flight.
const MinInFlightCap = 1024

// InFlightCap returns the most requests scenario sc keeps outstanding at
// once: max_in_flight when the policy sets it; otherwise what the request
// timeout allows at the scenario's peak rate (no request outlives
// target.timeout, so more can never be outstanding at that rate), at least
// MinInFlightCap. A closed-loop scenario's cap is its concurrency.
func (p *Policy) InFlightCap(sc *Scenario) int {
	if sc.MaxInFlight > 0 {
		return sc.MaxInFlight
	}
	if sc.Concurrency > 0 {
		return max(sc.Concurrency, 1)
	}
	peak := sc.Rate
	switch sc.Kind {
	case KindSpike:
		peak = sc.Rate * max(sc.Factor, 1)
	case KindCapacity:
		if sc.Search != nil {
			peak = sc.Search.To
		}
	}
	timeout := p.Target.Timeout.Std().Seconds()
	n := math.Ceil(peak * timeout)
	if !(n < math.MaxInt32) { // NaN, Inf or absurdly large
		n = math.MaxInt32
	}
	return max(MinInFlightCap, int(n))
}
