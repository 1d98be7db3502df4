package load

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/perfgate/perfgate/internal/redact"
)

// DefaultSeries maps perfgate's server series names to the Prometheus
// metric names of common inference servers (vLLM, its simulators, llama.cpp)
// and of any Go or Python process (RSS).
var DefaultSeries = map[string][]string{
	"kv_cache_usage":   {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "llamacpp:kv_cache_usage_ratio"},
	"requests_running": {"vllm:num_requests_running", "llamacpp:requests_processing"},
	"requests_waiting": {"vllm:num_requests_waiting", "llamacpp:requests_deferred"},
	"rss_bytes":        {"process_resident_memory_bytes"},
}

// DefaultScrapeInterval is the mean time between two scrapes of a
// target's metrics endpoint (see scrapeClock).
const DefaultScrapeInterval = time.Second

// ParseMetrics parses a Prometheus text exposition and returns, for each
// series name of series, the value of its first candidate metric present:
// the sum over all label sets of a gauge, counter or untyped metric (e.g.
// over models), the sample count of a histogram or summary. Names absent
// from the exposition are absent from the result.
func ParseMetrics(r io.Reader, series map[string][]string) (map[string]float64, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	out := make(map[string]float64, len(series))
	for name, candidates := range series {
		for _, c := range candidates {
			f, ok := fams[c]
			if !ok || len(f.GetMetric()) == 0 {
				continue
			}
			out[name] = familyValue(f)
			break
		}
	}
	return out, nil
}

func familyValue(f *dto.MetricFamily) float64 {
	var v float64
	for _, m := range f.GetMetric() {
		switch {
		case m.Gauge != nil:
			v += m.GetGauge().GetValue()
		case m.Counter != nil:
			v += m.GetCounter().GetValue()
		case m.Untyped != nil:
			v += m.GetUntyped().GetValue()
		case m.Histogram != nil:
			v += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			v += float64(m.GetSummary().GetSampleCount())
		}
	}
	return v
}

// metricsURL resolves Target.MetricsURL against Target.URL.
func metricsURL(t *Target) (string, error) {
	base, err := url.Parse(t.URL)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(t.MetricsURL)
	if err != nil {
		return "", fmt.Errorf("target: metrics url %q: %w", redact.URL(t.MetricsURL), err)
	}
	return base.ResolveReference(ref).String(), nil
}

// scrapeClock places the scrapes of one arm at jittered, seeded times:
// the first at a uniform time in [0, every), each next one a uniform
// [every/2, 3·every/2) after the previous, so the mean interval is every.
// Scrapes at a fixed period line up with a constant-arrival schedule of a
// related period and sample the server always at the same phase of its
// requests (a gauge of running requests read exactly 0, or exactly 3, at
// 1–2 req/s); random phases give every moment the same chance.
type scrapeClock struct {
	rng   *rand.Rand
	every time.Duration
	next  time.Duration // from the run start
}

func newScrapeClock(seed int64, arm int, every time.Duration) *scrapeClock {
	c := &scrapeClock{rng: rand.New(rand.NewPCG(uint64(seed), 0x736372617065+uint64(arm))), every: every}
	c.next = time.Duration(c.rng.Float64() * float64(every))
	return c
}

// Next returns the time of the next scrape and moves past it.
func (c *scrapeClock) Next() time.Duration {
	at := c.next
	c.next += time.Duration((0.5 + c.rng.Float64()) * float64(c.every))
	return at
}

// scrape runs until ctx is done, sending one scrapeSample per scrape at
// the times of a scrapeClock (a scrape that overruns the next time starts
// the following one at once). Each scrape is cut after every.
func scrape(ctx context.Context, c *client, murl string, series map[string][]string, every time.Duration, seed int64, t0 time.Time, arm int, out chan<- scrapeSample) {
	clock := newScrapeClock(seed, arm, every)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		timer.Reset(clock.Next() - time.Since(t0))
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
		s := scrapeOnce(ctx, c, murl, series, every)
		s.arm, s.at = arm, time.Since(t0)
		if ctx.Err() != nil {
			return
		}
		select {
		case out <- s:
		case <-ctx.Done():
			return
		}
	}
}

func scrapeOnce(ctx context.Context, c *client, murl string, series map[string][]string, timeout time.Duration) scrapeSample {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, murl, nil)
	if err != nil {
		return scrapeSample{err: c.scrub(err.Error())}
	}
	if c.sendsSecrets(murl) {
		for k, vs := range c.t.Headers {
			req.Header[k] = vs
		}
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := c.hc.Do(req)
	if err != nil {
		return scrapeSample{err: c.scrub(strings.TrimSpace(err.Error()))}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return scrapeSample{err: fmt.Sprintf("metrics %s: %s", redact.URL(murl), resp.Status)}
	}
	vals, err := ParseMetrics(&limitedReader{r: resp.Body, n: c.maxBody}, series)
	if err != nil {
		return scrapeSample{err: fmt.Sprintf("%s: %v", redact.URL(murl), err)}
	}
	return scrapeSample{values: vals}
}
