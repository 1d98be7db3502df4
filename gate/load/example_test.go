package load_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
)

// Example runs a short open-loop plan against a local server and reads the
// per-window counts and the pooled p99.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"label":"cat"}`)
	}))
	defer srv.Close()

	plan := load.Plan{
		Pacer:    load.ConstantPacer{Rate: 50},
		Duration: 400 * time.Millisecond,
		Window:   200 * time.Millisecond,
		Workload: load.Synthetic{Seed: 1, InputTokens: load.Dist{Mean: 16}, OutputTokens: load.Dist{Mean: 8}},
	}
	target := load.Target{URL: srv.URL, API: load.APIHTTP, HTTP: []load.HTTPSpec{{
		Path:   "/classify",
		Body:   `{"text": {{json .prompt}}}`,
		Checks: []load.Check{{Path: "label", Op: load.CheckEquals, Value: "cat"}},
	}}}
	res, err := load.Run(context.Background(), plan, target)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range res.Windows {
		fmt.Printf("window %d: sent %d, succeeded %d\n", w.Index, w.Sent, w.Succeeded)
	}
	pooled, _ := res.Pooled()
	fmt.Println("p99 measured:", load.QuantileDuration(pooled.Histogram(metric.E2E), 0.99) > 0)
	// Output:
	// window 0: sent 10, succeeded 10
	// window 1: sent 10, succeeded 10
	// p99 measured: true
}

// ExampleRecorder feeds a recorder by hand, as any source of request
// timings can (the evaluation feeds it the simulator's): latencies count
// from the intended send time, and the generator's own lag decides whether
// the run can be trusted.
func ExampleRecorder() {
	r, err := load.NewRecorder(load.Plan{Pacer: load.ConstantPacer{Rate: 10}, Duration: time.Second, Window: 500 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	for i := range 10 {
		due := time.Duration(i) * 100 * time.Millisecond
		sent := due + 30*time.Millisecond // the client sent every request 30 ms late
		r.Add(load.Sample{Intended: due, Sent: sent, ClientLag: sent - due, First: -1, Done: sent + 200*time.Millisecond, Tokens: -1})
	}
	res := r.Finish()
	// HdrHistograms keep 3 significant digits: 230 ms reads as 230.015 ms.
	fmt.Println("windows:", len(res.Windows), "sent in the first:", res.Windows[0].Sent)
	fmt.Println("e2e p50:", load.QuantileDuration(res.Windows[0].Histogram(metric.E2E), 0.5))
	fmt.Println("kept up:", res.Validity.KeptUp())
	fmt.Println(res.Validity.Reasons()[0])
	// Output:
	// windows: 2 sent in the first: 5
	// e2e p50: 230.015ms
	// kept up: false
	// client schedule lag p99 30.015ms exceeds 10ms: the load generator could not send on time
}
