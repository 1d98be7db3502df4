package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

// DependencyConfig makes every generation and /predict request call a
// dependency (a retrieval service, a feature store) before it is served:
// GET URL, which must answer 2xx within Timeout. A request whose call
// fails or times out is answered with Fallback, when set (a 200 answer
// whose text, or "fallback" field for /predict, is Fallback, so that
// response checks can tell it), else with 503 (502 for an error
// answer). A fault in front of the dependency (a Toxiproxy toxic) thus
// degrades the simulator the way it degrades a real service.
//
// With Breaker > 0 a failed call opens a circuit breaker: for Breaker
// after the failure, requests are answered as failed at once, without
// calling the dependency; the next request after that calls it again.
// The service then recovers Breaker after its dependency did: a known
// recovery time.
type DependencyConfig struct {
	URL      string
	Timeout  time.Duration
	Fallback string
	Breaker  time.Duration
}

// DefaultDependencyTimeout is the default time a dependency call may take.
const DefaultDependencyTimeout = time.Second

// validate reports what is wrong with d.
func (d DependencyConfig) validate() error {
	if d.URL != "" && d.Timeout <= 0 {
		return fmt.Errorf("dependency timeout must be positive, got %v", d.Timeout)
	}
	if d.Breaker < 0 {
		return fmt.Errorf("dependency breaker must not be negative, got %v", d.Breaker)
	}
	return nil
}

// dependencyClient calls the dependency; one per server, kept alive.
var dependencyClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}

// callDependency calls the dependency once and says why it failed; ok is
// true when it answered 2xx in time.
func (s *Server) callDependency(ctx context.Context) (status int, why string) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Dependency.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.Dependency.URL, nil)
	if err != nil {
		return http.StatusBadGateway, "dependency: " + err.Error()
	}
	resp, err := dependencyClient.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return http.StatusServiceUnavailable, fmt.Sprintf("dependency did not answer within %v", s.cfg.Dependency.Timeout)
		}
		return http.StatusServiceUnavailable, "dependency unreachable: " + err.Error()
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return http.StatusBadGateway, "dependency answered HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return http.StatusOK, ""
}

// withDependency wraps a handler of kind "chat", "completions" or
// "predict": it calls the dependency first and answers with the fallback
// or an error when the call fails.
func (s *Server) withDependency(kind string, next http.HandlerFunc) http.HandlerFunc {
	if s.cfg.Dependency.URL == "" {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		status, why := s.breakerOpen()
		if status == http.StatusOK {
			status, why = s.callDependency(r.Context())
			if status != http.StatusOK && r.Context().Err() == nil {
				s.tripBreaker()
			}
		}
		if status == http.StatusOK {
			next(w, r)
			return
		}
		if r.Context().Err() != nil {
			return
		}
		s.ops.fallbacks.Add(1)
		fb := s.cfg.Dependency.Fallback
		if fb == "" {
			writeError(w, status, "ServiceUnavailableError", why)
			return
		}
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		switch kind {
		case "predict":
			writeJSON(w, http.StatusOK, struct {
				Model       string       `json:"model_name"`
				Predictions []prediction `json:"predictions"`
				Fallback    string       `json:"fallback"`
			}{s.cfg.Model, []prediction{}, fb})
		default:
			s.writeFallback(w, kind == "chat", gjson.GetBytes(body, "stream").Bool(), gjson.GetBytes(body, "stream_options.include_usage").Bool(), fb)
		}
	}
}

// writeFallback answers a generation request with text, streamed or not,
// as one completion token.
func (s *Server) writeFallback(w http.ResponseWriter, chat, stream, usage bool, text string) {
	sq := &seq{id: s.ids.Add(1) + 1<<62, prompt: 1, maxTokens: 1, out: 1, produced: 1}
	if !stream {
		var b bytes.Buffer
		b.WriteString(`{"id":"`)
		if chat {
			b.WriteString("chatcmpl-")
		} else {
			b.WriteString("cmpl-")
		}
		b.Write(appendID(nil, sq.id))
		if chat {
			b.WriteString(`","object":"chat.completion","created":`)
		} else {
			b.WriteString(`","object":"text_completion","created":`)
		}
		b.WriteString(strconv.FormatInt(s.created, 10))
		b.WriteString(`,"model":`)
		b.Write(appendJSONString(nil, s.cfg.Model))
		if chat {
			b.WriteString(`,"choices":[{"index":0,"message":{"role":"assistant","content":`)
			b.Write(appendJSONString(nil, text))
			b.WriteString(`},"logprobs":null,"finish_reason":"stop"}]`)
		} else {
			b.WriteString(`,"choices":[{"index":0,"text":`)
			b.Write(appendJSONString(nil, text))
			b.WriteString(`,"logprobs":null,"finish_reason":"stop"}]`)
		}
		b.WriteString(`,"usage":`)
		b.Write(appendUsage(nil, sq))
		b.WriteString("}\n")
		w.Header().Set("Content-Type", "application/json")
		w.Write(b.Bytes())
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	head := s.chunkHead(sq, chat)
	tail := `],"usage":null}` + "\n\n"
	if !usage {
		tail = "]}\n\n"
	}
	var b []byte
	b = append(b, head...)
	if chat {
		b = append(b, `{"index":0,"delta":{"role":"assistant","content":`...)
	} else {
		b = append(b, `{"index":0,"text":`...)
	}
	b = appendJSONString(b, text)
	if chat {
		b = append(b, '}')
	}
	b = append(b, `,"logprobs":null,"finish_reason":"stop"}`...)
	b = append(b, tail...)
	if usage {
		b = append(b, head...)
		b = append(b, `],"usage":`...)
		b = appendUsage(b, sq)
		b = append(b, "}\n\n"...)
	}
	b = append(b, "data: [DONE]\n\n"...)
	w.Write(b)
}

// breakerOpen answers 503 while the circuit breaker is open.
func (s *Server) breakerOpen() (status int, why string) {
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	if time.Now().Before(s.ops.breakerUntil) {
		return http.StatusServiceUnavailable, "dependency circuit open after a failure"
	}
	return http.StatusOK, ""
}

// tripBreaker opens the circuit breaker for Dependency.Breaker.
func (s *Server) tripBreaker() {
	if s.cfg.Dependency.Breaker <= 0 {
		return
	}
	s.ops.mu.Lock()
	s.ops.breakerUntil = time.Now().Add(s.cfg.Dependency.Breaker)
	s.ops.mu.Unlock()
}

// BreakerUntil returns when the circuit breaker closes (closed) last: the
// ground truth of the recovery of a service whose dependency failed.
func (s *Server) BreakerUntil() time.Time {
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	return s.ops.breakerUntil
}
