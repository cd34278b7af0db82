#!/bin/sh
# Compiles tests/compat/cuda_compat_check.c (seed-shaped code with CUDA's
# spellings) against <extmem/cuda_compat.h>: as C (gcc, clang; gnu11) and
# C++ (g++, clang++; C++17), with extmem's own CUDA types and, where the CUDA
# toolkit headers are present, with CUDA's. Syntax only: nothing is linked.
#
#   scripts/check-cuda-headers.sh [CUDA_INCLUDE_DIR]   (default /usr/local/cuda/include)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cuda_inc=${1:-${CUDA_INCLUDE_DIR:-/usr/local/cuda/include}}
src=$root/tests/compat/cuda_compat_check.c
warn="-Wall -Wextra -Werror -Wshadow"
cwarn="$warn -Wstrict-prototypes -Wmissing-prototypes"
failed=0

check() { # label, command...
    label=$1
    shift
    if "$@"; then
        echo "ok      $label"
    else
        echo "FAILED  $label"
        failed=1
    fi
}

have() { command -v "$1" >/dev/null 2>&1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# symbols LABEL WANT UNWANTED CFLAGS...: compiles to an object and checks
# which calls the CUDA spellings became (undefined symbols it references).
symbols() {
    label=$1 want=$2 unwanted=$3
    shift 3
    if ! gcc -std=gnu11 "$@" -I"$root/include" -c "$src" -o "$tmp/check.o"; then
        echo "FAILED  $label (compile)"
        failed=1
        return
    fi
    undef=$(nm -u "$tmp/check.o" | awk '{print $2}')
    for s in $want; do
        echo "$undef" | grep -qx "$s" || { echo "FAILED  $label: $s not called"; failed=1; return; }
    done
    for s in $unwanted; do
        echo "$undef" | grep -qx "$s" && { echo "FAILED  $label: $s called"; failed=1; return; }
    done
    echo "ok      $label"
}

for cc in gcc clang; do
    have $cc || { echo "skip    $cc (not installed)"; continue; }
    check "$cc -std=gnu11, extmem types" \
        $cc -std=gnu11 $cwarn -I"$root/include" -fsyntax-only "$src"
done
for cxx in g++ clang++; do
    have $cxx || { echo "skip    $cxx (not installed)"; continue; }
    check "$cxx -std=c++17, extmem types" \
        $cxx -std=c++17 $warn -I"$root/include" -x c++ -fsyntax-only "$src"
done

if have gcc && have nm; then
    symbols "extmem types: every call goes to extmem" \
        "extmemImportExternalMemory extmemExternalMemoryGetMappedMipmappedArray extmemFreeMipmappedArray extmemMemcpy2DFromArrayAsync extmemGetErrorString" \
        "cudaImportExternalMemory cudaFreeMipmappedArray cudaMemcpy2DFromArrayAsync cudaGetErrorString"
fi

if [ ! -f "$cuda_inc/cuda_runtime_api.h" ]; then
    echo "skip    CUDA types: no cuda_runtime_api.h in $cuda_inc"
    exit $failed
fi

if have gcc && have nm; then
    symbols "CUDA types: external memory goes to extmem, the runtime stays CUDA's" \
        "extmemImportExternalMemory extmemExternalMemoryGetMappedBuffer extmemExternalMemoryGetMappedMipmappedArray cudaFreeMipmappedArray cudaMemcpy2DFromArrayAsync cudaGetErrorString" \
        "cudaImportExternalMemory cudaExternalMemoryGetMappedBuffer extmemFreeMipmappedArray extmemGetErrorString" \
        -DEXTMEM_WITH_CUDA_RUNTIME -I"$cuda_inc"
fi
for cc in gcc clang; do
    have $cc || continue
    check "$cc -std=gnu11, CUDA types (EXTMEM_WITH_CUDA_RUNTIME)" \
        $cc -std=gnu11 $cwarn -DEXTMEM_WITH_CUDA_RUNTIME -I"$root/include" -I"$cuda_inc" \
        -fsyntax-only "$src"
    check "$cc -std=gnu11, CUDA types (cuda_runtime_api.h first)" \
        $cc -std=gnu11 $cwarn -include cuda_runtime_api.h -I"$root/include" -I"$cuda_inc" \
        -fsyntax-only "$src"
done
for cxx in g++ clang++; do
    have $cxx || continue
    check "$cxx -std=c++17, CUDA types (EXTMEM_WITH_CUDA_RUNTIME)" \
        $cxx -std=c++17 $warn -DEXTMEM_WITH_CUDA_RUNTIME -I"$root/include" -I"$cuda_inc" \
        -x c++ -fsyntax-only "$src"
    check "$cxx -std=c++17, CUDA types (cuda_runtime.h first)" \
        $cxx -std=c++17 $warn -include cuda_runtime.h -I"$root/include" -I"$cuda_inc" \
        -x c++ -fsyntax-only "$src"
done

exit $failed
