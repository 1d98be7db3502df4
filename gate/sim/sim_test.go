package sim

import (
	"math"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// poisson returns the requests of a seeded Poisson arrival process of rate
// per second over d.
func poisson(seed uint64, rate float64, d time.Duration, prompt, maxTokens int) []Request {
	rng := rand.New(rand.NewPCG(seed, 99))
	var reqs []Request
	t := 0.0
	for {
		t += rng.ExpFloat64() / rate
		at := time.Duration(t * float64(time.Second))
		if at >= d {
			return reqs
		}
		reqs = append(reqs, Request{Arrival: at, PromptTokens: prompt, MaxTokens: maxTokens})
	}
}

func simulate(t *testing.T, cfg Config, reqs []Request) []Timing {
	t.Helper()
	out, err := Simulate(cfg, reqs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitingAt is the number of accepted requests that had arrived but were not
// yet admitted at time at.
func waitingAt(out []Timing, at time.Duration) int {
	n := 0
	for _, t := range out {
		if t.Status == http.StatusOK && t.Arrival <= at && t.Admitted > at {
			n++
		}
	}
	return n
}

// medianTTFT is the median time to first token of the served requests that
// arrived in [from, to).
func medianTTFT(out []Timing, from, to time.Duration) time.Duration {
	var v []time.Duration
	for _, t := range out {
		if t.Status == http.StatusOK && t.Arrival >= from && t.Arrival < to {
			v = append(v, t.TTFT())
		}
	}
	return median(v)
}

func median(v []time.Duration) time.Duration {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func TestStepModelWithoutNoise(t *testing.T) {
	base := DefaultConfig().NoNoise()
	cases := []struct {
		name       string
		change     func(*Config)
		ttft, tpot time.Duration
	}{
		// TTFT = StepBase + 100 * PrefillPerToken; TPOT = StepBase + DecodePerSeq.
		{"default", func(*Config) {}, 10 * time.Millisecond, 6150 * time.Microsecond},
		{"ttft-slowdown", func(c *Config) { c.TTFTSlowdown = 2 }, 20 * time.Millisecond, 6150 * time.Microsecond},
		{"decode-slowdown", func(c *Config) { c.DecodeSlowdown = 2 }, 10 * time.Millisecond, 12300 * time.Microsecond},
		{"slowdown", func(c *Config) { c.Slowdown = 1.5 }, 15 * time.Millisecond, 9225 * time.Microsecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.change(&cfg)
			out := simulate(t, cfg, []Request{{Arrival: time.Second, PromptTokens: 100, MaxTokens: 10}})[0]
			if out.Status != http.StatusOK || out.OutputTokens != 10 || len(out.TokenTimes) != 10 {
				t.Fatalf("got %+v", out)
			}
			tpot, _ := out.TPOT()
			if out.TTFT() != tc.ttft || tpot != tc.tpot {
				t.Errorf("TTFT %v TPOT %v, want %v %v", out.TTFT(), tpot, tc.ttft, tc.tpot)
			}
			if out.TokenTimes[0] != out.FirstToken || out.TokenTimes[9] != out.End || out.Admitted != out.Arrival {
				t.Errorf("inconsistent times %+v", out)
			}
		})
	}
}

func TestDecodeStepGrowsWithBatch(t *testing.T) {
	cfg := DefaultConfig().NoNoise()
	reqs := make([]Request, 32)
	for i := range reqs {
		reqs[i] = Request{PromptTokens: 16, MaxTokens: 20}
	}
	out := simulate(t, cfg, reqs)
	one := simulate(t, cfg, reqs[:1])
	batched, _ := out[0].TPOT()
	alone, _ := one[0].TPOT()
	if batched <= alone {
		t.Errorf("TPOT with 32 running %v, alone %v: want it to grow with the batch", batched, alone)
	}
}

func TestSameSeedSameRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ErrorRate = 0.01
	cfg.StallRate = 0.2
	reqs := poisson(1, 15, 30*time.Second, 512, 128)
	a, b := simulate(t, cfg, reqs), simulate(t, cfg, reqs)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	cfg.Seed = 2
	c := simulate(t, cfg, reqs)
	if reflect.DeepEqual(a, c) {
		t.Fatal("two runs with different seeds are identical")
	}
}

func TestCliffAboveSaturation(t *testing.T) {
	cfg := DefaultConfig()
	sat := SaturationRPS(cfg, 512, 128)
	if sat < 5 || sat > 100 {
		t.Fatalf("saturation %.2f req/s is implausible for the default config", sat)
	}
	const d = 60 * time.Second
	below := simulate(t, cfg, poisson(3, 0.7*sat, d, 512, 128))
	above := simulate(t, cfg, poisson(3, 1.3*sat, d, 512, 128))
	qBelow, qAbove := waitingAt(below, d), waitingAt(above, d)
	qAboveHalf := waitingAt(above, d/2)
	ttftBelow := medianTTFT(below, 40*time.Second, d)
	ttftAbove := medianTTFT(above, 40*time.Second, d)
	t.Logf("saturation %.2f req/s; waiting at 60s: %d at 0.7x, %d at 1.3x (%d at 30s); median TTFT in 40-60s: %v at 0.7x, %v at 1.3x",
		sat, qBelow, qAbove, qAboveHalf, ttftBelow, ttftAbove)
	// 30% over saturation the backlog grows by about 0.3*sat requests a second.
	if grow := float64(qAbove - qAboveHalf); grow < 0.5*0.3*sat*30 {
		t.Errorf("above saturation the waiting queue grew by %.0f in 30 s, want at least %.0f", grow, 0.5*0.3*sat*30)
	}
	if qBelow > 10 {
		t.Errorf("below saturation %d requests wait at the end, want few", qBelow)
	}
	if ttftAbove < 10*ttftBelow {
		t.Errorf("median TTFT above saturation %v, below %v: want a cliff (at least 10x)", ttftAbove, ttftBelow)
	}
}

func TestSaturationRPSIsWhereTheQueueStartsToGrow(t *testing.T) {
	for _, shape := range []struct{ prompt, out int }{{512, 128}, {128, 16}, {2048, 512}} {
		cfg := DefaultConfig()
		cfg.Seed = 7
		cfg.MaxQueue = 100000
		sat := SaturationRPS(cfg, shape.prompt, shape.out)
		const d = 300 * time.Second
		// Overloaded, the server completes requests at its saturation rate.
		over := simulate(t, cfg, poisson(5, 1.25*sat, d, shape.prompt, shape.out))
		done := 0
		for _, x := range over {
			if x.Status == http.StatusOK && x.End >= d/3 && x.End < d {
				done++
			}
		}
		served := float64(done) / (d - d/3).Seconds()
		// Below saturation the queue does not grow.
		under := simulate(t, cfg, poisson(5, 0.9*sat, d, shape.prompt, shape.out))
		grow := waitingAt(under, d) - waitingAt(under, d/2)
		t.Logf("%d/%d tokens: saturation %.2f req/s; served %.2f req/s at 1.25x; queue growth over the second half at 0.9x: %d",
			shape.prompt, shape.out, sat, served, grow)
		if math.Abs(served/sat-1) > 0.03 {
			t.Errorf("%d/%d: overloaded throughput %.2f req/s, saturation %.2f: want within 3%%", shape.prompt, shape.out, served, sat)
		}
		if float64(grow) > 0.02*sat*d.Seconds()/2 {
			t.Errorf("%d/%d: at 0.9x saturation the queue grew by %d, want it stable", shape.prompt, shape.out, grow)
		}
	}
}

func TestSaturationRPSFollowsKnobs(t *testing.T) {
	cfg := DefaultConfig().NoNoise()
	base := SaturationRPS(cfg, 512, 128)
	half := cfg
	half.Capacity = 0.5
	slow := cfg
	slow.Slowdown = 1.25
	if got := SaturationRPS(half, 512, 128); got >= 0.9*base {
		t.Errorf("capacity 0.5: saturation %.2f, base %.2f: want lower (decode is memory-bound, so not half)", got, base)
	}
	if got := SaturationRPS(slow, 512, 128); math.Abs(got*1.25/base-1) > 0.01 {
		t.Errorf("slowdown 1.25: saturation %.2f, want %.2f", got, base/1.25)
	}
	if got := SaturationRPS(cfg, 8000, 500); got != 0 {
		t.Errorf("a request longer than the context: saturation %.2f, want 0", got)
	}
	other := DefaultConfig()
	other.Seed = 2
	if a, b := SaturationRPS(DefaultConfig(), 512, 128), SaturationRPS(other, 512, 128); a == b {
		t.Errorf("two deployments have the same saturation %.3f: want the per-instance shift to show", a)
	}
}

func TestDecodeSlowdownRaisesTPOT(t *testing.T) {
	cfg := DefaultConfig()
	reqs := poisson(11, 2, 60*time.Second, 512, 128) // low load: about 2 running
	tpots := func(cfg Config) time.Duration {
		var v []time.Duration
		for _, x := range simulate(t, cfg, reqs) {
			if d, ok := x.TPOT(); ok {
				v = append(v, d)
			}
		}
		return median(v)
	}
	base := tpots(cfg)
	cfg.DecodeSlowdown = 1.2
	slow := tpots(cfg)
	ratio := float64(slow) / float64(base)
	t.Logf("median TPOT %v -> %v with --decode-slowdown 1.2: ratio %.3f", base, slow, ratio)
	if ratio < 1.15 || ratio > 1.25 {
		t.Errorf("median TPOT ratio %.3f, want 1.20 +- 0.05", ratio)
	}
}

func TestTTFTSlowdownLeavesDecodeAlone(t *testing.T) {
	cfg := DefaultConfig()
	reqs := poisson(12, 2, 30*time.Second, 1024, 64)
	a := simulate(t, cfg, reqs)
	cfg.TTFTSlowdown = 1.5
	b := simulate(t, cfg, reqs)
	ttft := medianTTFT(b, 0, time.Hour).Seconds() / medianTTFT(a, 0, time.Hour).Seconds()
	if ttft < 1.35 || ttft > 1.55 {
		t.Errorf("median TTFT ratio %.3f with TTFT slowdown 1.5, want about 1.5", ttft)
	}
}

func TestErrorRate(t *testing.T) {
	for _, p := range []float64{0.01, 0.1} {
		cfg := DefaultConfig()
		cfg.ErrorRate = p
		reqs := poisson(21, 10, 500*time.Second, 64, 8)
		n := len(reqs)
		k := 0
		for _, x := range simulate(t, cfg, reqs) {
			switch x.Status {
			case http.StatusInternalServerError:
				k++
			case http.StatusOK:
			default:
				t.Fatalf("unexpected status %d", x.Status)
			}
		}
		// Four standard deviations of the binomial: fails by chance with
		// probability below 1e-4, and the draws are seeded.
		mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
		t.Logf("error rate %.2f: %d errors in %d requests (expected %.0f +- %.0f)", p, k, n, mean, sd)
		if math.Abs(float64(k)-mean) > 4*sd {
			t.Errorf("error rate %.2f: %d errors in %d requests, want %.0f +- %.0f", p, k, n, mean, 4*sd)
		}
	}
}

func TestQueueFullAndColdStart(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxQueue = 10
	cfg.ColdStart = time.Second
	reqs := []Request{{Arrival: 0, PromptTokens: 10, MaxTokens: 10}}
	for range 100 {
		reqs = append(reqs, Request{Arrival: 2 * time.Second, PromptTokens: 10, MaxTokens: 10})
	}
	reqs = append(reqs, Request{Arrival: 3 * time.Second, PromptTokens: 0, MaxTokens: 10})
	count := map[int]int{}
	for _, x := range simulate(t, cfg, reqs) {
		count[x.Status]++
	}
	// At 2 s the first arrival starts a step alone; 10 wait; 89 are rejected.
	want := map[int]int{503: 1, 200: 11, 429: 89, 400: 1}
	if !reflect.DeepEqual(count, want) {
		t.Errorf("statuses %v, want %v", count, want)
	}
}

func TestKVBudgetLimitsTheBatch(t *testing.T) {
	cfg := DefaultConfig().NoNoise()
	cfg.KVTokens = 8192
	reqs := make([]Request, 20)
	for i := range reqs {
		reqs[i] = Request{PromptTokens: 1500, MaxTokens: 500} // 4 fit in 8192
	}
	out := simulate(t, cfg, reqs)
	maxRunning := 0
	for _, x := range out {
		n := 0
		for _, y := range out {
			if y.Admitted <= x.Admitted && y.End > x.Admitted {
				n++
			}
		}
		maxRunning = max(maxRunning, n)
	}
	if maxRunning != 4 {
		t.Errorf("at most %d requests ran at once, want 4 (the KV budget)", maxRunning)
	}
}

func TestStallsDelay(t *testing.T) {
	cfg := DefaultConfig().NoNoise()
	reqs := poisson(31, 5, 60*time.Second, 256, 32)
	calm := simulate(t, cfg, reqs)
	cfg.StallRate = 0.5
	stalled := simulate(t, cfg, reqs)
	worst := func(out []Timing) time.Duration {
		var m time.Duration
		for _, x := range out {
			m = max(m, x.E2E())
		}
		return m
	}
	if worst(stalled) < worst(calm)+50*time.Millisecond {
		t.Errorf("worst e2e with stalls %v, without %v: want stalls to show", worst(stalled), worst(calm))
	}
}

func TestEnvironmentFactor(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Noise.SharedEnv = 0 // the deployment's own part alone
	n := newNoise(cfg, streamEnv, streamStalls)
	const steps = 60000 // 100 minutes at 100 ms
	x := make([]float64, steps)
	for i := range x {
		x[i] = math.Log(n.env(time.Duration(i) * envGrid))
	}
	var mean, v float64
	for _, y := range x {
		mean += y
	}
	mean /= steps
	for _, y := range x {
		v += (y - mean) * (y - mean)
	}
	v /= steps
	lag := int(cfg.Noise.EnvCorrelation / envGrid)
	var c float64
	for i := lag; i < steps; i++ {
		c += (x[i] - mean) * (x[i-lag] - mean)
	}
	rho := c / float64(steps-lag) / v
	t.Logf("environment: sigma %.4f (want %.3f), autocorrelation at %v %.3f (want %.3f)", math.Sqrt(v), cfg.Noise.Env, cfg.Noise.EnvCorrelation, rho, math.Exp(-1))
	if s := math.Sqrt(v); s < 0.7*cfg.Noise.Env || s > 1.3*cfg.Noise.Env {
		t.Errorf("environment sigma %.4f, want about %.3f", s, cfg.Noise.Env)
	}
	if math.Abs(rho-math.Exp(-1)) > 0.15 {
		t.Errorf("autocorrelation at one correlation time %.3f, want about %.3f", rho, math.Exp(-1))
	}
	off := cfg
	off.Noise.Env = 0
	if f := newNoise(off, streamEnv, streamStalls).env(time.Minute); f != 1 {
		t.Errorf("environment factor %g with the noise off, want 1", f)
	}
}

// TestSharedEnvironment checks that two deployments in the same cluster
// (same EnvSeed, different Seed) share the shared environment factor and
// that two at different times (different EnvSeed) do not.
func TestSharedEnvironment(t *testing.T) {
	shared := DefaultConfig()
	shared.Noise.Env = 0
	a, b, c := shared, shared, shared
	a.Seed, b.Seed, c.Seed = 1, 2, 3
	a.EnvSeed, b.EnvSeed, c.EnvSeed = 7, 7, 8
	na, nb, nc := newNoise(a, streamEnv, streamStalls), newNoise(b, streamEnv, streamStalls), newNoise(c, streamEnv, streamStalls)
	var same, diff float64
	for i := 0; i < 3000; i++ {
		at := time.Duration(i) * envGrid
		ea, eb, ec := math.Log(na.env(at)), math.Log(nb.env(at)), math.Log(nc.env(at))
		same = max(same, math.Abs(ea-eb))
		diff = max(diff, math.Abs(ea-ec))
	}
	if same != 0 {
		t.Errorf("same cluster: shared factors differ by up to %g", same)
	}
	if diff < 0.01 {
		t.Errorf("different clusters: shared factors differ by at most %g", diff)
	}
}

func TestInvalidInput(t *testing.T) {
	bad := DefaultConfig()
	bad.Slots = 0
	bad.ErrorRate = 2
	bad.Slowdown = math.NaN()
	_, err := Simulate(bad, nil)
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"slots", "error rate", "slowdown"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := NewServer(bad); err == nil {
		t.Error("NewServer accepted an invalid config")
	}
	if _, err := Simulate(DefaultConfig(), []Request{{Arrival: -1, PromptTokens: 1, MaxTokens: 1}}); err == nil {
		t.Error("negative arrival accepted")
	}
	if SaturationRPS(bad, 10, 10) != 0 {
		t.Error("saturation of an invalid config is not 0")
	}
	if err := (Config{}).Validate(); err == nil {
		t.Error("zero Config is valid")
	}
}

func TestSimulatePredictBatches(t *testing.T) {
	cfg := DefaultConfig().NoNoise()
	var reqs []PredictRequest
	for range 8 {
		reqs = append(reqs, PredictRequest{Arrival: time.Second, Items: 1})
	}
	reqs = append(reqs, PredictRequest{Arrival: 2 * time.Second, Items: 1}, PredictRequest{Arrival: 3 * time.Second, Items: 0})
	out, err := SimulatePredict(cfg, reqs)
	if err != nil {
		t.Fatal(err)
	}
	full := cfg.Predict.Base + 8*cfg.Predict.PerItem
	for i := range 8 {
		if out[i].Status != 200 || out[i].Start != time.Second || out[i].End != time.Second+full {
			t.Errorf("request %d: %+v, want a full batch served at once in %v", i, out[i], full)
		}
	}
	// Alone, it waits BatchWait for company, then is served alone.
	if want := 2*time.Second + cfg.Predict.BatchWait + cfg.Predict.Base + cfg.Predict.PerItem; out[8].End != want {
		t.Errorf("lone request ends at %v, want %v", out[8].End, want)
	}
	if out[9].Status != http.StatusBadRequest {
		t.Errorf("empty request: status %d, want 400", out[9].Status)
	}
}

// TestShiftDFHeavierTails: the Student-t per-instance factor keeps the
// shift's standard deviation on the log scale and puts more deployments
// beyond three sigmas than the lognormal does (0.27%).
func TestShiftDFHeavierTails(t *testing.T) {
	c := DefaultConfig()
	c.Noise.Shift, c.Noise.ShiftDF = 0.05, 3
	const n = 20000
	var ss float64
	far := 0
	for i := range n {
		c.Seed = int64(i)
		x := math.Log(instanceShift(c))
		ss += x * x
		if math.Abs(x) > 3*0.05 {
			far++
		}
	}
	if sd := math.Sqrt(ss / n); math.Abs(sd/0.05-1) > 0.15 {
		t.Errorf("sd of the log shift %.4f, want about 0.05", sd)
	}
	if share := float64(far) / n; share < 0.006 {
		t.Errorf("%.2f%% beyond three sigmas, want clearly more than the normal's 0.27%%", 100*share)
	}
	c.Noise.ShiftDF = 2
	if err := c.Validate(); err == nil {
		t.Error("ShiftDF 2 (infinite variance) must be rejected")
	}
}
