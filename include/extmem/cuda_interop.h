/*
 * extmem's CUDA-style import API.
 *
 * The calls below are CUDA runtime calls with the `extmem` prefix in place of
 * `cuda` and CUDA's exact signatures: import a D3D11 resource's memory
 * (cudaExternalMemoryHandleTypeD3D11Resource / ...D3D11ResourceKmt), map it
 * as a buffer or a mipmapped array, and use it. Exported names never collide
 * with libcudart or libcuda, so a program may link both (the way HIP mirrors
 * CUDA under `hip`). <extmem/cuda_compat.h> maps CUDA's spellings onto these.
 *
 * Types. When CUDA's runtime types are in use -- <cuda_runtime_api.h> (or
 * <driver_types.h>) was included first, the file is compiled by nvcc, or
 * EXTMEM_WITH_CUDA_RUNTIME is defined -- this header includes <cuda_runtime.h>
 * and every type below is CUDA's own. Otherwise it declares its own types
 * with CUDA's names, values and layouts (tests/test_cuda_layout.c compares
 * them field by field with CUDA 13.0's), so a program without the CUDA
 * toolkit compiles the same source. Do not include a CUDA runtime header
 * *after* this one in that mode: the two sets of declarations would clash.
 *
 * EXTMEM_USES_CUDA_RUNTIME_TYPES tells which mode is in effect (1 or 0).
 *
 * Errors: every call returns a cudaError_t (cudaSuccess on success) and
 * validates its arguments before it touches anything; on failure nothing
 * was created or changed, and a message saying what was wrong is recorded
 * for the calling thread. As in CUDA, the failing call's code also becomes
 * the thread's last error (extmemGetLastError / extmemPeekAtLastError).
 */
#ifndef EXTMEM_CUDA_INTEROP_H
#define EXTMEM_CUDA_INTEROP_H

#include <stddef.h>

#ifndef EXTMEM_API
#define EXTMEM_API __attribute__((visibility("default")))
#endif

#if defined(__DRIVER_TYPES_H__) || defined(__CUDACC__) || defined(EXTMEM_WITH_CUDA_RUNTIME)
#define EXTMEM_USES_CUDA_RUNTIME_TYPES 1
#else
#define EXTMEM_USES_CUDA_RUNTIME_TYPES 0
#endif

/* CUDA gives the stream argument of its asynchronous calls a default of 0 in
 * C++; so do we, so that calls written without it compile unchanged. */
#ifdef __cplusplus
#define EXTMEM_DEFAULT_ARG(value) = value
#else
#define EXTMEM_DEFAULT_ARG(value)
#endif

#if EXTMEM_USES_CUDA_RUNTIME_TYPES

/* cuda_runtime.h rather than cuda_runtime_api.h: it also brings
 * make_cudaExtent & co. (driver_functions.h), which CUDA does not let a
 * host file include directly. */
#include <cuda_runtime.h>

#ifndef __cplusplus
/* CUDA's C declarations name these only as `struct X`; give C code the bare
 * names our own types have (C11 allows repeating an identical typedef). */
typedef struct cudaExternalMemoryHandleDesc cudaExternalMemoryHandleDesc;
typedef struct cudaExternalMemoryBufferDesc cudaExternalMemoryBufferDesc;
typedef struct cudaExternalMemoryMipmappedArrayDesc cudaExternalMemoryMipmappedArrayDesc;
typedef struct cudaExternalSemaphoreHandleDesc cudaExternalSemaphoreHandleDesc;
typedef struct cudaExternalSemaphoreSignalParams cudaExternalSemaphoreSignalParams;
typedef struct cudaExternalSemaphoreWaitParams cudaExternalSemaphoreWaitParams;
typedef struct cudaChannelFormatDesc cudaChannelFormatDesc;
typedef struct cudaExtent cudaExtent;
typedef struct cudaPos cudaPos;
typedef struct cudaPitchedPtr cudaPitchedPtr;
typedef struct cudaMemcpy3DParms cudaMemcpy3DParms;
#endif

#else /* our own declarations, layout-identical to CUDA 13.0's */

#ifdef __cplusplus
extern "C" {
#endif

/* Values are CUDA's: code compares them with CUDA's names and a program
 * that mixes extmem with libcudart sees the same numbers. */
typedef enum cudaError {
    cudaSuccess                              = 0,
    cudaErrorInvalidValue                    = 1,
    cudaErrorMemoryAllocation                = 2,
    cudaErrorInitializationError             = 3,
    cudaErrorCudartUnloading                 = 4,
    cudaErrorProfilerDisabled                = 5,
    cudaErrorProfilerNotInitialized          = 6,
    cudaErrorProfilerAlreadyStarted          = 7,
    cudaErrorProfilerAlreadyStopped          = 8,
    cudaErrorInvalidConfiguration            = 9,
    cudaErrorInvalidPitchValue               = 12,
    cudaErrorInvalidSymbol                   = 13,
    cudaErrorInvalidHostPointer              = 16,
    cudaErrorInvalidDevicePointer            = 17,
    cudaErrorInvalidTexture                  = 18,
    cudaErrorInvalidTextureBinding           = 19,
    cudaErrorInvalidChannelDescriptor        = 20,
    cudaErrorInvalidMemcpyDirection          = 21,
    cudaErrorAddressOfConstant               = 22,
    cudaErrorTextureFetchFailed              = 23,
    cudaErrorTextureNotBound                 = 24,
    cudaErrorSynchronizationError            = 25,
    cudaErrorInvalidFilterSetting            = 26,
    cudaErrorInvalidNormSetting              = 27,
    cudaErrorMixedDeviceExecution            = 28,
    cudaErrorNotYetImplemented               = 31,
    cudaErrorMemoryValueTooLarge             = 32,
    cudaErrorStubLibrary                     = 34,
    cudaErrorInsufficientDriver              = 35,
    cudaErrorCallRequiresNewerDriver         = 36,
    cudaErrorInvalidSurface                  = 37,
    cudaErrorDuplicateVariableName           = 43,
    cudaErrorDuplicateTextureName            = 44,
    cudaErrorDuplicateSurfaceName            = 45,
    cudaErrorDevicesUnavailable              = 46,
    cudaErrorIncompatibleDriverContext       = 49,
    cudaErrorMissingConfiguration            = 52,
    cudaErrorPriorLaunchFailure              = 53,
    cudaErrorLaunchMaxDepthExceeded          = 65,
    cudaErrorLaunchFileScopedTex             = 66,
    cudaErrorLaunchFileScopedSurf            = 67,
    cudaErrorSyncDepthExceeded               = 68,
    cudaErrorLaunchPendingCountExceeded      = 69,
    cudaErrorInvalidDeviceFunction           = 98,
    cudaErrorNoDevice                        = 100,
    cudaErrorInvalidDevice                   = 101,
    cudaErrorDeviceNotLicensed               = 102,
    cudaErrorSoftwareValidityNotEstablished  = 103,
    cudaErrorStartupFailure                  = 127,
    cudaErrorInvalidKernelImage              = 200,
    cudaErrorDeviceUninitialized             = 201,
    cudaErrorMapBufferObjectFailed           = 205,
    cudaErrorUnmapBufferObjectFailed         = 206,
    cudaErrorArrayIsMapped                   = 207,
    cudaErrorAlreadyMapped                   = 208,
    cudaErrorNoKernelImageForDevice          = 209,
    cudaErrorAlreadyAcquired                 = 210,
    cudaErrorNotMapped                       = 211,
    cudaErrorNotMappedAsArray                = 212,
    cudaErrorNotMappedAsPointer              = 213,
    cudaErrorECCUncorrectable                = 214,
    cudaErrorUnsupportedLimit                = 215,
    cudaErrorDeviceAlreadyInUse              = 216,
    cudaErrorPeerAccessUnsupported           = 217,
    cudaErrorInvalidPtx                      = 218,
    cudaErrorInvalidGraphicsContext          = 219,
    cudaErrorNvlinkUncorrectable             = 220,
    cudaErrorJitCompilerNotFound             = 221,
    cudaErrorUnsupportedPtxVersion           = 222,
    cudaErrorJitCompilationDisabled          = 223,
    cudaErrorUnsupportedExecAffinity         = 224,
    cudaErrorUnsupportedDevSideSync          = 225,
    cudaErrorContained                       = 226,
    cudaErrorInvalidSource                   = 300,
    cudaErrorFileNotFound                    = 301,
    cudaErrorSharedObjectSymbolNotFound      = 302,
    cudaErrorSharedObjectInitFailed          = 303,
    cudaErrorOperatingSystem                 = 304,
    cudaErrorInvalidResourceHandle           = 400,
    cudaErrorIllegalState                    = 401,
    cudaErrorLossyQuery                      = 402,
    cudaErrorSymbolNotFound                  = 500,
    cudaErrorNotReady                        = 600,
    cudaErrorIllegalAddress                  = 700,
    cudaErrorLaunchOutOfResources            = 701,
    cudaErrorLaunchTimeout                   = 702,
    cudaErrorLaunchIncompatibleTexturing     = 703,
    cudaErrorPeerAccessAlreadyEnabled        = 704,
    cudaErrorPeerAccessNotEnabled            = 705,
    cudaErrorSetOnActiveProcess              = 708,
    cudaErrorContextIsDestroyed              = 709,
    cudaErrorAssert                          = 710,
    cudaErrorTooManyPeers                    = 711,
    cudaErrorHostMemoryAlreadyRegistered     = 712,
    cudaErrorHostMemoryNotRegistered         = 713,
    cudaErrorHardwareStackError              = 714,
    cudaErrorIllegalInstruction              = 715,
    cudaErrorMisalignedAddress               = 716,
    cudaErrorInvalidAddressSpace             = 717,
    cudaErrorInvalidPc                       = 718,
    cudaErrorLaunchFailure                   = 719,
    cudaErrorCooperativeLaunchTooLarge       = 720,
    cudaErrorTensorMemoryLeak                = 721,
    cudaErrorNotPermitted                    = 800,
    cudaErrorNotSupported                    = 801,
    cudaErrorSystemNotReady                  = 802,
    cudaErrorSystemDriverMismatch            = 803,
    cudaErrorCompatNotSupportedOnDevice      = 804,
    cudaErrorMpsConnectionFailed             = 805,
    cudaErrorMpsRpcFailure                   = 806,
    cudaErrorMpsServerNotReady               = 807,
    cudaErrorMpsMaxClientsReached            = 808,
    cudaErrorMpsMaxConnectionsReached        = 809,
    cudaErrorMpsClientTerminated             = 810,
    cudaErrorCdpNotSupported                 = 811,
    cudaErrorCdpVersionMismatch              = 812,
    cudaErrorStreamCaptureUnsupported        = 900,
    cudaErrorStreamCaptureInvalidated        = 901,
    cudaErrorStreamCaptureMerge              = 902,
    cudaErrorStreamCaptureUnmatched          = 903,
    cudaErrorStreamCaptureUnjoined           = 904,
    cudaErrorStreamCaptureIsolation          = 905,
    cudaErrorStreamCaptureImplicit           = 906,
    cudaErrorCapturedEvent                   = 907,
    cudaErrorStreamCaptureWrongThread        = 908,
    cudaErrorTimeout                         = 909,
    cudaErrorGraphExecUpdateFailure          = 910,
    cudaErrorExternalDevice                  = 911,
    cudaErrorInvalidClusterSize              = 912,
    cudaErrorFunctionNotLoaded               = 913,
    cudaErrorInvalidResourceType             = 914,
    cudaErrorInvalidResourceConfiguration    = 915,
    cudaErrorUnknown                         = 999
} cudaError_t;

typedef enum cudaMemcpyKind {
    cudaMemcpyHostToHost     = 0,
    cudaMemcpyHostToDevice   = 1,
    cudaMemcpyDeviceToHost   = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault        = 4
} cudaMemcpyKind;

typedef enum cudaChannelFormatKind {
    cudaChannelFormatKindSigned                       = 0,
    cudaChannelFormatKindUnsigned                     = 1,
    cudaChannelFormatKindFloat                        = 2,
    cudaChannelFormatKindNone                         = 3,
    cudaChannelFormatKindNV12                         = 4,
    cudaChannelFormatKindUnsignedNormalized8X1        = 5,
    cudaChannelFormatKindUnsignedNormalized8X2        = 6,
    cudaChannelFormatKindUnsignedNormalized8X4        = 7,
    cudaChannelFormatKindUnsignedNormalized16X1       = 8,
    cudaChannelFormatKindUnsignedNormalized16X2       = 9,
    cudaChannelFormatKindUnsignedNormalized16X4       = 10,
    cudaChannelFormatKindSignedNormalized8X1          = 11,
    cudaChannelFormatKindSignedNormalized8X2          = 12,
    cudaChannelFormatKindSignedNormalized8X4          = 13,
    cudaChannelFormatKindSignedNormalized16X1         = 14,
    cudaChannelFormatKindSignedNormalized16X2         = 15,
    cudaChannelFormatKindSignedNormalized16X4         = 16,
    cudaChannelFormatKindUnsignedBlockCompressed1     = 17,
    cudaChannelFormatKindUnsignedBlockCompressed1SRGB = 18,
    cudaChannelFormatKindUnsignedBlockCompressed2     = 19,
    cudaChannelFormatKindUnsignedBlockCompressed2SRGB = 20,
    cudaChannelFormatKindUnsignedBlockCompressed3     = 21,
    cudaChannelFormatKindUnsignedBlockCompressed3SRGB = 22,
    cudaChannelFormatKindUnsignedBlockCompressed4     = 23,
    cudaChannelFormatKindSignedBlockCompressed4       = 24,
    cudaChannelFormatKindUnsignedBlockCompressed5     = 25,
    cudaChannelFormatKindSignedBlockCompressed5       = 26,
    cudaChannelFormatKindUnsignedBlockCompressed6H    = 27,
    cudaChannelFormatKindSignedBlockCompressed6H      = 28,
    cudaChannelFormatKindUnsignedBlockCompressed7     = 29,
    cudaChannelFormatKindUnsignedBlockCompressed7SRGB = 30,
    cudaChannelFormatKindUnsignedNormalized1010102    = 31
} cudaChannelFormatKind;

typedef enum cudaExternalMemoryHandleType {
    cudaExternalMemoryHandleTypeOpaqueFd         = 1,
    cudaExternalMemoryHandleTypeOpaqueWin32      = 2,
    cudaExternalMemoryHandleTypeOpaqueWin32Kmt   = 3,
    cudaExternalMemoryHandleTypeD3D12Heap        = 4,
    cudaExternalMemoryHandleTypeD3D12Resource    = 5,
    cudaExternalMemoryHandleTypeD3D11Resource    = 6,
    cudaExternalMemoryHandleTypeD3D11ResourceKmt = 7,
    cudaExternalMemoryHandleTypeNvSciBuf         = 8
} cudaExternalMemoryHandleType;

typedef enum cudaExternalSemaphoreHandleType {
    cudaExternalSemaphoreHandleTypeOpaqueFd               = 1,
    cudaExternalSemaphoreHandleTypeOpaqueWin32            = 2,
    cudaExternalSemaphoreHandleTypeOpaqueWin32Kmt         = 3,
    cudaExternalSemaphoreHandleTypeD3D12Fence             = 4,
    cudaExternalSemaphoreHandleTypeD3D11Fence             = 5,
    cudaExternalSemaphoreHandleTypeNvSciSync              = 6,
    cudaExternalSemaphoreHandleTypeKeyedMutex             = 7,
    cudaExternalSemaphoreHandleTypeKeyedMutexKmt          = 8,
    cudaExternalSemaphoreHandleTypeTimelineSemaphoreFd    = 9,
    cudaExternalSemaphoreHandleTypeTimelineSemaphoreWin32 = 10
} cudaExternalSemaphoreHandleType;

/* cudaExternalMemoryHandleDesc.flags: the handle names a dedicated
 * allocation (required for both D3D11 handle types). */
#define cudaExternalMemoryDedicated 0x1

/* cudaExternalSemaphoreSignalParams.flags / ...WaitParams.flags */
#define cudaExternalSemaphoreSignalSkipNvSciBufMemSync 0x01
#define cudaExternalSemaphoreWaitSkipNvSciBufMemSync   0x02

/* Array flags (cudaExternalMemoryMipmappedArrayDesc.flags, cudaArrayGetInfo) */
#define cudaArrayDefault          0x00
#define cudaArrayLayered          0x01
#define cudaArraySurfaceLoadStore 0x02
#define cudaArrayCubemap          0x04
#define cudaArrayTextureGather    0x08
#define cudaArrayColorAttachment  0x20
#define cudaArraySparse           0x40
#define cudaArrayDeferredMapping  0x80

/* extmemStreamCreateWithFlags */
#define cudaStreamDefault     0x00
#define cudaStreamNonBlocking 0x01

/* Opaque handles; the tags are CUDA's so that pointers mix with its API. */
typedef struct cudaArray *cudaArray_t;
typedef const struct cudaArray *cudaArray_const_t;
typedef struct cudaMipmappedArray *cudaMipmappedArray_t;
typedef const struct cudaMipmappedArray *cudaMipmappedArray_const_t;
typedef struct CUstream_st *cudaStream_t;
typedef struct CUexternalMemory_st *cudaExternalMemory_t;
typedef struct CUexternalSemaphore_st *cudaExternalSemaphore_t;

/* CUDA's special stream handles: the legacy default stream and the
 * per-thread default stream. */
#define cudaStreamLegacy ((cudaStream_t)0x1)
#define cudaStreamPerThread ((cudaStream_t)0x2)

typedef struct cudaChannelFormatDesc {
    int x; /* bits of each component */
    int y;
    int z;
    int w;
    enum cudaChannelFormatKind f;
} cudaChannelFormatDesc;

typedef struct cudaExtent {
    size_t width; /* elements for arrays, bytes for linear memory */
    size_t height;
    size_t depth;
} cudaExtent;

typedef struct cudaPos {
    size_t x;
    size_t y;
    size_t z;
} cudaPos;

typedef struct cudaPitchedPtr {
    void *ptr;
    size_t pitch; /* bytes */
    size_t xsize; /* elements */
    size_t ysize;
} cudaPitchedPtr;

typedef struct cudaMemcpy3DParms {
    cudaArray_t srcArray;
    struct cudaPos srcPos;
    struct cudaPitchedPtr srcPtr;
    cudaArray_t dstArray;
    struct cudaPos dstPos;
    struct cudaPitchedPtr dstPtr;
    struct cudaExtent extent;
    enum cudaMemcpyKind kind;
} cudaMemcpy3DParms;

typedef struct cudaExternalMemoryHandleDesc {
    enum cudaExternalMemoryHandleType type;
    union {
        int fd;
        /* Exactly one of handle and name is non-NULL; KMT handles have no name. */
        struct {
            void *handle;
            const void *name; /* wide-character (WCHAR) string */
        } win32;
        const void *nvSciBufObject;
    } handle;
    unsigned long long size; /* bytes */
    unsigned int flags;
    unsigned int reserved[16]; /* must be zero */
} cudaExternalMemoryHandleDesc;

typedef struct cudaExternalMemoryBufferDesc {
    unsigned long long offset;
    unsigned long long size;
    unsigned int flags; /* must be zero */
    unsigned int reserved[16];
} cudaExternalMemoryBufferDesc;

typedef struct cudaExternalMemoryMipmappedArrayDesc {
    unsigned long long offset;
    struct cudaChannelFormatDesc formatDesc;
    struct cudaExtent extent;
    unsigned int flags; /* cudaArray* flags */
    unsigned int numLevels;
    unsigned int reserved[16];
} cudaExternalMemoryMipmappedArrayDesc;

typedef struct cudaExternalSemaphoreHandleDesc {
    enum cudaExternalSemaphoreHandleType type;
    union {
        int fd;
        struct {
            void *handle;
            const void *name;
        } win32;
        const void *nvSciSyncObj;
    } handle;
    unsigned int flags;
    unsigned int reserved[16];
} cudaExternalSemaphoreHandleDesc;

/* CUDA 13 has only this form (the _v1 / _v2 names of CUDA 11-12 are gone). */
typedef struct cudaExternalSemaphoreSignalParams {
    struct {
        struct {
            unsigned long long value; /* D3D11 fence: value to signal */
        } fence;
        union {
            void *fence;
            unsigned long long reserved;
        } nvSciSync;
        struct {
            unsigned long long key; /* keyed mutex: key to release with */
        } keyedMutex;
        unsigned int reserved[12];
    } params;
    unsigned int flags;
    unsigned int reserved[16];
} cudaExternalSemaphoreSignalParams;

typedef struct cudaExternalSemaphoreWaitParams {
    struct {
        struct {
            unsigned long long value; /* D3D11 fence: value to wait for */
        } fence;
        union {
            void *fence;
            unsigned long long reserved;
        } nvSciSync;
        struct {
            unsigned long long key;   /* keyed mutex: key to acquire with */
            unsigned int timeoutMs;
        } keyedMutex;
        unsigned int reserved[10];
    } params;
    unsigned int flags;
    unsigned int reserved[16];
} cudaExternalSemaphoreWaitParams;

/* CUDA declares these in driver_functions.h. */
static inline struct cudaPitchedPtr make_cudaPitchedPtr(void *d, size_t p, size_t xsz, size_t ysz)
{
    struct cudaPitchedPtr s;
    s.ptr = d;
    s.pitch = p;
    s.xsize = xsz;
    s.ysize = ysz;
    return s;
}

static inline struct cudaPos make_cudaPos(size_t x, size_t y, size_t z)
{
    struct cudaPos p;
    p.x = x;
    p.y = y;
    p.z = z;
    return p;
}

static inline struct cudaExtent make_cudaExtent(size_t w, size_t h, size_t d)
{
    struct cudaExtent e;
    e.width = w;
    e.height = h;
    e.depth = d;
    return e;
}

#ifdef __cplusplus
}
#endif

#endif /* EXTMEM_USES_CUDA_RUNTIME_TYPES */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- External memory ------------------------------------------------- */

/* Imports the memory a handle names. D3D11 types: `handle.win32.handle`
 * (an NT handle from IDXGIResource1::CreateSharedHandle, or a KMT handle
 * from IDXGIResource::GetSharedHandle for ...D3D11ResourceKmt) or
 * `handle.win32.name` (NT type only), `size` > 0 and no larger than the
 * resource, `flags` containing cudaExternalMemoryDedicated, `reserved` zero.
 * The import holds its own reference on the resource: the caller may close
 * the handle right away. Ownership: *extMem_out belongs to the caller until
 * extmemDestroyExternalMemory. Errors: cudaErrorInvalidValue (bad or
 * inconsistent description), cudaErrorInvalidResourceHandle (the handle or
 * name names no live resource), cudaErrorOperatingSystem (a system call
 * failed), cudaErrorMemoryAllocation; *extMem_out is untouched on failure. */
EXTMEM_API cudaError_t extmemImportExternalMemory(cudaExternalMemory_t *extMem_out,
                                                  const cudaExternalMemoryHandleDesc *memHandleDesc);

/* Maps [offset, offset + size) of the imported object as linear memory
 * (flags must be 0). Ownership: the caller frees *devPtr with extmemFree
 * (cudaFree on the cuda backend), before or after destroying extMem.
 * Errors: cudaErrorInvalidValue (range outside the object, overflow, size 0,
 * flags), cudaErrorInvalidResourceHandle (extMem is not a live import). */
EXTMEM_API cudaError_t extmemExternalMemoryGetMappedBuffer(void **devPtr, cudaExternalMemory_t extMem,
                                                           const cudaExternalMemoryBufferDesc *bufferDesc);

/* Maps the imported object, from `offset`, as a mipmapped array whose
 * channel format, extent, level count and array flags match the D3D11
 * resource. Ownership: the caller frees *mipmap with
 * extmemFreeMipmappedArray; its level arrays (extmemGetMipmappedArrayLevel)
 * are owned by it. Errors: cudaErrorInvalidValue (description does not fit
 * the object), cudaErrorInvalidChannelDescriptor (format not supported or
 * not the resource's), cudaErrorInvalidResourceHandle. */
EXTMEM_API cudaError_t extmemExternalMemoryGetMappedMipmappedArray(
    cudaMipmappedArray_t *mipmap, cudaExternalMemory_t extMem,
    const cudaExternalMemoryMipmappedArrayDesc *mipmapDesc);

/* Ends an import and drops its reference on the resource. Mappings made
 * from it stay valid until freed (they hold the memory).
 * Errors: cudaErrorInvalidResourceHandle. */
EXTMEM_API cudaError_t extmemDestroyExternalMemory(cudaExternalMemory_t extMem);

/* ---- External semaphores: D3D11 fences and keyed mutexes ------------- */

/* Imports a D3D11 fence (cudaExternalSemaphoreHandleTypeD3D11Fence) or a
 * resource's keyed mutex (...KeyedMutex / ...KeyedMutexKmt). The import holds
 * its own reference. Ownership: the caller destroys *extSem_out with
 * extmemDestroyExternalSemaphore. Errors: cudaErrorInvalidValue,
 * cudaErrorInvalidResourceHandle, cudaErrorOperatingSystem. */
EXTMEM_API cudaError_t extmemImportExternalSemaphore(cudaExternalSemaphore_t *extSem_out,
                                                     const cudaExternalSemaphoreHandleDesc *semHandleDesc);

/* Queues on `stream` a signal of each semaphore: fence set to
 * params.fence.value, keyed mutex released with params.keyedMutex.key.
 * Errors: cudaErrorInvalidValue, cudaErrorInvalidResourceHandle; a keyed
 * mutex not held by this process: cudaErrorIllegalState (reported here or by
 * a later stream synchronization). */
EXTMEM_API cudaError_t extmemSignalExternalSemaphoresAsync(const cudaExternalSemaphore_t *extSemArray,
                                                           const cudaExternalSemaphoreSignalParams *paramsArray,
                                                           unsigned int numExtSems,
                                                           cudaStream_t stream EXTMEM_DEFAULT_ARG(0));

/* Queues on `stream` a wait for each semaphore: fence reaching
 * params.fence.value, keyed mutex acquired with params.keyedMutex.key within
 * params.keyedMutex.timeoutMs. Work queued after it runs once all are met.
 * Errors: as extmemSignalExternalSemaphoresAsync; a keyed-mutex timeout is
 * cudaErrorTimeout. */
EXTMEM_API cudaError_t extmemWaitExternalSemaphoresAsync(const cudaExternalSemaphore_t *extSemArray,
                                                         const cudaExternalSemaphoreWaitParams *paramsArray,
                                                         unsigned int numExtSems,
                                                         cudaStream_t stream EXTMEM_DEFAULT_ARG(0));

/* Ends a semaphore import. Errors: cudaErrorInvalidResourceHandle. */
EXTMEM_API cudaError_t extmemDestroyExternalSemaphore(cudaExternalSemaphore_t extSem);

/* ---- Runtime subset ---------------------------------------------------
 * CUDA's semantics, on whichever backend is active: host memory without a
 * GPU (device pointers are host pointers; every memcpy kind is a plain copy,
 * "async" calls complete in stream order), device memory on the cuda
 * backend. Pointers and arrays come from the calls above or from extmemMalloc.
 * Errors, unless stated: cudaErrorInvalidValue for bad arguments and for a
 * device pointer or range outside what extmem handed out (extmemFree of such
 * a pointer: cudaErrorInvalidDevicePointer), cudaErrorInvalidResourceHandle
 * for a bad array or stream. */

/* Ownership: the caller frees *devPtr with extmemFree.
 * Errors: cudaErrorMemoryAllocation. */
EXTMEM_API cudaError_t extmemMalloc(void **devPtr, size_t size);
/* Frees extmemMalloc memory or a mapped buffer; NULL is a no-op. */
EXTMEM_API cudaError_t extmemFree(void *devPtr);
/* Frees a mapped mipmapped array and its level arrays; NULL is a no-op. */
EXTMEM_API cudaError_t extmemFreeMipmappedArray(cudaMipmappedArray_t mipmappedArray);
/* *levelArray is owned by mipmappedArray: never free it; it dies with it. */
EXTMEM_API cudaError_t extmemGetMipmappedArrayLevel(cudaArray_t *levelArray,
                                                    cudaMipmappedArray_const_t mipmappedArray,
                                                    unsigned int level);
/* Any of desc, extent, flags may be NULL. */
EXTMEM_API cudaError_t extmemArrayGetInfo(struct cudaChannelFormatDesc *desc, struct cudaExtent *extent,
                                          unsigned int *flags, cudaArray_t array);

/* Copies; cudaErrorInvalidMemcpyDirection for an unknown kind, and for a
 * region outside an array cudaErrorInvalidValue. */
EXTMEM_API cudaError_t extmemMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind);
EXTMEM_API cudaError_t extmemMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                                         cudaStream_t stream EXTMEM_DEFAULT_ARG(0));
EXTMEM_API cudaError_t extmemMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                                      size_t height, enum cudaMemcpyKind kind);
EXTMEM_API cudaError_t extmemMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch,
                                           size_t width, size_t height, enum cudaMemcpyKind kind,
                                           cudaStream_t stream EXTMEM_DEFAULT_ARG(0));
EXTMEM_API cudaError_t extmemMemcpy2DToArray(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                             size_t spitch, size_t width, size_t height,
                                             enum cudaMemcpyKind kind);
EXTMEM_API cudaError_t extmemMemcpy2DToArrayAsync(cudaArray_t dst, size_t wOffset, size_t hOffset,
                                                  const void *src, size_t spitch, size_t width, size_t height,
                                                  enum cudaMemcpyKind kind,
                                                  cudaStream_t stream EXTMEM_DEFAULT_ARG(0));
EXTMEM_API cudaError_t extmemMemcpy2DFromArray(void *dst, size_t dpitch, cudaArray_const_t src, size_t wOffset,
                                               size_t hOffset, size_t width, size_t height,
                                               enum cudaMemcpyKind kind);
EXTMEM_API cudaError_t extmemMemcpy2DFromArrayAsync(void *dst, size_t dpitch, cudaArray_const_t src,
                                                    size_t wOffset, size_t hOffset, size_t width, size_t height,
                                                    enum cudaMemcpyKind kind,
                                                    cudaStream_t stream EXTMEM_DEFAULT_ARG(0));
EXTMEM_API cudaError_t extmemMemcpy2DArrayToArray(cudaArray_t dst, size_t wOffsetDst, size_t hOffsetDst,
                                                  cudaArray_const_t src, size_t wOffsetSrc, size_t hOffsetSrc,
                                                  size_t width, size_t height,
                                                  enum cudaMemcpyKind kind
                                                      EXTMEM_DEFAULT_ARG(cudaMemcpyDeviceToDevice));
EXTMEM_API cudaError_t extmemMemcpy3D(const struct cudaMemcpy3DParms *p);
EXTMEM_API cudaError_t extmemMemcpy3DAsync(const struct cudaMemcpy3DParms *p,
                                           cudaStream_t stream EXTMEM_DEFAULT_ARG(0));
EXTMEM_API cudaError_t extmemMemset(void *devPtr, int value, size_t count);
EXTMEM_API cudaError_t extmemMemsetAsync(void *devPtr, int value, size_t count,
                                         cudaStream_t stream EXTMEM_DEFAULT_ARG(0));
EXTMEM_API cudaError_t extmemMemset2D(void *devPtr, size_t pitch, int value, size_t width, size_t height);

/* Streams. Ownership: the caller destroys *pStream with extmemStreamDestroy.
 * extmemStreamQuery returns cudaErrorNotReady while work is pending. */
EXTMEM_API cudaError_t extmemDeviceSynchronize(void);
EXTMEM_API cudaError_t extmemStreamCreate(cudaStream_t *pStream);
EXTMEM_API cudaError_t extmemStreamCreateWithFlags(cudaStream_t *pStream, unsigned int flags);
EXTMEM_API cudaError_t extmemStreamDestroy(cudaStream_t stream);
EXTMEM_API cudaError_t extmemStreamSynchronize(cudaStream_t stream);
EXTMEM_API cudaError_t extmemStreamQuery(cudaStream_t stream);

/* Errors. GetLastError returns and clears the calling thread's last error,
 * PeekAtLastError only returns it. The strings are static: never free them;
 * unknown values give "unrecognized error code". */
EXTMEM_API cudaError_t extmemGetLastError(void);
EXTMEM_API cudaError_t extmemPeekAtLastError(void);
EXTMEM_API const char *extmemGetErrorName(cudaError_t error);
EXTMEM_API const char *extmemGetErrorString(cudaError_t error);

/* Returns the descriptor {x, y, z, w, f} by value; never fails. */
EXTMEM_API struct cudaChannelFormatDesc extmemCreateChannelDesc(int x, int y, int z, int w,
                                                                enum cudaChannelFormatKind f);

/* Devices. On the host backend there is one device, 0.
 * Errors: cudaErrorNoDevice, cudaErrorInvalidDevice. */
EXTMEM_API cudaError_t extmemGetDeviceCount(int *count);
EXTMEM_API cudaError_t extmemSetDevice(int device);
EXTMEM_API cudaError_t extmemGetDevice(int *device);

#ifdef __cplusplus
}
#endif

#endif
