package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/policies"
)

func init() {
	register(&command{name: "validate", summary: "check policies against the schema without running anything", run: runValidate})
}

func runValidate(ctx context.Context, e *env, args []string) int {
	c := commands["validate"]
	fs := newFlagSet(c, e)
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageError(c, e, "no policy given")
	}
	invalid := 0
	for _, f := range files {
		p, err := policies.ParseFile(f)
		if err != nil {
			invalid++
			fmt.Fprintln(e.stderr, err)
			continue
		}
		fmt.Fprintf(e.stdout, "%s: ok: %s\n", f, summarizePolicy(p))
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

// summarizePolicy says in one line what a valid policy will do.
func summarizePolicy(p *policies.Policy) string {
	var sc []string
	for _, s := range p.Scenarios {
		if s.Name == s.Kind {
			sc = append(sc, s.Name)
		} else {
			sc = append(sc, s.Name+" ("+s.Kind+")")
		}
	}
	target := p.Target.API + " target"
	if reqs := p.Workload.Requests; len(reqs) > 1 {
		// How the load splits across the request templates.
		total := 0.0
		for _, r := range reqs {
			total += r.Weight
		}
		var parts []string
		for i, r := range reqs {
			name := r.Name
			if name == "" {
				name = fmt.Sprintf("request %d", i+1)
			}
			parts = append(parts, fmt.Sprintf("%s %.0f%%", name, 100*r.Weight/total))
		}
		target += " (" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("policy %q, %s, scenarios %s, %s, %s",
		p.Name, target, strings.Join(sc, ", "), plural(len(p.SLOs), "SLO"), plural(len(p.Regression.Gate), "gating metric"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
