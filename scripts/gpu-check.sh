#!/usr/bin/env bash
# Builds extmem on a GPU machine and proves the cuda backend there:
# the `gpu` CTest label, the CPU suite (pinned to the host backend), the
# demo and seed examples on the cuda backend, the seed-shaped CUDA kernel
# program, and the GPU benchmarks. Everything goes to one log, which ends
# with a summary block.
#
#   scripts/gpu-check.sh [LOG]      LOG defaults to $OUT/gpu-check.log when
#                                   OUT is set, else ./gpu-check.log
#   BUILD_DIR=...                   build directory (default: build-gpu)
#   BENCH_SCALE=N                   multiplies benchmark iterations (default 1)
set -u -o pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
log=${1:-${OUT:+$OUT/gpu-check.log}}
log=${log:-$PWD/gpu-check.log}
build=${BUILD_DIR:-$src/build-gpu}
scale=${BENCH_SCALE:-1}
summary=()
failed=0

mkdir -p "$(dirname "$log")"
exec > >(tee "$log") 2>&1

# step NAME COMMAND...: runs it, records PASS / SKIP (77) / FAIL.
step() {
    local name=$1 rc
    shift
    echo
    echo "==== $name: $*"
    "$@"
    rc=$?
    case $rc in
    0) summary+=("PASS  $name") ;;
    77) summary+=("SKIP  $name") ;;
    *) summary+=("FAIL  $name (exit $rc)"); failed=1 ;;
    esac
    return $rc
}

echo "extmem gpu-check, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -srm)"
commit=${EXTMEM_COMMIT:-$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')}
echo "source: $src (commit $commit)"
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv 2>&1 || echo "nvidia-smi: none"
nvcc --version 2>&1 | tail -2 || true

step "configure" cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXTMEM_WITH_CUDA=ON || true
step "build" cmake --build "$build" -j "$(nproc)" || true

# The gpu label: each test forces the cuda backend itself.
ctest_in_build() {
    local out=$1
    shift
    (cd "$build" && ctest "$@" 2>&1 | tee "$out")
}
step "ctest -L gpu" ctest_in_build "$build/ctest-gpu.txt" -L gpu -V --timeout 120 || true
gpu_tests=$(grep -E "^[0-9]+% tests passed" "$build/ctest-gpu.txt" 2>/dev/null | tail -1)
# The CPU suite tests the host implementation: pinned to the host backend.
step "ctest -LE gpu (EXTMEM_BACKEND=host)" env EXTMEM_BACKEND=host bash -c \
    "cd '$build' && ctest -LE gpu -j $(nproc) --timeout 300 2>&1 | tee '$build/ctest-cpu.txt'" || true
cpu_tests=$(grep -E "^[0-9]+% tests passed" "$build/ctest-cpu.txt" 2>/dev/null | tail -1)

step "demo on cuda" "$build/tests/on_cuda" "$build/examples/extmem-demo" || true
step "seed_paths on cuda" "$build/tests/on_cuda" "$build/examples/seed_paths" || true
step "seed_paths_cxx on cuda" "$build/tests/on_cuda" "$build/examples/seed_paths_cxx" || true
if [ -x "$build/tests/seed_kernel" ]; then
    step "seed_kernel (nvcc, kernels write the imports)" "$build/tests/seed_kernel" || true
    sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
    if [ -n "$sanitizer" ]; then
        step "seed_kernel under compute-sanitizer memcheck" "$sanitizer" --tool memcheck --error-exitcode 3 \
            "$build/tests/seed_kernel" || true
    fi
else
    summary+=("FAIL  seed_kernel: not built (no nvcc?)"); failed=1
fi

step "bench_import" "$build/bench/bench_import" "$scale" || true
if [ -x "$build/bench/bench_bandwidth" ]; then
    step "bench_bandwidth" "$build/bench/bench_bandwidth" $((50 * scale)) || true
else
    summary+=("FAIL  bench_bandwidth: not built (no nvcc?)"); failed=1
fi
# Across processes (the broker, extmemd): open by name + import + map vs the
# SCM_RIGHTS floor, and a repeated open vs legacy cudaIpcOpenMemHandle.
if [ -x "$build/bench/bench_ipc_gpu" ]; then
    step "bench_ipc_gpu" "$build/bench/bench_ipc_gpu" "$scale" || true
else
    summary+=("FAIL  bench_ipc_gpu: not built (no nvcc?)"); failed=1
fi
# Synchronization: how soon a kernel queued behind a wait starts after the
# host's signal, for a D3D11 fence and a keyed mutex imported as CUDA
# semaphores vs cuStreamWaitValue64 on registered host memory and a futex
# wake + launch.
if [ -x "$build/bench/bench_sync_gpu" ]; then
    # Bounded: a wait that is never met would hold it for ever.
    step "bench_sync_gpu" timeout 120 "$build/bench/bench_sync_gpu" "$scale" || true
else
    summary+=("FAIL  bench_sync_gpu: not built (no nvcc?)"); failed=1
fi

echo
echo "==== GPU memory after the run (no process should hold any)"
nvidia-smi --query-gpu=memory.used --format=csv 2>&1 || true
nvidia-smi --query-compute-apps=pid,used_memory --format=csv 2>&1 || true

{
    echo
    echo "==================== gpu-check summary ===================="
    echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "gpu:     $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"
    echo "commit:  $commit"
    for line in "${summary[@]}"; do echo "$line"; done
    echo "gpu label: ${gpu_tests:-?}"
    echo "cpu suite: ${cpu_tests:-?}"
    grep -E "^seed_kernel:" "$log" | tail -1
    grep -E "^import\+map" "$log" | sed 's/^/bench: /'
    grep -E "^bench_bandwidth on" "$log" | sed 's/^/bench: /'
    grep -E "^ipc (open|repeated)" "$log" | sed 's/^/bench: /'
    grep -E "^sync (fence|keyed-mutex) wait-to-start" "$log" | sed 's/^/bench: /'
    grep -E "GPU free memory" "$log" | grep -v "sync-gpu" | tail -3 | sed -E 's/^([0-9]+: )? */test_ipc_gpu: /'
    grep -E "sync-gpu result: " "$log" | sed -E 's/^([0-9]+: )? *sync-gpu result: /test_sync_gpu: /'
    echo "result:  $([ $failed = 0 ] && echo ALL PASSED || echo FAILURES)"
    echo "============================================================"
} 2>&1

exit $failed
