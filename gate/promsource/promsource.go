// Package promsource reads a deployment's own metrics from a Prometheus
// server (target.prometheus): after a scenario it asks the HTTP API
// (/api/v1/query_range) for each query over the scenario's measured
// windows, with the step set to the window, and turns the answers into
// the record's server series, one value per window, usable in SLOs and
// gates like the series scraped from the target ("server.gpu_util.mean").
//
// Each window is one evaluation at its end of
//
//	avg_over_time((sum(QUERY))[WINDOW:RESOLUTION])  (the window's mean)
//	max_over_time((sum(QUERY))[WINDOW:RESOLUTION])  (its max)
//
// a subquery that evaluates the query every RESOLUTION inside the window,
// so the window statistics are those of the series as Prometheus stored
// it, at its scrape resolution.
package promsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/baseline"
	"github.com/perfgate/perfgate/gate/metric"
	"github.com/perfgate/perfgate/internal/errmsg"
	"github.com/perfgate/perfgate/internal/redact"
	"github.com/perfgate/perfgate/policies"
)

// Client asks one Prometheus server.
type Client struct {
	base    string
	token   string
	timeout time.Duration
	http    *http.Client
}

// New returns a client for cfg; getenv reads its token.
func New(cfg *policies.Prometheus, getenv func(string) string) *Client {
	c := &Client{base: strings.TrimRight(cfg.URL, "/"), timeout: cfg.Timeout.Std(), http: &http.Client{}}
	if cfg.Token != nil {
		if v := getenv(cfg.Token.Env); v != "" {
			prefix := cfg.Token.Prefix
			if prefix == "" {
				prefix = "Bearer "
			}
			c.token = prefix + v
		}
	}
	return c
}

// apiResponse is the envelope of every Prometheus API answer.
type apiResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// Point is one value of a range query.
type Point struct {
	T time.Time
	V float64
}

// QueryRange evaluates query from start to end every step and returns the
// points of its first series (queries here are summed into one). An error
// says what Prometheus said (a bad query) or why it could not be asked.
func (c *Client) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]Point, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	form := url.Values{}
	form.Set("query", query)
	form.Set("start", fmtTime(start))
	form.Set("end", fmtTime(end))
	form.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/query_range", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %v", redact.URL(c.base), err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.token != "" {
		req.Header.Set("Authorization", c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("prometheus %s: no answer within %s", redact.URL(c.base), c.timeout)
		}
		return nil, fmt.Errorf("prometheus %s: %s", redact.URL(c.base), c.mask(err.Error()))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("prometheus %s: HTTP %d, not a Prometheus API answer: %s", redact.URL(c.base), resp.StatusCode, errmsg.Truncate(c.mask(errmsg.Short(string(body))), 200))
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("prometheus rejected the query (HTTP %d, %s): %s", resp.StatusCode, r.ErrorType, errmsg.Truncate(c.mask(r.Error), 300))
	}
	if r.Data.ResultType != "matrix" {
		return nil, fmt.Errorf("prometheus answered a %q, not a range (matrix)", r.Data.ResultType)
	}
	if len(r.Data.Result) == 0 {
		return nil, nil
	}
	var out []Point
	for _, v := range r.Data.Result[0].Values {
		ts, ok1 := v[0].(float64)
		s, ok2 := v[1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("prometheus answered a malformed point %v", v)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			continue
		}
		sec, frac := math.Modf(ts)
		out = append(out, Point{T: time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6), V: f})
	}
	return out, nil
}

func (c *Client) mask(s string) string {
	if c.token != "" {
		s = strings.ReplaceAll(s, strings.TrimPrefix(c.token, "Bearer "), "***")
	}
	return s
}

func fmtTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// AddSeries queries every series of cfg over the measured windows of rec,
// which started at measured, and adds them to rec as server series
// ("server.NAME", per window max and mean). A query that fails leaves its
// series out, with the reason in rec.Prometheus.Errors: an SLO on it is
// then unmeasured, with that reason.
func AddSeries(ctx context.Context, c *Client, cfg *policies.Prometheus, rec *baseline.Record, measured time.Time) {
	src := &baseline.PromSource{Errors: map[string]string{}}
	rec.Prometheus = src
	measured = measured.Round(time.Millisecond) // the API's resolution
	if len(rec.Windows) == 0 {
		return
	}
	window := time.Duration(rec.WindowSeconds * float64(time.Second))
	if window <= 0 {
		window = time.Duration((rec.Windows[0].End - rec.Windows[0].Start) * float64(time.Second))
	}
	at := func(s float64) time.Time { return measured.Add(time.Duration(s * float64(time.Second))) }
	start, end := at(rec.Windows[0].End), at(rec.Windows[len(rec.Windows)-1].End)
	names := make([]string, 0, len(cfg.Queries))
	for n := range cfg.Queries {
		names = append(names, n)
	}
	sort.Strings(names)
	rng := promDuration(window) + ":" + promDuration(cfg.Resolution.Std())
	for _, name := range names {
		q := cfg.Queries[name]
		inner := "(sum(" + q.Query + "))[" + rng + "]"
		means, err := c.QueryRange(ctx, "avg_over_time("+inner+")", start, end, window)
		var maxes []Point
		if err == nil {
			maxes, err = c.QueryRange(ctx, "max_over_time("+inner+")", start, end, window)
		}
		if err != nil {
			src.Errors[name] = fmt.Sprintf("target.prometheus.queries.%s: %v", name, err)
			continue
		}
		m := &baseline.Metric{Unit: q.Unit}
		var sum float64
		for _, w := range rec.Windows {
			st := baseline.WindowStats{Stats: map[string]float64{}}
			t := at(w.End)
			mean, ok1 := pointAt(means, t)
			mx, ok2 := pointAt(maxes, t)
			if ok1 && ok2 {
				st.Count = 1
				st.Stats["mean"], st.Stats["max"] = mean, mx
				if m.Pooled.Count == 0 || mx > m.Pooled.Stats["max"] {
					if m.Pooled.Stats == nil {
						m.Pooled.Stats = map[string]float64{}
					}
					m.Pooled.Stats["max"] = mx
				}
				m.Pooled.Count++
				sum += mean
			}
			m.Windows = append(m.Windows, st)
		}
		if m.Pooled.Count == 0 {
			src.Errors[name] = fmt.Sprintf("target.prometheus.queries.%s: the query returned no data over the run (%s to %s)", name, start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
			continue
		}
		m.Pooled.Stats["mean"] = sum / float64(m.Pooled.Count)
		rec.Metrics[metric.ServerPrefix+name] = m
		src.Series = append(src.Series, name)
	}
	if len(src.Errors) == 0 {
		src.Errors = nil
	}
}

// pointAt returns the value of the point at t (within 1 ms).
func pointAt(ps []Point, t time.Time) (float64, bool) {
	for _, p := range ps {
		if d := p.T.Sub(t); d > -time.Millisecond && d < time.Millisecond {
			return p.V, true
		}
	}
	return 0, false
}

// promDuration writes d in PromQL's form, in milliseconds.
func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}
