package baseline

// FaultPhase is one fault injected during a run, as it happened: its start
// and stop hooks were started StartSeconds and StopSeconds after the start
// of the measured windows. A fault still active when the run ended (an
// interrupted or failed run) was stopped then: Interrupted is true.
type FaultPhase struct {
	Name         string  `json:"name"`
	StartSeconds float64 `json:"start_s"`
	StopSeconds  float64 `json:"stop_s"`
	// Started is false when the start hook never ran (the run ended
	// first) or failed; StartError then says why.
	Started    bool   `json:"started"`
	StartError string `json:"start_error,omitempty"`
	// Stopped is true when the stop hook ran and succeeded (or there was
	// none); StopError is its failure, secrets removed.
	Stopped     bool   `json:"stopped"`
	StopError   string `json:"stop_error,omitempty"`
	Interrupted bool   `json:"interrupted,omitempty"`
	// Tolerance is the policy's recovery tolerance of the fault (0.10).
	Tolerance float64 `json:"tolerance"`
}

// PromSource says which server series of a record came from a Prometheus
// server (target.prometheus) and what went wrong with the others.
type PromSource struct {
	// Series are the names ("gpu_util") whose metrics
	// ("server.gpu_util") hold one value per window from a range query.
	Series []string `json:"series"`
	// Errors holds, per series name, why its query gave nothing
	// (Prometheus's own message for a bad query), secrets removed.
	Errors map[string]string `json:"errors,omitempty"`
}
