#!/usr/bin/env bash
# Streaming at high concurrency (docs/benchmarks.md): perfgate and k6 against
# the same simulator, the simulator pinned to core 1 and the load generator
# to core 0, one concurrency and inter-token latency at a time.
#
#   gate/load/bench/streams.sh [measured-seconds] [itl,...] [streams...]
#   e.g. gate/load/bench/streams.sh 10 20ms,50ms 250 500 1000 2000 4000
#
# Every stream lasts about 5 s (output tokens = 5 s / ITL), so the open-loop
# rate is streams / 5 s. The simulator (gate/load/bench/streamsrv) times
# every token it writes; the TTFT error of a tool is its quantile minus the
# simulator's quantile of first-token write − request arrival over the
# measured part of the run. Client CPU and peak RSS come from /usr/bin/time;
# a run at 1 stream measures the fixed cost (start-up, policy compilation)
# that is subtracted. K6=path/to/k6 adds k6 v1.8.1 (go install
# go.k6.io/k6@v1.8.1) with the same arrival rate: its http_req_waiting
# (time to first byte, which the simulator sends with the first token) is
# the closest it has to TTFT. RT=1 runs both sides with SCHED_FIFO priority
# (root), which shields them from other jobs on a shared machine.
# PERFGATE_BIN=path measures that perfgate binary (an older build, for a
# before/after) instead of building this checkout. The simulator's own CPU
# share over the run is the last column: near 100% means the simulator, not
# the client, was the limit.
set -euo pipefail
secs=${1:-10}
itls=${2:-20ms,50ms}
shift 2 || true
streams=("$@")
[ ${#streams[@]} -gt 0 ] || streams=(250 500 1000 2000 4000)
warm=6
cd "$(dirname "$0")/../../.."
tmp=$(mktemp -d)
srv=
trap 'kill $srv 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [ -n "${PERFGATE_BIN:-}" ]; then cp "$PERFGATE_BIN" "$tmp/perfgate"; else go build -o "$tmp/perfgate" ./cmd/perfgate; fi
go build -o "$tmp/streamsrv" ./gate/load/bench/streamsrv
rt=()
[ "${RT:-0}" = 1 ] && rt=(chrt -f 10)
addr=127.0.0.1:18090
k6=${K6:-}

echo "date: $(date -u '+%F %H:%M') UTC; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| ITL | streams | tool | tokens/s | CPU µs/token | KiB RSS/stream | lag p99 ms | TTFT p50 err ms | TTFT p99 err ms | ITL p50 err ms | streamed req/s per core | errors | peak RSS MiB | sim CPU % |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"

policy() { # streams itl-ms tokens rate
	cat >"$tmp/p.cue" <<EOF
name: "streams"
target: {url: "http://$addr", api: "openai-chat", model: "sim-llama-3.1-8b", stream: true, timeout: "60s"}
workload: prompts: {input_tokens: 16, output_tokens: $3}
scenarios: steady: {rate: $4, arrival: "poisson", warmup: "${warm}s", duration: "${secs}s", window: "2s", max_in_flight: 16384}
slos: "ttft.p95": "< 60s"
EOF
}

k6script() { # rate tokens streams
	cat >"$tmp/k6.js" <<EOF
import http from 'k6/http';
export const options = {
  discardResponseBodies: true,
  summaryTrendStats: ['p(50)', 'p(99)'],
  scenarios: { s: { executor: 'constant-arrival-rate', rate: $1, timeUnit: '1s',
    duration: '$((warm + secs))s', preAllocatedVUs: $(($3 * 13 / 10 + 10)), maxVUs: $(($3 * 2 + 10)) } },
};
const body = JSON.stringify({model: 'sim-llama-3.1-8b', stream: true, max_tokens: $2, ignore_eos: true,
  messages: [{role: 'user', content: 'one two three four five six seven eight nine ten eleven twelve'}]});
export default function () {
  http.post('http://$addr/v1/chat/completions', body, {headers: {'Content-Type': 'application/json'}, timeout: '60s'});
}
EOF
}

# row TOOL STREAMS ITL TIMEFILE RESULT TRUTH TOTAL0 TOTAL1 FIXED_CPU FIXED_RSS
row() {
	python3 - "$@" <<'PY'
import json, sys
tool, streams, itl, timef, resf, truthf, t0, t1, fcpu, frss, secs = sys.argv[1:12]
streams, secs = int(streams), float(secs)
u, s, rss = open(timef).read().split()[-3:]
cpu = float(u) + float(s) - float(fcpu)
rss_kib = (int(rss) - int(frss)) / streams
truth = json.load(open(truthf))
tokens = int(t1) - int(t0)
if tool == "perfgate":
    r = json.load(open(resf))
    m = r["metrics"]
    st = lambda k, q: m[k]["pooled"]["stats"][q]
    ttft50, ttft99, itl50 = st("ttft", "p50"), st("ttft", "p99"), st("itl", "p50")
    lag = "%.2f" % st("schedule_lag", "p99")
    ok = sum(w["succeeded"] for w in r["windows"]); failed = sum(w["failed"] for w in r["windows"])
    dur = secs
else:
    r = json.load(open(resf))["metrics"]
    w = r["http_req_waiting"]
    ttft50, ttft99, itl50 = w["p(50)"], w["p(99)"], None
    lag = "—"
    ok = r["http_reqs"]["count"] * (1 - r["http_req_failed"]["value"])
    failed = r["http_reqs"]["count"] * r["http_req_failed"]["value"]
    dur = secs + 6
e = lambda a, b: "%+.2f" % (a - b) if a is not None else "—"
tps = tokens / (secs + 6)
per_core = ok / dur / (cpu / (secs + 6)) if cpu > 0 else float("nan")
simcpu = float(open(timef + ".sim").read()) if __import__("os").path.exists(timef + ".sim") else float("nan")
print("| %s | %d | %s | %.0f | %.2f | %.1f | %s | %s | %s | %s | %.0f | %d | %.0f | %.0f |" % (
    itl, streams, tool, tps, cpu / tokens * 1e6, rss_kib, lag,
    e(ttft50, truth["ttft_ms"]["p50"]), e(ttft99, truth["ttft_ms"]["p99"]),
    e(itl50, truth["itl_ms"]["p50"]), per_core, failed, int(rss) / 1024, simcpu))
PY
}

# simticks prints the simulator's CPU time so far, in clock ticks.
simticks() { awk '{print $14 + $15}' "/proc/$srv/stat"; }
# simshare FILE START_TICKS START_NS: the simulator's CPU share since then, %.
simshare() { python3 -c "import os,sys,time; t=int(sys.argv[2]); print(100*($(simticks)-int(sys.argv[1]))/os.sysconf('SC_CLK_TCK')/((time.time_ns()-t)/1e9))" "$2" "$3" >"$1"; }

total() { curl -s "http://$addr/truth" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_tokens"])'; }

for itl in ${itls//,/ }; do
	kill $srv 2>/dev/null || true
	wait $srv 2>/dev/null || true
	"${rt[@]}" taskset -c 1 "$tmp/streamsrv" -addr "$addr" -itl "$itl" &
	srv=$!
	sleep 0.5
	ms=${itl%ms}
	tokens=$((5000 / ms))
	# The fixed cost: one stream at a time.
	policy 1 "$ms" "$tokens" 0.2
	/usr/bin/time -f "%U %S %M" -o "$tmp/fixed.time" "${rt[@]}" taskset -c 0 "$tmp/perfgate" run "$tmp/p.cue" --quiet --max-lag 1s --out "$tmp/out" >/dev/null 2>&1 || true
	read -r fu fs frss < <(tail -n 1 "$tmp/fixed.time")
	fcpu=$(python3 -c "print($fu + $fs)")
	for n in "${streams[@]}"; do
		rate=$(python3 -c "print($n / 5)")
		policy "$n" "$ms" "$tokens" "$rate"
		t0=$(total); s0=$(simticks); n0=$(date +%s%N)
		/usr/bin/time -f "%U %S %M" -o "$tmp/pg.time" "${rt[@]}" taskset -c 0 "$tmp/perfgate" run "$tmp/p.cue" --quiet --max-lag 1s --out "$tmp/out" >"$tmp/pg.log" 2>&1 &
		pg=$!
		sleep "$warm"; curl -s "http://$addr/truth" >/dev/null
		wait $pg || true
		simshare "$tmp/pg.time.sim" "$s0" "$n0"
		curl -s "http://$addr/truth" >"$tmp/truth.json"
		t1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_tokens"])' "$tmp/truth.json")
		if [ -f "$tmp/out/records/steady.json" ]; then
			row perfgate "$n" "$itl" "$tmp/pg.time" "$tmp/out/records/steady.json" "$tmp/truth.json" "$t0" "$t1" "$fcpu" "$frss" "$secs"
		else
			echo "| $itl | $n | perfgate | failed: $(tail -n 2 "$tmp/pg.log" | tr '\n' ' ') |"
		fi
		rm -rf "$tmp/out"
		if [ -n "$k6" ]; then
			k6script "$rate" "$tokens" "$n"
			t0=$(total); s0=$(simticks); n0=$(date +%s%N)
			/usr/bin/time -f "%U %S %M" -o "$tmp/k6.time" "${rt[@]}" taskset -c 0 "$k6" run --quiet --no-usage-report --summary-export "$tmp/k6.json" "$tmp/k6.js" >"$tmp/k6.log" 2>&1 &
			kp=$!
			sleep "$warm"; curl -s "http://$addr/truth" >/dev/null
			wait $kp || true
			simshare "$tmp/k6.time.sim" "$s0" "$n0"
			curl -s "http://$addr/truth" >"$tmp/truth.json"
			t1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_tokens"])' "$tmp/truth.json")
			if [ -f "$tmp/k6.json" ]; then
				# k6's fixed cost is not measured apart: its start-up is counted.
				row k6 "$n" "$itl" "$tmp/k6.time" "$tmp/k6.json" "$tmp/truth.json" "$t0" "$t1" 0 0 "$secs"
			else
				echo "| $itl | $n | k6 | failed: $(tail -n 2 "$tmp/k6.log" | tr '\n' ' ') |"
			fi
			rm -f "$tmp/k6.json"
		fi
	done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
