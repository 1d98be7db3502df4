package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stoppedReport is what report.json says of a run fail_fast stopped.
type stoppedReport struct {
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
	Stopped *struct {
		Scenario   string `json:"scenario"`
		Requests   int64  `json:"requests"`
		Failed     int64  `json:"failed"`
		ErrorClass string `json:"error_class"`
		Count      int64  `json:"count"`
		Status     int    `json:"status"`
		Message    string `json:"message"`
	} `json:"stopped"`
	Checks []struct {
		Name       string `json:"name"`
		Verdict    string `json:"verdict"`
		ReasonKind string `json:"reason_kind"`
		Reason     string `json:"reason"`
	} `json:"checks"`
}

func readStopped(t *testing.T, dir string) (stoppedReport, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r stoppedReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "comment.md"))
	if err != nil {
		t.Fatal(err)
	}
	return r, string(md)
}

// headline is the comment's first paragraph after the title.
func headline(md string) string {
	parts := strings.SplitN(md, "\n\n", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// firstError is the first line of stderr that is not progress.
func firstError(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "perfgate:") {
			return l
		}
	}
	return ""
}

// A server that answers every POST with 500 and its own message: the run
// stops within seconds with exit 3, and the first error line on stderr, the
// comment's headline and report.json name the class, the count, the status
// and the server's message, without the secret header the server echoed.
func TestRunBrokenTargetStopsEarlyWithTheServersMessage(t *testing.T) {
	srv := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"error":{"message":"CUDA out of memory. Tried to allocate 2.00 GiB (auth %s)","type":"server_error","code":500}}`, r.Header.Get("Authorization"))
	})
	policy := writePolicy(t, fmt.Sprintf(`name: "broken"
target: {url: %q, api: "openai-chat", model: "m", ready: {timeout: "3s", interval: "50ms"},
	headers: Authorization: {env: "PG_FF_KEY", prefix: "Bearer "}}
workload: prompts: {input_tokens: 8, output_tokens: 4}
scenarios: steady: {rate: 20, warmup: "10s", duration: "60s"}
slos: {"error_rate": "< 1%%"}
`, srv.URL))
	out := t.TempDir()
	getenv := func(k string) string {
		if k == "PG_FF_KEY" {
			return "sk-live-7fQ2secret"
		}
		return testGetenv(k)
	}
	start := time.Now()
	code, stdout, stderr := perfgateIn(t, getenv, "run", "--policy", policy, "--out", out)
	took := time.Since(start)
	if code != exitNoTrust {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, stdout, stderr)
	}
	if took > 15*time.Second {
		t.Errorf("took %v: a 70 s schedule against a broken target must stop within seconds", took)
	}
	line := firstError(stderr)
	rep, md := readStopped(t, out)
	head := headline(md)
	for what, s := range map[string]string{"stderr": line, "headline": head, "reason": rep.Reason} {
		for _, want := range []string{"http-5xx", "status 500", "CUDA out of memory", "of 20 requests"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q: %s", what, want, s)
			}
		}
	}
	for what, s := range map[string]string{"stderr": stderr, "stdout": stdout, "comment": md, "reason": rep.Reason} {
		if strings.Contains(s, "sk-live-7fQ2secret") {
			t.Errorf("%s leaks the secret header:\n%s", what, s)
		}
	}
	st := rep.Stopped
	if rep.Verdict != "invalid" || st == nil {
		t.Fatalf("report: verdict %s, stopped %+v", rep.Verdict, st)
	}
	if st.Scenario != "steady" || st.ErrorClass != "http-5xx" || st.Status != 500 || st.Count != st.Failed || st.Failed != st.Requests || st.Requests < 20 ||
		!strings.HasPrefix(st.Message, "500 Internal Server Error: CUDA out of memory") || len(st.Message) > 210 {
		t.Errorf("stopped: %+v", *st)
	}
}

// The model name the simulator does not serve: 404 with vLLM's message.
func TestRunWrongModelStopsEarly(t *testing.T) {
	url := startSim(t, nil)
	policy := writePolicy(t, fmt.Sprintf(`name: "wrong-model"
target: {url: %q, api: "openai-chat", model: "sim-llama-8b", ready: {timeout: "3s", interval: "50ms"}}
workload: prompts: {input_tokens: 8, output_tokens: 4}
scenarios: steady: {rate: 8, warmup: "10s", duration: "60s"}
`, url))
	out := t.TempDir()
	start := time.Now()
	code, _, stderr := perfgate(context.Background(), t, "run", "--policy", policy, "--out", out)
	if code != exitNoTrust || time.Since(start) > 15*time.Second {
		t.Fatalf("exit %d after %v, want 3 within 15 s\n%s", code, time.Since(start), stderr)
	}
	rep, md := readStopped(t, out)
	want := "404 Not Found: The model `sim-llama-8b` does not exist."
	if rep.Stopped == nil || rep.Stopped.Message != want || rep.Stopped.Status != 404 || rep.Stopped.ErrorClass != "http-4xx" {
		t.Errorf("stopped: %+v", rep.Stopped)
	}
	if !strings.Contains(firstError(stderr), want) || !strings.Contains(headline(md), "sim-llama-8b") {
		t.Errorf("stderr %q / headline %q lack the server's message", firstError(stderr), headline(md))
	}
}

// With fail_fast off the broken target is measured to the end: error_rate
// fails, the headline names the dominant error, and the gating latency that
// no request measured says so on its row (never PASS).
func TestRunErrorRateHeadlineNamesTheCause(t *testing.T) {
	srv := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"detail":"CUDA out of memory"}`)
	})
	policy := writePolicy(t, fmt.Sprintf(`name: "broken"
target: {url: %q, api: "openai-chat", model: "m", ready: {timeout: "3s", interval: "50ms"}}
workload: prompts: {input_tokens: 8, output_tokens: 4}
scenarios: steady: {rate: 20, warmup: "0s", duration: "1s", window: "500ms"}
slos: {"error_rate": "< 1%%"}
regression: gate: ["e2e.p95", "error_rate"]
fail_fast: enabled: false
`, srv.URL))
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", policy, "--out", out)
	if code != exitFail {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	rep, md := readStopped(t, out)
	for _, want := range []string{"error_rate", "mostly http-5xx", "status 500", "CUDA out of memory"} {
		if !strings.Contains(rep.Reason, want) || !strings.Contains(headline(md), want) {
			t.Errorf("reason/headline lack %q:\n%s\n%s", want, rep.Reason, headline(md))
		}
	}
	found := false
	for _, c := range rep.Checks {
		if c.Name == "e2e.p95" {
			found = true
			if c.Verdict != "invalid" || c.ReasonKind != "unmeasured" || !strings.Contains(c.Reason, "could not be measured") || !strings.Contains(c.Reason, "CUDA") {
				t.Errorf("e2e.p95 row: %+v", c)
			}
		}
	}
	if !found {
		t.Errorf("no e2e.p95 row: %+v", rep.Checks)
	}
	if strings.Contains(md, "gating metric e2e.p95 was not measured") {
		t.Error("the unmeasured gate is still a generic warning")
	}
}
