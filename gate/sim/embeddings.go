package sim

import (
	"encoding/json"
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// streamRAG is the stream of the seeded generator of the RAG endpoints'
// per-request jitter (see the streams in noise.go).
const streamRAG = 0x7261

// ragState is what /v1/embeddings and /v1/search share: the jitter
// generator, the deployment's shift, the corpus (built at the first
// search) and the client of a remote search.
type ragState struct {
	cfg    Config
	shift  float64
	mu     sync.Mutex
	rng    *rand.Rand
	once   sync.Once
	corpus [][]float32
	remote *http.Client
}

func (s *Server) routeRAG() {
	s.rag = &ragState{cfg: s.cfg, shift: instanceShift(s.cfg), rng: newRand(s.cfg.Seed, streamRAG)}
	if u := s.cfg.RAG.SearchURL; u != "" {
		s.rag.remote = &http.Client{Timeout: 30 * time.Second}
		// A base URL means that server's /v1/search.
		if p, err := url.Parse(u); err == nil && (p.Path == "" || p.Path == "/") {
			s.cfg.RAG.SearchURL = strings.TrimRight(u, "/") + "/v1/search"
		}
	}
	s.mux.HandleFunc("POST /v1/embeddings", s.handleEmbeddings)
	s.mux.HandleFunc("POST /v1/search", s.handleSearch)
}

// cost is d times the slowdowns, the shift and a draw of the jitter.
func (g *ragState) cost(d time.Duration, slowdown float64) time.Duration {
	g.mu.Lock()
	j := lognormal(g.rng, g.cfg.Noise.Jitter)
	g.mu.Unlock()
	return time.Duration(float64(d) * slowdown * g.cfg.Slowdown * g.shift * j)
}

// wait sleeps until start+d, or returns false when the request or the
// server ends first.
func (s *Server) wait(r *http.Request, start time.Time, d time.Duration) bool {
	t := time.NewTimer(time.Until(start.Add(d)))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.quit:
	}
	return false
}

// vectorOf is the unit vector of text: a function of the text alone, so
// the same question is always the same vector.
func vectorOf(text string, dim int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(text))
	return randomUnit(rand.New(rand.NewPCG(h.Sum64(), 0x656d62)), dim)
}

func randomUnit(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var n float64
	for i := range v {
		x := rng.NormFloat64()
		v[i] = float32(x)
		n += x * x
	}
	n = math.Sqrt(n)
	for i := range v {
		// Six decimals are plenty and keep the JSON short.
		v[i] = float32(math.Round(float64(v[i])/n*1e6) / 1e6)
	}
	return v
}

// decodeBody decodes a JSON request body into v, answering 400 itself.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusBadRequest, "BadRequestError", "request body is too large")
			return false
		}
		writeError(w, http.StatusBadRequest, "BadRequestError", "malformed JSON body: "+err.Error())
		return false
	}
	return true
}

type embeddingsRequest struct {
	Model string          `json:"model"`
	Input json.RawMessage `json:"input"`
}

type embedding struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	Embedding []float32 `json:"embedding"`
}

// handleEmbeddings serves POST /v1/embeddings in OpenAI's format: "input"
// is a string or a list of strings; each gets a unit vector of
// RAG.EmbedDim determined by its text. It takes EmbedBase + EmbedPerToken
// per input token.
func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !s.Ready() {
		writeStarting(w)
		return
	}
	var req embeddingsRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, "BadRequestError", `"model" is required`)
		return
	}
	var inputs []string
	var one string
	switch {
	case json.Unmarshal(req.Input, &one) == nil:
		inputs = []string{one}
	case json.Unmarshal(req.Input, &inputs) == nil && len(inputs) > 0 && len(inputs) <= 2048:
	default:
		writeError(w, http.StatusBadRequest, "BadRequestError", `"input" must be a string or a list of 1 to 2048 strings`)
		return
	}
	tokens := 0
	data := make([]embedding, len(inputs))
	for i, in := range inputs {
		tokens += EstimateTokens(in)
		data[i] = embedding{Object: "embedding", Index: i, Embedding: vectorOf(in, s.cfg.RAG.EmbedDim)}
	}
	rc := s.cfg.RAG
	if !s.wait(r, start, s.rag.cost(rc.EmbedBase+time.Duration(tokens)*rc.EmbedPerToken, rc.EmbedSlowdown)) {
		return
	}
	type usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	}
	writeJSON(w, http.StatusOK, struct {
		Object string      `json:"object"`
		Data   []embedding `json:"data"`
		Model  string      `json:"model"`
		Usage  usage       `json:"usage"`
	}{"list", data, req.Model, usage{tokens, tokens}})
}

// docText is the text of corpus document i.
func docText(i int) string {
	var b []byte
	b = append(b, "Document "...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ": "...)
	for k := 0; k < 12; k++ {
		b = append(b, tokenText(uint64(i)*7, k)...)
	}
	return string(b)
}
