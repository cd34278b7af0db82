/*
 * Kernel copy bandwidth through mapped imported buffers against cudaMalloc
 * buffers, in one run.
 *
 * Two 1 GiB D3D11 buffers, shareable, imported by NT handle and mapped
 * (extmem's cuda backend: VMM memory mapped through
 * cuExternalMemoryGetMappedBuffer), and two cudaMalloc buffers of the same
 * size. One copy kernel (16-byte loads and stores, grid-stride) runs on
 * each pair, alternately, timed with CUDA events; bandwidth counts bytes
 * read plus bytes written. Prints the median of each and the ratio
 * (goal: >= 0.97).
 *
 * Exits 77 where there is no GPU or the cuda backend cannot run.
 */
#include <cuda_runtime.h>

#include <algorithm>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#define CHECK(call)                                                                               \
    do {                                                                                          \
        cudaError_t e_ = (call);                                                                  \
        if (e_ != cudaSuccess) {                                                                  \
            fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call, cudaGetErrorName(e_), \
                    extmemGetLastErrorMessage());                                                 \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

__global__ void copy_kernel(uint4 *__restrict__ dst, const uint4 *__restrict__ src, size_t count)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count; i += (size_t)gridDim.x * blockDim.x)
        dst[i] = src[i];
}

static void *import_buffer(ID3D11Device *device, size_t size, cudaExternalMemory_t *ext)
{
    D3D11_BUFFER_DESC desc = {};
    ID3D11Buffer *buffer = NULL;
    IDXGIResource1 *dxgi = NULL;
    HANDLE handle = NULL;
    void *ptr = NULL;

    desc.ByteWidth = (UINT)size;
    desc.Usage = D3D11_USAGE_DEFAULT;
    desc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
    desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE;
    if (FAILED(device->CreateBuffer(&desc, NULL, &buffer)) ||
        FAILED(buffer->QueryInterface(IID_IDXGIResource1, (void **)&dxgi)) ||
        FAILED(dxgi->CreateSharedHandle(NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE, NULL, &handle))) {
        fprintf(stderr, "producer: %s\n", extmemGetLastErrorMessage());
        exit(1);
    }
    cudaExternalMemoryHandleDesc import_desc = {};
    import_desc.type = cudaExternalMemoryHandleTypeD3D11Resource;
    import_desc.handle.win32.handle = handle;
    import_desc.size = size;
    import_desc.flags = cudaExternalMemoryDedicated;
    CHECK(cudaImportExternalMemory(ext, &import_desc));
    CloseHandle(handle);
    dxgi->Release();
    buffer->Release(); /* the import holds the resource */
    cudaExternalMemoryBufferDesc map = {};
    map.size = size;
    CHECK(cudaExternalMemoryGetMappedBuffer(&ptr, *ext, &map));
    return ptr;
}

static float time_copy(void *dst, const void *src, size_t size, int blocks, cudaEvent_t start, cudaEvent_t stop)
{
    float ms = 0;

    CHECK(cudaEventRecord(start));
    copy_kernel<<<blocks, 512>>>((uint4 *)dst, (const uint4 *)src, size / sizeof(uint4));
    CHECK(cudaEventRecord(stop));
    CHECK(cudaEventSynchronize(stop));
    CHECK(cudaEventElapsedTime(&ms, start, stop));
    return ms;
}

int main(int argc, char **argv)
{
    const size_t size = 1ull << 30;
    int reps = argc > 1 ? atoi(argv[1]) : 50, devices = 0, sms = 0;

    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        printf("skipped: no CUDA device\n");
        return 77;
    }
    setenv("EXTMEM_BACKEND", "cuda", 1);
    if (!extmemGetBackendName()) {
        printf("skipped: %s\n", extmemGetLastErrorMessage());
        return 77;
    }
    CHECK(cudaSetDevice(0));
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));

    ID3D11Device *device = NULL;
    if (FAILED(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                                 NULL))) {
        fprintf(stderr, "D3D11CreateDevice: %s\n", extmemGetLastErrorMessage());
        return 1;
    }
    cudaExternalMemory_t ext_a = NULL, ext_b = NULL;
    void *imported_src = import_buffer(device, size, &ext_a);
    void *imported_dst = import_buffer(device, size, &ext_b);
    void *plain_src = NULL, *plain_dst = NULL;
    CHECK(cudaMalloc(&plain_src, size));
    CHECK(cudaMalloc(&plain_dst, size));
    CHECK(cudaMemset(plain_src, 1, size));
    CHECK(cudaMemset(imported_src, 1, size));

    cudaEvent_t start, stop;
    CHECK(cudaEventCreate(&start));
    CHECK(cudaEventCreate(&stop));
    int blocks = sms * 4;
    std::vector<float> imported, plain;
    for (int i = -3; i < reps; i++) { /* three warm-up rounds */
        float a = time_copy(imported_dst, imported_src, size, blocks, start, stop);
        float b = time_copy(plain_dst, plain_src, size, blocks, start, stop);
        if (i >= 0) {
            imported.push_back(a);
            plain.push_back(b);
        }
    }
    std::sort(imported.begin(), imported.end());
    std::sort(plain.begin(), plain.end());
    double gbps_imported = 2.0 * size / (imported[imported.size() / 2] * 1e-3) / 1e9;
    double gbps_plain = 2.0 * size / (plain[plain.size() / 2] * 1e-3) / 1e9;
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    printf("bench_bandwidth on %s: copy kernel, 1 GiB, %d reps, median: imported+mapped %.0f GB/s, cudaMalloc "
           "%.0f GB/s, ratio %.3f %s\n", prop.name, reps, gbps_imported, gbps_plain, gbps_imported / gbps_plain,
           gbps_imported / gbps_plain >= 0.97 ? "(goal >= 0.97 met)" : "(goal >= 0.97 MISSED)");

    CHECK(cudaFree(imported_src));
    CHECK(cudaFree(imported_dst));
    CHECK(cudaDestroyExternalMemory(ext_a));
    CHECK(cudaDestroyExternalMemory(ext_b));
    CHECK(cudaFree(plain_src));
    CHECK(cudaFree(plain_dst));
    device->Release();
    return 0;
}
