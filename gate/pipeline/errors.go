package pipeline

import (
	"errors"
	"strings"
)

// ErrCannotMeasure is wrapped by Run's error when nothing could be measured:
// the target never became ready, or the run was interrupted first.
var ErrCannotMeasure = errors.New("the measurement could not be made")

// ErrInterrupted is wrapped by Run's error when the context was cancelled
// (SIGTERM in CI). With something measured, Run also returns the Result of
// the partial run, whose report says it was cut short.
var ErrInterrupted = errors.New("interrupted")

// InvalidError is bad input: an option, the policy, a record file. Nothing
// was run.
type InvalidError struct {
	File string // the file at fault, "" when none
	What string // what is wrong, "" when Err says it
	Err  error  // the underlying error, if any
}

func (e *InvalidError) Error() string {
	var parts []string
	for _, s := range []string{e.File, e.What} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	return strings.Join(parts, ": ")
}

func (e *InvalidError) Unwrap() error { return e.Err }
