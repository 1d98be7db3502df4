package runner

import (
	"fmt"

	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/policies"
)

// AbortError is Run's error when a scenario was stopped because its first
// requests all or nearly all failed (policy fail_fast): the target is
// broken, so nothing can be measured (exit code 3). Run returns the
// scenario's partial record with it, for the report's error counts.
type AbortError struct {
	Scenario string
	Abort    *load.Abort
}

func (e *AbortError) Error() string {
	return fmt.Sprintf("scenario %s stopped: %s", e.Scenario, e.Abort)
}

// FailFastOf returns the load engine's fail-fast rule of policy p, nil when
// the policy turns it off.
func FailFastOf(p *policies.Policy) *load.FailFast {
	f := p.FailFast
	if !f.Enabled || f.ErrorRate <= 0 {
		return nil
	}
	return &load.FailFast{ErrorRate: float64(f.ErrorRate), Requests: f.Requests, Within: f.Within.Std()}
}

// aborted returns the AbortError of a scenario's results, nil when none
// was stopped by FailFast.
func aborted(sc string, rs ...*load.Result) error {
	for _, r := range rs {
		if r != nil && r.Aborted != nil {
			return &AbortError{Scenario: sc, Abort: r.Aborted}
		}
	}
	return nil
}
