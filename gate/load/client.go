package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/perfgate/perfgate/internal/redact"
)

// client sends one kind of request to one target. It is built once per run
// (prepare) and shared by the workers.
type client struct {
	t       Target
	url     string // request URL
	display string // URL for reports (credentials redacted)
	hc      *http.Client
	// fresh sends a request again on a new connection (see send).
	fresh   *http.Client
	timeout time.Duration
	maxBody int64
	reqs    []httpReq // the templates of an http target
	// promptUsed: requests depend on the workload's prompt (set once,
	// read per request).
	promptUsed bool
	secrets    []string
	// prefix is "scheme://authority/" of the target's URL as written:
	// every URL that starts with it is on the target's origin.
	prefix   string
	isChat   bool
	isOpenAI bool
	isEmbed  bool // OpenAI embeddings: a JSON answer, no tokens
	// keep: the response body (the assembled answer of a stream) is kept
	// in the outcome, for a journey step's checks and extracts.
	keep bool
	// journeys are the journeys of a journey target (nil otherwise).
	journeys []journey
}

func prepareClient(t Target, maxInFlight int) (*client, error) {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target: url %q is not an absolute http(s) URL", redact.URL(t.URL))
	}
	c := &client{t: t, timeout: t.Timeout, maxBody: t.MaxBody, display: redact.Parsed(u), secrets: targetSecrets(t, u)}
	if i := strings.Index(t.URL, "://"); i > 0 {
		if j := strings.IndexAny(t.URL[i+3:], "/?#"); j >= 0 && t.URL[i+3+j] == '/' {
			c.prefix = t.URL[:i+3+j+1]
		} else if j < 0 {
			c.prefix = t.URL + "/"
		}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	// A query on the base URL (an API key, an API version) stays at the
	// end of the request URL, after the appended path.
	base, query, _ := strings.Cut(t.URL, "?")
	base = strings.TrimRight(base, "/")
	if len(t.Journeys) == 0 {
		if err := c.setAPI(t.API, t.HTTP, base, query); err != nil {
			return nil, err
		}
	}
	rt := t.Transport
	if rt == nil {
		rt = NewTransport(maxInFlight)
	}
	// A redirect is answered, not followed: its status is data.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &http.Client{Transport: rt, CheckRedirect: noRedirect}
	c.fresh = c.hc
	if tr, ok := rt.(*http.Transport); ok {
		ft := tr.Clone()
		ft.DisableKeepAlives = true
		c.fresh = &http.Client{Transport: ft, CheckRedirect: noRedirect}
	}
	if len(t.Journeys) > 0 {
		if err := c.prepareJourneys(base, query); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// setAPI prepares c to send requests of one API kind: the endpoint of an
// OpenAI API under base, or the templates of an http target.
func (c *client) setAPI(api string, specs []HTTPSpec, base, query string) error {
	switch api {
	case APIOpenAIChat, APIOpenAICompletions:
		c.isOpenAI, c.promptUsed = true, true
		c.isChat = api == APIOpenAIChat
		c.url = withQuery(openAIURL(base, c.isChat), query)
		if c.t.Model == "" {
			return fmt.Errorf("target: api %s needs a model", api)
		}
	case APIOpenAIEmbeddings:
		c.isEmbed, c.promptUsed = true, true
		c.url = withQuery(embeddingsURL(base), query)
		if c.t.Model == "" {
			return fmt.Errorf("target: api %s needs a model", api)
		}
	case APIHTTP:
		var err error
		if c.reqs, err = prepareHTTPReqs(specs, base, query); err != nil {
			return err
		}
		for i := range c.reqs {
			c.promptUsed = c.promptUsed || c.reqs[i].usesPrompt()
		}
	default:
		return fmt.Errorf("target: unknown api %q (want openai-chat, openai-completions, openai-embeddings or http)", api)
	}
	return nil
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
	if c.isEmbed {
		return embeddingsBody(c.t.Model, p.Text)
	}
	if c.isOpenAI {
		return c.openAIBody(p)
	}
	return r.render(p)
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
	// model is the model a response named, when it is not the one asked
	// for ("" otherwise).
	model string
	// resent: the request was sent again on a fresh connection after a
	// kept-alive one failed before any response (see client.send).
	resent bool
	// body is the response body (a stream's assembled answer) when the
	// client keeps it (client.keep).
	body []byte
	// journey and steps: what a journey did (a journey target only).
	journey string
	steps   []StepSample
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
	if !c.isOpenAI && !c.isEmbed {
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
	build := func(ctx context.Context) (*http.Request, error) {
		var rd io.Reader
		if len(body) > 0 {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, err
		}
		if c.sendsSecrets(u) {
			for k, vs := range c.t.Headers {
				req.Header[k] = vs
			}
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
		return req, nil
	}
	req, err := build(rctx)
	if err != nil {
		return outcome{class: ErrConnect, msg: c.scrub(err.Error()), sent: time.Now(), done: time.Now()}
	}
	o = outcome{itl: itl[:0]}
	o.sent = time.Now()
	resp, err := c.send(rctx, req, build, &o)
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
				o.msg += c.scrub(" (a redirect to " + truncate(redact.URL(loc), 120) + ", not followed)")
			}
			return
		}
	}
	if c.keep {
		o.body = body
	}
	if c.isEmbed {
		if !gjson.GetBytes(body, "data.0.embedding").IsArray() {
			o.class, o.msg = ErrStream, "an embeddings response without data.0.embedding: "+quoteShort(c.scrub(string(body)), 120)
		}
		return
	}
	if c.isOpenAI {
		c.readCompletion(body, o)
		return
	}
	if msg := r.check(body); msg != "" {
		o.class, o.msg = ErrCheck, msg
	}
}
