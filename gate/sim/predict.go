package sim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
)

// predictRequest is a /predict body in KServe v1 / TF Serving form
// ("instances") or the Hugging Face form ("inputs"): each element of the
// array is one item to classify.
type predictRequest struct {
	Instances []json.RawMessage `json:"instances"`
	Inputs    []json.RawMessage `json:"inputs"`
}

// prediction is the answer for one item.
type prediction struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

var predictLabels = [...]string{"cat", "dog", "bird", "car", "truck", "ship", "plane", "horse", "frog", "deer"}

var predictIDs atomic.Uint64

// handlePredict serves POST /predict through the batcher model.
func (s *Server) handlePredict(w http.ResponseWriter, r *http.Request) {
	var req predictRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusBadRequest, "BadRequestError", "request body is too large")
			return
		}
		writeError(w, http.StatusBadRequest, "BadRequestError", "malformed JSON body: "+err.Error())
		return
	}
	items := len(req.Instances) + len(req.Inputs)
	if items < 1 || items > s.cfg.Predict.MaxItems {
		writeError(w, http.StatusBadRequest, "BadRequestError",
			"the body must hold \"instances\" (or \"inputs\"): an array of 1 to "+strconv.Itoa(s.cfg.Predict.MaxItems)+" items")
		return
	}
	j := &job{items: items, notify: make(chan struct{}, 1)}
	s.pmu.Lock()
	now := s.now()
	s.bat.advance(now)
	status := s.bat.arrive(now, j)
	s.pmu.Unlock()
	if status != http.StatusOK {
		writeRejection(w, status)
		return
	}
	poke(s.predict)
	for !j.done.Load() {
		select {
		case <-j.notify:
		case <-r.Context().Done():
			s.pmu.Lock()
			s.bat.cancel(j)
			s.pmu.Unlock()
			return
		case <-s.quit:
			return
		}
	}
	id := predictIDs.Add(1)
	preds := make([]prediction, items)
	for i := range preds {
		h := (id*31 + uint64(i)*17) % 1000
		preds[i] = prediction{Label: predictLabels[h%uint64(len(predictLabels))], Score: 0.5 + float64(h)/2000}
	}
	writeJSON(w, http.StatusOK, struct {
		Model       string       `json:"model_name"`
		Predictions []prediction `json:"predictions"`
	}{s.cfg.Model, preds})
}
