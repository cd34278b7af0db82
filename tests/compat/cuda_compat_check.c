/*
 * Code shaped like the seed's, written with CUDA's spellings, compiled
 * unchanged against <extmem/cuda_compat.h>: as C and as C++, with extmem's
 * own CUDA types and with CUDA's (-DEXTMEM_WITH_CUDA_RUNTIME, or CUDA's header
 * included first). scripts/check-cuda-headers.sh runs the combinations;
 * it only needs to compile.
 */
#include <string.h>

#include <extmem/wintypes.h>
#include <extmem/cuda_compat.h>

#ifdef __cplusplus
extern "C" {
#endif
cudaExternalMemory_t importD3D11Resource(HANDLE handle, unsigned long long size, int kmt);
void *mapBufferOntoExternalMemory(cudaExternalMemory_t extMem, unsigned long long offset,
                                  unsigned long long size);
cudaMipmappedArray_t mapMipmappedArrayOntoExternalMemory(cudaExternalMemory_t extMem,
                                                         unsigned long long offset,
                                                         cudaChannelFormatDesc *formatDesc,
                                                         cudaExtent *extent, unsigned int flags,
                                                         unsigned int numLevels);
int readFirstLevel(cudaMipmappedArray_t mipmap, void *dst, size_t pitch, size_t width, size_t height);
#ifdef __cplusplus
}
#endif

cudaExternalMemory_t importD3D11Resource(HANDLE handle, unsigned long long size, int kmt)
{
    cudaExternalMemory_t extMem = NULL;
    cudaExternalMemoryHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = kmt ? cudaExternalMemoryHandleTypeD3D11ResourceKmt : cudaExternalMemoryHandleTypeD3D11Resource;
    desc.handle.win32.handle = (void *)handle;
    desc.size = size;
    desc.flags |= cudaExternalMemoryDedicated;

    cudaImportExternalMemory(&extMem, &desc);
    return extMem;
}

void *mapBufferOntoExternalMemory(cudaExternalMemory_t extMem, unsigned long long offset,
                                  unsigned long long size)
{
    void *ptr = NULL;
    cudaExternalMemoryBufferDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.offset = offset;
    desc.size = size;

    cudaExternalMemoryGetMappedBuffer(&ptr, extMem, &desc);
    /* Note: 'ptr' must eventually be freed using cudaFree() */
    return ptr;
}

cudaMipmappedArray_t mapMipmappedArrayOntoExternalMemory(cudaExternalMemory_t extMem,
                                                         unsigned long long offset,
                                                         cudaChannelFormatDesc *formatDesc,
                                                         cudaExtent *extent, unsigned int flags,
                                                         unsigned int numLevels)
{
    cudaMipmappedArray_t mipmap = NULL;
    cudaExternalMemoryMipmappedArrayDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.offset = offset;
    desc.formatDesc = *formatDesc;
    desc.extent = *extent;
    desc.flags = flags;
    desc.numLevels = numLevels;

    cudaExternalMemoryGetMappedMipmappedArray(&mipmap, extMem, &desc);
    return mipmap;
}

/* The runtime calls a consumer uses next: CUDA's own in a CUDA build,
 * extmem's host implementation otherwise. */
int readFirstLevel(cudaMipmappedArray_t mipmap, void *dst, size_t pitch, size_t width, size_t height)
{
    cudaArray_t level = NULL;
    cudaChannelFormatDesc fmt = cudaCreateChannelDesc(8, 8, 8, 8, cudaChannelFormatKindUnsigned);
    cudaExtent extent = make_cudaExtent(width, height, 0);
    cudaStream_t stream = NULL;
    cudaError_t err;

    (void)fmt;
    (void)extent;
    err = cudaGetMipmappedArrayLevel(&level, mipmap, 0);
    if (err == cudaSuccess)
        err = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
    if (err == cudaSuccess)
        err = cudaMemcpy2DFromArrayAsync(dst, pitch, level, 0, 0, width * 4, height,
                                         cudaMemcpyDeviceToHost, stream);
    if (err == cudaSuccess)
        err = cudaStreamSynchronize(stream);
    if (stream)
        cudaStreamDestroy(stream);
    cudaFreeMipmappedArray(mipmap);
    return err == cudaSuccess ? 0 : (int)strlen(cudaGetErrorString(err));
}
