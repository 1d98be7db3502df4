package sim

import (
	"context"
	"flag"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go"
)

func TestEmbeddingsWithTheOpenAISDK(t *testing.T) {
	cfg := fastConfig()
	cfg.RAG.EmbedDim = 16
	_, ts := startServer(t, cfg)
	client := sdk(ts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: "text-embedding-sim",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"what is a fox", "what is a dog", "what is a fox"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data) != 3 || res.Model != "text-embedding-sim" || res.Usage.PromptTokens != 12 {
		t.Fatalf("%d vectors, model %q, %d prompt tokens", len(res.Data), res.Model, res.Usage.PromptTokens)
	}
	for i, d := range res.Data {
		if len(d.Embedding) != 16 || d.Index != int64(i) {
			t.Fatalf("vector %d: dimension %d, index %d", i, len(d.Embedding), d.Index)
		}
		n := 0.0
		for _, x := range d.Embedding {
			n += x * x
		}
		if math.Abs(n-1) > 1e-3 {
			t.Errorf("vector %d has norm² %g, want a unit vector", i, n)
		}
	}
	if !slices.Equal(res.Data[0].Embedding, res.Data[2].Embedding) || slices.Equal(res.Data[0].Embedding, res.Data[1].Embedding) {
		t.Error("the same text must give the same vector, another text another")
	}
	if code, v := post(t, ts.URL+"/v1/embeddings", `{"model": "m", "input": 3}`); code != 400 || errType(v) != "BadRequestError" {
		t.Errorf("a bad input: %d %v", code, v)
	}
}

func TestSearchTopK(t *testing.T) {
	cfg := fastConfig()
	cfg.RAG.SearchLatency = time.Millisecond
	_, ts := startServer(t, cfg)
	code, v := post(t, ts.URL+"/v1/search", `{"query": "what is a fox", "top_k": 4}`)
	if code != 200 {
		t.Fatalf("status %d: %v", code, v)
	}
	hits, _ := v["results"].([]any)
	if len(hits) != 4 {
		t.Fatalf("%d results, want 4: %v", len(hits), v)
	}
	last := math.Inf(1)
	for _, h := range hits {
		m := h.(map[string]any)
		s := m["score"].(float64)
		if s > last || !strings.HasPrefix(m["id"].(string), "doc-") || !strings.HasPrefix(m["text"].(string), "Document ") {
			t.Errorf("result %v out of order or malformed", m)
		}
		last = s
	}
	// The same query finds the same documents: the corpus is seeded.
	_, again := post(t, ts.URL+"/v1/search", `{"query": "what is a fox", "top_k": 4}`)
	if again["results"].([]any)[0].(map[string]any)["id"] != hits[0].(map[string]any)["id"] {
		t.Error("the same query found other documents")
	}
	for _, body := range []string{`{"vector": [1, 2]}`, `{"query": "x", "top_k": 1000}`, `{}`, `not json`} {
		if code, v := post(t, ts.URL+"/v1/search", body); code != 400 || errType(v) != "BadRequestError" {
			t.Errorf("%s: %d %v", body, code, v)
		}
	}
}

// A gateway with --search-url answers /v1/search by calling the search
// service; when that is down, it answers 502.
func TestSearchThroughAnotherSimulator(t *testing.T) {
	_, search := startServer(t, fastConfig())
	cfg := fastConfig()
	cfg.RAG.SearchURL = search.URL
	_, gw := startServer(t, cfg)
	code, v := post(t, gw.URL+"/v1/search", `{"query": "what is a fox", "top_k": 2}`)
	_, direct := post(t, search.URL+"/v1/search", `{"query": "what is a fox", "top_k": 2}`)
	if code != 200 || len(v["results"].([]any)) != 2 || v["results"].([]any)[0].(map[string]any)["id"] != direct["results"].([]any)[0].(map[string]any)["id"] {
		t.Fatalf("relayed %d %v, direct %v", code, v, direct)
	}
	if code, v := post(t, gw.URL+"/v1/search", `{"vector": [1]}`); code != 400 {
		t.Errorf("the search service's 400 was not relayed: %d %v", code, v)
	}
	search.Close()
	if code, v := post(t, gw.URL+"/v1/search", `{"query": "x"}`); code != http.StatusBadGateway || errType(v) != "BadGatewayError" {
		t.Errorf("search service down: %d %v", code, v)
	}
}

// The RAG endpoints' cost follows the knobs: embeddings grow with the
// input, the slowdowns multiply only their own endpoint.
func TestRAGCost(t *testing.T) {
	cfg := DefaultConfig().NoNoise()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rc := cfg.RAG
	short := s.rag.cost(rc.EmbedBase+10*rc.EmbedPerToken, rc.EmbedSlowdown)
	long := s.rag.cost(rc.EmbedBase+1000*rc.EmbedPerToken, rc.EmbedSlowdown)
	if long <= short {
		t.Errorf("embedding 1000 tokens costs %v, 10 tokens %v", long, short)
	}
	if got := s.rag.cost(rc.SearchLatency, 20); got != 20*rc.SearchLatency {
		t.Errorf("a search with slowdown 20 costs %v, want %v", got, 20*rc.SearchLatency)
	}
}

func TestRAGFlagsAndValidation(t *testing.T) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	cfg.BindFlags(fs)
	if err := fs.Parse([]string{"--search-slowdown", "20", "--search-url", "http://127.0.0.1:9/", "--embed-dim", "8"}); err != nil {
		t.Fatal(err)
	}
	if cfg.RAG.SearchSlowdown != 20 || cfg.RAG.SearchURL != "http://127.0.0.1:9/" || cfg.RAG.EmbedDim != 8 || cfg.Validate() != nil {
		t.Errorf("flags: %+v (%v)", cfg.RAG, cfg.Validate())
	}
	for _, bad := range []func(c *RAGConfig){
		func(c *RAGConfig) { c.EmbedDim = 0 },
		func(c *RAGConfig) { c.SearchSlowdown = 0 },
		func(c *RAGConfig) { c.SearchLatency = -1 },
		func(c *RAGConfig) { c.SearchURL = "127.0.0.1:9" },
		func(c *RAGConfig) { c.Corpus = 1_000_000; c.EmbedDim = 4096 },
	} {
		c := DefaultConfig()
		bad(&c.RAG)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c.RAG)
		}
	}
}
