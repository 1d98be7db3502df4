package faultinject

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfgate/perfgate/internal/toxitest"
	"github.com/perfgate/perfgate/policies"
)

func dur(d time.Duration) *policies.Duration { p := policies.Duration(d); return &p }

// TestToxicAddedAndRemoved runs a latency toxic on a real Toxiproxy for
// 300 ms and checks that it exists during the fault and not after.
func TestToxicAddedAndRemoved(t *testing.T) {
	api := toxitest.Start(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	toxitest.Proxy(t, api, "fi-added", strings.TrimPrefix(up.URL, "http://"))
	f := policies.Fault{Name: "slow", At: policies.Duration(100 * time.Millisecond), For: policies.Duration(300 * time.Millisecond),
		Toxiproxy: &policies.Toxic{URL: api, Proxy: "fi-added", Type: "latency", Stream: "downstream", Toxicity: 1, Latency: dur(500 * time.Millisecond)}}
	start := time.Now()
	s := Start(context.Background(), []policies.Fault{f}, start, 0, func(string) string { return "" })
	time.Sleep(250 * time.Millisecond)
	if got := toxitest.Toxics(t, api, "fi-added"); !slices.Equal(got, []string{"slow"}) {
		t.Errorf("toxics during the fault: %v, want [slow]", got)
	}
	time.Sleep(300 * time.Millisecond)
	if got := toxitest.Toxics(t, api, "fi-added"); len(got) != 0 {
		t.Errorf("toxics after the fault: %v, want none", got)
	}
	ph := s.Finish(start)
	if len(ph) != 1 || !ph[0].Started || !ph[0].Stopped || ph[0].Interrupted || ph[0].StartError != "" || ph[0].StopError != "" {
		t.Fatalf("phase: %+v", ph)
	}
	if ph[0].StartSeconds < 0.09 || ph[0].StopSeconds < ph[0].StartSeconds+0.29 {
		t.Errorf("timing: start %.3f s, stop %.3f s; want about 0.1 and 0.4", ph[0].StartSeconds, ph[0].StopSeconds)
	}
}

// TestInterruptedRunStopsTheFault cancels the run during a fault: Finish
// still removes the toxic, and says the fault was interrupted.
func TestInterruptedRunStopsTheFault(t *testing.T) {
	api := toxitest.Start(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	toxitest.Proxy(t, api, "fi-cancel", strings.TrimPrefix(up.URL, "http://"))
	f := policies.Fault{Name: "cut", At: 0, For: policies.Duration(time.Hour),
		Toxiproxy: &policies.Toxic{URL: api, Proxy: "fi-cancel", Type: "timeout", Stream: "downstream", Toxicity: 1, Timeout: dur(0)}}
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	s := Start(ctx, []policies.Fault{f}, start, 0, func(string) string { return "" })
	deadline := time.Now().Add(5 * time.Second)
	for len(toxitest.Toxics(t, api, "fi-cancel")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the toxic was never added")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	ph := s.Finish(start)
	if got := toxitest.Toxics(t, api, "fi-cancel"); len(got) != 0 {
		t.Errorf("toxics after an interrupted run: %v, want none", got)
	}
	if !ph[0].Interrupted || !ph[0].Stopped {
		t.Errorf("phase: %+v, want interrupted and stopped", ph[0])
	}
}

// TestHooks runs HTTP and command hooks: a header read from the
// environment is sent and masked in errors; a failing command reports its
// output; a fault that never started is never stopped.
func TestHooks(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Path == "/stop" {
			http.Error(w, "token s3cret refused", http.StatusForbidden)
		}
	}))
	defer srv.Close()
	hdr := map[string]policies.EnvValue{"Authorization": {Env: "HOOK_TOKEN", Prefix: "Bearer "}}
	getenv := func(k string) string {
		if k == "HOOK_TOKEN" {
			return "s3cret"
		}
		return ""
	}
	faults := []policies.Fault{
		{Name: "a", At: 0, For: policies.Duration(50 * time.Millisecond),
			Start: &policies.Hook{HTTP: &policies.HookHTTP{Method: "POST", URL: srv.URL + "/start", Headers: hdr}, Timeout: policies.Duration(5 * time.Second)},
			Stop:  &policies.Hook{HTTP: &policies.HookHTTP{Method: "POST", URL: srv.URL + "/stop", Headers: hdr}, Timeout: policies.Duration(5 * time.Second)}},
		{Name: "b", At: 0, For: policies.Duration(50 * time.Millisecond),
			Start: &policies.Hook{Command: []string{"sh", "-c", "echo no such service >&2; exit 3"}, Timeout: policies.Duration(5 * time.Second)}},
		{Name: "later", At: policies.Duration(time.Hour), For: policies.Duration(time.Second),
			Start: &policies.Hook{HTTP: &policies.HookHTTP{Method: "POST", URL: srv.URL + "/never"}, Timeout: policies.Duration(time.Second)},
			Stop:  &policies.Hook{HTTP: &policies.HookHTTP{Method: "POST", URL: srv.URL + "/never"}, Timeout: policies.Duration(time.Second)}},
	}
	start := time.Now()
	s := Start(context.Background(), faults, start, 0, getenv)
	time.Sleep(300 * time.Millisecond)
	ph := s.Finish(start)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, []string{"POST /start Bearer s3cret", "POST /stop Bearer s3cret"}) {
		t.Errorf("requests: %q", got)
	}
	if e := ph[0].StopError; !strings.Contains(e, "HTTP 403") || strings.Contains(e, "s3cret") || !strings.Contains(e, "***") {
		t.Errorf("stop error %q: want HTTP 403 with the secret masked", e)
	}
	if e := ph[1].StartError; !strings.Contains(e, "exit status 3") || !strings.Contains(e, "no such service") {
		t.Errorf("command error %q", e)
	}
	if ph[2].Started || ph[2].Stopped || ph[2].StartError != "" {
		t.Errorf("a fault after the run: %+v", ph[2])
	}
}
