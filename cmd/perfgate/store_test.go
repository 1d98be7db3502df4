package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

// TestCorruptStoredRecordsAreSkippedAndNamed stores one good baseline, then
// puts a file with bad JSON, one of an unknown schema version and one whose
// histogram does not decode next to it. perfgate run --store still compares
// with the good record, and the report's warnings name every bad file.
func TestCorruptStoredRecordsAreSkippedAndNamed(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	target := faultServer(t, healthy).URL
	pol := writePolicy(t, faultPolicy("2s"))
	store := t.TempDir()
	for i := 0; i < 2; i++ {
		code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", pol, "--target", target, "--store", store,
			"--save-baseline", "--branch", "main", "--commit", "good", "--out", t.TempDir(), "--quiet")
		if code != exitPass {
			t.Fatalf("baseline run: exit %d\n%s\n%s", code, stdout, stderr)
		}
	}
	group := filepath.Join(store, "faults", "steady", "run", "main")
	files, err := filepath.Glob(filepath.Join(group, "*.json"))
	if err != nil || len(files) != 2 {
		t.Fatalf("stored %v (%v), want two records", files, err)
	}
	good, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	hist := regexp.MustCompile(`"hist": "HIST[^"]+"`)
	if !hist.Match(good) {
		t.Fatal("the stored record has no histogram to corrupt")
	}
	// Newer names than the good records, so they are read first.
	bad := map[string][]byte{
		"29990101T000000.000000000Z-badjson-00000001.json": good[:len(good)/2],
		"29990101T000000.000000000Z-schema-00000002.json":  []byte(strings.Replace(string(good), "perfgate/record/v1", "perfgate/record/v7", 1)),
		"29990101T000000.000000000Z-hist-00000003.json":    hist.ReplaceAll(good, []byte(`"hist": "HISTFAAAAnotahistogram"`)),
	}
	for name, data := range bad {
		if err := os.WriteFile(filepath.Join(group, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", pol, "--target", target, "--store", store,
		"--branch", "feature", "--base-branch", "main", "--out", out, "--quiet")
	noCrash(t, stdout, stderr)
	if code != exitPass && code != exitFail {
		t.Fatalf("exit %d with corrupt records in the store\n%s\n%s", code, stdout, stderr)
	}
	r := readRunReport(t, out)
	warnings := strings.Join(r.Warnings, "\n")
	for name := range bad {
		if !strings.Contains(warnings, filepath.Join(group, name)) {
			t.Errorf("no warning names %s:\n%s", name, warnings)
		}
	}
	t.Logf("warnings:\n%s", warnings)
	for _, want := range []string{"newer perfgate", "histogram"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings do not say %q:\n%s", want, warnings)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "comment.md"))
	if !strings.Contains(string(md), "29990101T000000.000000000Z-badjson-00000001.json") {
		t.Errorf("the comment does not name the bad file:\n%s", md)
	}
	// The good records were used: history mode.
	b, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if !strings.Contains(string(b), `"mode": "history"`) {
		t.Errorf("the good stored records were not compared with:\n%s", b)
	}
}

// TestFailedRunsAreNotSavedAsBaselines: a run that is invalid (every
// request failed: nothing measured) or that broke its error-rate SLO is
// not stored by --save-baseline; the report and stderr say why, and the
// store stays empty.
func TestFailedRunsAreNotSavedAsBaselines(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	var n atomic.Int64
	for _, tc := range []struct {
		name    string
		h       http.HandlerFunc
		exit    int
		warning string
	}{
		{"every request failed", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		}, exitFail, "not saved as a baseline: scenario steady broke its error-rate SLO (error_rate = 100%"},
		{"error-rate SLO broken", func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1)%2 == 0 {
				http.Error(w, "overloaded", http.StatusServiceUnavailable)
				return
			}
			writeChunks(w, r, 4, 0)
		}, exitFail, "not saved as a baseline: scenario steady broke its error-rate SLO (error_rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store, out := t.TempDir(), t.TempDir()
			pol := strings.Replace(faultPolicy("2s"), `"error_rate": "< 50%"`, `"error_rate": "< 5%"`, 1) + "fail_fast: enabled: false\n"
			code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, pol), "--target", faultServer(t, tc.h).URL,
				"--store", store, "--save-baseline", "--branch", "main", "--out", out, "--quiet", "--max-lag", "1s")
			noCrash(t, stdout, stderr)
			if code != tc.exit || !strings.Contains(stderr, tc.warning) {
				t.Fatalf("exit %d (want %d), stderr lacks %q:\n%s", code, tc.exit, tc.warning, stderr)
			}
			r := readRunReport(t, out)
			if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, tc.warning) }) {
				t.Errorf("report warnings %q lack %q", r.Warnings, tc.warning)
			}
			st, err := baseline.NewDirStore(store, 0)
			if err != nil {
				t.Fatal(err)
			}
			recs, _, err := st.List(context.Background(), baseline.Query{Policy: "faults"})
			if err != nil || len(recs) != 0 {
				t.Errorf("stored %d records (%v)", len(recs), err)
			}
		})
	}
}
