/*
 * Helpers shared by the test files: a device, shared resources, imports
 * in the seed's shape, and leak accounting.
 */
#ifndef EXTMEM_TEST_COMMON_H
#define EXTMEM_TEST_COMMON_H

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#include "harness.h"

/* A device on the default backend, and its immediate context (may be NULL). */
ID3D11Device1 *xm_test_device(ID3D11DeviceContext **context);

/* A 2D texture of width x height, mips levels, format, misc flags. */
ID3D11Texture2D *xm_test_texture2d(ID3D11Device1 *device, UINT width, UINT height, UINT mips, UINT array,
                                   DXGI_FORMAT format, UINT misc);

/* A DEFAULT buffer of `size` bytes with misc flags, filled with data if given. */
ID3D11Buffer *xm_test_buffer(ID3D11Device1 *device, UINT size, UINT misc, const void *data);

/* Imports in the seed's shape: zeroed description, dedicated. */
cudaError_t xm_test_import(cudaExternalMemory_t *out, enum cudaExternalMemoryHandleType type, HANDLE handle,
                           LPCWSTR name, unsigned long long size);

/* Shared-handle creation on any resource. */
HANDLE xm_test_nt_handle(void *resource, DWORD access, LPCWSTR name);
HANDLE xm_test_kmt_handle(void *resource);

/* Snapshot of everything that can leak: live resources, open handles,
 * KMT values, names, imports, mappings, fences, semaphore imports. */
struct xm_test_census {
    size_t resources, handles, nt_objects, kmt_values, names, imports, allocations, fences, semaphores;
};
void xm_test_census(struct xm_test_census *census);
/* Asserts the census equals `before`. */
#define XM_ASSERT_NOTHING_LEAKED(before)                                     \
    do {                                                                     \
        struct xm_test_census xm_now_;                                       \
        xm_test_census(&xm_now_);                                            \
        XM_ASSERT_EQ(xm_now_.resources, (before).resources);                 \
        XM_ASSERT_EQ(xm_now_.handles, (before).handles);                     \
        XM_ASSERT_EQ(xm_now_.nt_objects, (before).nt_objects);               \
        XM_ASSERT_EQ(xm_now_.kmt_values, (before).kmt_values);               \
        XM_ASSERT_EQ(xm_now_.names, (before).names);                         \
        XM_ASSERT_EQ(xm_now_.imports, (before).imports);                     \
        XM_ASSERT_EQ(xm_now_.allocations, (before).allocations);             \
        XM_ASSERT_EQ(xm_now_.fences, (before).fences);                       \
        XM_ASSERT_EQ(xm_now_.semaphores, (before).semaphores);               \
    } while (0)

#define XM_ASSERT_HR(expr, want)                                             \
    do {                                                                     \
        HRESULT xm_hr_ = (expr);                                             \
        if (xm_hr_ != (HRESULT)(want))                                       \
            xm_test_fail(__FILE__, __LINE__, "%s: got 0x%08x, want 0x%08x (%s)", #expr, \
                         (unsigned)xm_hr_, (unsigned)(want), extmemGetLastErrorMessage()); \
    } while (0)

#define XM_ASSERT_CUDA(expr, want)                                           \
    do {                                                                     \
        cudaError_t xm_ce_ = (expr);                                         \
        if (xm_ce_ != (want))                                                \
            xm_test_fail(__FILE__, __LINE__, "%s: got %s, want %s (%s)", #expr, \
                         extmemGetErrorName(xm_ce_), extmemGetErrorName(want), \
                         extmemGetLastErrorMessage());                       \
    } while (0)

#endif
