package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/sim"
)

//go:embed demo.cue
var demoPolicy []byte

func init() {
	register(&command{
		name:    "demo",
		summary: "show the whole gate on the built-in simulated inference server (about a minute)",
		usage: `Usage: perfgate demo [--out DIR] [--slowdown X]

Starts two simulated inference servers on 127.0.0.1 — "main" and a "preview"
whose token decoding is 25% slower — then does what the GitHub Action does:

  1. on a push to main: runs the demo policy against main and stores the run
     as the baseline (in a temporary store);
  2. on the pull request: runs the preview and main side by side under the same
     schedule (paired mode), compares them and prints the PR comment.

The demo exits 0 when it worked, whatever the verdict; the preview is meant to
fail. The reports stay in --out. The policy it runs is printed with --policy.

Example:
  perfgate demo --out demo-reports
`,
		run: runDemo,
	})
}

func runDemo(ctx context.Context, e *env, args []string) int {
	c := commands["demo"]
	fs := newFlagSet(c, e)
	out := fs.String("out", "", "directory for the reports (default: a temporary directory)")
	slow := fs.Float64("slowdown", 1.25, "decode slowdown of the preview server (1 = no regression)")
	showPolicy := fs.Bool("policy", false, "print the demo policy and exit")
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
	dir, err := os.MkdirTemp("", "perfgate-demo-")
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate demo: %v\n", err)
		return exitNoTrust
	}
	defer os.RemoveAll(filepath.Join(dir, "store"))
	if *out == "" {
		*out = filepath.Join(dir, "report")
	}
	policyPath := filepath.Join(dir, "demo-chat.cue")
	if err := os.WriteFile(policyPath, demoPolicy, 0o644); err != nil {
		fmt.Fprintf(e.stderr, "perfgate demo: %v\n", err)
		return exitNoTrust
	}

	// Two deployments on identical hardware: a small per-deployment shift,
	// so the verdict shows the regression rather than the luck of the draw
	// (docs/evaluation.md shows what a 3% shift between deployments does).
	mainCfg := sim.DefaultConfig()
	mainCfg.Seed = 1
	mainCfg.Noise.Shift = 0.005
	prevCfg := mainCfg
	prevCfg.Seed = 2
	prevCfg.DecodeSlowdown = *slow
	mainURL, stopMain, err := serveSim(mainCfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate demo: starting the simulator: %v\n", err)
		return exitNoTrust
	}
	defer stopMain()
	prevURL, stopPrev, err := serveSim(prevCfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate demo: starting the simulator: %v\n", err)
		return exitNoTrust
	}
	defer stopPrev()
	store, err := baseline.NewDirStore(filepath.Join(dir, "store"), 0)
	if err != nil {
		fmt.Fprintf(e.stderr, "perfgate demo: %v\n", err)
		return exitNoTrust
	}
	fmt.Fprintf(e.stderr, "perfgate demo: simulated servers: main %s, preview %s (decode %.0f%% slower)\n\n", mainURL, prevURL, 100*(*slow-1))

	fmt.Fprintln(e.stderr, "Step 1/2 — push to main: measure main and store it as the baseline")
	_, code := runGate(ctx, e, gateOptions{
		PolicyPath: policyPath, Target: mainURL, Store: store, SaveBaseline: true,
		Commit: "1111111", Branch: "main", OutDir: filepath.Join(dir, "main-report"), Scenarios: []string{"steady"},
	})
	if code == exitInvalid || code == exitNoTrust {
		fmt.Fprintln(e.stderr, "perfgate demo: the baseline run did not complete")
		return code
	}

	fmt.Fprintln(e.stderr, "\nStep 2/2 — pull request: preview and main side by side under one schedule")
	res, code := runGate(ctx, e, gateOptions{
		PolicyPath: policyPath, Target: prevURL, BaselineURL: mainURL, Store: store,
		Commit: "2222222", Branch: "feature", BaseBranch: "main", OutDir: *out,
	})
	if res == nil || code == exitInvalid || (code == exitNoTrust && res.Verdict == nil) {
		fmt.Fprintln(e.stderr, "perfgate demo: the pull-request run did not complete")
		return code
	}
	fmt.Fprintln(e.stdout, res.Markdown)
	fmt.Fprintf(e.stderr, "\nperfgate demo: verdict %s (exit code %d in CI). Reports: %s\n", res.Verdict.Outcome, code, *out)
	switch res.Verdict.Outcome {
	case gate.Fail:
		fmt.Fprintln(e.stderr, "The gate caught the slower decoding. Next: write a policy for your service (perfgate validate checks it), then perfgate run --policy it --target URL.")
	case gate.Invalid:
		fmt.Fprintln(e.stderr, "The measurement was not trustworthy on this machine (see the validity section); try again on a quieter machine.")
	default:
		fmt.Fprintln(e.stderr, "The gate did not fail this time; with --slowdown 1.3 the regression is larger.")
	}
	return exitPass
}

// serveSim serves a simulated inference server on a free 127.0.0.1 port.
func serveSim(cfg sim.Config) (url string, stop func(), err error) {
	s, err := sim.NewServer(cfg)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "perfgate demo: simulator stopped: %v\n", err)
		}
	}()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		s.Close()
	}, nil
}
