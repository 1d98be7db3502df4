// Package toxitest runs a real Toxiproxy server (github.com/Shopify/toxiproxy,
// its Go module) inside a test process, bound to 127.0.0.1 on a free port,
// for the tests of fault phases. Only tests import it.
package toxitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

var (
	once   sync.Once
	apiURL string
	err    error
)

// Start returns the API URL of the process's Toxiproxy server, starting
// it on first use (a Toxiproxy server cannot be shut down; it lives as
// long as the test binary). Each test should use proxies of its own names.
func Start(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		var ln net.Listener
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
		go srv.Listen("127.0.0.1", strconv.Itoa(port))
		apiURL = "http://127.0.0.1:" + strconv.Itoa(port)
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, e := http.Get(apiURL + "/version")
			if e == nil {
				resp.Body.Close()
				return
			}
			if time.Now().After(deadline) {
				err = fmt.Errorf("toxiproxy did not start on %s: %v", apiURL, e)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return apiURL
}

// Proxy creates proxy name in front of upstream (host:port) on a free
// loopback port and returns the address it listens on; the proxy is
// deleted when the test ends.
func Proxy(t testing.TB, api, name, upstream string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "listen": "127.0.0.1:0", "upstream": upstream, "enabled": true})
	resp, err := http.Post(api+"/proxies", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct {
		Listen string `json:"listen"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating proxy %s: HTTP %d, %v", name, resp.StatusCode, err)
	}
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, api+"/proxies/"+name, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	return p.Listen
}

// Toxics returns the names of the toxics on proxy name.
func Toxics(t testing.TB, api, name string) []string {
	t.Helper()
	resp, err := http.Get(api + "/proxies/" + name + "/toxics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ts []struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ts); err != nil {
		t.Fatalf("toxics of %s: %v", name, err)
	}
	var out []string
	for _, x := range ts {
		out = append(out, x.Name)
	}
	return out
}
