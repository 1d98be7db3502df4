package stats

import (
	"errors"
	"fmt"
)

// Errors returned when a computation is impossible. They are returned by
// value or wrapped; test them with errors.Is.
var (
	// ErrNoData means the input has no usable values (empty, or all values
	// were dropped).
	ErrNoData = errors.New("stats: no data")
	// ErrTooFew means the input has fewer values than the method needs.
	ErrTooFew = errors.New("stats: too few values")
	// ErrNotFinite means the input contains a NaN or an infinity.
	ErrNotFinite = errors.New("stats: NaN or infinite value")
	// ErrDomain means a parameter is outside its documented range.
	ErrDomain = errors.New("stats: parameter out of range")
)

// Warning sentinels. A result's Warnings field holds errors that wrap these
// (with details in the message); test them with errors.Is. A warning never
// invalidates the numbers it comes with, it qualifies them.
var (
	// WarnNoAA means no (or too few) A/A runs were available and the
	// between-deployment variance is a conservative prior.
	WarnNoAA = errors.New("between-deployment variance is a prior, not learned from A/A runs")
	// WarnAutocorrelated means the lag-1 autocorrelation of the window
	// series is above MaxLag1, so windows are not independent and the
	// standard error is too small; lengthen the windows.
	WarnAutocorrelated = errors.New("window statistics are autocorrelated")
	// WarnApproximate means a normal approximation replaced an exact
	// distribution.
	WarnApproximate = errors.New("normal approximation used")
	// WarnDropped means some values were dropped (zeros in a signed-rank
	// test, unusable A/A summaries).
	WarnDropped = errors.New("values dropped")
	// WarnNotJudgeable means the comparison can be reported but must not
	// gate (for example fewer than MinHistory stored runs).
	WarnNotJudgeable = errors.New("not enough data to judge")
)

func warnf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

func errf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
