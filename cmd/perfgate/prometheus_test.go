//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/sim"
)

// startPrometheus runs Debian's prometheus binary scraping target
// (host:port) every second, on a free loopback port, and returns its URL.
// A machine without it fails the test with the command that installs it.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("prometheus not found in PATH: install it with `apt-get install -y prometheus` (.ci/run does)")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	yml := fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n- job_name: sim\n  static_configs: [{targets: [%q]}]\n", target)
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	// Ready once it has scraped the target: Prometheus hands new targets
	// to its scrapers only every 5 s.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/api/v1/query?query=up%3D%3D1")
		if err == nil {
			var r struct {
				Data struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if len(r.Data.Result) > 0 {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus at %s had not scraped %s after 30 s\n%s", url, target, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const prometheusPolicy = `name: "prometheus-e2e"
target: {
	url: "http://127.0.0.1:1"
	api: "openai-chat"
	model: "sim-llama-3.1-8b"
	ready: {timeout: "5s", interval: "100ms"}
	prometheus: {url: "PROM", queries: {
		gpu_util: {query: "avg(DCGM_FI_DEV_GPU_UTIL) / 100", unit: "ratio"}
		fb_used: {query: "DCGM_FI_DEV_FB_USED * 1048576", unit: "bytes"}
		broken: "sum(rate(DCGM_FI_DEV_GPU_UTIL[1m]"
	}}
}
workload: prompts: {input_tokens: 32, output_tokens: 16}
scenarios: spike: {rate: 10, factor: 3, at: "3s", hold: "6s", warmup: "2s", duration: "12s", window: "3s"}
slos: {"server.gpu_util.mean": "> 1%", "server.fb_used.max": "< 24GiB", "server.broken.max": "< 1"}
`

// TestPrometheusGPUMetric has a real Prometheus scrape a simulator with
// DCGM metrics every second while perfgate loads it, then checks that
// server.gpu_util, queried by perfgate over each window, equals the
// simulator's ground truth (its time-averaged batch occupancy) within the
// scrape resolution: between the truth of the window and that of the
// window moved back by the gauge's lag (two scrape intervals at most). A broken query leaves its SLO
// unmeasured with Prometheus's own message.
func TestPrometheusGPUMetric(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Prometheus")
	}
	t.Parallel()
	cfg := sim.DefaultConfig().NoNoise()
	cfg.Slots = 8
	cfg.GPU.Enabled = true
	s, srv := serveSim(t, cfg)
	prom := startPrometheus(t, strings.TrimPrefix(srv.URL, "http://"))
	out := t.TempDir()
	pol := writePolicy(t, strings.Replace(prometheusPolicy, "PROM", prom, 1))
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", pol, "--target", srv.URL, "--out", out, "--quiet", "--max-lag", "1s")
	noCrash(t, stdout, stderr)
	if code != exitNoTrust {
		t.Errorf("exit %d, want 3 (the broken query's SLO is unmeasured)\n%s\n%s", code, stdout, stderr)
	}
	checks := phaseReportChecks(t, out)
	if c := checks["server.broken.max/slo"]; c.Verdict != "invalid" || !strings.Contains(c.Reason, "parse error") || !strings.Contains(c.Reason, "target.prometheus.queries.broken") {
		t.Errorf("broken query: %+v, want invalid with Prometheus's parse error", c)
	}
	if c := checks["server.gpu_util.mean/slo"]; c.Verdict != "pass" {
		t.Errorf("gpu_util SLO: %+v", c)
	}
	b, err := os.ReadFile(filepath.Join(out, "records", "spike.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Time    time.Time `json:"time"`
		Windows []struct {
			Start float64 `json:"start_s"`
			End   float64 `json:"end_s"`
		} `json:"windows"`
		Metrics map[string]struct {
			Windows []struct {
				Stats map[string]float64 `json:"stats"`
			} `json:"windows"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	util, ok := rec.Metrics["server.gpu_util"]
	if !ok || len(util.Windows) != len(rec.Windows) {
		t.Fatalf("no server.gpu_util windows in the record")
	}
	measured := rec.Time.Add(2 * time.Second)
	at := func(s float64) time.Time { return measured.Add(time.Duration(s * float64(time.Second))) }
	const scrape = time.Second
	for i, w := range rec.Windows {
		got, has := util.Windows[i].Stats["mean"]
		if !has {
			t.Errorf("window %d: no value from Prometheus", i+1)
			continue
		}
		got *= 100
		from, to := at(w.Start), at(w.End)
		truth, _, n := s.GPUTruth(from, to)
		if n == 0 {
			t.Fatalf("window %d: no ground truth", i+1)
		}
		// Scrape resolution: Prometheus holds the gauge as scraped up to
		// one interval earlier, and the gauge is itself the average of the
		// past second (DCGM's sample period), so the window it describes
		// lies up to two intervals earlier. The truth of the window shifted
		// by 0 to -2 s brackets it (with half a point of rounding).
		lo, hi := truth, truth
		for d := -2 * scrape; d < 0; d += scrape / 4 {
			if v, _, m := s.GPUTruth(from.Add(d), to.Add(d)); m > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		t.Logf("window %d: Prometheus %.2f%%, truth %.2f%% (%.2f–%.2f%% shifted by up to 2 scrape intervals)", i+1, got, truth, lo, hi)
		if got < lo-0.5 || got > hi+0.5 {
			t.Errorf("window %d: server.gpu_util.mean %.2f%%, ground truth %.2f%%: outside %.2f–%.2f%%, the truth within the scrape resolution", i+1, got, truth, lo, hi)
		}
	}
}
