package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/sim"
)

// faultPolicy is a short streaming scenario for the fault matrix: 20 req/s
// for 1 s in 500 ms windows, no warm-up, and the given per-request timeout.
func faultPolicy(timeout string) string {
	return fmt.Sprintf(`name: "faults"
target: {
	url: "http://127.0.0.1:1"
	api: "openai-chat"
	model: "m"
	timeout: %q
	ready: {timeout: "3s", interval: "50ms"}
}
workload: prompts: {input_tokens: 8, output_tokens: 4}
scenarios: steady: {rate: 20, warmup: "0s", duration: "1s", window: "500ms", max_in_flight: 64}
slos: {"error_rate": "< 50%%"}
`, timeout)
}

// writeChunks streams n OpenAI chat chunks with pause between them, then
// the finish reason, the usage and [DONE]. It returns false when the
// client went away.
func writeChunks(w http.ResponseWriter, r *http.Request, n int, pause time.Duration) bool {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	for i := 0; i < n; i++ {
		if i > 0 && pause > 0 {
			select {
			case <-time.After(pause):
			case <-r.Context().Done():
				return false
			}
		}
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":\"t%d \"}}]}\n\n", i)
		fl.Flush()
	}
	fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":{\"completion_tokens\":%d}}\n\ndata: [DONE]\n\n", n)
	fl.Flush()
	return true
}

// healthy answers /health and streams good completions.
func healthy(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	if r.URL.Path == "/health" {
		return
	}
	writeChunks(w, r, 4, 0)
}

// faultServer serves /health (200) and hands every other request to h.
func faultServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		io.Copy(io.Discard, r.Body)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// waitOrGone blocks until d passes or the client goes away.
func waitOrGone(r *http.Request, d time.Duration) {
	select {
	case <-time.After(d):
	case <-r.Context().Done():
	}
}

// runReport is the part of report.json the fault tests read.
type runReport struct {
	Verdict  string   `json:"verdict"`
	Partial  bool     `json:"partial"`
	Warnings []string `json:"warnings"`
	Runs     []struct {
		Arm           string            `json:"arm"`
		Partial       bool              `json:"partial"`
		Sent          int64             `json:"sent"`
		Succeeded     int64             `json:"succeeded"`
		Failed        int64             `json:"failed"`
		Errors        map[string]int64  `json:"errors"`
		ErrorExamples map[string]string `json:"error_examples"`
	} `json:"runs"`
}

func readRunReport(t *testing.T, dir string) runReport {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("no report: %v", err)
	}
	var r runReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	for _, f := range []string{"comment.md", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	return r
}

// noCrash fails the test when an output looks like a panic or a stack trace.
func noCrash(t *testing.T, outputs ...string) {
	t.Helper()
	for _, s := range outputs {
		for _, bad := range []string{"panic:", "goroutine ", ".go:", "runtime error"} {
			if strings.Contains(s, bad) {
				t.Fatalf("output contains %q:\n%s", bad, s)
			}
		}
	}
}

// refusedAfterReady returns the URL of a server that answers one readiness
// probe and then stops listening: every request of the run is refused.
func refusedAfterReady(t *testing.T) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		srv.Listener.Close()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestFaultMatrix runs perfgate run against a target with one fault each
// and checks that the failures end as classified errors in report.json,
// with an explanation, within the policy's timeouts, and never as a crash
// or a hang.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	elsewhere := atomic.Int64{}
	other := faultServer(t, func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1); healthy(w, r) })
	var burst atomic.Int64

	cases := []struct {
		name    string
		target  func(t *testing.T) string
		timeout string
		class   string // the error class that must appear
		example string // a word of the class's first message ("a|b": either)
		mixed   bool   // some requests succeed
	}{
		// The requests racing the listener's close are reset, the later
		// ones refused: the first example may be either.
		{"connection refused", refusedAfterReady, "2s", "connect", "refused|reset", false},
		{"reset mid-stream", func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n")
				w.(http.Flusher).Flush()
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				buf.Flush()
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0) // close with a RST
				}
				conn.Close()
			}).URL
		}, "2s", "stream", "", false},
		{"slow first byte beyond the timeout", func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) {
				waitOrGone(r, 3*time.Second)
				writeChunks(w, r, 4, 0)
			}).URL
		}, "300ms", "timeout", "300ms", false},
		{"slow stream beyond the timeout", func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) { writeChunks(w, r, 20, 100*time.Millisecond) }).URL
		}, "400ms", "timeout", "400ms", false},
		{"hang", func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) { waitOrGone(r, 10*time.Second) }).URL
		}, "500ms", "timeout", "500ms", false},
		{"429 with Retry-After", func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "30")
				http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
			}).URL
		}, "2s", "http-4xx", "429", false},
		{"bursts of 5xx", func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) {
				if (burst.Add(1)/5)%2 == 1 {
					http.Error(w, "upstream overloaded", http.StatusServiceUnavailable)
					return
				}
				writeChunks(w, r, 4, 0)
			}).URL
		}, "2s", "http-5xx", "503", true},
		{"simulator errors", func(t *testing.T) string {
			return startSim(t, func(c *sim.Config) { c.Model, c.ErrorRate = "m", 0.3 })
		}, "2s", "http-5xx", "500", true},
		{"simulator stalls beyond the timeout", func(t *testing.T) string {
			return startSim(t, func(c *sim.Config) { c.Model, c.StallRate, c.StallDuration = "m", 20, 2*time.Second })
		}, "300ms", "timeout", "300ms", false},
		{"malformed SSE", func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "<html><body>502 Bad Gateway</body></html>\n")
			}).URL
		}, "2s", "stream", "not an SSE stream", false},
		{"truncated SSE", func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n")
			}).URL
		}, "2s", "stream", "without [DONE]", false},
		{"oversized SSE line", func(t *testing.T) string {
			line := "data: " + strings.Repeat("x", 1<<20+10) + "\n\n"
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, line)
			}).URL
		}, "2s", "stream", "longer than the limit", false},
		{"redirect to another host", func(t *testing.T) string {
			return faultServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
			}).URL
		}, "2s", "check", "not followed", false},
	}
	t.Run("cases", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				target := tc.target(t)
				out := t.TempDir()
				start := time.Now()
				code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, faultPolicy(tc.timeout)),
					"--target", target, "--out", out, "--quiet")
				took := time.Since(start)
				noCrash(t, stdout, stderr)
				// 1 s of load, then at most one timeout and the grace period.
				timeout, _ := time.ParseDuration(tc.timeout)
				if limit := 1*time.Second + timeout + 2*time.Second + 5*time.Second; took > limit {
					t.Errorf("took %v, more than %v", took, limit)
				}
				if code != exitFail && code != exitNoTrust && code != exitPass {
					t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
				}
				r := readRunReport(t, out)
				if len(r.Runs) != 1 {
					t.Fatalf("%d runs in the report", len(r.Runs))
				}
				run := r.Runs[0]
				if run.Errors[tc.class] == 0 {
					t.Fatalf("no %s errors: %+v\n%s", tc.class, run, stderr)
				}
				for class, n := range run.Errors {
					if class != tc.class && !tc.mixed {
						t.Errorf("unexpected class %s (%d): %s", class, n, run.ErrorExamples[class])
					}
				}
				msg := run.ErrorExamples[tc.class]
				says := slices.ContainsFunc(strings.Split(tc.example, "|"), func(w string) bool { return strings.Contains(msg, w) })
				if msg == "" || !says || strings.Contains(msg, "\n") {
					t.Errorf("%s example %q does not say %q", tc.class, msg, tc.example)
				}
				md, _ := os.ReadFile(filepath.Join(out, "comment.md"))
				if !strings.Contains(string(md), "requests failed") || !strings.Contains(string(md), tc.class) {
					t.Errorf("the comment does not explain the %s errors:\n%s", tc.class, md)
				}
				if tc.mixed && run.Succeeded == 0 {
					t.Errorf("no request succeeded between the failures: %+v", run)
				}
			})
		}
	})
	// The parallel cases have finished.
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("%d requests reached the redirect's other host", n)
	}
}

// TestFaultReadinessExits3 covers faults that stop the run before any load:
// the probe's answer is a TLS error or a hang; perfgate exits 3 naming the
// URL and the cause within the readiness timeout.
func TestFaultReadinessExits3(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(healthy))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors are expected
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { waitOrGone(r, 10*time.Second) }))
	t.Cleanup(hang.Close)
	for _, tc := range []struct{ name, url, cause string }{
		{"TLS", tlsSrv.URL, "certificate"},
		{"hang", hang.URL, "no answer within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := strings.Replace(faultPolicy("2s"), `timeout: "3s"`, `timeout: "800ms"`, 1)
			start := time.Now()
			code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, pol), "--target", tc.url, "--out", t.TempDir(), "--quiet")
			noCrash(t, stdout, stderr)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v with a readiness timeout of 800ms", took)
			}
			if code != exitNoTrust || !strings.Contains(stderr, tc.cause) || !strings.Contains(stderr, strings.TrimPrefix(tc.url, "https://")) {
				t.Errorf("exit %d, want 3 with %q and the URL:\n%s", code, tc.cause, stderr)
			}
		})
	}
}

// TestPanicIsOneLine: a bug that panics in a command prints one line and
// exits 3, never a stack trace (unless PERFGATE_DEBUG asks for it).
func TestPanicIsOneLine(t *testing.T) {
	register(&command{name: "test-bug", run: func(context.Context, *env, []string) int {
		var m map[string]int
		m["x"]++ // a nil map write: a runtime error
		return 0
	}})
	defer delete(commands, "test-bug")
	code, stdout, stderr := perfgate(context.Background(), t, "test-bug")
	if code != exitNoTrust || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "internal error") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	noCrash(t, stdout, strings.ReplaceAll(stderr, "runtime error", "")) // the value is named, the stack is not printed
	var out, errb strings.Builder
	run(context.Background(), []string{"test-bug"}, func(k string) string { return map[string]string{"PERFGATE_DEBUG": "1"}[k] }, &out, &errb)
	if !strings.Contains(errb.String(), "goroutine ") {
		t.Errorf("PERFGATE_DEBUG=1 did not add the stack:\n%s", errb.String())
	}
}
