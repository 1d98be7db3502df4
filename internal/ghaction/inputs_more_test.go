package ghaction

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	a, err := ParseArgs("--max-lag 1s --scenario steady,burst --quiet --title=nightly")
	if err != nil || a.MaxLag != time.Second || strings.Join(a.Scenarios, "+") != "steady+burst" || !a.Quiet || a.Title != "nightly" {
		t.Fatalf("%+v %v", a, err)
	}
	if a, err := ParseArgs(""); err != nil || a.MaxLag != 0 {
		t.Errorf("empty: %+v %v", a, err)
	}
	for _, bad := range []string{"--target http://x", "--max-lag -1s", "--max-lag", "steady", "--store none", "--fail-on never"} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
}

func TestParseMentions(t *testing.T) {
	got, err := parseMentions("alice, @acme/perf-team\n@bob-2")
	if err != nil || strings.Join(got, " ") != "@alice @acme/perf-team @bob-2" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"@", "@-x", "a;b", "@acme/team/x", "@" + strings.Repeat("a", 40), "[x](y)"} {
		if _, err := parseMentions(bad); err == nil {
			t.Errorf("parseMentions(%q) accepted", bad)
		}
	}
	if MentionLine([]string{"@a"}, "warn") != "" || MentionLine(nil, "fail") != "" || !strings.Contains(MentionLine([]string{"@a", "@o/t"}, "fail"), "cc @a @o/t") {
		t.Error("MentionLine: only on fail, only with names")
	}
}

func TestExpandPolicies(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.cue", "a.cue", "x.yaml"} {
		os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "d.cue"), 0o755)
	got, err := expandPolicies(filepath.Join(dir, "*.cue")+"\n"+filepath.Join(dir, "a.cue")+","+filepath.Join(dir, "x.yaml"), "")
	want := []string{filepath.Join(dir, "a.cue"), filepath.Join(dir, "b.cue"), filepath.Join(dir, "x.yaml")}
	if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v %v, want %v (sorted, no duplicates, no directories)", got, err, want)
	}
	if _, err := expandPolicies(filepath.Join(dir, "*.json"), "/ws"); err == nil || !strings.Contains(err.Error(), "matches no file in /ws") {
		t.Errorf("no match: %v", err)
	}
	if got, err := expandPolicies("missing.cue", ""); err != nil || len(got) != 1 {
		t.Errorf("a plain path is kept for its read error: %v %v", got, err)
	}
}

func TestLoopbackRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := ln.Addr().String()
	defer ln.Close()
	ctx := context.Background()
	if err := loopbackRefused(ctx, "http://"+open); err != nil {
		t.Errorf("an answering loopback target: %v", err)
	}
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln2.Addr().String()
	ln2.Close()
	for _, u := range []string{"http://" + closed, "http://localhost:" + strings.Split(closed, ":")[1] + "/v1"} {
		if err := loopbackRefused(ctx, u); err == nil || !strings.Contains(err.Error(), "services") || !strings.Contains(err.Error(), "setup@v1") {
			t.Errorf("%s: %v", u, err)
		}
	}
	// Not loopback: never dialled here.
	for _, u := range []string{"http://sim:8000", "https://api.example.com", "http://10.0.0.1:1", "::bad"} {
		if err := loopbackRefused(ctx, u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
