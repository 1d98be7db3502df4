package load

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/tidwall/gjson"

	"github.com/perfgate/perfgate/internal/reqtmpl"
)

// API kinds of a Target.
const (
	APIOpenAIChat        = "openai-chat"
	APIOpenAICompletions = "openai-completions"
	APIHTTP              = "http"
)

// Defaults of a Target.
const (
	DefaultTimeout = 60 * time.Second // per request
	DefaultMaxBody = 16 << 20         // bytes of one response body
)

// Target is what a run sends requests to.
type Target struct {
	// URL is the base URL, e.g. "http://127.0.0.1:8000". For the OpenAI
	// APIs "/v1/chat/completions" or "/v1/completions" is appended unless
	// the URL already ends with "/v1" (then only the last part) or with
	// the full path.
	URL   string
	API   string // APIOpenAIChat, APIOpenAICompletions or APIHTTP
	Model string
	// Stream asks the OpenAI APIs for SSE streaming (needed for TTFT, ITL
	// and TPOT).
	Stream bool
	// FreeLength leaves out ignore_eos and min_tokens for APIs that reject
	// unknown parameters; output lengths then vary with the model.
	FreeLength bool
	// Headers are sent with every request, including scrapes. The values
	// are resolved secrets: they never appear in errors or results.
	Headers http.Header
	// Timeout bounds one request, from its actual send to its last byte;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBody bounds a response body in bytes; zero means DefaultMaxBody.
	MaxBody int64
	// HTTP lists the request templates of an APIHTTP target. Request i
	// uses one of them, chosen by weight from a hash of i, so every arm and
	// every rerun sends the same template for the same request.
	HTTP []HTTPSpec
	// MetricsURL is a Prometheus endpoint scraped during the run (absolute,
	// or a path relative to URL); empty means no scraping.
	MetricsURL string
	// Series maps a perfgate series name to candidate Prometheus metric
	// names; the first one present in a scrape wins. Nil means
	// DefaultSeries.
	Series map[string][]string
	// Transport overrides the transport built by NewTransport (tests).
	Transport http.RoundTripper
}

// HTTPSpec is one request template and its response checks of a generic
// HTTP target.
type HTTPSpec struct {
	// Name names the template in error messages when there are several
	// (default "request N", N from 1).
	Name string
	// Weight is the template's relative share of the requests; zero or
	// less counts as 1.
	Weight float64
	Method string // default POST when there is a body, else GET
	// Path is appended to Target.URL. When it contains "{{" it is a
	// text/template filled like Body; {{path .id}} escapes a value for a
	// path segment.
	Path string
	// Header is added to Target.Headers; values may be secrets too.
	Header http.Header
	// Body is the request body. When it contains "{{" it is a text/template
	// filled per request with the prompt's Vars: {{.prompt}} inserts a raw
	// value, {{json .prompt}} a JSON string literal. A dataset field whose
	// JSON value is not a string or a number (an array, an object, a bool)
	// is inserted as its JSON text by {{.field}}.
	Body string
	// JSONBody, when set, replaces Body: a JSON value whose strings may be
	// templates. Each template's output is encoded as a JSON string, so
	// the body stays valid whatever a row holds, and a string that is
	// exactly one field reference, "{{.features}}", takes the field's JSON
	// value with its type (a number, an array).
	JSONBody json.RawMessage
	// BodyFile, when set, is read once at the start of the run and used as
	// Body.
	BodyFile string
	// Status lists the accepted status codes; empty accepts any 2xx.
	Status []int
	// Checks are applied to the JSON response body of a request whose
	// status was accepted.
	Checks []Check
}

// Check operations.
const (
	CheckExists  = "exists"
	CheckEquals  = "equals"
	CheckMatches = "matches"
)

// Check is one assertion on a JSON response body. Path uses gjson syntax
// ("data.0.label", "choices.#"); Equals compares the value's text (or its
// raw JSON) with Value; Matches applies the regular expression Value to the
// value's text.
type Check struct {
	Path  string
	Op    string // CheckExists, CheckEquals or CheckMatches
	Value string
}

// NewTransport returns an http.Transport tuned for load: keep-alive with
// 2*maxConns idle connections per host (maxConns: the in-flight cap; the
// margin avoids closing connections that return while others are dialled), HTTP/2
// when the server offers it over TLS, no transparent compression (it would
// hide streaming timing and cost CPU), dial and TLS handshake timeouts of
// 10 s, and the proxy from the environment.
func NewTransport(maxConns int) *http.Transport {
	if maxConns < 2 {
		maxConns = 2
	}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * maxConns,
		MaxIdleConnsPerHost:   2 * maxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// client sends one kind of request to one target. It is built once per run
// (prepare) and shared by the workers.
type client struct {
	t       Target
	url     string // request URL
	display string // URL for reports (credentials redacted)
	hc      *http.Client
	timeout time.Duration
	maxBody int64
	reqs    []httpReq // the templates of an http target
	// promptUsed: requests depend on the workload's prompt (set once,
	// read per request).
	promptUsed bool
	secrets    []string
	isChat     bool
	isOpenAI   bool
}

func prepareClient(t Target, maxInFlight int) (*client, error) {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target: url %q is not an absolute http(s) URL", redactURL(t.URL))
	}
	shown := *u // for reports: no credentials, no query (API keys travel there)
	shown.User, shown.RawQuery = nil, ""
	c := &client{t: t, timeout: t.Timeout, maxBody: t.MaxBody, display: shown.String()}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	headers := []http.Header{t.Headers}
	for _, s := range t.HTTP {
		headers = append(headers, s.Header)
	}
	for _, h := range headers {
		for _, vs := range h {
			for _, v := range vs {
				c.secrets = append(c.secrets, secretParts(v)...)
			}
		}
	}
	// Credentials in the URL travel as a Basic authorization header, and
	// query parameters often carry API keys: a server may echo either.
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && len(pw) >= 4 {
			c.secrets = append(c.secrets, pw, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if len(v) >= 8 {
				c.secrets = append(c.secrets, v)
			}
		}
	}
	// The longest first, so a whole value is replaced before its words.
	slices.SortStableFunc(c.secrets, func(a, b string) int { return len(b) - len(a) })
	// A query on the base URL (an API key, an API version) stays at the
	// end of the request URL, after the appended path.
	base, query, _ := strings.Cut(t.URL, "?")
	base = strings.TrimRight(base, "/")
	switch t.API {
	case APIOpenAIChat, APIOpenAICompletions:
		c.isOpenAI, c.promptUsed = true, true
		c.isChat = t.API == APIOpenAIChat
		suffix := "/completions"
		if c.isChat {
			suffix = "/chat/completions"
		}
		switch {
		case strings.HasSuffix(base, "/v1"+suffix):
			c.url = base
		case strings.HasSuffix(base, "/v1"):
			c.url = base + suffix
		default:
			c.url = base + "/v1" + suffix
		}
		if t.Model == "" {
			return nil, fmt.Errorf("target: api %s needs a model", t.API)
		}
	case APIHTTP:
		if len(t.HTTP) == 0 {
			return nil, fmt.Errorf("target: api http needs a request spec")
		}
		total := 0.0
		for i := range t.HTTP {
			r, err := prepareHTTP(&t.HTTP[i], i, base, query)
			if err != nil {
				return nil, err
			}
			total += r.weight
			c.reqs = append(c.reqs, r)
		}
		cum := 0.0
		for i := range c.reqs {
			cum += c.reqs[i].weight / total
			c.reqs[i].cum = cum
		}
		c.reqs[len(c.reqs)-1].cum = 1
		for i := range c.reqs {
			if c.reqs[i].tmpl != nil || c.reqs[i].jbody != nil || c.reqs[i].pathT != nil {
				c.promptUsed = true
			}
		}
	default:
		return nil, fmt.Errorf("target: unknown api %q (want openai-chat, openai-completions or http)", t.API)
	}
	if c.isOpenAI {
		c.url = withQuery(c.url, query)
	}
	rt := t.Transport
	if rt == nil {
		rt = NewTransport(maxInFlight)
	}
	c.hc = &http.Client{
		Transport: rt,
		// A redirect is answered, not followed: its status is data.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// withQuery appends query (without its "?") to the URL u.
func withQuery(u, query string) string {
	switch {
	case query == "":
		return u
	case strings.Contains(u, "?"):
		return u + "&" + query
	}
	return u + "?" + query
}

// httpReq is one prepared request template of an http target.
type httpReq struct {
	spec   *HTTPSpec
	name   string
	url    string             // the request URL, when the path is static
	base   string             // base URL, for a path template
	query  string             // the base URL's query, kept at the end
	pathT  *template.Template // nil when the path is static
	tmpl   *template.Template // a text body template, or nil
	jbody  *jsonBody          // a JSON body template, or nil
	body   []byte             // the static body
	method string
	res    []*regexp.Regexp // per check, for CheckMatches
	weight float64
	cum    float64 // upper end of this template's share of [0, 1)
}

// prepareHTTP checks and compiles template i of an http target.
func prepareHTTP(s *HTTPSpec, i int, base, query string) (httpReq, error) {
	r := httpReq{spec: s, name: s.Name, base: base, query: query, weight: s.Weight}
	if r.name == "" {
		r.name = fmt.Sprintf("request %d", i+1)
	}
	if r.weight <= 0 || math.IsNaN(r.weight) || math.IsInf(r.weight, 0) {
		r.weight = 1
	}
	where := "target"
	if i > 0 || s.Name != "" {
		where = "target: " + r.name
	}
	if strings.Contains(s.Path, "{{") {
		tm, err := reqtmpl.Parse("path", s.Path)
		if err != nil {
			return r, fmt.Errorf("%s: path template: %w", where, err)
		}
		r.pathT = tm
	} else {
		r.url = withQuery(base+s.Path, query)
	}
	body := s.Body
	if s.BodyFile != "" {
		b, err := os.ReadFile(s.BodyFile)
		if err != nil {
			return r, fmt.Errorf("%s: body file: %w", where, err)
		}
		body = string(b)
	}
	switch {
	case len(s.JSONBody) > 0 && s.BodyFile == "":
		jb, compact, err := compileJSONBody(s.JSONBody)
		if err != nil {
			return r, fmt.Errorf("%s: %w", where, err)
		}
		r.jbody, r.body = jb, compact
		body = "{}" // for the default method
	case strings.Contains(body, "{{"):
		tm, err := reqtmpl.Parse("body", body)
		if err != nil {
			return r, fmt.Errorf("%s: body template: %w", where, err)
		}
		r.tmpl = tm
	default:
		r.body = []byte(body)
	}
	r.method = s.Method
	if r.method == "" {
		r.method = http.MethodGet
		if body != "" {
			r.method = http.MethodPost
		}
	}
	r.res = make([]*regexp.Regexp, len(s.Checks))
	for k, ch := range s.Checks {
		if ch.Path == "" {
			return r, fmt.Errorf("%s: check %d: empty JSON path", where, k+1)
		}
		switch ch.Op {
		case CheckExists, CheckEquals:
		case CheckMatches:
			re, err := regexp.Compile(ch.Value)
			if err != nil {
				return r, fmt.Errorf("%s: check %d (%s): %w", where, k+1, ch.Path, err)
			}
			r.res[k] = re
		default:
			return r, fmt.Errorf("%s: check %d (%s): unknown op %q (want exists, equals or matches)", where, k+1, ch.Path, ch.Op)
		}
	}
	return r, nil
}

// pick returns the template of request i: a fixed function of i, so both
// arms of a paired run send the same template for the same request.
func (c *client) pick(i uint64) *httpReq {
	if len(c.reqs) == 1 {
		return &c.reqs[0]
	}
	u := unitFloat(splitmix64(i ^ 0x7e3a1f))
	k, _ := slices.BinarySearchFunc(c.reqs, u, func(r httpReq, u float64) int {
		if r.cum <= u {
			return -1
		}
		return 1
	})
	return &c.reqs[min(k, len(c.reqs)-1)]
}

// requestURL returns the URL of prompt p sent with template r.
func (r *httpReq) requestURL(p *Prompt) (string, error) {
	if r.pathT == nil {
		return r.url, nil
	}
	var b strings.Builder
	if err := r.pathT.Execute(&b, p.Vars); err != nil {
		return "", fmt.Errorf("path template, request %d: %w", p.Index, err)
	}
	return withQuery(r.base+b.String(), r.query), nil
}

func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// secretParts returns what of a header value must never appear in a
// message: the value itself (4 bytes or more) and each of its words of 8
// bytes or more, since a server may echo only the token of
// "Bearer <token>".
func secretParts(v string) []string {
	var out []string
	if len(v) >= 4 {
		out = append(out, v)
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == ';' }) {
		if len(f) >= 8 && f != v {
			out = append(out, f)
		}
	}
	return out
}

// scrub removes secret header values from a message, including the start
// of one left at the end of a message that was cut in the middle of it (a
// body snippet, or text truncated with "...").
func (c *client) scrub(s string) string {
	for _, v := range c.secrets {
		s = strings.ReplaceAll(s, v, "***")
	}
	return maskCut(s, c.secrets)
}

// minCut is the shortest start of a secret that maskCut masks.
const minCut = 4

// maskCut masks the longest start (minCut bytes or more) of any secret that
// ends the message, before a closing `..."`, `...` or `"`.
func maskCut(s string, secrets []string) string {
	end := len(s)
	for _, suffix := range []string{`..."`, `...`, `"`} {
		if strings.HasSuffix(s, suffix) {
			end -= len(suffix)
			break
		}
	}
	head := s[:end]
	best := 0
	for _, v := range secrets {
		for k := min(len(v)-1, len(head)); k >= minCut && k > best; k-- {
			if strings.HasSuffix(head, v[:k]) {
				best = k
				break
			}
		}
	}
	if best == 0 {
		return s
	}
	return head[:end-best] + "***" + s[end:]
}

// chatBody and completionBody are the OpenAI request bodies.
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

// usesPrompt reports whether requests depend on the workload's prompts (a
// static HTTP body does not, so the prompt is not generated).
func (c *client) usesPrompt() bool { return c.promptUsed }

// fixedLength reports whether a request demands exactly its prompt's
// MaxTokens (an OpenAI API with ignore_eos), so a response of another
// length is a LengthMismatch.
func (c *client) fixedLength() bool { return c.isOpenAI && !c.t.FreeLength }

// buildBody returns the request body of prompt p (sent with template r
// on an http target).
func (c *client) buildBody(p *Prompt, r *httpReq) ([]byte, error) {
	if c.isOpenAI {
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
	if r.jbody != nil {
		b, err := r.jbody.render(p)
		if err != nil {
			return nil, fmt.Errorf("body template, request %d: %w", p.Index, err)
		}
		return b, nil
	}
	if r.tmpl == nil {
		return r.body, nil
	}
	var buf bytes.Buffer
	if err := r.tmpl.Execute(&buf, p.Vars); err != nil {
		return nil, fmt.Errorf("body template, request %d: %w", p.Index, err)
	}
	return buf.Bytes(), nil
}

// outcome is what one request produced; times are absolute.
type outcome struct {
	class   string // "" on success, an Err* class, or ClassCancelled
	status  int
	msg     string
	sent    time.Time
	first   time.Time // first content chunk (streaming), zero if none
	done    time.Time
	tokens  int
	itl     []time.Duration
	counted bool // tokens counted from chunks, not from usage
}

var errRequestTimeout = errors.New("request timeout")

// do sends prompt p and reads the response. itl is a reusable buffer for
// the inter-chunk gaps.
func (c *client) do(ctx context.Context, p *Prompt, itl []time.Duration) (o outcome) {
	var r *httpReq
	if len(c.reqs) > 1 {
		// Failures name the template when there are several.
		defer func() {
			if o.class != "" && o.class != ClassCancelled && r != nil {
				o.msg = r.name + ": " + o.msg
			}
		}()
	}
	method, u := http.MethodPost, c.url
	if !c.isOpenAI {
		r = c.pick(p.Index)
		method = r.method
		var err error
		if u, err = r.requestURL(p); err != nil {
			return outcome{class: ErrCheck, msg: c.scrub(err.Error()), sent: time.Now(), done: time.Now()}
		}
	}
	body, err := c.buildBody(p, r)
	if err != nil {
		// A template that fails on a row is a broken workload, reported
		// as a check failure of that request so the run goes on.
		return outcome{class: ErrCheck, msg: c.scrub(err.Error()), sent: time.Now(), done: time.Now()}
	}
	rctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errRequestTimeout)
	defer cancel()
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, u, rd)
	if err != nil {
		return outcome{class: ErrConnect, msg: c.scrub(err.Error()), sent: time.Now(), done: time.Now()}
	}
	for k, vs := range c.t.Headers {
		req.Header[k] = vs
	}
	if r != nil {
		for k, vs := range r.spec.Header {
			req.Header[k] = vs
		}
	}
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.isOpenAI && c.t.Stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	o = outcome{itl: itl[:0]}
	o.sent = time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		o.done = time.Now()
		o.class, o.msg = c.classify(rctx, ctx, ErrConnect, err)
		return o
	}
	defer resp.Body.Close()
	o.status = resp.StatusCode
	lr := &limitedReader{r: resp.Body, n: c.maxBody}
	switch {
	case resp.StatusCode >= 400 && !(r != nil && len(r.spec.Status) > 0 && r.statusAccepted(resp.StatusCode)):
		snippet, _ := io.ReadAll(io.LimitReader(lr, 512))
		o.done = time.Now()
		o.class = ErrHTTP4xx
		if resp.StatusCode >= 500 {
			o.class = ErrHTTP5xx
		}
		o.msg = c.scrub(fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(snippet))))
	case c.isOpenAI && c.t.Stream && resp.StatusCode/100 == 2:
		c.readStream(rctx, ctx, lr, &o)
	default:
		c.readBody(rctx, ctx, lr, resp, r, &o)
	}
	return o
}

// limitedReader reads at most n bytes and then fails, so an oversized body
// is an error rather than a silent truncation.
type limitedReader struct {
	r io.Reader
	n int64
}

var errBodyTooLarge = errors.New("response body larger than the limit")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if k, _ := l.r.Read(one[:]); k > 0 {
			return 0, errBodyTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// classify maps a transport error to an error class: the per-request
// timeout, the end of the run, or the given class.
func (c *client) classify(rctx, runCtx context.Context, class string, err error) (string, string) {
	switch {
	case context.Cause(rctx) == errRequestTimeout:
		return ErrTimeout, fmt.Sprintf("no complete response within %v", c.timeout)
	case runCtx.Err() != nil:
		return ClassCancelled, "cancelled at the end of the run"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is known; keep the cause
	}
	return class, c.scrub(err.Error())
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
	if e := root.Get("error"); e.Exists() && e.Type != gjson.Null {
		return false, false, usage, e.Raw, true
	}
	root.Get("choices").ForEach(func(_, ch gjson.Result) bool {
		for _, path := range [...]string{"delta.content", "delta.reasoning_content", "delta.reasoning", "text"} {
			if v := ch.Get(path); v.Type == gjson.String && v.Str != "" {
				content = true
			}
		}
		if f := ch.Get("finish_reason"); f.Type == gjson.String && f.Str != "" {
			finished = true
		}
		return true
	})
	if u := root.Get("usage.completion_tokens"); u.Type == gjson.Number {
		usage = int(u.Int())
	}
	return content, finished, usage, "", true
}

func (c *client) readStream(rctx, runCtx context.Context, r io.Reader, o *outcome) {
	sr := newSSEReader(r, DefaultMaxSSELine)
	var last time.Time
	chunks, usage := 0, -1
	finished, doneSeen := false, false
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
			chunks++
			if o.first.IsZero() {
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
	o.tokens = usage
	if usage < 0 {
		o.tokens, o.counted = chunks, true
	}
}

type completionBody struct {
	Choices []json.RawMessage `json:"choices"`
	Usage   *struct {
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func (c *client) readBody(rctx, runCtx context.Context, rd io.Reader, resp *http.Response, r *httpReq, o *outcome) {
	body, err := io.ReadAll(rd)
	o.done = time.Now()
	if err != nil {
		o.class, o.msg = c.classify(rctx, runCtx, ErrStream, err)
		return
	}
	if resp.StatusCode/100 != 2 || (r != nil && len(r.spec.Status) > 0) {
		if !r.statusAccepted(resp.StatusCode) {
			o.class = ErrCheck
			o.msg = fmt.Sprintf("status %d not accepted", resp.StatusCode)
			if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
				o.msg += c.scrub(" (a redirect to " + truncate(redactURL(loc), 120) + ", not followed)")
			}
			return
		}
	}
	if c.isOpenAI {
		var cb completionBody
		if err := json.Unmarshal(body, &cb); err != nil || len(cb.Choices) == 0 {
			o.class, o.msg = ErrStream, "undecodable completion body"
			return
		}
		if cb.Usage != nil {
			o.tokens = cb.Usage.CompletionTokens
		} else {
			o.tokens = -1
		}
		return
	}
	for i, ch := range r.spec.Checks {
		if !gjson.ValidBytes(body) {
			o.class, o.msg = ErrCheck, "response body is not JSON"
			return
		}
		v := gjson.GetBytes(body, ch.Path)
		ok := v.Exists()
		switch ch.Op {
		case CheckEquals:
			ok = ok && (v.String() == ch.Value || v.Raw == ch.Value)
		case CheckMatches:
			ok = ok && r.res[i].MatchString(v.String())
		}
		if !ok {
			o.class = ErrCheck
			o.msg = fmt.Sprintf("check %d failed: %s %s %q", i+1, ch.Path, ch.Op, ch.Value)
			return
		}
	}
}

// statusAccepted reports whether template r (nil: an OpenAI request)
// accepts status code.
func (r *httpReq) statusAccepted(code int) bool {
	if r == nil || len(r.spec.Status) == 0 {
		return code/100 == 2
	}
	for _, s := range r.spec.Status {
		if s == code {
			return true
		}
	}
	return false
}
