// Package policies reads perfgate policies: what to load-test, how, and
// what passes.
//
// A policy is written in CUE, YAML or JSON. Parse and ParseFile check it
// against #Policy in schema.cue, fill in the schema's defaults, decode it
// into a Policy, and then check in Go what the schema cannot say (a warm-up
// shorter than the duration, metrics the target can produce, limits in the
// metric's unit). Code that uses a Policy applies no defaults and repeats
// no checks of its own.
//
// The schema is the single source of truth. It is embedded in the binary
// (SchemaSource) and compiled once per process; the Go types mirror it
// field for field, the metric catalog is tied to its #Catalog, and the
// policy reference (Reference) is generated from its comments. Tests keep
// each of them in step with it.
//
// Errors are for people. Parse reports every problem it finds, not the
// first (the Go-side checks run once the schema is satisfied), as an
// Errors value of Error entries, each printed as
//
//	file:line:col: field.path: what was expected, and what was found
//
// so that an editor, a terminal or a GitHub annotation can point at it.
// What a message says is keyed to where the problem is (CUE's error path
// and position, looked up in the policy as written, in the policy unified
// with the schema, and in a walkable tree of #Policy that knows each
// field's allowed names, types, defaults and docs), never to how CUE words
// its own messages, which may change from one CUE release to the next.
// Syntax errors quote the parser; otherwise CUE's words appear only when
// the schema has nothing to say at that place.
//
// The entry points are Parse (a file's contents, its format told by the
// extension of its name), ParseFile, and the Policy type with its parts
// (Target, Workload, Scenario, SLO, Regression, ...). ParseMetricRef and
// LookupMetric name the metrics a policy may refer to.
package policies
