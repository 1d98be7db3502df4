package gate

import (
	"fmt"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
)

// followedSchedule explains why a schedule-bound throughput check
// (metric.ScheduleBound) of rec cannot show a regression, or returns nil
// when it can. In an open-loop scenario (an arrival rate, not closed-loop
// users, not a capacity search) the requests completed per second are the
// requests the schedule sent, and the output tokens per second are those
// times the output length the workload asked for: both arms show the same
// throughput whatever the server does, unless it falls behind (requests
// fail or are held back) or answers with other lengths. When every arm
// completed at least 1−negligible of its offered load, and (for output
// tokens) their lengths per request agree within the negligible change,
// the throughput of the arms cannot differ by more than the negligible
// change: the check could never fail, and it says so instead of passing
// as though it had been tested (docs/statistics.md).
func followedSchedule(rec *baseline.Record, name string, arms []*baseline.Record, negligible float64) error {
	m, _ := metric.SplitName(name)
	if !metric.ScheduleBound(m) || rec.Concurrency > 0 || rec.ScenarioKind == "capacity" || len(arms) == 0 {
		return nil
	}
	lo, hi := 0.0, 0.0
	for i, r := range arms {
		done, tokens := completed(r)
		if r.Offered <= 0 || done < 1-negligible {
			return nil // this arm fell behind its schedule: the throughput means something
		}
		if i == 0 || tokens < lo {
			lo = tokens
		}
		hi = max(hi, tokens)
	}
	if m == metric.OutputTokensPerS && !(lo > 0 && hi/lo <= 1+negligible) {
		return nil // the output lengths differ: tokens per second moves with them
	}
	return fmt.Errorf("open-loop scenario %q kept its schedule (%s, at least %.0f%% completed in every arm): this is the offered load, not the server's throughput, and cannot show a regression; gate goodput, capacity or a closed-loop scenario instead",
		rec.Scenario, metric.Format(rec.Offered, metric.RPS), 100*(1-negligible))
}

// completed returns the share of rec's offered requests that succeeded in
// its measured windows, and its output tokens per succeeded request.
func completed(rec *baseline.Record) (share, tokensPerRequest float64) {
	var ok, tokens int64
	span := 0.0
	for _, w := range rec.Windows {
		ok += w.Succeeded
		tokens += w.OutputTokens
		span += w.End - w.Start
	}
	if rec.Offered <= 0 || span <= 0 || ok == 0 {
		return 0, 0
	}
	return float64(ok) / (rec.Offered * span), float64(tokens) / float64(ok)
}
