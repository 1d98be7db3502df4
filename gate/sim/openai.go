package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 16 << 20

// genRequest is the part of an OpenAI chat or completions request the
// simulator honours; other fields (temperature, ...) are accepted and
// ignored. min_tokens and ignore_eos are vLLM's extensions.
type genRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Prompt              json.RawMessage `json:"prompt"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	MinTokens           int             `json:"min_tokens"`
	IgnoreEOS           bool            `json:"ignore_eos"`
	N                   *int            `json:"n"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// badRequest is a client error with its OpenAI error type.
type badRequest struct {
	status int
	typ    string
	msg    string
}

func (e *badRequest) Error() string { return e.msg }

func invalid(format string, a ...any) error {
	return &badRequest{http.StatusBadRequest, "BadRequestError", fmt.Sprintf(format, a...)}
}

// parseGen decodes and checks a generation request and returns its prompt
// tokens and the sequence to offer to the engine.
func (s *Server) parseGen(r *http.Request, w http.ResponseWriter, chat bool) (*genRequest, *seq, error) {
	var req genRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, nil, invalid("request body is larger than %d bytes", maxBodyBytes)
		}
		return nil, nil, invalid("malformed JSON body: %v", err)
	}
	if req.Model != "" && req.Model != s.cfg.Model {
		// vLLM and OpenAI answer an unknown model with 404.
		return nil, nil, &badRequest{http.StatusNotFound, "NotFoundError", fmt.Sprintf("The model `%s` does not exist.", req.Model)}
	}
	prompt := 0
	if chat {
		if len(req.Messages) == 0 {
			return nil, nil, invalid("messages must be a non-empty array")
		}
		for i, m := range req.Messages {
			n, err := contentTokens(m.Content)
			if err != nil {
				return nil, nil, invalid("messages[%d].content: %v", i, err)
			}
			prompt += n + ChatTemplateTokens
		}
	} else {
		n, err := promptTokens(req.Prompt)
		if err != nil {
			return nil, nil, invalid("%v", err)
		}
		if n < 1 {
			return nil, nil, invalid("prompt is empty")
		}
		prompt = n
	}
	maxTokens := s.cfg.DefaultMaxTokens
	switch {
	case req.MaxCompletionTokens != nil:
		maxTokens = *req.MaxCompletionTokens
	case req.MaxTokens != nil:
		maxTokens = *req.MaxTokens
	}
	switch {
	case maxTokens < 1:
		return nil, nil, invalid("max_tokens must be at least 1, got %d", maxTokens)
	case req.N != nil && *req.N != 1:
		return nil, nil, invalid("n must be 1, got %d", *req.N)
	case req.MinTokens < 0 || req.MinTokens > maxTokens:
		return nil, nil, invalid("min_tokens must be in [0, max_tokens=%d], got %d", maxTokens, req.MinTokens)
	case prompt+maxTokens > s.cfg.MaxModelLen:
		return nil, nil, invalid("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
			s.cfg.MaxModelLen, prompt+maxTokens, prompt, maxTokens)
	case !s.eng.fits(prompt, maxTokens):
		return nil, nil, invalid("the request needs %d KV-cache tokens (prompt %d + max_tokens %d) but the server has %d", prompt+maxTokens, prompt, maxTokens, s.eng.kv)
	}
	sq := &seq{prompt: prompt, maxTokens: maxTokens, minTokens: req.MinTokens, eos: !req.IgnoreEOS, notify: make(chan struct{}, 1)}
	return &req, sq, nil
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) { s.handleGen(w, r, true) }

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) { s.handleGen(w, r, false) }

func (s *Server) handleGen(w http.ResponseWriter, r *http.Request, chat bool) {
	req, sq, err := s.parseGen(r, w, chat)
	if err != nil {
		var br *badRequest
		errors.As(err, &br)
		writeError(w, br.status, br.typ, br.msg)
		return
	}
	s.mu.Lock()
	now := s.now()
	s.eng.advance(now)
	status := s.eng.arrive(now, sq)
	s.mu.Unlock()
	if status != http.StatusOK {
		writeRejection(w, status)
		return
	}
	poke(s.engine)
	if req.Stream {
		s.stream(w, r, sq, chat, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return
	}
	for !sq.done.Load() {
		select {
		case <-sq.notify:
		case <-r.Context().Done():
			s.cancel(sq)
			return
		case <-s.quit:
			return
		}
	}
	s.respond(w, sq, chat)
}

func (s *Server) cancel(sq *seq) {
	s.mu.Lock()
	s.eng.cancel(sq)
	s.mu.Unlock()
}

// chunkHead returns the start of every chunk of a stream, up to and
// including `"choices":[`.
func (s *Server) chunkHead(sq *seq, chat bool) []byte {
	b := make([]byte, 0, 160)
	b = append(b, `data: {"id":"`...)
	if chat {
		b = append(b, "chatcmpl-"...)
	} else {
		b = append(b, "cmpl-"...)
	}
	b = appendID(b, sq.id)
	if chat {
		b = append(b, `","object":"chat.completion.chunk","created":`...)
	} else {
		b = append(b, `","object":"text_completion","created":`...)
	}
	b = strconv.AppendInt(b, s.created, 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, s.cfg.Model)
	b = append(b, `,"choices":[`...)
	return b
}

func appendID(b []byte, id uint64) []byte {
	const width = 16
	h := strconv.FormatUint(id, 16)
	for range width - len(h) {
		b = append(b, '0')
	}
	return append(b, h...)
}

func appendJSONString(b []byte, v string) []byte {
	j, _ := json.Marshal(v) // a string always marshals
	return append(b, j...)
}

// stream writes the SSE response of sq, one chunk per token as the engine
// emits them (tokens emitted while the client was slow go out together),
// then the finish chunk, the usage chunk when asked, and [DONE]. The
// framing is vLLM's.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, sq *seq, chat, usage bool) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	head := s.chunkHead(sq, chat)
	tail := `],"usage":null}` + "\n\n"
	if !usage {
		tail = "]}\n\n"
	}
	buf := make([]byte, 0, 1024)
	sent := 0
	for {
		select {
		case <-sq.notify:
		case <-r.Context().Done():
			s.cancel(sq)
			return
		case <-s.quit:
			return
		}
		done := sq.done.Load()
		n := int(sq.pub.Load())
		buf = buf[:0]
		if chat && sent == 0 && n > 0 {
			buf = append(buf, head...)
			buf = append(buf, `{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}`...)
			buf = append(buf, tail...)
		}
		for ; sent < n; sent++ {
			buf = append(buf, head...)
			if chat {
				buf = append(buf, `{"index":0,"delta":{"content":"`...)
				buf = append(buf, tokenText(sq.id, sent)...)
				buf = append(buf, `"},"logprobs":null,"finish_reason":null}`...)
			} else {
				buf = append(buf, `{"index":0,"text":"`...)
				buf = append(buf, tokenText(sq.id, sent)...)
				buf = append(buf, `","logprobs":null,"finish_reason":null}`...)
			}
			buf = append(buf, tail...)
		}
		if done {
			buf = append(buf, head...)
			if chat {
				buf = append(buf, `{"index":0,"delta":{},"logprobs":null,"finish_reason":"`...)
			} else {
				buf = append(buf, `{"index":0,"text":"","logprobs":null,"finish_reason":"`...)
			}
			buf = append(buf, sq.finishReason()...)
			buf = append(buf, `"}`...)
			buf = append(buf, tail...)
			if usage {
				buf = append(buf, head...)
				buf = append(buf, `],"usage":`...)
				buf = appendUsage(buf, sq)
				buf = append(buf, "}\n\n"...)
			}
			buf = append(buf, "data: [DONE]\n\n"...)
		}
		if _, err := w.Write(buf); err != nil {
			s.cancel(sq)
			return
		}
		if done {
			return
		}
		if err := rc.Flush(); err != nil {
			s.cancel(sq)
			return
		}
	}
}

func appendUsage(b []byte, sq *seq) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(sq.prompt), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(sq.produced), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(sq.prompt+sq.produced), 10)
	return append(b, `,"prompt_tokens_details":{"cached_tokens":0}}`...)
}

// usageBody is the usage object of a response.
type usageBody struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// respond writes the non-streaming response of a finished sq.
func (s *Server) respond(w http.ResponseWriter, sq *seq, chat bool) {
	var text strings.Builder
	for k := range sq.produced {
		text.WriteString(tokenText(sq.id, k))
	}
	usage := usageBody{sq.prompt, sq.produced, sq.prompt + sq.produced}
	id := string(appendID(nil, sq.id))
	if chat {
		type message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		}
		type choice struct {
			Index        int     `json:"index"`
			Message      message `json:"message"`
			Logprobs     *int    `json:"logprobs"`
			FinishReason string  `json:"finish_reason"`
		}
		writeJSON(w, http.StatusOK, struct {
			ID      string    `json:"id"`
			Object  string    `json:"object"`
			Created int64     `json:"created"`
			Model   string    `json:"model"`
			Choices []choice  `json:"choices"`
			Usage   usageBody `json:"usage"`
		}{"chatcmpl-" + id, "chat.completion", s.created, s.cfg.Model,
			[]choice{{Message: message{"assistant", text.String()}, FinishReason: sq.finishReason()}}, usage})
		return
	}
	type choice struct {
		Index        int    `json:"index"`
		Text         string `json:"text"`
		Logprobs     *int   `json:"logprobs"`
		FinishReason string `json:"finish_reason"`
	}
	writeJSON(w, http.StatusOK, struct {
		ID      string    `json:"id"`
		Object  string    `json:"object"`
		Created int64     `json:"created"`
		Model   string    `json:"model"`
		Choices []choice  `json:"choices"`
		Usage   usageBody `json:"usage"`
	}{"cmpl-" + id, "text_completion", s.created, s.cfg.Model,
		[]choice{{Text: text.String(), FinishReason: sq.finishReason()}}, usage})
}
