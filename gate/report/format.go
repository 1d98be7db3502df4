package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
)

// dash is shown where a value does not apply (the change of an SLO check).
const dash = "—"

// formatChange prints a relative change as a signed percentage: "+12.3%".
// With absolute set (error rates) it prints a difference of proportions in
// percentage points: "+0.40 pp".
func formatChange(v float64, absolute bool) string {
	if !finite(v) {
		return metric.NA
	}
	if absolute {
		return signed(v*100, 2) + " pp"
	}
	p := v * 100
	if math.Abs(p) >= 1000 {
		s := metric.Thousands(math.Round(p))
		if p > 0 {
			s = "+" + s
		}
		return s + "%"
	}
	return signed(p, 1) + "%"
}

// signed prints v with prec decimals and an explicit sign; a value that
// rounds to zero has no sign.
func signed(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	zero := strconv.FormatFloat(0, 'f', prec, 64)
	switch {
	case s == zero || s == "-"+zero:
		return zero
	case v > 0:
		return "+" + s
	}
	return s
}

// formatInterval prints "+12.3% [+9.8%, +14.9%]"; the interval is left out
// when it is missing or degenerate.
func formatInterval(change, lo, hi float64, absolute bool) string {
	s := formatChange(change, absolute)
	if !finite(lo) && !finite(hi) || lo == 0 && hi == 0 {
		return s
	}
	return s + " [" + formatChange(lo, absolute) + ", " + formatChange(hi, absolute) + "]"
}

// formatUSD prints a price: "$0.84", "$1,234.50", "$0.0042".
func formatUSD(v float64) string {
	if !finite(v) {
		return metric.NA
	}
	a := math.Abs(v)
	switch {
	case a >= 1000:
		cents := strconv.FormatFloat(a-math.Floor(a), 'f', 2, 64)
		if cents == "1.00" {
			return "$" + metric.Thousands(math.Copysign(math.Floor(a)+1, v)) + ".00"
		}
		return "$" + metric.Thousands(math.Copysign(math.Floor(a), v)) + strings.TrimPrefix(cents, "0")
	case a >= 0.01 || a == 0:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	return "$" + strconv.FormatFloat(v, 'g', 2, 64)
}

// formatPercent prints a fraction as a percentage with at most one
// decimal: 0.2 -> "20%", 0.125 -> "12.5%".
func formatPercent(v float64) string {
	if !finite(v) {
		return metric.NA
	}
	return trimmed(v*100, 1) + "%"
}

// trimmed prints v rounded to prec decimals without trailing zeros: 16.6,
// 4, 2.5.
func trimmed(v float64, prec int) string {
	if !finite(v) {
		return metric.NA
	}
	p := math.Pow(10, float64(prec))
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}

// formatOp prints an SLO operator for people; an unknown operator gives "".
func formatOp(op string) string {
	switch op {
	case "<", ">", "==":
		return op
	case "<=":
		return "≤"
	case ">=":
		return "≥"
	}
	return ""
}

// formatDuration prints a duration for people: "48s", "1m 12s", "1h 05m".
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		s := int(d.Round(time.Second) / time.Second)
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	}
	m := int(d.Round(time.Minute) / time.Minute)
	return fmt.Sprintf("%dh %02dm", m/60, m%60)
}
