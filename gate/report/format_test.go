package report

import (
	"math"
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
)

// TestValueCells pins the values as every report prints them (table cells,
// notes, JUnit text), at the edges metric.Format's own test leaves out:
// unit switches, rounding boundaries, signs and values that are not numbers.
func TestValueCells(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		unit string
		want string
	}{
		{412.6, "ms", "413 ms"},
		{41.26, "ms", "41.3 ms"},
		{0.42, "ms", "0.420 ms"},
		{999.4, "ms", "999 ms"},
		{999.6, "ms", "1.00 s"},
		{6088, "ms", "6.09 s"},
		{125400, "ms", "125 s"},
		{0.25, "s", "250 ms"},
		{1384.2, "tok/s", "1,384 tok/s"},
		{16.6, "req/s", "16.6 req/s"},
		{1234567, "tokens", "1,234,567 tokens"},
		{1, "tokens", "1 token"},
		{0.001, "ratio", "0.100%"},
		{0.0523, "ratio", "5.23%"},
		{0, "ratio", "0%"},
		{0.82, "", "0.820"},
		{3 << 30, "bytes", "3.00 GiB"},
		{math.NaN(), "ms", "n/a"},
		{math.Inf(1), "req/s", "n/a"},
		{-2500, "ms", "-2.50 s"},
	} {
		if got := metric.Format(tc.v, tc.unit); got != tc.want {
			t.Errorf("metric.Format(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
}

func TestFormatChange(t *testing.T) {
	for _, tc := range []struct {
		v        float64
		absolute bool
		want     string
	}{
		{0.123, false, "+12.3%"},
		{-0.0978, false, "-9.8%"},
		{0.0004, false, "0.0%"},
		{-0.0004, false, "0.0%"},
		{12.5, false, "+1,250%"},
		{0.004, true, "+0.40 pp"},
		{-0.001, true, "-0.10 pp"},
		{math.NaN(), false, "n/a"},
	} {
		if got := formatChange(tc.v, tc.absolute); got != tc.want {
			t.Errorf("formatChange(%v, %v) = %q, want %q", tc.v, tc.absolute, got, tc.want)
		}
	}
	if got, want := formatInterval(0.123, 0.098, 0.149, false), "+12.3% [+9.8%, +14.9%]"; got != want {
		t.Errorf("formatInterval = %q, want %q", got, want)
	}
	if got, want := formatInterval(0.05, 0, 0, false), "+5.0%"; got != want {
		t.Errorf("formatInterval without interval = %q, want %q", got, want)
	}
	if got, want := formatInterval(0.05, math.NaN(), 0.1, false), "+5.0% [n/a, +10.0%]"; got != want {
		t.Errorf("formatInterval half-open = %q, want %q", got, want)
	}
}

func TestFormatMisc(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{formatUSD(0.84), "$0.84"},
		{formatUSD(37.746), "$37.75"},
		{formatUSD(1234.5), "$1,234.50"},
		{formatUSD(1999.999), "$2,000.00"},
		{formatUSD(0.000209), "$0.00021"},
		{formatUSD(math.Inf(-1)), "n/a"},
		{formatPercent(0.2), "20%"},
		{formatPercent(0.125), "12.5%"},
		{metric.Thousands(-1234567), "-1,234,567"},
		{metric.Thousands(999), "999"},
		{formatDuration(71*time.Second + 400*time.Millisecond), "1m 11s"},
		{formatDuration(48 * time.Second), "48s"},
		{formatDuration(2*time.Hour + 5*time.Minute), "2h 05m"},
		{cleanURL("https://u:p@h.example:8443/v1?k=s#f"), "https://h.example:8443/v1"},
		{cleanURL("not a url"), ""},
		{shortSHA(headSHA), "9f3c2a1"},
		{shortSHA("v1.2.3"), "v1.2.3"},
		{clip("abcdef", 4), "abc…"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
