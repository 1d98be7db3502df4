package policies

import (
	"fmt"
	"strings"
)

// A policy file lives in the repository, so a pull request can change it;
// the environment it runs in belongs to whoever runs perfgate. EnvRule is
// that person's choice of what a policy's target.headers may read:
//
//   - Names reserved by CI systems (ReservedEnv) are never readable, in CI
//     or not: they hold the runner's tokens (GITHUB_TOKEN,
//     ACTIONS_RUNTIME_TOKEN, CI_JOB_TOKEN, ...).
//   - In CI (the GitHub Action, or CI=true) a policy reads only the names
//     and prefixes the workflow allows (Allow: --allow-env, or the action's
//     allow-env input); nothing is allowed by default.
//   - On a developer's machine (not CI, no --allow-env) any other name is
//     readable: the developer chose the policy file and runs it in their
//     own shell. Giving --allow-env there applies the CI rule.

// EnvRule says which environment variables a policy may read.
type EnvRule struct {
	// CI selects the strict rule: only names Allow lists are readable.
	CI bool
	// Allow lists names ("OPENAI_API_KEY") and prefixes ending in "*"
	// ("PERF_*"). A non-empty list applies the strict rule outside CI too.
	Allow []string
}

// reservedPrefixes are the prefixes of variables that CI systems set for
// themselves, among them their tokens: GitHub Actions (GITHUB_, ACTIONS_,
// RUNNER_, INPUT_, STATE_), GitLab (CI_, GITLAB_), Azure Pipelines
// (SYSTEM_, whose SYSTEM_ACCESSTOKEN is the job's token), Buildkite,
// CircleCI, Travis, Bitbucket, Jenkins, Drone and TeamCity.
var reservedPrefixes = []string{
	"GITHUB_", "ACTIONS_", "RUNNER_", "INPUT_", "STATE_",
	"CI_", "GITLAB_", "SYSTEM_", "BUILDKITE_", "CIRCLE_", "TRAVIS_",
	"BITBUCKET_", "JENKINS_", "DRONE_", "TEAMCITY_",
}

// ReservedEnv returns the reserved prefix that name starts with (compared
// without case), or "" when a policy may be allowed to read name.
func ReservedEnv(name string) string {
	up := strings.ToUpper(name)
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(up, p) {
			return p + "*"
		}
	}
	return ""
}

// ParseAllowEnv reads an allow list: names and prefixes ending in "*",
// separated by commas, spaces or newlines. A reserved name or prefix, or a
// pattern that allows everything, is an error.
func ParseAllowEnv(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		name := strings.TrimSuffix(f, "*")
		switch {
		case name == "":
			return nil, fmt.Errorf("allow-env %q allows every variable; name the variables or a prefix such as PERF_*", f)
		case strings.ContainsAny(name, "*=$"):
			return nil, fmt.Errorf("allow-env %q: expected a variable name or a prefix ending in *", f)
		case ReservedEnv(name) != "":
			return nil, fmt.Errorf("allow-env %q: %s is reserved for the CI system and cannot be allowed", f, ReservedEnv(name))
		}
		for _, p := range reservedPrefixes {
			// A prefix such as "GIT*" would allow GITHUB_TOKEN.
			if strings.HasSuffix(f, "*") && strings.HasPrefix(p, strings.ToUpper(name)) {
				return nil, fmt.Errorf("allow-env %q would allow %s*, which is reserved for the CI system", f, p)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// CommandEnvRule is the rule of a command run with the allow list allow
// (--allow-env): strict in CI (CI set to anything but "false" or "0", or
// GITHUB_ACTIONS=true) and whenever allow names anything.
func CommandEnvRule(getenv func(string) string, allow string) (EnvRule, error) {
	list, err := ParseAllowEnv(allow)
	ci := strings.ToLower(getenv("CI"))
	return EnvRule{CI: ci != "" && ci != "false" && ci != "0" || getenv("GITHUB_ACTIONS") == "true", Allow: list}, err
}

// strict reports whether only the allow list is readable.
func (r EnvRule) strict() bool { return r.CI || len(r.Allow) > 0 }

// allowed reports whether the allow list names name.
func (r EnvRule) allowed(name string) bool {
	for _, a := range r.Allow {
		if p, ok := strings.CutSuffix(a, "*"); ok && strings.HasPrefix(name, p) || a == name {
			return true
		}
	}
	return false
}

// Refusal returns why name may not be read under r, or "" when it may.
func (r EnvRule) Refusal(name string) string {
	if p := ReservedEnv(name); p != "" {
		return fmt.Sprintf("environment variable %s is reserved for the CI system (%s) and a policy can never read it; "+
			"put the secret in a variable of your own (such as PERF_API_KEY) and allow that one with --allow-env PERF_API_KEY (the action's allow-env input)", name, p)
	}
	if r.strict() && !r.allowed(name) {
		where := "in CI"
		if !r.CI {
			where = "under --allow-env " + strings.Join(r.Allow, ",")
		}
		return fmt.Sprintf("environment variable %s is not allowed %s: a policy reads only the variables the workflow allows; "+
			"allow it with --allow-env %s (the action's allow-env input), if this policy may send it to the target", name, where, name)
	}
	return ""
}

// Check returns an error for each environment variable p reads that r does
// not let it read, at its position in the policy file; nil when none.
func (r EnvRule) Check(p *Policy) Errors {
	var errs Errors
	for _, h := range sortedKeys(p.Target.Headers) {
		name := p.Target.Headers[h].Env
		if why := r.Refusal(name); why != "" {
			e := Error{Pos: Position{Filename: p.File}, Path: "target.headers." + h + ".env"}
			if ref := p.envRefs[h]; ref != nil {
				e = *ref
			}
			e.Msg = why
			errs = append(errs, &e)
		}
	}
	for _, ref := range p.hookEnvRefs {
		if why := r.Refusal(ref.name); why != "" {
			e := *ref.at
			e.Msg = why
			errs = append(errs, &e)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	errs.sort()
	return errs
}

// Getenv returns getenv limited to what r lets a policy read: any other
// name reads as unset.
func (r EnvRule) Getenv(getenv func(string) string) func(string) string {
	return func(name string) string {
		if r.Refusal(name) != "" {
			return ""
		}
		return getenv(name)
	}
}

// envRefs returns the position and path of each header's env field.
func (c *checker) envRefs(p *Policy) map[string]*Error {
	out := make(map[string]*Error, len(p.Target.Headers))
	for h := range p.Target.Headers {
		path := []string{"target", "headers", h, "env"}
		line, col := posLineCol(c.posOf(path))
		out[h] = &Error{Pos: Position{Filename: c.filename, Line: line, Col: col}, Path: c.formatPath(path)}
	}
	return out
}
