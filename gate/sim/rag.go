package sim

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net/url"
	"time"
)

// RAGConfig is the service model of the endpoints a retrieval-augmented
// generation pipeline calls besides the model: /v1/embeddings (OpenAI
// format) and /v1/search (top-k over a seeded corpus). Their latency is
// wall-clock time (no engine, no queue), times the per-request jitter, the
// deployment's shift and Config.Slowdown; each has its own slowdown, so a
// regression can be put into one step of a journey only.
type RAGConfig struct {
	// EmbedDim is the dimension of the vectors.
	EmbedDim int
	// EmbedBase and EmbedPerToken make an embeddings request's cost:
	// EmbedBase + EmbedPerToken × input tokens.
	EmbedBase     time.Duration
	EmbedPerToken time.Duration
	// EmbedSlowdown multiplies the embeddings cost (1 = none).
	EmbedSlowdown float64
	// Corpus is the number of documents searched; their vectors and texts
	// are drawn from the seed.
	Corpus int
	// SearchLatency is the cost of one search.
	SearchLatency time.Duration
	// SearchSlowdown multiplies the search cost: the "slow search" fault
	// (1 = none).
	SearchSlowdown float64
	// SearchURL, when set, is where /v1/search is answered: the request is
	// sent there (another perfgate sim, a real vector store) and its answer
	// relayed, so a gateway and a search service run as two processes.
	SearchURL string
}

// DefaultRAG is the default service model of /v1/embeddings and /v1/search.
func DefaultRAG() RAGConfig {
	return RAGConfig{
		EmbedDim:       64,
		EmbedBase:      2 * time.Millisecond,
		EmbedPerToken:  20 * time.Microsecond,
		EmbedSlowdown:  1,
		Corpus:         1000,
		SearchLatency:  5 * time.Millisecond,
		SearchSlowdown: 1,
	}
}

// bindFlags binds the knobs of c to flags of fs.
func (c *RAGConfig) bindFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.EmbedDim, "embed-dim", c.EmbedDim, "/v1/embeddings: dimension of the vectors")
	fs.DurationVar(&c.EmbedBase, "embed-base", c.EmbedBase, "/v1/embeddings: fixed cost of a request")
	fs.DurationVar(&c.EmbedPerToken, "embed-per-token", c.EmbedPerToken, "/v1/embeddings: cost per input token")
	fs.Float64Var(&c.EmbedSlowdown, "embed-slowdown", c.EmbedSlowdown, "/v1/embeddings: multiplies its cost")
	fs.IntVar(&c.Corpus, "search-corpus", c.Corpus, "/v1/search: documents in the seeded corpus")
	fs.DurationVar(&c.SearchLatency, "search-latency", c.SearchLatency, "/v1/search: cost of one search")
	fs.Float64Var(&c.SearchSlowdown, "search-slowdown", c.SearchSlowdown, "/v1/search: multiplies its cost (the slow-search fault)")
	fs.StringVar(&c.SearchURL, "search-url", c.SearchURL, "/v1/search: answer it by calling this URL (another perfgate sim's /v1/search) instead of the local corpus")
}

func (c RAGConfig) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.EmbedDim < 1 || c.EmbedDim > 4096 {
		bad("embedding dimension must be in [1, 4096], got %d", c.EmbedDim)
	}
	if c.Corpus < 1 || c.Corpus > 1_000_000 {
		bad("search corpus must hold 1 to 1,000,000 documents, got %d", c.Corpus)
	} else if c.EmbedDim > 0 && c.Corpus*c.EmbedDim > 64<<20 {
		bad("search corpus × embedding dimension must be at most %d numbers, got %d", 64<<20, c.Corpus*c.EmbedDim)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"embed base", c.EmbedBase}, {"embed per token", c.EmbedPerToken}, {"search latency", c.SearchLatency}} {
		if d.v < 0 {
			bad("%s must not be negative, got %v", d.name, d.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"embed slowdown", c.EmbedSlowdown}, {"search slowdown", c.SearchSlowdown}} {
		if !(f.v > 0) || math.IsInf(f.v, 0) {
			bad("%s must be a positive number, got %g", f.name, f.v)
		}
	}
	if c.SearchURL != "" {
		u, err := url.Parse(c.SearchURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("search URL %q is not an absolute http(s) URL", c.SearchURL)
		}
	}
	return errors.Join(errs...)
}
