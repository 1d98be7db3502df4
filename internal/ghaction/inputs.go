package ghaction

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/sethvargo/go-githubactions"

	"github.com/perfgate/perfgate/policies"
)

// Inputs are the action's inputs (action.yml), checked.
type Inputs struct {
	Policy, Target, BaselineURL string
	// Token is github-token, else GITHUB_TOKEN.
	Token string
	// Store is the store spec: "branch:NAME", "dir:PATH", "none" or "".
	Store string
	// Save is save-baseline: "auto", "true" or "false".
	Save string
	// FailOn is "fail", "warn" or "never"; Out the report directory.
	FailOn, Out string
	Comment     CommentMode
	Labels      map[string]string
	// Keep is how many runs the store keeps per policy, scenario and
	// branch; 0 means the store's default.
	Keep int
	// AllowForkPolicy runs the gate on pull_request_target and
	// workflow_run events for a fork's code (allow-fork-policy).
	AllowForkPolicy bool
	// AllowEnv lists the environment variables (names, PREFIX_*) the
	// policy may read: the allow-env input.
	AllowEnv []string
	// ReportDir and PRNumber select publishing a report made by an
	// earlier job instead of running the gate.
	ReportDir string
	PRNumber  int

	// Policies are the policy files the policy input names: one or more
	// paths or globs (newline- or comma-separated), each glob matching at
	// least one file, sorted and without duplicates.
	Policies []string
	// Scenarios, when not empty, are the scenarios to run (scenarios).
	Scenarios []string
	// Args are the extra flags of the args input, checked (ParseArgs).
	Args Args
	// ValidateOnly checks the policies and runs nothing (validate-only).
	ValidateOnly bool
	// Mention lists the users and teams (@alice, @org/team) the comment
	// mentions when the verdict is FAIL (mention).
	Mention []string
	// Shards are directories or files of a sharded run's shard records
	// (shards): the gate merges them (pipeline.Merge) instead of running
	// load.
	Shards []string
}

// ReadInputs reads and checks the action's inputs.
func ReadInputs(a *githubactions.Action, getenv func(string) string) (Inputs, error) {
	in := Inputs{
		Policy: a.GetInput("policy"), Target: a.GetInput("target"), BaselineURL: a.GetInput("baseline-url"),
		Token: a.GetInput("github-token"), Store: a.GetInput("store"), Save: strings.ToLower(a.GetInput("save-baseline")),
		FailOn: strings.ToLower(a.GetInput("fail-on")), Out: a.GetInput("out"), ReportDir: a.GetInput("report-dir"),
	}
	if in.Token == "" {
		in.Token = getenv("GITHUB_TOKEN")
	}
	var err error
	if in.Comment, err = ParseCommentMode(a.GetInput("comment")); err != nil {
		return in, err
	}
	switch in.Save {
	case "":
		in.Save = "auto"
	case "auto", "true", "false":
	default:
		return in, fmt.Errorf("save-baseline %q: want auto, true or false", in.Save)
	}
	if in.FailOn == "" {
		in.FailOn = "fail"
	}
	if in.Out == "" {
		in.Out = "perfgate-report"
	}
	if in.Labels, err = parseLabels(a.GetInput("labels")); err != nil {
		return in, err
	}
	switch s := strings.ToLower(a.GetInput("allow-fork-policy")); s {
	case "", "false":
	case "true":
		in.AllowForkPolicy = true
	default:
		return in, fmt.Errorf("allow-fork-policy %q: want true or false", s)
	}
	if in.AllowEnv, err = policies.ParseAllowEnv(a.GetInput("allow-env")); err != nil {
		return in, err
	}
	if s := a.GetInput("keep"); s != "" {
		if in.Keep, err = strconv.Atoi(s); err != nil || in.Keep < 0 {
			return in, fmt.Errorf("keep %q: want a number of runs, 0 for the store's default", s)
		}
	}
	if s := a.GetInput("pr-number"); s != "" {
		if in.PRNumber, err = strconv.Atoi(s); err != nil || in.PRNumber <= 0 {
			return in, fmt.Errorf("pr-number %q is not a pull-request number", s)
		}
	}
	if in.Policy == "" && in.ReportDir == "" {
		return in, errors.New("the policy input is required")
	}
	in.Scenarios = splitList(a.GetInput("scenarios"))
	if in.Args, err = ParseArgs(a.GetInput("args")); err != nil {
		return in, err
	}
	switch s := strings.ToLower(a.GetInput("validate-only")); s {
	case "", "false":
	case "true":
		in.ValidateOnly = true
	default:
		return in, fmt.Errorf("validate-only %q: want true or false", s)
	}
	if in.Mention, err = parseMentions(a.GetInput("mention")); err != nil {
		return in, err
	}
	if in.ReportDir == "" {
		if in.Policies, err = expandPolicies(in.Policy, getenv("GITHUB_WORKSPACE")); err != nil {
			return in, err
		}
	}
	if in.Shards = splitList(a.GetInput("shards")); len(in.Shards) > 0 && len(in.Policies) != 1 {
		return in, fmt.Errorf("shards: the records of a sharded run belong to one policy; the policy input names %d", len(in.Policies))
	}
	return in, nil
}

// parseLabels reads key=value pairs separated by newlines or commas.
func parseLabels(s string) (map[string]string, error) {
	labels := map[string]string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("labels: %q is not key=value", f)
		}
		labels[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return labels, nil
}

// MaskingGetenv returns getenv that also masks, in the workflow log, the
// value of every variable whose name looks secret (SecretName), the first
// time it is read: whatever reads the environment through it cannot print
// a secret unmasked.
func MaskingGetenv(a *githubactions.Action, getenv func(string) string) func(string) string {
	var mu sync.Mutex
	masked := map[string]bool{}
	return func(k string) string {
		v := getenv(k)
		mu.Lock()
		defer mu.Unlock()
		if v != "" && SecretName(k) && !masked[k] {
			masked[k] = true
			a.AddMask(v)
		}
		return v
	}
}

// SecretName reports whether an environment variable probably holds a
// secret, so that its value is masked in the log once read.
func SecretName(k string) bool {
	k = strings.ToUpper(k)
	for _, w := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "AUTH", "CREDENTIAL", "COOKIE"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}
