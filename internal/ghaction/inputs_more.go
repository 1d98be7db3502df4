package ghaction

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// splitList splits an input on newlines and commas, trimmed, without
// empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// expandPolicies resolves the policy input: each item a path or a glob
// (filepath.Match syntax: *, ?, [..]; no **), relative to the workspace
// (the working directory). A glob must match a file; a plain path is kept
// even when missing, so that reading it says what is wrong.
func expandPolicies(input, workspace string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, pat := range splitList(input) {
		if !strings.ContainsAny(pat, "*?[") {
			if !seen[pat] {
				seen[pat], out = true, append(out, pat)
			}
			continue
		}
		matches, err := filepath.Glob(pat)
		if err != nil {
			return nil, fmt.Errorf("policy %q: %v", pat, err)
		}
		var files []string
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
				files = append(files, m)
			}
		}
		if len(files) == 0 {
			where := "the workspace"
			if workspace != "" {
				where = workspace
			}
			return nil, fmt.Errorf("policy %q matches no file in %s", pat, where)
		}
		sort.Strings(files)
		for _, f := range files {
			if !seen[f] {
				seen[f], out = true, append(out, f)
			}
		}
	}
	return out, nil
}

// mentionRe is a GitHub user (@alice) or team (@org/team).
var mentionRe = regexp.MustCompile(`^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9_.-]{0,99})?$`)

// parseMentions reads the mention input: users and teams, with or without
// the @, separated by spaces, commas or newlines.
func parseMentions(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == '\t' }) {
		if !strings.HasPrefix(f, "@") {
			f = "@" + f
		}
		if !mentionRe.MatchString(f) {
			return nil, fmt.Errorf("mention %q: want a GitHub user (@alice) or team (@org/team)", f)
		}
		out = append(out, f)
	}
	return out, nil
}

// Args are the flags the args input may pass to the gate, the subset of
// perfgate run's flags that the other inputs do not already cover.
type Args struct {
	// MaxLag is --max-lag: the schedule lag p99 above which a run is
	// invalid (0: the default).
	MaxLag time.Duration
	// Scenarios is --scenario: comma-separated scenarios to run.
	Scenarios []string
	// Title is --title: the report's headline instead of the policy's.
	Title string
	// Quiet is --quiet: no progress lines in the log.
	Quiet bool
}

// ArgsFlags are the flags args accepts, for messages and docs.
var ArgsFlags = []string{"--max-lag DURATION", "--scenario LIST", "--title TEXT", "--quiet"}

// ParseArgs checks the args input: flags of perfgate run that no other
// input sets, separated by whitespace (no shell quoting; --title takes one
// word, or use --title=... with no spaces). Anything else is an error that
// names the flag and lists the accepted ones.
func ParseArgs(s string) (Args, error) {
	var a Args
	fs := flag.NewFlagSet("args", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&a.MaxLag, "max-lag", 0, "")
	fs.StringVar(&a.Title, "title", "", "")
	fs.BoolVar(&a.Quiet, "quiet", false, "")
	fs.Func("scenario", "", func(v string) error { a.Scenarios = append(a.Scenarios, splitList(v)...); return nil })
	accepted := strings.Join(ArgsFlags, ", ")
	if err := fs.Parse(strings.Fields(s)); err != nil {
		return a, fmt.Errorf("args %q: %v (accepted: %s; the other settings have their own inputs)", s, err, accepted)
	}
	if fs.NArg() > 0 {
		return a, fmt.Errorf("args: unexpected %q: args takes only flags (accepted: %s)", fs.Arg(0), accepted)
	}
	if a.MaxLag < 0 {
		return a, fmt.Errorf("args: --max-lag %v is negative", a.MaxLag)
	}
	return a, nil
}
