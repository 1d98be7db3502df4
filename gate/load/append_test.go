package load

import (
	"testing"
	"time"

	"github.com/perfgate/perfgate/gate/metric"
)

// segment records a run of d at 10 req/s in 1-s windows whose requests
// take lat each.
func segment(t *testing.T, d, lat time.Duration) *Result {
	t.Helper()
	r, err := NewRecorder(Plan{Pacer: ConstantPacer{Rate: 10}, Duration: d, Window: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := range int(d / (100 * time.Millisecond)) {
		due := time.Duration(i) * 100 * time.Millisecond
		r.Add(Sample{Intended: due, Sent: due, First: -1, Done: due + lat, Tokens: -1})
	}
	return r.Finish()
}

func TestAppendContinuesTheRun(t *testing.T) {
	a, b := segment(t, 3*time.Second, 100*time.Millisecond), segment(t, 2*time.Second, 300*time.Millisecond)
	a.Validity.LagP99, b.Validity.LagP99 = time.Millisecond, 4*time.Millisecond
	b.ErrorExamples = map[string]string{ErrConnect: "refused"}
	out, err := Append(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Windows) != 5 {
		t.Fatalf("%d windows, want 5", len(out.Windows))
	}
	for i, w := range out.Windows {
		if w.Index != i || w.Start != time.Duration(i)*time.Second || w.End != time.Duration(i+1)*time.Second || w.Sent != 10 {
			t.Errorf("window %d: index %d [%s, %s) sent %d", i, w.Index, w.Start, w.End, w.Sent)
		}
	}
	if out.Offered != 10 || out.Validity.Sent != 50 || out.Validity.LagP99 != 4*time.Millisecond || out.ErrorExamples[ErrConnect] != "refused" {
		t.Errorf("joined: offered %v, sent %d, lag %s, examples %v", out.Offered, out.Validity.Sent, out.Validity.LagP99, out.ErrorExamples)
	}
	pooled, err := out.Pooled()
	if err != nil {
		t.Fatal(err)
	}
	// 30 requests of 100 ms and 20 of 300 ms: the median is the first kind.
	if p50, p90 := QuantileDuration(pooled.Histogram(metric.E2E), 0.5), QuantileDuration(pooled.Histogram(metric.E2E), 0.9); p50 > 101*time.Millisecond || p90 < 299*time.Millisecond {
		t.Errorf("pooled p50 %s p90 %s", p50, p90)
	}
	if _, err := Summarize(out, RunMeta{Policy: "p"}); err != nil {
		t.Errorf("summarize: %v", err)
	}
	c := segment(t, time.Second, time.Millisecond)
	c.Window = 2 * time.Second
	if _, err := Append(out, c); err == nil {
		t.Error("windows of different lengths joined")
	}
}
