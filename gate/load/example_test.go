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
