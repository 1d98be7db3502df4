package policies

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
)

// forecastMargin is the share above a percentile's minimum sample that a
// forecast asks for: Poisson arrivals, failed requests and the last
// window's cut make the measured count fall short of rate × duration.
const forecastMargin = 1.2

// SampleWarnings forecasts, for every percentile an SLO or a gate judges in an
// open-loop scenario, how many samples the scenario will measure (rate ×
// duration; a spike adds its extra rate over the hold) and warns when they
// are too few for the percentile (n·(1−q) ≥ 10: 200 for p95, 1,000 for
// p99), or only just enough, with the duration or rate that would make the
// check gating. Such a check is informational: shown, never deciding the run.
func (p *Policy) SampleWarnings() []string {
	type use struct{ ref, where string }
	var uses []use
	for _, s := range p.SLOs {
		uses = append(uses, use{s.Ref.String(), "slos"})
	}
	for _, g := range p.Regression.Gate {
		uses = append(uses, use{g, "regression.gate"})
	}
	var notes []string
	seen := map[string]bool{}
	for _, sc := range p.Scenarios {
		if sc.Kind == KindCapacity || sc.Concurrency > 0 || sc.Rate <= 0 {
			continue // a capacity search or a closed loop: no fixed rate to forecast from
		}
		dur := sc.Duration.Std()
		n := sc.Rate * dur.Seconds()
		if sc.Kind == KindSpike {
			n += sc.Rate * (sc.Factor - 1) * min(sc.Hold.Std(), max(dur-sc.At.Std(), 0)).Seconds()
		}
		for _, u := range uses {
			m, stat := metric.SplitName(u.ref)
			d, ok := metric.Lookup(m)
			_, isPct := metric.Quantile(stat)
			if !ok || !isPct || !d.Recorded || m == metric.ITL {
				continue // not one value per request
			}
			key := sc.Name + " " + u.ref
			if seen[key] {
				continue
			}
			need := metric.MinCount(stat)
			want := math.Ceil(float64(need) * forecastMargin)
			if n >= want {
				continue
			}
			seen[key] = true
			fix := fmt.Sprintf("a duration of at least %s at %s req/s, or a rate of at least %s req/s for %s, makes it gating with a %.0f%% margin for random arrivals and failed requests",
				roundUpDuration(want/sc.Rate), num(sc.Rate), num(math.Ceil(want/dur.Seconds()*10)/10), durText(dur), 100*(forecastMargin-1))
			if sc.Kind == KindSpike {
				fix = fmt.Sprintf("a longer duration or a higher rate (%.0f samples with the margin for random arrivals and failed requests) makes it gating", want)
			}
			if n < float64(need) {
				notes = append(notes, fmt.Sprintf("%s: %s in scenario %q: about %.0f samples forecast (%s req/s × %s), too few for %s (needs %d, %.0f above it): it will be informational, shown but never deciding the run; %s",
					u.where, u.ref, sc.Name, n, num(sc.Rate), durText(dur), stat, need, float64(metric.MinTailSamples), fix))
				continue
			}
			notes = append(notes, fmt.Sprintf("%s: %s in scenario %q: about %.0f samples forecast (%s req/s × %s), only at or just above the %d that %s needs: a few failed requests or slow arrivals make it informational; %s",
				u.where, u.ref, sc.Name, n, num(sc.Rate), durText(dur), need, stat, fix))
		}
	}
	return notes
}

// roundUpDuration is s seconds rounded up to a whole second, as a policy
// duration ("25s", "1m40s").
func roundUpDuration(s float64) string {
	return durText(time.Duration(math.Ceil(s)) * time.Second)
}

// durText is a duration as a policy writes it: "1m", not "1m0s".
func durText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") || strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// num formats a rate without trailing zeros.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
