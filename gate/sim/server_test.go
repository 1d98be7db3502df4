package sim

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// fastConfig is a configuration whose steps take about a millisecond, so
// real-time tests are short.
func fastConfig() Config {
	c := DefaultConfig()
	c.StepBase = time.Millisecond
	c.PrefillPerToken = time.Microsecond
	c.DecodePerSeq = 10 * time.Microsecond
	c.StallRate = 0
	return c
}

func startServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

func sdk(ts *httptest.Server) openai.Client {
	return openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
}

// wantText is the text the server generates for request id with n tokens.
func wantText(id uint64, n int) string {
	var b strings.Builder
	for k := range n {
		b.WriteString(tokenText(id, k))
	}
	return b.String()
}

func TestOpenAISDKChat(t *testing.T) {
	_, ts := startServer(t, fastConfig())
	client := sdk(ts)
	ctx := context.Background()
	const msg = "Hello there, simulator!" // 23 characters: 6 tokens, + 4 of template
	params := openai.ChatCompletionNewParams{
		Model:     DefaultModel,
		Messages:  []openai.ChatCompletionMessageParamUnion{openai.UserMessage(msg)},
		MaxTokens: openai.Int(12),
	}

	res, err := client.Chat.Completions.New(ctx, params, option.WithJSONSet("ignore_eos", true))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Choices) != 1 || res.Choices[0].FinishReason != "length" || res.Choices[0].Message.Role != "assistant" {
		t.Fatalf("choices %+v", res.Choices)
	}
	if got, want := res.Choices[0].Message.Content, wantText(1, 12); got != want {
		t.Errorf("content %q, want %q", got, want)
	}
	if u := res.Usage; u.PromptTokens != 10 || u.CompletionTokens != 12 || u.TotalTokens != 22 {
		t.Errorf("usage %+v, want 10 + 12 = 22", u)
	}
	if res.Model != DefaultModel || !strings.HasPrefix(res.ID, "chatcmpl-") {
		t.Errorf("model %q id %q", res.Model, res.ID)
	}

	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, params, option.WithJSONSet("ignore_eos", true))
	var text strings.Builder
	var usage openai.CompletionUsage
	contentChunks, finish := 0, ""
	for stream.Next() {
		c := stream.Current()
		if len(c.Choices) == 0 {
			usage = c.Usage
			continue
		}
		if c.Choices[0].Delta.Content != "" {
			contentChunks++
		}
		text.WriteString(c.Choices[0].Delta.Content)
		if c.Choices[0].FinishReason != "" {
			finish = c.Choices[0].FinishReason
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got, want := text.String(), wantText(2, 12); got != want {
		t.Errorf("streamed content %q, want %q", got, want)
	}
	if contentChunks != 12 || finish != "length" {
		t.Errorf("%d content chunks, finish %q; want 12, length", contentChunks, finish)
	}
	if usage.PromptTokens != 10 || usage.CompletionTokens != 12 || usage.TotalTokens != 22 {
		t.Errorf("streamed usage %+v, want 10 + 12 = 22", usage)
	}
}

func TestOpenAISDKCompletions(t *testing.T) {
	_, ts := startServer(t, fastConfig())
	client := sdk(ts)
	ctx := context.Background()
	params := openai.CompletionNewParams{
		Model:     DefaultModel,
		Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")}, // 16 chars: 4 tokens
		MaxTokens: openai.Int(5),
	}
	res, err := client.Completions.New(ctx, params, option.WithJSONSet("ignore_eos", true))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Choices) != 1 || res.Choices[0].Text != wantText(1, 5) || res.Choices[0].FinishReason != "length" {
		t.Errorf("choices %+v", res.Choices)
	}
	if u := res.Usage; u.PromptTokens != 4 || u.CompletionTokens != 5 {
		t.Errorf("usage %+v, want 4 + 5", u)
	}

	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Completions.NewStreaming(ctx, params, option.WithJSONSet("ignore_eos", true))
	var text strings.Builder
	var usage openai.CompletionUsage
	for stream.Next() {
		c := stream.Current()
		for _, ch := range c.Choices {
			text.WriteString(ch.Text)
		}
		if len(c.Choices) == 0 {
			usage = c.Usage
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != wantText(2, 5) || usage.CompletionTokens != 5 || usage.PromptTokens != 4 {
		t.Errorf("streamed %q, usage %+v", text.String(), usage)
	}

	// Without ignore_eos the answer may stop early, and says so.
	for range 5 {
		res, err := client.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		n, reason := res.Usage.CompletionTokens, res.Choices[0].FinishReason
		if n < 1 || n > 5 || (n == 5) != (reason == "length") || (n < 5) != (reason == "stop") {
			t.Errorf("%d tokens with finish reason %q", n, reason)
		}
	}
}

// TestSSEFraming checks the raw stream against vLLM's framing: data lines
// separated by blank lines, a role chunk, usage null on every chunk, a
// final usage chunk with empty choices, then [DONE].
func TestSSEFraming(t *testing.T) {
	_, ts := startServer(t, fastConfig())
	body := `{"model":"` + DefaultModel + `","messages":[{"role":"user","content":"hi"}],"max_tokens":3,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`
	resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, ct)
	}
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("line %q is not a data line", line)
		}
		events = append(events, data)
	}
	// role, 3 tokens, finish, usage, [DONE]
	if len(events) != 7 || events[6] != "[DONE]" {
		t.Fatalf("events %q", events)
	}
	type chunk struct {
		Object  string            `json:"object"`
		Choices []json.RawMessage `json:"choices"`
		Usage   json.RawMessage   `json:"usage"`
	}
	for i, e := range events[:6] {
		var c chunk
		if err := json.Unmarshal([]byte(e), &c); err != nil {
			t.Fatalf("event %d %q: %v", i, e, err)
		}
		if c.Object != "chat.completion.chunk" {
			t.Errorf("event %d: object %q", i, c.Object)
		}
		if i < 5 && (string(c.Usage) != "null" || len(c.Choices) != 1) {
			t.Errorf("event %d: %s", i, e)
		}
	}
	if !strings.Contains(events[0], `"delta":{"role":"assistant","content":""}`) {
		t.Errorf("first event %s has no role", events[0])
	}
	if !strings.Contains(events[4], `"finish_reason":"length"`) {
		t.Errorf("finish event %s", events[4])
	}
	if !strings.Contains(events[5], `"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8`) {
		t.Errorf("usage event %s", events[5])
	}
}

func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s: body is not JSON: %v", url, err)
	}
	return resp.StatusCode, v
}

func errType(v map[string]any) string {
	e, _ := v["error"].(map[string]any)
	s, _ := e["type"].(string)
	return s
}

func TestErrors(t *testing.T) {
	_, ts := startServer(t, fastConfig())
	chat := ts.URL + "/v1/chat/completions"
	cases := []struct {
		name, url, body string
		status          int
		typ             string
	}{
		{"malformed", chat, `{"model":`, 400, "BadRequestError"},
		{"unknown model", chat, `{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}`, 404, "NotFoundError"},
		{"no messages", chat, `{"messages":[]}`, 400, "BadRequestError"},
		{"bad content", chat, `{"messages":[{"role":"user","content":7}]}`, 400, "BadRequestError"},
		{"zero max_tokens", chat, `{"messages":[{"role":"user","content":"x"}],"max_tokens":0}`, 400, "BadRequestError"},
		{"too long", chat, `{"messages":[{"role":"user","content":"x"}],"max_tokens":9000}`, 400, "BadRequestError"},
		{"n", chat, `{"messages":[{"role":"user","content":"x"}],"n":2}`, 400, "BadRequestError"},
		{"min above max", chat, `{"messages":[{"role":"user","content":"x"}],"max_tokens":2,"min_tokens":3}`, 400, "BadRequestError"},
		{"no prompt", ts.URL + "/v1/completions", `{"max_tokens":2}`, 400, "BadRequestError"},
		{"two prompts", ts.URL + "/v1/completions", `{"prompt":["a","b"]}`, 400, "BadRequestError"},
		{"predict empty", ts.URL + "/predict", `{"instances":[]}`, 400, "BadRequestError"},
		{"unknown path", ts.URL + "/v2/nothing", `{}`, 404, "NotFoundError"},
	}
	for _, tc := range cases {
		status, v := post(t, tc.url, tc.body)
		if status != tc.status || errType(v) != tc.typ {
			t.Errorf("%s: status %d type %q, want %d %q (%v)", tc.name, status, errType(v), tc.status, tc.typ, v)
		}
	}
}

func TestColdStartAndInjectedErrors(t *testing.T) {
	cold := fastConfig()
	cold.ColdStart = time.Hour
	_, ts := startServer(t, cold)
	resp, err := http.Get(ts.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("/health during the cold start: %d, want 503", resp.StatusCode)
	}
	if status, v := post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`); status != 503 || errType(v) != "ServiceUnavailableError" {
		t.Errorf("chat during the cold start: %d %v", status, v)
	}

	broken := fastConfig()
	broken.ErrorRate = 1
	_, ts = startServer(t, broken)
	if status, v := post(t, ts.URL+"/v1/completions", `{"prompt":"x"}`); status != 500 || errType(v) != "InternalServerError" {
		t.Errorf("completions at error rate 1: %d %v", status, v)
	}
	if status, _ := post(t, ts.URL+"/predict", `{"instances":[1]}`); status != 500 {
		t.Errorf("predict at error rate 1: %d", status)
	}
	resp, err = http.Get(ts.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/health after start: %d, want 200", resp.StatusCode)
	}
}

// TestQueueFullAndCancel fills the only slot and the one-place queue, checks
// that a third request gets 429, then cancels the first two and checks that
// the engine frees what they held.
func TestQueueFullAndCancel(t *testing.T) {
	cfg := fastConfig().NoNoise()
	cfg.Slots = 1
	cfg.MaxQueue = 1
	cfg.StepBase = 20 * time.Millisecond
	s, ts := startServer(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions",
				strings.NewReader(`{"prompt":"x","max_tokens":1000,"ignore_eos":true}`))
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	state := func() (running, waiting int, kv float64) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.eng.running), s.eng.nWait, s.eng.usage()
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for i := 0; !ok(); i++ {
			if i == 1000 {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("one running and one waiting", func() bool { r, w, _ := state(); return r == 1 && w == 1 })
	if status, v := post(t, ts.URL+"/v1/completions", `{"prompt":"x"}`); status != 429 || errType(v) != "RateLimitError" {
		t.Errorf("third request: %d %v, want 429", status, v)
	}
	cancel()
	for range 2 {
		<-errs
	}
	waitFor("the engine to free the cancelled requests", func() bool { r, w, kv := state(); return r == 0 && w == 0 && kv == 0 })
}

func TestMetricsParse(t *testing.T) {
	_, ts := startServer(t, fastConfig())
	client := sdk(ts)
	for range 3 {
		_, err := client.Completions.New(context.Background(), openai.CompletionNewParams{
			Model:     DefaultModel,
			Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("12345678")}, // 2 tokens
			MaxTokens: openai.Int(4),
		}, option.WithJSONSet("ignore_eos", true))
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	value := func(name string) float64 {
		f, ok := families[name]
		if !ok || len(f.Metric) == 0 {
			t.Errorf("metric %s missing", name)
			return -1
		}
		m := f.Metric[0]
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
		return -1
	}
	want := map[string]float64{
		"vllm:generation_tokens_total":     12,
		"vllm:prompt_tokens_total":         6,
		"vllm:time_to_first_token_seconds": 3,
		"vllm:e2e_request_latency_seconds": 3,
		"vllm:num_requests_running":        0,
		"vllm:num_requests_waiting":        0,
		"vllm:kv_cache_usage_perc":         0,
	}
	for name, v := range want {
		if got := value(name); got != v {
			t.Errorf("%s = %g, want %g", name, got, v)
		}
	}
	if rss := value("process_resident_memory_bytes"); rss <= 0 {
		t.Errorf("process_resident_memory_bytes = %g", rss)
	}
	if l := families["vllm:kv_cache_usage_perc"].Metric[0].Label; len(l) != 1 || l[0].GetValue() != DefaultModel {
		t.Errorf("labels %v, want model_name", l)
	}
}

func TestModelsHealthPredict(t *testing.T) {
	_, ts := startServer(t, fastConfig())
	resp, err := http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var models struct {
		Data []struct{ ID string } `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&models)
	resp.Body.Close()
	if err != nil || len(models.Data) != 1 || models.Data[0].ID != DefaultModel {
		t.Errorf("/v1/models: %+v %v", models, err)
	}
	status, v := post(t, ts.URL+"/predict", `{"instances":[[1,2],[3,4],[5,6]]}`)
	preds, _ := v["predictions"].([]any)
	if status != 200 || len(preds) != 3 {
		t.Errorf("/predict: %d %v", status, v)
	}
}

func TestLeakGrowsMemory(t *testing.T) {
	old := leakTick
	leakTick = 5 * time.Millisecond
	defer func() { leakTick = old }()
	cfg := fastConfig()
	cfg.LeakMBPerMinute = 120 // 10 KiB per 5 ms tick
	s, _ := startServer(t, cfg)
	leaked := func() int {
		s.leakMu.Lock()
		defer s.leakMu.Unlock()
		n := 0
		for _, b := range s.leaked {
			n += len(b)
		}
		return n
	}
	for i := 0; leaked() < 100<<10; i++ {
		if i == 1000 {
			t.Fatalf("leaked %d bytes after %d polls, want 100 KiB", leaked(), i)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Close()
	if leaked() != 0 {
		t.Error("Close kept the leaked memory")
	}
}

// TestStreamsUnderLoad runs a short burst of concurrent streams and checks
// every one completes with all its tokens.
func TestStreamsUnderLoad(t *testing.T) {
	_, ts := startServer(t, fastConfig())
	const n = 200
	done := make(chan int, n)
	body := `{"prompt":"hello","max_tokens":16,"ignore_eos":true,"stream":true}`
	for range n {
		go func() {
			resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(body))
			if err != nil {
				done <- -1
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			done <- strings.Count(string(b), `"finish_reason":null`)
		}()
	}
	for range n {
		if got := <-done; got != 16 {
			t.Fatalf("a stream had %d token chunks, want 16", got)
		}
	}
}
