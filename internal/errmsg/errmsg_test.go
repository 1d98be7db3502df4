package errmsg

import (
	"os"
	"strings"
	"testing"
)

// capture reads a real server's recorded error body (gate/load's copies of
// the captures).
func capture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../gate/load/testdata/captures/" + name)
	if err != nil {
		t.Fatalf("capture %s: %v", name, err)
	}
	return strings.TrimSpace(string(b))
}

func TestShort(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"vllm unknown model", "404 Not Found: " + `{"error":{"message":"The model ` + "`wrong-model`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}}`,
			"404 Not Found: The model `wrong-model` does not exist."},
		{"sim unknown model, top-level message", `404 Not Found: {"object":"error","message":"The model ` + "`sim-llama-8b`" + ` does not exist.","type":"NotFoundError","code":404}`,
			"404 Not Found: The model `sim-llama-8b` does not exist."},
		{"fastapi detail", `500 Internal Server Error: {"detail":"CUDA out of memory"}`, "500 Internal Server Error: CUDA out of memory"},
		{"template name kept", `predict: 503 Service Unavailable: {"error":"overloaded"}`, "predict: 503 Service Unavailable: overloaded"},
		{"cut body", `500 Internal Server Error: {"error":{"code":500,"message":"CUDA out of mem`, "500 Internal Server Error: CUDA out of mem"},
		{"plain text", "500 Internal Server Error: upstream\r\n\tdied\x1b[31m", "500 Internal Server Error: upstream died [31m"},
		{"not an HTTP error", "connection refused", "connection refused"},
	}
	for _, c := range cases {
		if got := Short(c.in); got != c.want {
			t.Errorf("%s: Short(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
	long := Short("500 Internal Server Error: " + strings.Repeat("é", 400))
	if len(long) > Max+3 || !strings.HasSuffix(long, "...") {
		t.Errorf("long message: %d bytes %q", len(long), long)
	}
}

func TestShortCaptures(t *testing.T) {
	if got, want := Short("404 Not Found: "+capture(t, "vllmsim-unknown-model.json")), "404 Not Found: The model `wrong-model` does not exist."; got != want {
		t.Errorf("vLLM simulator: %q, want %q", got, want)
	}
	if got := Short("500 Internal Server Error: " + capture(t, "llamacpp-bad-request.json")); !strings.HasPrefix(got, "500 Internal Server Error: [json.exception.parse_error.101] parse error") {
		t.Errorf("llama.cpp: %q", got)
	}
}
