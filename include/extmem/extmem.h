/*
 * extmem's own extensions: what neither D3D11 nor CUDA has a call for.
 *
 * Include it beside <extmem/d3d11.h> and <extmem/cuda_interop.h>.
 */
#ifndef EXTMEM_EXTMEM_H
#define EXTMEM_EXTMEM_H

#include <extmem/d3d11.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EXTMEM_VERSION_MAJOR 0
#define EXTMEM_VERSION_MINOR 1
#define EXTMEM_VERSION_PATCH 0

/* Why the calling thread's last failed extmem call failed ("CreateTexture2D:
 * MipLevels 9 exceeds the 8 levels of a full chain for 128x128x1"), or ""
 * when none failed. Every entry point of every header records one on
 * failure, whatever it returns (HRESULT, cudaError_t, BOOL or void).
 * Ownership: the string belongs to the thread; it is valid until the
 * thread's next extmem call. Never fails. */
EXTMEM_API const char *extmemGetLastErrorMessage(void);

/* The bytes of memory behind a resource: what a CUDA import may pass as
 * `size` besides the size the D3D11 description gives (a buffer's
 * ByteWidth, a texture's tightly packed size), which extmem also accepts.
 * Errors: E_INVALIDARG when resource is not an extmem resource or size is
 * NULL. */
EXTMEM_API HRESULT extmemGetResourceAllocationSize(ID3D11Resource *resource, UINT64 *size);

/* The tightly packed size of a resource: the sum over its subresources of
 * width * height * depth * texel size (ByteWidth for a buffer).
 * Errors: E_INVALIDARG as above. */
EXTMEM_API HRESULT extmemGetResourcePackedSize(ID3D11Resource *resource, UINT64 *size);

/* The memory backend this process uses for shareable resources: "host" or
 * "cuda" (chosen on first use; EXTMEM_BACKEND=host|cuda overrides), or NULL
 * when the one EXTMEM_BACKEND names cannot run here (the message says why).
 * The string is static. */
EXTMEM_API const char *extmemGetBackendName(void);

#ifdef __cplusplus
}
#endif

#endif
