#!/usr/bin/env bash
# Installs a build into a scratch prefix and builds a small consumer
# against it twice: with CMake's find_package(extmem) and with pkg-config.
set -euo pipefail
build=${1:-build}
prefix=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT

cmake --install "$build" --prefix "$prefix" >/dev/null
cat >"$work/consumer.c" <<'C'
#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>
#include <stdio.h>
int main(void)
{
    ID3D11Device *device = NULL;
    HRESULT hr = D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION,
                                   &device, NULL, NULL);
    if (FAILED(hr))
        return 1;
    printf("consumer: backend %s, %s\n", extmemGetBackendName(), cudaGetErrorName(cudaErrorInvalidValue));
    ID3D11Device_Release(device);
    return 0;
}
C
cat >"$work/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(extmem REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE extmem::extmem)
CM
cmake -S "$work" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/build" >/dev/null
LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64:${LD_LIBRARY_PATH:-}" "$work/build/consumer"

pcdir=$(dirname "$(find "$prefix" -name extmem.pc | head -n1)")
cc -std=gnu11 "$work/consumer.c" -o "$work/consumer-pc" $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs extmem)
LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64:${LD_LIBRARY_PATH:-}" "$work/consumer-pc"
echo "install check: find_package and pkg-config consumers built and ran"
