// Package faultinject carries out the fault phases of a scenario
// (policies.Fault): at its time after the warm-up it runs a fault's start
// hook (an HTTP request, a command, or a Toxiproxy toxic added through the
// Toxiproxy HTTP API), and its stop hook when the fault ends. A stop hook
// always runs once its start hook did, also when the run fails, times out
// or is interrupted (SIGTERM): Finish runs it with a context of its own.
// What happened is returned as baseline.FaultPhase, with the hooks' errors
// (secrets removed) for the report.
//
// The package does I/O only; package gate labels the windows and times the
// recovery from the record.
package faultinject
