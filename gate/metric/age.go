package metric

import (
	"fmt"
	"math"
)

// FormatAge prints an age of sec seconds in the largest whole unit that
// fits at least twice: "41 days", "5 hours", "12 minutes"; under two
// minutes, "minutes".
func FormatAge(sec float64) string {
	switch {
	case sec >= 2*86400:
		return fmt.Sprintf("%.0f days", math.Floor(sec/86400))
	case sec >= 2*3600:
		return fmt.Sprintf("%.0f hours", math.Floor(sec/3600))
	case sec >= 120:
		return fmt.Sprintf("%.0f minutes", math.Floor(sec/60))
	}
	return "minutes"
}
