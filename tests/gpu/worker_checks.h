/*
 * What the cross-process GPU worker programs (ipc_gpu_worker.cu,
 * sync_gpu_worker.cu) share: ending the process with a message when a call
 * fails, and widening a name for the D3D11 calls. Define WORKER_NAME
 * before including it.
 *
 * A worker that DIEs exits with status 2; its message goes to stderr, with
 * its pid and extmem's last error message.
 */
#ifndef EXTMEM_TEST_GPU_WORKER_CHECKS_H
#define EXTMEM_TEST_GPU_WORKER_CHECKS_H

#include <cuda_runtime.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#define DIE(...)                                                                                   \
    do {                                                                                           \
        fprintf(stderr, WORKER_NAME " %d: ", (int)getpid());                                       \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, " (extmem: %s)\n", extmemGetLastErrorMessage());                           \
        exit(2);                                                                                   \
    } while (0)
#define CHECK_CUDA(call)                                                                           \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess)                                                                     \
            DIE("%s:%d: %s: %s", __FILE__, __LINE__, #call, cudaGetErrorName(e_));                 \
    } while (0)
#define CHECK_HR(call)                                                                             \
    do {                                                                                           \
        HRESULT hr_ = (call);                                                                      \
        if (FAILED(hr_))                                                                           \
            DIE("%s:%d: %s: 0x%08x", __FILE__, __LINE__, #call, (unsigned)hr_);                    \
    } while (0)

/* An ASCII name as the WCHAR string D3D11 names are. */
static inline void to_wide(const char *in, WCHAR *out, size_t size)
{
    size_t i = 0;

    for (; in[i] && i + 1 < size; i++)
        out[i] = (WCHAR)(unsigned char)in[i];
    out[i] = 0;
}

#endif
