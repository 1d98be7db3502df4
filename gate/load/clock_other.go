//go:build !linux

package load

import "time"

// ClockStatus is what the system says of this machine's wall clock (see
// the Linux version); elsewhere it is unknown.
type ClockStatus struct {
	Known    bool          `json:"known"`
	Synced   bool          `json:"synced"`
	EstError time.Duration `json:"est_error"`
	MaxError time.Duration `json:"max_error"`
}

// Clock returns an unknown status: only Linux's is read.
func Clock() ClockStatus { return ClockStatus{} }
