package metric

import "testing"

func TestFormatAge(t *testing.T) {
	for sec, want := range map[float64]string{0: "minutes", 119: "minutes", 3600: "60 minutes", 7200: "2 hours", 50 * 3600: "2 days", 41 * 86400: "41 days"} {
		if got := FormatAge(sec); got != want {
			t.Errorf("FormatAge(%v) = %q, want %q", sec, got, want)
		}
	}
}
