/*
 * What tests/test_cuda_layout.c compares: for every struct extmem declares
 * in place of CUDA's, its size, alignment and each field's offset and size;
 * for every constant, its value. cuda_layout_ours.c evaluates the list with
 * extmem's own declarations, cuda_layout_cuda.c with CUDA's; the two
 * translation units never see each other's types.
 *
 * Adding a type or constant to include/extmem/cuda_interop.h means adding it
 * here too.
 */
#ifndef EXTMEM_TEST_CUDA_LAYOUT_H
#define EXTMEM_TEST_CUDA_LAYOUT_H

#include <stddef.h>

struct xm_layout_entry {
    const char *what;
    long long value;
};

/* Each returns its table and stores its length in *count. */
const struct xm_layout_entry *xm_layout_ours(size_t *count);
const struct xm_layout_entry *xm_layout_cuda(size_t *count);

#define XM_LAYOUT_ENTRY_STRUCT(T)                                            \
    {"sizeof(" #T ")", (long long)sizeof(struct T)},                         \
    {"_Alignof(" #T ")", (long long)_Alignof(struct T)},
#define XM_LAYOUT_ENTRY_FIELD(T, f)                                          \
    {"offsetof(" #T ", " #f ")", (long long)offsetof(struct T, f)},          \
    {"sizeof(" #T "." #f ")", (long long)sizeof(((struct T *)0)->f)},
#define XM_LAYOUT_ENTRY_CONST(c) {#c, (long long)(c)},
#define XM_LAYOUT_ENTRY_ENUM(E) {"sizeof(enum " #E ")", (long long)sizeof(enum E)},

/* The pointer and enum typedefs must name the same types as CUDA's. */
#define XM_SAME_TYPE(a, b) _Static_assert(__builtin_types_compatible_p(a, b), #a " is " #b)
#define XM_LAYOUT_TYPEDEF_CHECKS                                             \
    XM_SAME_TYPE(cudaError_t, enum cudaError);                               \
    XM_SAME_TYPE(cudaArray_t, struct cudaArray *);                           \
    XM_SAME_TYPE(cudaArray_const_t, const struct cudaArray *);               \
    XM_SAME_TYPE(cudaMipmappedArray_t, struct cudaMipmappedArray *);         \
    XM_SAME_TYPE(cudaMipmappedArray_const_t, const struct cudaMipmappedArray *); \
    XM_SAME_TYPE(cudaStream_t, struct CUstream_st *);                        \
    XM_SAME_TYPE(cudaExternalMemory_t, struct CUexternalMemory_st *);        \
    XM_SAME_TYPE(cudaExternalSemaphore_t, struct CUexternalSemaphore_st *)

#define XM_LAYOUT_LIST(STRUCT, FIELD, ENUM, CONST)                           \
    STRUCT(cudaChannelFormatDesc)                                            \
    FIELD(cudaChannelFormatDesc, x)                                          \
    FIELD(cudaChannelFormatDesc, y)                                          \
    FIELD(cudaChannelFormatDesc, z)                                          \
    FIELD(cudaChannelFormatDesc, w)                                          \
    FIELD(cudaChannelFormatDesc, f)                                          \
    STRUCT(cudaExtent)                                                       \
    FIELD(cudaExtent, width)                                                 \
    FIELD(cudaExtent, height)                                                \
    FIELD(cudaExtent, depth)                                                 \
    STRUCT(cudaPos)                                                          \
    FIELD(cudaPos, x)                                                        \
    FIELD(cudaPos, y)                                                        \
    FIELD(cudaPos, z)                                                        \
    STRUCT(cudaPitchedPtr)                                                   \
    FIELD(cudaPitchedPtr, ptr)                                               \
    FIELD(cudaPitchedPtr, pitch)                                             \
    FIELD(cudaPitchedPtr, xsize)                                             \
    FIELD(cudaPitchedPtr, ysize)                                             \
    STRUCT(cudaMemcpy3DParms)                                                \
    FIELD(cudaMemcpy3DParms, srcArray)                                       \
    FIELD(cudaMemcpy3DParms, srcPos)                                         \
    FIELD(cudaMemcpy3DParms, srcPtr)                                         \
    FIELD(cudaMemcpy3DParms, dstArray)                                       \
    FIELD(cudaMemcpy3DParms, dstPos)                                         \
    FIELD(cudaMemcpy3DParms, dstPtr)                                         \
    FIELD(cudaMemcpy3DParms, extent)                                         \
    FIELD(cudaMemcpy3DParms, kind)                                           \
    STRUCT(cudaExternalMemoryHandleDesc)                                     \
    FIELD(cudaExternalMemoryHandleDesc, type)                                \
    FIELD(cudaExternalMemoryHandleDesc, handle)                              \
    FIELD(cudaExternalMemoryHandleDesc, handle.fd)                           \
    FIELD(cudaExternalMemoryHandleDesc, handle.win32)                        \
    FIELD(cudaExternalMemoryHandleDesc, handle.win32.handle)                 \
    FIELD(cudaExternalMemoryHandleDesc, handle.win32.name)                   \
    FIELD(cudaExternalMemoryHandleDesc, handle.nvSciBufObject)               \
    FIELD(cudaExternalMemoryHandleDesc, size)                                \
    FIELD(cudaExternalMemoryHandleDesc, flags)                               \
    FIELD(cudaExternalMemoryHandleDesc, reserved)                            \
    STRUCT(cudaExternalMemoryBufferDesc)                                     \
    FIELD(cudaExternalMemoryBufferDesc, offset)                              \
    FIELD(cudaExternalMemoryBufferDesc, size)                                \
    FIELD(cudaExternalMemoryBufferDesc, flags)                               \
    FIELD(cudaExternalMemoryBufferDesc, reserved)                            \
    STRUCT(cudaExternalMemoryMipmappedArrayDesc)                             \
    FIELD(cudaExternalMemoryMipmappedArrayDesc, offset)                      \
    FIELD(cudaExternalMemoryMipmappedArrayDesc, formatDesc)                  \
    FIELD(cudaExternalMemoryMipmappedArrayDesc, extent)                      \
    FIELD(cudaExternalMemoryMipmappedArrayDesc, flags)                       \
    FIELD(cudaExternalMemoryMipmappedArrayDesc, numLevels)                   \
    FIELD(cudaExternalMemoryMipmappedArrayDesc, reserved)                    \
    STRUCT(cudaExternalSemaphoreHandleDesc)                                  \
    FIELD(cudaExternalSemaphoreHandleDesc, type)                             \
    FIELD(cudaExternalSemaphoreHandleDesc, handle)                           \
    FIELD(cudaExternalSemaphoreHandleDesc, handle.fd)                        \
    FIELD(cudaExternalSemaphoreHandleDesc, handle.win32)                     \
    FIELD(cudaExternalSemaphoreHandleDesc, handle.win32.handle)              \
    FIELD(cudaExternalSemaphoreHandleDesc, handle.win32.name)                \
    FIELD(cudaExternalSemaphoreHandleDesc, handle.nvSciSyncObj)              \
    FIELD(cudaExternalSemaphoreHandleDesc, flags)                            \
    FIELD(cudaExternalSemaphoreHandleDesc, reserved)                         \
    STRUCT(cudaExternalSemaphoreSignalParams)                                \
    FIELD(cudaExternalSemaphoreSignalParams, params)                         \
    FIELD(cudaExternalSemaphoreSignalParams, params.fence)                   \
    FIELD(cudaExternalSemaphoreSignalParams, params.fence.value)             \
    FIELD(cudaExternalSemaphoreSignalParams, params.nvSciSync)               \
    FIELD(cudaExternalSemaphoreSignalParams, params.nvSciSync.fence)         \
    FIELD(cudaExternalSemaphoreSignalParams, params.nvSciSync.reserved)      \
    FIELD(cudaExternalSemaphoreSignalParams, params.keyedMutex)              \
    FIELD(cudaExternalSemaphoreSignalParams, params.keyedMutex.key)          \
    FIELD(cudaExternalSemaphoreSignalParams, params.reserved)                \
    FIELD(cudaExternalSemaphoreSignalParams, flags)                          \
    FIELD(cudaExternalSemaphoreSignalParams, reserved)                       \
    STRUCT(cudaExternalSemaphoreWaitParams)                                  \
    FIELD(cudaExternalSemaphoreWaitParams, params)                           \
    FIELD(cudaExternalSemaphoreWaitParams, params.fence)                     \
    FIELD(cudaExternalSemaphoreWaitParams, params.fence.value)               \
    FIELD(cudaExternalSemaphoreWaitParams, params.nvSciSync)                 \
    FIELD(cudaExternalSemaphoreWaitParams, params.nvSciSync.fence)           \
    FIELD(cudaExternalSemaphoreWaitParams, params.nvSciSync.reserved)        \
    FIELD(cudaExternalSemaphoreWaitParams, params.keyedMutex)                \
    FIELD(cudaExternalSemaphoreWaitParams, params.keyedMutex.key)            \
    FIELD(cudaExternalSemaphoreWaitParams, params.keyedMutex.timeoutMs)      \
    FIELD(cudaExternalSemaphoreWaitParams, params.reserved)                  \
    FIELD(cudaExternalSemaphoreWaitParams, flags)                            \
    FIELD(cudaExternalSemaphoreWaitParams, reserved)                         \
    ENUM(cudaError)                                                          \
    ENUM(cudaMemcpyKind)                                                     \
    ENUM(cudaChannelFormatKind)                                              \
    ENUM(cudaExternalMemoryHandleType)                                       \
    ENUM(cudaExternalSemaphoreHandleType)                                    \
    CONST(cudaSuccess)                                                      \
    CONST(cudaErrorInvalidValue)                                            \
    CONST(cudaErrorMemoryAllocation)                                        \
    CONST(cudaErrorInitializationError)                                     \
    CONST(cudaErrorCudartUnloading)                                         \
    CONST(cudaErrorProfilerDisabled)                                        \
    CONST(cudaErrorProfilerNotInitialized)                                  \
    CONST(cudaErrorProfilerAlreadyStarted)                                  \
    CONST(cudaErrorProfilerAlreadyStopped)                                  \
    CONST(cudaErrorInvalidConfiguration)                                    \
    CONST(cudaErrorInvalidPitchValue)                                       \
    CONST(cudaErrorInvalidSymbol)                                           \
    CONST(cudaErrorInvalidHostPointer)                                      \
    CONST(cudaErrorInvalidDevicePointer)                                    \
    CONST(cudaErrorInvalidTexture)                                          \
    CONST(cudaErrorInvalidTextureBinding)                                   \
    CONST(cudaErrorInvalidChannelDescriptor)                                \
    CONST(cudaErrorInvalidMemcpyDirection)                                  \
    CONST(cudaErrorAddressOfConstant)                                       \
    CONST(cudaErrorTextureFetchFailed)                                      \
    CONST(cudaErrorTextureNotBound)                                         \
    CONST(cudaErrorSynchronizationError)                                    \
    CONST(cudaErrorInvalidFilterSetting)                                    \
    CONST(cudaErrorInvalidNormSetting)                                      \
    CONST(cudaErrorMixedDeviceExecution)                                    \
    CONST(cudaErrorNotYetImplemented)                                       \
    CONST(cudaErrorMemoryValueTooLarge)                                     \
    CONST(cudaErrorStubLibrary)                                             \
    CONST(cudaErrorInsufficientDriver)                                      \
    CONST(cudaErrorCallRequiresNewerDriver)                                 \
    CONST(cudaErrorInvalidSurface)                                          \
    CONST(cudaErrorDuplicateVariableName)                                   \
    CONST(cudaErrorDuplicateTextureName)                                    \
    CONST(cudaErrorDuplicateSurfaceName)                                    \
    CONST(cudaErrorDevicesUnavailable)                                      \
    CONST(cudaErrorIncompatibleDriverContext)                               \
    CONST(cudaErrorMissingConfiguration)                                    \
    CONST(cudaErrorPriorLaunchFailure)                                      \
    CONST(cudaErrorLaunchMaxDepthExceeded)                                  \
    CONST(cudaErrorLaunchFileScopedTex)                                     \
    CONST(cudaErrorLaunchFileScopedSurf)                                    \
    CONST(cudaErrorSyncDepthExceeded)                                       \
    CONST(cudaErrorLaunchPendingCountExceeded)                              \
    CONST(cudaErrorInvalidDeviceFunction)                                   \
    CONST(cudaErrorNoDevice)                                                \
    CONST(cudaErrorInvalidDevice)                                           \
    CONST(cudaErrorDeviceNotLicensed)                                       \
    CONST(cudaErrorSoftwareValidityNotEstablished)                          \
    CONST(cudaErrorStartupFailure)                                          \
    CONST(cudaErrorInvalidKernelImage)                                      \
    CONST(cudaErrorDeviceUninitialized)                                     \
    CONST(cudaErrorMapBufferObjectFailed)                                   \
    CONST(cudaErrorUnmapBufferObjectFailed)                                 \
    CONST(cudaErrorArrayIsMapped)                                           \
    CONST(cudaErrorAlreadyMapped)                                           \
    CONST(cudaErrorNoKernelImageForDevice)                                  \
    CONST(cudaErrorAlreadyAcquired)                                         \
    CONST(cudaErrorNotMapped)                                               \
    CONST(cudaErrorNotMappedAsArray)                                        \
    CONST(cudaErrorNotMappedAsPointer)                                      \
    CONST(cudaErrorECCUncorrectable)                                        \
    CONST(cudaErrorUnsupportedLimit)                                        \
    CONST(cudaErrorDeviceAlreadyInUse)                                      \
    CONST(cudaErrorPeerAccessUnsupported)                                   \
    CONST(cudaErrorInvalidPtx)                                              \
    CONST(cudaErrorInvalidGraphicsContext)                                  \
    CONST(cudaErrorNvlinkUncorrectable)                                     \
    CONST(cudaErrorJitCompilerNotFound)                                     \
    CONST(cudaErrorUnsupportedPtxVersion)                                   \
    CONST(cudaErrorJitCompilationDisabled)                                  \
    CONST(cudaErrorUnsupportedExecAffinity)                                 \
    CONST(cudaErrorUnsupportedDevSideSync)                                  \
    CONST(cudaErrorContained)                                               \
    CONST(cudaErrorInvalidSource)                                           \
    CONST(cudaErrorFileNotFound)                                            \
    CONST(cudaErrorSharedObjectSymbolNotFound)                              \
    CONST(cudaErrorSharedObjectInitFailed)                                  \
    CONST(cudaErrorOperatingSystem)                                         \
    CONST(cudaErrorInvalidResourceHandle)                                   \
    CONST(cudaErrorIllegalState)                                            \
    CONST(cudaErrorLossyQuery)                                              \
    CONST(cudaErrorSymbolNotFound)                                          \
    CONST(cudaErrorNotReady)                                                \
    CONST(cudaErrorIllegalAddress)                                          \
    CONST(cudaErrorLaunchOutOfResources)                                    \
    CONST(cudaErrorLaunchTimeout)                                           \
    CONST(cudaErrorLaunchIncompatibleTexturing)                             \
    CONST(cudaErrorPeerAccessAlreadyEnabled)                                \
    CONST(cudaErrorPeerAccessNotEnabled)                                    \
    CONST(cudaErrorSetOnActiveProcess)                                      \
    CONST(cudaErrorContextIsDestroyed)                                      \
    CONST(cudaErrorAssert)                                                  \
    CONST(cudaErrorTooManyPeers)                                            \
    CONST(cudaErrorHostMemoryAlreadyRegistered)                             \
    CONST(cudaErrorHostMemoryNotRegistered)                                 \
    CONST(cudaErrorHardwareStackError)                                      \
    CONST(cudaErrorIllegalInstruction)                                      \
    CONST(cudaErrorMisalignedAddress)                                       \
    CONST(cudaErrorInvalidAddressSpace)                                     \
    CONST(cudaErrorInvalidPc)                                               \
    CONST(cudaErrorLaunchFailure)                                           \
    CONST(cudaErrorCooperativeLaunchTooLarge)                               \
    CONST(cudaErrorTensorMemoryLeak)                                        \
    CONST(cudaErrorNotPermitted)                                            \
    CONST(cudaErrorNotSupported)                                            \
    CONST(cudaErrorSystemNotReady)                                          \
    CONST(cudaErrorSystemDriverMismatch)                                    \
    CONST(cudaErrorCompatNotSupportedOnDevice)                              \
    CONST(cudaErrorMpsConnectionFailed)                                     \
    CONST(cudaErrorMpsRpcFailure)                                           \
    CONST(cudaErrorMpsServerNotReady)                                       \
    CONST(cudaErrorMpsMaxClientsReached)                                    \
    CONST(cudaErrorMpsMaxConnectionsReached)                                \
    CONST(cudaErrorMpsClientTerminated)                                     \
    CONST(cudaErrorCdpNotSupported)                                         \
    CONST(cudaErrorCdpVersionMismatch)                                      \
    CONST(cudaErrorStreamCaptureUnsupported)                                \
    CONST(cudaErrorStreamCaptureInvalidated)                                \
    CONST(cudaErrorStreamCaptureMerge)                                      \
    CONST(cudaErrorStreamCaptureUnmatched)                                  \
    CONST(cudaErrorStreamCaptureUnjoined)                                   \
    CONST(cudaErrorStreamCaptureIsolation)                                  \
    CONST(cudaErrorStreamCaptureImplicit)                                   \
    CONST(cudaErrorCapturedEvent)                                           \
    CONST(cudaErrorStreamCaptureWrongThread)                                \
    CONST(cudaErrorTimeout)                                                 \
    CONST(cudaErrorGraphExecUpdateFailure)                                  \
    CONST(cudaErrorExternalDevice)                                          \
    CONST(cudaErrorInvalidClusterSize)                                      \
    CONST(cudaErrorFunctionNotLoaded)                                       \
    CONST(cudaErrorInvalidResourceType)                                     \
    CONST(cudaErrorInvalidResourceConfiguration)                            \
    CONST(cudaErrorUnknown)                                                 \
    CONST(cudaMemcpyHostToHost)                                             \
    CONST(cudaMemcpyHostToDevice)                                           \
    CONST(cudaMemcpyDeviceToHost)                                           \
    CONST(cudaMemcpyDeviceToDevice)                                         \
    CONST(cudaMemcpyDefault)                                                \
    CONST(cudaChannelFormatKindSigned)                                      \
    CONST(cudaChannelFormatKindUnsigned)                                    \
    CONST(cudaChannelFormatKindFloat)                                       \
    CONST(cudaChannelFormatKindNone)                                        \
    CONST(cudaChannelFormatKindNV12)                                        \
    CONST(cudaChannelFormatKindUnsignedNormalized8X1)                       \
    CONST(cudaChannelFormatKindUnsignedNormalized8X2)                       \
    CONST(cudaChannelFormatKindUnsignedNormalized8X4)                       \
    CONST(cudaChannelFormatKindUnsignedNormalized16X1)                      \
    CONST(cudaChannelFormatKindUnsignedNormalized16X2)                      \
    CONST(cudaChannelFormatKindUnsignedNormalized16X4)                      \
    CONST(cudaChannelFormatKindSignedNormalized8X1)                         \
    CONST(cudaChannelFormatKindSignedNormalized8X2)                         \
    CONST(cudaChannelFormatKindSignedNormalized8X4)                         \
    CONST(cudaChannelFormatKindSignedNormalized16X1)                        \
    CONST(cudaChannelFormatKindSignedNormalized16X2)                        \
    CONST(cudaChannelFormatKindSignedNormalized16X4)                        \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed1)                    \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed1SRGB)                \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed2)                    \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed2SRGB)                \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed3)                    \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed3SRGB)                \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed4)                    \
    CONST(cudaChannelFormatKindSignedBlockCompressed4)                      \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed5)                    \
    CONST(cudaChannelFormatKindSignedBlockCompressed5)                      \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed6H)                   \
    CONST(cudaChannelFormatKindSignedBlockCompressed6H)                     \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed7)                    \
    CONST(cudaChannelFormatKindUnsignedBlockCompressed7SRGB)                \
    CONST(cudaChannelFormatKindUnsignedNormalized1010102)                   \
    CONST(cudaExternalMemoryHandleTypeOpaqueFd)                             \
    CONST(cudaExternalMemoryHandleTypeOpaqueWin32)                          \
    CONST(cudaExternalMemoryHandleTypeOpaqueWin32Kmt)                       \
    CONST(cudaExternalMemoryHandleTypeD3D12Heap)                            \
    CONST(cudaExternalMemoryHandleTypeD3D12Resource)                        \
    CONST(cudaExternalMemoryHandleTypeD3D11Resource)                        \
    CONST(cudaExternalMemoryHandleTypeD3D11ResourceKmt)                     \
    CONST(cudaExternalMemoryHandleTypeNvSciBuf)                             \
    CONST(cudaExternalSemaphoreHandleTypeOpaqueFd)                          \
    CONST(cudaExternalSemaphoreHandleTypeOpaqueWin32)                       \
    CONST(cudaExternalSemaphoreHandleTypeOpaqueWin32Kmt)                    \
    CONST(cudaExternalSemaphoreHandleTypeD3D12Fence)                        \
    CONST(cudaExternalSemaphoreHandleTypeD3D11Fence)                        \
    CONST(cudaExternalSemaphoreHandleTypeNvSciSync)                         \
    CONST(cudaExternalSemaphoreHandleTypeKeyedMutex)                        \
    CONST(cudaExternalSemaphoreHandleTypeKeyedMutexKmt)                     \
    CONST(cudaExternalSemaphoreHandleTypeTimelineSemaphoreFd)               \
    CONST(cudaExternalSemaphoreHandleTypeTimelineSemaphoreWin32)            \
    CONST(cudaExternalMemoryDedicated)                                      \
    CONST(cudaExternalSemaphoreSignalSkipNvSciBufMemSync)                   \
    CONST(cudaExternalSemaphoreWaitSkipNvSciBufMemSync)                     \
    CONST(cudaArrayDefault)                                                 \
    CONST(cudaArrayLayered)                                                 \
    CONST(cudaArraySurfaceLoadStore)                                        \
    CONST(cudaArrayCubemap)                                                 \
    CONST(cudaArrayTextureGather)                                           \
    CONST(cudaArrayColorAttachment)                                         \
    CONST(cudaArraySparse)                                                  \
    CONST(cudaArrayDeferredMapping)                                         \
    CONST(cudaStreamDefault)                                                \
    CONST(cudaStreamNonBlocking)

#endif
