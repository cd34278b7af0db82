/*
 * Keyed mutexes and fences (docs/SEMANTICS.md, "Synchronization"): DXGI's
 * acquire/release rules, timeouts, abandonment by a dead owner, D3D11
 * fences and their events, CUDA's external semaphores over both, and the
 * ping-pong of NVIDIA's D3D11 interop sample between two threads.
 * Run under ThreadSanitizer in CI (label "concurrency").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "core/fence.h"
#include "core/keyed_mutex.h"

#define KEYED (D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX)
#define KEYED_NT (D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX | D3D11_RESOURCE_MISC_SHARED_NTHANDLE)
#define SHARED_NT (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE)
#define RW (DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)

#define PING_PONG_ROUNDS 2000
#define WORDS 64

/* ---- helpers ------------------------------------------------------------ */

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void sleep_ms(unsigned ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
}

static IDXGIKeyedMutex *keyed_mutex_of(void *resource)
{
    IDXGIKeyedMutex *mutex = NULL;

    XM_ASSERT_HR(IUnknown_QueryInterface((IUnknown *)resource, &IID_IDXGIKeyedMutex, (void **)&mutex), S_OK);
    return mutex;
}

static ID3D11Device5 *device5_of(ID3D11Device1 *device)
{
    ID3D11Device5 *device5 = NULL;

    XM_ASSERT_HR(ID3D11Device1_QueryInterface(device, &IID_ID3D11Device5, (void **)&device5), S_OK);
    return device5;
}

static ID3D11DeviceContext4 *context4_of(ID3D11DeviceContext *context)
{
    ID3D11DeviceContext4 *context4 = NULL;

    XM_ASSERT_HR(ID3D11DeviceContext_QueryInterface(context, &IID_ID3D11DeviceContext4, (void **)&context4), S_OK);
    return context4;
}

static ID3D11Fence *create_fence(ID3D11Device1 *device, UINT64 initial, D3D11_FENCE_FLAG flags)
{
    ID3D11Device5 *device5 = device5_of(device);
    ID3D11Fence *fence = NULL;

    XM_ASSERT_HR(ID3D11Device5_CreateFence(device5, initial, flags, &IID_ID3D11Fence, (void **)&fence), S_OK);
    ID3D11Device5_Release(device5);
    return fence;
}

static HANDLE fence_handle(ID3D11Fence *fence, LPCWSTR name)
{
    HANDLE handle = NULL;

    XM_ASSERT_HR(ID3D11Fence_CreateSharedHandle(fence, NULL, GENERIC_ALL, name, &handle), S_OK);
    return handle;
}

static cudaError_t import_semaphore(cudaExternalSemaphore_t *out, enum cudaExternalSemaphoreHandleType type,
                                    HANDLE handle, LPCWSTR name)
{
    cudaExternalSemaphoreHandleDesc desc;

    memset(&desc, 0, sizeof(desc));
    desc.type = type;
    desc.handle.win32.handle = (void *)handle;
    desc.handle.win32.name = (const void *)name;
    return cudaImportExternalSemaphore(out, &desc);
}

static cudaError_t cuda_acquire(cudaExternalSemaphore_t semaphore, unsigned long long key, unsigned int timeout_ms)
{
    cudaExternalSemaphoreWaitParams params;

    memset(&params, 0, sizeof(params));
    params.params.keyedMutex.key = key;
    params.params.keyedMutex.timeoutMs = timeout_ms;
    return cudaWaitExternalSemaphoresAsync(&semaphore, &params, 1, 0);
}

static cudaError_t cuda_release(cudaExternalSemaphore_t semaphore, unsigned long long key)
{
    cudaExternalSemaphoreSignalParams params;

    memset(&params, 0, sizeof(params));
    params.params.keyedMutex.key = key;
    return cudaSignalExternalSemaphoresAsync(&semaphore, &params, 1, 0);
}

static cudaError_t cuda_fence_wait(cudaExternalSemaphore_t semaphore, unsigned long long value)
{
    cudaExternalSemaphoreWaitParams params;

    memset(&params, 0, sizeof(params));
    params.params.fence.value = value;
    return cudaWaitExternalSemaphoresAsync(&semaphore, &params, 1, 0);
}

static cudaError_t cuda_fence_signal(cudaExternalSemaphore_t semaphore, unsigned long long value)
{
    cudaExternalSemaphoreSignalParams params;

    memset(&params, 0, sizeof(params));
    params.params.fence.value = value;
    return cudaSignalExternalSemaphoresAsync(&semaphore, &params, 1, 0);
}

static ID3D11Buffer *staging_buffer(ID3D11Device1 *device, UINT size)
{
    D3D11_BUFFER_DESC desc = {size, D3D11_USAGE_STAGING, 0, D3D11_CPU_ACCESS_READ | D3D11_CPU_ACCESS_WRITE, 0, 0};
    ID3D11Buffer *buffer = NULL;

    XM_ASSERT_HR(ID3D11Device1_CreateBuffer(device, &desc, NULL, &buffer), S_OK);
    return buffer;
}

static void fill(uint32_t *words, uint32_t seed)
{
    for (uint32_t i = 0; i < WORDS; i++)
        words[i] = seed * 2654435761u + i;
}

static bool holds(const uint32_t *words, uint32_t seed)
{
    for (uint32_t i = 0; i < WORDS; i++)
        if (words[i] != seed * 2654435761u + i)
            return false;
    return true;
}

/* ---- keyed mutex: DXGI's rules ------------------------------------------ */

XM_TEST(test_keyed_mutex_exists_only_on_keyedmutex_resources)
{
    struct xm_test_census before;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Texture2D *plain, *keyed, *back = NULL;
    IDXGIKeyedMutex *mutex = (IDXGIKeyedMutex *)(uintptr_t)1;

    xm_test_census(&before);
    plain = xm_test_texture2d(device, 16, 16, 1, 1, DXGI_FORMAT_R8G8B8A8_UNORM, D3D11_RESOURCE_MISC_SHARED);
    keyed = xm_test_texture2d(device, 16, 16, 1, 1, DXGI_FORMAT_R8G8B8A8_UNORM, KEYED);
    XM_ASSERT_HR(ID3D11Texture2D_QueryInterface(plain, &IID_IDXGIKeyedMutex, (void **)&mutex), E_NOINTERFACE);
    XM_ASSERT_NULL(mutex);
    mutex = keyed_mutex_of(keyed);
    /* The mutex is an interface of the resource object: it leads back to it. */
    XM_ASSERT_HR(IDXGIKeyedMutex_QueryInterface(mutex, &IID_ID3D11Texture2D, (void **)&back), S_OK);
    XM_ASSERT_PTR_EQ(back, keyed);
    ID3D11Texture2D_Release(back);
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Texture2D_Release(plain);
    ID3D11Texture2D_Release(keyed);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

XM_TEST(test_keyed_mutex_starts_released_with_key_zero)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, KEYED, NULL);
    IDXGIKeyedMutex *mutex = keyed_mutex_of(buffer);

    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 1, 0), WAIT_TIMEOUT);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 0, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 5), S_OK);
    /* Released with 5: only 5 acquires it now. */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 0, 0), WAIT_TIMEOUT);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 5, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 0xffffffffffffffffull), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 0xffffffffffffffffull, INFINITE), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 0), S_OK);
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_acquire_times_out_after_the_time_asked)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, KEYED, NULL);
    IDXGIKeyedMutex *mutex = keyed_mutex_of(buffer);
    double start, elapsed;

    start = now_ms();
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 3, 0), WAIT_TIMEOUT);
    XM_ASSERT(now_ms() - start < 1000); /* tests once, waits for nothing */
    start = now_ms();
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 3, 30), WAIT_TIMEOUT);
    elapsed = now_ms() - start;
    XM_ASSERT_MSG(elapsed >= 29 && elapsed < 2000, "a 30 ms timeout took %.1f ms", elapsed);
    /* WAIT_TIMEOUT is a success code: SUCCEEDED() cannot tell, as in DXGI. */
    XM_ASSERT(SUCCEEDED((HRESULT)WAIT_TIMEOUT));
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_release_by_a_device_that_does_not_own_it_fails)
{
    ID3D11Device1 *first = xm_test_device(NULL), *second = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(first, 256, KEYED, NULL), *opened = NULL;
    IDXGIKeyedMutex *mine, *theirs;

    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(second, xm_test_kmt_handle(buffer), &IID_ID3D11Buffer,
                                                  (void **)&opened), S_OK);
    mine = keyed_mutex_of(buffer);
    theirs = keyed_mutex_of(opened);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mine, 1), E_FAIL); /* nobody owns it */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mine, 0, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(theirs, 1), E_FAIL);
    XM_ASSERT_CONTAINS(extmemGetLastErrorMessage(), "does not hold");
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(theirs, 0, 0), WAIT_TIMEOUT);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mine, 1), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mine, 1), E_FAIL); /* released already */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(theirs, 1, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(theirs, 0), S_OK);
    IDXGIKeyedMutex_Release(mine);
    IDXGIKeyedMutex_Release(theirs);
    ID3D11Buffer_Release(opened);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(first);
    ID3D11Device1_Release(second);
}

XM_TEST(test_acquire_by_the_owning_device_does_not_nest)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, KEYED, NULL);
    IDXGIKeyedMutex *mutex = keyed_mutex_of(buffer);

    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 0, INFINITE), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 0, INFINITE), E_FAIL);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 0), S_OK);
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_ownership_belongs_to_the_device_not_the_object)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, KEYED, NULL), *again = NULL;
    IDXGIKeyedMutex *first, *second;

    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, xm_test_kmt_handle(buffer), &IID_ID3D11Buffer,
                                                  (void **)&again), S_OK);
    XM_ASSERT(again != buffer);
    first = keyed_mutex_of(buffer);
    second = keyed_mutex_of(again);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(first, 0, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(second, 2), S_OK);
    IDXGIKeyedMutex_Release(first);
    IDXGIKeyedMutex_Release(second);
    ID3D11Buffer_Release(again);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

struct blocked_acquire {
    IDXGIKeyedMutex *mutex;
    UINT64 key;
    HRESULT hr;
    double acquired_at;
    int done; /* atomic */
};

static void *acquire_thread(void *arg)
{
    struct blocked_acquire *a = arg;

    a->hr = IDXGIKeyedMutex_AcquireSync(a->mutex, a->key, INFINITE);
    a->acquired_at = now_ms();
    if (a->hr == S_OK)
        IDXGIKeyedMutex_ReleaseSync(a->mutex, a->key + 1);
    __atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

XM_TEST(test_acquire_waits_for_the_release_with_its_key)
{
    ID3D11Device1 *first = xm_test_device(NULL), *second = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(first, 256, KEYED, NULL), *opened = NULL;
    IDXGIKeyedMutex *mine, *theirs;
    struct blocked_acquire wait_for_1;
    double released_at;
    pthread_t thread;

    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(second, xm_test_kmt_handle(buffer), &IID_ID3D11Buffer,
                                                  (void **)&opened), S_OK);
    mine = keyed_mutex_of(buffer);
    theirs = keyed_mutex_of(opened);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mine, 0, 0), S_OK);
    wait_for_1 = (struct blocked_acquire){theirs, 1, E_UNEXPECTED, 0, 0};
    XM_ASSERT_EQ(pthread_create(&thread, NULL, acquire_thread, &wait_for_1), 0);
    sleep_ms(40);
    XM_ASSERT(!__atomic_load_n(&wait_for_1.done, __ATOMIC_ACQUIRE));
    /* A release with another key does not hand it over. */
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mine, 7), S_OK);
    sleep_ms(20);
    XM_ASSERT(!__atomic_load_n(&wait_for_1.done, __ATOMIC_ACQUIRE));
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mine, 7, 0), S_OK);
    released_at = now_ms();
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mine, 1), S_OK);
    pthread_join(thread, NULL);
    XM_ASSERT_HR(wait_for_1.hr, S_OK);
    XM_ASSERT(wait_for_1.acquired_at >= released_at);
    /* The thread released with 2. */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mine, 2, 1000), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mine, 0), S_OK);
    IDXGIKeyedMutex_Release(mine);
    IDXGIKeyedMutex_Release(theirs);
    ID3D11Buffer_Release(opened);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(first);
    ID3D11Device1_Release(second);
}

/* ---- keyed mutex: the ping-pong of NVIDIA's sample ------------------------ */

/*
 * Two sides hand a shared buffer back and forth: the CUDA side acquires
 * key 2r, checks what the D3D11 side wrote, writes its own pattern and
 * releases with 2r+1; the D3D11 side acquires 2r+1, checks, writes and
 * releases with 2r+2. A side that finds the wrong data counts a failure.
 */
struct ping_pong {
    /* D3D11 side (its own device) */
    ID3D11Device1 *device;
    ID3D11DeviceContext *context;
    ID3D11Buffer *buffer, *staging;
    IDXGIKeyedMutex *mutex;
    /* CUDA side */
    cudaExternalSemaphore_t semaphore;
    uint32_t *mapped;
    int failures, rounds_done;
    char failure[256];
};

static void ping_pong_fail(struct ping_pong *p, const char *what, int round)
{
    if (__atomic_fetch_add(&p->failures, 1, __ATOMIC_RELAXED) == 0)
        snprintf(p->failure, sizeof(p->failure), "round %d: %s (%s)", round, what, extmemGetLastErrorMessage());
}

static void *cuda_side(void *arg)
{
    struct ping_pong *p = arg;
    uint32_t words[WORDS];

    for (int r = 0; r < PING_PONG_ROUNDS && !__atomic_load_n(&p->failures, __ATOMIC_RELAXED); r++) {
        if (cuda_acquire(p->semaphore, 2ull * r, 10000) != cudaSuccess) {
            ping_pong_fail(p, "CUDA acquire", r);
            break;
        }
        if (cudaMemcpy(words, p->mapped, sizeof(words), cudaMemcpyDeviceToHost) != cudaSuccess ||
            (r > 0 && !holds(words, 2u * r - 1)))
            ping_pong_fail(p, "CUDA side read data the D3D11 side did not write", r);
        fill(words, 2u * r);
        if (cudaMemcpy(p->mapped, words, sizeof(words), cudaMemcpyHostToDevice) != cudaSuccess)
            ping_pong_fail(p, "CUDA write", r);
        if (cuda_release(p->semaphore, 2ull * r + 1) != cudaSuccess) {
            ping_pong_fail(p, "CUDA release", r);
            break;
        }
    }
    return NULL;
}

static void *d3d11_side(void *arg)
{
    struct ping_pong *p = arg;
    uint32_t words[WORDS];

    for (int r = 0; r < PING_PONG_ROUNDS && !__atomic_load_n(&p->failures, __ATOMIC_RELAXED); r++) {
        D3D11_MAPPED_SUBRESOURCE map;

        if (IDXGIKeyedMutex_AcquireSync(p->mutex, 2ull * r + 1, 10000) != S_OK) {
            ping_pong_fail(p, "D3D11 acquire", r);
            break;
        }
        ID3D11DeviceContext_CopyResource(p->context, (ID3D11Resource *)p->staging, (ID3D11Resource *)p->buffer);
        if (FAILED(ID3D11DeviceContext_Map(p->context, (ID3D11Resource *)p->staging, 0, D3D11_MAP_READ, 0, &map)) ||
            !holds(map.pData, 2u * r))
            ping_pong_fail(p, "D3D11 side read data the CUDA side did not write", r);
        else
            ID3D11DeviceContext_Unmap(p->context, (ID3D11Resource *)p->staging, 0);
        fill(words, 2u * r + 1);
        ID3D11DeviceContext_UpdateSubresource(p->context, (ID3D11Resource *)p->buffer, 0, NULL, words, 0, 0);
        if (IDXGIKeyedMutex_ReleaseSync(p->mutex, 2ull * r + 2) != S_OK) {
            ping_pong_fail(p, "D3D11 release", r);
            break;
        }
        __atomic_store_n(&p->rounds_done, r + 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* Creates the buffer on one device, opens it on a second (the D3D11 side),
 * and imports memory and keyed mutex on the CUDA side with `type`. */
static void ping_pong_run(enum cudaExternalSemaphoreHandleType type)
{
    struct xm_test_census before;
    ID3D11Device1 *creator = xm_test_device(NULL);
    struct ping_pong p;
    cudaExternalMemory_t memory = NULL;
    cudaExternalMemoryBufferDesc map_desc;
    pthread_t threads[2];
    ID3D11Buffer *buffer;
    HANDLE handle;

    xm_test_census(&before);
    memset(&p, 0, sizeof(p));
    p.device = xm_test_device(&p.context);
    if (type == cudaExternalSemaphoreHandleTypeKeyedMutex) {
        buffer = xm_test_buffer(creator, WORDS * 4, KEYED_NT, NULL);
        handle = xm_test_nt_handle(buffer, RW, NULL);
        XM_ASSERT_HR(ID3D11Device1_OpenSharedResource1(p.device, handle, &IID_ID3D11Buffer, (void **)&p.buffer), S_OK);
        XM_ASSERT_CUDA(xm_test_import(&memory, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, WORDS * 4),
                       cudaSuccess);
    } else {
        buffer = xm_test_buffer(creator, WORDS * 4, KEYED, NULL);
        handle = xm_test_kmt_handle(buffer);
        XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(p.device, handle, &IID_ID3D11Buffer, (void **)&p.buffer), S_OK);
        XM_ASSERT_CUDA(xm_test_import(&memory, cudaExternalMemoryHandleTypeD3D11ResourceKmt, handle, NULL, WORDS * 4),
                       cudaSuccess);
    }
    XM_ASSERT_CUDA(import_semaphore(&p.semaphore, type, handle, NULL), cudaSuccess);
    if (type == cudaExternalSemaphoreHandleTypeKeyedMutex)
        XM_ASSERT(CloseHandle(handle)); /* the imports hold their own references */
    ID3D11Buffer_Release(buffer);
    memset(&map_desc, 0, sizeof(map_desc));
    map_desc.size = WORDS * 4;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&p.mapped, memory, &map_desc), cudaSuccess);
    p.staging = staging_buffer(p.device, WORDS * 4);
    p.mutex = keyed_mutex_of(p.buffer);

    XM_ASSERT_EQ(pthread_create(&threads[0], NULL, cuda_side, &p), 0);
    XM_ASSERT_EQ(pthread_create(&threads[1], NULL, d3d11_side, &p), 0);
    pthread_join(threads[0], NULL);
    pthread_join(threads[1], NULL);
    XM_ASSERT_MSG(p.failures == 0, "%d failures, first: %s", p.failures, p.failure);
    XM_ASSERT_EQ(p.rounds_done, PING_PONG_ROUNDS);
    /* The last release was the D3D11 side's, with 2 * ROUNDS. */
    XM_ASSERT_CUDA(cuda_acquire(p.semaphore, 2ull * PING_PONG_ROUNDS, 0), cudaSuccess);
    {
        uint32_t words[WORDS]; /* through CUDA: on the cuda backend, mapped is device memory */

        XM_ASSERT_CUDA(cudaMemcpy(words, p.mapped, sizeof(words), cudaMemcpyDeviceToHost), cudaSuccess);
        XM_ASSERT(holds(words, 2u * PING_PONG_ROUNDS - 1));
    }
    XM_ASSERT_CUDA(cuda_release(p.semaphore, 0), cudaSuccess);

    IDXGIKeyedMutex_Release(p.mutex);
    ID3D11Buffer_Release(p.staging);
    ID3D11Buffer_Release(p.buffer);
    ID3D11DeviceContext_Release(p.context);
    ID3D11Device1_Release(p.device);
    XM_ASSERT_CUDA(cudaFree(p.mapped), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(memory), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(p.semaphore), cudaSuccess);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(creator);
}

/*
 * The same between two processes: a forked child runs the D3D11 side on
 * the objects it inherited (resource memory and keyed-mutex page are
 * MAP_SHARED memfds, so both processes see one mutex and one buffer; the
 * owner is told apart by pid), the parent runs the CUDA side.
 */
XM_TEST(test_ping_pong_between_two_processes)
{
    ID3D11Device1 *creator = xm_test_device(NULL);
    struct ping_pong p;
    cudaExternalMemory_t memory = NULL;
    cudaExternalMemoryBufferDesc map_desc;
    ID3D11Buffer *buffer;
    int status = 0;
    double start;
    pid_t child;
    HANDLE handle;

    /* The child touches the memory through D3D11: CUDA does not survive fork. */
    if (strcmp(extmemGetBackendName(), "host") != 0) {
        ID3D11Device1_Release(creator);
        XM_SKIP("the D3D11 side runs in a forked child, and the cuda backend's memory cannot be used after fork");
    }
    memset(&p, 0, sizeof(p));
    p.device = xm_test_device(&p.context);
    buffer = xm_test_buffer(creator, WORDS * 4, KEYED_NT, NULL);
    handle = xm_test_nt_handle(buffer, RW, NULL);
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource1(p.device, handle, &IID_ID3D11Buffer, (void **)&p.buffer), S_OK);
    XM_ASSERT_CUDA(xm_test_import(&memory, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, WORDS * 4),
                   cudaSuccess);
    XM_ASSERT_CUDA(import_semaphore(&p.semaphore, cudaExternalSemaphoreHandleTypeKeyedMutex, handle, NULL),
                   cudaSuccess);
    XM_ASSERT(CloseHandle(handle));
    memset(&map_desc, 0, sizeof(map_desc));
    map_desc.size = WORDS * 4;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&p.mapped, memory, &map_desc), cudaSuccess);
    p.staging = staging_buffer(p.device, WORDS * 4);
    p.mutex = keyed_mutex_of(p.buffer);

    start = now_ms();
    child = fork();
    XM_ASSERT(child >= 0);
    if (child == 0) {
        d3d11_side(&p);
        if (p.failures)
            fprintf(stderr, "  child: %d failures, first: %s\n", p.failures, p.failure);
        _exit(p.failures || p.rounds_done != PING_PONG_ROUNDS ? 1 : 0);
    }
    cuda_side(&p);
    XM_ASSERT_EQ(waitpid(child, &status, 0), child);
    XM_ASSERT_MSG(p.failures == 0, "%d failures, first: %s", p.failures, p.failure);
    XM_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the D3D11 process failed (status 0x%x)", status);
    printf("  %d rounds (%d handoffs) between two processes: %.1f us a handoff\n", PING_PONG_ROUNDS,
           2 * PING_PONG_ROUNDS, (now_ms() - start) * 1000.0 / (2 * PING_PONG_ROUNDS));
    XM_ASSERT_CUDA(cuda_acquire(p.semaphore, 2ull * PING_PONG_ROUNDS, 0), cudaSuccess);
    {
        uint32_t words[WORDS]; /* through CUDA: on the cuda backend, mapped is device memory */

        XM_ASSERT_CUDA(cudaMemcpy(words, p.mapped, sizeof(words), cudaMemcpyDeviceToHost), cudaSuccess);
        XM_ASSERT(holds(words, 2u * PING_PONG_ROUNDS - 1));
    }
    XM_ASSERT_CUDA(cuda_release(p.semaphore, 0), cudaSuccess);

    IDXGIKeyedMutex_Release(p.mutex);
    ID3D11Buffer_Release(p.staging);
    ID3D11Buffer_Release(p.buffer);
    ID3D11Buffer_Release(buffer);
    ID3D11DeviceContext_Release(p.context);
    ID3D11Device1_Release(p.device);
    XM_ASSERT_CUDA(cudaFree(p.mapped), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(memory), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(p.semaphore), cudaSuccess);
    ID3D11Device1_Release(creator);
}

XM_TEST(test_ping_pong_cuda_and_d3d11_through_an_nt_handle)
{
    ping_pong_run(cudaExternalSemaphoreHandleTypeKeyedMutex);
}

XM_TEST(test_ping_pong_cuda_and_d3d11_through_a_kmt_handle)
{
    ping_pong_run(cudaExternalSemaphoreHandleTypeKeyedMutexKmt);
}

/* ---- keyed mutex: CUDA side --------------------------------------------- */

XM_TEST(test_cuda_keyed_mutex_wait_times_out_with_cuda_error_timeout)
{
    struct xm_test_census before;
    ID3D11Device1 *device = xm_test_device(NULL);
    cudaExternalSemaphore_t semaphore = NULL;
    ID3D11Buffer *buffer;
    IDXGIKeyedMutex *mutex;
    double start;

    xm_test_census(&before);
    buffer = xm_test_buffer(device, 256, KEYED, NULL);
    mutex = keyed_mutex_of(buffer);
    XM_ASSERT_CUDA(import_semaphore(&semaphore, cudaExternalSemaphoreHandleTypeKeyedMutexKmt,
                                    xm_test_kmt_handle(buffer), NULL), cudaSuccess);
    start = now_ms();
    XM_ASSERT_CUDA(cuda_acquire(semaphore, 4, 25), cudaErrorTimeout);
    XM_ASSERT(now_ms() - start >= 24);
    XM_ASSERT_CUDA(cuda_acquire(semaphore, 4, 0), cudaErrorTimeout);
    /* Not held: a signal is refused and changes nothing. */
    XM_ASSERT_CUDA(cuda_release(semaphore, 4), cudaErrorIllegalState);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 0, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 4), S_OK);
    XM_ASSERT_CUDA(cuda_acquire(semaphore, 4, 0), cudaSuccess);
    XM_ASSERT_CUDA(cuda_acquire(semaphore, 4, 0), cudaErrorIllegalState); /* no nesting */
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 9), E_FAIL);        /* the import owns it */
    XM_ASSERT_CUDA(cuda_release(semaphore, 9), cudaSuccess);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 9, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 0), S_OK);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(semaphore), cudaSuccess);
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Buffer_Release(buffer);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

XM_TEST(test_cuda_wait_that_fails_part_way_gives_back_what_it_took)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *a = xm_test_buffer(device, 256, KEYED, NULL), *b = xm_test_buffer(device, 256, KEYED, NULL);
    cudaExternalSemaphore_t semaphores[2] = {NULL, NULL};
    cudaExternalSemaphoreWaitParams params[2];
    IDXGIKeyedMutex *mutex_a = keyed_mutex_of(a);

    XM_ASSERT_CUDA(import_semaphore(&semaphores[0], cudaExternalSemaphoreHandleTypeKeyedMutexKmt,
                                    xm_test_kmt_handle(a), NULL), cudaSuccess);
    XM_ASSERT_CUDA(import_semaphore(&semaphores[1], cudaExternalSemaphoreHandleTypeKeyedMutexKmt,
                                    xm_test_kmt_handle(b), NULL), cudaSuccess);
    memset(params, 0, sizeof(params));
    params[0].params.keyedMutex.key = 0; /* available */
    params[1].params.keyedMutex.key = 3; /* never released with 3 */
    params[1].params.keyedMutex.timeoutMs = 10;
    XM_ASSERT_CUDA(cudaWaitExternalSemaphoresAsync(semaphores, params, 2, 0), cudaErrorTimeout);
    /* a is released with key 0 again, as before the call. */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex_a, 0, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex_a, 0), S_OK);
    params[1].params.keyedMutex.key = 0;
    XM_ASSERT_CUDA(cudaWaitExternalSemaphoresAsync(semaphores, params, 2, 0), cudaSuccess);
    XM_ASSERT_CUDA(cuda_release(semaphores[0], 0), cudaSuccess);
    XM_ASSERT_CUDA(cuda_release(semaphores[1], 0), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(semaphores[0]), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(semaphores[1]), cudaSuccess);
    IDXGIKeyedMutex_Release(mutex_a);
    ID3D11Buffer_Release(a);
    ID3D11Buffer_Release(b);
    ID3D11Device1_Release(device);
}

XM_TEST(test_destroying_an_import_that_holds_the_mutex_abandons_it)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, KEYED, NULL);
    IDXGIKeyedMutex *mutex = keyed_mutex_of(buffer);
    cudaExternalSemaphore_t semaphore = NULL;

    XM_ASSERT_CUDA(import_semaphore(&semaphore, cudaExternalSemaphoreHandleTypeKeyedMutexKmt,
                                    xm_test_kmt_handle(buffer), NULL), cudaSuccess);
    XM_ASSERT_CUDA(cuda_acquire(semaphore, 0, 0), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(semaphore), cudaSuccess);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 0, INFINITE), WAIT_ABANDONED);
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_a_device_destroyed_holding_the_mutex_abandons_it)
{
    struct xm_test_census before;
    ID3D11Device1 *first = xm_test_device(NULL), *second = xm_test_device(NULL);
    ID3D11Buffer *buffer, *opened = NULL;
    IDXGIKeyedMutex *mine, *theirs;

    xm_test_census(&before);
    buffer = xm_test_buffer(first, 256, KEYED, NULL);
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(second, xm_test_kmt_handle(buffer), &IID_ID3D11Buffer,
                                                  (void **)&opened), S_OK);
    mine = keyed_mutex_of(buffer);
    theirs = keyed_mutex_of(opened);
    /* Held and released: nothing to abandon. */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mine, 0, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mine, 1), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(theirs, 1, 0), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(theirs, 2), S_OK);
    /* Held when the device goes (its objects first, then the device). */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mine, 2, 0), S_OK);
    IDXGIKeyedMutex_Release(mine);
    ID3D11Buffer_Release(buffer);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(theirs, 3, 0), WAIT_TIMEOUT); /* the device lives: still held */
    ID3D11Device1_Release(first);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(theirs, 3, INFINITE), WAIT_ABANDONED);
    IDXGIKeyedMutex_Release(theirs);
    ID3D11Buffer_Release(opened);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(second);
}

/* ---- abandonment by a dead process ---------------------------------------- */

/* Forks a child that takes the mutex (the memfd page is shared through
 * fork), tells the parent on `ready`, then dies after `die_after_ms`
 * (0: waits to be killed). Returns the child's pid. */
static pid_t child_holding(IDXGIKeyedMutex *mutex, UINT64 key, unsigned die_after_ms)
{
    int ready[2];
    pid_t pid;
    char byte = 0;

    XM_ASSERT_EQ(pipe(ready), 0);
    pid = fork();
    XM_ASSERT(pid >= 0);
    if (pid == 0) {
        byte = IDXGIKeyedMutex_AcquireSync(mutex, key, 5000) == S_OK ? 1 : 2;
        if (write(ready[1], &byte, 1) != 1)
            _exit(3);
        if (die_after_ms)
            sleep_ms(die_after_ms);
        else
            pause();
        raise(SIGKILL); /* dies holding the mutex, no cleanup at all */
        _exit(4);
    }
    close(ready[1]);
    XM_ASSERT_EQ(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    XM_ASSERT_EQ(byte, 1);
    return pid;
}

XM_TEST(test_a_pid_names_the_owner_only_with_its_start_time)
{
    uint64_t start = xm_self_start_time();

    XM_ASSERT(start != 0);
    XM_ASSERT_EQ(start, xm_process_start_time((uint32_t)getpid()));
    XM_ASSERT(xm_process_is_alive((uint32_t)getpid(), start));
    XM_ASSERT(xm_process_is_alive((uint32_t)getpid(), 0));
    /* The same pid with another start time is another (later) process. */
    XM_ASSERT(!xm_process_is_alive((uint32_t)getpid(), start + 1));
    XM_ASSERT(!xm_process_is_alive(0, 0));
}

XM_TEST(test_acquire_after_the_owner_was_killed_returns_wait_abandoned)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, KEYED, NULL);
    IDXGIKeyedMutex *mutex = keyed_mutex_of(buffer);
    cudaExternalSemaphore_t semaphore = NULL;
    int status = 0;
    pid_t child;

    XM_ASSERT_CUDA(import_semaphore(&semaphore, cudaExternalSemaphoreHandleTypeKeyedMutexKmt,
                                    xm_test_kmt_handle(buffer), NULL), cudaSuccess);
    child = child_holding(mutex, 0, 0);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 1, 0), WAIT_TIMEOUT); /* alive: held */
    XM_ASSERT_EQ(kill(child, SIGKILL), 0);
    XM_ASSERT_EQ(waitpid(child, &status, 0), child);
    XM_ASSERT(WIFSIGNALED(status));
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 1, 0), WAIT_ABANDONED);
    /* It stays abandoned, whatever the key, for every side. */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 0, INFINITE), WAIT_ABANDONED);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 0), E_FAIL);
    XM_ASSERT_CUDA(cuda_acquire(semaphore, 1, 100), cudaErrorExternalDevice);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(semaphore), cudaSuccess);
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_a_blocked_acquire_learns_of_the_owner_death_and_does_not_hang)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, KEYED, NULL);
    IDXGIKeyedMutex *mutex = keyed_mutex_of(buffer);
    int status = 0;
    double start, waited;
    pid_t child;

    child = child_holding(mutex, 0, 100);
    start = now_ms();
    /* The child dies unreaped (a zombie) while we wait: still dead. */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 1, INFINITE), WAIT_ABANDONED);
    waited = now_ms() - start;
    XM_ASSERT_MSG(waited < 5000, "noticed the death after %.0f ms", waited);
    XM_ASSERT_EQ(waitpid(child, &status, 0), child);
    XM_ASSERT(WIFSIGNALED(status));
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

/* ---- fences --------------------------------------------------------------- */

XM_TEST(test_fence_holds_the_value_last_signalled)
{
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device = xm_test_device(&context);
    ID3D11DeviceContext4 *context4 = context4_of(context);
    ID3D11Device *owner = NULL;
    ID3D11Fence *fence;

    xm_test_census(&before);
    fence = create_fence(device, 5, D3D11_FENCE_FLAG_NONE);
    XM_ASSERT_EQ(ID3D11Fence_GetCompletedValue(fence), 5);
    XM_ASSERT_HR(ID3D11DeviceContext4_Signal(context4, fence, 9), S_OK);
    XM_ASSERT_EQ(ID3D11Fence_GetCompletedValue(fence), 9);
    /* D3D11 fences may be set lower as well. */
    XM_ASSERT_HR(ID3D11DeviceContext4_Signal(context4, fence, 2), S_OK);
    XM_ASSERT_EQ(ID3D11Fence_GetCompletedValue(fence), 2);
    ID3D11Fence_GetDevice(fence, &owner);
    XM_ASSERT_PTR_EQ(owner, device);
    ID3D11Device_Release(owner);
    /* SetEventOnCompletion(NULL) on a value reached returns at once. */
    XM_ASSERT_HR(ID3D11Fence_SetEventOnCompletion(fence, 1, NULL), S_OK);
    ID3D11Fence_Release(fence);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11DeviceContext4_Release(context4);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
}

XM_TEST(test_shared_fence_opens_on_another_device_by_handle)
{
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *first = xm_test_device(&context), *second = xm_test_device(NULL);
    ID3D11DeviceContext4 *context4 = context4_of(context);
    ID3D11Device5 *second5 = device5_of(second);
    ID3D11Fence *fence, *opened = NULL;
    HANDLE handle;

    xm_test_census(&before);
    fence = create_fence(first, 0, D3D11_FENCE_FLAG_SHARED);
    handle = fence_handle(fence, L"Local\\extmem-test-fence");
    XM_ASSERT_HR(ID3D11Device5_OpenSharedFence(second5, handle, &IID_ID3D11Fence, (void **)&opened), S_OK);
    XM_ASSERT(CloseHandle(handle));
    ID3D11Fence_Release(fence); /* the opened one keeps the fence */
    XM_ASSERT_HR(ID3D11DeviceContext4_Signal(context4, opened, 42), S_OK);
    XM_ASSERT_EQ(ID3D11Fence_GetCompletedValue(opened), 42);
    ID3D11Fence_Release(opened);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device5_Release(second5);
    ID3D11DeviceContext4_Release(context4);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(first);
    ID3D11Device1_Release(second);
}

XM_TEST(test_fence_bad_inputs)
{
    struct xm_test_census before;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Device5 *device5 = device5_of(device);
    ID3D11Fence *fence, *shared, *out = (ID3D11Fence *)(uintptr_t)1;
    ID3D11Buffer *buffer;
    HANDLE handle = (HANDLE)(uintptr_t)1, resource_handle;

    xm_test_census(&before);
    XM_ASSERT_HR(ID3D11Device5_CreateFence(device5, 0, (D3D11_FENCE_FLAG)0x10, &IID_ID3D11Fence, (void **)&out),
                 E_INVALIDARG);
    XM_ASSERT_NULL(out);
    XM_ASSERT_HR(ID3D11Device5_CreateFence(device5, 0, D3D11_FENCE_FLAG_SHARED_CROSS_ADAPTER, &IID_ID3D11Fence,
                                           (void **)&out), E_INVALIDARG);
    XM_ASSERT_HR(ID3D11Device5_CreateFence(device5, 0, D3D11_FENCE_FLAG_NONE, NULL, (void **)&out), E_INVALIDARG);
    XM_ASSERT_HR(ID3D11Device5_CreateFence(device5, 0, D3D11_FENCE_FLAG_NONE, &IID_ID3D11Fence, NULL), E_INVALIDARG);
    XM_ASSERT_HR(ID3D11Device5_CreateFence(device5, 0, D3D11_FENCE_FLAG_NONE, &IID_ID3D11Buffer, (void **)&out),
                 E_NOINTERFACE);
    XM_ASSERT_NULL(out);
    fence = create_fence(device, 0, D3D11_FENCE_FLAG_NONE);
    XM_ASSERT_HR(ID3D11Fence_CreateSharedHandle(fence, NULL, GENERIC_ALL, NULL, &handle), E_INVALIDARG);
    XM_ASSERT_NULL(handle);
    shared = create_fence(device, 0, D3D11_FENCE_FLAG_SHARED);
    XM_ASSERT_HR(ID3D11Fence_CreateSharedHandle(shared, NULL, DXGI_SHARED_RESOURCE_READ, NULL, &handle),
                 E_INVALIDARG);
    XM_ASSERT_HR(ID3D11Fence_CreateSharedHandle(shared, NULL, GENERIC_ALL, L"", &handle), E_INVALIDARG);
    XM_ASSERT_HR(ID3D11Fence_CreateSharedHandle(shared, NULL, GENERIC_ALL, NULL, NULL), E_INVALIDARG);
    handle = fence_handle(shared, L"Local\\extmem-test-fence-name");
    XM_ASSERT_HR(ID3D11Fence_CreateSharedHandle(fence, NULL, GENERIC_ALL, L"Local\\extmem-test-fence-name",
                                                &resource_handle), E_INVALIDARG); /* not shared: checked first */
    {
        HANDLE second = NULL;
        ID3D11Fence *other = create_fence(device, 0, D3D11_FENCE_FLAG_SHARED);

        XM_ASSERT_HR(ID3D11Fence_CreateSharedHandle(other, NULL, GENERIC_ALL, L"Local\\extmem-test-fence-name",
                                                    &second), DXGI_ERROR_NAME_ALREADY_EXISTS);
        ID3D11Fence_Release(other);
    }
    /* OpenSharedFence takes fence NT handles only. */
    buffer = xm_test_buffer(device, 64, SHARED_NT, NULL);
    resource_handle = xm_test_nt_handle(buffer, RW, NULL);
    out = (ID3D11Fence *)(uintptr_t)1;
    XM_ASSERT_HR(ID3D11Device5_OpenSharedFence(device5, resource_handle, &IID_ID3D11Fence, (void **)&out),
                 E_INVALIDARG);
    XM_ASSERT_NULL(out);
    XM_ASSERT_HR(ID3D11Device5_OpenSharedFence(device5, (HANDLE)(uintptr_t)0x7ffff0, &IID_ID3D11Fence,
                                               (void **)&out), E_INVALIDARG);
    XM_ASSERT_HR(ID3D11Device5_OpenSharedFence(device5, handle, &IID_ID3D11Fence, NULL), E_INVALIDARG);
    /* A fence handle is not a resource. */
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource1(device, handle, &IID_ID3D11Buffer, (void **)&out), E_INVALIDARG);
    XM_ASSERT(CloseHandle(handle));
    XM_ASSERT(CloseHandle(resource_handle));
    ID3D11Buffer_Release(buffer);
    ID3D11Fence_Release(fence);
    ID3D11Fence_Release(shared);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device5_Release(device5);
    ID3D11Device1_Release(device);
}

struct fence_waiter {
    ID3D11Fence *fence;
    UINT64 value;
    HRESULT hr;
    UINT64 seen;
};

static void *fence_wait_thread(void *arg)
{
    struct fence_waiter *w = arg;

    w->hr = ID3D11Fence_SetEventOnCompletion(w->fence, w->value, NULL);
    w->seen = ID3D11Fence_GetCompletedValue(w->fence);
    return NULL;
}

XM_TEST(test_null_event_blocks_until_the_fence_is_signalled_from_another_thread)
{
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device = xm_test_device(&context);
    ID3D11DeviceContext4 *context4 = context4_of(context);
    ID3D11Fence *fence = create_fence(device, 0, D3D11_FENCE_FLAG_NONE);
    struct fence_waiter waiter = {fence, 10, E_UNEXPECTED, 0};
    pthread_t thread;

    XM_ASSERT_EQ(pthread_create(&thread, NULL, fence_wait_thread, &waiter), 0);
    sleep_ms(20);
    XM_ASSERT_HR(ID3D11DeviceContext4_Signal(context4, fence, 9), S_OK); /* not yet */
    sleep_ms(20);
    XM_ASSERT_HR(ID3D11DeviceContext4_Signal(context4, fence, 10), S_OK);
    pthread_join(thread, NULL);
    XM_ASSERT_HR(waiter.hr, S_OK);
    XM_ASSERT(waiter.seen >= 10);
    ID3D11Fence_Release(fence);
    ID3D11DeviceContext4_Release(context4);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
}

XM_TEST(test_set_event_on_completion_signals_the_event)
{
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device = xm_test_device(&context);
    ID3D11DeviceContext4 *context4 = context4_of(context);
    ID3D11Fence *fence;
    HANDLE event, manual;

    xm_test_census(&before);
    fence = create_fence(device, 1, D3D11_FENCE_FLAG_NONE);
    event = CreateEventW(NULL, FALSE, FALSE, NULL);
    manual = CreateEventW(NULL, TRUE, FALSE, NULL);
    XM_ASSERT(event && manual);
    XM_ASSERT_HR(ID3D11Fence_SetEventOnCompletion(fence, 3, event), S_OK);
    XM_ASSERT_HR(ID3D11Fence_SetEventOnCompletion(fence, 4, manual), S_OK);
    XM_ASSERT_EQ(WaitForSingleObject(event, 0), WAIT_TIMEOUT);
    XM_ASSERT_EQ(WaitForSingleObject(event, 20), WAIT_TIMEOUT);
    XM_ASSERT_HR(ID3D11DeviceContext4_Signal(context4, fence, 3), S_OK);
    XM_ASSERT_EQ(WaitForSingleObject(event, INFINITE), WAIT_OBJECT_0);
    XM_ASSERT_EQ(WaitForSingleObject(event, 0), WAIT_TIMEOUT); /* auto-reset: taken */
    XM_ASSERT_EQ(WaitForSingleObject(manual, 0), WAIT_TIMEOUT);
    XM_ASSERT_HR(ID3D11DeviceContext4_Signal(context4, fence, 4), S_OK);
    XM_ASSERT_EQ(WaitForSingleObject(manual, 0), WAIT_OBJECT_0);
    XM_ASSERT_EQ(WaitForSingleObject(manual, 0), WAIT_OBJECT_0); /* manual: stays */
    XM_ASSERT(ResetEvent(manual));
    XM_ASSERT_EQ(WaitForSingleObject(manual, 0), WAIT_TIMEOUT);
    /* A value already reached sets the event at once. */
    XM_ASSERT_HR(ID3D11Fence_SetEventOnCompletion(fence, 2, event), S_OK);
    XM_ASSERT_EQ(WaitForSingleObject(event, 0), WAIT_OBJECT_0);
    /* An event still pending when the fence dies is dropped, not leaked;
     * one whose handle was closed first lives until then. */
    XM_ASSERT_HR(ID3D11Fence_SetEventOnCompletion(fence, 100, event), S_OK);
    XM_ASSERT(CloseHandle(event));
    XM_ASSERT(SetEvent(manual));
    XM_ASSERT_EQ(WaitForSingleObject(manual, INFINITE), WAIT_OBJECT_0);
    /* Bad handles. */
    XM_ASSERT_HR(ID3D11Fence_SetEventOnCompletion(fence, 100, event), E_INVALIDARG);
    XM_ASSERT_EQ(WaitForSingleObject(event, 0), WAIT_FAILED);
    XM_ASSERT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    XM_ASSERT(!SetEvent(event));
    XM_ASSERT_NULL(CreateEventW(NULL, FALSE, FALSE, L"named"));
    XM_ASSERT_EQ(GetLastError(), ERROR_NOT_SUPPORTED);
    XM_ASSERT(CloseHandle(manual));
    ID3D11Fence_Release(fence);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11DeviceContext4_Release(context4);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
}

struct delayed_signal {
    ID3D11DeviceContext4 *context; /* of another device */
    ID3D11Fence *fence;
    UINT64 value;
    unsigned delay_ms;
};

static void *delayed_signal_thread(void *arg)
{
    struct delayed_signal *d = arg;

    sleep_ms(d->delay_ms);
    ID3D11DeviceContext4_Signal(d->context, d->fence, d->value);
    return NULL;
}

XM_TEST(test_context_wait_returns_at_once_and_holds_back_later_work)
{
    ID3D11DeviceContext *context = NULL, *other_context = NULL;
    ID3D11Device1 *device = xm_test_device(&context), *other = xm_test_device(&other_context);
    ID3D11DeviceContext4 *context4 = context4_of(context), *other4 = context4_of(other_context);
    ID3D11Fence *fence = create_fence(device, 0, D3D11_FENCE_FLAG_SHARED), *opened = NULL;
    ID3D11Device5 *other5 = device5_of(other);
    ID3D11Buffer *staging = staging_buffer(device, 64);
    D3D11_MAPPED_SUBRESOURCE map;
    struct delayed_signal signal;
    pthread_t thread;
    HANDLE handle;
    double start;

    handle = fence_handle(fence, NULL);
    XM_ASSERT_HR(ID3D11Device5_OpenSharedFence(other5, handle, &IID_ID3D11Fence, (void **)&opened), S_OK);
    XM_ASSERT(CloseHandle(handle));
    start = now_ms();
    XM_ASSERT_HR(ID3D11DeviceContext4_Wait(context4, fence, 2), S_OK);
    XM_ASSERT(now_ms() - start < 1000); /* queued, not blocking */
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging, 0, D3D11_MAP_READ,
                                         D3D11_MAP_FLAG_DO_NOT_WAIT, &map), DXGI_ERROR_WAS_STILL_DRAWING);
    signal = (struct delayed_signal){other4, opened, 2, 40};
    XM_ASSERT_EQ(pthread_create(&thread, NULL, delayed_signal_thread, &signal), 0);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging, 0, D3D11_MAP_READ, 0, &map), S_OK);
    XM_ASSERT(ID3D11Fence_GetCompletedValue(fence) >= 2);
    ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)staging, 0);
    pthread_join(thread, NULL);
    /* A wait already met queues nothing. */
    XM_ASSERT_HR(ID3D11DeviceContext4_Wait(context4, fence, 1), S_OK);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging, 0, D3D11_MAP_READ,
                                         D3D11_MAP_FLAG_DO_NOT_WAIT, &map), S_OK);
    ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)staging, 0);
    /* A wait still queued when the device goes is dropped (no leak). */
    XM_ASSERT_HR(ID3D11DeviceContext4_Wait(context4, fence, 1000), S_OK);
    XM_ASSERT_HR(ID3D11DeviceContext4_Signal(context4, NULL, 1), E_INVALIDARG);
    XM_ASSERT_HR(ID3D11DeviceContext4_Wait(context4, (ID3D11Fence *)staging, 1), E_INVALIDARG);
    ID3D11Buffer_Release(staging);
    ID3D11Fence_Release(opened);
    ID3D11Fence_Release(fence);
    ID3D11Device5_Release(other5);
    ID3D11DeviceContext4_Release(other4);
    ID3D11DeviceContext_Release(other_context);
    ID3D11Device1_Release(other);
    ID3D11DeviceContext4_Release(context4);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
}

/* ---- fences: CUDA side ------------------------------------------------------ */

struct fence_ping_pong {
    ID3D11DeviceContext4 *context;
    ID3D11Fence *fence;
    ID3D11Buffer *buffer, *staging;
    ID3D11DeviceContext *context0;
    cudaExternalSemaphore_t semaphore;
    uint32_t *mapped;
    int failures;
    char failure[256];
};

static void fence_fail(struct fence_ping_pong *p, const char *what, int round)
{
    if (__atomic_fetch_add(&p->failures, 1, __ATOMIC_RELAXED) == 0)
        snprintf(p->failure, sizeof(p->failure), "round %d: %s (%s)", round, what, extmemGetLastErrorMessage());
}

/* CUDA: waits 2r+1, checks D3D11's data, writes its own, signals 2r+2. */
static void *fence_cuda_side(void *arg)
{
    struct fence_ping_pong *p = arg;
    uint32_t words[WORDS];

    for (int r = 0; r < PING_PONG_ROUNDS && !__atomic_load_n(&p->failures, __ATOMIC_RELAXED); r++) {
        if (cuda_fence_wait(p->semaphore, 2ull * r + 1) != cudaSuccess)
            fence_fail(p, "CUDA wait", r);
        if (cudaMemcpy(words, p->mapped, sizeof(words), cudaMemcpyDeviceToHost) != cudaSuccess ||
            !holds(words, 2u * r + 1))
            fence_fail(p, "CUDA side read data the D3D11 side did not write", r);
        fill(words, 2u * r + 2);
        if (cudaMemcpy(p->mapped, words, sizeof(words), cudaMemcpyHostToDevice) != cudaSuccess ||
            cuda_fence_signal(p->semaphore, 2ull * r + 2) != cudaSuccess)
            fence_fail(p, "CUDA write or signal", r);
    }
    return NULL;
}

/* D3D11: writes, signals 2r+1 on its context, waits 2r+2, checks. */
static void *fence_d3d11_side(void *arg)
{
    struct fence_ping_pong *p = arg;
    uint32_t words[WORDS];

    for (int r = 0; r < PING_PONG_ROUNDS && !__atomic_load_n(&p->failures, __ATOMIC_RELAXED); r++) {
        D3D11_MAPPED_SUBRESOURCE map;

        fill(words, 2u * r + 1);
        ID3D11DeviceContext_UpdateSubresource(p->context0, (ID3D11Resource *)p->buffer, 0, NULL, words, 0, 0);
        if (ID3D11DeviceContext4_Signal(p->context, p->fence, 2ull * r + 1) != S_OK ||
            ID3D11DeviceContext4_Wait(p->context, p->fence, 2ull * r + 2) != S_OK)
            fence_fail(p, "D3D11 signal or wait", r);
        /* The copy runs after the queued wait. */
        ID3D11DeviceContext_CopyResource(p->context0, (ID3D11Resource *)p->staging, (ID3D11Resource *)p->buffer);
        if (FAILED(ID3D11DeviceContext_Map(p->context0, (ID3D11Resource *)p->staging, 0, D3D11_MAP_READ, 0, &map)) ||
            !holds(map.pData, 2u * r + 2))
            fence_fail(p, "D3D11 side read data the CUDA side did not write", r);
        else
            ID3D11DeviceContext_Unmap(p->context0, (ID3D11Resource *)p->staging, 0);
    }
    return NULL;
}

XM_TEST(test_fence_ping_pong_between_cuda_and_d3d11)
{
    struct xm_test_census before;
    struct fence_ping_pong p;
    ID3D11Device1 *device;
    cudaExternalMemory_t memory = NULL;
    cudaExternalMemoryBufferDesc map_desc;
    pthread_t threads[2];
    HANDLE buffer_handle, handle;

    xm_test_census(&before);
    memset(&p, 0, sizeof(p));
    device = xm_test_device(&p.context0);
    p.context = context4_of(p.context0);
    p.fence = create_fence(device, 0, D3D11_FENCE_FLAG_SHARED);
    p.buffer = xm_test_buffer(device, WORDS * 4, SHARED_NT, NULL);
    p.staging = staging_buffer(device, WORDS * 4);
    buffer_handle = xm_test_nt_handle(p.buffer, RW, NULL);
    XM_ASSERT_CUDA(xm_test_import(&memory, cudaExternalMemoryHandleTypeD3D11Resource, buffer_handle, NULL, WORDS * 4),
                   cudaSuccess);
    XM_ASSERT(CloseHandle(buffer_handle));
    memset(&map_desc, 0, sizeof(map_desc));
    map_desc.size = WORDS * 4;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&p.mapped, memory, &map_desc), cudaSuccess);
    /* By name this time; the import keeps the fence after the handle goes. */
    handle = fence_handle(p.fence, L"Local\\extmem-test-fence-ping-pong");
    XM_ASSERT_CUDA(import_semaphore(&p.semaphore, cudaExternalSemaphoreHandleTypeD3D11Fence, NULL,
                                    L"Local\\extmem-test-fence-ping-pong"), cudaSuccess);
    XM_ASSERT(CloseHandle(handle));

    XM_ASSERT_EQ(pthread_create(&threads[0], NULL, fence_cuda_side, &p), 0);
    XM_ASSERT_EQ(pthread_create(&threads[1], NULL, fence_d3d11_side, &p), 0);
    pthread_join(threads[0], NULL);
    pthread_join(threads[1], NULL);
    XM_ASSERT_MSG(p.failures == 0, "%d failures, first: %s", p.failures, p.failure);
    XM_ASSERT_EQ(ID3D11Fence_GetCompletedValue(p.fence), 2ull * PING_PONG_ROUNDS);

    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(p.semaphore), cudaSuccess);
    XM_ASSERT_CUDA(cudaFree(p.mapped), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(memory), cudaSuccess);
    ID3D11Fence_Release(p.fence);
    ID3D11Buffer_Release(p.buffer);
    ID3D11Buffer_Release(p.staging);
    ID3D11DeviceContext4_Release(p.context);
    ID3D11DeviceContext_Release(p.context0);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(device);
}

/* ---- the shared page, mapped twice ------------------------------------------- */

/*
 * What another process does with the page a broker hands it: map the memfd
 * anew. The two views have different addresses, so only shared (not
 * private) futexes carry a wake from one to the other; a lost wake would
 * leave each handoff to the 50 ms owner check, and the rounds below would
 * take seconds instead of milliseconds.
 */
#define VIEW_ROUNDS 400

struct view_side {
    struct xm_keyed_mutex *mutex;
    uint64_t owner, first_key;
    int failures;
};

static void *view_thread(void *arg)
{
    struct view_side *side = arg;

    for (uint64_t r = 0; r < VIEW_ROUNDS; r++) {
        uint64_t key = side->first_key + 2 * r;

        if (xm_keyed_mutex_acquire(side->mutex, key, side->owner, 10000) != XM_KEYED_MUTEX_ACQUIRED ||
            !xm_keyed_mutex_release(side->mutex, key + 1, side->owner))
            side->failures++;
    }
    return NULL;
}

struct view_fence_wait {
    struct xm_fence *fence;
    bool met;
};

static void *view_fence_thread(void *arg)
{
    struct view_fence_wait *w = arg;
    struct timespec deadline;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 10;
    w->met = xm_fence_wait(w->fence, 7, &deadline);
    return NULL;
}

static void count_fire(void *context)
{
    __atomic_add_fetch((int *)context, 1, __ATOMIC_RELEASE);
}

XM_TEST(test_keyed_mutex_and_fence_work_through_a_second_mapping_of_their_page)
{
    struct xm_keyed_mutex first, second;
    struct xm_fence *fence, *view = NULL;
    struct view_side a, b;
    struct view_fence_wait wait;
    pthread_t threads[2];
    int null_fd, fence_fd;
    double start, took;

    XM_ASSERT_HR(xm_keyed_mutex_init(&first), S_OK);
    XM_ASSERT_HR(xm_keyed_mutex_init_from_fd(&second, fcntl(first.page.fd, F_DUPFD_CLOEXEC, 0)), S_OK);
    XM_ASSERT(first.page.map != second.page.map);
    a = (struct view_side){&first, xm_keyed_mutex_new_owner(), 0, 0};
    b = (struct view_side){&second, xm_keyed_mutex_new_owner(), 1, 0};
    start = now_ms();
    XM_ASSERT_EQ(pthread_create(&threads[0], NULL, view_thread, &a), 0);
    XM_ASSERT_EQ(pthread_create(&threads[1], NULL, view_thread, &b), 0);
    pthread_join(threads[0], NULL);
    pthread_join(threads[1], NULL);
    took = now_ms() - start;
    XM_ASSERT_EQ(a.failures + b.failures, 0);
    XM_ASSERT_MSG(took < 5000, "%d handoffs took %.0f ms: wakes do not cross mappings", 2 * VIEW_ROUNDS, took);
    XM_ASSERT_EQ(xm_keyed_mutex_acquire(&second, 2 * VIEW_ROUNDS, b.owner, 0), XM_KEYED_MUTEX_ACQUIRED);
    XM_ASSERT(xm_keyed_mutex_release(&second, 0, b.owner));

    /* The same for a fence: a waiter on one view, a signal on the other. */
    XM_ASSERT_HR(xm_fence_create(0, true, &fence), S_OK);
    XM_ASSERT_HR(xm_fence_create_from_fd(fcntl(fence->page.fd, F_DUPFD_CLOEXEC, 0), true, &view), S_OK);
    wait = (struct view_fence_wait){view, false};
    XM_ASSERT_EQ(pthread_create(&threads[0], NULL, view_fence_thread, &wait), 0);
    sleep_ms(20);
    xm_fence_signal(fence, 7);
    pthread_join(threads[0], NULL);
    XM_ASSERT(wait.met);
    XM_ASSERT_EQ(xm_fence_value(view), 7);

    /* An event-style waiter on one view fires on a signal through the
     * other: the shared fence's watcher sees it. */
    {
        struct xm_fence_waiter *waiter = calloc(1, sizeof(*waiter));
        int fired = 0;
        double deadline = now_ms() + 5000;

        XM_ASSERT_NOT_NULL(waiter);
        waiter->value = 9;
        waiter->fire = count_fire;
        waiter->context = &fired;
        xm_fence_add_waiter(fence, waiter);
        XM_ASSERT_EQ(__atomic_load_n(&fired, __ATOMIC_ACQUIRE), 0);
        xm_fence_signal(view, 9);
        while (!__atomic_load_n(&fired, __ATOMIC_ACQUIRE) && now_ms() < deadline)
            sleep_ms(1);
        XM_ASSERT_EQ(__atomic_load_n(&fired, __ATOMIC_ACQUIRE), 1);
    }

    /* Pages of the wrong kind or size are refused, and the fd stays the caller's. */
    fence_fd = fcntl(fence->page.fd, F_DUPFD_CLOEXEC, 0);
    XM_ASSERT_HR(xm_keyed_mutex_init_from_fd(&second, fence_fd), E_INVALIDARG);
    XM_ASSERT(fcntl(fence_fd, F_GETFD) >= 0);
    close(fence_fd);
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    XM_ASSERT(null_fd >= 0);
    XM_ASSERT_HR(xm_fence_create_from_fd(null_fd, true, &view), E_INVALIDARG);
    XM_ASSERT(fcntl(null_fd, F_GETFD) >= 0);
    close(null_fd);
    XM_ASSERT_HR(xm_keyed_mutex_init_from_fd(&second, -1), E_INVALIDARG);

    xm_fence_unref(wait.fence);
    xm_fence_unref(fence);
    xm_keyed_mutex_finish(&second);
    xm_keyed_mutex_finish(&first);
}

/* ---- work queued before a release (what a GPU stream does) ---------------- */

struct late_store {
    struct xm_keyed_mutex *mutex;
    uint64_t ticket;
    unsigned after_ms;
};

/* Stores the ticket in `done` later, as a GPU stream's cuStreamWriteValue64
 * and host function would. */
static void *store_done_later(void *arg)
{
    struct late_store *late = arg;
    struct xm_keyed_mutex_state *state = late->mutex->page.map;

    sleep_ms(late->after_ms);
    __atomic_store_n(&state->done, late->ticket, __ATOMIC_RELEASE);
    xm_keyed_mutex_wake_work(state);
    return NULL;
}

XM_TEST(test_acquire_waits_for_the_work_queued_before_the_release)
{
    struct xm_keyed_mutex mutex;
    uint64_t a = xm_keyed_mutex_new_owner(), b = xm_keyed_mutex_new_owner(), ticket;
    struct xm_keyed_mutex_handoff handoff;
    struct late_store late;
    pthread_t thread;
    double start, waited;

    XM_ASSERT_HR(xm_keyed_mutex_init(&mutex), S_OK);
    XM_ASSERT_EQ(xm_keyed_mutex_acquire(&mutex, 0, a, 0), XM_KEYED_MUTEX_ACQUIRED);
    ticket = xm_keyed_mutex_next_ticket(&mutex);
    XM_ASSERT(xm_keyed_mutex_release_queued(&mutex, 1, a, ticket));
    /* The key is out, the work is not done: an acquire takes the key and
     * then times out on the work, giving the mutex back as it was. */
    XM_ASSERT_EQ(xm_keyed_mutex_acquire(&mutex, 1, b, 0), XM_KEYED_MUTEX_TIMED_OUT);
    start = now_ms();
    XM_ASSERT_EQ(xm_keyed_mutex_acquire(&mutex, 1, b, 30), XM_KEYED_MUTEX_TIMED_OUT);
    XM_ASSERT(now_ms() - start >= 29);
    XM_ASSERT(!xm_keyed_mutex_is_owned_by(&mutex, b));
    /* Taking without waiting for the work tells which work to wait for. */
    XM_ASSERT_EQ(xm_keyed_mutex_take(&mutex, 1, b, 0, &handoff), XM_KEYED_MUTEX_ACQUIRED);
    XM_ASSERT_EQ(handoff.ticket, ticket);
    XM_ASSERT_EQ(handoff.releaser_pid, getpid());
    XM_ASSERT(!xm_keyed_mutex_work_is_done(&mutex, &handoff));
    xm_keyed_mutex_untake(&mutex, b);
    XM_ASSERT(!xm_keyed_mutex_is_owned_by(&mutex, b));
    XM_ASSERT_EQ(xm_keyed_mutex_take(&mutex, 0, b, 0, &handoff), XM_KEYED_MUTEX_TIMED_OUT); /* still key 1 */

    /* Once the work stores its ticket, the blocked acquire returns. */
    late = (struct late_store){&mutex, ticket, 40};
    XM_ASSERT_EQ(pthread_create(&thread, NULL, store_done_later, &late), 0);
    start = now_ms();
    XM_ASSERT_EQ(xm_keyed_mutex_acquire(&mutex, 1, b, 10000), XM_KEYED_MUTEX_ACQUIRED);
    waited = now_ms() - start;
    pthread_join(thread, NULL);
    XM_ASSERT_MSG(waited >= 35 && waited < 5000, "the acquire returned after %.0f ms", waited);
    /* A host release completes its own work: the next owner does not wait. */
    XM_ASSERT(xm_keyed_mutex_release(&mutex, 2, b));
    XM_ASSERT_EQ(xm_keyed_mutex_take(&mutex, 2, a, 0, &handoff), XM_KEYED_MUTEX_ACQUIRED);
    XM_ASSERT_EQ(handoff.ticket, ticket + 1);
    XM_ASSERT(xm_keyed_mutex_work_is_done(&mutex, &handoff));
    XM_ASSERT(xm_keyed_mutex_release(&mutex, 0, a));
    xm_keyed_mutex_finish(&mutex);
}

XM_TEST(test_a_releaser_that_dies_before_its_work_completes_abandons_the_mutex)
{
    struct xm_keyed_mutex mutex;
    struct xm_keyed_mutex_state *state;
    uint64_t owner = xm_keyed_mutex_new_owner();
    int ready[2], status = 0;
    double start, waited;
    char byte = 0;
    pid_t child;

    XM_ASSERT_HR(xm_keyed_mutex_init(&mutex), S_OK);
    state = mutex.page.map;
    XM_ASSERT_EQ(pipe(ready), 0);
    child = fork();
    XM_ASSERT(child >= 0);
    if (child == 0) {
        uint64_t me = xm_keyed_mutex_new_owner();

        /* Releases with work queued that will never run, and dies. */
        byte = xm_keyed_mutex_acquire(&mutex, 0, me, 5000) == XM_KEYED_MUTEX_ACQUIRED &&
               xm_keyed_mutex_release_queued(&mutex, 1, me, xm_keyed_mutex_next_ticket(&mutex));
        if (write(ready[1], &byte, 1) != 1)
            _exit(3);
        sleep_ms(50);
        raise(SIGKILL);
        _exit(4);
    }
    close(ready[1]);
    XM_ASSERT_EQ(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    XM_ASSERT_EQ(byte, 1);
    start = now_ms();
    XM_ASSERT_EQ(xm_keyed_mutex_acquire(&mutex, 1, owner, INFINITE), XM_KEYED_MUTEX_WAS_ABANDONED);
    waited = now_ms() - start;
    XM_ASSERT_MSG(waited < 5000, "noticed the death after %.0f ms", waited);
    XM_ASSERT_EQ(waitpid(child, &status, 0), child);
    /* The ticket is stored, so that no GPU stream waits for it for ever,
     * and the mutex stays abandoned for everyone. */
    XM_ASSERT_EQ(__atomic_load_n(&state->done, __ATOMIC_ACQUIRE), state->ticket);
    XM_ASSERT_EQ(xm_keyed_mutex_acquire(&mutex, 1, owner, 0), XM_KEYED_MUTEX_WAS_ABANDONED);
    XM_ASSERT_EQ(xm_keyed_mutex_acquire(&mutex, 0, owner, 0), XM_KEYED_MUTEX_WAS_ABANDONED);
    /* Nothing happens for a releaser whose work completed. */
    XM_ASSERT(!xm_keyed_mutex_releaser_died(state, (uint32_t)child, 0));
    xm_keyed_mutex_finish(&mutex);
}

/* ---- bad inputs of the semaphore calls -------------------------------------- */

XM_TEST(test_semaphore_calls_refuse_bad_inputs_and_leave_nothing_behind)
{
    struct xm_test_census before;
    ID3D11Device1 *device = xm_test_device(NULL);
    cudaExternalSemaphoreHandleDesc desc;
    cudaExternalSemaphoreSignalParams signal;
    cudaExternalSemaphoreWaitParams wait;
    cudaExternalSemaphore_t semaphore = NULL, dead = NULL, good = NULL;
    cudaStream_t stream = NULL;
    ID3D11Buffer *keyed_nt, *plain_nt, *keyed_kmt;
    ID3D11Fence *fence;
    HANDLE keyed_handle, plain_handle, fence_nt, kmt, closed;

    keyed_nt = xm_test_buffer(device, 64, KEYED_NT, NULL);
    plain_nt = xm_test_buffer(device, 64, SHARED_NT, NULL);
    keyed_kmt = xm_test_buffer(device, 64, KEYED, NULL);
    fence = create_fence(device, 0, D3D11_FENCE_FLAG_SHARED);
    keyed_handle = xm_test_nt_handle(keyed_nt, RW, L"Local\\extmem-test-keyed");
    plain_handle = xm_test_nt_handle(plain_nt, RW, NULL);
    fence_nt = fence_handle(fence, NULL);
    kmt = xm_test_kmt_handle(keyed_kmt);
    {
        /* closed: an NT handle value that is no longer open */
        ID3D11Buffer *gone = xm_test_buffer(device, 64, KEYED_NT, NULL);

        closed = xm_test_nt_handle(gone, RW, NULL);
        XM_ASSERT(CloseHandle(closed));
        ID3D11Buffer_Release(gone);
    }
    xm_test_census(&before);

#define EXPECT_IMPORT(want, ...)                                                     \
    do {                                                                             \
        memset(&desc, 0, sizeof(desc));                                              \
        __VA_ARGS__;                                                                 \
        semaphore = NULL;                                                            \
        XM_ASSERT_CUDA(cudaImportExternalSemaphore(&semaphore, &desc), want);       \
        XM_ASSERT_NULL(semaphore);                                                   \
        XM_ASSERT(extmemGetLastErrorMessage()[0] != 0);                              \
        XM_ASSERT_NOTHING_LEAKED(before);                                            \
    } while (0)

    /* 1-2: NULL pointers */
    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence;
    desc.handle.win32.handle = fence_nt;
    XM_ASSERT_CUDA(cudaImportExternalSemaphore(NULL, &desc), cudaErrorInvalidValue);
    XM_ASSERT_CUDA(cudaImportExternalSemaphore(&semaphore, NULL), cudaErrorInvalidValue);
    /* 3-6: types */
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = (enum cudaExternalSemaphoreHandleType)0,
                  desc.handle.win32.handle = fence_nt);
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = (enum cudaExternalSemaphoreHandleType)99,
                  desc.handle.win32.handle = fence_nt);
    EXPECT_IMPORT(cudaErrorNotSupported, desc.type = cudaExternalSemaphoreHandleTypeOpaqueFd, desc.handle.fd = 3);
    EXPECT_IMPORT(cudaErrorNotSupported, desc.type = cudaExternalSemaphoreHandleTypeD3D12Fence,
                  desc.handle.win32.handle = fence_nt);
    /* 7-8: flags and reserved */
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence,
                  desc.handle.win32.handle = fence_nt, desc.flags = 1);
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence,
                  desc.handle.win32.handle = fence_nt, desc.reserved[3] = 1);
    /* 9-11: handle and name */
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex,
                  desc.handle.win32.handle = keyed_handle, desc.handle.win32.name = L"Local\\extmem-test-keyed");
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex);
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeKeyedMutexKmt,
                  desc.handle.win32.name = L"Local\\extmem-test-keyed");
    /* 12-19: what the handle names */
    EXPECT_IMPORT(cudaErrorInvalidResourceHandle, desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex,
                  desc.handle.win32.handle = closed);
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex,
                  desc.handle.win32.handle = fence_nt);
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence,
                  desc.handle.win32.handle = keyed_handle);
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex,
                  desc.handle.win32.handle = plain_handle);
    XM_ASSERT_CONTAINS(extmemGetLastErrorMessage(), "SHARED_KEYEDMUTEX");
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex,
                  desc.handle.win32.handle = kmt);
    XM_ASSERT_CONTAINS(extmemGetLastErrorMessage(), "KMT");
    EXPECT_IMPORT(cudaErrorInvalidResourceHandle, desc.type = cudaExternalSemaphoreHandleTypeKeyedMutexKmt,
                  desc.handle.win32.handle = (void *)(uintptr_t)0x40000012u);
    EXPECT_IMPORT(cudaErrorInvalidResourceHandle, desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex,
                  desc.handle.win32.name = L"Local\\no-such-name");
    EXPECT_IMPORT(cudaErrorInvalidValue, desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence,
                  desc.handle.win32.name = L"");
#undef EXPECT_IMPORT

    /* The good ones, for the signal and wait cases. */
    XM_ASSERT_CUDA(import_semaphore(&good, cudaExternalSemaphoreHandleTypeKeyedMutex, NULL,
                                    L"Local\\extmem-test-keyed"), cudaSuccess);
    XM_ASSERT_CUDA(import_semaphore(&dead, cudaExternalSemaphoreHandleTypeD3D11Fence, fence_nt, NULL), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(dead), cudaSuccess);
    /* 20-21: destroy */
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(dead), cudaErrorInvalidResourceHandle);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(NULL), cudaErrorInvalidResourceHandle);
    memset(&signal, 0, sizeof(signal));
    memset(&wait, 0, sizeof(wait));
    /* 22-29: signal and wait */
    XM_ASSERT_CUDA(cudaSignalExternalSemaphoresAsync(NULL, &signal, 1, 0), cudaErrorInvalidValue);
    XM_ASSERT_CUDA(cudaSignalExternalSemaphoresAsync(&good, NULL, 1, 0), cudaErrorInvalidValue);
    XM_ASSERT_CUDA(cudaWaitExternalSemaphoresAsync(NULL, &wait, 1, 0), cudaErrorInvalidValue);
    XM_ASSERT_CUDA(cudaWaitExternalSemaphoresAsync(&dead, &wait, 1, 0), cudaErrorInvalidResourceHandle);
    XM_ASSERT_CUDA(cudaSignalExternalSemaphoresAsync(&dead, &signal, 1, 0), cudaErrorInvalidResourceHandle);
    /* A stream that is not one: the host implementation knows its streams;
     * on the cuda backend streams are CUDA's, which takes them on trust. */
    if (strcmp(extmemGetBackendName(), "host") == 0)
        XM_ASSERT_CUDA(cudaWaitExternalSemaphoresAsync(&good, &wait, 1, (cudaStream_t)(uintptr_t)0x1234),
                       cudaErrorInvalidResourceHandle);
    wait.flags = cudaExternalSemaphoreWaitSkipNvSciBufMemSync;
    XM_ASSERT_CUDA(cudaWaitExternalSemaphoresAsync(&good, &wait, 1, 0), cudaErrorInvalidValue);
    wait.flags = 0;
    wait.reserved[0] = 1;
    XM_ASSERT_CUDA(cudaWaitExternalSemaphoresAsync(&good, &wait, 1, 0), cudaErrorInvalidValue);
    signal.reserved[15] = 1;
    XM_ASSERT_CUDA(cudaSignalExternalSemaphoresAsync(&good, &signal, 1, 0), cudaErrorInvalidValue);
    signal.reserved[15] = 0;
    /* A signal of a mutex the import does not hold changes nothing. */
    XM_ASSERT_CUDA(cudaSignalExternalSemaphoresAsync(&good, &signal, 1, 0), cudaErrorIllegalState);
    /* Nothing to do is fine, on a created stream too. */
    XM_ASSERT_CUDA(cudaStreamCreate(&stream), cudaSuccess);
    XM_ASSERT_CUDA(cudaSignalExternalSemaphoresAsync(NULL, NULL, 0, stream), cudaSuccess);
    wait.reserved[0] = 0;
    XM_ASSERT_CUDA(cudaWaitExternalSemaphoresAsync(&good, &wait, 1, stream), cudaSuccess);
    XM_ASSERT_CUDA(cudaSignalExternalSemaphoresAsync(&good, &signal, 1, stream), cudaSuccess);
    XM_ASSERT_CUDA(cudaStreamDestroy(stream), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(good), cudaSuccess);
    XM_ASSERT_NOTHING_LEAKED(before);

    XM_ASSERT(CloseHandle(keyed_handle));
    XM_ASSERT(CloseHandle(plain_handle));
    XM_ASSERT(CloseHandle(fence_nt));
    ID3D11Buffer_Release(keyed_nt);
    ID3D11Buffer_Release(plain_nt);
    ID3D11Buffer_Release(keyed_kmt);
    ID3D11Fence_Release(fence);
    ID3D11Device1_Release(device);
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_keyed_mutex_exists_only_on_keyedmutex_resources)
    XM_TEST_ENTRY(test_keyed_mutex_starts_released_with_key_zero)
    XM_TEST_ENTRY(test_acquire_times_out_after_the_time_asked)
    XM_TEST_ENTRY(test_release_by_a_device_that_does_not_own_it_fails)
    XM_TEST_ENTRY(test_acquire_by_the_owning_device_does_not_nest)
    XM_TEST_ENTRY(test_ownership_belongs_to_the_device_not_the_object)
    XM_TEST_ENTRY(test_acquire_waits_for_the_release_with_its_key)
    XM_TEST_ENTRY(test_ping_pong_cuda_and_d3d11_through_an_nt_handle)
    XM_TEST_ENTRY(test_ping_pong_cuda_and_d3d11_through_a_kmt_handle)
    XM_TEST_ENTRY(test_ping_pong_between_two_processes)
    XM_TEST_ENTRY(test_cuda_keyed_mutex_wait_times_out_with_cuda_error_timeout)
    XM_TEST_ENTRY(test_cuda_wait_that_fails_part_way_gives_back_what_it_took)
    XM_TEST_ENTRY(test_destroying_an_import_that_holds_the_mutex_abandons_it)
    XM_TEST_ENTRY(test_a_device_destroyed_holding_the_mutex_abandons_it)
    XM_TEST_ENTRY(test_a_pid_names_the_owner_only_with_its_start_time)
    XM_TEST_ENTRY(test_acquire_after_the_owner_was_killed_returns_wait_abandoned)
    XM_TEST_ENTRY(test_a_blocked_acquire_learns_of_the_owner_death_and_does_not_hang)
    XM_TEST_ENTRY(test_fence_holds_the_value_last_signalled)
    XM_TEST_ENTRY(test_shared_fence_opens_on_another_device_by_handle)
    XM_TEST_ENTRY(test_fence_bad_inputs)
    XM_TEST_ENTRY(test_null_event_blocks_until_the_fence_is_signalled_from_another_thread)
    XM_TEST_ENTRY(test_set_event_on_completion_signals_the_event)
    XM_TEST_ENTRY(test_context_wait_returns_at_once_and_holds_back_later_work)
    XM_TEST_ENTRY(test_fence_ping_pong_between_cuda_and_d3d11)
    XM_TEST_ENTRY(test_keyed_mutex_and_fence_work_through_a_second_mapping_of_their_page)
    XM_TEST_ENTRY(test_acquire_waits_for_the_work_queued_before_the_release)
    XM_TEST_ENTRY(test_a_releaser_that_dies_before_its_work_completes_abandons_the_mutex)
    XM_TEST_ENTRY(test_semaphore_calls_refuse_bad_inputs_and_leave_nothing_behind))
