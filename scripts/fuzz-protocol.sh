#!/usr/bin/env bash
# Fuzzes the broker's wire protocol parser for a bounded time:
#   scripts/fuzz-protocol.sh [SECONDS]   (default 60)
# Builds fuzz/fuzz_protocol with clang + libFuzzer (ASan, UBSan) in
# build-fuzz/, starts from fuzz/corpus (copied: the seed corpus stays as
# committed) and fails if libFuzzer finds a crash (it writes crash-* here).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DEXTMEM_BUILD_FUZZ=ON -DEXTMEM_BUILD_TESTS=OFF \
    -DEXTMEM_BUILD_EXAMPLES=OFF -DEXTMEM_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz --target fuzz_protocol -j"$(nproc)" >/dev/null
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp fuzz/corpus/* "$corpus"/
./build-fuzz/fuzz/fuzz_protocol -max_total_time="$seconds" -max_len=9000 -print_final_stats=1 "$corpus"
