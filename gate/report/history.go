package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/inert"
)

// HistoryFormats are the formats of WriteHistory.
var HistoryFormats = []string{"table", "json", "csv"}

// WriteHistory prints trends (perfgate history): "table", one block per
// scenario and metric with a sparkline and one row per run; "json", the
// trends as an array (scenario, metric, unit, points with key, commit,
// branch, time, value, pinned); "csv", one row per point with a header.
// Values are in the metric's unit (a ratio for error_rate).
func WriteHistory(w io.Writer, trends []gate.Trend, format string) error {
	switch format {
	case "json":
		if trends == nil {
			trends = []gate.Trend{}
		}
		for i := range trends {
			if trends[i].Points == nil {
				trends[i].Points = []gate.TrendPoint{}
			}
		}
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(trends)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"scenario", "metric", "unit", "time", "commit", "branch", "key", "value", "pinned"})
		for _, t := range trends {
			for _, p := range t.Points {
				cw.Write([]string{t.Scenario, t.Metric, t.Unit, p.Time.UTC().Format(time.RFC3339), p.Commit, p.Branch, p.Key,
					strconv.FormatFloat(p.Value, 'g', -1, 64), strconv.FormatBool(p.Pinned)})
			}
		}
		cw.Flush()
		return cw.Error()
	case "table", "":
		for i, t := range trends {
			if i > 0 {
				fmt.Fprintln(w)
			}
			vs := make([]float64, len(t.Points))
			for j, p := range t.Points {
				vs[j] = p.Value
			}
			fmt.Fprintf(w, "%s · %s  %s\n", inert.Value(t.Scenario), inert.Value(t.Metric), Sparkline(vs))
			if len(t.Points) == 0 {
				fmt.Fprintln(w, "  no stored run measured it")
				continue
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "  time\tcommit\tbranch\tvalue\tvs oldest\t")
			for _, p := range t.Points {
				change := dash
				if first := t.Points[0].Value; first > 0 && !strings.HasPrefix(t.Unit, metric.Ratio) {
					change = formatChange(p.Value/first-1, false)
				} else if t.Unit == metric.Ratio {
					change = formatChange(p.Value-t.Points[0].Value, true)
				}
				pin := ""
				if p.Pinned {
					pin = " (pinned)"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t\n", p.Time.UTC().Format("2006-01-02 15:04"), inert.Value(shortSHA(p.Commit)),
					inert.Value(clip(p.Branch, 40)), metric.Format(p.Value, t.Unit)+pin, change)
			}
			tw.Flush()
		}
		return nil
	}
	return fmt.Errorf("format %q: want table, json or csv", format)
}
