package main

import (
	"cmp"
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/policies"
)

//go:embed demo.cue
var demoPolicy []byte

func init() {
	register(&command{name: "demo", summary: "show the whole gate on the built-in simulated inference server (about a minute)", run: runDemo})
}

func runDemo(ctx context.Context, e *env, args []string) int {
	c := commands["demo"]
	fs := newFlagSet(c, e)
	out := fs.String("out", "", "directory for the reports (default: a temporary directory)")
	slow := fs.Float64("slowdown", 1.25, "decode slowdown of the preview server (1 = no regression)")
	showPolicy := fs.Bool("print-policy", false, "print the demo policy and exit (the demo always runs its own)")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	if *showPolicy {
		e.stdout.Write(demoPolicy)
		return exitPass
	}
	if !(*slow >= 1) {
		return usageError(c, e, "--slowdown must be at least 1, got %g", *slow)
	}
	p, err := policies.Parse("demo-chat.cue", demoPolicy)
	if err != nil {
		panic("perfgate demo: the embedded policy is invalid: " + err.Error())
	}
	o := pipeline.Options{}
	dir, urls, cleanup, err := demoDeployments(*slow, &o)
	defer cleanup()
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate demo: %v\n", err)
		return exitNoTrust
	}
	fmt.Fprintf(e.stderr, "perfgate demo: simulated servers: main %s, preview %s (decode %.0f%% slower)\n\n", urls[0], urls[1], 100*(*slow-1))
	e.gateOptions(&o, false)
	*out = cmp.Or(*out, filepath.Join(dir, "report"))

	fmt.Fprintln(e.stderr, "Step 1/2 — push to main: measure main and store it as the baseline")
	m := o
	m.TargetURL, m.SaveBaseline, m.Commit, m.Branch, m.OutDir, m.Scenarios = urls[0], true, "1111111", "main", filepath.Join(dir, "main-report"), []string{"steady"}
	if res, err := pipeline.Run(ctx, p, m); err != nil || res.Verdict.Outcome == gate.Invalid {
		code := finish(e, err, res, "")
		fmt.Fprintln(e.stderr, "perfgate demo: the baseline run did not complete")
		return code
	}

	fmt.Fprintln(e.stderr, "\nStep 2/2 — pull request: preview and main side by side under one schedule")
	o.TargetURL, o.BaselineURL, o.Commit, o.Branch, o.BaseBranch, o.OutDir = urls[1], urls[0], "2222222", "feature", "main", *out
	res, err := pipeline.Run(ctx, p, o)
	code := finish(e, err, res, o.FailOn)
	if res == nil {
		fmt.Fprintln(e.stderr, "perfgate demo: the pull-request run did not complete")
		return code
	}
	fmt.Fprint(e.stdout, report.Terminal(res.Markdown)) // comment.md in the reports is the Markdown
	fmt.Fprintf(e.stderr, "\nperfgate demo: verdict %s (exit code %d in CI). Reports: %s\n", res.Verdict.Outcome, code, *out)
	next := map[gate.Outcome]string{
		gate.Fail:    "The gate caught the slower decoding. Next: write a policy for your service (perfgate validate checks it), then perfgate run --policy it --target URL.",
		gate.Invalid: "The measurement was not trustworthy on this machine (see the validity section); try again on a quieter machine.",
	}[res.Verdict.Outcome]
	fmt.Fprintln(e.stderr, cmp.Or(next, "The gate did not fail this time; with --slowdown 1.3 the regression is larger."))
	return exitPass
}

// demoDeployments starts the simulated "main" and a "preview" whose
// decoding is slow times slower, and sets o.Store to a store in a new
// temporary directory, dir. cleanup stops the servers and removes the store.
func demoDeployments(slow float64, o *pipeline.Options) (dir string, urls [2]string, cleanup func(), err error) {
	var undo []func()
	cleanup = func() {
		for _, f := range undo {
			f()
		}
	}
	if dir, err = os.MkdirTemp("", "perfgate-demo-"); err == nil {
		o.Store, err = baseline.NewDirStore(filepath.Join(dir, "store"), 0)
	}
	if err != nil {
		return dir, urls, cleanup, err
	}
	undo = append(undo, func() { os.RemoveAll(filepath.Join(dir, "store")) })
	urls, stop, err := sim.ListenDemo(slow)
	undo = append(undo, stop)
	return dir, urls, cleanup, err
}
