/*
 * The cuda backend on a real GPU: D3D11 resources in VMM memory, imported
 * with the driver's cuImportExternalMemory, seen from both sides.
 *
 * What the test checks on the device it checks with the CUDA driver
 * itself (backend/cuda_driver.h), not through extmem's runtime subset:
 * a mapped buffer read with cuMemcpyDtoH, a level of a mapped mipmapped
 * array read with cuMemcpy3D. Where the cuda backend cannot run (no
 * driver, no GPU, a build without cuda.h) every test skips and says why,
 * and the program exits 77 (CTest: skipped).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#ifdef EXTMEM_HAVE_CUDA_BACKEND
#include "backend/cuda_driver.h"
#endif

#define SHARED_NT (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE)
#define RW (DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)

#ifdef EXTMEM_HAVE_CUDA_BACKEND

static const struct xm_cuda_driver *drv;

/* Skips unless this process runs on the cuda backend. */
static void require_cuda(void)
{
    static char why[256];
    const char *name;

    setenv("EXTMEM_BACKEND", "cuda", 1);
    name = extmemGetBackendName();
    if (!name) {
        snprintf(why, sizeof(why), "the cuda backend cannot run here: %s", extmemGetLastErrorMessage());
        XM_SKIP(why);
    }
    XM_ASSERT_STR_EQ(name, "cuda");
    drv = xm_cuda_driver_get(why, sizeof(why));
    XM_ASSERT_MSG(drv != NULL, "%s", why);
}

#define ASSERT_CU(call)                                                                     \
    do {                                                                                    \
        CUresult cu_ = (call);                                                              \
        XM_ASSERT_MSG(cu_ == CUDA_SUCCESS, "%s: %s", #call, xm_cuda_result_name(cu_));      \
    } while (0)

static void fill_pattern(uint8_t *p, size_t size, unsigned seed)
{
    for (size_t i = 0; i < size; i++)
        p[i] = (uint8_t)(seed + i * 13 + (i >> 8));
}

/* Reads w x h texels (texel bytes each) of layer z of a level array. */
static void read_level(CUarray array, uint32_t w, uint32_t h, uint32_t z, uint32_t texel, void *out)
{
    CUDA_MEMCPY3D copy = {0};

    copy.srcMemoryType = CU_MEMORYTYPE_ARRAY;
    copy.srcArray = array;
    copy.srcZ = z;
    copy.dstMemoryType = CU_MEMORYTYPE_HOST;
    copy.dstHost = out;
    copy.dstPitch = (size_t)w * texel;
    copy.dstHeight = h;
    copy.WidthInBytes = (size_t)w * texel;
    copy.Height = h;
    copy.Depth = 1;
    ASSERT_CU(drv->cuMemcpy3D(&copy));
}

static ID3D11Texture2D *staging_like(ID3D11Device1 *device, ID3D11Texture2D *texture)
{
    D3D11_TEXTURE2D_DESC desc;
    ID3D11Texture2D *staging = NULL;

    ID3D11Texture2D_GetDesc(texture, &desc);
    desc.Usage = D3D11_USAGE_STAGING;
    desc.BindFlags = 0;
    desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    desc.MiscFlags = 0;
    XM_ASSERT_HR(ID3D11Device1_CreateTexture2D(device, &desc, NULL, &staging), S_OK);
    return staging;
}

static ID3D11Buffer *staging_buffer(ID3D11Device1 *device, UINT size)
{
    D3D11_BUFFER_DESC desc = {0};
    ID3D11Buffer *staging = NULL;

    desc.ByteWidth = size;
    desc.Usage = D3D11_USAGE_STAGING;
    desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    XM_ASSERT_HR(ID3D11Device1_CreateBuffer(device, &desc, NULL, &staging), S_OK);
    return staging;
}

XM_TEST(test_backend_is_cuda)
{
    require_cuda();
    printf("  device: %s\n", drv->device_name);
}

XM_TEST(test_buffer_initial_data_is_read_by_cuda)
{
    enum { SIZE = 1 << 20 };
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer;
    cudaExternalMemory_t ext = NULL;
    cudaExternalMemoryBufferDesc map = {0};
    uint8_t *data, *back;
    void *ptr = NULL;
    HANDLE handle;

    require_cuda();
    data = malloc(SIZE);
    back = malloc(SIZE);
    xm_test_census(&before);
    fill_pattern(data, SIZE, 7);
    device = xm_test_device(&context);
    buffer = xm_test_buffer(device, SIZE, SHARED_NT, data);
    handle = xm_test_nt_handle(buffer, RW, NULL);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, SIZE), cudaSuccess);
    CloseHandle(handle);
    map.offset = 4096;
    map.size = SIZE - 4096;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer(&ptr, ext, &map), cudaSuccess);
    ASSERT_CU(drv->cuMemcpyDtoH(back, (CUdeviceptr)(uintptr_t)ptr, SIZE - 4096));
    XM_ASSERT(memcmp(back, data + 4096, SIZE - 4096) == 0);
    XM_ASSERT_CUDA(cudaFree(ptr), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    ID3D11Buffer_Release(buffer);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    free(data);
    free(back);
    XM_ASSERT_NOTHING_LEAKED(before);
}

/* A texture written with UpdateSubresource, imported by name and mapped
 * as a mipmapped array twice (plain, and for surface load/store): every
 * level reads back what D3D11 wrote, through the driver's own copies. */
XM_TEST(test_update_subresource_is_seen_through_mapped_arrays)
{
    enum { W = 256, H = 128, LEVELS = 3, TEXEL = 4 };
    static const WCHAR name[] = L"extmem-gpu-test-texture";
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    ID3D11Texture2D *texture;
    cudaExternalMemory_t ext = NULL;
    struct xm_test_census before;
    uint8_t *levels[LEVELS], *back;
    HANDLE handle;
    UINT64 packed = 0;

    require_cuda();
    back = malloc(W * H * TEXEL);
    xm_test_census(&before);
    device = xm_test_device(&context);
    texture = xm_test_texture2d(device, W, H, LEVELS, 1, DXGI_FORMAT_R8G8B8A8_UNORM, SHARED_NT);
    for (uint32_t l = 0; l < LEVELS; l++) {
        uint32_t w = W >> l, h = H >> l;

        levels[l] = malloc((size_t)w * h * TEXEL);
        fill_pattern(levels[l], (size_t)w * h * TEXEL, 31 * l + 1);
        ID3D11DeviceContext_UpdateSubresource(context, (ID3D11Resource *)texture, l, NULL, levels[l], w * TEXEL, 0);
    }
    handle = xm_test_nt_handle(texture, RW, name);
    XM_ASSERT_HR(extmemGetResourcePackedSize((ID3D11Resource *)texture, &packed), S_OK);
    /* The seed passes the packed size; the allocation is larger (tiled). */
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, NULL, name, packed), cudaSuccess);
    for (int pass = 0; pass < 2; pass++) {
        cudaExternalMemoryMipmappedArrayDesc desc = {0};
        cudaMipmappedArray_t mipmap = NULL;

        desc.formatDesc = cudaCreateChannelDesc(8, 8, 8, 8, pass ? cudaChannelFormatKindUnsigned
                                                                  : cudaChannelFormatKindUnsignedNormalized8X4);
        desc.extent = make_cudaExtent(W, H, 0);
        desc.flags = pass ? cudaArraySurfaceLoadStore : 0;
        desc.numLevels = LEVELS;
        XM_ASSERT_CUDA(cudaExternalMemoryGetMappedMipmappedArray(&mipmap, ext, &desc), cudaSuccess);
        for (uint32_t l = 0; l < LEVELS; l++) {
            cudaArray_t level = NULL;
            uint32_t w = W >> l, h = H >> l;

            XM_ASSERT_CUDA(cudaGetMipmappedArrayLevel(&level, mipmap, l), cudaSuccess);
            memset(back, 0, (size_t)w * h * TEXEL);
            read_level((CUarray)level, w, h, 0, TEXEL, back);
            XM_ASSERT_MSG(memcmp(back, levels[l], (size_t)w * h * TEXEL) == 0, "pass %d level %u differs", pass, l);
        }
        XM_ASSERT_CUDA(cudaFreeMipmappedArray(mipmap), cudaSuccess);
    }
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    CloseHandle(handle);
    ID3D11Texture2D_Release(texture);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    for (uint32_t l = 0; l < LEVELS; l++)
        free(levels[l]);
    free(back);
    XM_ASSERT_NOTHING_LEAKED(before);
}

/* CUDA writes a level of a texture (through the driver, into the mapped
 * level array) and a range of a buffer; the producer reads both back with
 * CopyResource into STAGING and Map. */
XM_TEST(test_cuda_writes_are_read_back_through_staging)
{
    enum { W = 128, H = 64, LEVELS = 2, TEXEL = 4, SIZE = 65536 };
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    ID3D11Texture2D *texture, *staging;
    ID3D11Buffer *buffer, *staging_buf;
    cudaExternalMemory_t tex_ext = NULL, buf_ext = NULL;
    cudaExternalMemoryMipmappedArrayDesc desc = {0};
    cudaExternalMemoryBufferDesc map = {0};
    cudaMipmappedArray_t mipmap = NULL;
    cudaArray_t level1 = NULL;
    D3D11_MAPPED_SUBRESOURCE mapped;
    uint8_t *texels, *bytes;
    CUDA_MEMCPY3D copy = {0};
    void *ptr = NULL;
    HANDLE tex_handle, buf_handle;

    require_cuda();
    texels = malloc((W / 2) * (H / 2) * TEXEL);
    bytes = malloc(SIZE);
    device = xm_test_device(&context);
    texture = xm_test_texture2d(device, W, H, LEVELS, 1, DXGI_FORMAT_R32_FLOAT, SHARED_NT);
    buffer = xm_test_buffer(device, SIZE, SHARED_NT, NULL);
    tex_handle = xm_test_nt_handle(texture, RW, NULL);
    buf_handle = xm_test_nt_handle(buffer, RW, NULL);
    XM_ASSERT_CUDA(xm_test_import(&tex_ext, cudaExternalMemoryHandleTypeD3D11Resource, tex_handle, NULL,
                                  (W * H + (W / 2) * (H / 2)) * TEXEL), cudaSuccess);
    XM_ASSERT_CUDA(xm_test_import(&buf_ext, cudaExternalMemoryHandleTypeD3D11Resource, buf_handle, NULL, SIZE),
                   cudaSuccess);
    CloseHandle(tex_handle);
    CloseHandle(buf_handle);
    desc.formatDesc = cudaCreateChannelDesc(32, 0, 0, 0, cudaChannelFormatKindFloat);
    desc.extent = make_cudaExtent(W, H, 0);
    desc.flags = cudaArraySurfaceLoadStore;
    desc.numLevels = LEVELS;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedMipmappedArray(&mipmap, tex_ext, &desc), cudaSuccess);
    XM_ASSERT_CUDA(cudaGetMipmappedArrayLevel(&level1, mipmap, 1), cudaSuccess);
    fill_pattern(texels, (W / 2) * (H / 2) * TEXEL, 99);
    copy.srcMemoryType = CU_MEMORYTYPE_HOST;
    copy.srcHost = texels;
    copy.srcPitch = (W / 2) * TEXEL;
    copy.srcHeight = H / 2;
    copy.dstMemoryType = CU_MEMORYTYPE_ARRAY;
    copy.dstArray = (CUarray)level1;
    copy.WidthInBytes = (W / 2) * TEXEL;
    copy.Height = H / 2;
    copy.Depth = 1;
    ASSERT_CU(drv->cuMemcpy3D(&copy));
    map.size = SIZE;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer(&ptr, buf_ext, &map), cudaSuccess);
    fill_pattern(bytes, SIZE, 5);
    ASSERT_CU(drv->cuMemcpyHtoD((CUdeviceptr)(uintptr_t)ptr, bytes, SIZE));
    ASSERT_CU(drv->cuCtxSynchronize());

    staging = staging_like(device, texture);
    ID3D11DeviceContext_CopyResource(context, (ID3D11Resource *)staging, (ID3D11Resource *)texture);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging, 1, D3D11_MAP_READ, 0, &mapped), S_OK);
    for (uint32_t y = 0; y < H / 2; y++)
        XM_ASSERT_MSG(memcmp((uint8_t *)mapped.pData + y * mapped.RowPitch, texels + y * (W / 2) * TEXEL,
                             (W / 2) * TEXEL) == 0, "row %u of level 1 differs", y);
    ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)staging, 1);
    staging_buf = staging_buffer(device, SIZE);
    ID3D11DeviceContext_CopyResource(context, (ID3D11Resource *)staging_buf, (ID3D11Resource *)buffer);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging_buf, 0, D3D11_MAP_READ, 0, &mapped), S_OK);
    XM_ASSERT(memcmp(mapped.pData, bytes, SIZE) == 0);
    ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)staging_buf, 0);

    XM_ASSERT_CUDA(cudaFreeMipmappedArray(mipmap), cudaSuccess);
    XM_ASSERT_CUDA(cudaFree(ptr), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(tex_ext), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(buf_ext), cudaSuccess);
    ID3D11Texture2D_Release(staging);
    ID3D11Buffer_Release(staging_buf);
    ID3D11Texture2D_Release(texture);
    ID3D11Buffer_Release(buffer);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    free(texels);
    free(bytes);
}

/* A handle created with DXGI_SHARED_RESOURCE_READ maps a buffer the GPU
 * cannot write: cuMemsetD8 into it fails and the bytes stay. */
XM_TEST(test_read_only_handle_gives_a_read_only_gpu_mapping)
{
    enum { SIZE = 1 << 16 };
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer;
    cudaExternalMemory_t ext = NULL;
    cudaExternalMemoryBufferDesc map = {0};
    uint8_t *data, *back;
    void *ptr = NULL;
    CUresult result;
    HANDLE handle;

    require_cuda();
    data = malloc(SIZE);
    back = malloc(SIZE);
    fill_pattern(data, SIZE, 3);
    device = xm_test_device(&context);
    buffer = xm_test_buffer(device, SIZE, SHARED_NT, data);
    handle = xm_test_nt_handle(buffer, DXGI_SHARED_RESOURCE_READ, NULL);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, SIZE), cudaSuccess);
    map.size = SIZE;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer(&ptr, ext, &map), cudaSuccess);
    result = drv->cuMemsetD8((CUdeviceptr)(uintptr_t)ptr, 0xff, SIZE);
    if (result == CUDA_SUCCESS)
        result = drv->cuCtxSynchronize();
    printf("  cuMemsetD8 into the read-only mapping: %s\n", xm_cuda_result_name(result));
    XM_ASSERT(result != CUDA_SUCCESS);
    ASSERT_CU(drv->cuMemcpyDtoH(back, (CUdeviceptr)(uintptr_t)ptr, SIZE));
    XM_ASSERT(memcmp(back, data, SIZE) == 0);
    /* extmem's own copies refuse it before the GPU sees it. */
    XM_ASSERT_CUDA(cudaMemset(ptr, 0, 16), cudaErrorInvalidValue);
    XM_ASSERT_CUDA(cudaFree(ptr), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    CloseHandle(handle);
    ID3D11Buffer_Release(buffer);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    free(data);
    free(back);
}

XM_TEST(test_kmt_import_maps_device_memory)
{
    enum { SIZE = 1 << 16 };
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer;
    cudaExternalMemory_t ext = NULL;
    cudaExternalMemoryBufferDesc map = {0};
    uint8_t *data, *back;
    void *ptr = NULL;

    require_cuda();
    data = malloc(SIZE);
    back = malloc(SIZE);
    fill_pattern(data, SIZE, 77);
    device = xm_test_device(&context);
    buffer = xm_test_buffer(device, SIZE, D3D11_RESOURCE_MISC_SHARED, data);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, xm_test_kmt_handle(buffer),
                                  NULL, SIZE), cudaSuccess);
    map.size = SIZE;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer(&ptr, ext, &map), cudaSuccess);
    /* Through extmem's runtime subset on device memory this time. */
    XM_ASSERT_CUDA(cudaMemcpy(back, ptr, SIZE, cudaMemcpyDeviceToHost), cudaSuccess);
    XM_ASSERT(memcmp(back, data, SIZE) == 0);
    XM_ASSERT_CUDA(cudaFree(ptr), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    ID3D11Buffer_Release(buffer);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    free(data);
    free(back);
}

/* Creating, importing, mapping and releasing 256 MiB gives the GPU's
 * memory back: the driver's free memory returns to where it was. */
XM_TEST(test_gpu_memory_is_returned_after_release)
{
    enum { SIZE = 256 << 20 };
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer;
    cudaExternalMemory_t ext = NULL;
    cudaExternalMemoryBufferDesc map = {0};
    size_t free_before = 0, free_during = 0, free_after = 0, total = 0;
    void *ptr = NULL;
    HANDLE handle;

    require_cuda();
    device = xm_test_device(&context);
    ASSERT_CU(drv->cuMemGetInfo(&free_before, &total));
    buffer = xm_test_buffer(device, SIZE, SHARED_NT, NULL);
    handle = xm_test_nt_handle(buffer, RW, NULL);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, SIZE), cudaSuccess);
    map.size = SIZE;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer(&ptr, ext, &map), cudaSuccess);
    ASSERT_CU(drv->cuMemGetInfo(&free_during, &total));
    XM_ASSERT_CUDA(cudaFree(ptr), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    CloseHandle(handle);
    ID3D11Buffer_Release(buffer);
    ASSERT_CU(drv->cuMemGetInfo(&free_after, &total));
    printf("  free MiB: before %zu, while held %zu, after %zu\n", free_before >> 20, free_during >> 20,
           free_after >> 20);
    XM_ASSERT(free_during + SIZE <= free_before + (16u << 20));
    XM_ASSERT(free_after + (16u << 20) >= free_before);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_backend_is_cuda)
    XM_TEST_ENTRY(test_buffer_initial_data_is_read_by_cuda)
    XM_TEST_ENTRY(test_update_subresource_is_seen_through_mapped_arrays)
    XM_TEST_ENTRY(test_cuda_writes_are_read_back_through_staging)
    XM_TEST_ENTRY(test_kmt_import_maps_device_memory)
    XM_TEST_ENTRY(test_gpu_memory_is_returned_after_release)
    /* Last: a GPU fault here, were the driver to report one, would end the context. */
    XM_TEST_ENTRY(test_read_only_handle_gives_a_read_only_gpu_mapping))

#else /* no cuda.h at build time: the cuda backend does not exist */

XM_TEST(test_cuda_backend_is_built)
{
    XM_SKIP("this build has no cuda backend (the CUDA toolkit's cuda.h was not found at configure time)");
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_cuda_backend_is_built))

#endif
