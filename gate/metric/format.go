package metric

import (
	"math"
	"strconv"
	"strings"
)

// NA is printed for a value that is missing or not a finite number.
const NA = "n/a"

// Format prints v in unit for people, the one way every report and message
// prints a metric value: latencies in ms or s ("420 ms", "2.31 s"), rates
// with their unit ("4,200 req/s"), ratios as percentages ("0.42%"), byte
// counts in KiB/MiB/GiB, about three significant digits.
func Format(v float64, unit string) string {
	if !finite(v) {
		return NA
	}
	switch unit {
	case Ms:
		if math.Abs(v) >= 999.5 {
			return FormatNumber(v/1000) + " s"
		}
		return FormatNumber(v) + " ms"
	case "us", "µs":
		return Format(v/1000, Ms)
	case "s":
		if math.Abs(v) < 1 && v != 0 {
			return FormatNumber(v*1000) + " ms"
		}
		return FormatNumber(v) + " s"
	case Ratio:
		return FormatNumber(v*100) + "%"
	case "%":
		return FormatNumber(v) + "%"
	case Bytes, "B":
		return formatBytes(v)
	case "":
		return FormatNumber(v)
	case Tokens:
		if v == 1 {
			return "1 token"
		}
	}
	return FormatNumber(v) + " " + unit
}

// FormatNumber prints v with about three significant digits and thousands
// separators: 0.042, 4.20, 42.0, 420, 4,200, 42,000.
func FormatNumber(v float64) string {
	if !finite(v) {
		return NA
	}
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 999.5:
		return Thousands(math.Round(v))
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

// Thousands prints an integral v with comma separators: 1,234,567.
func Thousands(v float64) string {
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

// formatBytes prints a byte count with binary prefixes.
func formatBytes(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return FormatNumber(v) + " " + units[i]
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
