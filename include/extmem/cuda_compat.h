/*
 * CUDA's spellings for extmem's calls, so that code written for CUDA's
 * D3D11 interop compiles unchanged:
 *
 *     #include <extmem/d3d11.h>
 *     #include <extmem/cuda_compat.h>
 *     ...
 *     cudaImportExternalMemory(&mem, &desc);   // calls extmemImportExternalMemory
 *
 * What is mapped depends on whose types are in use (see cuda_interop.h):
 *
 *  - With CUDA's runtime (its headers included first, nvcc, or
 *    EXTMEM_WITH_CUDA_RUNTIME defined) only the external-memory and
 *    external-semaphore calls are mapped. Everything else -- cudaFree,
 *    cudaMemcpy*, cudaGetMipmappedArrayLevel, streams, kernels -- stays
 *    CUDA's own and works on what extmem returns, which on the cuda backend
 *    is real device memory.
 *  - Without it (no GPU toolkit, the host backend) the runtime subset that
 *    extmem implements is mapped as well, so the same program runs on the
 *    host implementation.
 *
 * Macros, not wrappers: a call site becomes a direct call to extmem, and
 * taking a function's address (&cudaFree) gives extmem's.
 */
#ifndef EXTMEM_CUDA_COMPAT_H
#define EXTMEM_CUDA_COMPAT_H

#include <extmem/cuda_interop.h>

/* CUDA's own header may have defined these names as macros (its
 * per-thread-default-stream variants); ours take their place. */
#undef cudaImportExternalMemory
#undef cudaExternalMemoryGetMappedBuffer
#undef cudaExternalMemoryGetMappedMipmappedArray
#undef cudaDestroyExternalMemory
#undef cudaImportExternalSemaphore
#undef cudaSignalExternalSemaphoresAsync
#undef cudaWaitExternalSemaphoresAsync
#undef cudaDestroyExternalSemaphore

#define cudaImportExternalMemory                  extmemImportExternalMemory
#define cudaExternalMemoryGetMappedBuffer         extmemExternalMemoryGetMappedBuffer
#define cudaExternalMemoryGetMappedMipmappedArray extmemExternalMemoryGetMappedMipmappedArray
#define cudaDestroyExternalMemory                 extmemDestroyExternalMemory
#define cudaImportExternalSemaphore               extmemImportExternalSemaphore
#define cudaSignalExternalSemaphoresAsync         extmemSignalExternalSemaphoresAsync
#define cudaWaitExternalSemaphoresAsync           extmemWaitExternalSemaphoresAsync
#define cudaDestroyExternalSemaphore              extmemDestroyExternalSemaphore

#if !EXTMEM_USES_CUDA_RUNTIME_TYPES
#define cudaMalloc                  extmemMalloc
#define cudaFree                    extmemFree
#define cudaFreeMipmappedArray      extmemFreeMipmappedArray
#define cudaGetMipmappedArrayLevel  extmemGetMipmappedArrayLevel
#define cudaArrayGetInfo            extmemArrayGetInfo
#define cudaMemcpy                  extmemMemcpy
#define cudaMemcpyAsync             extmemMemcpyAsync
#define cudaMemcpy2D                extmemMemcpy2D
#define cudaMemcpy2DAsync           extmemMemcpy2DAsync
#define cudaMemcpy2DToArray         extmemMemcpy2DToArray
#define cudaMemcpy2DToArrayAsync    extmemMemcpy2DToArrayAsync
#define cudaMemcpy2DFromArray       extmemMemcpy2DFromArray
#define cudaMemcpy2DFromArrayAsync  extmemMemcpy2DFromArrayAsync
#define cudaMemcpy2DArrayToArray    extmemMemcpy2DArrayToArray
#define cudaMemcpy3D                extmemMemcpy3D
#define cudaMemcpy3DAsync           extmemMemcpy3DAsync
#define cudaMemset                  extmemMemset
#define cudaMemsetAsync             extmemMemsetAsync
#define cudaMemset2D                extmemMemset2D
#define cudaDeviceSynchronize       extmemDeviceSynchronize
#define cudaStreamCreate            extmemStreamCreate
#define cudaStreamCreateWithFlags   extmemStreamCreateWithFlags
#define cudaStreamDestroy           extmemStreamDestroy
#define cudaStreamSynchronize       extmemStreamSynchronize
#define cudaStreamQuery             extmemStreamQuery
#define cudaGetLastError            extmemGetLastError
#define cudaPeekAtLastError         extmemPeekAtLastError
#define cudaGetErrorName            extmemGetErrorName
#define cudaGetErrorString          extmemGetErrorString
#define cudaCreateChannelDesc       extmemCreateChannelDesc
#define cudaGetDeviceCount          extmemGetDeviceCount
#define cudaSetDevice               extmemSetDevice
#define cudaGetDevice               extmemGetDevice
#endif

#endif
