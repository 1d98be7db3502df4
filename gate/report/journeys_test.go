package report

import (
	"strings"
	"testing"

	"github.com/perfgate/perfgate/baseline"
)

func journeyRecord(searchMean float64) *baseline.Record {
	m := func(mean, p50, p95 float64) *baseline.Metric {
		return &baseline.Metric{Unit: "ms", Pooled: baseline.WindowStats{Count: 100, Stats: map[string]float64{"mean": mean, "p50": p50, "p95": p95}}}
	}
	return &baseline.Record{
		Journeys: []baseline.Journey{{Name: "rag", Steps: []string{"embed", "search", "generate"}}, {Name: "x|y", Steps: []string{"a"}}},
		Windows: []baseline.WindowCounts{{Steps: map[string]baseline.StepCounts{
			"step.embed":    {Sent: 100, Succeeded: 100},
			"step.search":   {Sent: 100, Succeeded: 97, Failed: 3, Errors: map[string]int64{"timeout": 2, "http-5xx": 1}},
			"step.generate": {Sent: 97, Succeeded: 97},
			"journey.rag":   {Sent: 100, Succeeded: 97, Failed: 3, Errors: map[string]int64{"timeout": 2, "http-5xx": 1}},
		}}},
		Metrics: map[string]*baseline.Metric{
			"step.embed.e2e":    m(10, 9, 12),
			"step.search.e2e":   m(searchMean, searchMean, searchMean*1.2),
			"step.generate.e2e": m(60, 58, 80),
			"journey.rag.e2e":   m(70+searchMean, 70+searchMean, 100+searchMean),
			"journey.rag.ttft":  m(40, 40, 55),
		},
	}
}

func TestJourneyBreakdown(t *testing.T) {
	run := journeyRecord(30)
	run.Reference = journeyRecord(10)
	var b strings.Builder
	writeJourneys(&b, run)
	got := b.String()
	for _, want := range []string{
		"**Journey `rag`**: where the time went `" + strings.Repeat("█", 3) + strings.Repeat("▓", 9) + strings.Repeat("▒", 18) + "` █ embed 10% · ▓ search 30% · ▒ generate 60%",
		"Baseline: `",
		"| `search` | 100 | 3 (timeout 2, http-5xx 1) | 30.0 ms | 36.0 ms | 12.0 ms | 30% |",
		"| journey `rag` | 100 | 3 (timeout 2, http-5xx 1) | 100 ms | 130 ms | 110 ms |  |",
		"p95 55.0 ms",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("breakdown lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "x|y") {
		t.Errorf("a journey name that is not a policy name was rendered:\n%s", got)
	}
}

func TestShareCellsFillTheBar(t *testing.T) {
	for _, means := range [][]float64{{1, 1, 1}, {0.001, 5, 7}, {3}} {
		total := 0.0
		for _, m := range means {
			total += m
		}
		n := 0
		for _, c := range shareCells(means, total) {
			n += c
		}
		if n != barCells {
			t.Errorf("%v: %d cells, want %d", means, n, barCells)
		}
	}
}

func TestReportJSONCountsSteps(t *testing.T) {
	j := jsonRun(journeyRecord(30), "candidate")
	if c := j.Steps["step.search"]; c.Sent != 100 || c.Failed != 3 || c.Errors["timeout"] != 2 {
		t.Errorf("step.search in report.json: %+v", c)
	}
	if j := jsonRun(&baseline.Record{}, "candidate"); j.Steps != nil {
		t.Errorf("a run without journeys has steps %v", j.Steps)
	}
}
