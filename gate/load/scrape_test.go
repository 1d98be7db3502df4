package load

import (
	"testing"
	"time"
)

// TestScrapeClockBreaksAlignment: a scrape every second at fixed times
// samples a constant-arrival schedule of 1 req/s (or 2) always at the same
// phase; the jittered clock's scrapes fall at every phase of the
// schedule's period, keep their mean interval, and repeat with the seed.
func TestScrapeClockBreaksAlignment(t *testing.T) {
	const every = time.Second
	const n = 400
	for _, period := range []time.Duration{time.Second, 500 * time.Millisecond} {
		c := newScrapeClock(7, 0, every)
		var quarters [4]int
		var last time.Duration
		for i := 0; i < n; i++ {
			at := c.Next()
			if at < last {
				t.Fatalf("scrape %d at %v before the previous one at %v", i, at, last)
			}
			last = at
			quarters[int(4*(at%period)/period)]++
		}
		for q, k := range quarters {
			if k < n/8 {
				t.Errorf("period %v: %d of %d scrapes in quarter %d of the period: %v", period, k, n, q, quarters)
			}
		}
		if mean := last / n; mean < 900*time.Millisecond || mean > 1100*time.Millisecond {
			t.Errorf("mean interval %v, want about %v", mean, every)
		}
	}
	a, b, other := newScrapeClock(7, 0, every), newScrapeClock(7, 0, every), newScrapeClock(7, 1, every)
	same, differ := true, false
	for i := 0; i < 10; i++ {
		x, y, z := a.Next(), b.Next(), other.Next()
		same = same && x == y
		differ = differ || x != z
	}
	if !same || !differ {
		t.Errorf("the same seed and arm must give the same times (%v), another arm others (%v)", same, differ)
	}
}
