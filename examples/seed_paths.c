/*
 * The three ways CUDA's programming guide imports a D3D11 resource -- by
 * NT handle, by named NT handle and by KMT handle -- written the way that
 * guide writes them, and exercised end to end.
 *
 * The three import functions use only D3D11/Win32 and CUDA spellings, so
 * the same text compiles against the real Windows and CUDA headers. This
 * file builds as C (gnu11) and as C++; a test runs both programs.
 */
#include <stdio.h>
#include <string.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

/* ---- the seed's shape ------------------------------------------------- */

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

/* ---- a program around them --------------------------------------------- */

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

#define WIDTH 64
#define HEIGHT 32
#define WORDS (WIDTH * HEIGHT)

static int failures;

static void check(int ok, const char *what)
{
    printf("  %-58s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) {
        printf("    (%s)\n", extmemGetLastErrorMessage());
        failures++;
    }
}

static ID3D11Buffer *make_buffer(ID3D11Device *device, UINT misc, const unsigned *words)
{
    D3D11_BUFFER_DESC desc;
    D3D11_SUBRESOURCE_DATA init;
    ID3D11Buffer *buffer = NULL;

    memset(&desc, 0, sizeof(desc));
    desc.ByteWidth = WORDS * sizeof(unsigned);
    desc.Usage = D3D11_USAGE_DEFAULT;
    desc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
    desc.MiscFlags = misc;
    init.pSysMem = words;
    init.SysMemPitch = 0;
    init.SysMemSlicePitch = 0;
    if (FAILED(COM_CALL(device, CreateBuffer, &desc, &init, &buffer)))
        return NULL;
    return buffer;
}

/* Maps the whole import as a buffer and compares it with words. */
static int import_reads(cudaExternalMemory_t ext_mem, const unsigned *words)
{
    cudaExternalMemoryBufferDesc desc;
    unsigned got[WORDS];
    void *ptr = NULL;
    int same;

    if (!ext_mem)
        return 0;
    memset(&desc, 0, sizeof(desc));
    desc.size = WORDS * sizeof(unsigned);
    if (cudaExternalMemoryGetMappedBuffer(&ptr, ext_mem, &desc) != cudaSuccess)
        return 0;
    same = cudaMemcpy(got, ptr, sizeof(got), cudaMemcpyDeviceToHost) == cudaSuccess &&
           memcmp(got, words, sizeof(got)) == 0;
    cudaFree(ptr);
    return same;
}

int main(void)
{
    static unsigned words[WORDS];
    ID3D11Device *device = NULL;
    ID3D11Buffer *nt_buffer, *named_buffer, *kmt_buffer;
    IDXGIResource1 *dxgi1 = NULL;
    IDXGIResource *dxgi = NULL;
    HANDLE nt = NULL, named = NULL, kmt = NULL;
    cudaExternalMemory_t a, b, c;

    for (unsigned i = 0; i < WORDS; i++)
        words[i] = i * 2654435761u;
    if (FAILED(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device,
                                 NULL, NULL))) {
        printf("D3D11CreateDevice failed: %s\n", extmemGetLastErrorMessage());
        return 1;
    }
    printf("seed paths (%s, backend %s):\n", sizeof(void *) == 8 ? "64-bit" : "32-bit", extmemGetBackendName());
    nt_buffer = make_buffer(device, D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE, words);
    named_buffer = make_buffer(device, D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE, words);
    kmt_buffer = make_buffer(device, D3D11_RESOURCE_MISC_SHARED, words);
    check(nt_buffer && named_buffer && kmt_buffer, "create three shareable buffers");
    if (!nt_buffer || !named_buffer || !kmt_buffer)
        return 1;

    COM_CALL(nt_buffer, QueryInterface, IID_OF(IID_IDXGIResource1), (void **)&dxgi1);
    check(SUCCEEDED(COM_CALL(dxgi1, CreateSharedHandle, NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE,
                                                      NULL, &nt)), "CreateSharedHandle (NT handle)");
    COM_CALL0(dxgi1, Release);
    COM_CALL(named_buffer, QueryInterface, IID_OF(IID_IDXGIResource1), (void **)&dxgi1);
    check(SUCCEEDED(COM_CALL(dxgi1, CreateSharedHandle, NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE,
                                                      L"Local\\extmem-seed-paths", &named)),
          "CreateSharedHandle (named NT handle)");
    COM_CALL0(dxgi1, Release);
    COM_CALL(kmt_buffer, QueryInterface, IID_OF(IID_IDXGIResource), (void **)&dxgi);
    check(SUCCEEDED(COM_CALL(dxgi, GetSharedHandle, &kmt)), "GetSharedHandle (KMT handle)");
    COM_CALL0(dxgi, Release);

    a = import_by_nt_handle(nt, WORDS * sizeof(unsigned));
    b = import_by_name(L"Local\\extmem-seed-paths", WORDS * sizeof(unsigned));
    c = import_by_kmt_handle(kmt, WORDS * sizeof(unsigned));
    check(a != NULL, "import by NT handle, then CloseHandle");
    check(b != NULL, "import by name");
    check(c != NULL, "import by KMT handle");

    /* The NT handle is closed and the COM references go: the imports keep the memory. */
    COM_CALL0(nt_buffer, Release);
    COM_CALL0(named_buffer, Release);
    COM_CALL0(kmt_buffer, Release);
    check(import_reads(a, words), "NT-handle import reads the buffer after every release");
    check(import_reads(b, words), "named import reads the buffer");
    check(import_reads(c, words), "KMT import reads the buffer");

    check(!CloseHandle(kmt) && GetLastError() == ERROR_INVALID_HANDLE, "CloseHandle on a KMT handle is an error");
    check(CloseHandle(named), "CloseHandle on the named handle");
    check(cudaDestroyExternalMemory(a) == cudaSuccess && cudaDestroyExternalMemory(b) == cudaSuccess &&
              cudaDestroyExternalMemory(c) == cudaSuccess,
          "cudaDestroyExternalMemory x3");
    check(import_by_kmt_handle(kmt, WORDS * sizeof(unsigned)) == NULL,
          "the KMT handle died with the last reference");
    COM_CALL0(device, Release);
    printf("%s\n", failures ? "seed paths: FAILED" : "seed paths: all three work");
    return failures ? 1 : 0;
}
