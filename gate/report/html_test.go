package report

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/perfgate/perfgate/baseline"
)

// withLatency gives every window of r ttft and e2e percentiles (a smooth,
// seeded-free shape: sin of the window index), scaled by f.
func withLatency(r *baseline.Record, f float64) {
	for _, m := range []struct {
		name string
		base float64
	}{{"ttft", 380}, {"e2e", 5900}} {
		mt := &baseline.Metric{Unit: "ms"}
		for i := range r.Windows {
			w := 1 + 0.06*math.Sin(float64(i))
			mt.Windows = append(mt.Windows, baseline.WindowStats{Count: 80, Stats: map[string]float64{
				"p50": f * m.base * 0.7 * w, "p95": f * m.base * w, "p99": f * m.base * 1.3 * w}})
		}
		mt.Pooled = baseline.WindowStats{Count: int64(80 * len(r.Windows)), Stats: map[string]float64{"p50": f * m.base * 0.7, "p95": f * m.base, "p99": f * m.base * 1.3}}
		r.Metrics[m.name] = mt
	}
}

// htmlInput is the fail fixture with what report.html draws: latency per
// window on both arms, failed requests by class (one with a hostile
// message) and eight stored runs of main.
func htmlInput() Input {
	in := failInput()
	run := in.Runs[0]
	withLatency(run, 1.12)
	ref := *run.Reference
	ref.Metrics = map[string]*baseline.Metric{}
	ref.Windows = append([]baseline.WindowCounts(nil), run.Windows...)
	ref.Windows[7].Failed, ref.Windows[7].Errors = 1, map[string]int64{"timeout": 1}
	withLatency(&ref, 1)
	run.Reference = &ref
	for i := range run.Windows {
		if i%3 == 0 {
			run.Windows[i].Failed = 2
			run.Windows[i].Errors = map[string]int64{"http-5xx": 1, "timeout": 1}
		}
	}
	run.Windows[5].Errors = map[string]int64{"http-5xx": 3}
	run.Windows[5].Failed = 3
	run.ErrorExamples = map[string]string{"http-5xx": `503 <script>alert("x")</script> upstream overloaded`, "timeout": "no first byte within 30s"}
	var hist []*baseline.Record
	for i := 0; i < 8; i++ {
		h := record("chat-steady", 12, 8, 7.99, 1.9)
		h.Commit = fmt.Sprintf("%07x%033d", 0xa11ce00+i, 0)
		h.Branch = "main"
		h.Time = time.Date(2026, 3, 1+i, 9, 0, 0, 0, time.UTC)
		withLatency(h, 1+0.01*float64(i%3))
		hist = append([]*baseline.Record{h}, hist...) // newest first, as stored
	}
	in.History = map[string][]*baseline.Record{"chat-steady": hist}
	return in
}

// TestHTMLGolden pins report.html of a failing paired run with a capacity
// search, errors and a history: the whole page, byte for byte.
func TestHTMLGolden(t *testing.T) {
	page, err := HTML(htmlInput())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "fail.report.html", page)
}

// TestHTMLSelfContained parses report.html as a browser would and checks
// that it loads nothing (no script, stylesheet, image, frame, font or URL
// in CSS), has every section, draws its charts, and escapes the target's
// text.
func TestHTMLSelfContained(t *testing.T) {
	for name, in := range map[string]Input{"html": htmlInput(), "pass": passInput(), "invalid": invalidInput(), "empty": emptyInput(), "odd": {}} {
		page, err := HTML(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		doc, err := html.Parse(strings.NewReader(string(page)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids := map[string]bool{}
		svgs, lines := 0, 0
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "script", "link", "img", "iframe", "object", "embed", "image", "use":
					t.Errorf("%s: <%s> in report.html", name, n.Data)
				case "svg":
					svgs++
				case "polyline":
					lines++
				}
				for _, a := range n.Attr {
					switch {
					case a.Key == "id":
						ids[a.Val] = true
					case a.Key == "src" || strings.HasSuffix(a.Key, "href") && n.Data != "a":
						t.Errorf("%s: <%s %s=%q> loads a resource", name, n.Data, a.Key, a.Val)
					case strings.HasPrefix(a.Key, "on"):
						t.Errorf("%s: event handler %s", name, a.Key)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		for _, id := range []string{"verdict", "checks", "latency", "capacity", "errors", "trend"} {
			if !ids[id] {
				t.Errorf("%s: no section #%s", name, id)
			}
		}
		low := strings.ToLower(string(page))
		for _, bad := range []string{"url(", "@import", "@font-face", "<script"} {
			if strings.Contains(low, bad) {
				t.Errorf("%s: report.html contains %q", name, bad)
			}
		}
		if name == "html" {
			// ttft and e2e over time, latency vs load, errors, trends.
			if svgs < 6 || lines < 6 {
				t.Errorf("%d charts with %d lines, want every chart", svgs, lines)
			}
			if !strings.Contains(string(page), "503 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; upstream overloaded") {
				t.Error("the target's error message is not shown escaped")
			}
			if strings.Contains(string(page), "hunter2") || strings.Contains(string(page), "sk-live") {
				t.Error("credentials of the target URL in report.html")
			}
		}
	}
}

// TestMarkdownTrend pins the comment's trend: one Mermaid chart per gating
// metric of a scenario with stored runs, the base branch's runs by commit
// then this run, collapsed; none without stored runs.
func TestMarkdownTrend(t *testing.T) {
	in := htmlInput()
	md := Markdown(in, MarkdownOptions{})
	golden(t, "trend.comment.md", []byte(md))
	if n := strings.Count(md, "xychart-beta"); n != 4 { // capacity + ttft.p95, e2e.p95, error_rate
		t.Errorf("%d Mermaid charts, want the capacity chart and 3 trends", n)
	}
	if !strings.Contains(md, `"a11ce00", "a11ce01"`) || !strings.Contains(md, `"this run"]`) {
		t.Error("the trend's x axis is not the stored commits, oldest first, then this run")
	}
	// Two stored runs of one commit stay two points.
	in.History["chat-steady"][1].Commit = in.History["chat-steady"][0].Commit
	if md := Markdown(in, MarkdownOptions{}); !strings.Contains(md, `"a11ce07", "a11ce07 #2", "this run"]`) {
		t.Errorf("a repeated commit is not told apart:\n%s", md)
	}
	in.History = nil
	if strings.Contains(Markdown(in, MarkdownOptions{}), "Trend:") {
		t.Error("a trend without stored runs")
	}
}

func TestSparkline(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want string
	}{{nil, ""}, {[]float64{1, 1}, "▄▄"}, {[]float64{1, 2, 3, 8}, "▁▂▃█"}} {
		if got := Sparkline(c.in); got != c.want {
			t.Errorf("Sparkline(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
