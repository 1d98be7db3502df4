package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlanExamplesWithoutStore(t *testing.T) {
	files, _ := filepath.Glob("../../policies/examples/*")
	if len(files) == 0 {
		t.Fatal("no example policies")
	}
	for _, f := range files {
		code, stdout, stderr := perfgate(context.Background(), t, "plan", "--policy", f, "--baseline-url", "http://127.0.0.1:1")
		if code != exitPass {
			t.Fatalf("%s: exit %d\n%s", f, code, stderr)
		}
		for _, want := range []string{"τ: the prior, no A/A records in the store", "≥ ", "unknown: no stored record", "learn τ from 5 A/A records"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: plan lacks %q:\n%s", f, want, stdout)
			}
		}
		code, stdout, _ = perfgate(context.Background(), t, "plan", "--policy", f)
		if code != exitPass || !strings.Contains(stdout, "no baseline") {
			t.Errorf("%s without a baseline: exit %d\n%s", f, code, stdout)
		}
	}
	if code, _, stderr := perfgate(context.Background(), t, "plan"); code != exitInvalid || !strings.Contains(stderr, "--policy") {
		t.Errorf("no policy: exit %d, %s", code, stderr)
	}
	if code, _, _ := perfgate(context.Background(), t, "plan", "--policy", "../../testdata/policies/bad/unknown-fields.cue"); code != exitInvalid {
		t.Errorf("a bad policy: exit %d", code)
	}
}
