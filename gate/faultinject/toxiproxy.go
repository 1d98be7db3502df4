package faultinject

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/perfgate/perfgate/policies"
)

// toxiproxyTimeout bounds one request to the Toxiproxy API.
const toxiproxyTimeout = 10 * time.Second

// ToxicHooks returns the hooks that add toxic t, named name, to its proxy
// (POST /proxies/{proxy}/toxics) and remove it (DELETE
// /proxies/{proxy}/toxics/{name}). Removing a toxic that is already gone
// (HTTP 404) counts as done, so a stop that runs twice is harmless.
func ToxicHooks(name string, t *policies.Toxic) (start, stop Hook) {
	attrs := map[string]any{}
	ms := func(d *policies.Duration) int64 { return d.Std().Milliseconds() }
	switch t.Type {
	case "latency":
		attrs["latency"] = ms(t.Latency)
		if t.Jitter != nil {
			attrs["jitter"] = ms(t.Jitter)
		}
	case "timeout":
		attrs["timeout"] = ms(t.Timeout)
	case "bandwidth":
		attrs["rate"] = *t.Rate
	}
	body, _ := json.Marshal(map[string]any{
		"name": name, "type": t.Type, "stream": t.Stream, "toxicity": t.Toxicity, "attributes": attrs,
	})
	base := strings.TrimRight(t.URL, "/") + "/proxies/" + url.PathEscape(t.Proxy) + "/toxics"
	start = &httpHook{method: http.MethodPost, url: base, body: string(body), header: http.Header{}, timeout: toxiproxyTimeout}
	stop = &httpHook{method: http.MethodDelete, url: base + "/" + url.PathEscape(name), header: http.Header{}, timeout: toxiproxyTimeout,
		ok: func(status int) bool { return status == http.StatusNotFound }}
	return start, stop
}
