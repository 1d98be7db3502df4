package gate

import (
	"fmt"

	"github.com/perfgate/perfgate/gate/metric"
)

// Stopped says why a run was stopped before it measured anything worth
// judging: the target failed all or nearly all of a scenario's first
// requests (policy fail_fast). Its verdict is Invalid.
type Stopped struct {
	Scenario string `json:"scenario"`
	// Arm is "baseline" or "candidate" in paired mode, "" otherwise.
	Arm      string  `json:"arm,omitempty"`
	AfterS   float64 `json:"after_s"`  // seconds from the scenario's start
	Requests int64   `json:"requests"` // completed when it was decided
	Failed   int64   `json:"failed"`
	// ErrorClass is the dominant error class, Count its failures, Status
	// its most frequent HTTP status (0: none) and Message the server's own
	// message (secrets removed, truncated).
	ErrorClass string `json:"error_class"`
	Count      int64  `json:"count"`
	Status     int    `json:"status,omitempty"`
	Message    string `json:"message"`
}

// Sentence is the run's one-sentence reason: what failed, how often, and
// the server's message.
func (s *Stopped) Sentence() string {
	who := "The target"
	if s.Arm != "" {
		who = "The " + s.Arm
	}
	out := fmt.Sprintf("%s failed %s of %s requests in the first %.1fs of scenario %s (%s %s", who,
		metric.Thousands(float64(s.Failed)), metric.Thousands(float64(s.Requests)), s.AfterS, s.Scenario,
		metric.Thousands(float64(s.Count)), s.ErrorClass)
	if s.Status != 0 {
		out += fmt.Sprintf(", status %d", s.Status)
	}
	out += ")"
	if s.Message != "" {
		out += ": " + s.Message
	}
	return out + " — stopped early (fail_fast); nothing was judged."
}
