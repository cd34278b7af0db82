/*
 * The seed's import code, unchanged, in a real CUDA program.
 *
 * A producer creates a shareable texture and buffer with D3D11 calls; the
 * three functions in the seed's shape import them (by name and by KMT
 * handle); CUDA's own runtime maps the levels, makes a surface object on
 * the texture's level 0 and hands the buffer to a kernel as a pointer;
 * kernels write both; the producer copies them into STAGING resources,
 * maps them and checks every texel and word.
 *
 * With CUDA's runtime header included first, <extmem/cuda_compat.h> maps
 * only the external-memory calls onto extmem: cudaGetMipmappedArrayLevel,
 * cudaCreateSurfaceObject, cudaFree and cudaFreeMipmappedArray are CUDA's,
 * working on the device memory extmem's cuda backend handed out.
 *
 * Exits 77 (skipped) where there is no GPU or the cuda backend cannot run.
 */
#include <cuda_runtime.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

/* ---- the seed's shape (as examples/seed_paths.c) ------------------------- */

cudaExternalMemory_t import_by_nt_handle(HANDLE handle, unsigned long long size)
{
    cudaExternalMemory_t ext_mem = NULL;
    cudaExternalMemoryHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalMemoryHandleTypeD3D11Resource;
    desc.handle.win32.handle = (void *)handle;
    desc.size = size;
    desc.flags |= cudaExternalMemoryDedicated;
    cudaImportExternalMemory(&ext_mem, &desc);

    /* The import holds its own reference: the handle can go now. */
    CloseHandle(handle);
    return ext_mem;
}

cudaExternalMemory_t import_by_name(LPCWSTR name, unsigned long long size)
{
    cudaExternalMemory_t ext_mem = NULL;
    cudaExternalMemoryHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalMemoryHandleTypeD3D11Resource;
    desc.handle.win32.name = (void *)name;
    desc.size = size;
    desc.flags |= cudaExternalMemoryDedicated;
    cudaImportExternalMemory(&ext_mem, &desc);
    return ext_mem;
}

cudaExternalMemory_t import_by_kmt_handle(HANDLE handle, unsigned long long size)
{
    cudaExternalMemory_t ext_mem = NULL;
    cudaExternalMemoryHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalMemoryHandleTypeD3D11ResourceKmt;
    desc.handle.win32.handle = (void *)handle;
    desc.size = size;
    desc.flags |= cudaExternalMemoryDedicated;
    cudaImportExternalMemory(&ext_mem, &desc);
    return ext_mem;
}

/* ---- kernels ---------------------------------------------------------------- */

__device__ uchar4 texel_at(unsigned x, unsigned y)
{
    return make_uchar4((unsigned char)x, (unsigned char)y, (unsigned char)(x ^ y), 0xA5);
}

__global__ void write_texture(cudaSurfaceObject_t surface, unsigned width, unsigned height)
{
    unsigned x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;

    if (x < width && y < height)
        surf2Dwrite(texel_at(x, y), surface, x * sizeof(uchar4), y); /* x in bytes */
}

__global__ void write_buffer(uint32_t *words, size_t count)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x)
        words[i] = (uint32_t)i * 2654435761u;
}

/* ---- the program -------------------------------------------------------------- */

#define CHECK_CUDA(call)                                                                          \
    do {                                                                                          \
        cudaError_t e_ = (call);                                                                  \
        if (e_ != cudaSuccess) {                                                                  \
            fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call, cudaGetErrorName(e_), \
                    extmemGetLastErrorMessage());                                                 \
            return 1;                                                                             \
        }                                                                                         \
    } while (0)

#define CHECK_HR(call)                                                                            \
    do {                                                                                          \
        HRESULT hr_ = (call);                                                                     \
        if (FAILED(hr_)) {                                                                        \
            fprintf(stderr, "%s:%d: %s: 0x%08x (%s)\n", __FILE__, __LINE__, #call, (unsigned)hr_,  \
                    extmemGetLastErrorMessage());                                                 \
            return 1;                                                                             \
        }                                                                                         \
    } while (0)

enum { WIDTH = 256, HEIGHT = 128, WORDS = 1 << 18 };

int main(void)
{
    static const WCHAR name[] = L"extmem-seed-kernel-texture";
    int devices = 0;

    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        printf("skipped: no CUDA device\n");
        return 77;
    }
    setenv("EXTMEM_BACKEND", "cuda", 1);
    if (!extmemGetBackendName()) {
        printf("skipped: %s\n", extmemGetLastErrorMessage());
        return 77;
    }
    CHECK_CUDA(cudaSetDevice(0)); /* device 0's primary context, which extmem uses too */

    ID3D11Device *device = NULL;
    ID3D11DeviceContext *context = NULL;
    CHECK_HR(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                               &context));

    /* The producer's resources: a shareable texture and buffer. */
    D3D11_TEXTURE2D_DESC tex_desc = {};
    tex_desc.Width = WIDTH;
    tex_desc.Height = HEIGHT;
    tex_desc.MipLevels = 1;
    tex_desc.ArraySize = 1;
    tex_desc.Format = DXGI_FORMAT_R8G8B8A8_UNORM;
    tex_desc.SampleDesc.Count = 1;
    tex_desc.Usage = D3D11_USAGE_DEFAULT;
    tex_desc.BindFlags = D3D11_BIND_SHADER_RESOURCE | D3D11_BIND_UNORDERED_ACCESS;
    tex_desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE;
    ID3D11Texture2D *texture = NULL;
    CHECK_HR(device->CreateTexture2D(&tex_desc, NULL, &texture));

    D3D11_BUFFER_DESC buf_desc = {};
    buf_desc.ByteWidth = WORDS * sizeof(uint32_t);
    buf_desc.Usage = D3D11_USAGE_DEFAULT;
    buf_desc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
    buf_desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED;
    ID3D11Buffer *buffer = NULL;
    CHECK_HR(device->CreateBuffer(&buf_desc, NULL, &buffer));

    IDXGIResource1 *tex_dxgi = NULL;
    IDXGIResource *buf_dxgi = NULL;
    HANDLE tex_handle = NULL, buf_kmt = NULL;
    CHECK_HR(texture->QueryInterface(IID_IDXGIResource1, (void **)&tex_dxgi));
    CHECK_HR(tex_dxgi->CreateSharedHandle(NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE, name,
                                          &tex_handle));
    CHECK_HR(buffer->QueryInterface(IID_IDXGIResource, (void **)&buf_dxgi));
    CHECK_HR(buf_dxgi->GetSharedHandle(&buf_kmt));

    /* The consumer: the seed's imports, then CUDA's own runtime. */
    cudaExternalMemory_t tex_mem = import_by_name(name, (unsigned long long)WIDTH * HEIGHT * 4);
    cudaExternalMemory_t buf_mem = import_by_kmt_handle(buf_kmt, buf_desc.ByteWidth);
    if (!tex_mem || !buf_mem) {
        fprintf(stderr, "import failed: %s\n", extmemGetLastErrorMessage());
        return 1;
    }

    cudaExternalMemoryMipmappedArrayDesc array_desc = {};
    array_desc.formatDesc = cudaCreateChannelDesc<uchar4>();
    array_desc.extent = make_cudaExtent(WIDTH, HEIGHT, 0);
    array_desc.flags = cudaArraySurfaceLoadStore;
    array_desc.numLevels = 1;
    cudaMipmappedArray_t mipmap = NULL;
    cudaArray_t level0 = NULL;
    CHECK_CUDA(cudaExternalMemoryGetMappedMipmappedArray(&mipmap, tex_mem, &array_desc));
    CHECK_CUDA(cudaGetMipmappedArrayLevel(&level0, mipmap, 0));

    cudaResourceDesc surface_desc = {};
    surface_desc.resType = cudaResourceTypeArray;
    surface_desc.res.array.array = level0;
    cudaSurfaceObject_t surface = 0;
    CHECK_CUDA(cudaCreateSurfaceObject(&surface, &surface_desc));

    cudaExternalMemoryBufferDesc map_desc = {};
    map_desc.size = buf_desc.ByteWidth;
    void *words = NULL;
    CHECK_CUDA(cudaExternalMemoryGetMappedBuffer(&words, buf_mem, &map_desc));

    write_texture<<<dim3(WIDTH / 16, HEIGHT / 16), dim3(16, 16)>>>(surface, WIDTH, HEIGHT);
    write_buffer<<<256, 256>>>((uint32_t *)words, WORDS);
    CHECK_CUDA(cudaGetLastError());
    CHECK_CUDA(cudaDeviceSynchronize());

    /* The producer reads the change back through STAGING copies. */
    D3D11_TEXTURE2D_DESC staging_tex_desc = tex_desc;
    staging_tex_desc.Usage = D3D11_USAGE_STAGING;
    staging_tex_desc.BindFlags = 0;
    staging_tex_desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    staging_tex_desc.MiscFlags = 0;
    ID3D11Texture2D *staging_tex = NULL;
    CHECK_HR(device->CreateTexture2D(&staging_tex_desc, NULL, &staging_tex));
    D3D11_BUFFER_DESC staging_buf_desc = buf_desc;
    staging_buf_desc.Usage = D3D11_USAGE_STAGING;
    staging_buf_desc.BindFlags = 0;
    staging_buf_desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    staging_buf_desc.MiscFlags = 0;
    ID3D11Buffer *staging_buf = NULL;
    CHECK_HR(device->CreateBuffer(&staging_buf_desc, NULL, &staging_buf));
    context->CopyResource(staging_tex, texture);
    context->CopyResource(staging_buf, buffer);

    unsigned long texel_mismatches = 0, word_mismatches = 0;
    D3D11_MAPPED_SUBRESOURCE mapped = {};
    CHECK_HR(context->Map(staging_tex, 0, D3D11_MAP_READ, 0, &mapped));
    for (unsigned y = 0; y < HEIGHT; y++) {
        const uint8_t *row = (const uint8_t *)mapped.pData + (size_t)y * mapped.RowPitch;
        for (unsigned x = 0; x < WIDTH; x++) {
            const uint8_t want[4] = {(uint8_t)x, (uint8_t)y, (uint8_t)(x ^ y), 0xA5};
            texel_mismatches += memcmp(row + x * 4, want, 4) != 0;
        }
    }
    context->Unmap(staging_tex, 0);
    CHECK_HR(context->Map(staging_buf, 0, D3D11_MAP_READ, 0, &mapped));
    for (size_t i = 0; i < WORDS; i++)
        word_mismatches += ((const uint32_t *)mapped.pData)[i] != (uint32_t)i * 2654435761u;
    context->Unmap(staging_buf, 0);

    /* CUDA's own frees on what extmem mapped; extmem ends the imports. */
    CHECK_CUDA(cudaDestroySurfaceObject(surface));
    CHECK_CUDA(cudaFreeMipmappedArray(mipmap));
    CHECK_CUDA(cudaFree(words));
    CHECK_CUDA(cudaDestroyExternalMemory(tex_mem));
    CHECK_CUDA(cudaDestroyExternalMemory(buf_mem));
    CloseHandle(tex_handle);
    staging_tex->Release();
    staging_buf->Release();
    tex_dxgi->Release();
    buf_dxgi->Release();
    texture->Release();
    buffer->Release();
    context->Release();
    device->Release();

    printf("seed_kernel: texture %dx%d written through a surface: %lu mismatches; buffer of %d words written "
           "through a pointer: %lu mismatches\n", WIDTH, HEIGHT, texel_mismatches, WORDS, word_mismatches);
    return texel_mismatches || word_mismatches ? 1 : 0;
}
