#!/usr/bin/env bash
# Benchmarks of package load, measured as docs/benchmarks.md asks: the
# target pinned to core 1, the load generator to core 0, perfgate and vegeta
# alternated (A B A B ...) against the same trivial server.
#
#   gate/load/bench/run.sh [pairs] [seconds]
#
# Needs vegeta v12.13.0 on PATH or in $(go env GOPATH)/bin:
#   go install github.com/tsenart/vegeta/v12@v12.13.0
set -euo pipefail
pairs=${1:-5}
secs=${2:-10}
cd "$(dirname "$0")/../../.."
tmp=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/server" ./gate/load/bench/server
go build -o "$tmp/loadgen" ./gate/load/bench/loadgen
vegeta=$(command -v vegeta || echo "$(go env GOPATH)/bin/vegeta")
addr=127.0.0.1:18080
taskset -c 1 "$tmp/server" -addr "$addr" &
srv=$!
sleep 0.5

echo "date: $(date -u +%F) machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3)"
echo "== flat out, 64 workers, ${secs}s each, ${pairs} pairs (successful requests/s)"
ratios=()
for i in $(seq "$pairs"); do
	pg=$(taskset -c 0 "$tmp/loadgen" -url "http://$addr" -concurrency 64 -duration "${secs}s" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["succeeded"]/'"$secs"'))')
	vg=$(echo "GET http://$addr/" | taskset -c 0 "$vegeta" attack -rate=0 -max-workers=64 -workers=64 -duration="${secs}s" |
		taskset -c 0 "$vegeta" report -type=json | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["throughput"]))')
	r=$(python3 -c "print(round($pg/$vg, 3))")
	ratios+=("$r")
	echo "pair $i: perfgate $pg req/s, vegeta $vg req/s, ratio $r"
done
python3 -c "import statistics as s; r=[float(x) for x in '${ratios[*]}'.split()]; print('ratio median %.3f min %.3f max %.3f' % (s.median(r), min(r), max(r)))"

echo "== schedule lag at 2,000 req/s, ${secs}s, ${pairs} runs (µs, all sends)"
for i in $(seq "$pairs"); do
	taskset -c 0 "$tmp/loadgen" -url "http://$addr" -rate 2000 -duration "${secs}s" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print("run: achieved %.0f lag p50 %dus p99 %dus client-lag p99 %s kept_up %s e2e p99 %dus" % (d["achieved_rps"], d["lag_p50_us"], d["lag_p99_us"], d["client_lag_p99"], d["kept_up"], d["e2e_p99_us"]))'
done

if [ "${RSS:-1}" = 1 ]; then
	echo "== resident memory over 1,000,000 requests (20,000 req/s scheduled for 50 s)"
	taskset -c 0 "$tmp/loadgen" -url "http://$addr" -rate 20000 -duration 50s -rss 2>"$tmp/rss.log" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print("sent %d achieved %.0f req/s rss %.1f MiB peak %.1f MiB heap %.1f MiB lag p99 %dus" % (d["sent"], d["achieved_rps"], d["rss_mib"], d["peak_rss_mib"], d["heap_mib"], d["lag_p99_us"]))'
	awk 'NR % 10 == 0' "$tmp/rss.log"
fi
