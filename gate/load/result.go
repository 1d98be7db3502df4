package load

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Error classes. A failed request is data: it is counted in its window under
// exactly one class.
const (
	ErrConnect = "connect"  // dial, DNS, TLS, connection refused or reset before a response
	ErrTimeout = "timeout"  // the per-request timeout expired
	ErrHTTP4xx = "http-4xx" // a 4xx status (status counts in Window.Status)
	ErrHTTP5xx = "http-5xx" // a 5xx status
	ErrStream  = "stream"   // malformed or truncated SSE stream, undecodable body
	ErrCheck   = "check"    // a response check of an http workload failed
)

// Result is what one arm of one scenario measured.
type Result struct {
	Scenario string
	Target   string // base URL, for the report (never headers)
	Seed     int64  // Plan.Seed
	Started  time.Time
	Window   time.Duration // nominal window length
	// Shard is the part of the schedule this result measured (the zero
	// Shard: all of it); StartLag is how late it began after the agreed
	// start (Plan.StartAt; zero without one).
	Shard    Shard
	StartLag time.Duration

	// Windows are the measured windows in order; warm-up is not among them.
	// A request belongs to the window of its intended send time, so a stall
	// shows in the windows of the requests scheduled during it.
	Windows []*Window
	// Warmup aggregates everything sent during the warm-up; never judged.
	Warmup *Window

	Offered  float64 // requests/s the schedule asked for over the measured windows
	Achieved float64 // requests/s actually sent over the measured windows

	// ColdStart is the time from the start of the run to the first
	// successful response; zero when none succeeded.
	ColdStart time.Duration

	Validity Validity
	// Partial is true when the run was cancelled before its planned end.
	Partial bool
	// StoppedEarly is true when Plan.StopEarly ended the run (then Partial
	// is true too).
	StoppedEarly bool
	// Aborted says why Plan.FailFast stopped the run (then Partial is
	// true too); nil when it did not.
	Aborted *Abort

	// ErrorExamples holds the first message seen per error class, with
	// secret header values removed, to explain failures in a report.
	ErrorExamples map[string]string
	// ServedModel is the first model a successful response named that is
	// not the one requested ("" when every response named it): the server
	// ignores the model name (llama.cpp serves what it has loaded).
	ServedModel string
	// ScrapeErrors counts failed scrapes of the server metrics (warm-up
	// included; Window.ScrapeFailures counts them per window); ScrapeError
	// is the first failure's message.
	ScrapeErrors int
	ScrapeError  string
}

// Window holds everything recorded for the requests whose intended send time
// fell in [Start, End) relative to the end of the warm-up.
type Window struct {
	Index      int
	Start, End time.Duration

	// hist maps a recorded metric (metric.E2E, ...) to its histogram. Only
	// successful requests are recorded, except metric.ScheduleLag which
	// records every send. A closed window keeps its histograms compressed
	// in packed instead (see Pack); read them with Histogram.
	hist   map[string]*hdrhistogram.Histogram
	packed map[string]*hdrhistogram.PackedHistogram

	Sent         int64 // requests actually sent
	Succeeded    int64
	Failed       int64
	Good         int64 // succeeded and met every per-request goodput limit of the plan
	OutputTokens int64 // over successful requests
	// LengthMismatch counts successful requests whose output length differs
	// from the requested max_tokens (with ignore_eos set).
	LengthMismatch int64

	Errors map[string]int64 // by error class
	Status map[int]int64    // HTTP status counts of failed requests

	// Server holds per-window statistics of scraped server metrics, keyed
	// by the policy's series name (e.g. "kv_cache_usage").
	Server map[string]SeriesStat

	// Scrapes counts the scrapes of the server metrics attempted in the
	// window (by the time they were made) and ScrapeFailures those that
	// failed: Server's Samples over Scrapes is a series' coverage.
	Scrapes, ScrapeFailures int64

	InFlightMax int64 // highest number of outstanding requests seen
	CapReached  int64 // sends delayed because the in-flight cap was reached

	// Resent counts requests sent again on a fresh connection because a
	// kept-alive connection failed before any response (the server closed
	// it): the client's problem, not failures of the target.
	Resent int64
	// Cancelled counts requests cut off by the end of a cancelled run:
	// neither succeeded nor failed.
	Cancelled int64
	// Clamped counts values above a histogram's range, recorded as its
	// highest trackable value.
	Clamped int64
	// Steps counts the requests of each step and journey of a journey
	// workload, keyed "step.NAME" and "journey.NAME" (nil otherwise).
	Steps map[string]*StepCounts
}

// SeriesStat summarises one scraped server series over a window.
type SeriesStat struct {
	Max, Mean float64
	Samples   int
}
