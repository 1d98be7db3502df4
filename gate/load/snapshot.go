package load

import "time"

// Run phases of a Snapshot.
const (
	PhaseWarmup  = "warmup"
	PhaseMeasure = "measure"
	PhaseDrain   = "drain"
)

// Snapshot is the progress of one arm of a running plan.
type Snapshot struct {
	Arm       string // "" for Run, "base" or "candidate" for RunPaired
	Phase     string
	Elapsed   time.Duration // since the start of the run
	Rate      float64       // requests/s recorded (completed) over the last interval
	InFlight  int64         // requests outstanding now
	P95       time.Duration // e2e p95 of the measured requests so far
	Sent      int64         // requests recorded so far (sent and completed), warm-up included
	Succeeded int64
	Errors    int64 // failed requests so far
}
