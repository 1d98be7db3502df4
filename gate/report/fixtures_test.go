package report

import (
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
)

// The fixtures below are hand-built runs of an LLM chat API policy with
// numbers of the size the simulator and a small vLLM deployment give.

const (
	headSHA = "9f3c2a1e4b5d6c7f8091a2b3c4d5e6f708192a3b"
	baseSHA = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
)

func env() baseline.Env {
	return baseline.Env{
		OS: "linux", Arch: "amd64", CPUs: 2, Target: "preview-123.example.com",
		Model: "llama-3.1-8b-instruct", Perfgate: "v0.4.0",
		Labels: map[string]string{"runner": "ubuntu-24.04", "gpu": "L4"},
	}
}

func record(scenario string, windows int, offered, achieved, lagP99 float64) *baseline.Record {
	r := &baseline.Record{
		Schema: baseline.Schema, Kind: baseline.KindRun, Policy: "chat-api",
		PolicyHash: "sha256:4be1", Scenario: scenario, Commit: headSHA, Branch: "feature/faster-decode",
		Time: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC), Env: env(), MetricDefs: "perfgate/metrics/v1",
		WindowSeconds: 5, Offered: offered, Achieved: achieved, ColdStart: 842, Valid: true,
		Metrics: map[string]*baseline.Metric{
			"schedule_lag": {Unit: "ms", Pooled: baseline.WindowStats{Count: int64(achieved * float64(windows) * 5), Stats: map[string]float64{"p99": lagP99}}},
		},
	}
	for i := 0; i < windows; i++ {
		r.Windows = append(r.Windows, baseline.WindowCounts{Start: float64(5 * i), End: float64(5 * (i + 1)), Sent: 40, Succeeded: 40})
	}
	return r
}

func paired(r *baseline.Record) *baseline.Record {
	ref := *r
	ref.Commit = baseSHA
	ref.Branch = "main"
	ref.Env.Target = "main.example.com"
	ref.Reference = nil
	r.Reference = &ref
	return r
}

func steadyChecks(scenario string, mode string) []gate.Check {
	return []gate.Check{
		{Scenario: scenario, Name: "ttft.p95", Metric: "ttft", Stat: "p95", Kind: gate.KindSLO, Unit: "ms",
			Baseline: 2000, Candidate: 412.6, Limit: 2000, Op: "<", Windows: 12, Samples: 960, Gating: true,
			Verdict: gate.Pass, Reason: "ttft.p95 is 413 ms, below the 2 s limit."},
		{Scenario: scenario, Name: "error_rate", Metric: "error_rate", Stat: "value", Kind: gate.KindSLO, Unit: "ratio",
			Baseline: 0.001, Candidate: 0, Limit: 0.001, Op: "<", Windows: 12, Samples: 960, Gating: true,
			Verdict: gate.Pass, Reason: "No request failed."},
		{Scenario: scenario, Name: "ttft.p95", Metric: "ttft", Stat: "p95", Kind: gate.KindRegression, Mode: mode, Unit: "ms",
			Baseline: 405.1, Candidate: 412.6, Change: 0.0186, CILow: -0.0121, CIHigh: 0.0497, Confidence: 0.95,
			MDE: 0.061, PValue: 0.71, Windows: 12, Samples: 960, Gating: true, Verdict: gate.Pass,
			Reason: "ttft.p95 changed by +1.9% [-1.2%, +5.0%]: below the 10% material change."},
		{Scenario: scenario, Name: "e2e.p95", Metric: "e2e", Stat: "p95", Kind: gate.KindRegression, Mode: mode, Unit: "ms",
			Baseline: 6120, Candidate: 6088, Change: -0.0052, CILow: -0.0213, CIHigh: 0.0111, Confidence: 0.95,
			MDE: 0.047, PValue: 0.93, Windows: 12, Samples: 960, Gating: true, Verdict: gate.Pass,
			Reason: "e2e.p95 changed by -0.5% [-2.1%, +1.1%]: below the 10% material change."},
		{Scenario: scenario, Name: "output_tokens_per_s", Metric: "output_tokens_per_s", Stat: "value", Kind: gate.KindRegression,
			Mode: mode, Unit: "tok/s", HigherIsBetter: true, Baseline: 1384.2, Candidate: 1379.9, Change: -0.0031,
			CILow: -0.0104, CIHigh: 0.0042, Confidence: 0.95, MDE: 0.021, PValue: 0.99, Windows: 12, Samples: 960,
			Gating: true, Verdict: gate.Pass, Reason: "output_tokens_per_s changed by -0.3% [-1.0%, +0.4%]."},
		{Scenario: scenario, Name: "error_rate", Metric: "error_rate", Stat: "value", Kind: gate.KindRegression, Mode: mode,
			Unit: "ratio", Baseline: 0.0010, Candidate: 0, Change: -0.0010, CILow: -0.0031, CIHigh: 0.0011, Confidence: 0.95,
			MDE: 0.004, Windows: 12, Samples: 960, Gating: true, Verdict: gate.Pass,
			Reason: "error_rate changed by -0.10 pp [-0.31 pp, +0.11 pp]."},
		{Scenario: scenario, Name: "ttft.p99", Metric: "ttft", Stat: "p99", Kind: gate.KindRegression, Mode: mode, Unit: "ms",
			Baseline: 611, Candidate: 655, Change: 0.072, CILow: -0.048, CIHigh: 0.205, Confidence: 0.95, MDE: 0.21,
			Windows: 12, Samples: 960, Gating: false, Verdict: gate.Pass,
			Reason: "Too few tail samples: 0.8 values above p99 per window (10 needed); shown, not gating."},
	}
}

func passInput() Input {
	run := paired(record("chat-steady", 12, 8, 7.98, 1.8))
	return Input{
		Policy: "chat-api",
		Verdict: &gate.Verdict{
			Outcome:     gate.Pass,
			Reason:      "All 6 gating checks passed; the largest change is ttft.p95 +1.9% [-1.2%, +5.0%].",
			Checks:      steadyChecks("chat-steady", gate.ModePaired),
			Calibration: []gate.CalibrationSummary{{Scenario: "chat-steady", PriorUsed: true}},
		},
		Runs: []*baseline.Record{run}, Mode: gate.ModePaired, Commit: headSHA, BaseCommit: baseSHA,
		Branch: "feature/faster-decode", Target: "https://preview-123.example.com/v1",
		BaselineURL: "https://main.example.com/v1", Duration: 71*time.Second + 400*time.Millisecond,
		Material: 0.10, FailOn: "fail", RunURL: "https://github.com/acme/chat/actions/runs/123456789",
	}
}

func warnInput() Input {
	cs := steadyChecks("chat-steady", gate.ModeHistory)
	for i := range cs {
		cs[i].History = 4
	}
	cs[2] = gate.Check{Scenario: "chat-steady", Name: "ttft.p95", Metric: "ttft", Stat: "p95", Kind: gate.KindRegression,
		Mode: gate.ModeHistory, Unit: "ms", Baseline: 398.7, Candidate: 431.5, Change: 0.0823, CILow: -0.0412,
		CIHigh: 0.2191, Confidence: 0.95, MDE: 0.164, PValue: 0.09, Windows: 12, Samples: 960, History: 4,
		Gating: true, Verdict: gate.Warn, ReasonKind: gate.ReasonSmallRegression,
		Reason: "ttft.p95 changed by +8.2% [-4.1%, +21.9%]: a change above 10% cannot be ruled out with 4 stored runs."}
	cs[3].MDE = 0.142
	cs[3].Advice = []gate.Advice{{Lever: gate.LeverHistory, Factor: 9, MDE: 0.097, Text: "compare with 9 stored runs (regression.history; now 4)"}}
	run := record("chat-steady", 12, 8, 7.97, 2.1)
	return Input{
		Policy: "chat-api",
		Verdict: &gate.Verdict{
			Outcome:    gate.Warn,
			ReasonKind: gate.ReasonSmallRegression,
			Reason:     "ttft.p95 is inconclusive: +8.2% [-4.1%, +21.9%] against 4 stored runs of main.",
			Checks:     cs,
			Warnings:   []string{"Only 4 stored runs of main: history mode needs 10 for a tight prediction interval."},
		},
		Runs: []*baseline.Record{run}, Mode: gate.ModeHistory, Commit: headSHA, BaseCommit: baseSHA,
		Branch: "feature/prompt-cache", Target: "https://preview-124.example.com/v1",
		Duration: 68 * time.Second, Material: 0.10, FailOn: "fail",
		Warnings: []string{"No A/A calibration records: using the conservative prior τ = 5%."},
	}
}

func capacityRecord() *baseline.Record {
	r := paired(record("chat-capacity", 0, 16.6, 16.5, 3.4))
	steps := []struct {
		rate, ach float64
		n         int64
		ttft, e2e float64
		met       bool
	}{
		{4, 4.0, 80, 310, 5900, true}, {8, 7.99, 160, 342, 6020, true}, {16, 15.9, 320, 618, 6650, true},
		{32, 24.1, 190, 21040, 31200, false}, {24, 21.7, 240, 9810, 18400, false}, {20, 19.4, 200, 5230, 12100, false},
		{18, 17.8, 180, 3120, 9400, false}, {17, 16.9, 170, 2350, 8100, false}, {16.6, 16.5, 332, 905, 7020, true},
	}
	c := &baseline.Capacity{RPS: 16.6, BrokenBy: "ttft.p95", Converged: true}
	for _, s := range steps {
		st := baseline.CapacityStep{Rate: s.rate, Achieved: s.ach, Samples: s.n, Met: s.met,
			Values: map[string]float64{"ttft.p95": s.ttft, "e2e.p95": s.e2e, "error_rate": 0}}
		if !s.met {
			st.Breached = "ttft.p95 < 2s"
		}
		c.Steps = append(c.Steps, st)
	}
	r.Capacity = c
	r.Reference.Capacity = &baseline.Capacity{RPS: 18.4, BrokenBy: "ttft.p95", Converged: true}
	return r
}

func failInput() Input {
	cs := steadyChecks("chat-steady", gate.ModePaired)
	cs[2] = gate.Check{Scenario: "chat-steady", Name: "ttft.p95", Metric: "ttft", Stat: "p95", Kind: gate.KindRegression,
		Mode: gate.ModePaired, Unit: "ms", Baseline: 405.1, Candidate: 455.0, Change: 0.123, CILow: 0.098, CIHigh: 0.149,
		Confidence: 0.95, MDE: 0.041, PValue: 0.00002, Windows: 12, Samples: 960, Gating: true, Verdict: gate.Fail,
		Reason: "ttft.p95 got worse by +12.3% [+9.8%, +14.9%]: above the 3% negligible change."}
	cs[3].Verdict, cs[3].ReasonKind = gate.Warn, gate.ReasonSmallRegression
	cs[3].Change, cs[3].CILow, cs[3].CIHigh = 0.064, 0.012, 0.118
	cs[3].Baseline, cs[3].Candidate = 6120, 6512
	cs[3].Reason = "e2e.p95 changed by +6.4% [+1.2%, +11.8%]: a change above 10% cannot be ruled out."
	cs = append(cs,
		gate.Check{Scenario: "chat-capacity", Name: "ttft.p95", Metric: "ttft", Stat: "p95", Kind: gate.KindSLO, Unit: "ms",
			Baseline: 2000, Candidate: 905, Limit: 2000, Op: "<", Samples: 332, Gating: true, Verdict: gate.Pass,
			Reason: "At capacity ttft.p95 is 905 ms, below the 2 s limit."},
		gate.Check{Scenario: "chat-capacity", Name: "capacity", Metric: "capacity", Stat: "value", Kind: gate.KindRegression,
			Mode: gate.ModePaired, Unit: "req/s", HigherIsBetter: true, Baseline: 18.4, Candidate: 16.6, Change: -0.0978,
			CILow: -0.142, CIHigh: -0.051, Confidence: 0.95, MDE: 0.052, PValue: 0.0004, Gating: true, Verdict: gate.Fail,
			Reason: "capacity dropped by -9.8% [-14.2%, -5.1%] (18.4 to 16.6 req/s): beyond the 3% negligible change."},
	)
	return Input{
		Policy: "chat-api",
		Verdict: &gate.Verdict{
			Outcome: gate.Fail,
			Reason:  "ttft.p95 in chat-steady got worse by +12.3% [+9.8%, +14.9%] and capacity dropped by 9.8%.",
			Checks:  cs,
			Capacity: []gate.CapacityPlan{{
				Scenario: "chat-capacity", PeakRPS: 120, Headroom: 0.2, InstanceHourUSD: 2.5,
				Baseline:  &gate.Sizing{CapacityRPS: 18.4, Replicas: 8, USDPerMillionRequests: 37.74, USDPerThousandOutputTokens: 0.000188},
				Candidate: gate.Sizing{CapacityRPS: 16.6, Replicas: 9, USDPerMillionRequests: 41.83, USDPerThousandOutputTokens: 0.000209},
			}},
		},
		Runs: []*baseline.Record{paired(record("chat-steady", 12, 8, 7.99, 1.9)), capacityRecord()},
		Mode: gate.ModePaired, Commit: headSHA, BaseCommit: baseSHA, Branch: "feature/bigger-batch",
		Target: "https://ci:hunter2@preview-125.example.com/v1?api_key=sk-live-123", BaselineURL: "https://main.example.com/v1",
		Duration: 2*time.Minute + 41*time.Second, Material: 0.10, FailOn: "fail",
	}
}

func invalidInput() Input {
	run := record("chat-steady", 12, 40, 28.5, 412)
	run.Valid = false
	run.Invalid = []string{
		"achieved 28.5 req/s of 40 offered (71%): the load generator fell behind",
		"schedule lag p99 412 ms is above the 50 ms limit",
	}
	cs := steadyChecks("chat-steady", gate.ModeHistory)
	for i := range cs {
		if cs[i].Gating {
			cs[i].Verdict = gate.Invalid
			cs[i].Reason = "Not judged: the run is invalid."
		}
	}
	return Input{
		Policy: "chat-api",
		Verdict: &gate.Verdict{
			Outcome: gate.Invalid,
			Reason:  "The load generator could not hold the schedule in chat-steady (71% of the offered rate): the measurement cannot be trusted.",
			Checks:  cs,
		},
		Runs: []*baseline.Record{run}, Mode: gate.ModeHistory, Commit: headSHA, BaseCommit: baseSHA,
		Target: "https://preview-126.example.com/v1", Duration: 64 * time.Second, FailOn: "fail",
	}
}

func emptyInput() Input {
	return Input{Policy: "chat-api", Verdict: &gate.Verdict{}}
}
