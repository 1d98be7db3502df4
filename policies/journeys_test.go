package policies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseScopedMetricRef(t *testing.T) {
	for _, s := range []string{"step.search.e2e.p95", "step.generate.ttft.p99.9", "step.a-b.error_rate", "journey.rag.ttft.p95", "journey.rag.e2e.mean", "journey.rag.error_rate"} {
		r, err := ParseMetricRef(s)
		if err != nil || r.String() != s {
			t.Errorf("%s: %+v %v", s, r, err)
		}
	}
	for bad, want := range map[string]string{
		"step.search.foo.p95":      `a step has no metric "foo"`,
		"journey.rag.tpot.p50":     `a journey has no metric "tpot"`,
		"step.search.e2e":          `needs a statistic`,
		"step.search.e2e.p96":      `unknown statistic "p96"`,
		"step.search":              `is not a step or journey metric`,
		"step.search.error_rate.x": `takes no statistic`,
	} {
		if _, err := ParseMetricRef(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to say %q", bad, err, want)
		}
	}
}

const journeyPolicy = `name: "rag"
target: {url: "http://127.0.0.1:8000", api: "openai-chat", model: "m"}
workload: {
	dataset: path: "questions.jsonl"
	journeys: rag: steps: [
		{name: "embed", api: "openai-embeddings", input: "{{.question}}", extract: vector: "data.0.embedding"},
		{name: "search", api: "http", path: "/v1/search/{{path .tenant}}", body: {vector: "{{.vector}}"}, optional: true, extract: context: "results.#.text"},
		{name: "generate", input: "{{if .context}}{{.context}}{{end}} {{.question}}"},
	]
}
scenarios: steady: rate: 4
slos: {"journey.rag.ttft.p95": "< 2s", "step.search.error_rate": "< 1%"}
regression: gate: ["step.generate.tpot.p50", "journey.rag.e2e.p95"]
`

// Dataset fields are variables of every step; a policy that uses them and
// earlier steps' extracts is valid.
func TestJourneyVariablesFromTheDataset(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rag.cue")
	if err := os.WriteFile(file, []byte(journeyPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "questions.jsonl"), []byte(`{"prompt": "q", "question": "what?", "tenant": "a"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Workload.Journeys["rag"].Steps; len(s) != 3 || !s[2].Stream || s[1].Method != "POST" || !s[1].Optional {
		t.Errorf("steps parsed as %+v", s)
	}
	if err := os.WriteFile(filepath.Join(dir, "questions.jsonl"), []byte(`{"prompt": "q", "question": "what?"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(file); err == nil || !strings.Contains(err.Error(), `uses {{.tenant}}`) {
		t.Errorf("a variable the dataset lacks: %v", err)
	}
}

// The RAG example is a journey of three steps gated per step and on the
// user's time to first token.
func TestRAGExample(t *testing.T) {
	p, err := ParseFile("examples/rag-journey.cue")
	if err != nil {
		t.Fatal(err)
	}
	j, ok := p.Workload.Journeys["rag"]
	if !ok || len(j.Steps) != 3 || p.StepAPI(&j.Steps[0]) != APIOpenAIEmbeddings || !p.StepStreams(&j.Steps[2]) {
		t.Fatalf("rag journey: %+v", j)
	}
	for _, g := range []string{"step.search.e2e.p95", "journey.rag.ttft.p95"} {
		found := false
		for _, x := range p.Regression.Gate {
			found = found || x == g
		}
		if !found {
			t.Errorf("the example does not gate %s", g)
		}
	}
}
