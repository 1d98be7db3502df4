package load

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"time"
)

// API kinds of a Target.
const (
	APIOpenAIChat        = "openai-chat"
	APIOpenAICompletions = "openai-completions"
	APIHTTP              = "http"
	// APIOpenAIEmbeddings is OpenAI's /v1/embeddings; only a journey step
	// uses it.
	APIOpenAIEmbeddings = "openai-embeddings"
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
	// Journeys, when set, make every arrival a journey: a request of
	// each step in turn (see Journey). API and HTTP then only give the
	// steps their defaults.
	Journeys []Journey
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
	CheckAbsent  = "absent"
	CheckEquals  = "equals"
	CheckMatches = "matches"
)

// Check is one assertion on a JSON response body. Path uses gjson syntax
// ("data.0.label", "choices.#"); Equals compares the value's text (or its
// raw JSON) with Value; Matches applies the regular expression Value to the
// value's text.
type Check struct {
	Path  string
	Op    string // CheckExists, CheckAbsent, CheckEquals or CheckMatches
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
		// Smaller than the 4 KiB defaults: a test holds thousands of
		// connections open, each with both buffers, while a request
		// (headers and a prompt) and a streamed chunk are far smaller; a
		// larger body takes a few more system calls, not more memory per
		// connection (docs/benchmarks.md, streaming at high concurrency).
		WriteBufferSize: 1024,
		ReadBufferSize:  2048,
	}
}
