package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/policies"
)

// TestPrometheusTokenGoesOnlyToTheWorkflowsURL: in CI a policy (which a
// pull request can change) may send its Prometheus token only to the URL
// the workflow names in PERFGATE_PROMETHEUS_URL.
func TestPrometheusTokenGoesOnlyToTheWorkflowsURL(t *testing.T) {
	p, err := policies.Parse("prom.cue", []byte(`name: "chat"
target: {
	url: "http://127.0.0.1:8000", api: "openai-chat", model: "m"
	prometheus: {url: "https://prometheus.example.com", queries: gpu: "avg(DCGM_FI_DEV_GPU_UTIL)", token: env: "PROM_TOKEN"}
}
scenarios: steady: rate: 5
slos: "ttft.p95": "< 2s"
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, trusted string
		ci, ok        bool
	}{
		{"outside CI", "", false, true},
		{"CI, no URL named", "", true, false},
		{"CI, another URL", "https://evil.example.net", true, false},
		{"CI, the policy's URL", "https://prometheus.example.com/", true, true},
	} {
		env := map[string]string{"PERFGATE_PROMETHEUS_URL": tc.trusted}
		o := Options{TargetURL: "http://127.0.0.1:8000", EnvRule: policies.EnvRule{CI: tc.ci, Allow: []string{"PROM_TOKEN"}}, Getenv: func(k string) string { return env[k] }}
		_, err := o.resolve(p)
		var inv *InvalidError
		if tc.ok != (err == nil) || (err != nil && (!errors.As(err, &inv) || !strings.Contains(err.Error(), "PERFGATE_PROMETHEUS_URL"))) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
