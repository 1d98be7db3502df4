package main

import (
	"context"
	"fmt"

	"github.com/perfgate/perfgate/policies"
)

func init() {
	register(&command{name: "validate", summary: "check policies against the schema without running anything", run: runValidate})
}

func runValidate(ctx context.Context, e *env, args []string) int {
	c := commands["validate"]
	fs := newFlagSet(c, e)
	allow := fs.String("allow-env", "", allowEnvUsage)
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageError(c, e, "no policy given")
	}
	rule, err := policies.CommandEnvRule(e.getenv, *allow)
	if err != nil {
		return usageError(c, e, "--%v", err)
	}
	invalid := 0
	for _, f := range files {
		p, err := policies.ParseFile(f)
		if err == nil {
			// A policy asking for a variable it could not read here is
			// refused as a run would refuse it.
			if errs := rule.Check(p); errs != nil {
				err = errs
			}
		}
		if err != nil {
			invalid++
			fmt.Fprintln(e.stderr, err)
			continue
		}
		ws, more := p.SampleWarnings(), ""
		if len(ws)+len(p.Notes()) > 0 {
			more = " (valid, with the warnings and notes below)" // stderr may print after stdout
		}
		fmt.Fprintf(e.stdout, "%s: ok: %s%s\n", f, p.Summary(), more)
		for _, w := range ws {
			fmt.Fprintf(e.stderr, "%s: warning: %s\n", f, w)
		}
		for _, n := range p.Notes() {
			fmt.Fprintf(e.stderr, "%s: note: %s\n", f, n)
		}
		for _, name := range p.EnvVars() {
			if e.getenv(name) == "" {
				fmt.Fprintf(e.stderr, "%s: note: environment variable %s is not set here; a run needs it\n", f, name)
			}
		}
	}
	if invalid > 0 {
		if len(files) > 1 {
			fmt.Fprintf(e.stderr, "perfgate validate: %d of %d policies are invalid\n", invalid, len(files))
		}
		return exitInvalid
	}
	return exitPass
}
