package policies_test

import (
	"fmt"

	"github.com/perfgate/perfgate/policies"
)

func ExampleParse() {
	src := []byte(`
name: "chat"
target: {url: "http://127.0.0.1:8000", api: "openai-chat", model: "llama"}
scenarios: steady: {rate: 8, arrival: "poisson"}
slos: {"ttft.p95": "< 2s", "error_rate": "< 0.1%"}
`)
	p, err := policies.Parse("chat.cue", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := p.Scenarios[0]
	fmt.Println(s.Name, s.Rate, s.Arrival, s.Warmup, s.Duration)
	for _, slo := range p.SLOs {
		fmt.Println(slo.Ref, slo.Limit, "=", slo.Limit.Value, slo.Unit)
	}
	fmt.Println("gate:", p.Regression.Gate, "negligible", p.Regression.Negligible)
	// Output:
	// steady 8 poisson 10s 1m0s
	// ttft.p95 < 2s = 2000 ms
	// error_rate < 0.1% = 0.001 ratio
	// gate: [e2e.p95 ttft.p95 tpot.p50 error_rate] negligible 3%
}

func ExampleParse_errors() {
	src := []byte(`name: "chat"
target: {url: "http://127.0.0.1:8000", api: "openai-chat", model: "llama"}
scenarios: steady: {rate: 8, arrival: "poison", warmup: "30 s"}
`)
	_, err := policies.Parse("chat.cue", src)
	fmt.Println(err)
	// Output:
	// chat.cue:3:39: scenarios.steady.arrival: expected one of "constant" or "poisson", found "poison"; did you mean "poisson"?
	// chat.cue:3:57: scenarios.steady.warmup: expected a duration such as "500ms", "30s" or "1m30s", found "30 s"
}
