package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// openAIURL returns the endpoint of an OpenAI API under base: base itself
// when it names the endpoint, else "/v1/chat/completions" or
// "/v1/completions" appended (without "/v1" when base ends with it).
func openAIURL(base string, chat bool) string {
	suffix := "/completions"
	if chat {
		suffix = "/chat/completions"
	}
	switch {
	case strings.HasSuffix(base, "/v1"+suffix):
		return base
	case strings.HasSuffix(base, "/v1"):
		return base + suffix
	}
	return base + "/v1" + suffix
}

// chatMessage and openAIBody make the OpenAI request bodies.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type openAIBody struct {
	Model         string         `json:"model"`
	Messages      []chatMessage  `json:"messages,omitempty"`
	Prompt        *string        `json:"prompt,omitempty"`
	MaxTokens     int            `json:"max_tokens,omitempty"`
	MinTokens     int            `json:"min_tokens,omitempty"`
	IgnoreEOS     bool           `json:"ignore_eos,omitempty"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

var includeUsage = &streamOptions{IncludeUsage: true}

// openAIBody returns the OpenAI request body of prompt p.
func (c *client) openAIBody(p *Prompt) ([]byte, error) {
	b := openAIBody{Model: c.t.Model, MaxTokens: p.MaxTokens, Stream: c.t.Stream}
	if c.isChat {
		b.Messages = []chatMessage{{Role: "user", Content: p.Text}}
	} else {
		b.Prompt = &p.Text
	}
	if c.t.Stream {
		b.StreamOptions = includeUsage
	}
	if !c.t.FreeLength && p.MaxTokens > 0 {
		b.MinTokens = p.MaxTokens
		b.IgnoreEOS = true
	}
	return json.Marshal(&b)
}

// chunkInfo extracts what is measured from one OpenAI streaming chunk (chat
// or completions) without decoding it into Go values: whether it carries
// content (reasoning content counts), a finish reason, the usage's
// completion tokens (-1 when absent) and an error object.
func chunkInfo(data []byte) (content, finished bool, usage int, errText string, ok bool) {
	if !gjson.ValidBytes(data) {
		return false, false, -1, "", false
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return false, false, -1, "", false
	}
	usage = -1
	// One pass over the keys (a chunk arrives per token, so this is the
	// hot path of a streaming test) instead of a lookup per path.
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "error":
			if v.Type != gjson.Null {
				errText = v.Raw
				return false
			}
		case "choices":
			v.ForEach(func(_, ch gjson.Result) bool {
				ch.ForEach(func(k, v gjson.Result) bool {
					switch k.Str {
					case "delta":
						v.ForEach(func(k, v gjson.Result) bool {
							switch k.Str {
							case "content", "reasoning_content", "reasoning":
								content = content || v.Type == gjson.String && v.Str != ""
							}
							return true
						})
					case "text":
						content = content || v.Type == gjson.String && v.Str != ""
					case "finish_reason":
						finished = finished || v.Type == gjson.String && v.Str != ""
					}
					return true
				})
				return true
			})
		case "usage":
			if u := v.Get("completion_tokens"); u.Type == gjson.Number {
				usage = int(u.Int())
			}
		}
		return true
	})
	if errText != "" {
		return false, false, -1, errText, true
	}
	return content, finished, usage, "", true
}

func (c *client) readStream(rctx, runCtx context.Context, r io.Reader, o *outcome) {
	sr := newSSEReader(r, DefaultMaxSSELine)
	var last time.Time
	chunks, usage := 0, -1
	finished, doneSeen := false, false
	var answer []byte // the assembled content, when c.keep
	fail := func(class, msg string) {
		o.done = time.Now()
		o.class, o.msg = class, msg
	}
	for {
		data, err := sr.Next()
		now := time.Now()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, errSSEGarbage) {
				fail(ErrStream, c.scrub(err.Error()))
				return
			}
			class, msg := c.classify(rctx, runCtx, ErrStream, err)
			fail(class, msg)
			return
		}
		if bytes.Equal(bytes.TrimSpace(data), []byte("[DONE]")) {
			doneSeen = true
			break
		}
		content, fin, u, errText, ok := chunkInfo(data)
		if !ok {
			fail(ErrStream, c.scrub("undecodable chunk "+quoteShort(c.scrub(string(data)), 80)))
			return
		}
		if errText != "" {
			fail(ErrStream, c.scrub("error event: "+truncate(c.scrub(errText), 200)))
			return
		}
		finished = finished || fin
		if u >= 0 {
			usage = u
		}
		if content {
			if c.keep {
				answer = appendContent(answer, data)
			}
			chunks++
			if o.first.IsZero() {
				c.noteModel(gjson.GetBytes(data, "model").Str, o)
				o.first = now
			} else {
				o.itl = append(o.itl, now.Sub(last))
			}
			last = now
		}
	}
	o.done = time.Now()
	switch {
	case !doneSeen && !finished:
		o.class, o.msg = ErrStream, "stream ended without [DONE] or a finish_reason"
	case chunks == 0:
		o.class, o.msg = ErrStream, "stream carried no content"
	}
	if c.keep {
		o.body = assembled(answer, c.isChat)
	}
	o.tokens = usage
	if usage < 0 {
		o.tokens, o.counted = chunks, true
	}
}

// noteModel keeps the model a response named when it differs from the one
// requested: a server that serves what it has loaded whatever the request
// names (llama.cpp) answers with its own name.
func (c *client) noteModel(name string, o *outcome) {
	if name != "" && name != c.t.Model {
		o.model = truncate(c.scrub(name), 100)
	}
}

type completionBody struct {
	Model   string            `json:"model"`
	Choices []json.RawMessage `json:"choices"`
	Usage   *struct {
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

// readCompletion reads the output tokens of a non-streamed completion.
func (c *client) readCompletion(body []byte, o *outcome) {
	var cb completionBody
	if err := json.Unmarshal(body, &cb); err != nil || len(cb.Choices) == 0 {
		o.class, o.msg = ErrStream, "undecodable completion body"
		return
	}
	c.noteModel(cb.Model, o)
	o.tokens = -1
	if cb.Usage != nil {
		o.tokens = cb.Usage.CompletionTokens
	}
}
