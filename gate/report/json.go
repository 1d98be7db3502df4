package report

import (
	"bytes"
	"encoding/json"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
)

// Schema is the value of JSONReport.Schema written by this version. A
// change that removes or renames a field, or changes a field's meaning,
// comes with a new version.
const Schema = "perfgate/report/v1"

// JSONReport is report.json. Fields are documented in docs/report-json.md;
// their order is the order of this struct and stays stable. Numbers that are
// missing or not finite are null.
type JSONReport struct {
	Schema      string         `json:"schema"`
	Verdict     string         `json:"verdict"`
	ReasonKind  string         `json:"reason_kind"`
	Reason      string         `json:"reason"`
	Policy      string         `json:"policy"`
	Mode        string         `json:"mode"`
	Commit      string         `json:"commit"`
	BaseCommit  string         `json:"base_commit"`
	Branch      string         `json:"branch"`
	Target      string         `json:"target"`
	BaselineURL string         `json:"baseline_url"`
	Partial     bool           `json:"partial"`
	Duration    *float64       `json:"duration_s"`
	Summary     JSONSummary    `json:"summary"`
	Checks      []JSONCheck    `json:"checks"`
	Capacity    []JSONCapacity `json:"capacity"`
	Runs        []JSONRun      `json:"runs"`
	Warnings    []string       `json:"warnings"`
	// Calibration says, per paired scenario, what τ̂ was learned from.
	Calibration []JSONCalibration `json:"calibration"`
	// Resolution is set when gating checks were inconclusive.
	Resolution *JSONResolution `json:"resolution"`
	// Looks says, per scenario the policy lets extend, the looks taken
	// (regression.extend); empty when it extends none.
	Looks []gate.Looks `json:"looks"`
	// Stopped is set when the run was stopped early because the target
	// failed nearly every request (policy fail_fast).
	Stopped *gate.Stopped `json:"stopped"`
}

// JSONSummary counts the checks by verdict. Informational checks are
// counted only in Total and Informational.
type JSONSummary struct {
	Total         int `json:"total"`
	Gating        int `json:"gating"`
	Pass          int `json:"pass"`
	Warn          int `json:"warn"`
	Fail          int `json:"fail"`
	Invalid       int `json:"invalid"`
	Informational int `json:"informational"`
}

// JSONCheck is one check of report.json.
type JSONCheck struct {
	Scenario       string   `json:"scenario"`
	Name           string   `json:"name"`
	Metric         string   `json:"metric"`
	Statistic      string   `json:"statistic"`
	Kind           string   `json:"kind"`
	Mode           string   `json:"mode"`
	Gating         bool     `json:"gating"`
	Unit           string   `json:"unit"`
	HigherIsBetter bool     `json:"higher_is_better"`
	Baseline       *float64 `json:"baseline"`
	Candidate      *float64 `json:"candidate"`
	Op             string   `json:"op"`
	Limit          *float64 `json:"limit"`
	ChangeKind     string   `json:"change_kind"`
	Change         *float64 `json:"change"`
	CILow          *float64 `json:"ci_low"`
	CIHigh         *float64 `json:"ci_high"`
	Confidence     *float64 `json:"confidence"`
	MDE            *float64 `json:"mde"`
	PValue         *float64 `json:"p_value"`
	Windows        int      `json:"windows"`
	Samples        int64    `json:"samples"`
	History        int      `json:"history"`
	Verdict        string   `json:"verdict"`
	ReasonKind     string   `json:"reason_kind"`
	Reason         string   `json:"reason"`
	Warnings       []string `json:"warnings"`
	// Noise and Advice are set for judged regression checks.
	Noise  *JSONNoise   `json:"noise"`
	Advice []JSONAdvice `json:"advice"`
}

// JSONCapacity is the capacity result of one capacity scenario, with its
// plan in replicas and money when the policy states a cost model.
type JSONCapacity struct {
	Scenario    string             `json:"scenario"`
	RPS         *float64           `json:"rps"`
	BaselineRPS *float64           `json:"baseline_rps"`
	BrokenBy    string             `json:"broken_by"`
	Converged   bool               `json:"converged"`
	Steps       []JSONCapacityStep `json:"steps"`
	Plan        *JSONPlan          `json:"plan"`
}

// JSONCapacityStep is one measured rate of a capacity search.
type JSONCapacityStep struct {
	Rate     *float64            `json:"rate"`
	Achieved *float64            `json:"achieved_rps"`
	Samples  int64               `json:"samples"`
	Values   map[string]*float64 `json:"values"`
	Met      bool                `json:"met"`
	Breached string              `json:"breached"`
}

// JSONPlan is a capacity plan: replicas and unit costs for the stated peak.
type JSONPlan struct {
	PeakRPS         *float64    `json:"peak_rps"`
	Headroom        *float64    `json:"headroom"`
	InstanceHourUSD *float64    `json:"instance_hour_usd"`
	Baseline        *JSONSizing `json:"baseline"`
	Candidate       JSONSizing  `json:"candidate"`
	Sentence        string      `json:"sentence"`
}

// JSONSizing is one arm's capacity turned into replicas and costs.
type JSONSizing struct {
	CapacityRPS                *float64 `json:"capacity_rps"`
	Replicas                   int      `json:"replicas"`
	USDPerMillionRequests      *float64 `json:"usd_per_1m_requests"`
	USDPerThousandOutputTokens *float64 `json:"usd_per_1k_output_tokens"`
}

// JSONRun is the validity of one measured arm.
type JSONRun struct {
	Scenario       string   `json:"scenario"`
	Arm            string   `json:"arm"`
	Commit         string   `json:"commit"`
	Valid          bool     `json:"valid"`
	Partial        bool     `json:"partial"`
	InvalidReasons []string `json:"invalid_reasons"`
	OfferedRPS     *float64 `json:"offered_rps"`
	AchievedRPS    *float64 `json:"achieved_rps"`
	ScheduleLagP99 *float64 `json:"schedule_lag_p99_ms"`
	ColdStart      *float64 `json:"cold_start_ms"`
	Windows        int      `json:"windows"`
	WindowSeconds  *float64 `json:"window_seconds"`
	MetricDefs     string   `json:"metric_defs"`
	Env            JSONEnv  `json:"env"`
	// Sent, Succeeded and Failed count the requests of the measured
	// windows; Errors counts the failed ones by class and ErrorExamples
	// holds the first message of each class seen in the run.
	Sent          int64             `json:"sent"`
	Succeeded     int64             `json:"succeeded"`
	Failed        int64             `json:"failed"`
	Errors        map[string]int64  `json:"errors"`
	ErrorExamples map[string]string `json:"error_examples"`
	// Resent counts requests sent again on a fresh connection because a
	// kept-alive one failed before any response; they are not failures.
	Resent int64 `json:"resent"`
	// Scrapes and ScrapeFailures count the scrapes of the server metrics
	// made in the measured windows and those that failed;
	// ScrapesPerWindowMin and Max are the fewest and most in one window.
	Scrapes             int64 `json:"scrapes"`
	ScrapeFailures      int64 `json:"scrape_failures"`
	ScrapesPerWindowMin int64 `json:"scrapes_per_window_min"`
	ScrapesPerWindowMax int64 `json:"scrapes_per_window_max"`
	// Steps counts, for a journey workload, the requests of each step and
	// the arrivals of each journey by outcome and error class, keyed
	// "step.NAME" and "journey.NAME".
	Steps map[string]baseline.StepCounts `json:"steps,omitempty"`
}

// JSONEnv is where an arm was measured.
type JSONEnv struct {
	OS         string            `json:"os"`
	Arch       string            `json:"arch"`
	CPUs       int               `json:"cpus"`
	TargetHost string            `json:"target_host"`
	Model      string            `json:"model"`
	Perfgate   string            `json:"perfgate_version"`
	Labels     map[string]string `json:"labels"`
}

// JSON renders report.json: "schema" and "verdict" first, then the run's
// identity, the checks, capacity results, the validity of every measured
// arm and the warnings. The output is indented and ends with a newline.
func JSON(in Input) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(BuildJSON(in)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// BuildJSON returns the report that JSON encodes.
func BuildJSON(in Input) *JSONReport {
	out, reason := outcome(in.Verdict)
	all := checks(in.Verdict)
	c := countChecks(all)
	rep := &JSONReport{
		Schema:      Schema,
		Verdict:     string(out),
		ReasonKind:  reasonKind(in.Verdict),
		Reason:      reason,
		Policy:      in.Policy,
		Mode:        in.Mode,
		Commit:      in.Commit,
		BaseCommit:  in.BaseCommit,
		Branch:      in.Branch,
		Target:      cleanURL(in.Target),
		BaselineURL: cleanURL(in.BaselineURL),
		Partial:     partial(in),
		Summary: JSONSummary{
			Total: c.total, Gating: c.gating, Pass: c.pass, Warn: c.warn,
			Fail: c.fail, Invalid: c.invalid, Informational: c.info,
		},
		Checks:      make([]JSONCheck, 0, len(all)),
		Capacity:    []JSONCapacity{},
		Runs:        []JSONRun{},
		Warnings:    allWarnings(in),
		Calibration: jsonCalibration(in),
		Resolution:  jsonResolution(in.Verdict),
		Looks:       jsonLooks(in.Verdict),
		Stopped:     stoppedOf(in.Verdict),
	}
	if in.Duration > 0 {
		rep.Duration = num(in.Duration.Seconds())
	}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	for _, ch := range all {
		rep.Checks = append(rep.Checks, jsonCheck(ch))
	}
	for _, sc := range scenarioOrder(in) {
		if jc := jsonCapacity(in, sc); jc != nil {
			rep.Capacity = append(rep.Capacity, *jc)
		}
	}
	for _, r := range in.Runs {
		if r == nil {
			continue
		}
		rep.Runs = append(rep.Runs, jsonRun(r, "candidate"))
		if r.Reference != nil {
			ref := jsonRun(r.Reference, "baseline")
			ref.Scenario = r.Scenario
			rep.Runs = append(rep.Runs, ref)
		}
	}
	return rep
}

// num returns a pointer to v, or nil when v is not finite (JSON null).
func num(v float64) *float64 {
	if !finite(v) {
		return nil
	}
	return &v
}

// numNZ is num, with zero meaning "not set".
func numNZ(v float64) *float64 {
	if v == 0 {
		return nil
	}
	return num(v)
}

func jsonCheck(c gate.Check) JSONCheck {
	j := JSONCheck{
		Scenario:       c.Scenario,
		Name:           checkName(c),
		Metric:         c.Metric,
		Statistic:      c.Stat,
		Kind:           c.Kind,
		Mode:           c.Mode,
		Gating:         c.Gating,
		Unit:           c.Unit,
		HigherIsBetter: c.HigherIsBetter,
		Windows:        c.Windows,
		Samples:        c.Samples,
		History:        c.History,
		Verdict:        string(c.Verdict),
		ReasonKind:     c.ReasonKind,
		Reason:         oneLine(c.Reason),
		Warnings:       append([]string{}, c.Warnings...),
		Noise:          jsonNoise(c.Noise),
		Advice:         jsonAdvice(c.Advice),
	}
	if j.Verdict == "" {
		j.Verdict = string(gate.Invalid)
	}
	v := ValuesOf(c)
	j.Candidate = v.Candidate
	if c.Kind == gate.KindSLO {
		j.Op, j.Limit = v.Op, v.Limit
		j.ChangeKind = "none"
		return j
	}
	j.Baseline, j.Change, j.CILow, j.CIHigh = v.Baseline, v.Change, v.CILow, v.CIHigh
	j.ChangeKind = "relative"
	if v.Absolute {
		j.ChangeKind = "absolute"
	}
	j.Confidence = numNZ(c.Confidence)
	j.MDE = v.MDE
	j.PValue = numNZ(c.PValue)
	return j
}

func jsonCapacity(in Input, sc string) *JSONCapacity {
	run := runOf(in, sc)
	plan := planOf(in, sc)
	if (run == nil || run.Capacity == nil) && plan == nil {
		return nil
	}
	jc := &JSONCapacity{Scenario: sc, Steps: []JSONCapacityStep{}}
	if run != nil && run.Capacity != nil {
		c := run.Capacity
		jc.RPS = num(c.RPS)
		jc.BrokenBy = c.BrokenBy
		jc.Converged = c.Converged
		for _, st := range c.Steps {
			vals := make(map[string]*float64, len(st.Values))
			for k, v := range st.Values {
				vals[k] = num(v)
			}
			jc.Steps = append(jc.Steps, JSONCapacityStep{
				Rate: num(st.Rate), Achieved: num(st.Achieved), Samples: st.Samples,
				Values: vals, Met: st.Met, Breached: st.Breached,
			})
		}
	} else {
		jc.RPS = num(plan.Candidate.CapacityRPS)
	}
	if run != nil && run.Reference != nil && run.Reference.Capacity != nil {
		jc.BaselineRPS = num(run.Reference.Capacity.RPS)
	} else if plan != nil && plan.Baseline != nil {
		jc.BaselineRPS = num(plan.Baseline.CapacityRPS)
	}
	if plan != nil {
		jp := &JSONPlan{
			PeakRPS:         num(plan.PeakRPS),
			Headroom:        num(plan.Headroom),
			InstanceHourUSD: num(plan.InstanceHourUSD),
			Candidate:       jsonSizing(plan.Candidate),
			Sentence:        planSentence(plan),
		}
		if plan.Baseline != nil {
			s := jsonSizing(*plan.Baseline)
			jp.Baseline = &s
		}
		jc.Plan = jp
	}
	return jc
}

func jsonSizing(s gate.Sizing) JSONSizing {
	return JSONSizing{
		CapacityRPS:                num(s.CapacityRPS),
		Replicas:                   s.Replicas,
		USDPerMillionRequests:      num(s.USDPerMillionRequests),
		USDPerThousandOutputTokens: numNZ(s.USDPerThousandOutputTokens),
	}
}

func jsonRun(r *baseline.Record, arm string) JSONRun {
	j := JSONRun{
		Scenario:       r.Scenario,
		Arm:            arm,
		Commit:         r.Commit,
		Valid:          r.Valid,
		Partial:        r.Partial,
		InvalidReasons: append([]string{}, r.Invalid...),
		OfferedRPS:     num(r.Offered),
		AchievedRPS:    num(r.Achieved),
		ColdStart:      numNZ(r.ColdStart),
		Windows:        len(r.Windows),
		WindowSeconds:  numNZ(r.WindowSeconds),
		MetricDefs:     r.MetricDefs,
		Env: JSONEnv{
			OS: r.Env.OS, Arch: r.Env.Arch, CPUs: r.Env.CPUs, TargetHost: r.Env.Target,
			Model: r.Env.Model, Perfgate: r.Env.Perfgate, Labels: r.Env.Labels,
		},
		ErrorExamples: map[string]string{},
	}
	j.Sent, j.Errors = sentAndErrors(r)
	var completed int64
	j.Failed, completed = r.ErrorCounts()
	j.Succeeded = completed - j.Failed
	for class, msg := range r.ErrorExamples {
		j.ErrorExamples[class] = msg
	}
	for _, w := range r.Windows {
		j.Resent += w.Resent
	}
	j.Scrapes, j.ScrapeFailures, j.ScrapesPerWindowMin, j.ScrapesPerWindowMax = scrapeCounts(r)
	j.Steps = allStepTotals(r)
	if lag, ok := schedLagP99(r); ok {
		j.ScheduleLagP99 = num(lag)
	}
	if j.Env.Labels == nil {
		j.Env.Labels = map[string]string{}
	}
	return j
}

// jsonLooks is the looks of v, [] when there were none (or no verdict).
func jsonLooks(v *gate.Verdict) []gate.Looks {
	if v == nil {
		return []gate.Looks{}
	}
	return append([]gate.Looks{}, v.Looks...)
}

// stoppedOf returns why the run was stopped early, nil-safe.
func stoppedOf(v *gate.Verdict) *gate.Stopped {
	if v == nil {
		return nil
	}
	return v.Stopped
}
