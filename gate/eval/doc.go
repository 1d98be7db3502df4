// Package eval measures how well perfgate's verdict survives noise: it runs
// many short A/A and injected-regression trials against the simulated
// inference server in virtual time, in paired and history mode, and
// tabulates the fail, warn and pass rates of every gating check with their
// minimum detectable effects.
//
// A trial exercises the production path end to end: sim.Simulate runs each
// arm (its own deployment seed, so its own per-instance shift) on a seeded
// schedule, every request's timing goes as a load.Sample through the load
// engine's own load.Recorder (the definitions and validity rules of a real
// run), load.Summarize turns the result into a record, and gate.Evaluate
// judges the whole gating set at once, so Holm's correction applies as it does in a real run. Injected
// regressions are set through the simulator's knobs, each calibrated without
// noise so that the change it realises in its target check is the stated
// size. Every random choice derives from Config.Seed.
package eval
