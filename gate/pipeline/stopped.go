package pipeline

import (
	"fmt"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/gate/runner"
	"github.com/perfgate/perfgate/policies"
)

// stopped writes the report of a run that fail_fast stopped because the
// target failed nearly every request of a scenario's first seconds, and
// returns ErrCannotMeasure with the cause: the dominant error class, its
// count and status and the server's message. Nothing is judged or saved.
func (o Options) stopped(p *policies.Policy, ae *runner.AbortError, res *runner.Outcome, started time.Time) (*Result, error) {
	a := ae.Abort
	arm := a.Arm
	if arm == "base" {
		arm = "baseline"
	}
	st := &gate.Stopped{Scenario: ae.Scenario, Arm: arm, AfterS: a.After.Seconds(), Requests: a.Requests, Failed: a.Failed,
		ErrorClass: a.Class, Count: a.Count, Status: a.Status, Message: a.Message}
	v := &gate.Verdict{Outcome: gate.Invalid, Reason: st.Sentence(), Mode: gate.ModeNone, Stopped: st}
	var runs []*baseline.Record
	if res != nil {
		runs = res.Records
	}
	ri := o.reportInput(p, v, runs, nil)
	ri.Partial, ri.Duration = true, time.Since(started)
	r := &Result{Verdict: v, Mode: ri.Mode, Markdown: report.Markdown(ri, report.MarkdownOptions{}), Records: runs, OutDir: o.OutDir}
	if o.OutDir != "" {
		if werr := writeReports(o.OutDir, ri, r.Markdown); werr != nil {
			o.logf("writing reports: %v", werr)
		}
	}
	return r, fmt.Errorf("%w: %s", ErrCannotMeasure, st.Sentence())
}
