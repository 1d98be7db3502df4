package load_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/gate/sim"
)

// ragJourney is embed → search → generate against perfgate sim.
func ragJourney(searchPath string, searchOptional bool) load.Journey {
	return load.Journey{Name: "rag", Steps: []load.JourneyStep{
		{Name: "embed", API: load.APIOpenAIEmbeddings, Extract: []load.Extract{{Var: "vec", Path: "data.0.embedding"}}},
		{Name: "search", API: load.APIHTTP, Optional: searchOptional,
			HTTP:    load.HTTPSpec{Method: "POST", Path: "/v1/search", JSONBody: []byte(`{"vector": "{{.vec}}", "top_k": 2}`)},
			Checks:  []load.Check{{Path: "results.#", Op: load.CheckExists}},
			Extract: []load.Extract{{Var: "context", Path: searchPath}}},
		{Name: "generate", API: load.APIOpenAIChat, Stream: true, MaxTokens: 4,
			Input:   `{{if .context}}Context: {{.context}} {{end}}Question: {{.prompt}}`,
			Extract: []load.Extract{{Var: "answer", Path: "choices.0.message.content"}}},
	}}
}

func runJourney(t *testing.T, j load.Journey) (*load.Result, *baseline.Record) {
	t.Helper()
	srv, err := sim.NewServer(sim.DefaultConfig().NoNoise())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	wl := load.Synthetic{Seed: 1, InputTokens: load.Dist{Mean: 16}, OutputTokens: load.Dist{Mean: 4}}
	p := load.Plan{Pacer: load.ConstantPacer{Rate: 20}, Duration: time.Second, Window: 500 * time.Millisecond, Workload: wl}
	tg := load.Target{URL: ts.URL, API: load.APIOpenAIChat, Model: srv.Config().Model, Journeys: []load.Journey{j}, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := load.Run(ctx, p, tg)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := load.Summarize(res, load.RunMeta{})
	if err != nil {
		t.Fatal(err)
	}
	return res, rec
}

func stepCounts(rec *baseline.Record, key string) baseline.StepCounts {
	var out baseline.StepCounts
	for _, w := range rec.Windows {
		c := w.Steps[key]
		out.Sent += c.Sent
		out.Succeeded += c.Succeeded
		out.Failed += c.Failed
		for k, v := range c.Errors {
			if out.Errors == nil {
				out.Errors = map[string]int64{}
			}
			out.Errors[k] += v
		}
	}
	return out
}

func TestJourneyMeasuresStepsAndJourney(t *testing.T) {
	_, rec := runJourney(t, ragJourney("results.#.text", false))
	j := stepCounts(rec, "journey.rag")
	if j.Sent != 20 || j.Failed != 0 {
		t.Fatalf("journey counts %+v, want 20 sent and none failed (errors %v)", j, rec.ErrorExamples)
	}
	for _, name := range []string{"embed", "search", "generate"} {
		if c := stepCounts(rec, "step."+name); c.Succeeded != 20 {
			t.Errorf("step %s: %+v, want 20 succeeded", name, c)
		}
		if m := rec.Metrics[metric.StepMetric(name, metric.E2E)]; m == nil || m.Pooled.Count != 20 {
			t.Errorf("step %s: no e2e metric of 20 values", name)
		}
	}
	for _, name := range []string{"step.generate.ttft", "step.generate.tpot", "journey.rag.e2e", "journey.rag.ttft", "step.search.error_rate", "journey.rag.error_rate"} {
		if rec.Metrics[name] == nil {
			t.Errorf("no metric %s in the record", name)
		}
	}
	if rec.Metrics["step.embed.ttft"] != nil {
		t.Error("a step that does not stream has a ttft")
	}
	// The journey's TTFT is at least the time to the search's end: the
	// steps add up.
	ttft := rec.Metrics["journey.rag.ttft"].Pooled.Stats["p50"]
	steps := rec.Metrics["step.embed.e2e"].Pooled.Stats["p50"] + rec.Metrics["step.search.e2e"].Pooled.Stats["p50"] + rec.Metrics["step.generate.ttft"].Pooled.Stats["p50"]
	if ttft < 0.9*steps {
		t.Errorf("journey ttft p50 %.2fms below the sum of its steps' %.2fms", ttft, steps)
	}
	if e := rec.Metrics[metric.E2E]; e == nil || e.Pooled.Count != 20 {
		t.Error("the run-wide e2e is not one value per journey")
	}
}

func TestJourneyFailedStepEndsIt(t *testing.T) {
	_, rec := runJourney(t, ragJourney("results.0.nonexistent", false))
	j := stepCounts(rec, "journey.rag")
	if j.Failed != 20 || j.Errors[load.ErrCheck] != 20 {
		t.Fatalf("journey counts %+v, want 20 failed by check", j)
	}
	if c := stepCounts(rec, "step.search"); c.Failed != 20 || c.Errors[load.ErrCheck] != 20 {
		t.Errorf("search: %+v, want 20 failed by check", c)
	}
	if c := stepCounts(rec, "step.generate"); c.Sent != 0 {
		t.Errorf("generate was sent %d times after the search failed", c.Sent)
	}
	if c := stepCounts(rec, "step.embed"); c.Failed != 0 || c.Succeeded != 20 {
		t.Errorf("embed: %+v", c)
	}
	failed, total := rec.ErrorCounts()
	if failed != 20 || total != 20 {
		t.Errorf("run-wide errors %d of %d, want each journey failed once", failed, total)
	}
	msg := rec.ErrorExamples[load.ErrCheck]
	t.Log(msg)
	if !strings.Contains(msg, "step search") || !strings.Contains(msg, "results.0.nonexistent") || !strings.Contains(msg, "results") {
		t.Errorf("error message %q does not name the step, the path and the response", msg)
	}
	if len(msg) > 400 {
		t.Errorf("error message of %d bytes: the response is not truncated", len(msg))
	}
}

func TestJourneyOptionalStepGoesOn(t *testing.T) {
	_, rec := runJourney(t, ragJourney("results.0.nonexistent", true))
	if c := stepCounts(rec, "step.search"); c.Failed != 20 {
		t.Errorf("search: %+v, want 20 failed", c)
	}
	if c := stepCounts(rec, "step.generate"); c.Succeeded != 20 {
		t.Errorf("generate: %+v, want 20 succeeded after an optional failure", c)
	}
	if j := stepCounts(rec, "journey.rag"); j.Succeeded != 20 {
		t.Errorf("journey: %+v, want 20 succeeded", j)
	}
}

func TestJourneyMissingVariable(t *testing.T) {
	j := ragJourney("results.#.text", false)
	j.Steps[1].HTTP.JSONBody = []byte(`{"vector": "{{.vector}}"}`)
	_, rec := runJourney(t, j)
	msg := rec.ErrorExamples[load.ErrCheck]
	t.Log(msg)
	if !strings.Contains(msg, `step search: no variable "vector"`) {
		t.Errorf("error message %q does not name the step and the variable", msg)
	}
}

// The response quoted in an extract error is the target's: untrusted, so
// cut short and with the secret header values masked.
func TestJourneyErrorQuotesTheResponseScrubbed(t *testing.T) {
	const secret = "sekrit-token-4242"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"echo": %q, "pad": %q}`, r.Header.Get("Authorization"), strings.Repeat("x", 5000))
	}))
	defer ts.Close()
	j := load.Journey{Name: "j", Steps: []load.JourneyStep{{Name: "s", API: load.APIHTTP, HTTP: load.HTTPSpec{Path: "/"},
		Extract: []load.Extract{{Var: "v", Path: "missing"}}}}}
	tg := load.Target{URL: ts.URL, API: load.APIHTTP, Journeys: []load.Journey{j}, Headers: http.Header{"Authorization": {"Bearer " + secret}}}
	p := load.Plan{Pacer: load.ConstantPacer{Rate: 20}, Duration: 500 * time.Millisecond, Window: 250 * time.Millisecond, Workload: load.Synthetic{Seed: 1, InputTokens: load.Dist{Mean: 1}, OutputTokens: load.Dist{Mean: 1}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := load.Run(ctx, p, tg)
	if err != nil {
		t.Fatal(err)
	}
	msg := res.ErrorExamples[load.ErrCheck]
	if !strings.Contains(msg, `echo`) || strings.Contains(msg, secret) || strings.Contains(msg, "sekrit") || len(msg) > 300 {
		t.Errorf("error message %q: missing, leaking the secret, or not cut", msg)
	}
}
