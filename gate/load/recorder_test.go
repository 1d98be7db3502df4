package load

import (
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
)

const ms = time.Millisecond

// TestRecorderDefinitions feeds a recorder by hand and checks each
// definition: the window of the intended send time, latencies from it,
// TPOT, ITL, goodput, cold start, errors by class and cancellations.
func TestRecorderDefinitions(t *testing.T) {
	p := Plan{Pacer: ConstantPacer{Rate: 10}, Warmup: time.Second, Duration: 2 * time.Second, Window: time.Second,
		Good: GoodLimits{TTFT: 150 * ms}}
	r, err := NewRecorder(p)
	if err != nil {
		t.Fatal(err)
	}
	// Warm-up: served, and the first success of the run.
	r.Add(Sample{Intended: 500 * ms, Sent: 500 * ms, First: 600 * ms, Done: 700 * ms, Tokens: 1})
	// Window 0: a stream that lagged 50 ms behind its schedule.
	r.Add(Sample{Intended: 1200 * ms, Sent: 1250 * ms, First: 1300 * ms, Done: 1500 * ms, Tokens: 5, Want: 5,
		ITL: []time.Duration{50 * ms, 50 * ms, 50 * ms, 50 * ms}})
	// Window 0: a first token too late for goodput, and a short answer.
	r.Add(Sample{Intended: 1400 * ms, Sent: 1400 * ms, First: 1600 * ms, Done: 1700 * ms, Tokens: 3, Want: 5})
	// Window 1: a failure and a request cut off by the end of the run.
	r.Add(Sample{Intended: 2100 * ms, Sent: 2100 * ms, First: -1, Done: 2200 * ms, Tokens: -1, Class: ErrHTTP5xx, Status: 503, Msg: "503 Service Unavailable"})
	r.Add(Sample{Intended: 2200 * ms, Sent: 2200 * ms, First: -1, Done: 2300 * ms, Tokens: -1, Class: ClassCancelled})
	// Due past the end (a late tick): the last window.
	r.Add(Sample{Intended: 3100 * ms, Sent: 3100 * ms, First: -1, Done: 3150 * ms, Tokens: -1})
	res := r.Finish()

	if res.Warmup.Sent != 1 || res.Warmup.Succeeded != 1 || res.ColdStart != 700*ms {
		t.Errorf("warm-up sent %d succeeded %d, cold start %v", res.Warmup.Sent, res.Warmup.Succeeded, res.ColdStart)
	}
	if len(res.Windows) != 2 {
		t.Fatalf("%d windows", len(res.Windows))
	}
	w0, w1 := res.Windows[0], res.Windows[1]
	if w0.Sent != 2 || w0.Succeeded != 2 || w0.Good != 1 || w0.OutputTokens != 8 || w0.LengthMismatch != 1 {
		t.Errorf("window 0: sent %d succeeded %d good %d tokens %d mismatches %d", w0.Sent, w0.Succeeded, w0.Good, w0.OutputTokens, w0.LengthMismatch)
	}
	for _, c := range []struct {
		metric   string
		min, max int64 // µs (tokens for output_tokens)
		count    int64
	}{
		{metric.E2E, 300_000, 300_000, 2},     // from the intended time: 300 ms both
		{metric.Service, 250_000, 300_000, 2}, // from the actual send
		{metric.TTFT, 100_000, 200_000, 2},
		{metric.TPOT, 50_000, 50_000, 2}, // (300 − 100) / 4 and (300 − 200) / 2
		{metric.ITL, 50_000, 50_000, 4},
		{metric.OutputTokens, 3, 5, 2},
		{metric.ScheduleLag, 0, 50_000, 2},
	} {
		h := w0.Histogram(c.metric)
		if h == nil || h.TotalCount() != c.count || !approx(h.Min(), c.min) || !approx(h.Max(), c.max) {
			t.Errorf("window 0 %s: %v", c.metric, h)
		}
	}
	if w1.Sent != 3 || w1.Succeeded != 1 || w1.Failed != 1 || w1.Cancelled != 1 || w1.Errors[ErrHTTP5xx] != 1 || w1.Status[503] != 1 {
		t.Errorf("window 1: sent %d ok %d failed %d cancelled %d errors %v status %v", w1.Sent, w1.Succeeded, w1.Failed, w1.Cancelled, w1.Errors, w1.Status)
	}
	if res.ErrorExamples[ErrHTTP5xx] != "503 Service Unavailable" {
		t.Errorf("error examples %v", res.ErrorExamples)
	}
	if res.Offered != 10 || res.Achieved != 2.5 || res.Validity.Sent != 5 {
		t.Errorf("offered %v achieved %v validity %+v", res.Offered, res.Achieved, res.Validity)
	}
}

// approx reports whether an HdrHistogram value is v to its 3 significant digits.
func approx(got, v int64) bool { return got >= v-v/500 && got <= v+v/500 }

// TestRecorderEndAt: a measurement that ended early keeps the windows it
// reached, the last one cut, and its rates count only the time measured.
func TestRecorderEndAt(t *testing.T) {
	r, err := NewRecorder(Plan{Pacer: ConstantPacer{Rate: 10}, Warmup: time.Second, Duration: 4 * time.Second, Window: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		at := time.Second + time.Duration(i)*100*ms
		r.Add(Sample{Intended: at, Sent: at, First: -1, Done: at + 10*ms, Tokens: -1})
	}
	r.EndAt(3500 * ms)
	res := r.Finish()
	if len(res.Windows) != 3 || res.Windows[2].End != 2500*ms {
		t.Fatalf("windows %d, last ends at %v", len(res.Windows), res.Windows[len(res.Windows)-1].End)
	}
	if res.Offered != 10 || res.Achieved != 10 || !res.Validity.KeptUp() {
		t.Errorf("offered %v achieved %v validity %q", res.Offered, res.Achieved, res.Validity.Reasons())
	}
}

// TestRecorderClosedLoop: without a schedule the offered rate is the
// achieved one.
func TestRecorderClosedLoop(t *testing.T) {
	r, err := NewRecorder(Plan{Concurrency: 2, Duration: time.Second, Window: 500 * ms})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		at := time.Duration(i) * 100 * ms
		r.Add(Sample{Intended: at, Sent: at, First: -1, Done: at + 100*ms, Tokens: -1})
	}
	res := r.Finish()
	if res.Offered != 8 || res.Achieved != 8 || res.Validity.InFlightCap != 2 || !res.Validity.KeptUp() {
		t.Errorf("offered %v achieved %v validity %+v", res.Offered, res.Achieved, res.Validity)
	}
}
