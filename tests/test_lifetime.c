/*
 * The lifetime rules of shared handles (docs/SEMANTICS.md, "Lifetimes"):
 * who holds a reference, when a KMT value and a name die, and that every
 * import and mapping is counted.
 */
#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define SHARED_NT (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE)
#define RW (DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)

static void fill_pattern(uint32_t *words, size_t count, uint32_t seed)
{
    for (size_t i = 0; i < count; i++)
        words[i] = seed * 2654435761u + (uint32_t)i;
}

/* Maps [0, size) of an import and checks it holds the pattern. */
static void assert_import_reads_pattern(cudaExternalMemory_t ext, size_t size, uint32_t seed)
{
    cudaExternalMemoryBufferDesc desc;
    uint32_t *mapped = NULL, want[256];

    XM_ASSERT(size <= sizeof(want));
    memset(&desc, 0, sizeof(desc));
    desc.size = size;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&mapped, ext, &desc), cudaSuccess);
    fill_pattern(want, size / 4, seed);
    XM_ASSERT(memcmp(mapped, want, size) == 0);
    XM_ASSERT_CUDA(cudaFree(mapped), cudaSuccess);
}

XM_TEST(test_nt_handle_keeps_resource_alive_after_last_com_reference)
{
    struct xm_test_census before, during;
    uint32_t data[64];
    cudaExternalMemory_t ext = NULL;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer;
    HANDLE handle;

    xm_test_census(&before);
    device = xm_test_device(NULL);
    fill_pattern(data, 64, 1);
    buffer = xm_test_buffer(device, sizeof(data), SHARED_NT, data);
    handle = xm_test_nt_handle(buffer, RW, NULL);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);

    xm_test_census(&during);
    XM_ASSERT_EQ(during.resources, before.resources + 1);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, sizeof(data)),
                   cudaSuccess);
    assert_import_reads_pattern(ext, sizeof(data), 1);
    XM_ASSERT(CloseHandle(handle));
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    XM_ASSERT_NOTHING_LEAKED(before);
}

XM_TEST(test_memory_is_freed_only_after_close_handle_and_last_reference)
{
    struct xm_test_census before, during;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Texture2D *texture;
    HANDLE handle;

    xm_test_census(&before);
    texture = xm_test_texture2d(device, 64, 64, 1, 1, DXGI_FORMAT_R8G8B8A8_UNORM, SHARED_NT);
    handle = xm_test_nt_handle(texture, RW, NULL);
    XM_ASSERT(CloseHandle(handle));
    xm_test_census(&during);
    XM_ASSERT_EQ(during.resources, before.resources + 1); /* the COM reference still holds it */
    ID3D11Texture2D_Release(texture);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

static int count_open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int count = 0;

    XM_ASSERT_NOT_NULL(dir);
    while (readdir(dir))
        count++;
    closedir(dir);
    return count;
}

XM_TEST(test_memory_and_its_fd_go_with_the_last_of_handle_com_import_and_mapping)
{
    struct xm_test_census before;
    cudaExternalMemoryBufferDesc desc;
    cudaExternalMemory_t ext = NULL;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer;
    void *mapped = NULL;
    HANDLE handle;
    int fds;

    xm_test_census(&before);
    fds = count_open_fds();
    buffer = xm_test_buffer(device, 1 << 20, SHARED_NT, NULL);
    handle = xm_test_nt_handle(buffer, RW, NULL);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, 1 << 20),
                   cudaSuccess);
    memset(&desc, 0, sizeof(desc));
    desc.size = 1 << 20;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer(&mapped, ext, &desc), cudaSuccess);
    XM_ASSERT_EQ(count_open_fds(), fds + 1); /* the memfd, however many holders */

    /* Release in an order unlike creation's; the memory stays until the last. */
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    ID3D11Buffer_Release(buffer);
    XM_ASSERT(CloseHandle(handle));
    XM_ASSERT_EQ(count_open_fds(), fds + 1);
    memset(mapped, 0x5a, 1 << 20); /* still valid memory */
    XM_ASSERT_CUDA(cudaFree(mapped), cudaSuccess);
    XM_ASSERT_EQ(count_open_fds(), fds);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

XM_TEST(test_kmt_handle_dies_with_last_reference)
{
    struct xm_test_census before;
    cudaExternalMemory_t ext = NULL;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Texture2D *texture;
    ID3D11Texture2D *opened = (ID3D11Texture2D *)(uintptr_t)1;
    HANDLE kmt;

    xm_test_census(&before);
    texture = xm_test_texture2d(device, 16, 16, 1, 1, DXGI_FORMAT_R32_FLOAT, D3D11_RESOURCE_MISC_SHARED);
    kmt = xm_test_kmt_handle(texture);
    XM_ASSERT(kmt != NULL);
    ID3D11Texture2D_Release(texture);
    XM_ASSERT_NOTHING_LEAKED(before);

    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, 16 * 16 * 4),
                   cudaErrorInvalidResourceHandle);
    XM_ASSERT_NULL(ext);
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Texture2D, (void **)&opened), E_INVALIDARG);
    XM_ASSERT_NULL(opened);
    ID3D11Device1_Release(device);
}

XM_TEST(test_kmt_handle_lives_while_an_import_holds_the_resource)
{
    struct xm_test_census before;
    cudaExternalMemory_t first = NULL, second = NULL;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer;
    HANDLE kmt;

    xm_test_census(&before);
    buffer = xm_test_buffer(device, 4096, D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX, NULL);
    kmt = xm_test_kmt_handle(buffer);
    XM_ASSERT_CUDA(xm_test_import(&first, cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, 4096),
                   cudaSuccess);
    ID3D11Buffer_Release(buffer);
    /* The import is now the only reference, and it keeps the KMT value alive. */
    XM_ASSERT_CUDA(xm_test_import(&second, cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, 4096),
                   cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(first), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(second), cudaSuccess);
    XM_ASSERT_NOTHING_LEAKED(before);
    XM_ASSERT_CUDA(xm_test_import(&first, cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, 4096),
                   cudaErrorInvalidResourceHandle);
    ID3D11Device1_Release(device);
}

XM_TEST(test_import_holds_a_reference_so_the_seed_may_close_the_handle)
{
    struct xm_test_census before;
    uint32_t data[32];
    cudaExternalMemory_t ext = NULL;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer;
    HANDLE handle;

    xm_test_census(&before);
    fill_pattern(data, 32, 7);
    buffer = xm_test_buffer(device, sizeof(data), SHARED_NT, data);
    handle = xm_test_nt_handle(buffer, RW, NULL);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, sizeof(data)),
                   cudaSuccess);
    XM_ASSERT(CloseHandle(handle)); /* as the seed does right after importing */
    ID3D11Buffer_Release(buffer);
    assert_import_reads_pattern(ext, sizeof(data), 7);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

XM_TEST(test_mapping_stays_valid_after_destroy_external_memory)
{
    struct xm_test_census before;
    uint32_t data[16];
    cudaExternalMemoryBufferDesc desc;
    cudaExternalMemory_t ext = NULL;
    uint32_t *mapped = NULL;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer;
    HANDLE handle;

    xm_test_census(&before);
    fill_pattern(data, 16, 3);
    buffer = xm_test_buffer(device, sizeof(data), SHARED_NT, data);
    handle = xm_test_nt_handle(buffer, RW, NULL);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, sizeof(data)),
                   cudaSuccess);
    CloseHandle(handle);
    ID3D11Buffer_Release(buffer);
    memset(&desc, 0, sizeof(desc));
    desc.size = sizeof(data);
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&mapped, ext, &desc), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    XM_ASSERT(memcmp(mapped, data, sizeof(data)) == 0);
    XM_ASSERT_CUDA(cudaFree(mapped), cudaSuccess);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

XM_TEST(test_name_lives_while_a_handle_to_its_object_is_open)
{
    struct xm_test_census before;
    cudaExternalMemory_t ext = NULL;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Texture2D *a, *b;
    IDXGIResource1 *dxgi_b;
    HANDLE handle_a, handle_b = NULL;

    xm_test_census(&before);
    a = xm_test_texture2d(device, 8, 8, 1, 1, DXGI_FORMAT_R8_UNORM, SHARED_NT);
    b = xm_test_texture2d(device, 8, 8, 1, 1, DXGI_FORMAT_R8_UNORM, SHARED_NT);
    handle_a = xm_test_nt_handle(a, RW, L"Local\\extmem-test-name");
    XM_ASSERT(SUCCEEDED(ID3D11Texture2D_QueryInterface(b, &IID_IDXGIResource1, (void **)&dxgi_b)));
    XM_ASSERT_HR(IDXGIResource1_CreateSharedHandle(dxgi_b, NULL, RW, L"Local\\extmem-test-name", &handle_b),
                 DXGI_ERROR_NAME_ALREADY_EXISTS);
    XM_ASSERT_NULL(handle_b);

    /* The resource lives on (COM reference), but the name goes with its last handle. */
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, NULL, L"Local\\extmem-test-name",
                                  64), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    XM_ASSERT(CloseHandle(handle_a));
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, NULL, L"Local\\extmem-test-name",
                                  64), cudaErrorInvalidResourceHandle);
    XM_ASSERT_HR(IDXGIResource1_CreateSharedHandle(dxgi_b, NULL, RW, L"Local\\extmem-test-name", &handle_b), S_OK);
    XM_ASSERT(CloseHandle(handle_b));
    IDXGIResource1_Release(dxgi_b);
    ID3D11Texture2D_Release(a);
    ID3D11Texture2D_Release(b);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

XM_TEST(test_name_lives_while_a_duplicate_handle_is_open)
{
    struct xm_test_census before;
    cudaExternalMemory_t ext = NULL;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer;
    HANDLE handle, duplicate = NULL;

    xm_test_census(&before);
    buffer = xm_test_buffer(device, 256, SHARED_NT, NULL);
    handle = xm_test_nt_handle(buffer, RW, L"extmem-duplicated");
    ID3D11Buffer_Release(buffer);
    XM_ASSERT(DuplicateHandle(GetCurrentProcess(), handle, GetCurrentProcess(), &duplicate, 0, FALSE,
                              DUPLICATE_SAME_ACCESS));
    XM_ASSERT(duplicate != NULL && duplicate != handle);
    XM_ASSERT(CloseHandle(handle));
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, NULL, L"extmem-duplicated", 256),
                   cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, duplicate, NULL, 256),
                   cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    XM_ASSERT(CloseHandle(duplicate));
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

XM_TEST(test_close_handle_on_a_kmt_value_fails)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Texture2D *texture = xm_test_texture2d(device, 4, 4, 1, 1, DXGI_FORMAT_R8G8B8A8_UNORM,
                                                 D3D11_RESOURCE_MISC_SHARED);
    HANDLE kmt = xm_test_kmt_handle(texture);

    SetLastError(0);
    XM_ASSERT(!CloseHandle(kmt));
    XM_ASSERT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    XM_ASSERT_CONTAINS(extmemGetLastErrorMessage(), "KMT");
    /* The value still works: CloseHandle did nothing to it. */
    ID3D11Texture2D *opened = NULL;
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Texture2D, (void **)&opened), S_OK);
    ID3D11Texture2D_Release(opened);
    ID3D11Texture2D_Release(texture);
    ID3D11Device1_Release(device);
}

XM_TEST(test_double_close_fails_and_the_closed_handle_no_longer_imports)
{
    struct xm_test_census before;
    cudaExternalMemory_t ext = NULL;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer;
    HANDLE handle;

    xm_test_census(&before);
    buffer = xm_test_buffer(device, 64, SHARED_NT, NULL);
    handle = xm_test_nt_handle(buffer, RW, NULL);
    XM_ASSERT(CloseHandle(handle));
    SetLastError(0);
    XM_ASSERT(!CloseHandle(handle));
    XM_ASSERT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, 64),
                   cudaErrorInvalidResourceHandle);
    XM_ASSERT_NULL(ext);
    ID3D11Buffer_Release(buffer);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

XM_TEST(test_handle_values_are_not_reused_after_close)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *first = xm_test_buffer(device, 64, SHARED_NT, NULL);
    ID3D11Buffer *second = xm_test_buffer(device, 64, SHARED_NT, NULL);
    HANDLE a = xm_test_nt_handle(first, RW, NULL), b;

    XM_ASSERT(CloseHandle(a));
    b = xm_test_nt_handle(second, RW, NULL);
    XM_ASSERT(a != b); /* a stale value never names a newer object */
    XM_ASSERT(CloseHandle(b));
    ID3D11Buffer_Release(first);
    ID3D11Buffer_Release(second);
    ID3D11Device1_Release(device);
}

XM_TEST(test_create_shared_handle_runs_once_per_resource)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 64, SHARED_NT, NULL);
    HANDLE handle = xm_test_nt_handle(buffer, RW, NULL), again = NULL;
    IDXGIResource1 *dxgi;

    XM_ASSERT(SUCCEEDED(ID3D11Buffer_QueryInterface(buffer, &IID_IDXGIResource1, (void **)&dxgi)));
    XM_ASSERT_HR(IDXGIResource1_CreateSharedHandle(dxgi, NULL, RW, NULL, &again), DXGI_ERROR_INVALID_CALL);
    XM_ASSERT_NULL(again);
    XM_ASSERT(CloseHandle(handle));
    IDXGIResource1_Release(dxgi);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_open_shared_resource_by_name_shares_the_memory)
{
    uint32_t data[4] = {1, 2, 3, 4}, got[4] = {0};
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *producer = xm_test_device(NULL), *consumer = xm_test_device(&context);
    ID3D11Buffer *buffer = xm_test_buffer(producer, sizeof(data), SHARED_NT, data), *opened = NULL, *staging = NULL;
    HANDLE handle = xm_test_nt_handle(buffer, RW, L"extmem-open-by-name");
    D3D11_BUFFER_DESC desc = {sizeof(data), D3D11_USAGE_STAGING, 0, D3D11_CPU_ACCESS_READ, 0, 0};
    D3D11_MAPPED_SUBRESOURCE map;

    XM_ASSERT_HR(ID3D11Device1_OpenSharedResourceByName(consumer, L"extmem-open-by-name", DXGI_SHARED_RESOURCE_READ,
                                                        &IID_ID3D11Buffer, (void **)&opened), S_OK);
    XM_ASSERT_HR(ID3D11Device1_CreateBuffer(consumer, &desc, NULL, &staging), S_OK);
    ID3D11DeviceContext_CopyResource(context, (ID3D11Resource *)staging, (ID3D11Resource *)opened);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging, 0, D3D11_MAP_READ, 0, &map), S_OK);
    memcpy(got, map.pData, sizeof(got));
    ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)staging, 0);
    XM_ASSERT(memcmp(got, data, sizeof(data)) == 0);

    ID3D11Buffer_Release(staging);
    ID3D11Buffer_Release(opened);
    ID3D11Buffer_Release(buffer);
    CloseHandle(handle);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(producer);
    ID3D11Device1_Release(consumer);
}

XM_TEST(test_read_only_handle_gives_read_only_access)
{
    struct xm_test_census before;
    cudaExternalMemoryBufferDesc desc;
    cudaExternalMemory_t ext = NULL;
    uint32_t *mapped = NULL;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer, *opened = NULL;
    HANDLE handle;
    pid_t child;
    int status;

    xm_test_census(&before);
    buffer = xm_test_buffer(device, 4096, SHARED_NT, NULL);
    handle = xm_test_nt_handle(buffer, DXGI_SHARED_RESOURCE_READ, L"extmem-read-only");
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResourceByName(device, L"extmem-read-only", DXGI_SHARED_RESOURCE_WRITE,
                                                        &IID_ID3D11Buffer, (void **)&opened), E_ACCESSDENIED);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, 4096), cudaSuccess);
    memset(&desc, 0, sizeof(desc));
    desc.size = 4096;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&mapped, ext, &desc), cudaSuccess);
    XM_ASSERT_EQ(mapped[0], 0);
    XM_ASSERT_CUDA(cudaMemset(mapped, 0xff, 4096), cudaErrorInvalidValue);
    XM_ASSERT_EQ(mapped[0], 0);

    /* A store through the mapping faults: the pages are mapped read-only. */
    child = fork();
    XM_ASSERT(child >= 0);
    if (child == 0) {
        signal(SIGSEGV, SIG_DFL);
        ((volatile uint32_t *)mapped)[0] = 1;
        _exit(0);
    }
    XM_ASSERT_EQ(waitpid(child, &status, 0), child);
    XM_ASSERT(WIFSIGNALED(status));
    XM_ASSERT_EQ(WTERMSIG(status), SIGSEGV);
    XM_ASSERT_EQ(mapped[0], 0);

    XM_ASSERT_CUDA(cudaFree(mapped), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    CloseHandle(handle);
    ID3D11Buffer_Release(buffer);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

XM_TEST(test_duplicate_handle_can_narrow_access_but_not_widen_it)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 64, SHARED_NT, NULL), *opened = NULL;
    HANDLE handle = xm_test_nt_handle(buffer, RW, NULL), read_only = NULL, widened = NULL;
    D3D11_BUFFER_DESC desc;
    uint32_t word = 5;

    XM_ASSERT(DuplicateHandle(GetCurrentProcess(), handle, GetCurrentProcess(), &read_only,
                              DXGI_SHARED_RESOURCE_READ, FALSE, 0));
    XM_ASSERT(!DuplicateHandle(GetCurrentProcess(), read_only, GetCurrentProcess(), &widened, RW, FALSE, 0));
    XM_ASSERT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource1(device, read_only, &IID_ID3D11Buffer, (void **)&opened), S_OK);
    ID3D11Buffer_GetDesc(opened, &desc);
    XM_ASSERT_EQ(desc.ByteWidth, 64);
    {
        ID3D11DeviceContext *context;
        ID3D11Device1_GetImmediateContext(device, &context);
        D3D11_BOX box = {0, 0, 0, 4, 1, 1};
        ID3D11DeviceContext_UpdateSubresource(context, (ID3D11Resource *)opened, 0, &box, &word, 0, 0);
        XM_ASSERT_CONTAINS(extmemGetLastErrorMessage(), "read-only");
        ID3D11DeviceContext_Release(context);
    }
    ID3D11Buffer_Release(opened);
    CloseHandle(read_only);
    CloseHandle(handle);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_nt_handle_keeps_resource_alive_after_last_com_reference)
    XM_TEST_ENTRY(test_memory_is_freed_only_after_close_handle_and_last_reference)
    XM_TEST_ENTRY(test_memory_and_its_fd_go_with_the_last_of_handle_com_import_and_mapping)
    XM_TEST_ENTRY(test_kmt_handle_dies_with_last_reference)
    XM_TEST_ENTRY(test_kmt_handle_lives_while_an_import_holds_the_resource)
    XM_TEST_ENTRY(test_import_holds_a_reference_so_the_seed_may_close_the_handle)
    XM_TEST_ENTRY(test_mapping_stays_valid_after_destroy_external_memory)
    XM_TEST_ENTRY(test_name_lives_while_a_handle_to_its_object_is_open)
    XM_TEST_ENTRY(test_name_lives_while_a_duplicate_handle_is_open)
    XM_TEST_ENTRY(test_close_handle_on_a_kmt_value_fails)
    XM_TEST_ENTRY(test_double_close_fails_and_the_closed_handle_no_longer_imports)
    XM_TEST_ENTRY(test_handle_values_are_not_reused_after_close)
    XM_TEST_ENTRY(test_create_shared_handle_runs_once_per_resource)
    XM_TEST_ENTRY(test_open_shared_resource_by_name_shares_the_memory)
    XM_TEST_ENTRY(test_read_only_handle_gives_read_only_access)
    XM_TEST_ENTRY(test_duplicate_handle_can_narrow_access_but_not_widen_it))
