package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/internal/gitinfo"
	"github.com/perfgate/perfgate/policies"
)

// gateFlags are the flags of the commands that run the gate (run, calibrate).
type gateFlags struct {
	o                        pipeline.Options
	policy, store, scenarios string
	allowEnv                 string
	keep                     int
	quiet                    bool
}

func (g *gateFlags) bind(fs *flag.FlagSet, e *env, out string) {
	fs.StringVar(&g.policy, "policy", "", "policy file (.cue, .yaml, .json)")
	fs.StringVar(&g.o.TargetURL, "target", "", "base URL of the service under test (overrides target.url)")
	fs.StringVar(&g.o.BaselineURL, "baseline-url", "", "base URL of a live baseline deployment: paired mode")
	fs.StringVar(&g.store, "store", "", "baseline store: a directory (or dir:PATH, or branch:NAME with GITHUB_TOKEN and GITHUB_REPOSITORY)")
	fs.IntVar(&g.keep, "keep", 0, fmt.Sprintf("runs the store keeps per policy, scenario and branch (0: %d; negative: all)", baseline.DefaultKeep))
	fs.StringVar(&g.o.OutDir, "out", out, "directory for report.json, report.html, comment.md and junit.xml")
	fs.StringVar(&g.o.Commit, "commit", e.getenv("GITHUB_SHA"), "commit SHA of the code under test")
	fs.StringVar(&g.o.Branch, "branch", e.getenv("GITHUB_REF_NAME"), "branch of the code under test")
	fs.StringVar(&g.scenarios, "scenario", "", "comma-separated scenarios to run (default: all, in policy order)")
	fs.DurationVar(&g.o.MaxLag, "max-lag", 0, "client schedule lag p99 above which the run is invalid (default 10ms or 5% of the median service time up to 100ms, whichever is larger; env PERFGATE_MAX_LAG)")
	fs.BoolVar(&g.quiet, "quiet", false, "no progress output")
	fs.StringVar(&g.allowEnv, "allow-env", "", allowEnvUsage)
}

// allowEnvUsage documents --allow-env of every command that reads a policy.
const allowEnvUsage = "environment variables the policy's target.headers may read: names and PREFIX_* patterns, comma-separated (needed in CI; docs/security.md)"

// run checks the flags, parses the policy, opens the store and runs the
// gate. A nil result comes with the exit code of what went wrong.
func (g *gateFlags) run(ctx context.Context, c *command, e *env, fs *flag.FlagSet) (*pipeline.Result, int) {
	p, code := g.prepare(ctx, c, e, fs, true)
	if p == nil {
		return nil, code
	}
	res, err := pipeline.Run(ctx, p, g.o)
	return res, finish(e, err, res, g.o.FailOn)
}

// prepare checks the flags (the policy from the first argument when
// positional), opens the store and parses the policy; a nil policy comes
// with the exit code of what went wrong.
func (g *gateFlags) prepare(ctx context.Context, c *command, e *env, fs *flag.FlagSet, positional bool) (*policies.Policy, int) {
	if positional {
		if code, ok := policyArg(c, e, fs, &g.policy); !ok {
			return nil, code
		}
	} else if g.policy == "" {
		return nil, usageError(c, e, "--policy is required")
	}
	if g.scenarios != "" {
		g.o.Scenarios = strings.Split(g.scenarios, ",")
	}
	var err error
	if g.o.EnvRule, err = policies.CommandEnvRule(e.getenv, g.allowEnv); err != nil {
		return nil, usageError(c, e, "--%v", err)
	}
	if g.o.Store, err = pipeline.OpenStore(g.store, g.keep, e.getenv, nil, "", ""); err != nil {
		return nil, usageError(c, e, "--store: %v", err)
	}
	g.o.StoreName = g.store
	if from := gitinfo.Defaults(ctx, &g.o.Branch, &g.o.Commit); from != "" {
		fmt.Fprintf(e.stderr, "using %s\n", from)
	}
	p, err := readPolicy(e, g.policy)
	if err != nil {
		return nil, exitInvalid
	}
	e.gateOptions(&g.o, g.quiet)
	return p, 0
}

// gateOptions sets what every command's gate run takes from its
// environment: progress on stderr (unless quiet), live on a terminal
// outside CI, notes on stderr, the environment, the version.
func (e *env) gateOptions(o *pipeline.Options, quiet bool) {
	if !quiet {
		o.Progress, o.Live = e.stderr, isTerminal(e.stderr) && e.getenv("CI") == ""
	}
	if o.Getenv == nil {
		o.Getenv = e.getenv
	}
	o.Log, o.Version = e.stderr, version
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// readPolicy parses a policy file, the once a command does ("" is none);
// on failure it says why on stderr.
func readPolicy(e *env, path string) (*policies.Policy, error) {
	if path == "" {
		return nil, nil
	}
	p, err := policies.ParseFile(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "%v\nperfgate: %s is not a valid policy; \"perfgate validate %s\" checks it without running anything.\n", err, path, path)
	}
	return p, err
}

// finish reports err on stderr and returns the exit code.
func finish(e *env, err error, res *pipeline.Result, failOn string) int {
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate: %v\n", err)
	}
	return pipeline.ExitCode(err, res, failOn)
}
