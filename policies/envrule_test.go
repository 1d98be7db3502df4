package policies

import (
	"strings"
	"testing"
)

// plantedPolicy asks for the runner's tokens and one variable of its own.
const plantedPolicy = `name: "planted"
target: {
	url: "http://127.0.0.1:8000"
	api: "openai-chat"
	model: "m"
	headers: {
		Authorization: {env: "GITHUB_TOKEN", prefix: "Bearer "}
		"X-Runner": {env: "ACTIONS_RUNTIME_TOKEN"}
		"X-Key": {env: "PERF_KEY"}
	}
}
workload: prompts: {input_tokens: 8, output_tokens: 4}
scenarios: steady: {rate: 1}
`

func TestEnvRuleRefusesReservedNamesEverywhere(t *testing.T) {
	p, err := Parse("perf.cue", []byte(plantedPolicy))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []EnvRule{{}, {CI: true, Allow: []string{"PERF_*"}}} {
		errs := r.Check(p)
		if len(errs) != 2 {
			t.Fatalf("%+v: want 2 errors, got %v", r, errs)
		}
		want := []string{
			`perf.cue:7:19: target.headers.Authorization.env: environment variable GITHUB_TOKEN is reserved`,
			`perf.cue:8:16: target.headers."X-Runner".env: environment variable ACTIONS_RUNTIME_TOKEN is reserved`,
		}
		for i, w := range want {
			if !strings.HasPrefix(errs[i].Error(), w) || !strings.Contains(errs[i].Error(), "--allow-env") {
				t.Errorf("error %d = %q\nwant prefix %q and how to allow a variable", i, errs[i], w)
			}
		}
		get := r.Getenv(func(k string) string { return "value of " + k })
		if get("GITHUB_TOKEN") != "" || get("ACTIONS_RUNTIME_TOKEN") != "" || get("github_token") != "" {
			t.Errorf("a reserved name was readable")
		}
		if get("PERF_KEY") != "value of PERF_KEY" {
			t.Errorf("an allowed name was not readable")
		}
	}
}

func TestEnvRuleInCIReadsOnlyAllowedNames(t *testing.T) {
	p, err := Parse("perf.cue", []byte(strings.NewReplacer("GITHUB_TOKEN", "OPENAI_KEY", "ACTIONS_RUNTIME_TOKEN", "PERF_TENANT").Replace(plantedPolicy)))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rule EnvRule
		want []string // refused names
	}{
		{EnvRule{}, nil}, // a developer's machine
		{EnvRule{CI: true}, []string{"OPENAI_KEY", "PERF_TENANT", "PERF_KEY"}},
		{EnvRule{CI: true, Allow: []string{"PERF_*"}}, []string{"OPENAI_KEY"}},
		{EnvRule{CI: true, Allow: []string{"PERF_*", "OPENAI_KEY"}}, nil},
		{EnvRule{Allow: []string{"PERF_KEY"}}, []string{"OPENAI_KEY", "PERF_TENANT"}},
	}
	for _, c := range cases {
		errs := c.rule.Check(p)
		var got []string
		for _, e := range errs {
			for _, n := range []string{"OPENAI_KEY", "PERF_TENANT", "PERF_KEY"} {
				if strings.Contains(e.Msg, "variable "+n+" ") {
					got = append(got, n)
					if !strings.Contains(e.Msg, "--allow-env "+n) {
						t.Errorf("%+v: %q does not say how to allow it", c.rule, e)
					}
				}
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%+v refused %v, want %v", c.rule, got, c.want)
		}
	}
}

func TestParseAllowEnv(t *testing.T) {
	got, err := ParseAllowEnv("PERF_*, OPENAI_KEY\nX")
	if err != nil || strings.Join(got, " ") != "PERF_* OPENAI_KEY X" {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"*", "GITHUB_TOKEN", "ACTIONS_*", "GIT*", "A*B", "ci_job_token"} {
		if _, err := ParseAllowEnv(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestCommandEnvRuleDetectsCI(t *testing.T) {
	for env, want := range map[string]bool{"": false, "CI=false": false, "CI=0": false, "CI=true": true, "CI=1": true, "GITHUB_ACTIONS=true": true} {
		k, v, _ := strings.Cut(env, "=")
		r, err := CommandEnvRule(func(name string) string {
			if name == k {
				return v
			}
			return ""
		}, "")
		if err != nil || r.CI != want || r.strict() != want {
			t.Errorf("%q: %+v, %v; want CI %v", env, r, err, want)
		}
	}
	if r, _ := CommandEnvRule(func(string) string { return "" }, "PERF_KEY"); r.CI || !r.strict() {
		t.Errorf("--allow-env outside CI: %+v is not strict", r)
	}
}
