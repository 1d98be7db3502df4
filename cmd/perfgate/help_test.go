package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// helpFlags returns the usage part of a command's --help (up to the first
// blank line) and the flags its "Flags:" list names.
func helpFlags(t *testing.T, name string) (usage string, flags []string) {
	t.Helper()
	code, out, stderr := perfgate(context.Background(), t, name, "--help")
	if code != exitPass {
		t.Fatalf("%s --help: exit %d\n%s", name, code, stderr)
	}
	usage, _, _ = strings.Cut(out, "\n\n")
	_, list, ok := strings.Cut(out, "\nFlags:\n")
	if !ok {
		return usage, nil
	}
	for _, l := range strings.Split(list, "\n") {
		if f, ok := strings.CutPrefix(l, "  -"); ok {
			flags = append(flags, strings.Fields(f)[0])
		}
	}
	return usage, flags
}

// TestUsageListsEveryFlag: the usage lines of every command name each of
// its flags (sim names its simulator knobs as [knobs...], listed below).
func TestUsageListsEveryFlag(t *testing.T) {
	for name := range commands {
		usage, flags := helpFlags(t, name)
		for _, f := range flags {
			if name == "sim" && f != "addr" && f != "saturation" {
				continue
			}
			if !regexp.MustCompile(`--` + regexp.QuoteMeta(f) + `\b`).MatchString(usage) {
				t.Errorf("perfgate %s: the usage lines do not name --%s:\n%s", name, f, usage)
			}
		}
	}
}

// TestHelpWithoutFlags: a command without flags ends its help without an
// empty "Flags:" list.
func TestHelpWithoutFlags(t *testing.T) {
	for _, name := range []string{"version"} {
		_, out, _ := perfgate(context.Background(), t, name, "--help")
		if strings.Contains(out, "Flags:") || !strings.HasSuffix(out, "\n") {
			t.Errorf("perfgate %s --help:\n%q", name, out)
		}
	}
}

// TestFlagAndScenarioTypos: an unknown flag or scenario says what was
// meant and what the choices are, before any load; a policy given as an
// argument is accepted.
func TestFlagAndScenarioTypos(t *testing.T) {
	pol := writePolicy(t, testPolicy)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--polcy", pol}, []string{"unknown flag --polcy; did you mean --policy?", "--scenario", "--label"}},
		{[]string{"version", "--strict"}, []string{"unknown flag --strict (it takes no flags)"}},
		{[]string{"validate", "--strict", pol}, []string{"unknown flag --strict (its flags: --allow-env)"}},
		{[]string{"demo", "--policy", pol}, []string{"unknown flag --policy", "--print-policy"}},
		{[]string{"run", pol, "--scenario", "stedy", "--quiet"}, []string{`no scenario "stedy"`, `did you mean "steady"?`, "(its scenarios: steady)"}},
		{[]string{"run", "--quiet"}, []string{"--policy is required", "perfgate run chat.cue"}},
	} {
		code, _, stderr := perfgate(context.Background(), t, tc.args...)
		if code != exitInvalid {
			t.Errorf("%v: exit %d, want 2\n%s", tc.args, code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, stderr)
			}
		}
	}
	code, out, _ := perfgate(context.Background(), t, "demo", "--print-policy")
	if code != exitPass || !strings.Contains(out, "scenarios") {
		t.Errorf("demo --print-policy: exit %d\n%s", code, out)
	}
}

// TestDocsNameOnlyRepositoryFiles: the README and docs link only files
// of the repository and name no machine paths.
func TestDocsNameOnlyRepositoryFiles(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/*.md")
	docs = append(docs, "../../README.md")
	link := regexp.MustCompile(`\]\(([^)#:\s]+)(#[^)]*)?\)`)
	machine := regexp.MustCompile("(^|[\\s`(])/(work|home|tmp|root|Users)/")
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		if m := machine.FindString(string(b)); m != "" {
			t.Errorf("%s names a machine path (%q...)", d, m)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(d), m[1])); err != nil {
				t.Errorf("%s links %s, which the repository does not have", d, m[1])
			}
		}
	}
}

// TestPlanTakesAPositionalPolicy: plan, like run, takes the policy as an
// argument.
func TestPlanTakesAPositionalPolicy(t *testing.T) {
	code, out, stderr := perfgate(context.Background(), t, "plan", writePolicy(t, testPolicy))
	if code != exitPass || !strings.Contains(out, "scenario steady") {
		t.Errorf("plan POLICY: exit %d\n%s\n%s", code, out, stderr)
	}
}
