package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/perfgate/perfgate/internal/inert/inerttest"
)

// codeSpan is a code span of a comment (see gate/report's hostile test):
// GitHub renders its text as it is.
var codeSpan = regexp.MustCompile("(^|[^\\\\])`[^`]*`")

// TestHostileTargetCannotFormatTheComment: a target (a preview built from a
// fork) fails half its requests with the hostile text as the error body
// and as an SSE error message, and the policy's title is hostile too. The
// PR comment, the job summary, the annotations, the outputs and the JUnit
// report must keep none of it live.
func TestHostileTargetCannotFormatTheComment(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	var n atomic.Int64
	srv := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			http.Error(w, inerttest.Hostile, http.StatusInternalServerError)
		case 1:
			w.Header().Set("Content-Type", "text/event-stream")
			msg, _ := json.Marshal(inerttest.Hostile)
			w.Write([]byte("data: {\"error\":{\"message\":" + string(msg) + "}}\n\n"))
		default:
			writeChunks(w, r, 4, 0)
		}
	})
	h := newActionHarness(t)
	title, _ := json.Marshal(inerttest.Hostile)
	policy := strings.Replace(secretPolicy, `name: "secrets"`, `name: "secrets"
report: title: `+string(title), 1)
	policy = strings.Replace(policy, "headers: {\n\t\tAuthorization: {env: \"PG_VALUE\", prefix: \"Bearer \"}\n\t\t\"X-Tenant\": {env: \"PG_TENANT\"}\n\t}\n", "", 1)
	if err := os.WriteFile(h.env["INPUT_POLICY"], []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	h.env["INPUT_TARGET"] = srv.URL
	code, stdout, stderr := h.run("pull_request", "pull_request_same_repo.json")
	noCrash(t, stdout, stderr)
	cs := h.gh.Comments("acme", "chat", 42)
	if len(cs) != 1 {
		t.Fatalf("exit %d, %d comments\n%s\n%s", code, len(cs), stdout, stderr)
	}
	summary, err := os.ReadFile(h.env["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	junit, err := os.ReadFile(filepath.Join(h.env["INPUT_OUT"], "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// The error bodies reach the comment; JUnit carries none of them (the
	// policy name and reasons that it does carry are tested with hostile
	// text in gate/report's TestHostileTextGolden).
	if strings.Count(cs[0].Body, "octocat") < 3 {
		t.Fatalf("the hostile text did not reach the title and both error examples: the test proves nothing\n%s", cs[0].Body)
	}
	for where, md := range map[string]string{"PR comment": cs[0].Body, "job summary": string(summary)} {
		_, body, _ := strings.Cut(md, "\n") // the marker, an HTML comment
		if found := inerttest.Forbidden(codeSpan.ReplaceAllString(body, "$1`…`"), true); len(found) > 0 {
			t.Errorf("%s keeps %q:\n%s", where, found, md)
		}
		if strings.Count(md, "<details") != strings.Count(md, "</details>") {
			t.Errorf("%s: <details> and </details> do not pair", where)
		}
	}
	var commands []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "::") && !strings.HasPrefix(line, "::add-mask::") {
			commands = append(commands, line)
		}
	}
	for where, text := range map[string]string{"annotations": strings.Join(commands, "\n"), "JUnit": string(junit), "outputs": strings.Join(mapValues(h.outputs()), "\n")} {
		if found := inerttest.Forbidden(text, false); len(found) > 0 {
			t.Errorf("%s keep %q:\n%s", where, found, text)
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
