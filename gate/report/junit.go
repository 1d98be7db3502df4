package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/inert"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// junitSkipped marks an informational check: shown, never judged.
type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit renders JUnit XML for CI systems: one testsuite per scenario and one
// testcase per check, named "ttft.p95 (regression)" or "ttft.p95 (slo)".
//
// A failing check carries a <failure> whose message is the check's reason
// and whose text gives the numbers. A check or a run whose measurement
// cannot be trusted carries an <error>: every scenario with a record gets a
// "validity (run)" testcase for this. A WARN check is a passing testcase
// whose <system-out> says WARN and why, unless in.FailOn is "warn", in
// which case it is a <failure> of type "warn", so the JUnit result agrees
// with the exit code. WARN is not rendered as <skipped>: the check did run
// and its numbers are shown, and CI systems hide or discount skipped tests.
// Informational checks are <skipped> with the reason they were not judged
// (their numbers in <system-out>): they never change the verdict. When the verdict is
// worse than every testcase (for example a verdict with no checks), a
// "verdict (run)" testcase carries it.
func JUnit(in Input) ([]byte, error) {
	out, reason := outcome(in.Verdict)
	all := checks(in.Verdict)
	policy := in.Policy
	if policy == "" {
		policy = "perfgate"
	}
	root := junitSuites{Name: "perfgate " + policy, Time: seconds(in.Duration.Seconds())}
	worst := gate.Pass
	for _, sc := range scenarioOrder(in) {
		name := sc
		if name == "" {
			name = "default"
		}
		suite := junitSuite{Name: name, Time: "0.000", Properties: suiteProperties(in)}
		class := policy + "." + name
		run := runOf(in, sc)
		if run != nil {
			suite.Time = seconds(float64(len(run.Windows)) * run.WindowSeconds)
			suite.Cases = append(suite.Cases, validityCase(run, class))
			if !run.Valid || (run.Reference != nil && !run.Reference.Valid) {
				worst = gate.Worse(worst, gate.Invalid)
			}
		}
		for _, c := range all {
			if c.Scenario != sc {
				continue
			}
			suite.Cases = append(suite.Cases, checkCase(c, class, in.FailOn))
			if c.Gating {
				worst = gate.Worse(worst, c.Verdict)
			}
		}
		if len(suite.Cases) > 0 {
			root.Suites = append(root.Suites, suite)
		}
	}
	if gate.Worse(worst, out) != worst || len(root.Suites) == 0 {
		v := junitCase{Name: "verdict (run)", Classname: policy, Time: "0.000"}
		msg := statusWord(out) + ": " + reason
		switch out {
		case gate.Invalid:
			v.Error = &junitProblem{Message: reason, Type: string(out), Text: msg}
		case gate.Fail:
			v.Failure = &junitProblem{Message: reason, Type: string(out), Text: msg}
		case gate.Warn:
			if in.FailOn == "warn" {
				v.Failure = &junitProblem{Message: reason, Type: string(out), Text: msg}
			} else {
				v.SystemOut = msg
			}
		default:
			v.SystemOut = msg
		}
		root.Suites = append(root.Suites, junitSuite{Name: policy, Time: "0.000", Properties: suiteProperties(in), Cases: []junitCase{v}})
	}
	for i := range root.Suites {
		s := &root.Suites[i]
		for _, c := range s.Cases {
			s.Tests++
			if c.Failure != nil {
				s.Failures++
			}
			if c.Error != nil {
				s.Errors++
			}
			if c.Skipped != nil {
				s.Skipped++
			}
		}
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
	}
	root.makeInert()
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("junit: %w", err)
	}
	buf.WriteString("\n")
	return buf.Bytes(), nil
}

// makeInert makes every text of the report inert (inert.Line, line by
// line): test reporters render JUnit messages into Markdown, and some of
// the text comes from the target, the dataset or the policy.
func (root *junitSuites) makeInert() {
	lines := func(s string) string {
		ls := strings.Split(s, "\n")
		for i := range ls {
			ls[i] = inert.Line(ls[i])
		}
		return strings.Join(ls, "\n")
	}
	problem := func(p *junitProblem) {
		if p != nil {
			p.Message, p.Text = inert.Line(p.Message), lines(p.Text)
		}
	}
	root.Name = inert.Line(root.Name)
	for i := range root.Suites {
		s := &root.Suites[i]
		s.Name = inert.Line(s.Name)
		for j := range s.Properties {
			p := &s.Properties[j]
			switch p.Name {
			case "commit", "base_commit", "target":
				p.Value = inert.Value(p.Value) // read by machines, kept exact
			default:
				p.Value = inert.Line(p.Value)
			}
		}
		for j := range s.Cases {
			c := &s.Cases[j]
			c.Name, c.Classname, c.SystemOut = inert.Line(c.Name), inert.Line(c.Classname), lines(c.SystemOut)
			problem(c.Failure)
			problem(c.Error)
			if c.Skipped != nil {
				c.Skipped.Message = inert.Line(c.Skipped.Message)
			}
		}
	}
}

func suiteProperties(in Input) []junitProperty {
	var ps []junitProperty
	add := func(k, v string) {
		if v != "" {
			ps = append(ps, junitProperty{k, v})
		}
	}
	add("policy", in.Policy)
	add("mode", in.Mode)
	add("commit", in.Commit)
	add("base_commit", in.BaseCommit)
	add("target", cleanURL(in.Target))
	add("reason_kind", reasonKind(in.Verdict))
	return ps
}

// validityCase reports whether a scenario's arms kept to their schedule.
func validityCase(r *baseline.Record, class string) junitCase {
	c := junitCase{Name: "validity (run)", Classname: class, Time: "0.000"}
	lines := []string{validityText("candidate", r)}
	var bad []string
	if !r.Valid {
		bad = append(bad, reasonsOf("candidate", r))
	}
	if r.Reference != nil {
		lines = append(lines, validityText("baseline", r.Reference))
		if !r.Reference.Valid {
			bad = append(bad, reasonsOf("baseline", r.Reference))
		}
	}
	text := strings.Join(lines, "\n")
	if len(bad) > 0 {
		c.Error = &junitProblem{Message: strings.Join(bad, "; "), Type: string(gate.Invalid), Text: text}
		return c
	}
	c.SystemOut = text
	return c
}

func reasonsOf(arm string, r *baseline.Record) string {
	if len(r.Invalid) == 0 {
		return arm + " run is invalid"
	}
	var rs []string
	for _, x := range r.Invalid {
		rs = append(rs, oneLine(x))
	}
	return arm + " run is invalid: " + strings.Join(rs, "; ")
}

func validityText(arm string, r *baseline.Record) string {
	s := arm + ": "
	if r.Valid {
		s += "valid"
	} else {
		s += "invalid"
	}
	if r.Partial {
		s += ", partial"
	}
	s += "; offered " + metric.Format(r.Offered, metric.RPS) + ", achieved " + metric.Format(r.Achieved, metric.RPS)
	if lag, ok := schedLagP99(r); ok {
		s += "; schedule lag p99 " + metric.Format(lag, metric.Ms)
	}
	return s
}

func checkCase(c gate.Check, class, failOn string) junitCase {
	kind := c.Kind
	if kind == "" {
		kind = "check"
	}
	jc := junitCase{Name: checkName(c) + " (" + kind + ")", Classname: class, Time: "0.000"}
	reason := oneLine(c.Reason)
	if reason == "" {
		reason = statusWord(c.Verdict)
	}
	text := checkNumbers(c)
	word := func(w string) string {
		if c.ReasonKind == "" {
			return w
		}
		return w + " (" + c.ReasonKind + ")"
	}
	switch {
	case !c.Gating:
		jc.Skipped = &junitSkipped{Message: "informational (never gating): " + reason}
		jc.SystemOut = text
	case c.Verdict == gate.Fail:
		jc.Failure = &junitProblem{Message: reason, Type: string(gate.Fail), Text: text}
	case c.Verdict == gate.Invalid || c.Verdict == "":
		jc.Error = &junitProblem{Message: reason, Type: string(gate.Invalid), Text: text}
	case c.Verdict == gate.Warn && failOn == "warn":
		jc.Failure = &junitProblem{Message: reason, Type: string(gate.Warn), Text: word("WARN") + ": " + text}
	case c.Verdict == gate.Warn:
		jc.SystemOut = word("WARN") + ": " + reason + "\n" + text
	default:
		jc.SystemOut = word("PASS") + ": " + reason + "\n" + text
	}
	return jc
}

// checkNumbers is the plain-text account of a check's numbers.
func checkNumbers(c gate.Check) string {
	var parts []string
	v := ValuesOf(c)
	if c.Kind == gate.KindSLO {
		parts = append(parts, "limit "+v.LimitText(), "candidate "+v.CandidateText())
	} else {
		if c.Mode != gate.ModeNone {
			parts = append(parts, "baseline "+v.BaselineText())
		}
		parts = append(parts, "candidate "+v.CandidateText())
		if c.Mode != gate.ModeNone {
			parts = append(parts, "change "+v.ChangeText())
		}
		if v.MDE != nil {
			parts = append(parts, "MDE "+v.MDEText())
		}
	}
	if c.Mode != "" {
		parts = append(parts, "mode "+c.Mode)
	}
	if c.Windows > 0 {
		parts = append(parts, "windows "+strconv.Itoa(c.Windows))
	}
	if c.Samples > 0 {
		parts = append(parts, "samples "+metric.Thousands(float64(c.Samples)))
	}
	if c.History > 0 {
		parts = append(parts, "history "+strconv.Itoa(c.History)+" runs")
	}
	return strings.Join(parts, ", ")
}

func seconds(s float64) string {
	if !finite(s) || s < 0 {
		s = 0
	}
	return strconv.FormatFloat(s, 'f', 3, 64)
}
