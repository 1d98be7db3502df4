package ghaction

import (
	"fmt"
	"strings"

	"github.com/perfgate/perfgate/gate/pipeline"
	"github.com/perfgate/perfgate/internal/inert"
	"github.com/perfgate/perfgate/policies"
)

// validateOnly checks every policy as "perfgate validate" does, under the
// workflow's allow-env, and runs nothing: no load, no store, no comment.
// Each problem is an annotation at its position; the job summary lists
// each policy; the verdict output is pass when all are valid, else
// invalid, and the exit code 0 or 2.
func (j *Job) validateOnly() int {
	var md strings.Builder
	md.WriteString("## perfgate: policies checked (validate-only)\n\n")
	invalid := 0
	for _, file := range j.In.Policies {
		p, err := policies.ParseFile(file)
		if err == nil {
			if errs := j.EnvRule().Check(p); errs != nil {
				err = errs
			}
		}
		if err != nil {
			invalid++
			fmt.Fprintf(j.Log, "%v\n", err)
			Annotate(j.Action, PolicyAnnotations(err))
			fmt.Fprintf(&md, "- `%s`: **invalid**: %s\n", inert.Code(file), inert.Markdown(strings.SplitN(err.Error(), "\n", 2)[0]))
			continue
		}
		fmt.Fprintf(&md, "- `%s`: ok: %s\n", inert.Code(file), inert.Markdown(p.Summary()))
		for _, w := range p.SampleWarnings() {
			j.Action.Warningf("%s: %s", file, inert.Line(w))
		}
	}
	if err := j.CheckScenarios(); err != nil {
		invalid++
		j.Action.Errorf("perfgate: %v", err)
		fmt.Fprintf(&md, "- **invalid**: %s\n", inert.Markdown(err.Error()))
	}
	out := Outputs{Verdict: "pass", Summary: fmt.Sprintf("%d policies valid", len(j.In.Policies))}
	if invalid > 0 {
		out = Outputs{Verdict: "invalid", Summary: fmt.Sprintf("%d of %d policies invalid", invalid, len(j.In.Policies))}
	}
	fmt.Fprintf(j.Log, "perfgate: validate-only: %s\n", out.Summary)
	if err := Publish(j.Action, out, md.String()); err != nil {
		fmt.Fprintf(j.Log, "perfgate: %v\n", err)
	}
	if invalid > 0 {
		return pipeline.ExitInvalid
	}
	return pipeline.ExitPass
}
