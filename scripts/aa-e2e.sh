#!/usr/bin/env bash
# scripts/aa-e2e.sh: the end-to-end A/A check of docs/evaluation.md in real
# time. Each of RUNS paired runs starts two fresh `perfgate sim` processes
# of the same build, each its own deployment (its own --seed, so its own
# per-instance speed offset of --shift, lognormal unless SHIFT_DF is set),
# in one cluster (a shared --env-seed), and gates one against the other
# with `perfgate run --baseline-url` and no calibration, as a new user
# would. Identical code on both arms: any FAIL is a false alarm.
#
# Usage: scripts/aa-e2e.sh [RUNS] [POLICY]   (defaults: 20, the policy below)
# Environment: SHIFT (0.03), SHIFT_DF (0: lognormal), PORT (18400), SEED (100).
# Prints one line per run and a summary (python3 reads report.json); exits 1
# if any run FAILed.
set -euo pipefail
runs=${1:-20}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
scripts/build.sh "$work/perfgate" aa-e2e >/dev/null
policy=${2:-$work/aa.cue}
if [ -z "${2:-}" ]; then
  cat >"$policy" <<'CUE'
// 12 req/s for 60 s, five gating checks: the setting of the issue that
// found uncalibrated false FAILs.
name: "aa-e2e"
target: {url: "http://127.0.0.1:1", api: "openai-chat", model: "sim-llama-3.1-8b", ready: timeout: "20s"}
workload: prompts: {input_tokens: {mean: 256, stddev: 64, min: 32, max: 1024}, output_tokens: 64}
scenarios: steady: {rate: 12, warmup: "5s", duration: "60s"}
regression: gate: ["e2e.p50", "e2e.p95", "ttft.p95", "tpot.p50", "error_rate"]
CUE
fi
shift_sigma=${SHIFT:-0.03} shift_df=${SHIFT_DF:-0} port=${PORT:-18400} seed=${SEED:-100}
fails=0 warns=0 passes=0 invalid=0
printf '%-4s %-8s %s\n' run verdict checks
for i in $(seq 1 "$runs"); do
  a=$((port)) b=$((port + 1))
  "$work/perfgate" sim --addr 127.0.0.1:$a --seed $((seed + 2 * i)) --env-seed $((seed + i)) --shift "$shift_sigma" --shift-df "$shift_df" >/dev/null 2>&1 &
  pa=$!
  "$work/perfgate" sim --addr 127.0.0.1:$b --seed $((seed + 2 * i + 1)) --env-seed $((seed + i)) --shift "$shift_sigma" --shift-df "$shift_df" >/dev/null 2>&1 &
  pb=$!
  out=$work/run-$i
  code=0
  "$work/perfgate" run --policy "$policy" --target http://127.0.0.1:$b --baseline-url http://127.0.0.1:$a --out "$out" --quiet >"$work/log-$i" 2>&1 || code=$?
  kill $pa $pb 2>/dev/null; wait $pa $pb 2>/dev/null || true
  verdict=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$out/report.json" 2>/dev/null || echo none)
  checks=$(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print(" ".join("%s=%s%s" % (c["name"], c["verdict"], ("(%+.1f%%)" % (100 * c["change"])) if c.get("change") is not None else "") for c in r["checks"] if c["kind"] == "regression"))' "$out/report.json" 2>/dev/null || true)
  printf '%-4s %-8s %s (exit %d)\n' "$i" "${verdict:-?}" "$checks" "$code"
  case $verdict in fail) fails=$((fails + 1)) ;; warn) warns=$((warns + 1)) ;; pass) passes=$((passes + 1)) ;; *) invalid=$((invalid + 1)) ;; esac
  port=$((port + 2))
done
echo "A/A runs: $runs; fail $fails, warn $warns, pass $passes, invalid or no report $invalid"
[ "$fails" -eq 0 ]
