package promsource

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/policies"
)

// fakeProm answers query_range like Prometheus: a value per step equal to
// the step's index (times 10 for max_over_time), a 400 bad_data for a
// query containing "((", and checks the bearer token.
func fakeProm(t *testing.T, token string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query_range" {
			http.NotFound(w, r)
			return
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"status":"error","errorType":"unauthorized","error":"bad token"}`)
			return
		}
		r.ParseForm()
		q := r.Form.Get("query")
		if strings.Contains(q, "((x") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"1:20: parse error: unclosed left parenthesis"}`)
			return
		}
		start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
		end, _ := strconv.ParseFloat(r.Form.Get("end"), 64)
		step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
		var vals []string
		for i, ts := 0, start; ts <= end+1e-9; i, ts = i+1, ts+step {
			v := float64(i + 1)
			if strings.HasPrefix(q, "max_over_time") {
				v *= 10
			}
			vals = append(vals, fmt.Sprintf(`[%.3f,"%g"]`, ts, v))
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[%s]}]}}`, strings.Join(vals, ","))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAddSeries(t *testing.T) {
	srv := fakeProm(t, "tok3n")
	cfg := &policies.Prometheus{URL: srv.URL, Timeout: policies.Duration(5 * time.Second), Resolution: policies.Duration(time.Second),
		Token: &policies.EnvValue{Env: "PROM_TOKEN"},
		Queries: map[string]policies.PromQuery{
			"gpu_util": {Query: "avg(DCGM_FI_DEV_GPU_UTIL) / 100", Unit: "ratio"},
			"broken":   {Query: "((x", Unit: "count"},
		}}
	rec := &baseline.Record{WindowSeconds: 2, Metrics: map[string]*baseline.Metric{}}
	for i := range 3 {
		rec.Windows = append(rec.Windows, baseline.WindowCounts{Start: float64(2 * i), End: float64(2*i + 2)})
	}
	c := New(cfg, func(k string) string {
		if k == "PROM_TOKEN" {
			return "tok3n"
		}
		return ""
	})
	AddSeries(context.Background(), c, cfg, rec, time.Unix(1_700_000_000, 123_456_789))
	m := rec.Metrics["server.gpu_util"]
	if m == nil || m.Unit != "ratio" || len(m.Windows) != 3 {
		t.Fatalf("server.gpu_util: %+v", m)
	}
	for i, w := range m.Windows {
		if w.Stats["mean"] != float64(i+1) || w.Stats["max"] != float64(10*(i+1)) {
			t.Errorf("window %d: %v, want mean %d and max %d (the point at its end)", i, w.Stats, i+1, 10*(i+1))
		}
	}
	if m.Pooled.Stats["mean"] != 2 || m.Pooled.Stats["max"] != 30 {
		t.Errorf("pooled %v", m.Pooled.Stats)
	}
	if e := rec.Prometheus.Errors["broken"]; !strings.Contains(e, "parse error: unclosed left parenthesis") || !strings.Contains(e, "target.prometheus.queries.broken") || !strings.Contains(e, "bad_data") {
		t.Errorf("broken query error %q: want Prometheus's message and the query's name", e)
	}
	if _, ok := rec.Metrics["server.broken"]; ok {
		t.Error("a broken query has a series")
	}
	// A wrong token is Prometheus's refusal, with the token masked.
	bad := New(cfg, func(string) string { return "wrong" })
	if _, err := bad.QueryRange(context.Background(), "up", time.Unix(0, 0), time.Unix(10, 0), time.Second); err == nil || !strings.Contains(err.Error(), "unauthorized") {
		t.Errorf("wrong token: %v", err)
	}
}
