package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/runner"
	"github.com/perfgate/perfgate/internal/atomicfile"
	"github.com/perfgate/perfgate/policies"
)

// ShardSchema names the format of a shard record.
const ShardSchema = "perfgate-shard/1"

// maxShardFile bounds what Merge reads of one shard record.
const maxShardFile = 1 << 30

// ShardRecord is what one shard of a sharded run wrote (RunShard) for
// Merge: the raw results of its part of every scenario, with what Merge
// checks that the shards belong together.
type ShardRecord struct {
	Schema     string    `json:"schema"`
	Index      int       `json:"index"`
	Count      int       `json:"count"`
	StartAt    time.Time `json:"start_at"`
	Policy     string    `json:"policy"`
	PolicyHash string    `json:"policy_hash"`
	Seed       int64     `json:"seed"`
	// Scenarios are the scenarios run, in order.
	Scenarios    []string                 `json:"scenarios"`
	Paired       bool                     `json:"paired"`
	BaselineHost string                   `json:"baseline_host,omitempty"`
	Version      string                   `json:"perfgate"`
	Host         string                   `json:"host"`
	Env          baseline.Env             `json:"env"`
	Clock        load.ClockStatus         `json:"clock"`
	Ready        map[string]time.Duration `json:"ready,omitempty"`
	Partial      bool                     `json:"partial,omitempty"`
	Raw          []runner.Raw             `json:"raw"`

	file string // where Merge read it
}

func (r *ShardRecord) shard() load.Shard { return load.Shard{Index: r.Index, Count: r.Count} }

// ShardFileName is the name of shard sh's record in its --out directory.
func ShardFileName(sh load.Shard) string {
	return fmt.Sprintf("shard-%d-of-%d.json", sh.Index, sh.Count)
}

// RunShard runs shard s of a sharded run of p (runner.Sharding) and writes
// its record into o.OutDir; it judges and saves nothing (Merge does). It
// returns the record's path.
func RunShard(ctx context.Context, p *policies.Policy, o Options, s runner.Sharding) (string, error) {
	o, err := o.resolve(p)
	if err != nil {
		return "", err
	}
	switch {
	case s.Shard.Validate() != nil:
		return "", &InvalidError{What: "--shard", Err: s.Shard.Validate()}
	case s.Shard.Whole():
		return "", &InvalidError{What: "--shard 1/1 is a whole run: run without --shard"}
	case s.StartAt.IsZero():
		return "", &InvalidError{What: "--shard needs --start-at: the time every shard starts, agreed beforehand (e.g. 2026-12-04T10:00:00Z, a few minutes ahead)"}
	case o.OutDir == "":
		return "", &InvalidError{What: "--shard needs --out: the directory for the shard's record"}
	case o.SaveBaseline || o.Calibrate:
		return "", &InvalidError{What: "a shard saves nothing: pass --save-baseline (or calibrate) to perfgate merge"}
	}
	var names []string
	for i := range p.Scenarios {
		sc := &p.Scenarios[i]
		if len(o.Scenarios) > 0 && !slices.Contains(o.Scenarios, sc.Name) {
			continue
		}
		if len(sc.Faults) > 0 {
			// Every shard would run the hooks, and the phases would be timed N times.
			return "", &InvalidError{File: p.File, What: fmt.Sprintf("scenario %s injects faults, which a sharded run cannot: run it unsharded (--scenario names the others)", sc.Name)}
		}
		names = append(names, sc.Name)
	}
	meta := o.meta(p)
	res, err := runner.Run(ctx, runner.Options{
		Policy: p, TargetURL: o.TargetURL, BaselineURL: o.BaselineURL, Getenv: o.EnvRule.Getenv(o.Getenv), Meta: meta,
		Progress: o.Progress, Live: o.Live, Scenarios: o.Scenarios, MaxLag: o.MaxLag, Sharding: &s,
	})
	var cfgErr *runner.ConfigError
	switch {
	case errors.As(err, &cfgErr):
		return "", &InvalidError{Err: err}
	case err != nil && (res == nil || len(res.Raw) == 0):
		return "", fmt.Errorf("shard %s: %w: %w", s.Shard, ErrCannotMeasure, err)
	case err != nil:
		return "", fmt.Errorf("shard %s: %w (nothing written: a merge needs every scenario of every shard)", s.Shard, err)
	}
	host, _ := os.Hostname()
	rec := ShardRecord{Schema: ShardSchema, Index: s.Shard.Index, Count: s.Shard.Count, StartAt: s.StartAt.UTC(),
		Policy: p.Name, PolicyHash: meta.PolicyHash, Seed: p.Seed, Scenarios: names, Paired: o.BaselineURL != "",
		Version: o.Version, Host: host, Clock: load.Clock(), Ready: res.Ready, Partial: res.Partial, Raw: res.Raw}
	if o.BaselineURL != "" {
		rec.BaselineHost = hostOf(o.BaselineURL)
	}
	if len(res.Records) > 0 {
		rec.Env = res.Records[0].Env
	}
	data, err := json.Marshal(&rec)
	if err != nil {
		return "", fmt.Errorf("encoding the shard record: %w", err)
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(o.OutDir, ShardFileName(s.Shard))
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return "", err
	}
	if res.Partial {
		return path, fmt.Errorf("%w: shard %s stopped before the end of its schedule", ErrInterrupted, s.Shard)
	}
	return path, nil
}

// ReadShards reads the shard records at paths (files, or directories
// searched for shard-*-of-*.json, as artifact downloads lay them out) and
// checks that they are the shards of one run, each once: the same count,
// start, policy, seed, scenarios and mode. A missing shard is
// ErrCannotMeasure (that part of the load was not measured); a duplicated,
// unreadable or mismatched one is *InvalidError. Each message names the
// shard and its file.
func ReadShards(paths []string) ([]*ShardRecord, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, &InvalidError{What: fmt.Sprintf("shard records: %v", err)}
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "shard-") && strings.HasSuffix(d.Name(), ".json") {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			return nil, &InvalidError{What: fmt.Sprintf("shard records: %v", err)}
		}
	}
	if len(files) == 0 {
		return nil, &InvalidError{What: fmt.Sprintf("no shard record (shard-I-of-N.json) in %s", strings.Join(paths, ", "))}
	}
	var recs []*ShardRecord
	for _, f := range files {
		r, err := readShard(f)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b *ShardRecord) int { return cmp.Compare(a.Index, b.Index) })
	first := recs[0]
	seen := map[int]string{}
	for _, r := range recs {
		mismatch := func(what string, a, b any) error {
			return &InvalidError{File: r.file, What: fmt.Sprintf("shard %s does not belong with shard %s (%s): %s %v, not %v", r.shard(), first.shard(), first.file, what, b, a)}
		}
		switch {
		case r.Count != first.Count:
			return nil, mismatch("shard count", first.Count, r.Count)
		case !r.StartAt.Equal(first.StartAt):
			return nil, mismatch("agreed start", first.StartAt.Format(time.RFC3339Nano), r.StartAt.Format(time.RFC3339Nano))
		case r.PolicyHash != first.PolicyHash:
			return nil, mismatch("policy", first.Policy+" "+first.PolicyHash, r.Policy+" "+r.PolicyHash)
		case r.Seed != first.Seed:
			return nil, mismatch("seed", first.Seed, r.Seed)
		case !slices.Equal(r.Scenarios, first.Scenarios):
			return nil, mismatch("scenarios", first.Scenarios, r.Scenarios)
		case r.Paired != first.Paired:
			return nil, mismatch("paired mode", first.Paired, r.Paired)
		}
		if prev, dup := seen[r.Index]; dup {
			return nil, &InvalidError{File: r.file, What: fmt.Sprintf("shard %s is there twice (also %s): merge each shard once", r.shard(), prev)}
		}
		seen[r.Index] = r.file
	}
	var missing []string
	for i := 1; i <= first.Count; i++ {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, first.Count))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: shard %s missing (its record was not found among %d file(s); did its job fail?)", ErrCannotMeasure, strings.Join(missing, ", "), len(recs))
	}
	return recs, nil
}

func readShard(path string) (*ShardRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &InvalidError{What: fmt.Sprintf("shard record: %v", err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxShardFile+1))
	if err != nil {
		return nil, &InvalidError{File: path, What: fmt.Sprintf("reading the shard record: %v", err)}
	}
	if len(data) > maxShardFile {
		return nil, &InvalidError{File: path, What: fmt.Sprintf("larger than %d MiB: not a shard record", maxShardFile>>20)}
	}
	var r ShardRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &InvalidError{File: path, What: fmt.Sprintf("not a shard record: %v", err)}
	}
	r.file = path
	switch {
	case r.Schema != ShardSchema:
		return nil, &InvalidError{File: path, What: fmt.Sprintf("schema %q: not a shard record of this perfgate (%s)", r.Schema, ShardSchema)}
	case r.shard().Validate() != nil || r.shard().Whole():
		return nil, &InvalidError{File: path, What: fmt.Sprintf("shard %d/%d does not exist", r.Index, r.Count)}
	case len(r.Raw) != len(r.Scenarios):
		return nil, &InvalidError{File: path, What: fmt.Sprintf("shard %s holds %d of its %d scenarios", r.shard(), len(r.Raw), len(r.Scenarios))}
	}
	for i, raw := range r.Raw {
		ok := raw.Scenario == r.Scenarios[i] && (len(raw.Steps) > 0 || raw.Candidate != nil && (!r.Paired || raw.Baseline != nil))
		for _, st := range raw.Steps {
			ok = ok && st.Candidate != nil && (!r.Paired || st.Baseline != nil)
		}
		if !ok {
			return nil, &InvalidError{File: path, What: fmt.Sprintf("shard %s: scenario %d (%q) is incomplete", r.shard(), i+1, raw.Scenario)}
		}
	}
	return &r, nil
}

// Merge joins the shard records at paths into the run they were parts of
// and judges, reports and saves it exactly as Run does a single run: the
// same records (load.MergeShards merges each window's histograms exactly),
// the same checks, the same reports. A shard that fell behind, started
// late or was cut short makes its scenarios invalid, and the reasons name
// it. o.TargetURL and o.BaselineURL are not needed (the shards measured).
func Merge(ctx context.Context, p *policies.Policy, paths []string, o Options) (*Result, error) {
	started := time.Now()
	shards, err := ReadShards(paths)
	if err != nil {
		return nil, err
	}
	first := shards[0]
	o.TargetURL = cmp.Or(o.TargetURL, p.Target.URL, "http://"+first.Env.Target)
	o.BaselineURL = ""
	if first.Paired {
		o.BaselineURL = "http://" + cmp.Or(first.BaselineHost, "baseline")
	}
	if o, err = o.resolve(p); err != nil {
		return nil, err
	}
	meta := o.meta(p)
	if first.PolicyHash != meta.PolicyHash {
		return nil, &InvalidError{File: p.File, What: fmt.Sprintf("the shards ran another policy (%s %s in %s); merge with the policy they ran", first.Policy, first.PolicyHash, first.file)}
	}
	labels := meta.Env.Labels
	meta.Env, meta.Time = first.Env, first.StartAt
	if labels != nil {
		meta.Env.Labels = labels
	}
	var cut []string
	for _, s := range shards {
		if s.Partial {
			cut = append(cut, s.shard().String())
		}
	}
	if len(cut) > 0 {
		return nil, fmt.Errorf("%w: shard %s was cut short before the end of its schedule (interrupted): run the shards again", ErrCannotMeasure, strings.Join(cut, ", "))
	}
	var warnings []string
	var raws []runner.Raw
	var reasons [][]string
	for k, name := range first.Scenarios {
		raw, why, err := mergeScenario(shards, k)
		if err != nil {
			return nil, &InvalidError{What: fmt.Sprintf("scenario %s: %v", name, err)}
		}
		raws = append(raws, raw)
		reasons = append(reasons, why)
	}
	hosts := map[string]bool{}
	for _, s := range shards {
		hosts[s.Host] = true
		if s.Clock.Known && !s.Clock.Synced && len(shards) > 1 {
			warnings = append(warnings, fmt.Sprintf("shard %s's clock (%s) is not NTP-synchronised: its windows may not line up with the others'", s.shard(), cmp.Or(s.Host, "unknown host")))
		}
	}
	if len(hosts) == 1 {
		// One machine, one clock: the warnings about clocks do not apply.
		warnings = nil
	}
	recs, err := runner.RecordsOf(p, raws, meta, first.BaselineHost)
	if err != nil {
		return nil, &InvalidError{Err: err}
	}
	for i, rec := range recs {
		if len(reasons[i]) == 0 {
			continue
		}
		for r := rec; r != nil; r = r.Reference {
			r.Valid, r.Invalid = false, reasons[i]
		}
	}
	runner.AddPrometheus(ctx, p, &runner.Sharding{StartAt: first.StartAt}, first.Scenarios, recs, o.EnvRule.Getenv(o.Getenv))
	o.logf("merged %d shards of %s (%d scenario(s), started %s)", len(shards), p.Name, len(recs), first.StartAt.Format(time.RFC3339))
	in, ws := o.input(ctx, p)
	return o.conclude(ctx, p, in, &runner.Outcome{Records: recs}, append(ws, warnings...), started)
}

// mergeScenario joins the shards' results of their k-th scenario, arm by
// arm (and step by step for a capacity ladder), and returns the reasons,
// each naming a shard, that make the merged scenario invalid.
func mergeScenario(shards []*ShardRecord, k int) (runner.Raw, []string, error) {
	first := shards[0].Raw[k]
	raw := runner.Raw{Scenario: first.Scenario, Kind: first.Kind}
	arms := func(pick func(runner.Raw) (cand, base *load.Result)) (cand, base *load.Result, why []string, err error) {
		var cs, bs []*load.Result
		for _, s := range shards {
			c, b := pick(s.Raw[k])
			cs, bs = append(cs, c), append(bs, b)
		}
		if cand, err = load.MergeShards(cs); err != nil {
			return nil, nil, nil, err
		}
		why = load.ShardReasons(cs)
		if !shards[0].Paired {
			return cand, nil, why, nil
		}
		if base, err = load.MergeShards(bs); err != nil {
			return nil, nil, nil, fmt.Errorf("baseline: %w", err)
		}
		for _, r := range load.ShardReasons(bs) {
			why = append(why, "baseline "+r)
		}
		return cand, base, why, nil
	}
	if len(first.Steps) == 0 {
		c, b, why, err := arms(func(r runner.Raw) (*load.Result, *load.Result) { return r.Candidate, r.Baseline })
		raw.Candidate, raw.Baseline = c, b
		return raw, why, err
	}
	for i, st := range first.Steps {
		for _, s := range shards {
			if len(s.Raw[k].Steps) != len(first.Steps) || s.Raw[k].Steps[i].Rate != st.Rate {
				return raw, nil, fmt.Errorf("shard %s ran another capacity ladder than shard %s", s.shard(), shards[0].shard())
			}
		}
		c, b, why, err := arms(func(r runner.Raw) (*load.Result, *load.Result) { return r.Steps[i].Candidate, r.Steps[i].Baseline })
		if err != nil {
			return raw, nil, fmt.Errorf("step %.3g req/s: %w", st.Rate, err)
		}
		raw.Steps = append(raw.Steps, runner.RawStep{Rate: st.Rate, Candidate: c, Baseline: b, Why: why})
	}
	// A step a shard could not be trusted in proves nothing (the ladder
	// judges it unmet), and does not make the capacity scenario invalid.
	return raw, nil, nil
}
