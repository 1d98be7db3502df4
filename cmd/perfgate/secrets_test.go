package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Planted secrets: a header value from the environment (under a name that
// does not look secret) and a GitHub token.
const (
	plantedHeader = "pgS3cr3tHeaderValue9f8e7d6c"
	plantedTenant = "tenantQ7w8e9r0t1y2u3"
	plantedToken  = "ghs_plantedToken1234567890abcdef"
)

// echoServer answers /health only with the planted headers, then fails
// some requests with bodies and SSE error events that echo every header
// it received, and serves the rest.
func echoServer(t *testing.T) string {
	t.Helper()
	var n atomic.Int64
	srv := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		var echo strings.Builder
		for k, vs := range r.Header {
			fmt.Fprintf(&echo, "%s=%s; ", k, strings.Join(vs, ","))
		}
		switch n.Add(1) % 4 {
		case 0:
			http.Error(w, "upstream failed, request headers: "+echo.String(), http.StatusBadGateway)
		case 1:
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "data: {\"error\":{\"message\":%q}}\n\n", "bad key: "+echo.String())
		case 2:
			// The secret straddles the 512-byte snippet of an error body.
			pad := strings.Repeat(".", 500)
			http.Error(w, pad+r.Header.Get("Authorization")+r.Header.Get("X-Tenant"), http.StatusUnauthorized)
		default:
			writeChunks(w, r, 4, 0)
		}
	})
	return srv.URL
}

const secretPolicy = `name: "secrets"
target: {
	url: "http://127.0.0.1:1"
	api: "openai-chat"
	model: "m"
	headers: {
		Authorization: {env: "PG_VALUE", prefix: "Bearer "}
		"X-Tenant": {env: "PG_TENANT"}
	}
	ready: {timeout: "3s", interval: "50ms"}
}
workload: prompts: {input_tokens: 8, output_tokens: 4}
scenarios: steady: {rate: 20, warmup: "200ms", duration: "1s", window: "500ms"}
slos: {"error_rate": "< 90%"}
`

// leaks returns where in the files under dirs and in the outputs any
// 8-byte piece of a planted secret appears. A line that masks a value for
// the runner's log (::add-mask::) is the one place a secret may be named.
func leaks(t *testing.T, outputs map[string]string, dirs ...string) []string {
	t.Helper()
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if b, err := os.ReadFile(p); err == nil {
					outputs[p] = string(b)
				}
			}
			return nil
		})
	}
	var found []string
	for where, s := range outputs {
		var kept []string
		for _, line := range strings.Split(s, "\n") {
			if !strings.HasPrefix(line, "::add-mask::") {
				kept = append(kept, line)
			}
		}
		s = strings.Join(kept, "\n")
		for _, secret := range []string{plantedHeader, plantedTenant, plantedToken} {
			for i := 0; i+8 <= len(secret); i++ {
				if strings.Contains(s, secret[i:i+8]) {
					found = append(found, fmt.Sprintf("%s holds %q of a secret", where, secret[i:i+8]))
					break
				}
			}
		}
	}
	return found
}

// TestSecretsNeverLeakFromRun plants a header secret and a GitHub token,
// runs perfgate run against a server that echoes request headers into its
// errors, saves the run as a baseline, and searches stdout, stderr, the
// reports and the stored record for any piece of the secrets.
func TestSecretsNeverLeakFromRun(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	target := echoServer(t)
	env := map[string]string{"PG_VALUE": plantedHeader, "PG_TENANT": plantedTenant, "GITHUB_TOKEN": plantedToken}
	out, store := t.TempDir(), t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"run", "--policy", writePolicy(t, secretPolicy), "--target", target,
		"--out", out, "--store", store, "--save-baseline", "--branch", "main", "--max-lag", "1s"},
		func(k string) string { return env[k] }, &stdout, &stderr)
	noCrash(t, stdout.String(), stderr.String())
	r := readRunReport(t, out)
	if len(r.Runs) != 1 || r.Runs[0].Errors["http-5xx"] == 0 || r.Runs[0].Errors["stream"] == 0 || r.Runs[0].Errors["http-4xx"] == 0 {
		t.Fatalf("exit %d: the echoing failures were not recorded: %+v\n%s", code, r.Runs, stderr.String())
	}
	if ex := r.Runs[0].ErrorExamples["http-5xx"]; !strings.Contains(ex, "***") {
		t.Errorf("the echoed header is not shown masked: %q", ex)
	}
	if found := leaks(t, map[string]string{"stdout": stdout.String(), "stderr": stderr.String()}, out, store); len(found) > 0 {
		t.Errorf("secrets leaked:\n%s", strings.Join(found, "\n"))
	}
	if entries, _ := os.ReadDir(store); len(entries) == 0 {
		t.Error("nothing was stored, so the stored record was not searched")
	}
}

// TestSecretsNeverLeakFromAction does the same through perfgate action on a
// pull request: the comment posted to GitHub, the step summary and the
// outputs join the searched places, and every secret is masked for the
// runner's log before it is used.
func TestSecretsNeverLeakFromAction(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	h := newActionHarness(t)
	if err := os.WriteFile(h.env["INPUT_POLICY"], []byte(secretPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	h.env["INPUT_TARGET"] = echoServer(t)
	h.env["INPUT_ALLOW-ENV"] = "PG_*"
	h.env["PG_VALUE"] = plantedHeader
	h.env["PG_TENANT"] = plantedTenant
	h.env["GITHUB_TOKEN"] = plantedToken
	code, stdout, stderr := h.run("pull_request", "pull_request_same_repo.json")
	noCrash(t, stdout, stderr)
	cs := h.gh.Comments("acme", "chat", 42)
	if len(cs) != 1 {
		t.Fatalf("exit %d, %d comments\n%s\n%s", code, len(cs), stdout, stderr)
	}
	for _, v := range []string{plantedHeader, plantedTenant, plantedToken} {
		if !strings.Contains(stdout, "::add-mask::"+v) {
			t.Errorf("%s… was not masked for the log", v[:6])
		}
	}
	outputs := map[string]string{"stdout": stdout, "stderr": stderr, "PR comment": cs[0].Body}
	if found := leaks(t, outputs, h.env["INPUT_OUT"], h.env["GITHUB_OUTPUT"], h.env["GITHUB_STEP_SUMMARY"]); len(found) > 0 {
		t.Errorf("secrets leaked:\n%s", strings.Join(found, "\n"))
	}
}
