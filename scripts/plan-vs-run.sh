#!/usr/bin/env bash
# scripts/plan-vs-run.sh: does `perfgate plan` predict the MDE a run then
# reports? It stores CAL A/A calibration records (each from two fresh
# `perfgate sim` deployments of one cluster), prints the plan from that
# store, then makes RUNS paired A/A runs on fresh deployments and prints,
# per gating check, the planned MDE next to the MDE each run reported and
# their median (docs/evaluation.md).
#
# Usage: scripts/plan-vs-run.sh [CAL] [RUNS] [POLICY]   (defaults: 8, 5, the policy below)
# Environment: SHIFT (0.003), PORT (18600), SEED (300). Needs python3.
set -euo pipefail
cal=${1:-8} runs=${2:-5}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
scripts/build.sh "$work/perfgate" plan-vs-run >/dev/null
policy=${3:-$work/plan.cue}
if [ -z "${3:-}" ]; then
  cat >"$policy" <<'CUE'
name: "plan-vs-run"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "sim-llama-3.1-8b", ready: timeout: "20s"}
workload: prompts: {input_tokens: {mean: 256, stddev: 64, min: 32, max: 1024}, output_tokens: 64}
scenarios: steady: {rate: 20, warmup: "3s", duration: "30s", window: "2.5s"}
regression: gate: ["e2e.p50", "e2e.p95", "tpot.p50"]
CUE
fi
shift_sigma=${SHIFT:-0.003} port=${PORT:-18600} seed=${SEED:-300}
store=$work/store
# pair N: two fresh deployments in one cluster, on the next two ports.
pair() {
  local n=$1
  a=$port b=$((port + 1))
  "$work/perfgate" sim --addr 127.0.0.1:$a --seed $((seed + 2 * n)) --env-seed $((seed + n)) --shift "$shift_sigma" >/dev/null 2>&1 &
  pa=$!
  "$work/perfgate" sim --addr 127.0.0.1:$b --seed $((seed + 2 * n + 1)) --env-seed $((seed + n)) --shift "$shift_sigma" >/dev/null 2>&1 &
  pb=$!
  port=$((port + 2))
}
unpair() { kill $pa $pb 2>/dev/null; wait $pa $pb 2>/dev/null || true; }
for i in $(seq 1 "$cal"); do
  pair "$i"
  "$work/perfgate" calibrate --policy "$policy" --target http://127.0.0.1:$b --baseline-url http://127.0.0.1:$a --store "$store" --out "$work/cal-$i" --quiet >"$work/cal-$i.log" 2>&1 || { echo "calibration $i failed:"; cat "$work/cal-$i.log"; }
  unpair
done
echo "== perfgate plan (from $cal A/A records) =="
"$work/perfgate" plan --policy "$policy" --store "$store" --baseline-url http://127.0.0.1:1 | tee "$work/plan.txt"
for i in $(seq 1 "$runs"); do
  pair $((cal + i))
  "$work/perfgate" run --policy "$policy" --target http://127.0.0.1:$b --baseline-url http://127.0.0.1:$a --store "$store" --out "$work/run-$i" --quiet >"$work/run-$i.log" 2>&1 || true
  unpair
done
echo "== MDE reported by $runs paired A/A runs with the same store =="
python3 - "$work" "$runs" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
mdes = {}
for i in range(1, runs + 1):
    try:
        r = json.load(open(f"{work}/run-{i}/report.json"))
    except OSError:
        print(f"run {i}: no report"); continue
    for c in r["checks"]:
        if c["kind"] == "regression" and c.get("mde") is not None:
            mdes.setdefault(c["name"], []).append(100 * abs(c["mde"]))
for name, v in mdes.items():
    print(f"{name:12s} runs: " + " ".join(f"{x:+.1f}%" for x in v) + f"   median {statistics.median(v):+.1f}%")
PY
