/*
 * One side of the cross-process GPU test (tests/gpu/test_ipc_gpu.c runs
 * it, twice at a time, and kills it with SIGKILL at random points).
 *
 *   ipc_gpu_worker producer NAME WIDTH HEIGHT BUFFER_BYTES
 *       Creates an R32_UINT texture (shared by NAME, an NT handle) and a
 *       buffer (shared by its KMT value) in GPU memory, with initial data,
 *       prints "ready KMT", then answers commands on stdin:
 *         check LO HI  copies both into STAGING resources, maps them and
 *                      prints "checked N": the words whose increment over
 *                      the initial data is outside [LO, HI]
 *         exit         releases everything, prints "bye" and exits 0
 *
 *   ipc_gpu_worker consumer NAME KMT WIDTH HEIGHT BUFFER_BYTES LOOPS MODE
 *       Imports the texture by name and the buffer by KMT value in the
 *       seed's shape, maps them with CUDA's runtime, prints "mapped", then
 *       LOOPS times: kernels add 1 to every texel (through a surface) and
 *       word (through a pointer), the result is read back with CUDA's own
 *       copies and checked (initial data + loop + 1), "loop L MISMATCHES"
 *       is printed. MODE is a sum of: 1, each loop also imports and maps
 *       both again, and frees and destroys that second import; 2, after
 *       the loops the consumer opens both with D3D11 too
 *       (OpenSharedResourceByName, OpenSharedResource with the KMT value),
 *       checks them through STAGING copies (initial data + LOOPS) and
 *       writes initial data + LOOPS + 1 into both with UpdateSubresource
 *       ("d3d N": N mismatches). Prints "done".
 *
 * With CUDA's runtime header first, <extmem/cuda_compat.h> maps only the
 * external-memory calls onto extmem; the rest is CUDA's own.
 */
#include <cuda_runtime.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#define WORKER_NAME "ipc_gpu_worker"
#include "worker_checks.h"

/* ---- the seed's shape (as examples/seed_paths.c) ------------------------- */

static cudaExternalMemory_t import_by_name(LPCWSTR name, unsigned long long size)
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

static cudaExternalMemory_t import_by_kmt_handle(HANDLE handle, unsigned long long size)
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

/* ---- data ------------------------------------------------------------------ */

static uint32_t texel_pattern(unsigned x, unsigned y)
{
    return (uint32_t)(y * 40503u + x * 2654435761u) ^ 0x5a5a0000u;
}

static uint32_t word_pattern(size_t i)
{
    return (uint32_t)i * 2246822519u + 7u;
}

__global__ void add_to_texture(cudaSurfaceObject_t surface, unsigned width, unsigned height)
{
    unsigned x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;

    if (x < width && y < height) {
        uint32_t v = surf2Dread<uint32_t>(surface, x * 4, y);
        surf2Dwrite(v + 1u, surface, x * 4, y);
    }
}

__global__ void add_to_buffer(uint32_t *words, size_t count)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x)
        words[i] += 1u;
}

/* ---- producer ---------------------------------------------------------------- */

static int producer(const WCHAR *name, unsigned width, unsigned height, size_t bytes)
{
    ID3D11Device *device = NULL;
    ID3D11DeviceContext *context = NULL;
    size_t words = bytes / 4;
    uint32_t *texels = (uint32_t *)malloc((size_t)width * height * 4), *data = (uint32_t *)malloc(bytes);

    if (!texels || !data)
        DIE("out of memory");
    for (unsigned y = 0; y < height; y++)
        for (unsigned x = 0; x < width; x++)
            texels[(size_t)y * width + x] = texel_pattern(x, y);
    for (size_t i = 0; i < words; i++)
        data[i] = word_pattern(i);
    CHECK_HR(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                               &context));

    D3D11_TEXTURE2D_DESC tex_desc = {};
    tex_desc.Width = width;
    tex_desc.Height = height;
    tex_desc.MipLevels = 1;
    tex_desc.ArraySize = 1;
    tex_desc.Format = DXGI_FORMAT_R32_UINT;
    tex_desc.SampleDesc.Count = 1;
    tex_desc.Usage = D3D11_USAGE_DEFAULT;
    tex_desc.BindFlags = D3D11_BIND_SHADER_RESOURCE | D3D11_BIND_UNORDERED_ACCESS;
    tex_desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE;
    D3D11_SUBRESOURCE_DATA tex_init = {texels, width * 4, 0};
    ID3D11Texture2D *texture = NULL;
    CHECK_HR(device->CreateTexture2D(&tex_desc, &tex_init, &texture));

    D3D11_BUFFER_DESC buf_desc = {};
    buf_desc.ByteWidth = (UINT)bytes;
    buf_desc.Usage = D3D11_USAGE_DEFAULT;
    buf_desc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
    buf_desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED;
    ID3D11Buffer *buffer = NULL;
    CHECK_HR(device->CreateBuffer(&buf_desc, NULL, &buffer));
    /* Real data moves on the GPU with UpdateSubresource too. */
    context->UpdateSubresource(buffer, 0, NULL, data, 0, 0);

    IDXGIResource1 *tex_dxgi = NULL;
    IDXGIResource *buf_dxgi = NULL;
    HANDLE tex_handle = NULL, buf_kmt = NULL;
    CHECK_HR(texture->QueryInterface(IID_IDXGIResource1, (void **)&tex_dxgi));
    CHECK_HR(tex_dxgi->CreateSharedHandle(NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE, name,
                                          &tex_handle));
    CHECK_HR(buffer->QueryInterface(IID_IDXGIResource, (void **)&buf_dxgi));
    CHECK_HR(buf_dxgi->GetSharedHandle(&buf_kmt));
    printf("ready %u\n", (unsigned)(uintptr_t)buf_kmt);
    fflush(stdout);

    char line[128];
    while (fgets(line, sizeof(line), stdin)) {
        unsigned lo = 0, hi = 0;

        if (sscanf(line, "check %u %u", &lo, &hi) == 2) {
            D3D11_TEXTURE2D_DESC st_tex = tex_desc;
            D3D11_BUFFER_DESC st_buf = buf_desc;
            ID3D11Texture2D *staging_tex = NULL;
            ID3D11Buffer *staging_buf = NULL;
            D3D11_MAPPED_SUBRESOURCE mapped = {};
            unsigned long bad = 0;

            st_tex.Usage = D3D11_USAGE_STAGING;
            st_tex.BindFlags = 0;
            st_tex.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
            st_tex.MiscFlags = 0;
            st_buf.Usage = D3D11_USAGE_STAGING;
            st_buf.BindFlags = 0;
            st_buf.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
            st_buf.MiscFlags = 0;
            CHECK_HR(device->CreateTexture2D(&st_tex, NULL, &staging_tex));
            CHECK_HR(device->CreateBuffer(&st_buf, NULL, &staging_buf));
            context->CopyResource(staging_tex, texture);
            context->CopyResource(staging_buf, buffer);
            CHECK_HR(context->Map(staging_tex, 0, D3D11_MAP_READ, 0, &mapped));
            for (unsigned y = 0; y < height; y++) {
                const uint32_t *row = (const uint32_t *)((const uint8_t *)mapped.pData + (size_t)y * mapped.RowPitch);
                for (unsigned x = 0; x < width; x++) {
                    uint32_t delta = row[x] - texel_pattern(x, y);
                    bad += delta < lo || delta > hi;
                }
            }
            context->Unmap(staging_tex, 0);
            CHECK_HR(context->Map(staging_buf, 0, D3D11_MAP_READ, 0, &mapped));
            for (size_t i = 0; i < words; i++) {
                uint32_t delta = ((const uint32_t *)mapped.pData)[i] - word_pattern(i);
                bad += delta < lo || delta > hi;
            }
            context->Unmap(staging_buf, 0);
            staging_tex->Release();
            staging_buf->Release();
            printf("checked %lu\n", bad);
            fflush(stdout);
        } else if (!strncmp(line, "exit", 4)) {
            break;
        }
    }
    CloseHandle(tex_handle);
    tex_dxgi->Release();
    buf_dxgi->Release();
    texture->Release();
    buffer->Release();
    context->Release();
    device->Release();
    free(texels);
    free(data);
    printf("bye\n");
    fflush(stdout);
    return 0;
}

/* ---- consumer ---------------------------------------------------------------- */

struct imported {
    cudaExternalMemory_t tex_mem, buf_mem;
    cudaMipmappedArray_t mipmap;
    cudaArray_t level0;
    cudaSurfaceObject_t surface;
    uint32_t *words;
};

static void import_both(struct imported *im, const WCHAR *name, HANDLE kmt, unsigned width, unsigned height,
                        size_t bytes)
{
    memset(im, 0, sizeof(*im));
    im->tex_mem = import_by_name(name, (unsigned long long)width * height * 4);
    im->buf_mem = import_by_kmt_handle(kmt, bytes);
    if (!im->tex_mem || !im->buf_mem)
        DIE("import failed");

    cudaExternalMemoryMipmappedArrayDesc array_desc = {};
    array_desc.formatDesc = cudaCreateChannelDesc<uint32_t>();
    array_desc.extent = make_cudaExtent(width, height, 0);
    array_desc.flags = cudaArraySurfaceLoadStore;
    array_desc.numLevels = 1;
    CHECK_CUDA(cudaExternalMemoryGetMappedMipmappedArray(&im->mipmap, im->tex_mem, &array_desc));
    CHECK_CUDA(cudaGetMipmappedArrayLevel(&im->level0, im->mipmap, 0));
    cudaResourceDesc surface_desc = {};
    surface_desc.resType = cudaResourceTypeArray;
    surface_desc.res.array.array = im->level0;
    CHECK_CUDA(cudaCreateSurfaceObject(&im->surface, &surface_desc));

    cudaExternalMemoryBufferDesc map_desc = {};
    map_desc.size = bytes;
    void *words = NULL;
    CHECK_CUDA(cudaExternalMemoryGetMappedBuffer(&words, im->buf_mem, &map_desc));
    im->words = (uint32_t *)words;
}

static void release_both(struct imported *im)
{
    CHECK_CUDA(cudaDestroySurfaceObject(im->surface));
    CHECK_CUDA(cudaFreeMipmappedArray(im->mipmap));
    CHECK_CUDA(cudaFree(im->words));
    CHECK_CUDA(cudaDestroyExternalMemory(im->tex_mem));
    CHECK_CUDA(cudaDestroyExternalMemory(im->buf_mem));
}

/* The consumer's D3D11 side on the resources it opened through the broker:
 * STAGING readback (initial data + loops), then UpdateSubresource of
 * initial data + loops + 1. Returns the mismatches. */
static unsigned long consumer_d3d11(const WCHAR *name, HANDLE kmt, unsigned width, unsigned height, size_t bytes,
                                    unsigned loops, uint32_t *host_words, uint32_t *host_texels)
{
    ID3D11Device *device = NULL;
    ID3D11Device1 *device1 = NULL;
    ID3D11DeviceContext *context = NULL;
    ID3D11Texture2D *texture = NULL, *staging_tex = NULL;
    ID3D11Buffer *buffer = NULL, *staging_buf = NULL;
    D3D11_TEXTURE2D_DESC tex_desc;
    D3D11_BUFFER_DESC buf_desc;
    D3D11_MAPPED_SUBRESOURCE mapped = {};
    size_t words = bytes / 4;
    unsigned long bad = 0;

    CHECK_HR(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                               &context));
    CHECK_HR(device->QueryInterface(IID_ID3D11Device1, (void **)&device1));
    CHECK_HR(device1->OpenSharedResourceByName(name, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE,
                                               IID_ID3D11Texture2D, (void **)&texture));
    CHECK_HR(device->OpenSharedResource(kmt, IID_ID3D11Buffer, (void **)&buffer));
    texture->GetDesc(&tex_desc);
    buffer->GetDesc(&buf_desc);
    if (tex_desc.Width != width || tex_desc.Height != height || tex_desc.Format != DXGI_FORMAT_R32_UINT ||
        buf_desc.ByteWidth != bytes)
        DIE("the opened resources describe themselves as %ux%u format %u and %u bytes", tex_desc.Width,
            tex_desc.Height, (unsigned)tex_desc.Format, buf_desc.ByteWidth);
    tex_desc.Usage = D3D11_USAGE_STAGING;
    tex_desc.BindFlags = 0;
    tex_desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    tex_desc.MiscFlags = 0;
    buf_desc.Usage = D3D11_USAGE_STAGING;
    buf_desc.BindFlags = 0;
    buf_desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    buf_desc.MiscFlags = 0;
    CHECK_HR(device->CreateTexture2D(&tex_desc, NULL, &staging_tex));
    CHECK_HR(device->CreateBuffer(&buf_desc, NULL, &staging_buf));
    context->CopyResource(staging_tex, texture);
    context->CopyResource(staging_buf, buffer);
    CHECK_HR(context->Map(staging_tex, 0, D3D11_MAP_READ, 0, &mapped));
    for (unsigned y = 0; y < height; y++) {
        const uint32_t *row = (const uint32_t *)((const uint8_t *)mapped.pData + (size_t)y * mapped.RowPitch);
        for (unsigned x = 0; x < width; x++)
            bad += row[x] != texel_pattern(x, y) + loops;
    }
    context->Unmap(staging_tex, 0);
    CHECK_HR(context->Map(staging_buf, 0, D3D11_MAP_READ, 0, &mapped));
    for (size_t i = 0; i < words; i++)
        bad += ((const uint32_t *)mapped.pData)[i] != word_pattern(i) + loops;
    context->Unmap(staging_buf, 0);

    for (unsigned y = 0; y < height; y++)
        for (unsigned x = 0; x < width; x++)
            host_texels[(size_t)y * width + x] = texel_pattern(x, y) + loops + 1;
    for (size_t i = 0; i < words; i++)
        host_words[i] = word_pattern(i) + loops + 1;
    context->UpdateSubresource(texture, 0, NULL, host_texels, width * 4, 0);
    context->UpdateSubresource(buffer, 0, NULL, host_words, 0, 0);

    staging_tex->Release();
    staging_buf->Release();
    texture->Release();
    buffer->Release();
    device1->Release();
    context->Release();
    device->Release();
    return bad;
}

static int consumer(const WCHAR *name, HANDLE kmt, unsigned width, unsigned height, size_t bytes, unsigned loops,
                    int mode)
{
    int reimport = mode & 1;
    size_t words = bytes / 4, texels = (size_t)width * height;
    uint32_t *host_words = (uint32_t *)malloc(bytes), *host_texels = (uint32_t *)malloc(texels * 4);
    struct imported held, again;

    if (!host_words || !host_texels)
        DIE("out of memory");
    CHECK_CUDA(cudaSetDevice(0)); /* device 0's primary context, which extmem uses too */
    import_both(&held, name, kmt, width, height, bytes);
    printf("mapped\n");
    fflush(stdout);
    for (unsigned loop = 0; loop < loops; loop++) {
        unsigned long bad = 0;

        if (reimport)
            import_both(&again, name, kmt, width, height, bytes);
        add_to_texture<<<dim3((width + 15) / 16, (height + 15) / 16), dim3(16, 16)>>>(held.surface, width, height);
        add_to_buffer<<<264, 512>>>(held.words, words);
        CHECK_CUDA(cudaGetLastError());
        CHECK_CUDA(cudaDeviceSynchronize());
        /* What the kernels wrote, read back through the second import when
         * there is one (the same memory), else through the held one. */
        CHECK_CUDA(cudaMemcpy2DFromArray(host_texels, width * 4, reimport ? again.level0 : held.level0, 0, 0,
                                         width * 4, height, cudaMemcpyDeviceToHost));
        CHECK_CUDA(cudaMemcpy(host_words, reimport ? again.words : held.words, bytes, cudaMemcpyDeviceToHost));
        for (unsigned y = 0; y < height; y++)
            for (unsigned x = 0; x < width; x++)
                bad += host_texels[(size_t)y * width + x] != texel_pattern(x, y) + loop + 1;
        for (size_t i = 0; i < words; i++)
            bad += host_words[i] != word_pattern(i) + loop + 1;
        if (reimport)
            release_both(&again);
        printf("loop %u %lu\n", loop, bad);
        fflush(stdout);
        if (bad)
            return 1;
    }
    if (mode & 2) {
        unsigned long bad = consumer_d3d11(name, kmt, width, height, bytes, loops, host_words, host_texels);

        printf("d3d %lu\n", bad);
        fflush(stdout);
        if (bad)
            return 1;
    }
    release_both(&held);
    free(host_words);
    free(host_texels);
    printf("done\n");
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    WCHAR name[128];

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 6 && !strcmp(argv[1], "producer")) {
        to_wide(argv[2], name, sizeof(name) / sizeof(name[0]));
        return producer(name, (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]), (size_t)strtoull(argv[5], NULL, 0));
    }
    if (argc == 9 && !strcmp(argv[1], "consumer")) {
        to_wide(argv[2], name, sizeof(name) / sizeof(name[0]));
        return consumer(name, (HANDLE)(uintptr_t)strtoul(argv[3], NULL, 0), (unsigned)atoi(argv[4]),
                        (unsigned)atoi(argv[5]), (size_t)strtoull(argv[6], NULL, 0), (unsigned)atoi(argv[7]),
                        atoi(argv[8]));
    }
    fprintf(stderr, "usage: ipc_gpu_worker producer NAME WIDTH HEIGHT BYTES\n"
                    "       ipc_gpu_worker consumer NAME KMT WIDTH HEIGHT BYTES LOOPS MODE\n");
    return 2;
}
