package ghaction

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/internal/inert"
	"github.com/perfgate/perfgate/policies"
)

// Annotation levels.
const (
	LevelError   = "error"
	LevelWarning = "warning"
	LevelNotice  = "notice"
)

// Annotation is a workflow annotation: a message shown on the run and, with
// a file, on that file in the pull request's diff.
type Annotation struct {
	Level     string // LevelError, LevelWarning or LevelNotice
	File      string // relative to the repository root; "" for none
	Line, Col int    // 0 when unknown
	Title     string
	Message   string
}

// PolicyAnnotations returns one error annotation per problem of a policy
// that did not parse, at its file, line and column. err is what
// policies.Parse returned; an error of another kind gives one annotation
// without a position.
func PolicyAnnotations(err error) []Annotation {
	if err == nil {
		return nil
	}
	var es policies.Errors
	if errors.As(err, &es) {
		out := make([]Annotation, 0, len(es))
		for _, e := range es {
			out = append(out, policyAnnotation(e))
		}
		return out
	}
	var e *policies.Error
	if errors.As(err, &e) {
		return []Annotation{policyAnnotation(e)}
	}
	return []Annotation{{Level: LevelError, Title: "perfgate policy", Message: err.Error()}}
}

func policyAnnotation(e *policies.Error) Annotation {
	msg := e.Msg
	if e.Path != "" {
		msg = e.Path + ": " + msg
	}
	return Annotation{Level: LevelError, File: e.Pos.Filename, Line: e.Pos.Line, Col: e.Pos.Col, Title: "perfgate policy", Message: msg}
}

// VerdictAnnotations returns an annotation per gating check that did not
// pass (error for fail and invalid, warning for warn) and one for an
// invalid run, placed on the policy file.
func VerdictAnnotations(v *gate.Verdict, policyFile string) []Annotation {
	if v == nil {
		return nil
	}
	var out []Annotation
	if v.Outcome == gate.Invalid {
		out = append(out, Annotation{Level: LevelError, File: policyFile, Title: "perfgate: run not trusted", Message: v.Reason})
	}
	for _, c := range v.Checks {
		if !c.Gating {
			continue
		}
		level := ""
		switch c.Verdict {
		case gate.Fail, gate.Invalid:
			level = LevelError
		case gate.Warn:
			level = LevelWarning
		default:
			continue
		}
		out = append(out, Annotation{
			Level: level, File: policyFile,
			Title:   fmt.Sprintf("perfgate %s: %s %s", c.Verdict, c.Scenario, c.Name),
			Message: c.Reason,
		})
	}
	return out
}

// Annotate writes annotations as workflow commands through a; titles and
// messages are made inert (inert.Line), since they quote the policy and
// the target.
func Annotate(a *githubactions.Action, anns []Annotation) {
	for _, an := range anns {
		f := map[string]string{}
		if an.Title != "" {
			f["title"] = inert.Line(an.Title)
		}
		if an.File != "" {
			f["file"] = an.File
			if an.Line > 0 {
				f["line"] = strconv.Itoa(an.Line)
				if an.Col > 0 {
					f["col"] = strconv.Itoa(an.Col)
				}
			}
		}
		w := a.WithFieldsMap(f)
		msg := inert.Line(an.Message)
		switch an.Level {
		case LevelError:
			w.Errorf("%s", msg)
		case LevelWarning:
			w.Warningf("%s", msg)
		default:
			w.Noticef("%s", msg)
		}
	}
}
