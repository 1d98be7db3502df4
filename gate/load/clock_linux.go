package load

import (
	"syscall"
	"time"
)

// ClockStatus is what the kernel says of this machine's wall clock: whether
// NTP (chrony, systemd-timesyncd) keeps it synchronised, and its estimated
// and maximum error. Shards of one run agree on a start time by their wall
// clocks, so their windows line up within the clocks' errors.
type ClockStatus struct {
	Known    bool          `json:"known"`
	Synced   bool          `json:"synced"`
	EstError time.Duration `json:"est_error"`
	MaxError time.Duration `json:"max_error"`
}

// Clock reads the kernel's clock status (adjtimex).
func Clock() ClockStatus {
	var tx syscall.Timex
	state, err := syscall.Adjtimex(&tx)
	if err != nil {
		return ClockStatus{}
	}
	const timeError = 5    // TIME_ERROR: the clock is not synchronised
	const staUnsync = 0x40 // STA_UNSYNC
	return ClockStatus{
		Known:    true,
		Synced:   state != timeError && tx.Status&staUnsync == 0,
		EstError: time.Duration(tx.Esterror) * time.Microsecond,
		MaxError: time.Duration(tx.Maxerror) * time.Microsecond,
	}
}
