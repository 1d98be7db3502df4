// Package fakegithub is an in-memory fake of the GitHub REST API for tests,
// served by httptest on 127.0.0.1 and reached through go-github.
//
// It models what perfgate uses with GitHub's status codes and error bodies:
// repositories, git objects (blobs, trees, commits, refs) with real git
// object hashes, the contents API with blob SHAs as optimistic locks,
// branches, and Link-header pagination. Every endpoint is counted, a
// read-only switch answers writes with 403 as a read-only workflow token
// does, and FailNext injects errors.
//
// Each API area lives in its own file (repos.go, git.go, contents.go,
// branches.go) with a register function called by New; the state of a
// repository is the repo type, guarded by Server.mu. A new area adds a
// file, its fields on repo, and one register call.
package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// Server is a fake GitHub REST API. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the API, e.g. "http://127.0.0.1:PORT/".
	URL string

	srv *httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	repos    map[string]*repo // "owner/name"
	calls    map[string]int   // operation -> count
	statuses map[string]map[int]int
	failures map[string][]int // operation -> statuses of the next calls
	// rateLimits holds the Retry-After of the next calls of an operation
	// that hit a secondary rate limit.
	rateLimits map[string][]time.Duration
	readOnly   bool
	token      string
	// treeLimit caps the entries of a recursive tree response; beyond it
	// the response is truncated, as GitHub's is past 100,000 entries.
	treeLimit int
	// dirLimit caps the entries of a contents directory listing (1,000 on
	// GitHub).
	dirLimit int
	seq      int // makes commit hashes unique
}

// New starts a fake GitHub API on 127.0.0.1. Close it when done (Client
// registers that with t.Cleanup).
func New() *Server {
	s := &Server{
		mux:       http.NewServeMux(),
		repos:     map[string]*repo{},
		calls:     map[string]int{},
		statuses:  map[string]map[int]int{},
		failures:  map[string][]int{},
		treeLimit: 100000,
		dirLimit:  1000,
	}
	s.registerRepos()
	s.registerGit()
	s.registerContents()
	s.registerBranches()
	s.registerComments()
	s.registerPulls()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.count("unknown " + r.Method + " " + r.URL.Path)
		writeError(w, http.StatusNotFound, "Not Found")
	})
	s.srv = httptest.NewServer(s.mux) // listens on 127.0.0.1
	s.URL = s.srv.URL + "/"
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Client returns a go-github client pointed at the server, closes the server
// when the test ends, and sends the token set with RequireToken, if any.
func (s *Server) Client(t testing.TB) *github.Client {
	t.Helper()
	t.Cleanup(s.Close)
	c := github.NewClient(s.srv.Client())
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatalf("fakegithub: %v", err)
	}
	c.BaseURL, c.UploadURL = u, u
	s.mu.Lock()
	token := s.token
	s.mu.Unlock()
	if token != "" {
		c = c.WithAuthToken(token)
	}
	return c
}

// RequireToken makes every request without "Authorization: Bearer token"
// (or "token token") fail with 401 Bad credentials.
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// SetReadOnly switches read-only mode: every write answers 403 "Resource
// not accessible by integration", like a read-only workflow token.
func (s *Server) SetReadOnly(ro bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnly = ro
}

// SetTreeLimit sets how many entries a recursive tree response holds before
// it is truncated (default 100,000, GitHub's limit). Non-recursive
// responses, GitHub's remedy for truncation, are never truncated.
func (s *Server) SetTreeLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.treeLimit = n
}

// FailNext makes the next n calls of op (one of the Op constants) fail with
// status and a GitHub-style error body, before any other processing.
func (s *Server) FailNext(op string, status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[op] = append(s.failures[op], status)
	}
}

// Calls returns how many requests op (one of the Op constants) received,
// including failed ones.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// CallCounts returns a copy of every counter, keyed by operation. Requests
// that matched no endpoint are counted under "unknown METHOD PATH".
func (s *Server) CallCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// ResetCalls sets every counter to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
	s.statuses = map[string]map[int]int{}
}

func (s *Server) count(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
}

// handle registers an operation written as GitHub documents it ("PUT
// /repos/{owner}/{repo}/contents/{path}"). The handler runs with s.mu held
// and the repository resolved; it returns the status and the JSON body.
func (s *Server) handle(op string, h func(w http.ResponseWriter, r *http.Request, rp *repo) (int, any)) {
	pattern := op
	// A trailing path, ref or branch may hold slashes: {path} -> {path...}.
	for _, p := range []string{"{path}", "{ref}", "{branch}", "{tree_sha}"} {
		if strings.HasSuffix(pattern, p) {
			pattern = strings.TrimSuffix(pattern, "}") + "...}"
		}
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.dispatch(op, w, r, h)
	})
}

// dispatch counts a call of op, serves it with h and writes the response.
// Routes that share one mux pattern call it with the operation they chose.
func (s *Server) dispatch(op string, w http.ResponseWriter, r *http.Request, h func(w http.ResponseWriter, r *http.Request, rp *repo) (int, any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	status, body := s.serve(op, w, r, h)
	if s.statuses[op] == nil {
		s.statuses[op] = map[int]int{}
	}
	s.statuses[op][status]++
	if e, ok := body.(apiError); ok {
		writeError(w, status, string(e))
		return
	}
	writeJSON(w, status, body)
}

// serve applies authentication, injected failures and read-only mode, then
// runs h. It runs with s.mu held.
func (s *Server) serve(op string, w http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request, *repo) (int, any)) (int, any) {
	if s.token != "" {
		auth := r.Header.Get("Authorization")
		if auth != "Bearer "+s.token && auth != "token "+s.token {
			return http.StatusUnauthorized, apiError("Bad credentials")
		}
	}
	if d := s.rateLimits[op]; len(d) > 0 {
		s.rateLimits[op] = d[1:]
		return secondaryRateLimited(w, d[0])
	}
	if f := s.failures[op]; len(f) > 0 {
		s.failures[op] = f[1:]
		return f[0], apiError(http.StatusText(f[0]))
	}
	if s.readOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return http.StatusForbidden, apiError("Resource not accessible by integration")
	}
	rp := s.repos[r.PathValue("owner")+"/"+r.PathValue("repo")]
	if rp == nil {
		return http.StatusNotFound, apiError("Not Found")
	}
	return h(w, r, rp)
}

// Statuses returns how many responses of each HTTP status op (one of the
// Op constants) has given.
func (s *Server) Statuses(op string) map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]int{}
	for k, v := range s.statuses[op] {
		out[k] = v
	}
	return out
}

// apiError is a handler result rendered as GitHub's error body.
type apiError string

func errorf(format string, args ...any) apiError { return apiError(fmt.Sprintf(format, args...)) }

// writeError writes GitHub's error body.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest",
		"status":            fmt.Sprint(status),
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if body != nil && status != http.StatusNoContent {
		json.NewEncoder(w).Encode(body)
	}
}

// decodeBody reads a JSON request body into v.
func decodeBody(r *http.Request, v any) apiError {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return errorf("Problems parsing JSON")
	}
	return ""
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
