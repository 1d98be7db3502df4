package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// headerRecorder is a server that records every header value it sees.
type headerRecorder struct {
	mu     sync.Mutex
	n      int
	values []string
}

func (h *headerRecorder) seen() (int, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n, strings.Join(h.values, "\n")
}

func recordingServer(t *testing.T, h *headerRecorder, serve http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.n++
		for k, vs := range r.Header {
			h.values = append(h.values, k+": "+strings.Join(vs, ","))
		}
		h.mu.Unlock()
		serve(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestSecretsGoOnlyToTheInvokersOrigin: the policy names a metrics
// endpoint on another origin (a server on another port that records every
// header it sees). It is scraped, without the secret; the target gets the
// secret; the report says the metrics went without it.
func TestSecretsGoOnlyToTheInvokersOrigin(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	var elsewhere, target headerRecorder
	metricsURL := recordingServer(t, &elsewhere, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "vllm:num_requests_running 1")
	})
	targetURL := recordingServer(t, &target, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			writeChunks(w, r, 2, 0)
		}
	})
	policy := strings.Replace(secretPolicy, `ready: {timeout: "3s", interval: "50ms"}`,
		`ready: {path: "/health", timeout: "3s", interval: "50ms"}
	metrics: {url: "`+metricsURL+`/metrics", interval: "100ms"}`, 1)
	env := map[string]string{"PG_VALUE": plantedHeader, "PG_TENANT": plantedTenant, "CI": "true"}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"run", "--policy", writePolicy(t, policy), "--target", targetURL,
		"--allow-env", "PG_*", "--out", out, "--max-lag", "1s"}, func(k string) string { return env[k] }, &stdout, &stderr)
	noCrash(t, stdout.String(), stderr.String())
	if code != exitPass {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	n, seen := elsewhere.seen()
	if n == 0 {
		t.Fatal("the metrics endpoint on another origin was never scraped: the test proves nothing")
	}
	for _, s := range []string{plantedHeader, plantedTenant} {
		if strings.Contains(seen, s[:8]) {
			t.Errorf("a secret reached the other origin:\n%s", seen)
		}
	}
	if _, seen := target.seen(); !strings.Contains(seen, "Bearer "+plantedHeader) || !strings.Contains(seen, plantedTenant) {
		t.Errorf("the target did not get the secrets: the test proves nothing")
	}
	comment, err := os.ReadFile(filepath.Join(out, "comment.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(comment), "scraped without the headers of target.headers") {
		t.Errorf("the report does not say the metrics went without the secrets:\n%s", comment)
	}
	if found := leaks(t, map[string]string{"stdout": stdout.String(), "stderr": stderr.String()}, out); len(found) > 0 {
		t.Errorf("secrets leaked:\n%s", strings.Join(found, "\n"))
	}
}

// TestCISecretsNeedTheInvokersURLs: in CI a policy that reads secrets
// cannot take its target or live baseline from the policy file.
func TestCISecretsNeedTheInvokersURLs(t *testing.T) {
	var elsewhere headerRecorder
	attacker := recordingServer(t, &elsewhere, func(http.ResponseWriter, *http.Request) {})
	target, hits := countingServer(t)
	policy := writePolicy(t, strings.Replace(secretPolicy, `url: "http://127.0.0.1:1"`, `url: "`+attacker+`"
	baseline_url: "`+attacker+`/b"`, 1))
	env := map[string]string{"PG_VALUE": plantedHeader, "PG_TENANT": plantedTenant, "CI": "true"}
	for _, args := range [][]string{{}, {"--target", target}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"run", "--policy", policy, "--allow-env", "PG_*", "--out", t.TempDir(), "--max-lag", "1s"}, args...),
			func(k string) string { return env[k] }, &stdout, &stderr)
		if code != exitInvalid || !strings.Contains(stderr.String(), "go only to URLs the workflow gives") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr.String())
		}
		if len(args) > 0 && !strings.Contains(stderr.String(), "--baseline-url") {
			t.Errorf("%v: does not say to give the baseline URL:\n%s", args, stderr.String())
		}
	}
	if n, _ := elsewhere.seen(); n != 0 || hits.Load() != 0 {
		t.Errorf("%d requests to the policy's URL, %d to the target", n, hits.Load())
	}
}
