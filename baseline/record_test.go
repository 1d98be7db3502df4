package baseline

import "testing"

func TestErrorCounts(t *testing.T) {
	for _, tc := range []struct {
		name          string
		windows       []WindowCounts
		failed, total int64
	}{
		{"no windows", nil, 0, 0},
		{"no failures", []WindowCounts{{Sent: 40, Succeeded: 40}}, 0, 40},
		// Sent also counts requests cancelled at the end of the run, which
		// are neither failed nor succeeded and stay out of the error rate.
		{"summed over windows, cancelled left out", []WindowCounts{
			{Sent: 40, Succeeded: 37, Failed: 3},
			{Sent: 42, Succeeded: 30, Failed: 10},
		}, 13, 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Record{Windows: tc.windows}
			failed, total := r.ErrorCounts()
			if failed != tc.failed || total != tc.total {
				t.Errorf("ErrorCounts() = %d, %d; want %d, %d", failed, total, tc.failed, tc.total)
			}
		})
	}
}
