package report

import (
	"math"
	"strconv"
	"strings"
)

// na is shown for a value that is missing or not a finite number.
const na = "n/a"

// dash is shown where a value does not apply (the change of an SLO check).
const dash = "—"

// formatNumber prints v with about three significant digits and thousands
// separators: 0.042, 4.20, 42.0, 420, 4,200, 42,000.
func formatNumber(v float64) string {
	if !finite(v) {
		return na
	}
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 999.5:
		return thousands(math.Round(v))
	case a >= 99.95:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 9.995:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.9995:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.001:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

// thousands prints an integral v with comma separators.
func thousands(v float64) string {
	if math.Abs(v) >= 1e18 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	s := strconv.FormatInt(int64(v), 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatValue prints v in unit for people: latencies in ms or s, rates in
// req/s or tok/s, ratios as percentages, byte counts in KiB/MiB/GiB.
func formatValue(v float64, unit string) string {
	if !finite(v) {
		return na
	}
	switch unit {
	case "ms":
		if math.Abs(v) >= 999.5 {
			return formatNumber(v/1000) + " s"
		}
		return formatNumber(v) + " ms"
	case "us", "µs":
		return formatValue(v/1000, "ms")
	case "s":
		if math.Abs(v) < 1 && v != 0 {
			return formatNumber(v*1000) + " ms"
		}
		return formatNumber(v) + " s"
	case "ratio":
		return formatNumber(v*100) + "%"
	case "%":
		return formatNumber(v) + "%"
	case "bytes", "B":
		return formatBytes(v)
	case "":
		return formatNumber(v)
	case "tokens":
		if v == 1 {
			return "1 token"
		}
	}
	return formatNumber(v) + " " + unit
}

// formatBytes prints a byte count with binary prefixes.
func formatBytes(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return formatNumber(v) + " " + units[i]
}

// formatChange prints a relative change as a signed percentage: "+12.3%".
// With absolute set (error rates) it prints a difference of proportions in
// percentage points: "+0.40 pp".
func formatChange(v float64, absolute bool) string {
	if !finite(v) {
		return na
	}
	if absolute {
		return signed(v*100, 2) + " pp"
	}
	p := v * 100
	if math.Abs(p) >= 1000 {
		s := thousands(math.Round(p))
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
		return na
	}
	a := math.Abs(v)
	switch {
	case a >= 1000:
		cents := strconv.FormatFloat(a-math.Floor(a), 'f', 2, 64)
		if cents == "1.00" {
			return "$" + thousands(math.Copysign(math.Floor(a)+1, v)) + ".00"
		}
		return "$" + thousands(math.Copysign(math.Floor(a), v)) + strings.TrimPrefix(cents, "0")
	case a >= 0.01 || a == 0:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	return "$" + strconv.FormatFloat(v, 'g', 2, 64)
}

// formatPercent prints a fraction as a percentage with at most one
// decimal: 0.2 -> "20%", 0.125 -> "12.5%".
func formatPercent(v float64) string {
	if !finite(v) {
		return na
	}
	return trimmed(v*100, 1) + "%"
}

// trimmed prints v rounded to prec decimals without trailing zeros: 16.6,
// 4, 2.5.
func trimmed(v float64, prec int) string {
	if !finite(v) {
		return na
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
