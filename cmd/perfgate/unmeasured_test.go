package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// unmeasuredPolicy is faultPolicy with a metrics endpoint, extra SLOs and
// the given optional list.
func unmeasuredPolicy(slos, optional string) string {
	return strings.Replace(faultPolicy("2s"), `slos: {"error_rate": "< 50%"}`,
		"slos: {"+slos+"}\noptional: ["+optional+"]", 1) + `target: metrics: {url: "/metrics", interval: "100ms"}` + "\n" +
		"fail_fast: enabled: false\n" // every request failing is data here, not a reason to stop
}

// checkRow is a check of report.json as the unmeasured tests read it.
type checkRow struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Gating     bool   `json:"gating"`
	Verdict    string `json:"verdict"`
	ReasonKind string `json:"reason_kind"`
	Reason     string `json:"reason"`
}

func reportChecks(t *testing.T, dir string) (verdict string, checks map[string]checkRow) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Verdict string     `json:"verdict"`
		Checks  []checkRow `json:"checks"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	checks = map[string]checkRow{}
	for _, c := range r.Checks {
		checks[c.Kind+" "+c.Name] = c
	}
	return r.Verdict, checks
}

// TestUnmeasuredChecksAreOnTheirRowAndCannotPass: an SLO or a gating check
// that could not be measured stays in the report on its own row, says why,
// and makes the run invalid (exit 3), unless the policy lists it as
// optional (then it is informational and the run can pass).
func TestUnmeasuredChecksAreOnTheirRowAndCannotPass(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	llamaMetrics, err := os.ReadFile(filepath.Join("..", "..", "gate", "load", "testdata", "captures", "llamacpp-metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	server := func(metrics http.HandlerFunc, fail bool) func(t *testing.T) string {
		return func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/metrics":
					metrics(w, r)
				case fail:
					http.Error(w, "model not loaded", http.StatusServiceUnavailable)
				default:
					writeChunks(w, r, 4, 0)
				}
			}).URL
		}
	}
	notFound := func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
	llama := func(w http.ResponseWriter, r *http.Request) { w.Write(llamaMetrics) }
	cases := []struct {
		name, slos, optional string
		target               func(t *testing.T) string
		check                string // kind and name of the unmeasured check
		why                  string // a part of its reason
		exit                 int
	}{
		{"metrics endpoint answers 404", `"error_rate": "< 50%", "server.requests_running.max": "< 8"`, "",
			server(notFound, false), "slo server.requests_running.max", "404", exitNoTrust},
		{"metrics endpoint answers 404, optional", `"error_rate": "< 50%", "server.requests_running.max": "< 8"`, `"server.requests_running.max"`,
			server(notFound, false), "slo server.requests_running.max", "404", exitPass},
		{"no process metrics (llama.cpp)", `"error_rate": "< 50%", "server.rss_bytes.max": "< 2GB", "server.kv_cache_usage.max": "< 90%"`, "",
			server(llama, false), "slo server.rss_bytes.max", "exposed none", exitNoTrust},
		// Every request failing breaks the error-rate SLO: the run FAILs on
		// it (a measured failure), and the unmeasured rows say why. With
		// nothing that fails, an unmeasured check makes the run invalid.
		{"every request failed", `"error_rate": "< 50%", "ttft.p95": "< 2s"`, "",
			server(llama, true), "slo ttft.p95", "no request succeeded", exitFail},
		{"every request failed: a gating check", `"error_rate": "< 100%"`, "",
			server(llama, true), "regression tpot.p50", "no request succeeded", exitNoTrust},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, unmeasuredPolicy(tc.slos, tc.optional)),
				"--target", tc.target(t), "--out", out, "--quiet", "--max-lag", "1s")
			noCrash(t, stdout, stderr)
			verdict, checks := reportChecks(t, out)
			c, ok := checks[tc.check]
			if !ok {
				t.Fatalf("no row for %s in %v (verdict %s)", tc.check, checks, verdict)
			}
			if !strings.Contains(c.Reason, "could not be measured") || !strings.Contains(c.Reason, tc.why) {
				t.Errorf("%s: reason %q does not say why (%q)", tc.check, c.Reason, tc.why)
			}
			optional := tc.optional != ""
			if optional && (c.Gating || c.Verdict != "warn" || c.ReasonKind != "informational") ||
				!optional && (!c.Gating || c.Verdict != "invalid") {
				t.Errorf("%s: %+v", tc.check, c)
			}
			if code != tc.exit || (tc.exit == exitNoTrust) != (verdict == "invalid") {
				t.Errorf("exit %d verdict %s, want exit %d\n%s", code, verdict, tc.exit, stderr)
			}
			md, _ := os.ReadFile(filepath.Join(out, "comment.md"))
			if !strings.Contains(string(md), tc.why) {
				t.Errorf("the comment does not say why %s is unmeasured:\n%s", tc.check, md)
			}
		})
	}
}

// TestServerKilledMidRun: a server killed during the run leaves the
// windows after its death without scrapes that succeeded; its server
// metrics are unmeasured (the values of its healthy seconds do not pass
// an SLO) and the run is invalid, while the failed requests are counted
// as connection errors.
func TestServerKilledMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	var once sync.Once
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			return
		case "/metrics":
			io.WriteString(w, "vllm:num_requests_running 1\n")
			return
		}
		io.Copy(io.Discard, r.Body)
		once.Do(func() {
			time.AfterFunc(700*time.Millisecond, func() { srv.Listener.Close(); srv.CloseClientConnections() })
		})
		writeChunks(w, r, 4, 0)
	}))
	t.Cleanup(srv.Close)
	pol := strings.Replace(unmeasuredPolicy(`"error_rate": "< 100%", "server.requests_running.max": "< 8"`, ""), `duration: "1s"`, `duration: "2s"`, 1)
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, pol), "--target", srv.URL, "--out", out, "--quiet", "--max-lag", "1s")
	noCrash(t, stdout, stderr)
	verdict, checks := reportChecks(t, out)
	c := checks["slo server.requests_running.max"]
	if code != exitNoTrust || verdict != "invalid" || c.Verdict != "invalid" || !strings.Contains(c.Reason, "scrape coverage too low") {
		t.Fatalf("exit %d verdict %s, check %+v\n%s", code, verdict, c, stderr)
	}
	r := readRunReport(t, out)
	if r.Runs[0].Errors["connect"] == 0 || r.Runs[0].Succeeded == 0 {
		t.Errorf("runs %+v", r.Runs[0])
	}
	// The scrapes per window are reported (about 5 per 500 ms window at a
	// mean interval of 100 ms), and the failed ones with the first error.
	b, _ := os.ReadFile(filepath.Join(out, "report.json"))
	var sc struct {
		Runs []struct {
			Scrapes int64 `json:"scrapes"`
			Failed  int64 `json:"scrape_failures"`
			Min     int64 `json:"scrapes_per_window_min"`
			Max     int64 `json:"scrapes_per_window_max"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &sc); err != nil || len(sc.Runs) != 1 {
		t.Fatalf("report.json runs: %v", err)
	}
	if s := sc.Runs[0]; s.Scrapes < 10 || s.Failed == 0 || s.Failed >= s.Scrapes || s.Max < 2 || s.Min > s.Max {
		t.Errorf("scrapes %+v", s)
	}
	md, _ := os.ReadFile(filepath.Join(out, "comment.md"))
	if !strings.Contains(string(md), "scrapes of the server metrics (") || !strings.Contains(string(md), "per window") {
		t.Errorf("the comment does not report the scrapes:\n%s", md)
	}
}
