// Package stats holds the statistics behind perfgate's regression verdict:
// paired (duet) and history estimates of a relative change on the log scale,
// the between-deployment variance learned from A/A runs, the exact Wilcoxon
// signed-rank cross-check with its Hodges-Lehmann estimate, Holm's step-down
// correction across gating metrics, the delete-one jackknife, intervals for
// proportions (error rates), and the three-valued decision.
//
// Every function is pure: no I/O, no clock, and no randomness. Effects are
// natural logarithms of ratios (candidate over baseline), signed so that a
// positive effect is worse; a relative change r (0.03 for +3%) is ln(1+r) on
// this scale, see LogChange and RelChange.
//
// The package follows the habit of golang.org/x/perf/benchmath: inputs that
// make a computation impossible (an empty sample, a NaN) give an error, while
// statistical caveats (few A/A runs, autocorrelated windows, a normal
// approximation instead of an exact distribution) are returned as data in a
// Warnings field, each wrapping one of the Warn* sentinels so callers can
// test them with errors.Is. Nothing in the package panics on bad input.
//
// How the gate is meant to use it, per gating metric:
//
//  1. Build an Estimate: Paired for duet runs (per-window log-ratios plus
//     TauSquared from stored A/A runs), or History against stored runs.
//  2. Compute p = est.PExceeds(LogChange(negligible)) for every gating
//     metric and run HolmStepDown over them at the family alpha: it gives
//     each metric its alpha_m and whether the family allows it to FAIL.
//  3. Take est.Lower(alpha_m) and est.Upper(alpha_m) and call Decide; a
//     metric that Decide calls Fail but Holm did not reject is a Warn.
//  4. Report est.MDE(alpha_m, LogChange(negligible), 0.95) with every check.
//
// Error rates are proportions, not log-ratios: compare them with
// NewcombeDiff (built on Wilson).
package stats
