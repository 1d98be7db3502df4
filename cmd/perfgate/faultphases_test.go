//go:build unix

package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/sim"
	"github.com/perfgate/perfgate/internal/toxitest"
)

// dependencyBehindToxiproxy starts a dependency (answers 200 at once), a
// real Toxiproxy proxy named proxy in front of it, and a simulator that
// calls the dependency through the proxy before every request. It returns
// the simulator's URL and the Toxiproxy API URL.
func dependencyBehindToxiproxy(t *testing.T, proxy string) (simURL, api string) {
	t.Helper()
	dep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(dep.Close)
	api = toxitest.Start(t)
	addr := toxitest.Proxy(t, api, proxy, strings.TrimPrefix(dep.URL, "http://"))
	simURL = startSim(t, func(c *sim.Config) {
		c.Dependency.URL = "http://" + addr + "/"
		c.Dependency.Timeout = 5 * time.Second
	})
	return simURL, api
}

const faultPhasePolicy = `name: "failover-e2e"
target: {
	url: "http://127.0.0.1:1"
	api: "openai-chat"
	model: "sim-llama-3.1-8b"
	ready: {timeout: "5s", interval: "100ms"}
}
workload: prompts: {input_tokens: 32, output_tokens: 8}
scenarios: steady: {rate: 20, warmup: "1s", duration: "DURATION", window: "2s",
	faults: [{name: "slow-dep", at: "AT", for: "15s", tolerance: "300%",
		toxiproxy: {url: "API", proxy: "PROXY", type: "latency", latency: "400ms"}}]}
slos: {"before.e2e.p95": "< 5s", "during.e2e.p95": "< 5s", "during.error_rate": "< 5%", "recovery": "< 10s"}
regression: gate: ["e2e.p95"]
`

func faultPhasePolicyFor(api, proxy, at, duration string) string {
	return strings.NewReplacer("API", api, "PROXY", proxy, "AT", at, "DURATION", duration).Replace(faultPhasePolicy)
}

// recordFaults reads the fault phases of the stored record of scenario
// steady in out.
// recordTime returns the time of the record of scenario in out/records.
func recordTime(t *testing.T, out, scenario string) time.Time {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "records", scenario+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.Time
}

func recordFaults(t *testing.T, out string) []struct {
	Name        string  `json:"name"`
	Start       float64 `json:"start_s"`
	Stop        float64 `json:"stop_s"`
	Stopped     bool    `json:"stopped"`
	Interrupted bool    `json:"interrupted"`
	StopError   string  `json:"stop_error"`
} {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "records", "steady.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Faults []struct {
			Name        string  `json:"name"`
			Start       float64 `json:"start_s"`
			Stop        float64 `json:"stop_s"`
			Stopped     bool    `json:"stopped"`
			Interrupted bool    `json:"interrupted"`
			StopError   string  `json:"stop_error"`
		} `json:"faults"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.Faults
}

type phaseReportCheck struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Verdict   string   `json:"verdict"`
	Candidate *float64 `json:"candidate"`
	Reason    string   `json:"reason"`
}

func phaseReportChecks(t *testing.T, out string) map[string]phaseReportCheck {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Checks []phaseReportCheck `json:"checks"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	m := map[string]phaseReportCheck{}
	for _, c := range r.Checks {
		m[c.Name+"/"+c.Kind] = c
	}
	return m
}

// TestLatencyToxicDuringRun puts a real Toxiproxy latency toxic (+400 ms)
// in front of the simulator's dependency for 15 s in the middle of a 27 s
// run: it shows in during.e2e.p95 and not in before.e2e.p95, the toxic is
// gone afterwards, and the recovery is timed within one window (2 s) of
// the truth (the service is back as soon as the toxic is removed; requests
// in flight then take up to 0.4 s more). The recovery tolerance (p95 back
// within +300% of about 60 ms) keeps a busy machine's noise from reading
// as a slow recovery, and is still far below the toxic's +400 ms.
func TestLatencyToxicDuringRun(t *testing.T) {
	if testing.Short() {
		t.Skip("a 28-second run")
	}
	t.Parallel()
	simURL, api := dependencyBehindToxiproxy(t, "dep-run")
	out := t.TempDir()
	pol := writePolicy(t, faultPhasePolicyFor(api, "dep-run", "6s", "27s"))
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", pol, "--target", simURL, "--out", out, "--quiet", "--max-lag", "1s")
	noCrash(t, stdout, stderr)
	if code != exitPass {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if got := toxitest.Toxics(t, api, "dep-run"); len(got) != 0 {
		t.Errorf("toxics after the run: %v", got)
	}
	faults := recordFaults(t, out)
	if len(faults) != 1 || !faults[0].Stopped || faults[0].Interrupted || faults[0].Stop-faults[0].Start < 14.9 {
		t.Fatalf("fault phases in the record: %+v", faults)
	}
	checks := phaseReportChecks(t, out)
	before, during := checks["before.e2e.p95/slo"], checks["during.e2e.p95/slo"]
	if before.Candidate == nil || during.Candidate == nil || *during.Candidate < 400 || *before.Candidate > 300 {
		t.Fatalf("before %+v, during %+v: want the +400 ms toxic in during only", before, during)
	}
	rec := checks["recovery/slo"]
	if rec.Candidate == nil || rec.Verdict != "pass" {
		t.Fatalf("recovery: %+v", rec)
	}
	// Truth: 0 s after the toxic was removed, plus up to 0.4 s for the
	// requests in flight; the timing's resolution is one window (2 s).
	if *rec.Candidate < 0 || *rec.Candidate > 2000+400 {
		t.Errorf("recovery %.0f ms, want within one window (2 s) of the truth (0–0.4 s)", *rec.Candidate)
	}
	t.Logf("before.e2e.p95 %.0f ms, during.e2e.p95 %.0f ms, recovery %.0f ms; fault %.2f–%.2f s", *before.Candidate, *during.Candidate, *rec.Candidate, faults[0].Start, faults[0].Stop)
	if c, ok := checks["fault.slow-dep.e2e.p95/slo"]; !ok || !strings.Contains(c.Reason, "during it against") {
		t.Errorf("degradation check: %+v", c)
	}
}

// TestInterruptedRunRemovesToxic sends SIGTERM to a perfgate process
// while its fault is active: the process removes the toxic before it
// exits, and its record says the fault was interrupted.
func TestInterruptedRunRemovesToxic(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	t.Parallel()
	simURL, api := dependencyBehindToxiproxy(t, "dep-sigterm")
	out := t.TempDir()
	pol := writePolicy(t, faultPhasePolicyFor(api, "dep-sigterm", "500ms", "30s"))
	cmd, stderr := startPerfgate(t, "run", "--policy", pol, "--target", simURL, "--out", out, "--quiet", "--max-lag", "1s")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for len(toxitest.Toxics(t, api, "dep-sigterm")) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			t.Fatalf("the toxic was never added\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running 15 s after SIGTERM\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitNoTrust {
		t.Errorf("exit %v, want 3\n%s", err, stderr.String())
	}
	noCrash(t, stderr.String())
	if got := toxitest.Toxics(t, api, "dep-sigterm"); len(got) != 0 {
		t.Fatalf("toxics after SIGTERM: %v: the fault was left active", got)
	}
	faults := recordFaults(t, out)
	if len(faults) != 1 || !faults[0].Interrupted || !faults[0].Stopped {
		t.Errorf("fault phases in the record: %+v, want interrupted and stopped", faults)
	}
}

const fallbackPolicy = `name: "fallback-e2e"
target: {url: "http://127.0.0.1:1", api: "http", ready: {timeout: "5s", interval: "100ms"}}
workload: requests: [{path: "/predict", body: {instances: [1]},
	checks: json: [{path: "predictions.0.label", exists: true}]}]
scenarios: steady: {rate: 20, warmup: "1s", duration: "14s", window: "1s",
	// Recovery is the breaker's (errors); the latency of 1-s windows of 20
	// requests on a busy machine is too noisy for the default 10%.
	faults: [{name: "cut", at: "3s", for: "4s", tolerance: "100%",
		toxiproxy: {url: "API", proxy: "PROXY", type: "timeout", timeout: "0s"}}]}
slos: {"during.error_rate": "< 5%", "before.error_rate": "< 1%", "recovery": "< 10s"}
fail_fast: enabled: false
`

// TestTimeoutToxicRecoveryTime stalls the simulator's dependency (a
// Toxiproxy timeout toxic) for 4 s: the simulator times its calls out
// after 300 ms and answers with its fallback (no predictions), which the
// policy's response check counts as errors (class check); its circuit
// breaker then keeps failing requests for 3 s after the last failed call,
// so the service recovers about 3 s after the fault ends. The recovery
// perfgate reports is within one window (1 s) of that truth.
func TestTimeoutToxicRecoveryTime(t *testing.T) {
	if testing.Short() {
		t.Skip("a 15-second run")
	}
	t.Parallel()
	dep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(dep.Close)
	api := toxitest.Start(t)
	addr := toxitest.Proxy(t, api, "dep-fallback", strings.TrimPrefix(dep.URL, "http://"))
	cfg := sim.DefaultConfig().NoNoise()
	cfg.Dependency = sim.DependencyConfig{URL: "http://" + addr + "/", Timeout: 300 * time.Millisecond, Fallback: "degraded", Breaker: 3 * time.Second}
	s, srv := serveSim(t, cfg)
	out := t.TempDir()
	pol := writePolicy(t, strings.NewReplacer("API", api, "PROXY", "dep-fallback").Replace(fallbackPolicy))
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", pol, "--target", srv.URL, "--out", out, "--quiet", "--max-lag", "1s")
	noCrash(t, stdout, stderr)
	if code != exitFail {
		t.Errorf("exit %d, want 1 (during.error_rate breaks its SLO)\n%s\n%s", code, stdout, stderr)
	}
	checks := phaseReportChecks(t, out)
	during := checks["during.error_rate/slo"]
	if during.Verdict != "fail" || during.Candidate == nil || *during.Candidate < 0.5 {
		t.Errorf("during.error_rate: %+v, want most requests during the cut answered by the fallback", during)
	}
	if c := checks["before.error_rate/slo"]; c.Verdict != "pass" {
		t.Errorf("before.error_rate: %+v, want no fallback before the fault", c)
	}
	r := readRunReport(t, out)
	if len(r.Runs) == 0 || r.Runs[0].Errors["check"] == 0 {
		t.Errorf("errors by class: %+v, want check failures (the fallback answers)", r.Runs)
	}
	if got := toxitest.Toxics(t, api, "dep-fallback"); len(got) != 0 {
		t.Errorf("toxics after the run: %v", got)
	}
	// The truth: the breaker closed for good this long after the fault's
	// stop hook started.
	recTime := recordTime(t, out, "steady")
	faults := recordFaults(t, out)
	if len(faults) != 1 {
		t.Fatalf("faults: %+v", faults)
	}
	stopped := recTime.Add(time.Second + time.Duration(faults[0].Stop*float64(time.Second)))
	truth := s.BreakerUntil().Sub(stopped)
	rc := checks["recovery/slo"]
	if rc.Candidate == nil || rc.Verdict != "pass" {
		t.Fatalf("recovery: %+v", rc)
	}
	got := time.Duration(*rc.Candidate * float64(time.Millisecond))
	t.Logf("during.error_rate %.1f%%; recovery %v, truth %v (breaker 3 s after the last failed call)", 100**during.Candidate, got, truth.Round(time.Millisecond))
	if d := got - truth; truth < 3*time.Second || d < -time.Second || d > time.Second {
		t.Errorf("recovery %v, truth %v: want within one window (1 s), and a truth of at least the breaker's 3 s", got, truth)
	}
}
