#!/usr/bin/env bash
# The accuracy table of docs/benchmarks.md: perfgate's e2e p50/p99 next to
# vegeta's against the same trivial server (pinned to core 1), alternated
# at each rate, with the client pinned to core 0 and unpinned.
#
#   gate/load/bench/accuracy.sh [seconds] [rates...]
#
# Needs vegeta v12.13.0 on PATH, in $GOBIN or in $(go env GOPATH)/bin.
set -euo pipefail
secs=${1:-5}
shift || true
rates=${*:-50 200 1000 2000 4000}
cd "$(dirname "$0")/../../.."
tmp=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/server" ./gate/load/bench/server
go build -o "$tmp/loadgen" ./gate/load/bench/loadgen
vegeta=$(command -v vegeta || ls "${GOBIN:-/nonexistent}/vegeta" 2>/dev/null || echo "$(go env GOPATH)/bin/vegeta")
addr=127.0.0.1:18081
taskset -c 1 "$tmp/server" -addr "$addr" &
srv=$!
sleep 0.5
echo "GET http://$addr/" >"$tmp/targets"
echo "date: $(date -u '+%F %H:%M') machine: $(nproc) cores, $(go version | cut -d' ' -f3), ${secs}s per run"
echo "| client | rate | perfgate e2e p50 / p99 | vegeta e2e p50 / p99 | perfgate lag p99 | overhead p50 / p99 | valid | load avg |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for pin in pinned unpinned; do
	run=(taskset -c 0)
	[ "$pin" = unpinned ] && run=()
	for r in $rates; do
		"${run[@]}" "$tmp/loadgen" -url "http://$addr" -rate "$r" -duration "${secs}s" >"$tmp/pg.json"
		"${run[@]}" "$vegeta" attack -targets "$tmp/targets" -rate="$r" -duration="${secs}s" >"$tmp/vg.bin"
		"$vegeta" report -type=json <"$tmp/vg.bin" >"$tmp/vg.json"
		python3 - "$tmp" "$pin" "$r" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, sys
tmp, pin, rate, la = sys.argv[1:]
pg = json.load(open(tmp + "/pg.json")); vg = json.load(open(tmp + "/vg.json"))
ms = lambda us: "%.2f" % (us / 1000)
vl = vg["latencies"]
print("| %s | %s req/s (achieved %.0f / %.0f) | %s / %s ms | %s / %s ms | %s | %s | %s | %s |" % (
    pin, rate, pg["achieved_rps"], vg["rate"], ms(pg["e2e_p50_us"]), ms(pg["e2e_p99_us"]),
    ms(vl["50th"] / 1000), ms(vl["99th"] / 1000), pg["client_lag_p99"], pg["overhead_p50"] + " / " + pg["overhead_p99"],
    "yes" if pg["kept_up"] else "no: " + "; ".join(pg["reasons"] or []), la))
PY
	done
done
