package sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func opsPost(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDependency: a healthy dependency is called before each request; a
// slow one gets the fallback answer (streamed or not, and on /predict), or
// 503 without a fallback.
func TestDependency(t *testing.T) {
	var slow = make(chan struct{})
	calls := 0
	dep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		select {
		case <-slow:
			time.Sleep(300 * time.Millisecond)
		default:
		}
	}))
	defer dep.Close()
	cfg := fastConfig()
	cfg.Dependency = DependencyConfig{URL: dep.URL, Timeout: 100 * time.Millisecond, Fallback: "sorry, try again"}
	_, ts := startServer(t, cfg)
	chat := `{"model":"sim-llama-3.1-8b","messages":[{"role":"user","content":"hi"}],"max_tokens":3}`
	if code, body := opsPost(t, ts.URL+"/v1/chat/completions", chat); code != 200 || strings.Contains(body, "sorry") || calls != 1 {
		t.Fatalf("healthy dependency: %d %s (calls %d)", code, body, calls)
	}
	close(slow)
	if code, body := opsPost(t, ts.URL+"/v1/chat/completions", chat); code != 200 || !strings.Contains(body, `"content":"sorry, try again"`) {
		t.Errorf("fallback: %d %s", code, body)
	}
	stream := strings.Replace(chat, `"max_tokens":3`, `"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}`, 1)
	if code, body := opsPost(t, ts.URL+"/v1/chat/completions", stream); code != 200 || !strings.Contains(body, "sorry, try again") || !strings.Contains(body, `"completion_tokens":1`) || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Errorf("streamed fallback: %d %s", code, body)
	}
	if code, body := opsPost(t, ts.URL+"/predict", `{"instances":[1]}`); code != 200 || !strings.Contains(body, `"fallback":"sorry, try again"`) {
		t.Errorf("/predict fallback: %d %s", code, body)
	}
	cfg.Dependency.Fallback = ""
	_, ts2 := startServer(t, cfg)
	if code, body := opsPost(t, ts2.URL+"/v1/chat/completions", chat); code != 503 || !strings.Contains(body, "did not answer within 100ms") {
		t.Errorf("no fallback: %d %s", code, body)
	}
}

// TestGPUMetricsAndAutoscale: --dcgm exposes the GPU series; --autoscale
// adds a replica the configured delay after the queue stayed long.
func TestGPUMetricsAndAutoscale(t *testing.T) {
	cfg := fastConfig()
	cfg.Slots = 1
	cfg.GPU.Enabled = true
	cfg.Autoscale = AutoscaleConfig{Enabled: true, Max: 2, Delay: 200 * time.Millisecond, QueueThreshold: 1, Sustain: 100 * time.Millisecond}
	s, ts := startServer(t, cfg)
	var wg sync.WaitGroup
	defer wg.Wait()
	for range 6 {
		wg.Go(func() {
			resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(`{"model":"sim-llama-3.1-8b","prompt":"hi","max_tokens":300,"ignore_eos":true}`))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.ScaleEvents()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no replica added within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ev := s.ScaleEvents()[0]
	if ev.Replicas != 2 || ev.Ready.Sub(ev.Ordered) != 200*time.Millisecond {
		t.Errorf("scale event %+v", ev)
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`DCGM_FI_DEV_GPU_UTIL{Hostname="perfgate-sim",UUID=`, `gpu="1"`, "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", `perfgate_sim_replicas{model_name="sim-llama-3.1-8b"} 2`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if u, fb, n := s.GPUTruth(time.Now().Add(-time.Second), time.Now()); n == 0 || !(u > 0) || !(fb > cfg.GPU.WeightsMiB) {
		t.Errorf("ground truth: util %.1f%%, fb %.0f MiB from %d samples", u, fb, n)
	}
}
