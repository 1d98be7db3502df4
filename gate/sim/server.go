package sim

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is the real-time driver of the simulated server: an http.Handler
// that runs the engine model against the wall clock. Create it with
// NewServer and stop it with Close. Its memory is bounded by the requests in
// progress (plus the leak, when configured).
type Server struct {
	cfg     Config
	started time.Time
	created int64 // Unix seconds, for response bodies
	mux     *http.ServeMux
	quit    chan struct{}
	wg      sync.WaitGroup
	closing sync.Once

	mu     sync.Mutex // guards eng
	eng    *engine
	engine chan struct{} // wakes the engine driver

	pmu     sync.Mutex // guards bat
	bat     *batcher
	predict chan struct{} // wakes the batcher driver

	metrics *metrics
	ids     atomic.Uint64

	leakMu sync.Mutex
	leaked [][]byte

	ops opsState  // dependency, GPU metrics, autoscaling (ops.go)
	rag *ragState // /v1/embeddings and /v1/search
}

var _ http.Handler = (*Server)(nil)

// NewServer validates cfg and starts the model's drivers. The cold start,
// the environment factor and the stalls count from this call.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		started: time.Now(),
		quit:    make(chan struct{}),
		eng:     newEngine(cfg),
		engine:  make(chan struct{}, 1),
		bat:     newBatcher(cfg),
		predict: make(chan struct{}, 1),
	}
	s.created = s.started.Unix()
	s.metrics = newMetrics(cfg.Model, s)
	s.eng.obs = s.metrics
	s.bat.done = s.metrics.predictDone
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/chat/completions", s.withDependency("chat", s.handleChat))
	s.mux.HandleFunc("POST /v1/completions", s.withDependency("completions", s.handleCompletions))
	s.mux.HandleFunc("GET /v1/models", s.handleModels)
	s.mux.HandleFunc("POST /predict", s.withDependency("predict", s.handlePredict))
	s.routeRAG()
	s.mux.HandleFunc("GET /health", s.handleHealth)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NotFoundError", "no route for "+r.Method+" "+r.URL.Path)
	})
	s.wg.Add(2)
	go s.drive(&s.mu, s.eng, s.engine)
	go s.drive(&s.pmu, s.bat, s.predict)
	if cfg.LeakMBPerMinute > 0 {
		s.wg.Add(1)
		go s.leak()
	}
	s.startOps(s.metrics.reg)
	return s, nil
}

// ServeHTTP serves the simulated API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Config returns the configuration the server runs.
func (s *Server) Config() Config { return s.cfg }

// Ready reports whether the cold start is over.
func (s *Server) Ready() bool { return s.now() >= s.cfg.ColdStart }

// Close stops the drivers and the leak and ends the requests in progress.
// It is safe to call more than once.
func (s *Server) Close() {
	s.closing.Do(func() { close(s.quit) })
	s.wg.Wait()
	s.leakMu.Lock()
	s.leaked = nil
	s.leakMu.Unlock()
}

// now is the model time: the time since NewServer.
func (s *Server) now() time.Duration { return time.Since(s.started) }

// driven is what a real-time driver runs: an engine or a batcher.
type driven interface {
	advance(now time.Duration)
	next() (time.Duration, bool)
}

// drive runs m against the wall clock: it processes m's events when they
// are due and sleeps until the next one or until wake says an arrival
// changed the plan. If the process falls behind, due events run at once in
// model order, so the model's timeline is kept.
func (s *Server) drive(mu *sync.Mutex, m driven, wake chan struct{}) {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		mu.Lock()
		m.advance(s.now())
		t, ok := m.next()
		mu.Unlock()
		if ok {
			d := t - s.now()
			if d <= 0 {
				continue
			}
			timer.Reset(d)
		} else {
			timer.Stop()
		}
		select {
		case <-timer.C:
		case <-wake:
		case <-s.quit:
			return
		}
	}
}

func poke(wake chan struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// leakTick is how often the leak allocates; a variable for tests.
var leakTick = time.Second

// leak grows the resident memory by LeakMBPerMinute, once every leakTick, and
// touches every page so that it is really resident.
func (s *Server) leak() {
	defer s.wg.Done()
	tick := time.NewTicker(leakTick)
	defer tick.Stop()
	perTick := s.cfg.LeakMBPerMinute * (1 << 20) * leakTick.Minutes()
	var owed float64
	for {
		select {
		case <-tick.C:
		case <-s.quit:
			return
		}
		owed += perTick
		n := int(owed)
		owed -= float64(n)
		if n == 0 {
			continue
		}
		b := make([]byte, n)
		for i := 0; i < n; i += 4096 {
			b[i] = 1
		}
		s.leakMu.Lock()
		s.leaked = append(s.leaked, b)
		s.leakMu.Unlock()
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if !s.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"starting"}` + "\n"))
		return
	}
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	if !s.Ready() {
		writeStarting(w)
		return
	}
	type model struct {
		ID          string `json:"id"`
		Object      string `json:"object"`
		Created     int64  `json:"created"`
		OwnedBy     string `json:"owned_by"`
		MaxModelLen int    `json:"max_model_len"`
	}
	writeJSON(w, http.StatusOK, struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{"list", []model{{s.cfg.Model, "model", s.created, "perfgate", s.cfg.MaxModelLen}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// apiError is OpenAI's error body, with vLLM's numeric code.
type apiError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    int     `json:"code"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	var e apiError
	e.Error.Message, e.Error.Type, e.Error.Code = msg, typ, status
	writeJSON(w, status, e)
}

func writeStarting(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, "ServiceUnavailableError", "the server is starting")
}

// writeRejection writes the error of a request the model did not accept.
func writeRejection(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusServiceUnavailable:
		writeStarting(w)
	case http.StatusTooManyRequests:
		writeError(w, status, "RateLimitError", "the waiting queue is full")
	default:
		writeError(w, http.StatusInternalServerError, "InternalServerError", "injected error")
	}
}

// metrics are the server's Prometheus metrics, with vLLM's names.
type metrics struct {
	reg          *prometheus.Registry
	promptTokens prometheus.Counter
	genTokens    prometheus.Counter
	success      *prometheus.CounterVec
	ttft         prometheus.Histogram
	e2e          prometheus.Histogram
	queue        prometheus.Histogram
	tpot         prometheus.Histogram
	predictions  prometheus.Counter
}

func newMetrics(model string, s *Server) *metrics {
	labels := prometheus.Labels{"model_name": model}
	latency := []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		promptTokens: prometheus.NewCounter(prometheus.CounterOpts{Name: "vllm:prompt_tokens_total",
			Help: "Number of prefill tokens processed.", ConstLabels: labels}),
		genTokens: prometheus.NewCounter(prometheus.CounterOpts{Name: "vllm:generation_tokens_total",
			Help: "Number of generation tokens processed.", ConstLabels: labels}),
		success: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vllm:request_success_total",
			Help: "Count of successfully processed requests.", ConstLabels: labels}, []string{"finished_reason"}),
		ttft: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vllm:time_to_first_token_seconds",
			Help: "Histogram of time to first token in seconds.", ConstLabels: labels, Buckets: latency}),
		e2e: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vllm:e2e_request_latency_seconds",
			Help: "Histogram of end to end request latency in seconds.", ConstLabels: labels, Buckets: latency}),
		queue: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vllm:request_queue_time_seconds",
			Help: "Histogram of time spent in WAITING phase for request.", ConstLabels: labels, Buckets: latency}),
		tpot: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vllm:request_time_per_output_token_seconds",
			Help: "Histogram of time per output token in seconds.", ConstLabels: labels, Buckets: latency}),
		predictions: prometheus.NewCounter(prometheus.CounterOpts{Name: "perfgate_sim_predict_requests_total",
			Help: "Number of /predict requests served.", ConstLabels: labels}),
	}
	gauge := func(name, help string, f func(e *engine) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, func() float64 {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.eng.advance(s.now())
			return f(s.eng)
		})
	}
	m.reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		m.promptTokens, m.genTokens, m.success, m.ttft, m.e2e, m.queue, m.tpot, m.predictions,
		gauge("vllm:num_requests_running", "Number of requests in model execution batches.",
			func(e *engine) float64 { return float64(len(e.running)) }),
		gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.",
			func(e *engine) float64 { return float64(e.nWait) }),
		gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.",
			func(e *engine) float64 { return e.usage() }),
	)
	return m
}

func (m *metrics) admitted(s *seq) {
	m.promptTokens.Add(float64(s.prompt))
	m.queue.Observe((s.admitted - s.arrival).Seconds())
}

func (m *metrics) firstToken(s *seq) { m.ttft.Observe((s.first - s.arrival).Seconds()) }

func (m *metrics) finished(s *seq) {
	m.e2e.Observe((s.end - s.arrival).Seconds())
	if s.produced > 1 {
		m.tpot.Observe((s.end - s.first).Seconds() / float64(s.produced-1))
	}
	m.success.WithLabelValues(s.finishReason()).Inc()
}

func (m *metrics) tokens(n int) { m.genTokens.Add(float64(n)) }

func (m *metrics) predictDone(j *job) { m.predictions.Inc() }
