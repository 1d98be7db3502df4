// Package baseline holds the stored result format of perfgate (Record) and
// the stores that keep records between runs: a directory and a git branch
// reached through the GitHub contents API.
package baseline

import "time"

// Schema is the value of Record.Schema written by this version.
const Schema = "perfgate/record/v1"

// Record kinds.
const (
	KindRun         = "run"         // one arm of a gate run (the candidate, or a baseline on main)
	KindCalibration = "calibration" // an A/A paired run: Reference and the record itself ran the same commit
)

// Record is one stored measurement of one scenario of one policy.
type Record struct {
	Schema     string    `json:"schema"`
	Kind       string    `json:"kind"`
	Policy     string    `json:"policy"`
	PolicyHash string    `json:"policy_hash"`
	Scenario   string    `json:"scenario"`
	Commit     string    `json:"commit,omitempty"`
	Branch     string    `json:"branch,omitempty"`
	Time       time.Time `json:"time"`
	Env        Env       `json:"env"`
	// MetricDefs names the version of the metric definitions
	// (policies.MetricDefsVersion) the values were computed with.
	MetricDefs    string  `json:"metric_defs"`
	WindowSeconds float64 `json:"window_seconds"`

	// Windows holds the per-window counts, in order.
	Windows []WindowCounts `json:"windows"`
	// Metrics maps a metric name (e2e, ttft, requests_per_s, server.kv_cache_usage, ...)
	// to its per-window statistics and histograms.
	Metrics map[string]*Metric `json:"metrics"`

	Offered   float64  `json:"offered_rps"`
	Achieved  float64  `json:"achieved_rps"`
	ColdStart float64  `json:"cold_start_ms,omitempty"`
	Valid     bool     `json:"valid"`
	Invalid   []string `json:"invalid_reasons,omitempty"`
	Partial   bool     `json:"partial,omitempty"`
	// ErrorExamples holds the first message seen per error class (connect,
	// timeout, http-4xx, http-5xx, stream, check), secrets removed, to
	// explain failures in reports.
	ErrorExamples map[string]string `json:"error_examples,omitempty"`
	// ServedModel is the model a successful response named when it was not
	// the one requested: the server ignored the requested model name.
	ServedModel string `json:"served_model,omitempty"`
	// ScrapeError is the first failed scrape's message, secrets removed.
	ScrapeError string `json:"scrape_error,omitempty"`

	// Subset is set when the record keeps only some of the metrics
	// measured (the statistical evaluation keeps those it judges): a
	// metric absent from it was left out, not unmeasured.
	Subset bool `json:"subset,omitempty"`

	// ScenarioKind is the kind of the scenario (steady, capacity, spike,
	// soak); empty in records of older versions, read as steady.
	ScenarioKind string `json:"scenario_kind,omitempty"`
	// Concurrency is the number of closed-loop users of a steady scenario
	// driven by concurrency instead of an arrival rate; 0 for open loop.
	Concurrency int `json:"concurrency,omitempty"`

	// Capacity is set for a capacity scenario.
	Capacity *Capacity `json:"capacity,omitempty"`

	// Spike is set for a spike scenario: when the jump happened, relative
	// to the start of the measured windows.
	Spike *Spike `json:"spike,omitempty"`

	// Faults are the fault phases injected during the run, as they
	// happened (phases.go).
	Faults []FaultPhase `json:"faults,omitempty"`
	// Prometheus is set when series were queried from a Prometheus server.
	Prometheus *PromSource `json:"prometheus,omitempty"`
	// Journeys names the steps of each journey of a journey workload, in
	// order, for the reports' per-step breakdown.
	Journeys []Journey `json:"journeys,omitempty"`

	// Reference is the other arm of a paired run, measured under the same
	// schedule at the same time: the live baseline, or in a calibration
	// record the first A arm.
	Reference *Record `json:"reference,omitempty"`

	Pinned bool `json:"pinned,omitempty"`

	// Key is the key of a record returned by Store.List; it is not stored.
	Key string `json:"-"`
}

// ErrorCounts returns how many of the record's measured requests failed
// and how many completed (failed or succeeded), summed over its windows:
// the numerator and denominator of its error rate. Requests cancelled at
// the end of the run are in neither.
func (r *Record) ErrorCounts() (failed, total int64) {
	for _, w := range r.Windows {
		failed += w.Failed
		total += w.Failed + w.Succeeded
	}
	return failed, total
}

// Env fingerprints where a record was measured; records from different
// environments are not compared silently.
type Env struct {
	OS       string            `json:"os"`
	Arch     string            `json:"arch"`
	CPUs     int               `json:"cpus"`
	Target   string            `json:"target_host"`
	Model    string            `json:"model,omitempty"`
	Perfgate string            `json:"perfgate_version"`
	Labels   map[string]string `json:"labels,omitempty"`
}

// WindowCounts are the request counts of one window.
type WindowCounts struct {
	Start        float64          `json:"start_s"`
	End          float64          `json:"end_s"`
	Sent         int64            `json:"sent"`
	Succeeded    int64            `json:"succeeded"`
	Failed       int64            `json:"failed"`
	Good         int64            `json:"good,omitempty"`
	OutputTokens int64            `json:"output_tokens,omitempty"`
	Errors       map[string]int64 `json:"errors,omitempty"`
	Status       map[string]int64 `json:"status,omitempty"`
	// Resent counts requests sent again on a fresh connection after a
	// kept-alive connection failed before any response; not failures.
	Resent int64 `json:"resent,omitempty"`
	// LengthMismatch counts successful responses whose output length was
	// not the max_tokens that ignore_eos asked for.
	LengthMismatch int64 `json:"length_mismatch,omitempty"`
	// Scrapes counts the scrapes of the server metrics made during the
	// window and ScrapeFailures those that failed; a server metric's
	// window Count over Scrapes is its coverage. Both are 0 when nothing
	// was scraped (and in records of older versions).
	Scrapes        int64 `json:"scrapes,omitempty"`
	ScrapeFailures int64 `json:"scrape_failures,omitempty"`
	// Steps counts the requests of each step and the arrivals of each
	// journey of a journey workload, keyed "step.NAME" and
	// "journey.NAME": errors by step and class.
	Steps map[string]StepCounts `json:"steps,omitempty"`
}

// Journey is a journey's name and its steps' names, in order.
type Journey struct {
	Name  string   `json:"name"`
	Steps []string `json:"steps"`
}

// StepCounts are the counts of one step or journey in a window.
type StepCounts struct {
	Sent      int64            `json:"sent"`
	Succeeded int64            `json:"succeeded"`
	Failed    int64            `json:"failed"`
	Errors    map[string]int64 `json:"errors,omitempty"`
}

// Metric is one metric's values in a record. For histogram metrics (latency,
// tokens) every window carries its statistics and its encoded histogram; for
// rate metrics (requests_per_s, error_rate) a window carries only "value".
type Metric struct {
	Unit    string        `json:"unit"`
	Windows []WindowStats `json:"windows"`
	Pooled  WindowStats   `json:"pooled"`
}

// WindowStats are the statistics of one window (or of all windows pooled).
type WindowStats struct {
	// Count is the number of recorded values (requests, or samples).
	Count int64 `json:"count"`
	// Stats maps a statistic (p50, p90, p95, p99, p99.9, mean, max, value)
	// to its value in the metric's unit.
	Stats map[string]float64 `json:"stats"`
	// Hist is the HdrHistogram in V2 compressed encoding, base64 ("HISTF...").
	Hist string `json:"hist,omitempty"`
}

// Capacity is the result of a capacity search.
type Capacity struct {
	RPS       float64        `json:"rps"`       // highest rate that met every SLO
	BrokenBy  string         `json:"broken_by"` // the SLO that broke first above it
	Steps     []CapacityStep `json:"steps"`     // the latency-vs-load curve
	Converged bool           `json:"converged"` // the bracket is narrower than the requested precision
}

// CapacityStep is one measured rate of a capacity search.
type CapacityStep struct {
	Rate     float64            `json:"rate"`
	Achieved float64            `json:"achieved_rps"`
	Samples  int64              `json:"samples"`
	Values   map[string]float64 `json:"values"` // "e2e.p95": ..., "error_rate": ...
	Met      bool               `json:"met"`
	Breached string             `json:"breached,omitempty"`
}

// Spike describes the jump of a spike scenario: from AtSeconds after the
// start of the measured windows, for HoldSeconds, the rate was Factor times
// the base rate.
type Spike struct {
	AtSeconds   float64 `json:"at_s"`
	HoldSeconds float64 `json:"hold_s"`
	Factor      float64 `json:"factor"`
}
