package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/gate/metric"
)

func countCapacity(in Input) int {
	n := 0
	for _, sc := range scenarioOrder(in) {
		r := runOf(in, sc)
		if (r != nil && r.Capacity != nil) || planOf(in, sc) != nil {
			n++
		}
	}
	return n
}

func writeCapacity(b *strings.Builder, in Input, sc string, run *baseline.Record, plan *gate.CapacityPlan) {
	var capRes *baseline.Capacity
	if run != nil {
		capRes = run.Capacity
	}
	capRPS, baseRPS := math.NaN(), math.NaN()
	if capRes != nil {
		capRPS = capRes.RPS
	} else if plan != nil {
		capRPS = plan.Candidate.CapacityRPS
	}
	if run != nil && run.Reference != nil && run.Reference.Capacity != nil {
		baseRPS = run.Reference.Capacity.RPS
	} else if plan != nil && plan.Baseline != nil {
		baseRPS = plan.Baseline.CapacityRPS
	}
	s := "**Capacity:** " + metric.Format(capRPS, metric.RPS)
	if finite(baseRPS) {
		s += " (baseline " + metric.Format(baseRPS, metric.RPS)
		if baseRPS > 0 && finite(capRPS) {
			s += ", " + formatChange(capRPS/baseRPS-1, false)
		}
		s += ")"
	}
	if capRes != nil {
		if capRes.BrokenBy != "" {
			s += "; above it `" + codeText(clip(capRes.BrokenBy, maxNameChars)) + "` broke first"
			if strings.HasPrefix(capRes.BrokenBy, "queue growing") {
				s += " (a step whose median latency keeps rising is over capacity even before an SLO breaks: the server falls behind, and a longer step would break them; docs/metrics.md)"
			}
		}
		if !capRes.Converged {
			s += "; the search did not converge to the requested precision"
		}
	}
	b.WriteString(s + ".\n\n")
	if plan != nil {
		b.WriteString("**Plan:** " + planSentence(plan) + "\n\n")
	}
	if capRes != nil {
		writeChart(b, in, sc, run)
	}
}

// planSentence says what capacity means in replicas and money, for example
// "needs 9 replicas instead of 8 for 120 req/s at 20% headroom; $0.84
// instead of $0.75 per 1M requests".
func planSentence(p *gate.CapacityPlan) string {
	c, base := p.Candidate, p.Baseline
	var s string
	switch {
	case base == nil:
		s = fmt.Sprintf("needs %s", replicas(c.Replicas))
	case base.Replicas == c.Replicas:
		s = fmt.Sprintf("needs %s, as the baseline does,", replicas(c.Replicas))
	default:
		s = fmt.Sprintf("needs %s instead of %s", replicas(c.Replicas), metric.Thousands(float64(base.Replicas)))
	}
	s += fmt.Sprintf(" for %s at %s headroom", metric.Format(p.PeakRPS, metric.RPS), formatPercent(p.Headroom))
	cost := func(cand, b float64, per string) string {
		if base == nil {
			return "; " + formatUSD(cand) + " per " + per
		}
		return "; " + formatUSD(cand) + " instead of " + formatUSD(b) + " per " + per
	}
	s += cost(c.USDPerMillionRequests, baseOr(base, func(z *gate.Sizing) float64 { return z.USDPerMillionRequests }), "1M requests")
	if c.USDPerThousandOutputTokens != 0 {
		s += cost(c.USDPerThousandOutputTokens, baseOr(base, func(z *gate.Sizing) float64 { return z.USDPerThousandOutputTokens }), "1k output tokens")
	}
	if p.InstanceHourUSD != 0 {
		s += " (at " + formatUSD(p.InstanceHourUSD) + " per instance-hour)"
	}
	return s + "."
}

func baseOr(z *gate.Sizing, f func(*gate.Sizing) float64) float64 {
	if z == nil {
		return math.NaN()
	}
	return f(z)
}

func replicas(n int) string {
	if n == 1 {
		return "1 replica"
	}
	return metric.Thousands(float64(n)) + " replicas"
}
