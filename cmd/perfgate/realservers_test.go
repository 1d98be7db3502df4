package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWhatRealServersDo covers what llama.cpp's server and a vLLM
// simulator did that perfgate's own simulator does not: a server that
// answers with its own model name, one that generates past max_tokens,
// and one that shuts down mid-run (503 "shutting down", then refused).
func TestWhatRealServersDo(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	capture, err := os.ReadFile(filepath.Join("..", "..", "gate", "load", "testdata", "captures", "llamacpp-chat-stream.sse"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("model name ignored", func(t *testing.T) {
		t.Parallel()
		srv := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(capture) // llama.cpp answers "model":"small" whatever was asked
		})
		out := runFaultPolicy(t, srv.URL)
		r := readRunReport(t, out)
		n := 0
		for _, w := range r.Warnings {
			if strings.Contains(w, `answered as model "small" to requests for "m"`) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the ignored model name is noted %d times, want once: %q", n, r.Warnings)
		}
	})
	t.Run("generates past max_tokens", func(t *testing.T) {
		t.Parallel()
		srv := faultServer(t, func(w http.ResponseWriter, r *http.Request) { writeChunks(w, r, 12, 0) })
		out := runFaultPolicy(t, srv.URL)
		md, _ := os.ReadFile(filepath.Join(out, "comment.md"))
		if !strings.Contains(string(md), "successful responses were not max_tokens long") {
			t.Errorf("the comment does not say the length was not controlled:\n%s", md)
		}
	})
	t.Run("a queue no metric shows", func(t *testing.T) {
		t.Parallel()
		var start atomic.Int64
		srv := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/metrics" {
				io.WriteString(w, "llamacpp:requests_deferred 0\nllamacpp:requests_processing 4\n")
				return
			}
			// Each request waits longer for its first token, as behind a
			// queue in the server's HTTP thread pool; the gauge stays 0.
			now := time.Now().UnixNano()
			start.CompareAndSwap(0, now)
			waitOrGone(r, time.Duration(2.5*float64(now-start.Load())))
			writeChunks(w, r, 4, 0)
		})
		out := runFaultPolicy(t, srv.URL, `target: metrics: {url: "/metrics", interval: "100ms"}`)
		r := readRunReport(t, out)
		if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "a queue that metric does not count") }) {
			t.Errorf("the disagreement of TTFT and the queue metric is not noted: %q", r.Warnings)
		}
	})
	t.Run("shuts down mid-run", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int64
		var once sync.Once
		var srv *httptest.Server
		srv = faultServer(t, func(w http.ResponseWriter, r *http.Request) {
			switch k := n.Add(1); {
			case k <= 6:
				writeChunks(w, r, 4, 0)
			case k <= 12:
				w.Header().Set("Connection", "close")
				http.Error(w, `{"error":{"code":503,"message":"server is shutting down","type":"unavailable_error"}}`, http.StatusServiceUnavailable)
			default:
				once.Do(func() { go func() { srv.Listener.Close(); srv.CloseClientConnections() }() })
				http.Error(w, "gone", http.StatusServiceUnavailable)
			}
		})
		out := runFaultPolicy(t, srv.URL)
		r := readRunReport(t, out)
		run := r.Runs[0]
		if run.Errors["connect"] == 0 || run.Errors["http-5xx"] == 0 ||
			!strings.Contains(run.ErrorExamples["connect"], "refused") || !strings.Contains(run.ErrorExamples["http-5xx"], "shutting down") {
			t.Errorf("refused and 503 shutting down are not told apart: %v %q", run.Errors, run.ErrorExamples)
		}
		md, _ := os.ReadFile(filepath.Join(out, "comment.md"))
		for _, want := range []string{"refused", "shutting down"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("the comment does not say %q:\n%s", want, md)
			}
		}
	})
}

// runFaultPolicy runs the fault policy (with the given extra lines) against
// url and returns the report directory; it fails on a crash or an exit
// other than 0, 1 or 3.
func runFaultPolicy(t *testing.T, url string, extra ...string) string {
	t.Helper()
	out := t.TempDir()
	pol := faultPolicy("5s") + strings.Join(extra, "\n") + "\n"
	code, stdout, stderr := perfgate(context.Background(), t, "run", "--policy", writePolicy(t, pol), "--target", url, "--out", out, "--quiet", "--max-lag", "1s")
	noCrash(t, stdout, stderr)
	if !slices.Contains([]int{exitPass, exitFail, exitNoTrust}, code) {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	return out
}
