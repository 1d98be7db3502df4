package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/perfgate/perfgate/gate/pipeline"
)

func init() {
	register(&command{
		name:    "run",
		summary: "run the gate: load-test the target, compare with the baseline, decide",
		run:     runRun,
	})
}

func runRun(ctx context.Context, e *env, args []string) int {
	c := commands["run"]
	fs := newFlagSet(c, e)
	g := gateFlags{o: pipeline.Options{Labels: map[string]string{}}}
	g.bind(fs, e, "perfgate-report")
	fs.BoolVar(&g.o.SaveBaseline, "save-baseline", false, "store this run as the newest baseline of --branch")
	fs.StringVar(&g.o.FailOn, "fail-on", "fail", "verdict that exits non-zero: fail, warn or never")
	fs.StringVar(&g.o.BaseBranch, "base-branch", e.getenv("GITHUB_BASE_REF"), "branch whose stored runs to compare with (default --branch)")
	fs.Var(labelsFlag(g.o.Labels), "label", "environment label key=value, stored with the run (repeatable)")
	if done, code := parseFlags(c, fs, e, args); done {
		return code
	}
	res, code := g.run(ctx, c, e, fs)
	if res != nil {
		pipeline.WriteSummary(e.stdout, res.Verdict)
		var paths []string
		for _, f := range pipeline.ReportFiles {
			paths = append(paths, filepath.Join(res.OutDir, f))
		}
		fmt.Fprintf(e.stdout, "\nReports: %s\n", strings.Join(paths, ", "))
	}
	return code
}

// labelsFlag collects repeated --label key=value flags.
type labelsFlag map[string]string

func (l labelsFlag) String() string { return fmt.Sprint(map[string]string(l)) }
func (l labelsFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("expected key=value, got %q", s)
	}
	l[k] = v
	return nil
}
