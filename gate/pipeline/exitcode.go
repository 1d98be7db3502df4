package pipeline

import (
	"errors"

	"github.com/perfgate/perfgate/gate"
)

// The exit codes of the CLI contract (design: every command and the action
// end with one of these).
const (
	ExitPass    = 0 // pass, or warn unless the run fails on warn
	ExitFail    = 1 // a check failed
	ExitInvalid = 2 // invalid input: policy, flags, baseline file
	ExitNoTrust = 3 // the measurement could not be made or cannot be trusted
)

// ExitCode maps what a gate run returned to the exit code, the one place
// that does: invalid input 2; a measurement that could not be made or
// trusted, or reports and records that could not be written, 3; else the
// verdict under failOn ("never" with no verdict: nothing was judged).
func ExitCode(err error, res *Result, failOn string) int {
	var invalid *InvalidError
	switch {
	case errors.As(err, &invalid):
		return ExitInvalid
	case err != nil, res != nil && res.Verdict.Outcome == gate.Invalid:
		return ExitNoTrust
	case failOn == "never":
		return ExitPass
	case res == nil:
		return ExitNoTrust
	case res.Verdict.Outcome == gate.Fail, res.Verdict.Outcome == gate.Warn && failOn == "warn":
		return ExitFail
	}
	return ExitPass
}
