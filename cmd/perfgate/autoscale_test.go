package main

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/sim"
)

const autoscalePolicy = `name: "autoscale-e2e"
target: {
	url: "http://127.0.0.1:1"
	api: "openai-chat"
	model: "sim-llama-3.1-8b"
	ready: {timeout: "5s", interval: "100ms"}
	metrics: {url: "/metrics", interval: "500ms", series: replicas: {metrics: ["perfgate_sim_replicas"], unit: "count"}}
}
workload: prompts: {input_tokens: 32, output_tokens: 16}
scenarios: spike: {rate: 5, factor: 6, at: "4s", hold: "10s", warmup: "1s", duration: "20s", window: "2s"}
slos: {"scale_up": "< 15s", "suffered": "< 100%"}
regression: gate: ["scale_up"]
`

// TestAutoscaleScaleUpTime runs a spike against a simulator that
// autoscales (2 slots, a replica ordered once the queue stays above 4
// for 0.5 s, serving 4 s later) and checks that the reported scale_up is
// within one window (2 s) of the true time from the spike's start to the
// new replica serving.
func TestAutoscaleScaleUpTime(t *testing.T) {
	if testing.Short() {
		t.Skip("a 21-second run")
	}
	t.Parallel()
	cfg := sim.DefaultConfig().NoNoise()
	cfg.Slots = 2
	cfg.Autoscale = sim.AutoscaleConfig{Enabled: true, Max: 3, Delay: 4 * time.Second, QueueThreshold: 4, Sustain: 500 * time.Millisecond}
	s, srv := serveSim(t, cfg)
	out := t.TempDir()
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, autoscalePolicy), "--target", srv.URL, "--out", out, "--quiet", "--max-lag", "1s")
	noCrash(t, stdout, stderr)
	if code != exitPass {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	events := s.ScaleEvents()
	if len(events) == 0 {
		t.Fatal("the simulator never scaled up")
	}
	spikeStart := recordTime(t, out, "spike").Add(time.Second + 4*time.Second) // warm-up + at
	truth := events[0].Ready.Sub(spikeStart)
	if d := events[0].Ready.Sub(events[0].Ordered); d != 4*time.Second {
		t.Errorf("replica ordered at %v, ready at %v: want the configured 4 s delay", events[0].Ordered, events[0].Ready)
	}
	checks := phaseReportChecks(t, out)
	c := checks["scale_up/slo"]
	if c.Candidate == nil || c.Verdict != "pass" {
		t.Fatalf("scale_up SLO: %+v", c)
	}
	got := time.Duration(*c.Candidate * float64(time.Millisecond))
	t.Logf("scale_up %v, truth %v (ordered %v after the spike started, delay 4 s); %s", got, truth.Round(time.Millisecond), events[0].Ordered.Sub(spikeStart).Round(time.Millisecond), checks["spike.scale_up/slo"].Reason)
	if math.Abs((got - truth).Seconds()) > 2 {
		t.Errorf("scale_up %v, truth %v: want within one window (2 s)", got, truth)
	}
	if sf := checks["suffered/slo"]; sf.Candidate == nil || !(*sf.Candidate > 0) {
		t.Errorf("suffered: %+v, want some requests that suffered", sf)
	}
	if g := checks["scale_up/regression"]; g.Verdict != "warn" || !strings.Contains(g.Reason, "no baseline") {
		t.Errorf("scale_up gate without a baseline: %+v", g)
	}
}
