package eval

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/sim"
)

// Modes of comparison.
const (
	ModePaired  = "paired"
	ModeHistory = "history"
)

// Config describes an evaluation.
type Config struct {
	// Sim is the deployment template with its noise; each arm gets its own
	// Seed.
	Sim      sim.Config
	Workload Workload
	// Rules are the regression rules; Rules.Gate is set to Gate.
	Rules gate.Rules
	// NAA lists the numbers of A/A calibration records a paired trial is
	// judged with, once per entry, drawn without replacement from a pool
	// of Pool A/A pairs; 0 judges it uncalibrated (the prior τ).
	NAA  []int
	Pool int
	// History lists the numbers of stored runs a history trial is judged
	// against, once per entry, drawn from the baseline arms of the pool.
	History []int
	// Seed seeds every random choice of the evaluation.
	Seed uint64
	// Extend, when > 0, evaluates the second look (regression.extend): a
	// trial whose gating checks are undecided at the end of
	// Workload.Duration is judged again after each further Duration, up to
	// Extend longer, at the α the spending leaves (gate.LookAlpha). The
	// pool's A/A and stored runs keep the planned duration.
	Extend time.Duration
}

// DefaultConfig returns the evaluation's defaults with the simulator's
// default noise: N_AA = 10 and N = 10 stored runs drawn from a pool of 60.
func DefaultConfig() Config {
	return Config{
		Sim:      sim.DefaultConfig(),
		Workload: DefaultWorkload(),
		NAA:      []int{10},
		Pool:     60,
		History:  []int{10},
		Seed:     1,
	}
}

// Bench runs trials of one configuration. Its methods are safe for
// concurrent use once NewBench has returned.
type Bench struct {
	cfg           Config
	steadyRPS     float64
	saturationRPS float64
	overloadRPS   float64
	aa            [][2]*baseline.Record // calibration records, per pool pair: steady, saturation
	hist          [][2]*baseline.Record // stored runs (the pairs' reference arms)
	nomMu         sync.Mutex
	nom           map[string]*baseline.Record
	poolOnce      sync.Once
	poolErr       error
	cal           [][2]gate.CalibrationRun // the calibration records summarized once, shared by every trial
}

// NewBench prepares an evaluation of cfg.
func NewBench(cfg Config) (*Bench, error) {
	if err := cfg.Sim.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.NAA) == 0 || len(cfg.History) == 0 {
		return nil, fmt.Errorf("eval: need at least one N_AA and one history length")
	}
	for _, n := range cfg.NAA {
		if n < 0 || n > cfg.Pool {
			return nil, fmt.Errorf("eval: N_AA %d outside [0, pool %d]", n, cfg.Pool)
		}
	}
	for _, n := range cfg.History {
		if n < 1 || n > cfg.Pool {
			return nil, fmt.Errorf("eval: history length %d outside [1, pool %d]", n, cfg.Pool)
		}
	}
	if cfg.Workload.Window <= 0 || cfg.Workload.Duration < 2*cfg.Workload.Window {
		return nil, fmt.Errorf("eval: the run must hold at least 2 windows")
	}
	cfg.Rules.Gate = Gate
	b := &Bench{cfg: cfg, nom: map[string]*baseline.Record{}}
	b.saturationRPS = cfg.Workload.saturation(cfg.Sim)
	if b.saturationRPS <= 0 {
		return nil, fmt.Errorf("eval: the workload cannot run on this configuration")
	}
	b.steadyRPS = cfg.Workload.Load * b.saturationRPS
	b.overloadRPS = cfg.Workload.OverloadFactor * b.saturationRPS
	return b, nil
}

// SaturationRPS returns the nominal saturation throughput of the workload.
func (b *Bench) SaturationRPS() float64 { return b.saturationRPS }

// SteadyRPS returns the steady scenario's arrival rate.
func (b *Bench) SteadyRPS() float64 { return b.steadyRPS }

// Config returns the configuration of b.
func (b *Bench) Config() Config { return b.cfg }

// Seed roles, mixed into the evaluation seed.
const (
	roleSchedule = iota + 1
	roleBase
	roleCand
	rolePick
	rolePoolA
	rolePoolB
	rolePoolSchedule
	roleTrialTime
	rolePoolTime
)

// seed derives an independent seed from the evaluation seed, a role and an
// index (SplitMix64 finaliser over the mixed words).
func (b *Bench) seed(role, i int) uint64 {
	x := b.cfg.Seed*0x9e3779b97f4a7c15 ^ uint64(role)<<48 ^ uint64(i)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// runScenario runs one scenario of deployment cfg on the schedule drawn
// from schedSeed.
func (b *Bench) runScenario(cfg sim.Config, scenario string, schedSeed uint64) (*baseline.Record, error) {
	rps := b.steadyRPS
	if scenario == ScenarioSaturation {
		rps = b.overloadRPS
	}
	wl := b.cfg.Workload
	p := wl.plan(scenario, rps)
	return wl.arm(cfg, p, wl.schedule(p, schedSeed+uint64(len(scenario))))
}

// looks returns the measured lengths at which a trial is judged: the
// planned duration, then every further Duration up to Extend more.
func (b *Bench) looks() []time.Duration {
	d := b.cfg.Workload.Duration
	out := []time.Duration{d}
	for t := d; t < d+b.cfg.Extend; {
		t = min(t+d, d+b.cfg.Extend).Truncate(b.cfg.Workload.Window)
		out = append(out, t)
	}
	return out
}

// deploymentLooks runs both scenarios on deployment cfg for the longest
// look and returns the records of each look: what a run that continued to
// that length had measured (one simulation, cut at each look).
func (b *Bench) deploymentLooks(cfg sim.Config, schedSeed uint64) ([][2]*baseline.Record, error) {
	looks := b.looks()
	out := make([][2]*baseline.Record, len(looks))
	for j, scenario := range []string{ScenarioSteady, ScenarioSaturation} {
		rps := b.steadyRPS
		if scenario == ScenarioSaturation {
			rps = b.overloadRPS
		}
		wl := b.cfg.Workload
		wl.Duration = looks[len(looks)-1]
		p := wl.plan(scenario, rps)
		recs, err := wl.armLooks(cfg, p, wl.schedule(p, schedSeed+uint64(len(scenario))), looks)
		if err != nil {
			return nil, err
		}
		for k := range looks {
			out[k][j] = recs[k]
		}
	}
	return out, nil
}

// deployment runs both scenarios on deployment cfg.
func (b *Bench) deployment(cfg sim.Config, schedSeed uint64) ([2]*baseline.Record, error) {
	var out [2]*baseline.Record
	var err error
	if out[0], err = b.runScenario(cfg, ScenarioSteady, schedSeed); err != nil {
		return out, err
	}
	out[1], err = b.runScenario(cfg, ScenarioSaturation, schedSeed)
	return out, err
}

// deploy returns the simulator configuration of deployment i in role.
// Both deployments of a pair run at the same time in the same cluster, so
// they share EnvSeed (the shared environment factor); every pair, and every
// trial, runs at another time.
func (b *Bench) deploy(role, i int, in Injection) sim.Config {
	c := in.apply(b.cfg.Sim)
	c.Seed = int64(b.seed(role, i) >> 1)
	timeRole := roleTrialTime
	if role == rolePoolA || role == rolePoolB {
		timeRole = rolePoolTime
	}
	c.EnvSeed = int64(b.seed(timeRole, i) >> 1)
	return c
}

// paired returns cand with ref as its Reference.
func paired(cand, ref *baseline.Record, kind string) *baseline.Record {
	c := *cand
	c.Kind = kind
	c.Reference = ref
	return &c
}

// Prepare runs the pool of A/A pairs (both scenarios) from which paired
// trials draw their calibration and history trials their stored runs.
// Trials call it; calling it first only moves the work.
func (b *Bench) Prepare(workers int, progress func(done, total int)) error {
	b.poolOnce.Do(func() {
		n := b.cfg.Pool
		aa := make([][2]*baseline.Record, n)
		cal := make([][2]gate.CalibrationRun, n)
		hist := make([][2]*baseline.Record, n)
		b.poolErr = parallel(n, workers, progress, func(k int) error {
			s := b.seed(rolePoolSchedule, k)
			ra, err := b.deployment(b.deploy(rolePoolA, k, Injection{}), s)
			if err != nil {
				return err
			}
			rb, err := b.deployment(b.deploy(rolePoolB, k, Injection{}), s)
			if err != nil {
				return err
			}
			for j := range 2 {
				aa[k][j] = paired(rb[j], ra[j], baseline.KindCalibration)
				if cal[k][j], err = gate.NewCalibrationRun(aa[k][j], b.cfg.Rules); err != nil {
					return err
				}
			}
			for j := range 2 {
				hist[k][j] = withoutWindowHists(ra[j])
			}
			return nil
		})
		b.aa, b.cal, b.hist = aa, cal, hist
	})
	return b.poolErr
}

// pick returns a seeded choice of n pool entries for trial i.
func pick[T any](b *Bench, pool [][2]T, n, i int) map[string][]T {
	rng := rand.New(rand.NewPCG(b.seed(rolePick, i), uint64(n)))
	out := map[string][]T{}
	for _, k := range rng.Perm(len(pool))[:n] {
		out[ScenarioSteady] = append(out[ScenarioSteady], pool[k][0])
		out[ScenarioSaturation] = append(out[ScenarioSaturation], pool[k][1])
	}
	return out
}

// TrialResult is the verdict of one trial in each mode evaluated: Paired[k]
// judged with Config.NAA[k] A/A records, History[k] against
// Config.History[k] stored runs.
type TrialResult struct {
	Paired, History []*gate.Verdict
}

// Trial runs trial i of injection in: a baseline and a candidate
// deployment (fresh seeds) on one fresh schedule. Paired mode judges the
// candidate against the baseline arm with N_AA calibration records;
// history mode judges the candidate alone against N stored runs. Trial i
// uses the same seeds whatever the injection, so rows differ only by it.
func (b *Bench) Trial(in Injection, i int, modes []string) (TrialResult, error) {
	t, err := b.newTrial(i, modes)
	if err != nil {
		return TrialResult{}, err
	}
	return t.run(in)
}

// trial holds what the injections of one trial index share: the schedule
// seed, the baseline arm and the drawn calibration and history records.
type trial struct {
	b     *Bench
	i     int
	modes []string
	sched uint64
	base  [][2]*baseline.Record // per look (one without Extend)
	aa    []gate.Calibration    // per Config.NAA; nil entries for N_AA = 0
	hist  []map[string][]*baseline.Record
}

func (b *Bench) newTrial(i int, modes []string) (*trial, error) {
	if err := b.Prepare(1, nil); err != nil {
		return nil, err
	}
	t := &trial{b: b, i: i, modes: modes, sched: b.seed(roleSchedule, i)}
	for _, m := range modes {
		switch m {
		case ModePaired:
			base, err := b.arms(b.deploy(roleBase, i, Injection{}), t.sched)
			if err != nil {
				return nil, err
			}
			t.base = base
			for _, n := range b.cfg.NAA {
				var cal gate.Calibration
				if n > 0 {
					cal = pick(b, b.cal, n, i)
				}
				t.aa = append(t.aa, cal)
			}
		case ModeHistory:
			for _, n := range b.cfg.History {
				t.hist = append(t.hist, pick(b, b.hist, n, i))
			}
		default:
			return nil, fmt.Errorf("eval: unknown mode %q", m)
		}
	}
	return t, nil
}

func (t *trial) run(in Injection) (TrialResult, error) {
	var tr TrialResult
	b := t.b
	cand, err := b.arms(b.deploy(roleCand, t.i, in), t.sched)
	if err != nil {
		return tr, err
	}
	if t.base != nil {
		runs := make([][]*baseline.Record, len(cand))
		for k := range cand {
			runs[k] = []*baseline.Record{paired(cand[k][0], t.base[k][0], baseline.KindRun), paired(cand[k][1], t.base[k][1], baseline.KindRun)}
		}
		for _, cal := range t.aa {
			tr.Paired = append(tr.Paired, b.judgeLooks(runs, func(in gate.Input) gate.Input { in.Calibration = cal; return in }))
		}
	}
	for _, hist := range t.hist {
		runs := make([][]*baseline.Record, len(cand))
		for k := range cand {
			runs[k] = cand[k][:]
		}
		tr.History = append(tr.History, b.judgeLooks(runs, func(in gate.Input) gate.Input { in.History = hist; return in }))
	}
	return tr, nil
}

// arms returns the records of deployment cfg at each look (one look
// without Extend).
func (b *Bench) arms(cfg sim.Config, sched uint64) ([][2]*baseline.Record, error) {
	if b.cfg.Extend <= 0 {
		d, err := b.deployment(cfg, sched)
		return [][2]*baseline.Record{d}, err
	}
	return b.deploymentLooks(cfg, sched)
}

// judgeLooks judges the records of each look in turn, as a run with
// regression.extend would: at look k with the α the spending leaves, going
// on while a gating check of a scenario is undecided and none failed. It
// returns the verdict of the last look taken (with its Looks).
func (b *Bench) judgeLooks(runs [][]*baseline.Record, with func(gate.Input) gate.Input) *gate.Verdict {
	if len(runs) == 1 {
		return gate.Evaluate(with(gate.Input{Rules: b.cfg.Rules, Runs: runs[0]}))
	}
	looks := b.looks()
	alpha := b.cfg.Rules.Alpha
	if alpha <= 0 {
		alpha = gate.DefaultAlpha
	}
	var at []float64
	for k, recs := range runs {
		at = append(at, looks[k].Seconds())
		why := gate.LooksDecided
		if k == len(runs)-1 {
			why = gate.LooksLimit
		}
		l := gate.NewLooks(ScenarioSteady, at, b.cfg.Workload.Duration, b.cfg.Extend, alpha, why)
		v := gate.Evaluate(with(gate.Input{Rules: b.cfg.Rules, Runs: recs, Looks: []gate.Looks{l}}))
		if k == len(runs)-1 || !gate.NeedsAnotherLook(v, ScenarioSteady) && !gate.NeedsAnotherLook(v, ScenarioSaturation) {
			return v
		}
	}
	return nil
}

// parallel runs f(0..n-1) on workers goroutines and returns the first
// error; progress, if not nil, is called after each item from one
// goroutine at a time.
func parallel(n, workers int, progress func(done, total int), f func(i int) error) error {
	workers = max(1, min(workers, n))
	next := make(chan int)
	var mu sync.Mutex
	var first error
	done := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				err := f(i)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				done++
				if progress != nil {
					progress(done, n)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// withoutWindowHists returns a copy of rec without its per-window
// histograms. History mode uses a stored run's pooled statistic only, so
// the verdict is the same without them, and the pool takes less memory.
func withoutWindowHists(rec *baseline.Record) *baseline.Record {
	c := *rec
	c.Metrics = make(map[string]*baseline.Metric, len(rec.Metrics))
	for name, m := range rec.Metrics {
		mc := *m
		mc.Windows = make([]baseline.WindowStats, len(m.Windows))
		for i, w := range m.Windows {
			w.Hist = ""
			mc.Windows[i] = w
		}
		c.Metrics[name] = &mc
	}
	return &c
}
