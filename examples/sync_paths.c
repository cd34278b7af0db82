/*
 * The ways CUDA's programming guide imports D3D11 synchronization objects
 * -- a fence by NT handle or by name, a keyed mutex by NT handle, by name
 * or by KMT handle -- and signals and waits on them, written the way that
 * guide writes them, then used end to end with a D3D11 device: data goes
 * from D3D11 to CUDA and back under the keyed mutex, and a fence orders
 * the two sides.
 *
 * The helper functions use only D3D11/Win32 and CUDA spellings, so the same
 * text compiles against the real Windows and CUDA headers. This file builds
 * as C (gnu11) and as C++; a test runs both programs.
 */
#include <stdio.h>
#include <string.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

/* ---- the guide's shape ---------------------------------------------------- */

cudaExternalSemaphore_t import_fence_by_nt_handle(HANDLE handle)
{
    cudaExternalSemaphore_t ext_sem = NULL;
    cudaExternalSemaphoreHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence;
    desc.handle.win32.handle = (void *)handle;
    cudaImportExternalSemaphore(&ext_sem, &desc);

    /* The import holds its own reference: the handle can go now. */
    CloseHandle(handle);
    return ext_sem;
}

cudaExternalSemaphore_t import_fence_by_name(LPCWSTR name)
{
    cudaExternalSemaphore_t ext_sem = NULL;
    cudaExternalSemaphoreHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence;
    desc.handle.win32.name = (void *)name;
    cudaImportExternalSemaphore(&ext_sem, &desc);
    return ext_sem;
}

cudaExternalSemaphore_t import_keyed_mutex_by_nt_handle(HANDLE handle)
{
    cudaExternalSemaphore_t ext_sem = NULL;
    cudaExternalSemaphoreHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex;
    desc.handle.win32.handle = (void *)handle;
    cudaImportExternalSemaphore(&ext_sem, &desc);
    return ext_sem;
}

cudaExternalSemaphore_t import_keyed_mutex_by_name(LPCWSTR name)
{
    cudaExternalSemaphore_t ext_sem = NULL;
    cudaExternalSemaphoreHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex;
    desc.handle.win32.name = (void *)name;
    cudaImportExternalSemaphore(&ext_sem, &desc);
    return ext_sem;
}

cudaExternalSemaphore_t import_keyed_mutex_by_kmt_handle(HANDLE handle)
{
    cudaExternalSemaphore_t ext_sem = NULL;
    cudaExternalSemaphoreHandleDesc desc = {};

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalSemaphoreHandleTypeKeyedMutexKmt;
    desc.handle.win32.handle = (void *)handle;
    cudaImportExternalSemaphore(&ext_sem, &desc);
    return ext_sem;
}

cudaError_t signal_fence(cudaExternalSemaphore_t ext_sem, unsigned long long value, cudaStream_t stream)
{
    cudaExternalSemaphoreSignalParams params = {};

    memset(&params, 0, sizeof(params));
    params.params.fence.value = value;
    return cudaSignalExternalSemaphoresAsync(&ext_sem, &params, 1, stream);
}

cudaError_t wait_fence(cudaExternalSemaphore_t ext_sem, unsigned long long value, cudaStream_t stream)
{
    cudaExternalSemaphoreWaitParams params = {};

    memset(&params, 0, sizeof(params));
    params.params.fence.value = value;
    return cudaWaitExternalSemaphoresAsync(&ext_sem, &params, 1, stream);
}

cudaError_t release_keyed_mutex(cudaExternalSemaphore_t ext_sem, unsigned long long key, cudaStream_t stream)
{
    cudaExternalSemaphoreSignalParams params = {};

    memset(&params, 0, sizeof(params));
    params.params.keyedMutex.key = key;
    return cudaSignalExternalSemaphoresAsync(&ext_sem, &params, 1, stream);
}

cudaError_t acquire_keyed_mutex(cudaExternalSemaphore_t ext_sem, unsigned long long key, unsigned int timeout_ms,
                                cudaStream_t stream)
{
    cudaExternalSemaphoreWaitParams params = {};

    memset(&params, 0, sizeof(params));
    params.params.keyedMutex.key = key;
    params.params.keyedMutex.timeoutMs = timeout_ms;
    return cudaWaitExternalSemaphoresAsync(&ext_sem, &params, 1, stream);
}

/* ---- a program around them ------------------------------------------------- */

/* D3D11 in C goes through lpVtbl with This first; in C++ it is a method
 * call and IIDs are passed by reference. One spelling for both builds: */
#ifdef __cplusplus
#define COM_CALL(object, method, ...) ((object)->method(__VA_ARGS__))
#define COM_CALL0(object, method) ((object)->method())
#define IID_OF(iid) (iid)
#else
#define COM_CALL(object, method, ...) ((object)->lpVtbl->method((object), __VA_ARGS__))
#define COM_CALL0(object, method) ((object)->lpVtbl->method(object))
#define IID_OF(iid) (&(iid))
#endif

#define WORDS 256
#define RW (DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)

static int failures;

static void check(int ok, const char *what)
{
    printf("  %-62s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) {
        printf("    (%s)\n", extmemGetLastErrorMessage());
        failures++;
    }
}

static void fill(unsigned *words, unsigned seed)
{
    for (unsigned i = 0; i < WORDS; i++)
        words[i] = seed * 2654435761u + i;
}

static ID3D11Buffer *make_buffer(ID3D11Device *device, D3D11_USAGE usage, UINT cpu, UINT misc)
{
    D3D11_BUFFER_DESC desc;
    ID3D11Buffer *buffer = NULL;

    memset(&desc, 0, sizeof(desc));
    desc.ByteWidth = WORDS * sizeof(unsigned);
    desc.Usage = usage;
    desc.BindFlags = usage == D3D11_USAGE_STAGING ? 0 : D3D11_BIND_UNORDERED_ACCESS;
    desc.CPUAccessFlags = cpu;
    desc.MiscFlags = misc;
    if (FAILED(COM_CALL(device, CreateBuffer, &desc, NULL, &buffer)))
        return NULL;
    return buffer;
}

/* D3D11 reads the buffer through a staging copy and compares. */
static int d3d11_reads(ID3D11DeviceContext *context, ID3D11Buffer *buffer, ID3D11Buffer *staging, unsigned seed)
{
    D3D11_MAPPED_SUBRESOURCE map;
    unsigned want[WORDS];
    int same;

    fill(want, seed);
    COM_CALL(context, CopyResource, (ID3D11Resource *)staging, (ID3D11Resource *)buffer);
    if (FAILED(COM_CALL(context, Map, (ID3D11Resource *)staging, 0, D3D11_MAP_READ, 0, &map)))
        return 0;
    same = memcmp(map.pData, want, sizeof(want)) == 0;
    COM_CALL(context, Unmap, (ID3D11Resource *)staging, 0);
    return same;
}

static void *map_import(cudaExternalMemory_t ext_mem)
{
    cudaExternalMemoryBufferDesc desc;
    void *ptr = NULL;

    memset(&desc, 0, sizeof(desc));
    desc.size = WORDS * sizeof(unsigned);
    if (!ext_mem || cudaExternalMemoryGetMappedBuffer(&ptr, ext_mem, &desc) != cudaSuccess)
        return NULL;
    return ptr;
}

int main(void)
{
    unsigned words[WORDS], got[WORDS];
    ID3D11Device *device = NULL;
    ID3D11Device5 *device5 = NULL;
    ID3D11DeviceContext *context = NULL;
    ID3D11DeviceContext4 *context4 = NULL;
    ID3D11Buffer *buffer, *kmt_buffer, *staging;
    IDXGIResource1 *dxgi1 = NULL;
    IDXGIResource *dxgi = NULL;
    IDXGIKeyedMutex *mutex = NULL;
    ID3D11Fence *fence = NULL;
    HANDLE buffer_handle = NULL, kmt = NULL, fence_handle = NULL, event;
    cudaExternalMemory_t ext_mem;
    cudaExternalMemoryHandleDesc mem_desc = {};
    cudaExternalSemaphore_t by_handle, by_name, by_kmt, fence_sem, fence_by_name;
    cudaStream_t stream = NULL;
    void *ptr;

    if (FAILED(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device,
                                 NULL, &context))) {
        printf("D3D11CreateDevice failed: %s\n", extmemGetLastErrorMessage());
        return 1;
    }
    printf("sync paths (backend %s):\n", extmemGetBackendName());
    COM_CALL(device, QueryInterface, IID_OF(IID_ID3D11Device5), (void **)&device5);
    COM_CALL(context, QueryInterface, IID_OF(IID_ID3D11DeviceContext4), (void **)&context4);
    cudaStreamCreate(&stream);

    /* A keyed-mutex buffer shared by (named) NT handle, one by KMT handle. */
    buffer = make_buffer(device, D3D11_USAGE_DEFAULT, 0,
                         D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX | D3D11_RESOURCE_MISC_SHARED_NTHANDLE);
    kmt_buffer = make_buffer(device, D3D11_USAGE_DEFAULT, 0, D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX);
    staging = make_buffer(device, D3D11_USAGE_STAGING, D3D11_CPU_ACCESS_READ, 0);
    check(buffer && kmt_buffer && staging, "create keyed-mutex buffers");
    if (!buffer || !kmt_buffer || !staging)
        return 1;
    COM_CALL(buffer, QueryInterface, IID_OF(IID_IDXGIResource1), (void **)&dxgi1);
    check(SUCCEEDED(COM_CALL(dxgi1, CreateSharedHandle, NULL, RW, L"Local\\extmem-sync-paths", &buffer_handle)),
          "CreateSharedHandle (named NT handle)");
    COM_CALL0(dxgi1, Release);
    COM_CALL(kmt_buffer, QueryInterface, IID_OF(IID_IDXGIResource), (void **)&dxgi);
    check(SUCCEEDED(COM_CALL(dxgi, GetSharedHandle, &kmt)), "GetSharedHandle (KMT handle)");
    COM_CALL0(dxgi, Release);

    by_handle = import_keyed_mutex_by_nt_handle(buffer_handle);
    by_name = import_keyed_mutex_by_name(L"Local\\extmem-sync-paths");
    by_kmt = import_keyed_mutex_by_kmt_handle(kmt);
    check(by_handle != NULL, "import the keyed mutex by NT handle");
    check(by_name != NULL, "import the keyed mutex by name");
    check(by_kmt != NULL, "import the keyed mutex by KMT handle");
    memset(&mem_desc, 0, sizeof(mem_desc));
    mem_desc.type = cudaExternalMemoryHandleTypeD3D11Resource;
    mem_desc.handle.win32.handle = (void *)buffer_handle;
    mem_desc.size = WORDS * sizeof(unsigned);
    mem_desc.flags |= cudaExternalMemoryDedicated;
    ext_mem = NULL;
    cudaImportExternalMemory(&ext_mem, &mem_desc);
    ptr = map_import(ext_mem);
    check(ptr != NULL, "import and map the buffer's memory");
    CloseHandle(buffer_handle);
    if (!ptr)
        return 1;

    /* NVIDIA's pattern: D3D11 acquires 0 and releases 1, CUDA acquires 1
     * and releases 2, D3D11 acquires 2. */
    COM_CALL(buffer, QueryInterface, IID_OF(IID_IDXGIKeyedMutex), (void **)&mutex);
    check(mutex && COM_CALL(mutex, AcquireSync, 0, INFINITE) == S_OK, "D3D11: AcquireSync(0)");
    fill(words, 1);
    COM_CALL(context, UpdateSubresource, (ID3D11Resource *)buffer, 0, NULL, words, 0, 0);
    check(COM_CALL(mutex, ReleaseSync, 1) == S_OK, "D3D11: write, ReleaseSync(1)");
    check(acquire_keyed_mutex(by_handle, 2, 0, stream) == cudaErrorTimeout, "CUDA: key 2 is not released: timeout");
    check(acquire_keyed_mutex(by_handle, 1, 1000, stream) == cudaSuccess, "CUDA: acquire key 1");
    check(cudaMemcpyAsync(got, ptr, sizeof(got), cudaMemcpyDeviceToHost, stream) == cudaSuccess &&
              cudaStreamSynchronize(stream) == cudaSuccess && memcmp(got, words, sizeof(got)) == 0,
          "CUDA: reads what D3D11 wrote");
    fill(words, 2);
    check(cudaMemcpyAsync(ptr, words, sizeof(words), cudaMemcpyHostToDevice, stream) == cudaSuccess &&
              release_keyed_mutex(by_handle, 2, stream) == cudaSuccess,
          "CUDA: write, release key 2");
    check(COM_CALL(mutex, AcquireSync, 2, 1000) == S_OK && d3d11_reads(context, buffer, staging, 2),
          "D3D11: AcquireSync(2) reads what CUDA wrote");
    check(COM_CALL(mutex, ReleaseSync, 3) == S_OK, "D3D11: ReleaseSync(3)");
    check(acquire_keyed_mutex(by_name, 3, INFINITE, stream) == cudaSuccess &&
              release_keyed_mutex(by_name, 0, stream) == cudaSuccess,
          "CUDA (named import): acquire 3, release 0");
    check(acquire_keyed_mutex(by_kmt, 0, 0, stream) == cudaSuccess &&
              release_keyed_mutex(by_kmt, 0, stream) == cudaSuccess,
          "CUDA (KMT import): acquire 0, release 0");

    /* A shared fence orders D3D11 and CUDA. */
    check(SUCCEEDED(COM_CALL(device5, CreateFence, 0, D3D11_FENCE_FLAG_SHARED, IID_OF(IID_ID3D11Fence),
                             (void **)&fence)), "CreateFence(SHARED)");
    if (!fence)
        return 1;
    check(SUCCEEDED(COM_CALL(fence, CreateSharedHandle, NULL, GENERIC_ALL, L"Local\\extmem-sync-fence",
                             &fence_handle)), "ID3D11Fence::CreateSharedHandle (named)");
    fence_by_name = import_fence_by_name(L"Local\\extmem-sync-fence");
    fence_sem = import_fence_by_nt_handle(fence_handle);
    check(fence_sem != NULL && fence_by_name != NULL, "import the fence by NT handle and by name");
    check(COM_CALL(context4, Signal, fence, 1) == S_OK, "D3D11: Signal(1)");
    check(wait_fence(fence_sem, 1, stream) == cudaSuccess, "CUDA: wait for 1");
    check(signal_fence(fence_by_name, 2, stream) == cudaSuccess, "CUDA: signal 2");
    event = CreateEventW(NULL, FALSE, FALSE, NULL);
    check(event && COM_CALL(fence, SetEventOnCompletion, 2, event) == S_OK &&
              WaitForSingleObject(event, 1000) == WAIT_OBJECT_0,
          "D3D11: SetEventOnCompletion(2) + WaitForSingleObject");
    check(COM_CALL0(fence, GetCompletedValue) == 2, "GetCompletedValue is 2");
    CloseHandle(event);

    check(cudaDestroyExternalSemaphore(by_handle) == cudaSuccess &&
              cudaDestroyExternalSemaphore(by_name) == cudaSuccess &&
              cudaDestroyExternalSemaphore(by_kmt) == cudaSuccess &&
              cudaDestroyExternalSemaphore(fence_sem) == cudaSuccess &&
              cudaDestroyExternalSemaphore(fence_by_name) == cudaSuccess,
          "cudaDestroyExternalSemaphore x5");
    cudaFree(ptr);
    cudaDestroyExternalMemory(ext_mem);
    cudaStreamDestroy(stream);
    COM_CALL0(fence, Release);
    COM_CALL0(mutex, Release);
    COM_CALL0(staging, Release);
    COM_CALL0(kmt_buffer, Release);
    COM_CALL0(buffer, Release);
    COM_CALL0(context4, Release);
    COM_CALL0(device5, Release);
    COM_CALL0(context, Release);
    COM_CALL0(device, Release);
    printf("%s\n", failures ? "sync paths: FAILED" : "sync paths: all work");
    return failures ? 1 : 0;
}
