package sim

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// CharsPerToken is the number of characters (Unicode code points) counted
// as one prompt token.
const CharsPerToken = 4

// ChatTemplateTokens is the number of tokens a chat template adds per
// message (role markers and separators).
const ChatTemplateTokens = 4

// EstimateTokens returns the number of tokens of text: one per
// CharsPerToken characters, rounded up. Real tokenizers give about 4
// characters per token on English text.
func EstimateTokens(text string) int {
	return (utf8.RuneCountInString(text) + CharsPerToken - 1) / CharsPerToken
}

// vocabulary is the text of generated tokens: token k of a request is
// vocabulary[(id + k) % len]. Each entry is one token of output, chosen so
// that it needs no JSON escaping.
var vocabulary = [...]string{
	"The ", "quick ", "brown ", "fox ", "jumps ", "over ", "the ", "lazy ", "dog. ",
	"A ", "model ", "answers ", "every ", "question ", "with ", "care, ", "and ",
	"its ", "tokens ", "stream ", "one ", "by ", "one ", "to ", "the ", "client. ",
	"Latency ", "grows ", "when ", "the ", "batch ", "is ", "full. ",
}

func tokenText(id uint64, k int) string {
	return vocabulary[(id+uint64(k))%uint64(len(vocabulary))]
}

// textPart is an element of the array form of a chat message's content.
type textPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// contentTokens estimates the tokens of a chat message content, which is a
// string, an array of parts (text parts count) or null.
func contentTokens(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		return EstimateTokens(s), nil
	}
	var parts []textPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return 0, errors.New("content must be a string or an array of content parts")
	}
	n := 0
	for _, p := range parts {
		n += EstimateTokens(p.Text)
	}
	return n, nil
}

// promptTokens estimates the tokens of a completions prompt: a string, an
// array of token ids, or an array holding one of those.
func promptTokens(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, errors.New("prompt is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return EstimateTokens(s), nil
	}
	var ids []int
	if err := json.Unmarshal(raw, &ids); err == nil {
		return len(ids), nil
	}
	var many []json.RawMessage
	if err := json.Unmarshal(raw, &many); err == nil {
		if len(many) != 1 {
			return 0, errors.New("only one prompt per request is supported")
		}
		return promptTokens(many[0])
	}
	return 0, errors.New("prompt must be a string, an array of token ids, or an array holding one of them")
}
