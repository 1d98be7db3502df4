package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name.golden. On a mismatch it writes
// testdata/name.got for inspection; with -update it rewrites the golden file.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	gotPath := filepath.Join("testdata", name+".got")
	if *update {
		os.Remove(gotPath)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		if err := os.WriteFile(gotPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s differs from %s; output written to %s (go test -update accepts it)", name, path, gotPath)
		return
	}
	os.Remove(gotPath)
}

var fixtures = []struct {
	name string
	in   func() Input
}{
	{"pass", passInput},
	{"warn", warnInput},
	{"fail", failInput},
	{"invalid", invalidInput},
	{"empty", emptyInput},
	{"inconclusive", inconclusiveInput},
}

func TestGolden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			in := f.in()
			golden(t, f.name+".comment.md", []byte(Markdown(in, MarkdownOptions{})))
			js, err := JSON(in)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, f.name+".report.json", js)
			ju, err := JUnit(in)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, f.name+".junit.xml", ju)
		})
	}
}

func TestMarkdownHeadline(t *testing.T) {
	for _, tc := range []struct {
		in   Input
		word string
	}{
		{passInput(), "PASS"}, {warnInput(), "WARN"}, {failInput(), "FAIL"},
		{invalidInput(), "INVALID"}, {emptyInput(), "INVALID"}, {Input{Policy: "p"}, "INVALID"},
	} {
		md := Markdown(tc.in, MarkdownOptions{})
		lines := strings.Split(md, "\n")
		if lines[0] != Marker(tc.in.Policy) {
			t.Errorf("first line %q, want the marker %q", lines[0], Marker(tc.in.Policy))
		}
		if want := "## perfgate: " + tc.word; !strings.HasPrefix(lines[1], want) {
			t.Errorf("headline %q, want prefix %q", lines[1], want)
		}
		_, reason := outcome(tc.in.Verdict)
		if lines[3] != mdText(reason) {
			t.Errorf("reason line %q, want %q", lines[3], reason)
		}
	}
}

func TestMarker(t *testing.T) {
	if got, want := Marker("chat-api"), "<!-- perfgate:policy=chat-api -->"; got != want {
		t.Errorf("Marker = %q, want %q", got, want)
	}
	m := Marker("evil --> <img src=x>\nname")
	if strings.Count(m, "-->") != 1 || !strings.HasSuffix(m, " -->") || strings.Contains(m, "\n") {
		t.Errorf("Marker does not contain its input: %q", m)
	}
	if Marker("a") == Marker("b") {
		t.Error("different policies share a marker")
	}
}

func TestMarkdownContent(t *testing.T) {
	md := Markdown(failInput(), MarkdownOptions{})
	for _, want := range []string{
		"| `ttft.p95` | 405 ms | 455 ms | +12.3% [+9.8%, +14.9%] | 4.1% | **FAIL** |",
		"| `capacity` | 18.4 req/s | 16.6 req/s | -9.8% [-14.2%, -5.1%] | 5.2% | **FAIL** |",
		"| `ttft.p95` < 2.00 s | — | 413 ms | — | — | PASS |",
		"| `output_tokens_per_s` | 1,384 tok/s | 1,380 tok/s |",
		"| `error_rate` | 0.100% | 0% | -0.10 pp [-0.31 pp, +0.11 pp] | 0.40 pp | PASS |",
		"| `ttft.p99` | 611 ms | 655 ms | +7.2% [-4.8%, +20.5%] | 21.0% | info |",
		"- informational `ttft.p99`: Too few tail samples",
		"- **FAIL** `ttft.p95`: ttft.p95 got worse by +12.3% [+9.8%, +14.9%]",
		"**Capacity:** 16.6 req/s (baseline 18.4 req/s, -9.8%); above it `ttft.p95` broke first.",
		"**Plan:** needs 9 replicas instead of 8 for 120 req/s at 20% headroom; $41.83 instead of $37.74 per 1M requests;",
		"```mermaid\nxychart-beta\n",
		`x-axis "offered rate (req/s)" ["4", "8", "16", "16.6", "17", "18", "20", "24", "32"]`,
		"    line [310.0, 342.0, 618.0, 905.0, 2350.0, 3120.0, 5230.0, 9810.0, 21040.0]\n",
		"    line [2000.0, 2000.0,",
		"<details><summary>Settings</summary>",
		"- mode: paired (candidate and live baseline under the same schedule at the same time)",
		"- windows: chat-steady 12 × 5 s; chat-capacity capacity search, 9 steps",
		"<details><summary>Environment</summary>",
		"<details><summary>Validity of the run</summary>",
		"offered 8.00 req/s, achieved 7.99 req/s (99.9%); schedule lag p99 1.90 ms",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("comment lacks %q", want)
		}
	}
	// The steady scenario's table comes before the capacity scenario's.
	if strings.Index(md, "### chat-steady") > strings.Index(md, "### chat-capacity") {
		t.Error("scenarios out of order")
	}
}

func TestMarkdownWeakPass(t *testing.T) {
	md := Markdown(warnInput(), MarkdownOptions{})
	want := "This run could not have detected a 10% change in `e2e.p95` (MDE 14.2%)"
	if !strings.Contains(md, want) {
		t.Errorf("comment lacks %q", want)
	}
	in := warnInput()
	in.Material = 0
	if strings.Contains(Markdown(in, MarkdownOptions{}), "could not have detected") {
		t.Error("weak-pass note without a material change")
	}
}

func TestPlanSentence(t *testing.T) {
	p := &gate.CapacityPlan{
		Scenario: "s", PeakRPS: 120, Headroom: 0.2,
		Baseline:  &gate.Sizing{CapacityRPS: 18.4, Replicas: 8, USDPerMillionRequests: 0.75},
		Candidate: gate.Sizing{CapacityRPS: 16.6, Replicas: 9, USDPerMillionRequests: 0.84},
	}
	if got, want := planSentence(p), "needs 9 replicas instead of 8 for 120 req/s at 20% headroom; $0.84 instead of $0.75 per 1M requests."; got != want {
		t.Errorf("planSentence = %q\nwant %q", got, want)
	}
	p.Baseline = nil
	p.Candidate.Replicas = 1
	if got, want := planSentence(p), "needs 1 replica for 120 req/s at 20% headroom; $0.84 per 1M requests."; got != want {
		t.Errorf("planSentence = %q\nwant %q", got, want)
	}
}

// manyChecks is a verdict with n checks over 50 scenarios, a few failing.
func manyChecks(n int) Input {
	in := passInput()
	cs := make([]gate.Check, 0, n)
	for i := 0; i < n; i++ {
		c := gate.Check{
			Scenario: fmt.Sprintf("scenario-%02d", i%50), Name: fmt.Sprintf("server.some_long_metric_name_%04d.p95", i),
			Metric: "server.some_long_metric_name", Stat: "p95", Kind: gate.KindRegression, Mode: gate.ModePaired,
			Unit: "ms", Baseline: 1234.5, Candidate: 1250.1, Change: 0.0126, CILow: -0.002, CIHigh: 0.027,
			Confidence: 0.95, MDE: 0.05, Gating: true, Verdict: gate.Pass,
			Reason:   strings.Repeat("A long explanation of the verdict of this check. ", 5),
			Warnings: []string{fmt.Sprintf("warning number %d about this check", i)},
		}
		if i%997 == 500 {
			c.Verdict = gate.Fail
			c.Reason = fmt.Sprintf("check %d got worse", i)
		}
		cs = append(cs, c)
	}
	in.Verdict.Checks = cs
	in.Verdict.Outcome = gate.Fail
	return in
}

func TestMarkdownSizeLimit(t *testing.T) {
	in := manyChecks(5000)
	md := Markdown(in, MarkdownOptions{})
	if len(md) >= DefaultMaxChars {
		t.Fatalf("comment is %d bytes, limit %d", len(md), DefaultMaxChars)
	}
	if len(md) < DefaultMaxChars*9/10 {
		t.Errorf("comment is %d bytes: the rows should use the room up to %d", len(md), DefaultMaxChars)
	}
	if !strings.HasPrefix(md, Marker(in.Policy)+"\n") {
		t.Error("marker missing")
	}
	if !strings.Contains(md, " more checks in report.json") || !strings.Contains(md, "… ") {
		t.Error("no truncation line")
	}
	// Every failing check keeps its row.
	for i := 500; i < 5000; i += 997 {
		if !strings.Contains(md, fmt.Sprintf("`server.some_long_metric_name_%04d.p95` |", i)) {
			t.Errorf("failing check %d was cut", i)
		}
	}
	if !strings.HasSuffix(md, "full numbers in report.json</sub>\n") {
		t.Error("footer was cut")
	}
	// Small limits hold too, and failing rows go last.
	for _, limit := range []int{20000, 6000, 500, 50} {
		md := Markdown(in, MarkdownOptions{MaxChars: limit})
		if len(md) >= limit {
			t.Errorf("MaxChars %d: comment is %d bytes", limit, len(md))
		}
		if limit == 6000 && strings.Count(md, "| **FAIL** |") != 5 {
			t.Errorf("MaxChars %d: %d failing rows shown, want 5:\n%s", limit, strings.Count(md, "| **FAIL** |"), md)
		}
	}
	// A comment that fits is not cut.
	if md := Markdown(passInput(), MarkdownOptions{}); strings.Contains(md, "more checks") {
		t.Error("small comment was truncated")
	}
}

func TestJSONSchemaFirst(t *testing.T) {
	for _, f := range fixtures {
		js, err := JSON(f.in())
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		var keys []string
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("%s: not an object: %v %v", f.name, tok, err)
		}
		for dec.More() && len(keys) < 2 {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, tok.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
		if len(keys) != 2 || keys[0] != "schema" || keys[1] != "verdict" {
			t.Errorf("%s: first keys %v, want [schema verdict]", f.name, keys)
		}
		var rep JSONReport
		if err := json.Unmarshal(js, &rep); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if rep.Schema != Schema {
			t.Errorf("%s: schema %q", f.name, rep.Schema)
		}
		switch rep.Verdict {
		case "pass", "warn", "fail", "invalid":
		default:
			t.Errorf("%s: verdict %q", f.name, rep.Verdict)
		}
	}
}

func TestJSONContent(t *testing.T) {
	js, err := JSON(failInput())
	if err != nil {
		t.Fatal(err)
	}
	var rep JSONReport
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != "fail" || len(rep.Checks) != 9 || rep.Summary.Fail != 2 || rep.Summary.Warn != 1 || rep.Summary.Informational != 1 {
		t.Errorf("verdict %q, %d checks, summary %+v", rep.Verdict, len(rep.Checks), rep.Summary)
	}
	c := rep.Checks[2]
	if c.Name != "ttft.p95" || c.Kind != "regression" || c.Unit != "ms" || *c.Baseline != 405.1 || *c.Candidate != 455 ||
		*c.Change != 0.123 || *c.CILow != 0.098 || *c.CIHigh != 0.149 || *c.MDE != 0.041 || c.Verdict != "fail" || c.Reason == "" {
		t.Errorf("check 2: %+v", c)
	}
	slo := rep.Checks[0]
	if slo.Kind != "slo" || slo.Op != "<" || *slo.Limit != 2000 || slo.Baseline != nil || slo.Change != nil || slo.ChangeKind != "none" {
		t.Errorf("slo check: %+v", slo)
	}
	if rep.Checks[5].ChangeKind != "absolute" {
		t.Errorf("error_rate change kind %q", rep.Checks[5].ChangeKind)
	}
	if len(rep.Capacity) != 1 || *rep.Capacity[0].RPS != 16.6 || *rep.Capacity[0].BaselineRPS != 18.4 ||
		rep.Capacity[0].Plan == nil || rep.Capacity[0].Plan.Candidate.Replicas != 9 || len(rep.Capacity[0].Steps) != 9 {
		t.Errorf("capacity: %+v", rep.Capacity)
	}
	if len(rep.Runs) != 4 || rep.Runs[1].Arm != "baseline" || rep.Runs[1].Scenario != "chat-steady" {
		t.Errorf("runs: %+v", rep.Runs)
	}
	if rep.Target != "https://preview-125.example.com/v1" {
		t.Errorf("target %q", rep.Target)
	}
}

// junitDoc is an independent reading of the JUnit format.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped   *struct{} `xml:"skipped"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, in Input) junitDoc {
	t.Helper()
	b, err := JUnit(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, b)
	}
	return doc
}

func TestJUnit(t *testing.T) {
	doc := parseJUnit(t, failInput())
	if len(doc.Suites) != 2 || doc.Suites[0].Name != "chat-steady" || doc.Suites[1].Name != "chat-capacity" {
		t.Fatalf("suites: %+v", doc.Suites)
	}
	if doc.Failures != 2 || doc.Errors != 0 || doc.Tests != 11 {
		t.Errorf("tests %d failures %d errors %d, want 11 2 0", doc.Tests, doc.Failures, doc.Errors)
	}
	found := false
	for _, c := range doc.Suites[0].Cases {
		if c.Name == "ttft.p95 (regression)" {
			found = true
			if c.Failure == nil || c.Failure.Message != failInput().Verdict.Checks[2].Reason || !strings.Contains(c.Failure.Text, "+12.3% [+9.8%, +14.9%]") {
				t.Errorf("ttft.p95 failure: %+v", c.Failure)
			}
		}
		if c.Name == "e2e.p95 (regression)" && (c.Failure != nil || !strings.HasPrefix(c.SystemOut, "WARN (small_regression): ")) {
			t.Errorf("warn check: failure %v, out %q", c.Failure, c.SystemOut)
		}
	}
	if !found {
		t.Error("no ttft.p95 (regression) testcase")
	}

	in := failInput()
	in.FailOn = "warn"
	if doc := parseJUnit(t, in); doc.Failures != 3 {
		t.Errorf("fail-on warn: %d failures, want 3", doc.Failures)
	}

	doc = parseJUnit(t, invalidInput())
	if doc.Errors != 7 || doc.Failures != 0 {
		t.Errorf("invalid: %d errors %d failures, want 7 0 (6 gating checks and the run)", doc.Errors, doc.Failures)
	}
	if c := doc.Suites[0].Cases[0]; c.Name != "validity (run)" || c.Error == nil || !strings.Contains(c.Error.Message, "fell behind") {
		t.Errorf("validity case: %+v", c)
	}

	doc = parseJUnit(t, emptyInput())
	if doc.Tests != 1 || doc.Errors != 1 || doc.Suites[0].Cases[0].Name != "verdict (run)" {
		t.Errorf("empty verdict: %+v", doc)
	}
}

// TestOddInput feeds NaN, infinities, nil records and empty names to every
// renderer: no panic, no "NaN" or "Inf" in the output, valid JSON and XML.
func TestOddInput(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	odd := Input{
		Verdict: &gate.Verdict{
			Outcome: gate.Fail,
			Checks: []gate.Check{
				{Kind: gate.KindRegression, Unit: "ms", Baseline: nan, Candidate: inf, Change: nan, CILow: math.Inf(-1), CIHigh: inf, MDE: nan, Gating: true, Verdict: gate.Fail},
				{Kind: gate.KindSLO, Unit: "weird-unit", Candidate: nan, Op: "<", Limit: inf, Gating: true},
				{Name: "x | y <b>", Scenario: "s|c<i>", Unit: "ratio", Change: inf, Gating: false, Reason: "line\nbreak [click](https://evil.example)"},
			},
			Capacity: []gate.CapacityPlan{{Scenario: "cap", PeakRPS: nan, Headroom: inf, Candidate: gate.Sizing{USDPerMillionRequests: nan}}},
		},
		Runs: []*baseline.Record{nil, {Scenario: "cap", Offered: nan, Achieved: inf, Capacity: &baseline.Capacity{
			RPS: nan, Steps: []baseline.CapacityStep{{Rate: nan, Values: map[string]float64{"e2e.p95": inf}}, {Rate: 1, Values: nil}},
		}, Reference: &baseline.Record{}}},
		Duration: -1,
	}
	for _, in := range []Input{odd, {}, {Verdict: &gate.Verdict{Outcome: "bogus"}}, {Runs: []*baseline.Record{{}}}} {
		md := Markdown(in, MarkdownOptions{})
		js, err := JSON(in)
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		if !json.Valid(js) {
			t.Errorf("invalid JSON:\n%s", js)
		}
		parseJUnit(t, in)
		for _, bad := range []string{"NaN", "Inf", "%!"} {
			if strings.Contains(md, bad) || bytes.Contains(js, []byte(bad)) {
				t.Errorf("output contains %q:\n%s\n%s", bad, md, js)
			}
		}
	}
	md := Markdown(odd, MarkdownOptions{})
	if !strings.Contains(md, "n/a") {
		t.Error("non-finite values not shown as n/a")
	}
	// Input text is escaped outside code spans, where it would be HTML.
	if outside := regexp.MustCompile("`[^`]*`").ReplaceAllString(md, ""); strings.Contains(outside, "<b>") {
		t.Errorf("HTML from the input rendered:\n%s", outside)
	}
	if strings.Contains(md, "](https") {
		t.Error("link from the input rendered")
	}
	if !strings.Contains(md, "### s\\|c&lt;i&gt;") {
		t.Error("scenario heading not escaped")
	}
}

func TestNoCredentials(t *testing.T) {
	in := failInput()
	in.BaselineURL = "https://admin:s3cret@main.example.com/v1?token=abc#frag"
	in.RunURL = "javascript:alert(1)"
	md := Markdown(in, MarkdownOptions{})
	js, _ := JSON(in)
	ju, _ := JUnit(in)
	for _, out := range []string{md, string(js), string(ju)} {
		for _, secret := range []string{"hunter2", "sk-live-123", "s3cret", "token=abc", "javascript"} {
			if strings.Contains(out, secret) {
				t.Errorf("output contains %q", secret)
			}
		}
	}
}

func TestSharedWarningsAreOneLine(t *testing.T) {
	prior := "between-deployment variance is a prior, not learned from A/A runs"
	v := &gate.Verdict{Checks: []gate.Check{
		{Scenario: "steady", Name: "e2e.p95", Warnings: []string{prior, "pooled over windows"}},
		{Scenario: "steady", Name: "tpot.p50", Warnings: []string{prior}},
		{Scenario: "capacity", Name: "capacity", Warnings: []string{prior}},
	}}
	got := allWarnings(Input{Verdict: v})
	want := []string{"steady e2e.p95, steady tpot.p50, capacity capacity: " + prior, "steady e2e.p95: pooled over windows"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestFailedRequests checks the request counts that the comment and
// report.json give for a run with failures and with requests cancelled at
// the end, which were sent but neither failed nor succeeded.
func TestFailedRequests(t *testing.T) {
	in := passInput()
	r := in.Runs[0]
	r.Windows[0].Succeeded, r.Windows[0].Failed, r.Windows[0].Errors = 35, 3, map[string]int64{"timeout": 2, "http-5xx": 1}
	r.Windows[1].Succeeded, r.Windows[1].Failed, r.Windows[1].Errors = 39, 1, map[string]int64{"timeout": 1}
	r.ErrorExamples = map[string]string{"timeout": "no complete response within 500ms"}
	sent := int64(40 * len(r.Windows))

	want := fmt.Sprintf("; 4 of %d requests failed: 3 timeout (no complete response within 500ms), 1 http-5xx", sent)
	if got := errorsText(r); got != want {
		t.Errorf("errorsText = %q\nwant %q", got, want)
	}
	if md := Markdown(in, MarkdownOptions{}); !strings.Contains(md, want) {
		t.Errorf("comment lacks %q", want)
	}
	run := BuildJSON(in).Runs[0]
	if run.Sent != sent || run.Failed != 4 || run.Succeeded != sent-4-2 ||
		run.Errors["timeout"] != 3 || run.Errors["http-5xx"] != 1 || len(run.Errors) != 2 {
		t.Errorf("report.json run: sent %d, succeeded %d, failed %d, errors %v", run.Sent, run.Succeeded, run.Failed, run.Errors)
	}
	if got := errorsText(record("steady", 3, 8, 8, 1)); got != "" {
		t.Errorf("errorsText without failures = %q, want empty", got)
	}
}

// TestTerminal: the comment rendered for a terminal keeps its words and
// drops Markdown's marks, HTML and entities, and aligns its tables.
func TestTerminal(t *testing.T) {
	in := failInput()
	in.Warnings = append(in.Warnings, "lag-1 autocorrelation 0.54 > 0.20")
	got := Terminal(Markdown(in, MarkdownOptions{}))
	golden(t, "fail.terminal.txt", []byte(got))
	for _, bad := range []string{"&gt;", "&lt;", "**", "<sub>", "<details>", "xychart", "| :--"} {
		if strings.Contains(got, bad) {
			t.Errorf("terminal text has %q", bad)
		}
	}
}
