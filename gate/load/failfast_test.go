package load

import (
	"testing"
	"time"
)

// failFastAfter records n requests, the first failing ones failing with
// class and status, and returns what FailFast decided after each.
func failFastAfter(t *testing.T, n, failing int, every time.Duration, f FailFast) *Abort {
	t.Helper()
	rec, err := NewRecorder(Plan{Warmup: 10 * time.Second, Duration: 10 * time.Second, Pacer: ConstantPacer{Rate: 1, Duration: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		at := time.Duration(i) * every
		s := Sample{Intended: at, Sent: at, Done: at + time.Millisecond, First: -1}
		if i < failing {
			s.Class, s.Status, s.Msg = ErrHTTP5xx, 503, `503 Service Unavailable: {"error":{"message":"overloaded"}}`
		}
		rec.Add(s)
		if a := rec.failFast(&f, at+time.Millisecond); a != nil {
			return a
		}
	}
	return nil
}

func TestFailFastDecidesOnce(t *testing.T) {
	f := FailFast{ErrorRate: 0.9, Requests: 20, Within: 10 * time.Second}
	a := failFastAfter(t, 40, 40, 100*time.Millisecond, f)
	if a == nil || a.Requests != 20 || a.Failed != 20 || a.Class != ErrHTTP5xx || a.Status != 503 || a.Message != "503 Service Unavailable: overloaded" {
		t.Fatalf("all failing: %+v", a)
	}
	// 18 of 20: 90%, stops; 17 of 20 does not, and later failures are data.
	if a := failFastAfter(t, 40, 18, 100*time.Millisecond, f); a == nil {
		t.Error("18 of 20 failed: not stopped")
	}
	if a := failFastAfter(t, 200, 17, 100*time.Millisecond, f); a != nil {
		t.Errorf("17 of 20 failed: stopped %+v", a)
	}
	// A slow target: after 10 s with at least 5 requests done, decide.
	a = failFastAfter(t, 8, 8, 2*time.Second, f)
	if a == nil || a.Requests != 6 {
		t.Errorf("slow target: %+v", a)
	}
	if a := failFastAfter(t, 4, 4, 4*time.Second, f); a != nil {
		t.Errorf("4 requests are too few to decide: %+v", a)
	}
}
