/*
 * In-process import + map: extmem's D3D11Resource import against the raw
 * CUDA driver on the same kind of memory, in one run.
 *
 *   extmem  extmemImportExternalMemory (NT handle, dedicated)
 *           + extmemExternalMemoryGetMappedBuffer of the whole allocation
 *   raw     dup(fd) + cuImportExternalMemory (OPAQUE_FD, dedicated)
 *           + cuExternalMemoryGetMappedBuffer, on a VMM allocation of the
 *           same size made with cuMemCreate(POSIX fd) by the benchmark
 *
 * Sizes: 2 MiB, 64 MiB and 1 GiB buffers, and a 16 GiB texture array
 * (ByteWidth is 32-bit: no buffer is that large). The two are timed
 * alternately, iteration by iteration, so drift hits both alike; freeing
 * and destroying are outside the timed region on both sides. Prints p50 and
 * p99 of each and the ratio of the p50s (goal: <= 1.10).
 *
 * Exits 77 where the cuda backend cannot run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#include "bench_stats.h"

#ifdef EXTMEM_HAVE_CUDA_BACKEND
#include <unistd.h>

#include "backend/cuda_driver.h"

static const struct xm_cuda_driver *drv;

#define DIE(...) do { fprintf(stderr, "bench_import: " __VA_ARGS__); fprintf(stderr, "\n"); exit(1); } while (0)
#define CU(call) do { CUresult r_ = (call); if (r_ != CUDA_SUCCESS) DIE("%s: %s", #call, xm_cuda_result_name(r_)); } while (0)

/* The producer's resource for a size: a buffer, or a texture array. */
static ID3D11Resource *create_resource(ID3D11Device *device, unsigned long long size)
{
    HRESULT hr;

    if (size <= (1ull << 31)) {
        D3D11_BUFFER_DESC desc = {0};
        ID3D11Buffer *buffer = NULL;

        desc.ByteWidth = (UINT)size;
        desc.Usage = D3D11_USAGE_DEFAULT;
        desc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
        desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE;
        hr = ID3D11Device_CreateBuffer(device, &desc, NULL, &buffer);
        if (FAILED(hr))
            DIE("CreateBuffer(%llu): 0x%08x %s", size, (unsigned)hr, extmemGetLastErrorMessage());
        return (ID3D11Resource *)buffer;
    } else {
        /* 16384 x 16384 RGBA32F is 4 GiB a slice. */
        D3D11_TEXTURE2D_DESC desc = {0};
        ID3D11Texture2D *texture = NULL;

        desc.Width = 16384;
        desc.Height = 16384;
        desc.MipLevels = 1;
        desc.ArraySize = (UINT)(size >> 32);
        desc.Format = DXGI_FORMAT_R32G32B32A32_FLOAT;
        desc.SampleDesc.Count = 1;
        desc.Usage = D3D11_USAGE_DEFAULT;
        desc.BindFlags = D3D11_BIND_SHADER_RESOURCE;
        desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE;
        hr = ID3D11Device_CreateTexture2D(device, &desc, NULL, &texture);
        if (FAILED(hr))
            DIE("CreateTexture2D(%llu): 0x%08x %s", size, (unsigned)hr, extmemGetLastErrorMessage());
        return (ID3D11Resource *)texture;
    }
}

static void bench_size(ID3D11Device *device, unsigned long long size, int iterations)
{
    ID3D11Resource *resource = create_resource(device, size);
    IDXGIResource1 *dxgi = NULL;
    HANDLE handle = NULL;
    UINT64 allocation = 0;
    CUmemAllocationProp prop = {0};
    CUmemGenericAllocationHandle raw_handle;
    double *ours = calloc(iterations, sizeof(double)), *raw = calloc(iterations, sizeof(double));
    double ours50, ours99, raw50, raw99;
    int raw_fd = -1;

    if (FAILED(IUnknown_QueryInterface((IUnknown *)resource, &IID_IDXGIResource1, (void **)&dxgi)) ||
        FAILED(IDXGIResource1_CreateSharedHandle(dxgi, NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE,
                                                 NULL, &handle)))
        DIE("CreateSharedHandle: %s", extmemGetLastErrorMessage());
    extmemGetResourceAllocationSize(resource, &allocation);

    /* The raw side: the same kind of allocation, the same size. */
    prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = drv->device;
    prop.requestedHandleTypes = CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR;
    CU(drv->cuMemCreate(&raw_handle, allocation, &prop, 0));
    CU(drv->cuMemExportToShareableHandle(&raw_fd, raw_handle, CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, 0));

    for (int i = -3; i < iterations; i++) { /* three warm-up rounds */
        cudaExternalMemoryHandleDesc desc;
        cudaExternalMemoryBufferDesc map = {0};
        CUDA_EXTERNAL_MEMORY_HANDLE_DESC raw_desc = {0};
        CUDA_EXTERNAL_MEMORY_BUFFER_DESC raw_map = {0};
        cudaExternalMemory_t ext = NULL;
        CUexternalMemory raw_ext = NULL;
        CUdeviceptr raw_ptr = 0;
        void *ptr = NULL;
        double t0, t1, t2, t3;

        memset(&desc, 0, sizeof(desc));
        desc.type = cudaExternalMemoryHandleTypeD3D11Resource;
        desc.handle.win32.handle = handle;
        desc.size = allocation;
        desc.flags = cudaExternalMemoryDedicated;
        map.size = allocation;
        t0 = now_us();
        if (cudaImportExternalMemory(&ext, &desc) != cudaSuccess ||
            cudaExternalMemoryGetMappedBuffer(&ptr, ext, &map) != cudaSuccess)
            DIE("extmem import + map of %llu bytes: %s", (unsigned long long)allocation, extmemGetLastErrorMessage());
        t1 = now_us();
        cudaFree(ptr);
        cudaDestroyExternalMemory(ext);

        raw_desc.type = CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD;
        raw_desc.size = allocation;
        raw_desc.flags = CUDA_EXTERNAL_MEMORY_DEDICATED;
        raw_map.size = allocation;
        t2 = now_us();
        raw_desc.handle.fd = dup(raw_fd);
        CU(drv->cuImportExternalMemory(&raw_ext, &raw_desc));
        CU(drv->cuExternalMemoryGetMappedBuffer(&raw_ptr, raw_ext, &raw_map));
        t3 = now_us();
        CU(drv->cuMemFree(raw_ptr));
        CU(drv->cuDestroyExternalMemory(raw_ext));
        if (i >= 0) {
            ours[i] = t1 - t0;
            raw[i] = t3 - t2;
        }
    }
    ours50 = percentile(ours, iterations, 0.50);
    ours99 = percentile(ours, iterations, 0.99);
    raw50 = percentile(raw, iterations, 0.50);
    raw99 = percentile(raw, iterations, 0.99);
    printf("import+map %8.0f MiB (alloc %8.0f MiB) x%-4d extmem p50 %8.1f us p99 %8.1f us | raw p50 %8.1f us "
           "p99 %8.1f us | ratio p50 %.3f p99 %.3f %s\n",
           size / 1048576.0, allocation / 1048576.0, iterations, ours50, ours99, raw50, raw99, ours50 / raw50,
           ours99 / raw99, ours50 / raw50 <= 1.10 ? "(goal <= 1.10 met)" : "(goal <= 1.10 MISSED)");
    fflush(stdout);
    close(raw_fd);
    CU(drv->cuMemRelease(raw_handle));
    CloseHandle(handle);
    IDXGIResource1_Release(dxgi);
    ID3D11Resource_Release(resource);
    free(ours);
    free(raw);
}

int main(int argc, char **argv)
{
    static const unsigned long long sizes[] = {2ull << 20, 64ull << 20, 1ull << 30, 16ull << 30};
    static const int iterations[] = {400, 200, 100, 30};
    ID3D11Device *device = NULL;
    char why[256];
    int scale = argc > 1 ? atoi(argv[1]) : 1;

    setenv("EXTMEM_BACKEND", "cuda", 1);
    if (!extmemGetBackendName()) {
        printf("skipped: %s\n", extmemGetLastErrorMessage());
        return 77;
    }
    drv = xm_cuda_driver_get(why, sizeof(why));
    if (!drv)
        DIE("%s", why);
    if (FAILED(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                                 NULL)))
        DIE("D3D11CreateDevice: %s", extmemGetLastErrorMessage());
    printf("bench_import on %s\n", drv->device_name);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        bench_size(device, sizes[i], iterations[i] * (scale > 0 ? scale : 1));
    ID3D11Device_Release(device);
    return 0;
}

#else

int main(void)
{
    printf("skipped: this build has no cuda backend (cuda.h was not found at configure time)\n");
    return 77;
}

#endif
