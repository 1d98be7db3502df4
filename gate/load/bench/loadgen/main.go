// Command loadgen drives package load against a URL and prints one JSON
// line of figures (achieved rate, latency and schedule-lag percentiles,
// resident memory), for the benchmarks in docs/benchmarks.md.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"time"

	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/gate/metric"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18080", "target base URL")
	rate := flag.Float64("rate", 0, "requests/s (open loop); 0 with -concurrency for closed loop")
	conc := flag.Int("concurrency", 0, "closed-loop workers")
	dur := flag.Duration("duration", 10*time.Second, "measured duration")
	window := flag.Duration("window", 5*time.Second, "window length")
	maxInFlight := flag.Int("max-inflight", 0, "in-flight cap (0: default)")
	rssEvery := flag.Bool("rss", false, "print resident memory every second to stderr")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	memprofile := flag.String("memprofile", "", "write a heap profile to this file at -memprofile-at into the run")
	memAt := flag.Duration("memprofile-at", 0, "when to write -memprofile (default: the end of the run)")
	requests := flag.Int64("requests", 0, "stop (at the next progress tick, about 1 s) once this many requests were sent")
	traceOut := flag.String("trace", "", "write a runtime execution trace of the run to this file")
	stream := flag.Int("stream", 0, "stream OpenAI chat completions of this many output tokens (the streamsrv benchmark server) instead of GET /")
	warmup := flag.Duration("warmup", 0, "warm-up before the measured duration")
	flag.Parse()
	if *traceOut != "" {
		f, err := os.Create(*traceOut)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := trace.Start(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer trace.Stop()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	p := load.Plan{
		Duration: *dur, Warmup: *warmup, Window: *window, MaxInFlight: *maxInFlight, Concurrency: *conc,
		Workload: load.Synthetic{Seed: 1, InputTokens: load.Dist{Mean: 8}, OutputTokens: load.Dist{Mean: float64(max(*stream, 8))}},
	}
	if *conc == 0 {
		p.Pacer = load.ConstantPacer{Rate: *rate}
	}
	if *rssEvery {
		p.Progress = func(s load.Snapshot) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(os.Stderr, "t=%5.1fs sent=%d rate=%.0f rss=%.1fMiB heap_inuse=%.1fMiB heap_sys=%.1fMiB heap_released=%.1fMiB stack=%.1fMiB\n",
				s.Elapsed.Seconds(), s.Sent, s.Rate, rssMiB("VmRSS"), mib(ms.HeapInuse), mib(ms.HeapSys), mib(ms.HeapReleased), mib(ms.StackInuse))
		}
	}
	if *memprofile != "" && *memAt > 0 {
		prev := p.Progress
		written := false
		p.Progress = func(s load.Snapshot) {
			if prev != nil {
				prev(s)
			}
			if !written && s.Elapsed >= *memAt {
				written = true
				writeHeapProfile(*memprofile)
			}
		}
	}
	if *requests > 0 {
		p.StopEarly = func(s load.Snapshot) bool { return s.Sent >= *requests }
	}
	t := load.Target{URL: *url, API: load.APIHTTP, HTTP: []load.HTTPSpec{{Path: "/"}}}
	if *stream > 0 {
		t = load.Target{URL: *url, API: load.APIOpenAIChat, Model: "sim-llama-3.1-8b", Stream: true}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := load.Run(ctx, p, t)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *memprofile != "" && *memAt <= 0 {
		writeHeapProfile(*memprofile)
	}
	w, err := r.Pooled()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := map[string]any{
		"sent":           w.Sent,
		"succeeded":      w.Succeeded,
		"errors":         w.Errors,
		"achieved_rps":   r.Achieved,
		"offered_rps":    r.Offered,
		"e2e_p50_us":     load.Quantile(w.Histogram(metric.E2E), 0.50),
		"e2e_p99_us":     load.Quantile(w.Histogram(metric.E2E), 0.99),
		"lag_p50_us":     load.Quantile(w.Histogram(metric.ScheduleLag), 0.50),
		"lag_p99_us":     load.Quantile(w.Histogram(metric.ScheduleLag), 0.99),
		"client_lag_p99": r.Validity.LagP99.String(),
		"overhead_p50":   r.Validity.OverheadP50.String(),
		"overhead_p99":   r.Validity.OverheadP99.String(),
		"probes":         r.Validity.Probes,
		"kept_up":        r.Validity.KeptUp(),
		"reasons":        r.Validity.Reasons(),
		"inflight_max":   w.InFlightMax,
		"rss_mib":        rssMiB("VmRSS"),
		"peak_rss_mib":   rssMiB("VmHWM"),
		"heap_mib":       float64(ms.HeapInuse) / (1 << 20),
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func writeHeapProfile(path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.WriteHeapProfile(f)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "memprofile:", err)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// rssMiB reads a memory figure (kB) of this process from /proc/self/status.
func rssMiB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
