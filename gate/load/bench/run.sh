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
echo "== flat out, 64 workers, ${secs}s each, ${pairs} pairs (successful requests/s; CPU µs per request)"
ratios=()
cpuratios=()
echo "GET http://$addr/" >"$tmp/targets"
for i in $(seq "$pairs"); do
	/usr/bin/time -f "%U %S" -o "$tmp/pg.time" taskset -c 0 "$tmp/loadgen" -url "http://$addr" -concurrency 64 -duration "${secs}s" >"$tmp/pg.json"
	/usr/bin/time -f "%U %S" -o "$tmp/vg.time" taskset -c 0 "$vegeta" attack -targets "$tmp/targets" -rate=0 -max-workers=64 -workers=64 -duration="${secs}s" >"$tmp/vg.bin"
	"$vegeta" report -type=json <"$tmp/vg.bin" >"$tmp/vg.json"
	read -r pg vg r pgcpu vgcpu cr < <(python3 - "$tmp" "$secs" <<'PY'
import json, sys
tmp, secs = sys.argv[1], float(sys.argv[2])
pg = json.load(open(tmp + "/pg.json")); vg = json.load(open(tmp + "/vg.json"))
cpu = lambda f: sum(map(float, open(f).read().split()[-2:]))
pgr = pg["succeeded"] / secs; vgr = vg["throughput"]
pgc = cpu(tmp + "/pg.time") / pg["succeeded"] * 1e6
vgc = cpu(tmp + "/vg.time") / (vg["requests"] * vg["success"]) * 1e6
print(round(pgr), round(vgr), round(pgr / vgr, 3), round(pgc, 1), round(vgc, 1), round(vgc / pgc, 3))
PY
)
	ratios+=("$r")
	cpuratios+=("$cr")
	echo "pair $i: perfgate $pg req/s ($pgcpu µs CPU/req), vegeta $vg req/s ($vgcpu µs CPU/req), throughput ratio $r, CPU efficiency ratio $cr"
done
python3 -c "import statistics as s; r=[float(x) for x in '${ratios[*]}'.split()]; print('throughput ratio perfgate/vegeta: median %.3f min %.3f max %.3f' % (s.median(r), min(r), max(r)))"
python3 -c "import statistics as s; r=[float(x) for x in '${cpuratios[*]}'.split()]; print('CPU efficiency ratio vegeta/perfgate (CPU per request): median %.3f min %.3f max %.3f' % (s.median(r), min(r), max(r)))"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== schedule lag at 2,000 req/s, ${secs}s, ${pairs} runs (µs, all sends)"
for i in $(seq "$pairs"); do
	taskset -c 0 "$tmp/loadgen" -url "http://$addr" -rate 2000 -duration "${secs}s" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print("run: achieved %.0f lag p50 %dus p99 %dus client-lag p99 %s kept_up %s e2e p99 %dus" % (d["achieved_rps"], d["lag_p50_us"], d["lag_p99_us"], d["client_lag_p99"], d["kept_up"], d["e2e_p99_us"]))'
done

if [ "${RSS:-1}" = 1 ]; then
	echo "== resident memory over 1,000,000 requests (closed loop, 64 workers, 5 s windows)"
	taskset -c 0 "$tmp/loadgen" -url "http://$addr" -concurrency 64 -duration 10m -requests 1000000 -rss 2>"$tmp/rss.log" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print("sent %d at %.0f req/s: rss %.1f MiB, peak %.1f MiB, heap in use %.1f MiB" % (d["sent"], d["achieved_rps"], d["rss_mib"], d["peak_rss_mib"], d["heap_mib"]))'
	awk 'NR % 10 == 0' "$tmp/rss.log"
fi
