package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/perfgate/perfgate/baseline"
)

func init() {
	register(&command{
		name:    "baseline",
		summary: "list the stored runs; pin, unpin, exclude or include them",
		run:     runBaseline,
	})
}

// baselineOps are the subcommands that change the state of records.
var baselineOps = map[string]struct {
	do   func(baseline.Store, context.Context, string) error
	done string
}{
	"pin":     {baseline.Store.Pin, "pinned"},
	"unpin":   {baseline.Store.Unpin, "unpinned"},
	"exclude": {baseline.Store.Exclude, "excluded"},
	"include": {baseline.Store.Include, "included"},
}

func runBaseline(ctx context.Context, e *env, args []string) int {
	c := commands["baseline"]
	if len(args) == 0 {
		return usageError(c, e, "no subcommand: want list, pin, unpin, exclude or include")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, c.usage)
		return exitPass
	}
	op, isOp := baselineOps[sub]
	if sub != "list" && !isOp {
		return usageError(c, e, "unknown subcommand %q: want list, pin, unpin, exclude or include", sub)
	}
	fs := newFlagSet(c, e)
	spec := fs.String("store", "", "the store: a directory, dir:PATH or branch:NAME (required)")
	var q baseline.Query
	if sub == "list" {
		fs.StringVar(&q.Policy, "policy", "", "only records of this policy")
		fs.StringVar(&q.Scenario, "scenario", "", "only records of this scenario")
		fs.StringVar(&q.Branch, "branch", "", "only records of this branch")
		fs.StringVar(&q.Kind, "kind", "", "only records of this kind: run or calibration")
		fs.IntVar(&q.Limit, "limit", 0, "show at most this many records (0: all)")
	}
	keys, done, code := parseMixed(c, fs, e, args)
	if done {
		return code
	}
	if *spec == "" {
		return usageError(c, e, "--store is required")
	}
	switch {
	case q.Kind != "" && q.Kind != baseline.KindRun && q.Kind != baseline.KindCalibration:
		return usageError(c, e, "--kind %q: want %s or %s", q.Kind, baseline.KindRun, baseline.KindCalibration)
	case q.Limit < 0:
		return usageError(c, e, "--limit %d: want 0 (all) or more", q.Limit)
	case sub == "list" && len(keys) > 0:
		return usageError(c, e, "list takes no arguments (got %q)", keys[0])
	case isOp && len(keys) == 0:
		return usageError(c, e, "%s needs at least one record key (see perfgate baseline list)", sub)
	}
	st, err := baseline.Open(*spec, baseline.OpenOptions{Getenv: e.getenv})
	if err != nil {
		return usageError(c, e, "--store: %v", err)
	}
	if sub == "list" {
		return listBaselines(ctx, e, st, q)
	}
	code = exitPass
	for _, k := range keys {
		err := op.do(st, ctx, k)
		switch {
		case err == nil:
			fmt.Fprintf(e.stdout, "%s %s\n", op.done, k)
		case errors.Is(err, baseline.ErrNotFound):
			fmt.Fprintf(e.stderr, "perfgate baseline %s: no record %s in %s (\"perfgate baseline list --store %s\" shows the keys)\n", sub, k, *spec, *spec)
			code = max(code, exitInvalid)
		case errors.Is(err, baseline.ErrMalformedKey):
			fmt.Fprintf(e.stderr, "perfgate baseline %s: %v\n", sub, err)
			code = max(code, exitInvalid)
		default:
			fmt.Fprintf(e.stderr, "perfgate baseline %s: %v\n", sub, err)
			code = exitNoTrust
		}
	}
	return code
}

// listBaselines prints the records q selects: the ones the gate reads, in
// its order, then the excluded ones.
func listBaselines(ctx context.Context, e *env, st baseline.Store, q baseline.Query) int {
	recs, read, skipped, err := baseline.ListAll(ctx, st, q)
	for _, s := range skipped {
		fmt.Fprintf(e.stderr, "perfgate baseline list: skipped a record that cannot be read: %v\n", s)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate baseline list: %v\n", err)
		return exitNoTrust
	}
	if len(recs) == 0 {
		fmt.Fprintln(e.stdout, "no stored records match")
		return exitPass
	}
	baseline.WriteList(e.stdout, recs, read)
	return exitPass
}
