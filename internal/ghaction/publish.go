package ghaction

import (
	"fmt"
	"os"
	"strconv"

	"github.com/sethvargo/go-githubactions"
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
		a.SetOutput("summary", o.Summary)
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
