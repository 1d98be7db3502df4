package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sseEvents splits a capture into its events (with their blank line).
func sseEvents(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "captures", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range strings.SplitAfter(string(b), "\n\n") {
		if strings.TrimSpace(e) != "" {
			out = append(out, e)
		}
	}
	return out
}

// replay serves events with a pause after each, flushing in two halves to
// exercise partial reads.
func replay(events []string, pause time.Duration, firstPause time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for i, e := range events {
			h := len(e) / 2
			io.WriteString(w, e[:h])
			fl.Flush()
			io.WriteString(w, e[h:])
			fl.Flush()
			p := pause
			if i == 0 && firstPause > 0 {
				p = firstPause
			}
			select {
			case <-time.After(p):
			case <-r.Context().Done():
				return
			}
		}
	}
}

func newTestClient(t *testing.T, tg Target) *client {
	t.Helper()
	c, err := prepareClient(tg, 8)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStreamCaptures(t *testing.T) {
	cases := []struct {
		file    string
		api     string
		counted bool // no usage in the capture: tokens counted from chunks
	}{
		{"llamacpp-chat-stream.sse", APIOpenAIChat, false},
		{"llamacpp-completions-stream.sse", APIOpenAICompletions, false},
		{"vllmsim-chat-stream.sse", APIOpenAIChat, false},
		{"vllmsim-completions-stream.sse", APIOpenAICompletions, true},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var got openAIBody
			events := sseEvents(t, tc.file)
			// The first event carries no content in the chat captures (a
			// role-only delta): TTFT must not stop at it.
			h := replay(events, 2*time.Millisecond, 40*time.Millisecond)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				json.Unmarshal(b, &got)
				h(w, r)
			}))
			defer srv.Close()
			c := newTestClient(t, Target{URL: srv.URL, API: tc.api, Model: "m", Stream: true})
			p := Prompt{Text: "hi", MaxTokens: 8}
			o := c.do(context.Background(), &p, nil)
			if o.class != "" {
				t.Fatalf("class %q: %s", o.class, o.msg)
			}
			if o.tokens != 8 || o.counted != tc.counted {
				t.Errorf("tokens %d counted %v; want 8, %v", o.tokens, o.counted, tc.counted)
			}
			if len(o.itl) != 7 {
				t.Errorf("%d inter-chunk gaps, want 7", len(o.itl))
			}
			ttft := o.first.Sub(o.sent)
			chatRoleFirst := tc.api == APIOpenAIChat
			if chatRoleFirst && ttft < 40*time.Millisecond {
				t.Errorf("TTFT %v: the role-only first chunk was taken as content", ttft)
			}
			if !chatRoleFirst && ttft >= 40*time.Millisecond {
				t.Errorf("TTFT %v: the first chunk carries content", ttft)
			}
			if !got.Stream || got.StreamOptions == nil || !got.StreamOptions.IncludeUsage || !got.IgnoreEOS || got.MinTokens != 8 || got.MaxTokens != 8 || got.Model != "m" {
				t.Errorf("request body %+v", got)
			}
			if (tc.api == APIOpenAIChat) != (len(got.Messages) == 1) {
				t.Errorf("chat messages %+v prompt %v", got.Messages, got.Prompt)
			}
		})
	}
}

func TestReasoningContentCountsAsFirstToken(t *testing.T) {
	events := []string{
		`data: {"choices":[{"delta":{"role":"assistant"}}]}` + "\n\n",
		`data: {"choices":[{"delta":{"reasoning_content":"thinking"}}]}` + "\n\n",
		`data: {"choices":[{"delta":{"content":"x"}}]}` + "\n\n",
		`data: {"choices":[{"delta":{},"finish_reason":"stop"}]}` + "\n\n",
	}
	srv := httptest.NewServer(replay(events, time.Millisecond, 0))
	defer srv.Close()
	c := newTestClient(t, Target{URL: srv.URL + "/v1", API: APIOpenAIChat, Model: "m", Stream: true})
	o := c.do(context.Background(), &Prompt{Text: "q"}, nil)
	if o.class != "" || o.tokens != 2 || !o.counted || len(o.itl) != 1 {
		t.Fatalf("%+v", o)
	}
}

func TestNonStreamingAndURLs(t *testing.T) {
	body, _ := os.ReadFile(filepath.Join("testdata", "captures", "llamacpp-chat.json"))
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		w.Write(body)
	}))
	defer srv.Close()
	for _, u := range []string{srv.URL, srv.URL + "/", srv.URL + "/v1", srv.URL + "/v1/chat/completions"} {
		c := newTestClient(t, Target{URL: u, API: APIOpenAIChat, Model: "m"})
		o := c.do(context.Background(), &Prompt{Text: "q", MaxTokens: 8}, nil)
		if o.class != "" || o.tokens != 8 || !o.first.IsZero() {
			t.Errorf("%s: %+v", u, o)
		}
		if path != "/v1/chat/completions" {
			t.Errorf("%s: path %s", u, path)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	const secret = "sk-very-secret-token"
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "captures", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/notfound/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		w.Write(read("vllmsim-unknown-model.json"))
	})
	mux.HandleFunc("/bad/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		w.Write(read("llamacpp-bad-request.json"))
	})
	mux.HandleFunc("/echo/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, "bad key "+r.Header.Get("Authorization"))
	})
	mux.HandleFunc("/slow/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server notices the client leaving
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/garbage/v1/chat/completions", replay([]string{"<html>\n<body>busy</body>\n"}, 0, 0))
	mux.HandleFunc("/truncated/v1/chat/completions", replay([]string{`data: {"choices":[{"delta":{"content":"a"}}]}` + "\n\n"}, 0, 0))
	mux.HandleFunc("/badjson/v1/chat/completions", replay([]string{"data: {\"choices\": [\n\n"}, 0, 0))
	mux.HandleFunc("/errevent/v1/chat/completions", replay([]string{`data: {"error":{"message":"overloaded"}}` + "\n\n"}, 0, 0))
	mux.HandleFunc("/empty/v1/chat/completions", replay([]string{"data: [DONE]\n\n"}, 0, 0))
	mux.HandleFunc("/huge/v1/chat/completions", replay([]string{strings.Repeat(`data: {"choices":[{"delta":{"content":"aaaa"}}]}`+"\n\n", 100)}, 0, 0))
	mux.HandleFunc("/json/predict", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"label":"cat","score":0.93,"items":[1,2]}`)
	})
	mux.HandleFunc("/redirect/predict", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.invalid/", http.StatusFound)
	})
	mux.HandleFunc("/text/predict", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed := httptest.NewServer(mux)
	closedURL := closed.URL
	closed.Close()

	hdr := http.Header{"Authorization": {"Bearer " + secret}}
	chat := func(path string) Target {
		return Target{URL: srv.URL + path, API: APIOpenAIChat, Model: "m", Stream: true, Headers: hdr, Timeout: 2 * time.Second}
	}
	httpT := func(path string, checks ...Check) Target {
		return Target{URL: srv.URL + path, API: APIHTTP, Headers: hdr, HTTP: []HTTPSpec{{Path: "/predict", Body: `{"q":{{json .prompt}}}`, Checks: checks}}}
	}
	slow := chat("/slow")
	slow.Timeout = 100 * time.Millisecond
	small := chat("/huge")
	small.MaxBody = 1000
	cases := []struct {
		name   string
		t      Target
		class  string
		status int
		msg    string
	}{
		{"connect", Target{URL: closedURL, API: APIOpenAIChat, Model: "m", Headers: hdr}, ErrConnect, 0, "connect"},
		{"timeout", slow, ErrTimeout, 0, "within 100ms"},
		{"404", chat("/notfound"), ErrHTTP4xx, 404, "does not exist"},
		{"500", chat("/bad"), ErrHTTP5xx, 500, "parse error"},
		{"401 echoing the key", chat("/echo"), ErrHTTP4xx, 401, "***"},
		{"garbage", chat("/garbage"), ErrStream, 200, "not an SSE stream"},
		{"truncated", chat("/truncated"), ErrStream, 200, "without [DONE]"},
		{"bad json", chat("/badjson"), ErrStream, 200, "undecodable chunk"},
		{"error event", chat("/errevent"), ErrStream, 200, "overloaded"},
		{"no content", chat("/empty"), ErrStream, 200, "no content"},
		{"too large", small, ErrStream, 200, "larger than the limit"},
		{"check ok", httpT("/json", Check{Path: "label", Op: CheckEquals, Value: "cat"}, Check{Path: "score", Op: CheckMatches, Value: `^0\.9`}, Check{Path: "items.#", Op: CheckEquals, Value: "2"}), "", 200, ""},
		{"check equals", httpT("/json", Check{Path: "label", Op: CheckEquals, Value: "dog"}), ErrCheck, 200, "label equals"},
		{"check absent", httpT("/json", Check{Path: "fallback", Op: CheckAbsent}), "", 200, ""},
		{"check absent fails", httpT("/json", Check{Path: "label", Op: CheckAbsent}), ErrCheck, 200, "label absent"},
		{"check matches", httpT("/json", Check{Path: "score", Op: CheckMatches, Value: `^1`}), ErrCheck, 200, "score matches"},
		{"check exists", httpT("/json", Check{Path: "missing", Op: CheckExists}), ErrCheck, 200, "missing exists"},
		{"check not json", httpT("/text", Check{Path: "a", Op: CheckExists}), ErrCheck, 200, "not JSON"},
		{"redirect not followed", httpT("/redirect"), ErrCheck, 302, "302 not accepted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, tc.t)
			o := c.do(context.Background(), &Prompt{Text: "q\"uoted", MaxTokens: 3, Vars: map[string]string{"prompt": "q\"uoted"}}, nil)
			if o.class != tc.class || o.status != tc.status || !strings.Contains(o.msg, tc.msg) {
				t.Errorf("got class %q status %d msg %q; want %q %d containing %q", o.class, o.status, o.msg, tc.class, tc.status, tc.msg)
			}
			if strings.Contains(o.msg, secret) {
				t.Errorf("message leaks the secret: %q", o.msg)
			}
		})
	}
}

func TestHTTPTemplateAndStatus(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Key")+" "+string(b))
		w.WriteHeader(202)
	}))
	defer srv.Close()
	c := newTestClient(t, Target{URL: srv.URL, API: APIHTTP, HTTP: []HTTPSpec{{
		Method: "PUT", Path: "/v2/infer", Header: http.Header{"X-Key": {"k1"}},
		Body: `{"text":{{json .prompt}},"n":{{.max_tokens}}}`, Status: []int{202},
	}}})
	o := c.do(context.Background(), &Prompt{Vars: map[string]string{"prompt": "a \"b\"", "max_tokens": "5"}}, nil)
	if o.class != "" {
		t.Fatalf("%+v", o)
	}
	if want := `PUT /v2/infer k1 {"text":"a \"b\"","n":5}`; got[0] != want {
		t.Errorf("request %q, want %q", got[0], want)
	}
	// A row without the template's field fails that request as a check.
	o = c.do(context.Background(), &Prompt{Vars: map[string]string{"prompt": "x"}}, nil)
	if o.class != ErrCheck || !strings.Contains(o.msg, "max_tokens") {
		t.Errorf("missing field: %+v", o)
	}
	for _, bad := range []Target{
		{URL: "ftp://x", API: APIHTTP, HTTP: []HTTPSpec{{}}},
		{URL: "http://x", API: "grpc"},
		{URL: "http://x", API: APIOpenAIChat},
		{URL: "http://x", API: APIHTTP},
		{URL: "http://x", API: APIHTTP, HTTP: []HTTPSpec{{Body: "{{.x"}}},
		{URL: "http://x", API: APIHTTP, HTTP: []HTTPSpec{{Checks: []Check{{Path: "a", Op: "like"}}}}},
		{URL: "http://x", API: APIHTTP, HTTP: []HTTPSpec{{Checks: []Check{{Path: "a", Op: CheckMatches, Value: "("}}}}},
		{URL: "http://user:pw@x y", API: APIHTTP, HTTP: []HTTPSpec{{}}},
	} {
		if _, err := prepareClient(bad, 1); err == nil {
			t.Errorf("%+v: no error", bad)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("error leaks the URL password: %v", err)
		}
	}
}

func TestParseMetricsCaptures(t *testing.T) {
	for _, name := range []string{"vllmsim-metrics.txt", "llamacpp-metrics.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", "captures", name))
		if err != nil {
			t.Fatal(err)
		}
		v, err := ParseMetrics(bytes.NewReader(b), DefaultSeries)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"kv_cache_usage", "requests_running", "requests_waiting"} {
			if _, ok := v[k]; !ok {
				t.Errorf("%s: no %s in %v", name, k, v)
			}
		}
	}
	v, err := ParseMetrics(strings.NewReader("a_total{m=\"x\"} 2\na_total{m=\"y\"} 3\n"), map[string][]string{"a": {"missing", "a_total"}})
	if err != nil || v["a"] != 5 {
		t.Errorf("sum over labels: %v %v", v, err)
	}
	if _, err := ParseMetrics(strings.NewReader("not metrics {{{\n"), DefaultSeries); err == nil {
		t.Error("garbage parsed")
	}
	_ = bufio.ErrTooLong
}

func TestHTTPTemplatesByWeight(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery]++
		bodies = append(bodies, string(b))
		mu.Unlock()
		if r.URL.Path == "/fail" {
			w.WriteHeader(500)
			return
		}
		io.WriteString(w, `{"label":"cat"}`)
	}))
	defer srv.Close()
	c := newTestClient(t, Target{URL: srv.URL + "?v=2", API: APIHTTP, HTTP: []HTTPSpec{
		{Name: "predict", Weight: 3, Path: "/items/{{path .id}}", JSONBody: json.RawMessage(
			`{"instances": [{"image": "{{.image}}", "features": "{{.features}}", "caption": "id {{.id}}: {{.image}}"}], "n": "{{json .n}}", "fixed": 1.50}`)},
		{Name: "health", Method: "GET", Path: "/health", Weight: 1},
	}})
	if !c.usesPrompt() {
		t.Fatal("a path template uses the prompt's fields")
	}
	p := Prompt{
		Vars: map[string]string{"id": "x/y z", "image": `say "hi"`, "features": "[1,2]", "n": "3"},
		Raw:  map[string]json.RawMessage{"features": json.RawMessage(`[1,2]`), "n": json.RawMessage(`3`)},
	}
	const n = 400
	for i := range uint64(n) {
		p.Index = i
		// The choice is a function of the request index only.
		if c.pick(i) != c.pick(i) {
			t.Fatal("pick is not deterministic")
		}
		if o := c.do(context.Background(), &p, nil); o.class != "" {
			t.Fatalf("request %d: %+v", i, o)
		}
	}
	pred, health := got["POST /items/x%2Fy%20z?v=2"], got["GET /health?v=2"]
	if pred+health != n || pred < 260 || pred > 340 {
		t.Errorf("requests by template: %v (want about 3:1 of %d)", got, n)
	}
	var first string
	for _, b := range bodies {
		if b != "" {
			first = b
			break
		}
	}
	want := `{"instances":[{"image":"say \"hi\"","features":[1,2],"caption":"id x/y z: say \"hi\""}],"n":3,"fixed":1.50}`
	if first != want {
		t.Errorf("JSON body\n got %s\nwant %s", first, want)
	}
	// A row without a referenced field fails that request as a check,
	// naming the template.
	o := c.do(context.Background(), &Prompt{Index: 0, Vars: map[string]string{"id": "1"}}, nil)
	if c.pick(0).name == "predict" && (o.class != ErrCheck || !strings.Contains(o.msg, "predict: ") || !strings.Contains(o.msg, "image")) {
		t.Errorf("missing field: %+v", o)
	}
	// Errors name the template when there are several.
	c2 := newTestClient(t, Target{URL: srv.URL, API: APIHTTP, HTTP: []HTTPSpec{{Name: "bad", Path: "/fail"}, {Name: "good", Path: "/ok", Weight: 1e-9}}})
	if o := c2.do(context.Background(), &Prompt{Index: 1}, nil); o.class != ErrHTTP5xx || !strings.HasPrefix(o.msg, "bad: 500") {
		t.Errorf("error of a named template: %+v", o)
	}
	// A static JSON body is sent compact, as it is.
	c3 := newTestClient(t, Target{URL: srv.URL, API: APIHTTP, HTTP: []HTTPSpec{{Path: "/s", JSONBody: json.RawMessage(`{ "a": [1, "b"] }`)}}})
	if c3.usesPrompt() || string(c3.reqs[0].body) != `{"a":[1,"b"]}` || c3.reqs[0].method != http.MethodPost {
		t.Errorf("static JSON body: %q %s", c3.reqs[0].body, c3.reqs[0].method)
	}
	for _, bad := range []string{`{"a": "{{.x"}`, `{"a": 1} 2`, `{"a": }`} {
		if _, err := prepareClient(Target{URL: srv.URL, API: APIHTTP, HTTP: []HTTPSpec{{JSONBody: json.RawMessage(bad)}}}, 1); err == nil {
			t.Errorf("JSON body %s: no error", bad)
		}
	}
}
