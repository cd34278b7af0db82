/*
 * The host implementation of CUDA's runtime subset (cuda_interop.h):
 * allocation, copies and sets, streams, errors and the one device.
 *
 * A "device pointer" is a host pointer into an allocation the registry
 * knows (cuda_private.h) and an array is a struct cudaArray over host
 * memory, so every copy is a memmove of rows. Copies run when they are
 * called: a stream's work is done before the call that queued it returns,
 * which keeps each stream's order and makes every synchronization a no-op.
 *
 * On the cuda backend the same checks run against what the registry knows
 * of device memory (its ranges, and a description of each level array),
 * and a copy that touches device memory is one synchronous cuMemcpy3D
 * (import_driver.c); cudaMalloc is cuMemAlloc there.
 *
 * Each entry point validates everything -- stream, kind, handles, pitches,
 * then the regions -- before it moves a byte, and reports a failure through
 * xm_cuda_error() with the name of the CUDA call it stands for.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/hash_map.h"
#include "cuda/cuda_private.h"

/* cudaMalloc's documented guarantee: "The allocated memory is suitably
 * aligned for any kind of variable"; the driver aligns to 256 bytes, and
 * code written for CUDA relies on it. */
#define XM_MALLOC_ALIGNMENT 256

/* ---- errors -------------------------------------------------------------- */

/* Every cudaError_t cuda_interop.h declares, with CUDA's message for it
 * (cudaGetErrorString's wording). */
#define XM_CUDA_ERRORS(X)                                                                                    \
    X(cudaSuccess, "no error")                                                                               \
    X(cudaErrorInvalidValue, "invalid argument")                                                             \
    X(cudaErrorMemoryAllocation, "out of memory")                                                            \
    X(cudaErrorInitializationError, "initialization error")                                                  \
    X(cudaErrorCudartUnloading, "driver shutting down")                                                      \
    X(cudaErrorProfilerDisabled, "profiler disabled while using external profiling tool")                    \
    X(cudaErrorProfilerNotInitialized, "profiler not initialized: call cudaProfilerInitialize()")            \
    X(cudaErrorProfilerAlreadyStarted, "profiler already started")                                           \
    X(cudaErrorProfilerAlreadyStopped, "profiler already stopped")                                           \
    X(cudaErrorInvalidConfiguration, "invalid configuration argument")                                       \
    X(cudaErrorInvalidPitchValue, "invalid pitch argument")                                                  \
    X(cudaErrorInvalidSymbol, "invalid device symbol")                                                       \
    X(cudaErrorInvalidHostPointer, "invalid host pointer")                                                   \
    X(cudaErrorInvalidDevicePointer, "invalid device pointer")                                               \
    X(cudaErrorInvalidTexture, "invalid texture reference")                                                  \
    X(cudaErrorInvalidTextureBinding, "texture is not bound to a pointer")                                   \
    X(cudaErrorInvalidChannelDescriptor, "invalid channel descriptor")                                       \
    X(cudaErrorInvalidMemcpyDirection, "invalid copy direction for memcpy")                                  \
    X(cudaErrorAddressOfConstant, "invalid address of constant")                                             \
    X(cudaErrorTextureFetchFailed, "fetch from texture failed")                                              \
    X(cudaErrorTextureNotBound, "cannot fetch from a texture that is not bound")                             \
    X(cudaErrorSynchronizationError, "incorrect use of __syncthreads()")                                     \
    X(cudaErrorInvalidFilterSetting, "linear filtering not supported for non-float type")                    \
    X(cudaErrorInvalidNormSetting, "read as normalized float not supported for 32-bit non float type")       \
    X(cudaErrorMixedDeviceExecution, "device emulation mode and device execution mode cannot be mixed")      \
    X(cudaErrorNotYetImplemented, "feature not yet implemented")                                             \
    X(cudaErrorMemoryValueTooLarge, "memory size or pointer value too large to fit in 32 bit")               \
    X(cudaErrorStubLibrary, "CUDA driver is a stub library")                                                 \
    X(cudaErrorInsufficientDriver, "CUDA driver version is insufficient for CUDA runtime version")           \
    X(cudaErrorCallRequiresNewerDriver, "API call is not supported in the installed CUDA driver")            \
    X(cudaErrorInvalidSurface, "invalid surface reference")                                                  \
    X(cudaErrorDuplicateVariableName, "duplicate global variable looked up by string name")                  \
    X(cudaErrorDuplicateTextureName, "duplicate texture looked up by string name")                           \
    X(cudaErrorDuplicateSurfaceName, "duplicate surface looked up by string name")                           \
    X(cudaErrorDevicesUnavailable, "CUDA-capable device(s) is/are busy or unavailable")                      \
    X(cudaErrorIncompatibleDriverContext, "incompatible driver context")                                     \
    X(cudaErrorMissingConfiguration, "__global__ function call is not configured")                           \
    X(cudaErrorPriorLaunchFailure, "unspecified launch failure in prior launch")                             \
    X(cudaErrorLaunchMaxDepthExceeded, "launch would exceed maximum depth of nested launches")               \
    X(cudaErrorLaunchFileScopedTex, "launch failed because kernel uses unsupported, file-scoped textures "    \
                                    "(texture objects are supported)")                                       \
    X(cudaErrorLaunchFileScopedSurf, "launch failed because kernel uses unsupported, file-scoped surfaces "  \
                                     "(surface objects are supported)")                                      \
    X(cudaErrorSyncDepthExceeded, "cudaDeviceSynchronize failed because caller's grid depth exceeds "        \
                                  "cudaLimitDevRuntimeSyncDepth")                                            \
    X(cudaErrorLaunchPendingCountExceeded, "launch failed because launch would exceed "                      \
                                           "cudaLimitDevRuntimePendingLaunchCount")                          \
    X(cudaErrorInvalidDeviceFunction, "invalid device function")                                             \
    X(cudaErrorNoDevice, "no CUDA-capable device is detected")                                               \
    X(cudaErrorInvalidDevice, "invalid device ordinal")                                                      \
    X(cudaErrorDeviceNotLicensed, "device doesn't have valid Grid license")                                  \
    X(cudaErrorSoftwareValidityNotEstablished, "integrity checks failed")                                    \
    X(cudaErrorStartupFailure, "startup failure in cuda runtime")                                            \
    X(cudaErrorInvalidKernelImage, "device kernel image is invalid")                                         \
    X(cudaErrorDeviceUninitialized, "invalid device context")                                                \
    X(cudaErrorMapBufferObjectFailed, "mapping of buffer object failed")                                     \
    X(cudaErrorUnmapBufferObjectFailed, "unmapping of buffer object failed")                                 \
    X(cudaErrorArrayIsMapped, "array is mapped")                                                             \
    X(cudaErrorAlreadyMapped, "resource already mapped")                                                     \
    X(cudaErrorNoKernelImageForDevice, "no kernel image is available for execution on the device")           \
    X(cudaErrorAlreadyAcquired, "resource already acquired")                                                 \
    X(cudaErrorNotMapped, "resource not mapped")                                                             \
    X(cudaErrorNotMappedAsArray, "resource not mapped as array")                                             \
    X(cudaErrorNotMappedAsPointer, "resource not mapped as pointer")                                         \
    X(cudaErrorECCUncorrectable, "uncorrectable ECC error encountered")                                      \
    X(cudaErrorUnsupportedLimit, "limit is not supported on this architecture")                              \
    X(cudaErrorDeviceAlreadyInUse, "exclusive-thread device already in use by a different thread")           \
    X(cudaErrorPeerAccessUnsupported, "peer access is not supported between these two devices")              \
    X(cudaErrorInvalidPtx, "a PTX JIT compilation failed")                                                   \
    X(cudaErrorInvalidGraphicsContext, "invalid OpenGL or DirectX context")                                  \
    X(cudaErrorNvlinkUncorrectable, "uncorrectable NVLink error detected during the execution")              \
    X(cudaErrorJitCompilerNotFound, "PTX JIT compiler library not found")                                    \
    X(cudaErrorUnsupportedPtxVersion, "the provided PTX was compiled with an unsupported toolchain.")         \
    X(cudaErrorJitCompilationDisabled, "PTX JIT compilation was disabled")                                   \
    X(cudaErrorUnsupportedExecAffinity, "the provided execution affinity is not supported")                  \
    X(cudaErrorUnsupportedDevSideSync, "the provided PTX contains unsupported call to cudaDeviceSynchronize") \
    X(cudaErrorContained, "an exception occurred on the device that is now contained by the GPU's error "    \
                          "containment capability")                                                          \
    X(cudaErrorInvalidSource, "device kernel image is invalid")                                              \
    X(cudaErrorFileNotFound, "file not found")                                                               \
    X(cudaErrorSharedObjectSymbolNotFound, "shared object symbol not found")                                 \
    X(cudaErrorSharedObjectInitFailed, "shared object initialization failed")                                \
    X(cudaErrorOperatingSystem, "OS call failed or operation not supported on this OS")                      \
    X(cudaErrorInvalidResourceHandle, "invalid resource handle")                                             \
    X(cudaErrorIllegalState, "the operation cannot be performed in the present state")                       \
    X(cudaErrorLossyQuery, "attempted introspection would yield lossy results")                              \
    X(cudaErrorSymbolNotFound, "named symbol not found")                                                     \
    X(cudaErrorNotReady, "device not ready")                                                                 \
    X(cudaErrorIllegalAddress, "an illegal memory access was encountered")                                   \
    X(cudaErrorLaunchOutOfResources, "too many resources requested for launch")                              \
    X(cudaErrorLaunchTimeout, "the launch timed out and was terminated")                                     \
    X(cudaErrorLaunchIncompatibleTexturing, "launch uses incompatible texturing mode")                       \
    X(cudaErrorPeerAccessAlreadyEnabled, "peer access is already enabled")                                   \
    X(cudaErrorPeerAccessNotEnabled, "peer access has not been enabled")                                     \
    X(cudaErrorSetOnActiveProcess, "cannot set while device is active in this process")                      \
    X(cudaErrorContextIsDestroyed, "context is destroyed")                                                   \
    X(cudaErrorAssert, "device-side assert triggered")                                                       \
    X(cudaErrorTooManyPeers, "peer mapping resources exhausted")                                             \
    X(cudaErrorHostMemoryAlreadyRegistered, "part or all of the requested memory range is already mapped")   \
    X(cudaErrorHostMemoryNotRegistered, "pointer does not correspond to a registered memory region")         \
    X(cudaErrorHardwareStackError, "hardware stack error")                                                   \
    X(cudaErrorIllegalInstruction, "an illegal instruction was encountered")                                 \
    X(cudaErrorMisalignedAddress, "misaligned address")                                                      \
    X(cudaErrorInvalidAddressSpace, "operation not supported on global/shared address space")                \
    X(cudaErrorInvalidPc, "invalid program counter")                                                         \
    X(cudaErrorLaunchFailure, "unspecified launch failure")                                                  \
    X(cudaErrorCooperativeLaunchTooLarge, "too many blocks in cooperative launch")                           \
    X(cudaErrorTensorMemoryLeak, "tensor memory not completely freed")                                       \
    X(cudaErrorNotPermitted, "operation not permitted")                                                      \
    X(cudaErrorNotSupported, "operation not supported")                                                      \
    X(cudaErrorSystemNotReady, "system not yet initialized")                                                 \
    X(cudaErrorSystemDriverMismatch, "system has unsupported display driver / cuda driver combination")      \
    X(cudaErrorCompatNotSupportedOnDevice, "forward compatibility was attempted on non supported HW")        \
    X(cudaErrorMpsConnectionFailed, "MPS client failed to connect to the MPS control daemon or the MPS "     \
                                    "server")                                                                \
    X(cudaErrorMpsRpcFailure, "the remote procedural call between the MPS server and the MPS client failed") \
    X(cudaErrorMpsServerNotReady, "MPS server is not ready to accept new MPS client requests")               \
    X(cudaErrorMpsMaxClientsReached, "the hardware resources required to create MPS client have been "      \
                                     "exhausted")                                                            \
    X(cudaErrorMpsMaxConnectionsReached, "the hardware resources required to support device connections "   \
                                         "have been exhausted")                                              \
    X(cudaErrorMpsClientTerminated, "the MPS client has been terminated by the server")                      \
    X(cudaErrorCdpNotSupported, "the module is using CUDA Dynamic Parallelism, but the current "             \
                                "configuration, like MPS, does not support it")                              \
    X(cudaErrorCdpVersionMismatch, "the module is using CUDA Dynamic Parallelism, but the current "          \
                                   "configuration does not support it")                                      \
    X(cudaErrorStreamCaptureUnsupported, "operation not permitted when stream is capturing")                 \
    X(cudaErrorStreamCaptureInvalidated, "operation failed due to a previous error during capture")          \
    X(cudaErrorStreamCaptureMerge, "operation would result in a merge of separate capture sequences")        \
    X(cudaErrorStreamCaptureUnmatched, "capture was not ended in the same stream as it began")               \
    X(cudaErrorStreamCaptureUnjoined, "capturing stream has unjoined work")                                  \
    X(cudaErrorStreamCaptureIsolation, "dependency created on uncaptured work in another stream")            \
    X(cudaErrorStreamCaptureImplicit, "operation would make the legacy stream depend on a capturing "        \
                                      "blocking stream")                                                     \
    X(cudaErrorCapturedEvent, "operation not permitted on an event last recorded in a capturing stream")     \
    X(cudaErrorStreamCaptureWrongThread, "attempt to terminate a thread-local capture sequence from "        \
                                         "another thread")                                                   \
    X(cudaErrorTimeout, "wait operation timed out")                                                          \
    X(cudaErrorGraphExecUpdateFailure, "the graph update was not performed because it included changes "    \
                                       "which violated constraints specific to instantiated graph update")   \
    X(cudaErrorExternalDevice, "an async error has occured in external entity outside of CUDA")              \
    X(cudaErrorInvalidClusterSize, "a kernel launch error has occurred due to cluster misconfiguration")     \
    X(cudaErrorFunctionNotLoaded, "function not loaded")                                                     \
    X(cudaErrorInvalidResourceType, "invalid resource type")                                                 \
    X(cudaErrorInvalidResourceConfiguration, "invalid resource configuration")                               \
    X(cudaErrorUnknown, "unknown error")

#define XM_UNRECOGNIZED_ERROR "unrecognized error code"

EXTMEM_API const char *extmemGetErrorName(cudaError_t error)
{
    switch (error) {
#define XM_ERROR_NAME_CASE(code, message) \
    case code:                            \
        return #code;
        XM_CUDA_ERRORS(XM_ERROR_NAME_CASE)
#undef XM_ERROR_NAME_CASE
    default:
        return XM_UNRECOGNIZED_ERROR;
    }
}

EXTMEM_API const char *extmemGetErrorString(cudaError_t error)
{
    switch (error) {
#define XM_ERROR_STRING_CASE(code, message) \
    case code:                              \
        return message;
        XM_CUDA_ERRORS(XM_ERROR_STRING_CASE)
#undef XM_ERROR_STRING_CASE
    default:
        return XM_UNRECOGNIZED_ERROR;
    }
}

EXTMEM_API cudaError_t extmemGetLastError(void)
{
    return xm_cuda_last_error(true);
}

EXTMEM_API cudaError_t extmemPeekAtLastError(void)
{
    return xm_cuda_last_error(false);
}

/* ---- devices ------------------------------------------------------------- */

/* The host backend is one device, ordinal 0, current on every thread. */
#define XM_HOST_DEVICE 0
#define XM_HOST_DEVICE_COUNT 1

EXTMEM_API cudaError_t extmemGetDeviceCount(int *count)
{
    if (!count)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaGetDeviceCount: count is NULL");
    *count = XM_HOST_DEVICE_COUNT;
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemSetDevice(int device)
{
    if (device != XM_HOST_DEVICE)
        return xm_cuda_error(cudaErrorInvalidDevice, "cudaSetDevice: device %d does not exist (the host backend "
                             "has device %d only)", device, XM_HOST_DEVICE);
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemGetDevice(int *device)
{
    if (!device)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaGetDevice: device is NULL");
    *device = XM_HOST_DEVICE;
    return cudaSuccess;
}

EXTMEM_API struct cudaChannelFormatDesc extmemCreateChannelDesc(int x, int y, int z, int w,
                                                                enum cudaChannelFormatKind f)
{
    struct cudaChannelFormatDesc desc = {x, y, z, w, f};

    return desc;
}

/* ---- streams ------------------------------------------------------------- */

struct CUstream_st {
    unsigned int flags; /* cudaStreamDefault or cudaStreamNonBlocking */
};

/* Live streams, so that a destroyed or made-up handle is refused without
 * being read. */
static pthread_mutex_t streams_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xm_hash_map streams; /* struct CUstream_st * -> itself */

static bool is_default_stream(cudaStream_t stream)
{
    return stream == NULL || stream == cudaStreamLegacy || stream == cudaStreamPerThread;
}

bool xm_stream_is_host(cudaStream_t stream)
{
    bool live;

    if (is_default_stream(stream))
        return false;
    pthread_mutex_lock(&streams_lock);
    live = xm_hash_map_get(&streams, (uint64_t)(uintptr_t)stream) != NULL;
    pthread_mutex_unlock(&streams_lock);
    return live;
}

cudaError_t xm_stream_check(cudaStream_t stream, const char *call)
{
    if (is_default_stream(stream) || xm_stream_is_host(stream))
        return cudaSuccess;
    return xm_cuda_error(cudaErrorInvalidResourceHandle, "%s: stream %p is not a live stream", call, (void *)stream);
}

EXTMEM_API cudaError_t extmemStreamCreateWithFlags(cudaStream_t *pStream, unsigned int flags)
{
    struct CUstream_st *stream;
    bool inserted;

    if (!pStream)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaStreamCreateWithFlags: pStream is NULL");
    if (flags & ~(unsigned int)cudaStreamNonBlocking)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaStreamCreateWithFlags: flags 0x%x has bits other than "
                             "cudaStreamNonBlocking", flags);
    stream = malloc(sizeof(*stream));
    if (!stream)
        return xm_cuda_error(cudaErrorMemoryAllocation, "cudaStreamCreate: out of memory for a stream");
    stream->flags = flags;
    pthread_mutex_lock(&streams_lock);
    inserted = xm_hash_map_insert(&streams, (uint64_t)(uintptr_t)stream, stream);
    pthread_mutex_unlock(&streams_lock);
    if (!inserted) {
        free(stream);
        return xm_cuda_error(cudaErrorMemoryAllocation, "cudaStreamCreate: out of memory for the stream registry");
    }
    *pStream = stream;
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemStreamCreate(cudaStream_t *pStream)
{
    return extmemStreamCreateWithFlags(pStream, cudaStreamDefault);
}

EXTMEM_API cudaError_t extmemStreamDestroy(cudaStream_t stream)
{
    struct CUstream_st *removed = NULL;

    /* The default streams belong to the runtime, not to the caller. */
    if (!is_default_stream(stream)) {
        pthread_mutex_lock(&streams_lock);
        removed = xm_hash_map_remove(&streams, (uint64_t)(uintptr_t)stream);
        pthread_mutex_unlock(&streams_lock);
    }
    if (!removed)
        return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaStreamDestroy: %p is not a stream created by "
                             "cudaStreamCreate (or it was destroyed already)", (void *)stream);
    free(removed);
    return cudaSuccess;
}

/* Work completes before the call that queues it returns: nothing is ever
 * pending, on any stream. */
EXTMEM_API cudaError_t extmemStreamSynchronize(cudaStream_t stream)
{
    return xm_stream_check(stream, "cudaStreamSynchronize");
}

EXTMEM_API cudaError_t extmemStreamQuery(cudaStream_t stream)
{
    return xm_stream_check(stream, "cudaStreamQuery");
}

EXTMEM_API cudaError_t extmemDeviceSynchronize(void)
{
    return xm_driver_synchronize("cudaDeviceSynchronize");
}

/* ---- checking what a copy touches --------------------------------------- */

/* What a cudaMemcpyKind says one side of a copy is. */
enum side {
    SIDE_HOST,   /* the caller's memory: anything, unless it lies in ours */
    SIDE_DEVICE, /* must be memory extmem handed out */
    SIDE_ANY,    /* cudaMemcpyDefault: inferred from the pointer */
};

static cudaError_t decode_kind(const char *call, enum cudaMemcpyKind kind, enum side *dst, enum side *src)
{
    switch (kind) {
    case cudaMemcpyHostToHost:
        *dst = SIDE_HOST, *src = SIDE_HOST;
        return cudaSuccess;
    case cudaMemcpyHostToDevice:
        *dst = SIDE_DEVICE, *src = SIDE_HOST;
        return cudaSuccess;
    case cudaMemcpyDeviceToHost:
        *dst = SIDE_HOST, *src = SIDE_DEVICE;
        return cudaSuccess;
    case cudaMemcpyDeviceToDevice:
        *dst = SIDE_DEVICE, *src = SIDE_DEVICE;
        return cudaSuccess;
    case cudaMemcpyDefault:
        *dst = SIDE_ANY, *src = SIDE_ANY;
        return cudaSuccess;
    }
    return xm_cuda_error(cudaErrorInvalidMemcpyDirection, "%s: kind %d is not a cudaMemcpyKind", call, (int)kind);
}

/* An array is device memory: a kind that calls its side host memory names
 * the wrong direction. */
static cudaError_t check_array_side(const char *call, enum side side, const char *what)
{
    if (side == SIDE_HOST)
        return xm_cuda_error(cudaErrorInvalidMemcpyDirection, "%s: the kind says %s is host memory, but it is a "
                             "CUDA array", call, what);
    return cudaSuccess;
}

/* Whether p lies inside linear memory extmem handed out. */
static bool is_extmem_pointer(const void *p)
{
    return xm_allocation_contains(p);
}

/* Checks that the span bytes from p may be read (or written): device memory
 * must be ours and in range; host memory may be anything, except that a
 * pointer into one of our mappings (cudaMemcpyDefault infers it is device
 * memory; with another kind it is still that mapping) is held to the
 * mapping's bounds and access, so a bad copy fails instead of faulting. */
static cudaError_t check_linear(const char *call, const char *what, const void *p, uint64_t span, enum side side,
                                bool write)
{
    char label[96];

    snprintf(label, sizeof(label), "%s: %s", call, what);
    if (side == SIDE_DEVICE || is_extmem_pointer(p))
        return xm_allocation_check_range(p, span, write, label);
    return cudaSuccess;
}

/* A box of bytes in pitched memory: its first byte and how to step rows and
 * slices. */
struct box {
    uint8_t *first;
    uint64_t row_pitch, slice_pitch;
    bool device;                  /* first is device memory (cuda backend) */
    const struct cudaArray *array; /* a level array in device memory, else NULL */
    uint64_t x_bytes, y, z;       /* ... and where in it the box starts */
};

/* Checks a box of rows x slices rows of row_bytes bytes at byte (x, y, z)
 * of the pitched memory at ptr, all sizes nonzero. */
static cudaError_t check_pitched(const char *call, const char *what, const void *ptr, uint64_t pitch,
                                 uint64_t slice_pitch, uint64_t x, uint64_t y, uint64_t z, uint64_t row_bytes,
                                 uint64_t rows, uint64_t slices, enum side side, bool write, struct box *out)
{
    uint64_t offset, span, t;
    cudaError_t error;

    if (!ptr)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: %s is NULL", call, what);
    /* CUDA: "pitch ... must be greater than or equal to width". */
    if (row_bytes > pitch)
        return xm_cuda_error(cudaErrorInvalidPitchValue, "%s: rows of %llu bytes do not fit the %s pitch of %llu "
                             "bytes", call, (unsigned long long)row_bytes, what, (unsigned long long)pitch);
    if (x > pitch - row_bytes)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: %llu bytes from x = %llu run past the %s pitch of %llu "
                             "bytes", call, (unsigned long long)row_bytes, (unsigned long long)x, what,
                             (unsigned long long)pitch);
    if (__builtin_mul_overflow(z, slice_pitch, &offset) || __builtin_mul_overflow(y, pitch, &t) ||
        __builtin_add_overflow(offset, t, &offset) || __builtin_add_overflow(offset, x, &offset) ||
        __builtin_mul_overflow(slices - 1, slice_pitch, &span) || __builtin_mul_overflow(rows - 1, pitch, &t) ||
        __builtin_add_overflow(span, t, &span) || __builtin_add_overflow(span, row_bytes, &span) ||
        __builtin_add_overflow(offset, span, &t) || t > UINTPTR_MAX - (uintptr_t)ptr)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: the %s region overflows the address space", call, what);
    error = check_linear(call, what, (const uint8_t *)ptr + offset, span, side, write);
    if (error != cudaSuccess)
        return error;
    out->first = (uint8_t *)ptr + offset;
    out->row_pitch = pitch;
    out->slice_pitch = slice_pitch;
    out->device = xm_allocation_is_device(out->first);
    out->array = NULL;
    return cudaSuccess;
}

/* Checks that handle is a live array the copy may read (or write). */
static cudaError_t check_array(const char *call, const char *what, cudaArray_const_t handle, bool write,
                               struct cudaArray **out)
{
    char label[96];
    struct cudaArray *array;

    snprintf(label, sizeof(label), "%s: %s", call, what);
    if (!handle)
        return xm_cuda_error(cudaErrorInvalidResourceHandle, "%s is NULL", label);
    array = xm_array_check(handle, label);
    if (!array)
        return cudaErrorInvalidResourceHandle;
    if (write && array->read_only)
        return xm_cuda_error(cudaErrorInvalidValue, "%s is mapped read-only", label);
    *out = array;
    return cudaSuccess;
}

static bool fits(uint64_t offset, uint64_t count, uint64_t limit)
{
    return offset <= limit && count <= limit - offset;
}

/* Checks that the box of w x h x d elements at element (x, y, z) lies in
 * array; z counts layers of a layered array. */
static cudaError_t check_array_box(const char *call, const char *what, const struct cudaArray *array, uint64_t x,
                                   uint64_t y, uint64_t z, uint64_t w, uint64_t h, uint64_t d, struct box *out)
{
    if (!fits(x, w, array->width) || !fits(y, h, array->height) || !fits(z, d, array->depth))
        return xm_cuda_error(cudaErrorInvalidValue, "%s: the region %llux%llux%llu at (%llu, %llu, %llu) lies "
                             "outside %s, which is %ux%ux%u", call, (unsigned long long)w, (unsigned long long)h,
                             (unsigned long long)d, (unsigned long long)x, (unsigned long long)y,
                             (unsigned long long)z, what, array->width, array->height, array->depth);
    *out = (struct box){0};
    if (array->device) {
        out->device = true;
        out->array = array;
        out->x_bytes = x * array->texel_size;
        out->y = y;
        out->z = z;
        return cudaSuccess;
    }
    out->first = array->data + z * array->slice_pitch + y * array->row_pitch + x * array->texel_size;
    out->row_pitch = array->row_pitch;
    out->slice_pitch = array->slice_pitch;
    return cudaSuccess;
}

/* The 2D array calls give x offsets and widths in bytes (CUDA: "columns in
 * bytes"); they must fall on element boundaries. */
static cudaError_t bytes_to_elements(const char *call, const char *what, const struct cudaArray *array,
                                     uint64_t bytes, uint64_t *elements)
{
    if (bytes % array->texel_size)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: %s of %llu bytes is not a whole number of %u-byte "
                             "elements", call, what, (unsigned long long)bytes, array->texel_size);
    *elements = bytes / array->texel_size;
    return cudaSuccess;
}

/* memmove per row: CUDA leaves overlapping copies undefined, and this keeps
 * them from corrupting more than the overlap. */
static void copy_box(const struct box *dst, const struct box *src, uint64_t row_bytes, uint64_t rows,
                     uint64_t slices)
{
    for (uint64_t z = 0; z < slices; z++) {
        uint8_t *d = dst->first + z * dst->slice_pitch;
        const uint8_t *s = src->first + z * src->slice_pitch;

        if (dst->row_pitch == row_bytes && src->row_pitch == row_bytes) {
            memmove(d, s, row_bytes * rows);
            continue;
        }
        for (uint64_t y = 0; y < rows; y++)
            memmove(d + y * dst->row_pitch, s + y * src->row_pitch, row_bytes);
    }
}

/* Moves a checked box: on the host, or through the driver when either side
 * is device memory. */
static cudaError_t move_box(const char *call, const struct box *dst, const struct box *src, uint64_t row_bytes,
                            uint64_t rows, uint64_t slices)
{
    struct xm_copy_side d, s;

    if (!dst->device && !src->device) {
        copy_box(dst, src, row_bytes, rows, slices);
        return cudaSuccess;
    }
    d = (struct xm_copy_side){dst->array, dst->x_bytes, dst->y, dst->z, dst->first, dst->device, dst->row_pitch,
                              dst->slice_pitch};
    s = (struct xm_copy_side){src->array, src->x_bytes, src->y, src->z, src->first, src->device, src->row_pitch,
                              src->slice_pitch};
    return xm_driver_copy(call, &d, &s, row_bytes, rows, slices);
}

/* ---- allocation and arrays ------------------------------------------------ */

EXTMEM_API cudaError_t extmemMalloc(void **devPtr, size_t size)
{
    struct xm_allocation allocation = {.kind = XM_ALLOCATION_MALLOC};
    size_t rounded;
    cudaError_t error;

    if (!devPtr)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaMalloc: devPtr is NULL");
    /* As CUDA: a zero-byte allocation succeeds and is NULL (which cudaFree
     * accepts). */
    if (size == 0) {
        *devPtr = NULL;
        return cudaSuccess;
    }
    /* aligned_alloc wants a multiple of the alignment. */
    if (size > SIZE_MAX - (XM_MALLOC_ALIGNMENT - 1))
        return xm_cuda_error(cudaErrorMemoryAllocation, "cudaMalloc: %zu bytes is more than can be allocated", size);
    if (xm_driver_is_default()) {
        error = xm_driver_malloc(size, &allocation);
        if (error == cudaSuccess && (error = xm_allocation_add(&allocation)) != cudaSuccess)
            xm_allocation_release(&allocation);
        if (error == cudaSuccess)
            *devPtr = allocation.ptr;
        return error;
    }
    rounded = (size + XM_MALLOC_ALIGNMENT - 1) / XM_MALLOC_ALIGNMENT * XM_MALLOC_ALIGNMENT;
    allocation.ptr = aligned_alloc(XM_MALLOC_ALIGNMENT, rounded);
    if (!allocation.ptr)
        return xm_cuda_error(cudaErrorMemoryAllocation, "cudaMalloc: out of memory for %zu bytes", size);
    allocation.size = size;
    allocation.map_base = allocation.ptr;
    error = xm_allocation_add(&allocation);
    if (error != cudaSuccess) {
        free(allocation.ptr);
        return error;
    }
    *devPtr = allocation.ptr;
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemGetMipmappedArrayLevel(cudaArray_t *levelArray, cudaMipmappedArray_const_t mipmappedArray,
                                                    unsigned int level)
{
    struct xm_allocation device;

    if (!levelArray)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaGetMipmappedArrayLevel: levelArray is NULL");
    if (mipmappedArray && xm_device_mipmap_find(mipmappedArray, &device)) {
        if (level >= device.driver->level_count)
            return xm_cuda_error(cudaErrorInvalidValue, "cudaGetMipmappedArrayLevel: level %u is past the %u "
                                 "levels of the array", level, device.driver->level_count);
        *levelArray = (cudaArray_t)device.driver->levels[level];
        return cudaSuccess;
    }
    if (!mipmappedArray || !xm_mipmap_is_live(mipmappedArray))
        return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaGetMipmappedArrayLevel: %p is not a live mapped "
                             "mipmapped array", (const void *)mipmappedArray);
    if (level >= mipmappedArray->num_levels)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaGetMipmappedArrayLevel: level %u is past the %u levels "
                             "of the array", level, mipmappedArray->num_levels);
    /* CUDA hands out a mutable level of a const mipmapped array: the level
     * belongs to the mipmap, which the caller still frees as a whole. */
    *levelArray = (struct cudaArray *)&mipmappedArray->levels[level];
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemArrayGetInfo(struct cudaChannelFormatDesc *desc, struct cudaExtent *extent,
                                          unsigned int *flags, cudaArray_t array)
{
    struct cudaArray *checked;
    cudaError_t error = check_array("cudaArrayGetInfo", "array", array, false, &checked);

    if (error != cudaSuccess)
        return error;
    if (desc)
        *desc = checked->format;
    if (extent)
        *extent = checked->extent;
    if (flags)
        *flags = checked->flags;
    return cudaSuccess;
}

/* ---- linear copies and sets ---------------------------------------------- */

static cudaError_t memcpy_1d(const char *call, void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
    enum side dst_side = SIDE_HOST, src_side = SIDE_HOST;
    cudaError_t error = decode_kind(call, kind, &dst_side, &src_side);

    if (error != cudaSuccess)
        return error;
    /* Nothing to touch: CUDA accepts a zero-byte copy whatever the pointers. */
    if (count == 0)
        return cudaSuccess;
    if (!dst || !src)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: %s is NULL", call, !dst ? "dst" : "src");
    error = check_linear(call, "dst", dst, count, dst_side, true);
    if (error == cudaSuccess)
        error = check_linear(call, "src", src, count, src_side, false);
    if (error != cudaSuccess)
        return error;
    if (xm_allocation_is_device(dst) || xm_allocation_is_device(src)) {
        struct box d = {.first = dst, .row_pitch = count, .device = xm_allocation_is_device(dst)};
        struct box s = {.first = (uint8_t *)src, .row_pitch = count, .device = xm_allocation_is_device(src)};

        return move_box(call, &d, &s, count, 1, 1);
    }
    memmove(dst, src, count);
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
{
    return memcpy_1d("cudaMemcpy", dst, src, count, kind);
}

EXTMEM_API cudaError_t extmemMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                                         cudaStream_t stream)
{
    cudaError_t error = xm_stream_check(stream, "cudaMemcpyAsync");

    if (error != cudaSuccess)
        return error;
    return memcpy_1d("cudaMemcpyAsync", dst, src, count, kind);
}

static cudaError_t memcpy_2d(const char *call, void *dst, size_t dpitch, const void *src, size_t spitch,
                             size_t width, size_t height, enum cudaMemcpyKind kind)
{
    enum side dst_side = SIDE_HOST, src_side = SIDE_HOST;
    struct box dst_box, src_box;
    cudaError_t error = decode_kind(call, kind, &dst_side, &src_side);

    if (error != cudaSuccess)
        return error;
    if (width > dpitch || width > spitch)
        return xm_cuda_error(cudaErrorInvalidPitchValue, "%s: width %zu exceeds %s %zu", call, width,
                             width > dpitch ? "dpitch" : "spitch", width > dpitch ? dpitch : spitch);
    if (width == 0 || height == 0)
        return cudaSuccess;
    error = check_pitched(call, "dst", dst, dpitch, 0, 0, 0, 0, width, height, 1, dst_side, true, &dst_box);
    if (error == cudaSuccess)
        error = check_pitched(call, "src", src, spitch, 0, 0, 0, 0, width, height, 1, src_side, false, &src_box);
    if (error != cudaSuccess)
        return error;
    return move_box(call, &dst_box, &src_box, width, height, 1);
}

EXTMEM_API cudaError_t extmemMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                                      size_t height, enum cudaMemcpyKind kind)
{
    return memcpy_2d("cudaMemcpy2D", dst, dpitch, src, spitch, width, height, kind);
}

EXTMEM_API cudaError_t extmemMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                                           size_t height, enum cudaMemcpyKind kind, cudaStream_t stream)
{
    cudaError_t error = xm_stream_check(stream, "cudaMemcpy2DAsync");

    if (error != cudaSuccess)
        return error;
    return memcpy_2d("cudaMemcpy2DAsync", dst, dpitch, src, spitch, width, height, kind);
}

static cudaError_t memcpy_2d_to_array(const char *call, cudaArray_t dst, size_t wOffset, size_t hOffset,
                                      const void *src, size_t spitch, size_t width, size_t height,
                                      enum cudaMemcpyKind kind)
{
    enum side dst_side = SIDE_HOST, src_side = SIDE_HOST;
    struct cudaArray *array;
    struct box dst_box, src_box;
    uint64_t x = 0, w = 0;
    cudaError_t error = decode_kind(call, kind, &dst_side, &src_side);

    if (error == cudaSuccess)
        error = check_array_side(call, dst_side, "dst");
    if (error == cudaSuccess)
        error = check_array(call, "dst", dst, true, &array);
    if (error == cudaSuccess)
        error = bytes_to_elements(call, "wOffset", array, wOffset, &x);
    if (error == cudaSuccess)
        error = bytes_to_elements(call, "width", array, width, &w);
    if (error != cudaSuccess)
        return error;
    if (width > spitch)
        return xm_cuda_error(cudaErrorInvalidPitchValue, "%s: width %zu exceeds spitch %zu", call, width, spitch);
    if (width == 0 || height == 0)
        return cudaSuccess;
    error = check_array_box(call, "dst", array, x, hOffset, 0, w, height, 1, &dst_box);
    if (error == cudaSuccess)
        error = check_pitched(call, "src", src, spitch, 0, 0, 0, 0, width, height, 1, src_side, false, &src_box);
    if (error != cudaSuccess)
        return error;
    return move_box(call, &dst_box, &src_box, width, height, 1);
}

EXTMEM_API cudaError_t extmemMemcpy2DToArray(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                             size_t spitch, size_t width, size_t height, enum cudaMemcpyKind kind)
{
    return memcpy_2d_to_array("cudaMemcpy2DToArray", dst, wOffset, hOffset, src, spitch, width, height, kind);
}

EXTMEM_API cudaError_t extmemMemcpy2DToArrayAsync(cudaArray_t dst, size_t wOffset, size_t hOffset, const void *src,
                                                  size_t spitch, size_t width, size_t height,
                                                  enum cudaMemcpyKind kind, cudaStream_t stream)
{
    cudaError_t error = xm_stream_check(stream, "cudaMemcpy2DToArrayAsync");

    if (error != cudaSuccess)
        return error;
    return memcpy_2d_to_array("cudaMemcpy2DToArrayAsync", dst, wOffset, hOffset, src, spitch, width, height, kind);
}

static cudaError_t memcpy_2d_from_array(const char *call, void *dst, size_t dpitch, cudaArray_const_t src,
                                        size_t wOffset, size_t hOffset, size_t width, size_t height,
                                        enum cudaMemcpyKind kind)
{
    enum side dst_side = SIDE_HOST, src_side = SIDE_HOST;
    struct cudaArray *array;
    struct box dst_box, src_box;
    uint64_t x = 0, w = 0;
    cudaError_t error = decode_kind(call, kind, &dst_side, &src_side);

    if (error == cudaSuccess)
        error = check_array_side(call, src_side, "src");
    if (error == cudaSuccess)
        error = check_array(call, "src", src, false, &array);
    if (error == cudaSuccess)
        error = bytes_to_elements(call, "wOffset", array, wOffset, &x);
    if (error == cudaSuccess)
        error = bytes_to_elements(call, "width", array, width, &w);
    if (error != cudaSuccess)
        return error;
    if (width > dpitch)
        return xm_cuda_error(cudaErrorInvalidPitchValue, "%s: width %zu exceeds dpitch %zu", call, width, dpitch);
    if (width == 0 || height == 0)
        return cudaSuccess;
    error = check_array_box(call, "src", array, x, hOffset, 0, w, height, 1, &src_box);
    if (error == cudaSuccess)
        error = check_pitched(call, "dst", dst, dpitch, 0, 0, 0, 0, width, height, 1, dst_side, true, &dst_box);
    if (error != cudaSuccess)
        return error;
    return move_box(call, &dst_box, &src_box, width, height, 1);
}

EXTMEM_API cudaError_t extmemMemcpy2DFromArray(void *dst, size_t dpitch, cudaArray_const_t src, size_t wOffset,
                                               size_t hOffset, size_t width, size_t height, enum cudaMemcpyKind kind)
{
    return memcpy_2d_from_array("cudaMemcpy2DFromArray", dst, dpitch, src, wOffset, hOffset, width, height, kind);
}

EXTMEM_API cudaError_t extmemMemcpy2DFromArrayAsync(void *dst, size_t dpitch, cudaArray_const_t src, size_t wOffset,
                                                    size_t hOffset, size_t width, size_t height,
                                                    enum cudaMemcpyKind kind, cudaStream_t stream)
{
    cudaError_t error = xm_stream_check(stream, "cudaMemcpy2DFromArrayAsync");

    if (error != cudaSuccess)
        return error;
    return memcpy_2d_from_array("cudaMemcpy2DFromArrayAsync", dst, dpitch, src, wOffset, hOffset, width, height,
                                kind);
}

EXTMEM_API cudaError_t extmemMemcpy2DArrayToArray(cudaArray_t dst, size_t wOffsetDst, size_t hOffsetDst,
                                                  cudaArray_const_t src, size_t wOffsetSrc, size_t hOffsetSrc,
                                                  size_t width, size_t height, enum cudaMemcpyKind kind)
{
    static const char call[] = "cudaMemcpy2DArrayToArray";
    enum side dst_side = SIDE_HOST, src_side = SIDE_HOST;
    struct cudaArray *dst_array, *src_array;
    struct box dst_box, src_box;
    uint64_t dst_x = 0, src_x = 0, w = 0;
    cudaError_t error = decode_kind(call, kind, &dst_side, &src_side);

    if (error == cudaSuccess)
        error = check_array_side(call, dst_side, "dst");
    if (error == cudaSuccess)
        error = check_array_side(call, src_side, "src");
    if (error == cudaSuccess)
        error = check_array(call, "dst", dst, true, &dst_array);
    if (error == cudaSuccess)
        error = check_array(call, "src", src, false, &src_array);
    if (error != cudaSuccess)
        return error;
    if (dst_array->texel_size != src_array->texel_size)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: dst has %u-byte elements, src %u-byte ones", call,
                             dst_array->texel_size, src_array->texel_size);
    error = bytes_to_elements(call, "wOffsetDst", dst_array, wOffsetDst, &dst_x);
    if (error == cudaSuccess)
        error = bytes_to_elements(call, "wOffsetSrc", src_array, wOffsetSrc, &src_x);
    if (error == cudaSuccess)
        error = bytes_to_elements(call, "width", src_array, width, &w);
    if (error != cudaSuccess)
        return error;
    if (width == 0 || height == 0)
        return cudaSuccess;
    error = check_array_box(call, "dst", dst_array, dst_x, hOffsetDst, 0, w, height, 1, &dst_box);
    if (error == cudaSuccess)
        error = check_array_box(call, "src", src_array, src_x, hOffsetSrc, 0, w, height, 1, &src_box);
    if (error != cudaSuccess)
        return error;
    return move_box(call, &dst_box, &src_box, width, height, 1);
}

/* ---- cudaMemcpy3D ---------------------------------------------------------- */

/* One side of a cudaMemcpy3D: exactly one of an array and a pitched
 * pointer. CUDA: "Passing more than one non-zero source or destination will
 * cause cudaMemcpy3D() to return an error." */
static cudaError_t check_3d_object(const char *call, const char *what, cudaArray_const_t array,
                                   const struct cudaPitchedPtr *ptr, enum side side, bool write,
                                   struct cudaArray **out)
{
    *out = NULL;
    if (array && ptr->ptr)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: %sArray and %sPtr are both set", call, what, what);
    if (!array && !ptr->ptr)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: neither %sArray nor %sPtr is set", call, what, what);
    if (!array)
        return cudaSuccess;
    if (check_array_side(call, side, what) != cudaSuccess)
        return cudaErrorInvalidMemcpyDirection;
    return check_array(call, what, array, write, out);
}

/* The region of one side: array positions and extents count elements;
 * pointer positions count bytes in x (CUDA: "The element for a host or
 * device pointer is assumed to be unsigned char") and slices are
 * pitch * ysize apart. */
static cudaError_t check_3d_region(const char *call, const char *what, const struct cudaArray *array,
                                   const struct cudaPitchedPtr *ptr, const struct cudaPos *pos,
                                   const struct cudaExtent *extent, uint64_t row_bytes, enum side side, bool write,
                                   struct box *out)
{
    uint64_t slice_pitch;

    if (array)
        return check_array_box(call, what, array, pos->x, pos->y, pos->z, extent->width, extent->height,
                               extent->depth, out);
    /* Slices are only addressable through ysize; a copy confined to slice
     * 0 may ignore it, as CUDA's 2D-through-3D copies do. */
    if ((extent->depth > 1 || pos->z > 0) && !fits(pos->y, extent->height, ptr->ysize))
        return xm_cuda_error(cudaErrorInvalidValue, "%s: rows %zu..%zu of each slice run past %sPtr.ysize %zu", call,
                             pos->y, pos->y + extent->height - 1, what, ptr->ysize);
    if (__builtin_mul_overflow((uint64_t)ptr->pitch, (uint64_t)ptr->ysize, &slice_pitch))
        return xm_cuda_error(cudaErrorInvalidValue, "%s: %sPtr's slice size overflows", call, what);
    return check_pitched(call, what, ptr->ptr, ptr->pitch, slice_pitch, pos->x, pos->y, pos->z, row_bytes,
                         extent->height, extent->depth, side, write, out);
}

static cudaError_t memcpy_3d(const char *call, const struct cudaMemcpy3DParms *p)
{
    enum side dst_side = SIDE_HOST, src_side = SIDE_HOST;
    struct cudaArray *dst_array, *src_array;
    struct box dst_box, src_box;
    uint64_t element_size = 1, row_bytes;
    cudaError_t error;

    if (!p)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: p is NULL", call);
    error = decode_kind(call, p->kind, &dst_side, &src_side);
    if (error == cudaSuccess)
        error = check_3d_object(call, "dst", p->dstArray, &p->dstPtr, dst_side, true, &dst_array);
    if (error == cudaSuccess)
        error = check_3d_object(call, "src", p->srcArray, &p->srcPtr, src_side, false, &src_array);
    if (error != cudaSuccess)
        return error;
    /* CUDA: "If the source and destination are both arrays, cudaMemcpy3D()
     * will return an error if they do not have the same element size." */
    if (dst_array && src_array && dst_array->texel_size != src_array->texel_size)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: dstArray has %u-byte elements, srcArray %u-byte ones",
                             call, dst_array->texel_size, src_array->texel_size);
    /* CUDA: "If a CUDA array is participating in the copy, the extent is
     * defined in terms of that array's elements. If no CUDA array is
     * participating in the copy then the extents are defined in elements of
     * unsigned char." */
    if (dst_array)
        element_size = dst_array->texel_size;
    else if (src_array)
        element_size = src_array->texel_size;
    if (__builtin_mul_overflow((uint64_t)p->extent.width, element_size, &row_bytes))
        return xm_cuda_error(cudaErrorInvalidValue, "%s: extent.width %zu overflows", call, p->extent.width);
    if (!dst_array && row_bytes > p->dstPtr.pitch)
        return xm_cuda_error(cudaErrorInvalidPitchValue, "%s: rows of %llu bytes exceed dstPtr.pitch %zu", call,
                             (unsigned long long)row_bytes, p->dstPtr.pitch);
    if (!src_array && row_bytes > p->srcPtr.pitch)
        return xm_cuda_error(cudaErrorInvalidPitchValue, "%s: rows of %llu bytes exceed srcPtr.pitch %zu", call,
                             (unsigned long long)row_bytes, p->srcPtr.pitch);
    if (p->extent.width == 0 || p->extent.height == 0 || p->extent.depth == 0)
        return cudaSuccess;
    error = check_3d_region(call, "dst", dst_array, &p->dstPtr, &p->dstPos, &p->extent, row_bytes, dst_side, true,
                            &dst_box);
    if (error == cudaSuccess)
        error = check_3d_region(call, "src", src_array, &p->srcPtr, &p->srcPos, &p->extent, row_bytes, src_side,
                                false, &src_box);
    if (error != cudaSuccess)
        return error;
    return move_box(call, &dst_box, &src_box, row_bytes, p->extent.height, p->extent.depth);
}

EXTMEM_API cudaError_t extmemMemcpy3D(const struct cudaMemcpy3DParms *p)
{
    return memcpy_3d("cudaMemcpy3D", p);
}

EXTMEM_API cudaError_t extmemMemcpy3DAsync(const struct cudaMemcpy3DParms *p, cudaStream_t stream)
{
    cudaError_t error = xm_stream_check(stream, "cudaMemcpy3DAsync");

    if (error != cudaSuccess)
        return error;
    return memcpy_3d("cudaMemcpy3DAsync", p);
}

/* ---- sets ------------------------------------------------------------------ */

static cudaError_t memset_2d(const char *call, void *devPtr, size_t pitch, int value, size_t width, size_t height)
{
    struct box box;
    cudaError_t error;

    if (width > pitch)
        return xm_cuda_error(cudaErrorInvalidPitchValue, "%s: width %zu exceeds pitch %zu", call, width, pitch);
    if (width == 0 || height == 0)
        return cudaSuccess;
    error = check_pitched(call, "devPtr", devPtr, pitch, 0, 0, 0, 0, width, height, 1, SIDE_DEVICE, true, &box);
    if (error != cudaSuccess)
        return error;
    if (box.device)
        return xm_driver_memset_2d(call, box.first, box.row_pitch, value, width, height);
    /* CUDA sets each byte to value converted to unsigned char. */
    for (size_t y = 0; y < height; y++)
        memset(box.first + y * box.row_pitch, (unsigned char)value, width);
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemMemset(void *devPtr, int value, size_t count)
{
    return memset_2d("cudaMemset", devPtr, count, value, count, 1);
}

EXTMEM_API cudaError_t extmemMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream)
{
    cudaError_t error = xm_stream_check(stream, "cudaMemsetAsync");

    if (error != cudaSuccess)
        return error;
    return memset_2d("cudaMemsetAsync", devPtr, count, value, count, 1);
}

EXTMEM_API cudaError_t extmemMemset2D(void *devPtr, size_t pitch, int value, size_t width, size_t height)
{
    return memset_2d("cudaMemset2D", devPtr, pitch, value, width, height);
}
