package sim

import (
	"bytes"
	"container/heap"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

type searchRequest struct {
	Vector []float32 `json:"vector"`
	Query  string    `json:"query"`
	TopK   int       `json:"top_k"`
}

type searchHit struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
	Text  string  `json:"text"`
}

// maxTopK is the most results one search returns.
const maxTopK = 100

// handleSearch serves POST /v1/search: {"vector": [...], "top_k": 3} (or
// {"query": "text"}, embedded as /v1/embeddings would) returns the top_k
// documents of the seeded corpus by inner product, {"results": [{"id",
// "score", "text"}]}. It takes RAG.SearchLatency × RAG.SearchSlowdown.
// With RAG.SearchURL the request goes to that URL instead, and its
// answer is relayed.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !s.Ready() {
		writeStarting(w)
		return
	}
	if s.rag.remote != nil {
		s.relaySearch(w, r)
		return
	}
	var req searchRequest
	if !decodeBody(w, r, &req) {
		return
	}
	dim := s.cfg.RAG.EmbedDim
	switch {
	case len(req.Vector) == 0 && req.Query != "":
		req.Vector = vectorOf(req.Query, dim)
	case len(req.Vector) != dim:
		writeError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf(`"vector" must hold %d numbers (or give "query"), got %d`, dim, len(req.Vector)))
		return
	}
	if req.TopK == 0 {
		req.TopK = 3
	}
	if req.TopK < 1 || req.TopK > maxTopK {
		writeError(w, http.StatusBadRequest, "BadRequestError", `"top_k" must be in [1, `+strconv.Itoa(maxTopK)+`]`)
		return
	}
	hits := s.rag.search(req.Vector, req.TopK)
	rc := s.cfg.RAG
	if !s.wait(r, start, s.rag.cost(rc.SearchLatency, rc.SearchSlowdown)) {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Results []searchHit `json:"results"`
	}{hits})
}

// search returns the k documents of the corpus nearest to v.
func (g *ragState) search(v []float32, k int) []searchHit {
	g.once.Do(func() {
		rng := newRand(g.cfg.Seed, streamRAG+1)
		g.corpus = make([][]float32, g.cfg.RAG.Corpus)
		for i := range g.corpus {
			g.corpus[i] = randomUnit(rng, g.cfg.RAG.EmbedDim)
		}
	})
	h := make(hitHeap, 0, k+1)
	for i, d := range g.corpus {
		var dot float64
		for j, x := range d {
			dot += float64(x) * float64(v[j])
		}
		if len(h) < k || dot > h[0].score {
			heap.Push(&h, scored{i, dot})
			if len(h) > k {
				heap.Pop(&h)
			}
		}
	}
	out := make([]searchHit, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		x := heap.Pop(&h).(scored)
		out[i] = searchHit{ID: "doc-" + strconv.Itoa(x.doc), Score: float64(int64(x.score*1e6)) / 1e6, Text: docText(x.doc)}
	}
	return out
}

type scored struct {
	doc   int
	score float64
}

// hitHeap is a min-heap of scores: its root is the worst of the best k.
type hitHeap []scored

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return h[i].score < h[j].score }
func (h hitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *hitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// relaySearch sends the search to RAG.SearchURL and relays its answer: a
// real network hop between a gateway and its search service.
func (s *Server) relaySearch(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "request body is too large or unreadable")
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, s.cfg.RAG.SearchURL, bytes.NewReader(body))
	if err != nil {
		writeError(w, http.StatusBadGateway, "BadGatewayError", "search: "+err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.rag.remote.Do(req)
	if err != nil {
		writeError(w, http.StatusBadGateway, "BadGatewayError", "search service: "+err.Error())
		return
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		writeError(w, http.StatusBadGateway, "BadGatewayError", "search service: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}
