/*
 * The CUDA driver, loaded at run time.
 *
 * extmem never links against libcuda: one build runs on a machine without
 * a GPU (the host backend) and on one with a GPU (the cuda backend). The
 * entry points below are resolved once per process (thread-safe), from
 * libcuda.so.1 through cuGetProcAddress, at the ABI version of the cuda.h
 * this file was compiled with, so each member has exactly the type cuda.h
 * gives the function of the same name.
 *
 * Only compiled where the CUDA toolkit's headers are (EXTMEM_HAVE_CUDA_HEADERS).
 */
#ifndef EXTMEM_BACKEND_CUDA_DRIVER_H
#define EXTMEM_BACKEND_CUDA_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include <cuda.h>

/* Every driver function extmem calls. Adding one here is all it takes. */
#define XM_CUDA_DRIVER_FUNCTIONS(X)                                                            \
    X(cuDriverGetVersion) X(cuDeviceGetCount) X(cuDeviceGet) X(cuDeviceGetName)                \
    X(cuDeviceGetAttribute) X(cuDevicePrimaryCtxRetain) X(cuCtxSetCurrent) X(cuCtxGetCurrent)  \
    X(cuCtxCreate) X(cuCtxDestroy) X(cuCtxPushCurrent) X(cuCtxPopCurrent) X(cuCtxSetLimit)     \
    X(cuCtxSynchronize) X(cuGetErrorName) X(cuGetErrorString)                                  \
    X(cuMemCreate) X(cuMemRelease) X(cuMemExportToShareableHandle)                             \
    X(cuMemImportFromShareableHandle) X(cuMemGetAllocationGranularity)                         \
    X(cuMemAddressReserve) X(cuMemAddressFree) X(cuMemMap) X(cuMemUnmap) X(cuMemSetAccess)     \
    X(cuImportExternalMemory) X(cuExternalMemoryGetMappedBuffer)                               \
    X(cuExternalMemoryGetMappedMipmappedArray) X(cuDestroyExternalMemory)                      \
    X(cuMipmappedArrayCreate) X(cuMipmappedArrayGetLevel) X(cuMipmappedArrayDestroy)           \
    X(cuMipmappedArrayGetMemoryRequirements)                                                   \
    X(cuMemcpy3D) X(cuMemcpy2D) X(cuMemcpyHtoD) X(cuMemcpyDtoH) X(cuMemcpyDtoD)                \
    X(cuMemsetD8) X(cuMemsetD2D8) X(cuMemAlloc) X(cuMemFree) X(cuMemGetInfo)                   \
    X(cuStreamCreate) X(cuStreamSynchronize) X(cuMemcpy3DAsync) X(cuMemcpyHtoDAsync)           \
    X(cuMemcpyDtoHAsync) X(cuMemcpyDtoDAsync) X(cuMemsetD8Async)                               \
    X(cuMemHostRegister) X(cuMemHostUnregister) X(cuMemHostGetDevicePointer)                   \
    X(cuStreamWaitValue64) X(cuStreamWriteValue64) X(cuLaunchHostFunc) X(cuMemHostAlloc)

#define XM_CUDA_STAGING_BYTES (4u << 20)

struct xm_cuda_driver {
#define XM_CUDA_DRIVER_MEMBER(fn) __typeof__(fn) *fn;
    XM_CUDA_DRIVER_FUNCTIONS(XM_CUDA_DRIVER_MEMBER)
#undef XM_CUDA_DRIVER_MEMBER
    CUdevice device;       /* device 0: the one extmem allocates on */
    CUcontext context;     /* its primary context, retained for the process: CUDA's side, shared
                            * with the CUDA runtime */
    CUcontext work_context; /* the D3D11 side's (backend/cuda.c), a context of its own: the driver
                            * serializes a context's calls behind a synchronous copy that waits for
                            * its stream, so with one context a CUDA thread whose copy waits for a
                            * D3D11 signal would stop the D3D11 thread's copies that come before
                            * that signal (measured on the H200, docs/CUDA_BACKEND.md) */
    CUstream stream;       /* extmem's own work (the D3D11 side's copies), in work_context:
                            * non-blocking, so that it never waits for the legacy stream, nor the
                            * legacy stream for it */
    bool stream_memops;    /* 64-bit cuStreamWaitValue64 / cuStreamWriteValue64 work on this device */
    void *staging;         /* XM_CUDA_STAGING_BYTES of pinned host memory for the D3D11 side's copies
                            * (backend/cuda.c), made here: a pinned allocation can wait for the device,
                            * which must never happen while a stream waits for this process */
    char device_name[128];
};

/* The driver, loaded and initialised on first call; the calling thread's
 * current context is left as it is. NULL, with why, as below. */
const struct xm_cuda_driver *xm_cuda_driver_load(char *why, size_t why_size);

/* The driver, loaded and initialised on first call, with device 0's
 * primary context current on the calling thread. NULL when it cannot run
 * here; then why (if not NULL) holds a sentence saying what is missing
 * ("libcuda.so.1 not found: ...", "no CUDA device", ...). */
const struct xm_cuda_driver *xm_cuda_driver_get(char *why, size_t why_size);

/* "CUDA_ERROR_INVALID_VALUE" for a result, for messages; never NULL. */
const char *xm_cuda_result_name(CUresult result);

#endif
