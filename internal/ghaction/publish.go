package ghaction

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/gate/report"
	"github.com/perfgate/perfgate/internal/inert"
)

// Outputs are the action's outputs (action.yml).
type Outputs struct {
	Verdict    string  // pass, warn, fail or invalid
	ReportPath string  // the report directory's report.json
	CommentURL string  // the sticky comment, "" when none was written
	Capacity   float64 // req/s of the first capacity scenario, 0 if none
	Summary    string  // one sentence: the verdict's reason
}

// Publish sets the outputs and appends markdown to the job summary. It
// returns an error instead of panicking when GITHUB_OUTPUT or
// GITHUB_STEP_SUMMARY cannot be written; an unset variable skips that part
// (outside Actions there is nowhere to write).
func Publish(a *githubactions.Action, o Outputs, markdown string) error {
	if a.Getenv("GITHUB_OUTPUT") != "" {
		if err := writable(a.Getenv("GITHUB_OUTPUT")); err != nil {
			return fmt.Errorf("GITHUB_OUTPUT: %w", err)
		}
		capacity := ""
		if o.Capacity > 0 {
			capacity = strconv.FormatFloat(o.Capacity, 'f', -1, 64)
		}
		a.SetOutput("verdict", o.Verdict)
		a.SetOutput("report-path", o.ReportPath)
		a.SetOutput("comment-url", o.CommentURL)
		a.SetOutput("capacity", capacity)
		// A later step may quote the summary anywhere.
		a.SetOutput("summary", inert.Line(o.Summary))
	}
	if markdown != "" && a.Getenv("GITHUB_STEP_SUMMARY") != "" {
		if err := writable(a.Getenv("GITHUB_STEP_SUMMARY")); err != nil {
			return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
		}
		a.AddStepSummary(markdown)
	}
	return nil
}

// writable checks that an environment file can be appended to, since
// go-githubactions panics when it cannot.
func writable(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// ReadReportDir reads a report an earlier job wrote into dir (comment.md
// and report.json) for publishing, and checks it: a known schema and
// verdict, and a comment that starts with its policy's marker. It returns
// the comment body and the report.
func ReadReportDir(dir string) (string, *report.JSONReport, error) {
	md, err := os.ReadFile(filepath.Join(dir, "comment.md"))
	if err != nil {
		return "", nil, fmt.Errorf("report-dir: %w", err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		return "", nil, fmt.Errorf("report-dir: %w", err)
	}
	var rep report.JSONReport
	if err := json.Unmarshal(js, &rep); err != nil || rep.Schema != report.Schema {
		return "", nil, fmt.Errorf("report-dir: report.json is not a %s report", report.Schema)
	}
	if !strings.HasPrefix(string(md), report.Marker(rep.Policy)) {
		return "", nil, fmt.Errorf("report-dir: comment.md does not start with the marker of policy %q", rep.Policy)
	}
	switch rep.Verdict {
	case "pass", "warn", "fail", "invalid":
	default:
		return "", nil, fmt.Errorf("report-dir: unknown verdict %q", rep.Verdict)
	}
	return string(md), &rep, nil
}
