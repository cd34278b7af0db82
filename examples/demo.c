/*
 * extmem's demo: a D3D11 producer shares a mipmapped texture and a buffer
 * three ways (NT handle, named NT handle, KMT handle), CUDA-style code
 * imports each the way CUDA's programming guide does, maps it, and the
 * data is checked in both directions:
 *   D3D11 UpdateSubresource  ->  CUDA mipmapped array / mapped buffer
 *   CUDA copies into the mapping  ->  D3D11 CopyResource to STAGING + Map
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#define TEX_W 256
#define TEX_H 128
#define TEX_LEVELS 3
#define BUF_WORDS (256 * 1024)
#define RW (DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)

static int checks, failures;

static void report(int ok, const char *fmt, const char *path)
{
    checks++;
    printf("  [%s] ", ok ? " ok " : "FAIL");
    printf(fmt, path);
    printf("\n");
    if (!ok) {
        failures++;
        printf("         %s\n", extmemGetLastErrorMessage());
    }
}

static uint32_t texel(uint32_t level, uint32_t x, uint32_t y, uint32_t salt)
{
    return (level << 28) ^ (y << 14) ^ x ^ salt;
}

static uint32_t word(uint32_t i, uint32_t salt)
{
    return i * 2654435761u ^ salt;
}

/* The seed's shape, parameterised by type. */
static cudaExternalMemory_t import(enum cudaExternalMemoryHandleType type, HANDLE handle, LPCWSTR name,
                                   unsigned long long size)
{
    cudaExternalMemory_t ext_mem = NULL;
    cudaExternalMemoryHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = type;
    desc.handle.win32.handle = (void *)handle;
    desc.handle.win32.name = (const void *)name;
    desc.size = size;
    desc.flags |= cudaExternalMemoryDedicated;
    cudaImportExternalMemory(&ext_mem, &desc);
    return ext_mem;
}

/* Every level of the imported texture holds texel(level, x, y, salt). */
static int texture_import_reads(cudaExternalMemory_t ext_mem, uint32_t salt)
{
    cudaExternalMemoryMipmappedArrayDesc desc;
    cudaMipmappedArray_t mipmap = NULL;
    static uint32_t row[TEX_W * TEX_H];
    int ok = ext_mem != NULL;

    memset(&desc, 0, sizeof(desc));
    desc.formatDesc = cudaCreateChannelDesc(8, 8, 8, 8, cudaChannelFormatKindUnsigned);
    desc.extent = make_cudaExtent(TEX_W, TEX_H, 0);
    desc.numLevels = TEX_LEVELS;
    ok = ok && cudaExternalMemoryGetMappedMipmappedArray(&mipmap, ext_mem, &desc) == cudaSuccess;
    for (uint32_t level = 0; ok && level < TEX_LEVELS; level++) {
        uint32_t w = TEX_W >> level, h = TEX_H >> level;
        cudaArray_t array = NULL;

        ok = cudaGetMipmappedArrayLevel(&array, mipmap, level) == cudaSuccess &&
             cudaMemcpy2DFromArray(row, w * 4, array, 0, 0, w * 4, h, cudaMemcpyDeviceToHost) == cudaSuccess;
        for (uint32_t y = 0; ok && y < h; y++)
            for (uint32_t x = 0; ok && x < w; x++)
                ok = row[y * w + x] == texel(level, x, y, salt);
    }
    if (mipmap)
        cudaFreeMipmappedArray(mipmap);
    return ok;
}

static int buffer_import_reads(cudaExternalMemory_t ext_mem, uint32_t salt)
{
    cudaExternalMemoryBufferDesc desc;
    uint32_t *host = malloc(BUF_WORDS * 4);
    void *ptr = NULL;
    int ok = ext_mem != NULL && host;

    memset(&desc, 0, sizeof(desc));
    desc.size = BUF_WORDS * 4;
    ok = ok && cudaExternalMemoryGetMappedBuffer(&ptr, ext_mem, &desc) == cudaSuccess &&
         cudaMemcpy(host, ptr, BUF_WORDS * 4, cudaMemcpyDeviceToHost) == cudaSuccess;
    for (uint32_t i = 0; ok && i < BUF_WORDS; i++)
        ok = host[i] == word(i, salt);
    cudaFree(ptr);
    free(host);
    return ok;
}

/* CUDA writes level 0 of the texture and the whole buffer with `salt`. */
static int cuda_writes(cudaExternalMemory_t texture, cudaExternalMemory_t buffer, uint32_t salt)
{
    cudaExternalMemoryMipmappedArrayDesc tdesc;
    cudaExternalMemoryBufferDesc bdesc;
    cudaMipmappedArray_t mipmap = NULL;
    cudaArray_t level0 = NULL;
    static uint32_t pixels[TEX_W * TEX_H];
    uint32_t *words = malloc(BUF_WORDS * 4);
    void *ptr = NULL;
    int ok = words != NULL;

    for (uint32_t y = 0; y < TEX_H; y++)
        for (uint32_t x = 0; x < TEX_W; x++)
            pixels[y * TEX_W + x] = texel(0, x, y, salt);
    for (uint32_t i = 0; words && i < BUF_WORDS; i++)
        words[i] = word(i, salt);
    memset(&tdesc, 0, sizeof(tdesc));
    tdesc.formatDesc = cudaCreateChannelDesc(8, 8, 8, 8, cudaChannelFormatKindUnsigned);
    tdesc.extent = make_cudaExtent(TEX_W, TEX_H, 0);
    tdesc.numLevels = 1;
    memset(&bdesc, 0, sizeof(bdesc));
    bdesc.size = BUF_WORDS * 4;
    ok = ok && cudaExternalMemoryGetMappedMipmappedArray(&mipmap, texture, &tdesc) == cudaSuccess &&
         cudaGetMipmappedArrayLevel(&level0, mipmap, 0) == cudaSuccess &&
         cudaMemcpy2DToArray(level0, 0, 0, pixels, TEX_W * 4, TEX_W * 4, TEX_H, cudaMemcpyHostToDevice) ==
             cudaSuccess &&
         cudaExternalMemoryGetMappedBuffer(&ptr, buffer, &bdesc) == cudaSuccess &&
         cudaMemcpy(ptr, words, BUF_WORDS * 4, cudaMemcpyHostToDevice) == cudaSuccess &&
         cudaDeviceSynchronize() == cudaSuccess;
    cudaFreeMipmappedArray(mipmap);
    cudaFree(ptr);
    free(words);
    return ok;
}

/* D3D11 reads level 0 of the texture and the buffer through STAGING copies. */
static int d3d11_reads(ID3D11Device *device, ID3D11DeviceContext *context, ID3D11Texture2D *texture,
                       ID3D11Buffer *buffer, uint32_t salt)
{
    D3D11_TEXTURE2D_DESC tdesc;
    D3D11_BUFFER_DESC bdesc;
    ID3D11Texture2D *tex_staging = NULL;
    ID3D11Buffer *buf_staging = NULL;
    D3D11_MAPPED_SUBRESOURCE map;
    int ok;

    ID3D11Texture2D_GetDesc(texture, &tdesc);
    tdesc.Usage = D3D11_USAGE_STAGING;
    tdesc.BindFlags = 0;
    tdesc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    tdesc.MiscFlags = 0;
    ID3D11Buffer_GetDesc(buffer, &bdesc);
    bdesc.Usage = D3D11_USAGE_STAGING;
    bdesc.BindFlags = 0;
    bdesc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    bdesc.MiscFlags = 0;
    ok = SUCCEEDED(ID3D11Device_CreateTexture2D(device, &tdesc, NULL, &tex_staging)) &&
         SUCCEEDED(ID3D11Device_CreateBuffer(device, &bdesc, NULL, &buf_staging));
    if (ok) {
        ID3D11DeviceContext_CopyResource(context, (ID3D11Resource *)tex_staging, (ID3D11Resource *)texture);
        ID3D11DeviceContext_CopyResource(context, (ID3D11Resource *)buf_staging, (ID3D11Resource *)buffer);
        ok = SUCCEEDED(ID3D11DeviceContext_Map(context, (ID3D11Resource *)tex_staging, 0, D3D11_MAP_READ, 0, &map));
        for (uint32_t y = 0; ok && y < TEX_H; y++)
            for (uint32_t x = 0; ok && x < TEX_W; x++)
                ok = ((const uint32_t *)((const uint8_t *)map.pData + y * map.RowPitch))[x] == texel(0, x, y, salt);
        ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)tex_staging, 0);
    }
    if (ok) {
        ok = SUCCEEDED(ID3D11DeviceContext_Map(context, (ID3D11Resource *)buf_staging, 0, D3D11_MAP_READ, 0, &map));
        for (uint32_t i = 0; ok && i < BUF_WORDS; i++)
            ok = ((const uint32_t *)map.pData)[i] == word(i, salt);
        ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)buf_staging, 0);
    }
    if (tex_staging)
        ID3D11Texture2D_Release(tex_staging);
    if (buf_staging)
        ID3D11Buffer_Release(buf_staging);
    return ok;
}

static HRESULT create_pair(ID3D11Device *device, UINT misc, uint32_t salt, ID3D11Texture2D **texture,
                           ID3D11Buffer **buffer)
{
    D3D11_TEXTURE2D_DESC tdesc = {TEX_W, TEX_H, TEX_LEVELS, 1, DXGI_FORMAT_R8G8B8A8_UNORM, {1, 0},
                                  D3D11_USAGE_DEFAULT, D3D11_BIND_SHADER_RESOURCE, 0, misc};
    D3D11_BUFFER_DESC bdesc = {BUF_WORDS * 4, D3D11_USAGE_DEFAULT, D3D11_BIND_UNORDERED_ACCESS, 0, misc, 0};
    D3D11_SUBRESOURCE_DATA levels[TEX_LEVELS], words;
    uint32_t *data = malloc(BUF_WORDS * 4 * 2);
    HRESULT hr;

    if (!data)
        return E_OUTOFMEMORY;
    /* Level l at data + l * TEX_W * TEX_H words: enough room for all three. */
    for (uint32_t level = 0; level < TEX_LEVELS; level++) {
        uint32_t w = TEX_W >> level, h = TEX_H >> level, *base = data + level * TEX_W * TEX_H;

        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++)
                base[y * w + x] = texel(level, x, y, salt);
        levels[level] = (D3D11_SUBRESOURCE_DATA){base, w * 4, 0};
    }
    hr = ID3D11Device_CreateTexture2D(device, &tdesc, levels, texture);
    for (uint32_t i = 0; i < BUF_WORDS; i++)
        data[i] = word(i, salt);
    words = (D3D11_SUBRESOURCE_DATA){data, 0, 0};
    if (SUCCEEDED(hr))
        hr = ID3D11Device_CreateBuffer(device, &bdesc, &words, buffer);
    free(data);
    return hr;
}

int main(void)
{
    ID3D11Device *device = NULL;
    ID3D11DeviceContext *context = NULL;
    ID3D11Texture2D *nt_texture = NULL, *kmt_texture = NULL;
    ID3D11Buffer *nt_buffer = NULL, *kmt_buffer = NULL;
    IDXGIResource1 *dxgi1;
    IDXGIResource *dxgi;
    HANDLE tex_handle = NULL, buf_handle = NULL, tex_kmt = NULL, buf_kmt = NULL, dup;
    cudaExternalMemory_t tex_import[3], buf_import[3], dead;
    const char *paths[3] = {"NT handle", "named NT handle", "KMT handle"};
    UINT64 tex_size = 0;

    if (FAILED(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                                 &context))) {
        printf("extmem demo: D3D11CreateDevice failed: %s\n", extmemGetLastErrorMessage());
        return 1;
    }
    printf("extmem demo, backend \"%s\"\n", extmemGetBackendName());
    printf("producer: %ux%u RGBA8 texture with %u mip levels and a %u KiB buffer, each shared\n"
           "          with an NT handle (named) and, as a twin, with a KMT handle\n",
           TEX_W, TEX_H, TEX_LEVELS, BUF_WORDS * 4 / 1024);
    report(SUCCEEDED(create_pair(device, D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE, 1,
                                 &nt_texture, &nt_buffer)), "create the %s resources with initial data", "NT");
    report(SUCCEEDED(create_pair(device, D3D11_RESOURCE_MISC_SHARED, 1, &kmt_texture, &kmt_buffer)),
           "create the %s twins with the same data", "KMT");
    if (failures)
        return 1;

    ID3D11Texture2D_QueryInterface(nt_texture, &IID_IDXGIResource1, (void **)&dxgi1);
    IDXGIResource1_CreateSharedHandle(dxgi1, NULL, RW, L"Local\\extmem-demo-texture", &tex_handle);
    IDXGIResource1_Release(dxgi1);
    ID3D11Buffer_QueryInterface(nt_buffer, &IID_IDXGIResource1, (void **)&dxgi1);
    IDXGIResource1_CreateSharedHandle(dxgi1, NULL, RW, L"Local\\extmem-demo-buffer", &buf_handle);
    IDXGIResource1_Release(dxgi1);
    ID3D11Texture2D_QueryInterface(kmt_texture, &IID_IDXGIResource, (void **)&dxgi);
    IDXGIResource_GetSharedHandle(dxgi, &tex_kmt);
    IDXGIResource_Release(dxgi);
    ID3D11Buffer_QueryInterface(kmt_buffer, &IID_IDXGIResource, (void **)&dxgi);
    IDXGIResource_GetSharedHandle(dxgi, &buf_kmt);
    IDXGIResource_Release(dxgi);
    report(tex_handle && buf_handle && tex_kmt && buf_kmt, "export: CreateSharedHandle x2 (named), %s x2",
           "GetSharedHandle");
    extmemGetResourcePackedSize((ID3D11Resource *)nt_texture, &tex_size);

    /* Path 1: a duplicate of the NT handle, closed right after import as the seed does. */
    DuplicateHandle(GetCurrentProcess(), tex_handle, GetCurrentProcess(), &dup, 0, FALSE, DUPLICATE_SAME_ACCESS);
    tex_import[0] = import(cudaExternalMemoryHandleTypeD3D11Resource, dup, NULL, tex_size);
    CloseHandle(dup);
    DuplicateHandle(GetCurrentProcess(), buf_handle, GetCurrentProcess(), &dup, 0, FALSE, DUPLICATE_SAME_ACCESS);
    buf_import[0] = import(cudaExternalMemoryHandleTypeD3D11Resource, dup, NULL, BUF_WORDS * 4);
    CloseHandle(dup);
    /* Path 2: by name. Path 3: by KMT handle. */
    tex_import[1] = import(cudaExternalMemoryHandleTypeD3D11Resource, NULL, L"Local\\extmem-demo-texture", tex_size);
    buf_import[1] = import(cudaExternalMemoryHandleTypeD3D11Resource, NULL, L"Local\\extmem-demo-buffer",
                           BUF_WORDS * 4);
    tex_import[2] = import(cudaExternalMemoryHandleTypeD3D11ResourceKmt, tex_kmt, NULL, tex_size);
    buf_import[2] = import(cudaExternalMemoryHandleTypeD3D11ResourceKmt, buf_kmt, NULL, BUF_WORDS * 4);
    for (int p = 0; p < 3; p++)
        report(tex_import[p] && buf_import[p], "cudaImportExternalMemory by %s (texture and buffer)", paths[p]);

    printf("D3D11 -> CUDA\n");
    for (int p = 0; p < 3; p++) {
        report(texture_import_reads(tex_import[p], 1), "mipmapped array via %s: 3 levels, every texel", paths[p]);
        report(buffer_import_reads(buf_import[p], 1), "mapped buffer via %s: every word", paths[p]);
    }

    printf("CUDA -> D3D11\n");
    for (int p = 0; p < 3; p++) {
        uint32_t salt = 100 + (uint32_t)p;
        int wrote = cuda_writes(tex_import[p], buf_import[p], salt);
        int read = d3d11_reads(device, context, p < 2 ? nt_texture : kmt_texture, p < 2 ? nt_buffer : kmt_buffer,
                               salt);
        report(wrote && read, "CUDA writes via %s, D3D11 STAGING copy + Map reads them", paths[p]);
    }

    printf("lifetimes\n");
    ID3D11Texture2D_Release(kmt_texture);
    ID3D11Buffer_Release(kmt_buffer);
    report(buffer_import_reads(buf_import[2], 102), "KMT imports keep the memory after the %s go",
           "COM references");
    for (int p = 0; p < 3; p++) {
        cudaDestroyExternalMemory(tex_import[p]);
        cudaDestroyExternalMemory(buf_import[p]);
    }
    dead = import(cudaExternalMemoryHandleTypeD3D11ResourceKmt, tex_kmt, NULL, tex_size);
    report(dead == NULL, "the KMT handle died with the last reference (%s)", cudaGetErrorName(cudaGetLastError()));
    report(!CloseHandle(tex_kmt), "CloseHandle on a KMT handle fails (%s)", "ERROR_INVALID_HANDLE");
    report(CloseHandle(tex_handle) && CloseHandle(buf_handle), "%s the named NT handles", "CloseHandle");
    dead = import(cudaExternalMemoryHandleTypeD3D11Resource, NULL, L"Local\\extmem-demo-texture", tex_size);
    report(dead == NULL, "the name died with its last handle (%s)", cudaGetErrorName(cudaGetLastError()));

    ID3D11Texture2D_Release(nt_texture);
    ID3D11Buffer_Release(nt_buffer);
    ID3D11DeviceContext_Release(context);
    ID3D11Device_Release(device);
    printf("%d checks, %d failed: %s\n", checks, failures, failures ? "FAILED" : "everything verified");
    return failures ? 1 : 0;
}
