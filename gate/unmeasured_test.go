package gate

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

// scrapedRecord is a record of len(scrapes) windows whose server series
// "server.requests_running" was returned by got[i] of the scrapes[i] made
// in window i.
func scrapedRecord(scrapes, got []int64) *baseline.Record {
	rec := &baseline.Record{Scenario: "steady", Valid: true, Metrics: map[string]*baseline.Metric{}, ScrapeError: "Get \"http://127.0.0.1:9/metrics\": connection refused"}
	m := &baseline.Metric{Pooled: baseline.WindowStats{Stats: map[string]float64{}}}
	for i := range scrapes {
		rec.Windows = append(rec.Windows, baseline.WindowCounts{Sent: 10, Succeeded: 10, Scrapes: scrapes[i], ScrapeFailures: scrapes[i] - got[i]})
		st := baseline.WindowStats{Count: got[i], Stats: map[string]float64{}}
		if got[i] > 0 {
			st.Stats["max"], st.Stats["mean"] = 3, 2
			m.Pooled.Count += got[i]
			m.Pooled.Stats["max"], m.Pooled.Stats["mean"] = 3, 2
		}
		m.Windows = append(m.Windows, st)
	}
	if m.Pooled.Count > 0 {
		rec.Metrics["server.requests_running"] = m
	}
	return rec
}

// TestScrapeCoverage: a server series is measured only when every window
// in which scrapes were made had at least half of them return it; a
// server that died mid-run leaves windows without coverage, and the
// series is unmeasured, naming those windows and the first failure.
func TestScrapeCoverage(t *testing.T) {
	cases := []struct {
		name         string
		scrapes, got []int64
		want         string // "" when measured
	}{
		{"all scrapes succeeded", []int64{5, 5, 5, 5}, []int64{5, 5, 5, 5}, ""},
		{"a failed scrape here and there", []int64{5, 5, 5, 5}, []int64{4, 3, 5, 5}, ""},
		{"windows without scrapes (window shorter than the interval)", []int64{1, 0, 1, 0}, []int64{1, 0, 1, 0}, ""},
		{"killed after the second window", []int64{5, 5, 5, 5}, []int64{5, 5, 0, 0}, "in 2 of 4 windows (3–4)"},
		{"most scrapes of one window failed", []int64{5, 5, 5, 5}, []int64{5, 2, 5, 5}, "in 1 of 4 windows (2)"},
		{"every scrape failed", []int64{5, 5, 5, 5}, []int64{0, 0, 0, 0}, "all 20 scrapes of the metrics endpoint failed (first: Get"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := unmeasured(scrapedRecord(tc.scrapes, tc.got), "server.requests_running", "max")
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("unmeasured = %q, want %q", got, tc.want)
			}
		})
	}
	// A judged server SLO says how many scrapes returned the series.
	slo := SLO{Name: "server.requests_running.max", Metric: "server.requests_running", Stat: "max", Op: "<", Limit: 8, Text: "< 8"}
	if c := checkSLO(scrapedRecord([]int64{5, 5, 5, 5}, []int64{4, 3, 5, 5}), slo, 0.05); c.Verdict != Pass || !strings.HasSuffix(c.Reason, "(17 of 20 scrapes)") {
		t.Errorf("covered: %s %q", c.Verdict, c.Reason)
	}
	// The SLO's row is invalid and the run with it.
	rec := scrapedRecord([]int64{5, 5, 5, 5}, []int64{5, 5, 0, 0})
	v := Evaluate(Input{SLOs: []SLO{{Name: "server.requests_running.max", Metric: "server.requests_running", Stat: "max", Op: "<", Limit: 8, Text: "< 8"}}, Runs: []*baseline.Record{rec}, Rules: Rules{Gate: []string{}}})
	if len(v.Checks) != 1 || v.Checks[0].Verdict != Invalid || v.Outcome != Invalid || !strings.Contains(v.Reason, "scrape coverage too low") {
		t.Fatalf("verdict %s (%s), checks %+v", v.Outcome, v.Reason, v.Checks)
	}
	v = Evaluate(Input{SLOs: []SLO{{Name: "server.requests_running.max", Metric: "server.requests_running", Stat: "max", Op: "<", Limit: 8, Text: "< 8"}}, Runs: []*baseline.Record{rec}, Rules: Rules{Gate: []string{}, Optional: []string{"server.requests_running.max"}}})
	if len(v.Checks) != 1 || v.Checks[0].Gating || v.Outcome == Invalid {
		t.Fatalf("optional: verdict %s (%s), checks %+v", v.Outcome, v.Reason, v.Checks)
	}
}
