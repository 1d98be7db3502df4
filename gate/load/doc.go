// Package load generates load against a target and measures it: open-loop
// arrival schedules (pacers), closed-loop fixed concurrency, streaming
// OpenAI-compatible and plain HTTP clients, a server-metrics scraper, and a
// single recorder goroutine that keeps one HdrHistogram per window and metric.
//
// Every source of measurements feeds the same Recorder (Add a Sample per
// request, then Finish), which holds the definitions of the metrics and of a
// valid run; Summarize turns its Result into a stored baseline.Record. The
// run loop feeds it from its workers, and the evaluation (package gate/eval)
// from the simulator's timings in virtual time.
//
// The philosophy is the one of open-loop load testing: every request has an
// intended send time fixed by a seeded schedule, latency is measured from that
// intended time (so a slow server cannot hide its own queueing), and the
// generator checks itself (schedule lag, achieved versus offered rate) so a
// run whose client fell behind is reported as such instead of as a fast
// target. A failing target is data in the Result; only a broken plan or
// workload is an error.
//
// An arrival may also start a journey (Target.Journeys): several requests in
// turn, such as embed → search → generate, whose later steps use values
// extracted from earlier responses. The journey is the Sample; its steps
// ride along (Sample.Steps) and the recorder keeps per-step and per-journey
// histograms and counts besides the run-wide ones ("step.NAME.e2e",
// "journey.NAME.ttft"), each step timed from the end of the one before.
package load
