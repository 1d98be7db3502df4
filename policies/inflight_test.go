package policies

import "testing"

// TestInFlightCap checks the in-flight cap a scenario gets: what it sets,
// its concurrency, or peak rate × timeout with a floor.
func TestInFlightCap(t *testing.T) {
	p, err := Parse("cap.cue", []byte(`name: "chat"
target: {url: "http://127.0.0.1:8000", api: "openai-chat", model: "m", timeout: "30s"}
scenarios: {
	low: {kind: "steady", rate: 5}
	high: {kind: "steady", rate: 100}
	set: {kind: "steady", rate: 100, max_in_flight: 64}
	closed: {kind: "steady", concurrency: 3000}
	spike: {rate: 20, factor: 5, at: "10s", hold: "10s", duration: "30s"}
	capacity: {search: {from: 10, to: 200}, budget: "60s", step: "10s"}
}
slos: "ttft.p95": "< 2s"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"low": MinInFlightCap, "high": 3000, "set": 64, "closed": 3000, "spike": 3000, "capacity": 6000}
	for i := range p.Scenarios {
		sc := &p.Scenarios[i]
		if got := p.InFlightCap(sc); got != want[sc.Name] {
			t.Errorf("%s: in-flight cap %d, want %d", sc.Name, got, want[sc.Name])
		}
	}
}
