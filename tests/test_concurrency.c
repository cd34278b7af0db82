/*
 * Device methods, handle calls and CUDA-style calls from several threads at
 * once (D3D11 makes the device free-threaded; CUDA's runtime is thread-safe).
 * Run under ThreadSanitizer in CI (label "concurrency").
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "common.h"

#define THREADS 8
#define ROUNDS 200

#define SHARED_NT (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE)
#define RW (DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)

struct shared_state {
    ID3D11Device1 *device;
    HANDLE kmt;              /* a KMT value every thread imports */
    pthread_barrier_t start;
    int failures;            /* atomic */
};

static void note_failure(struct shared_state *state, const char *what, int round)
{
    fprintf(stderr, "  round %d: %s (%s)\n", round, what, extmemGetLastErrorMessage());
    __atomic_add_fetch(&state->failures, 1, __ATOMIC_RELAXED);
}

static ID3D11Buffer *create_buffer(ID3D11Device1 *device, UINT size, UINT misc, const void *data)
{
    D3D11_BUFFER_DESC desc = {size, D3D11_USAGE_DEFAULT, D3D11_BIND_UNORDERED_ACCESS, 0, misc, 0};
    D3D11_SUBRESOURCE_DATA init = {data, 0, 0};
    ID3D11Buffer *buffer = NULL;

    if (FAILED(ID3D11Device1_CreateBuffer(device, &desc, data ? &init : NULL, &buffer)))
        return NULL;
    return buffer;
}

static cudaError_t import(cudaExternalMemory_t *out, enum cudaExternalMemoryHandleType type, HANDLE handle,
                          LPCWSTR name, unsigned long long size)
{
    cudaExternalMemoryHandleDesc desc;

    memset(&desc, 0, sizeof(desc));
    desc.type = type;
    desc.handle.win32.handle = (void *)handle;
    desc.handle.win32.name = (const void *)name;
    desc.size = size;
    desc.flags = cudaExternalMemoryDedicated;
    return cudaImportExternalMemory(out, &desc);
}

/* One round of everything a user does with a shared buffer, on private
 * objects, plus an import of the common KMT value. */
static void *worker(void *arg)
{
    struct shared_state *state = arg;
    int id = (int)((uintptr_t)pthread_self() % 1000);

    pthread_barrier_wait(&state->start);
    for (int round = 0; round < ROUNDS; round++) {
        uint32_t words[64], back[64];
        WCHAR name[64];
        ID3D11Buffer *buffer;
        IDXGIResource1 *dxgi;
        HANDLE handle = NULL, duplicate = NULL;
        cudaExternalMemory_t by_handle = NULL, by_name = NULL, by_kmt = NULL;
        cudaExternalMemoryBufferDesc map;
        void *ptr = NULL;

        for (int i = 0; i < 64; i++)
            words[i] = (uint32_t)(id * 100000 + round * 64 + i);
        swprintf(name, 64, L"extmem-concurrency-%p-%d", (void *)pthread_self(), round);
        buffer = create_buffer(state->device, sizeof(words), SHARED_NT, words);
        if (!buffer) {
            note_failure(state, "CreateBuffer", round);
            continue;
        }
        ID3D11Buffer_QueryInterface(buffer, &IID_IDXGIResource1, (void **)&dxgi);
        if (FAILED(IDXGIResource1_CreateSharedHandle(dxgi, NULL, RW, name, &handle)))
            note_failure(state, "CreateSharedHandle", round);
        IDXGIResource1_Release(dxgi);
        if (!DuplicateHandle(GetCurrentProcess(), handle, GetCurrentProcess(), &duplicate, 0, FALSE,
                             DUPLICATE_SAME_ACCESS))
            note_failure(state, "DuplicateHandle", round);
        ID3D11Buffer_Release(buffer);

        if (import(&by_handle, cudaExternalMemoryHandleTypeD3D11Resource, duplicate, NULL, sizeof(words)) ||
            import(&by_name, cudaExternalMemoryHandleTypeD3D11Resource, NULL, name, sizeof(words)) ||
            import(&by_kmt, cudaExternalMemoryHandleTypeD3D11ResourceKmt, state->kmt, NULL, 4096))
            note_failure(state, "cudaImportExternalMemory", round);
        CloseHandle(duplicate);
        CloseHandle(handle);

        memset(&map, 0, sizeof(map));
        map.size = sizeof(words);
        if (cudaExternalMemoryGetMappedBuffer(&ptr, by_name, &map) != cudaSuccess ||
            cudaMemcpy(back, ptr, sizeof(back), cudaMemcpyDeviceToHost) != cudaSuccess ||
            memcmp(back, words, sizeof(words)) != 0)
            note_failure(state, "map and read back", round);
        cudaFree(ptr);
        cudaDestroyExternalMemory(by_handle);
        cudaDestroyExternalMemory(by_name);
        cudaDestroyExternalMemory(by_kmt);
    }
    return NULL;
}

XM_TEST(test_threads_share_import_and_release_concurrently)
{
    struct xm_test_census before;
    struct shared_state state = {0};
    pthread_t threads[THREADS];
    ID3D11Buffer *common;

    xm_test_census(&before);
    state.device = xm_test_device(NULL);
    common = xm_test_buffer(state.device, 4096, D3D11_RESOURCE_MISC_SHARED, NULL);
    state.kmt = xm_test_kmt_handle(common);
    pthread_barrier_init(&state.start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        XM_ASSERT_EQ(pthread_create(&threads[i], NULL, worker, &state), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&state.start);
    XM_ASSERT_EQ(state.failures, 0);
    ID3D11Buffer_Release(common);
    ID3D11Device1_Release(state.device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

/* ---- a KMT lookup racing the last release ------------------------------ */

struct race {
    HANDLE kmt;
    ID3D11Buffer *buffer;
    pthread_barrier_t start;
    int imported;  /* imports that succeeded */
};

static void *import_racer(void *arg)
{
    struct race *race = arg;
    cudaExternalMemory_t ext = NULL;

    pthread_barrier_wait(&race->start);
    if (import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, race->kmt, NULL, 256) == cudaSuccess) {
        __atomic_add_fetch(&race->imported, 1, __ATOMIC_RELAXED);
        cudaDestroyExternalMemory(ext);
    }
    return NULL;
}

static void *release_racer(void *arg)
{
    struct race *race = arg;

    pthread_barrier_wait(&race->start);
    ID3D11Buffer_Release(race->buffer);
    return NULL;
}

XM_TEST(test_kmt_import_racing_the_last_release_never_resurrects_the_resource)
{
    struct xm_test_census before;
    ID3D11Device1 *device = xm_test_device(NULL);

    xm_test_census(&before);
    for (int round = 0; round < 300; round++) {
        struct race race = {0};
        pthread_t a, b;

        race.buffer = xm_test_buffer(device, 256, D3D11_RESOURCE_MISC_SHARED, NULL);
        race.kmt = xm_test_kmt_handle(race.buffer);
        pthread_barrier_init(&race.start, NULL, 2);
        pthread_create(&a, NULL, import_racer, &race);
        pthread_create(&b, NULL, release_racer, &race);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        pthread_barrier_destroy(&race.start);
        /* Whichever won, the value is dead now and nothing is left. */
        XM_ASSERT(race.imported == 0 || race.imported == 1);
        XM_ASSERT_NOTHING_LEAKED(before);
    }
    ID3D11Device1_Release(device);
}

/* ---- many threads racing for one name ----------------------------------- */

struct name_race {
    ID3D11Device1 *device;
    pthread_barrier_t start;
    HANDLE winners[THREADS];
    int clashes;
};

static void *name_racer(void *arg)
{
    struct name_race *race = arg;
    ID3D11Buffer *buffer = create_buffer(race->device, 64, SHARED_NT, NULL);
    IDXGIResource1 *dxgi;
    HANDLE handle = NULL;
    HRESULT hr;

    ID3D11Buffer_QueryInterface(buffer, &IID_IDXGIResource1, (void **)&dxgi);
    pthread_barrier_wait(&race->start);
    hr = IDXGIResource1_CreateSharedHandle(dxgi, NULL, RW, L"extmem-contested-name", &handle);
    if (hr == DXGI_ERROR_NAME_ALREADY_EXISTS)
        __atomic_add_fetch(&race->clashes, 1, __ATOMIC_RELAXED);
    else if (SUCCEEDED(hr))
        for (int i = 0; i < THREADS; i++)
            if (__atomic_compare_exchange_n(&race->winners[i], &(HANDLE){NULL}, handle, false, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED))
                break;
    IDXGIResource1_Release(dxgi);
    ID3D11Buffer_Release(buffer);
    return NULL;
}

XM_TEST(test_one_thread_wins_a_contested_name)
{
    struct xm_test_census before;
    struct name_race race = {0};
    pthread_t threads[THREADS];
    int winners = 0;

    race.device = xm_test_device(NULL);
    xm_test_census(&before);
    pthread_barrier_init(&race.start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, name_racer, &race);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&race.start);
    for (int i = 0; i < THREADS; i++)
        if (race.winners[i]) {
            winners++;
            XM_ASSERT(CloseHandle(race.winners[i]));
        }
    XM_ASSERT_EQ(winners, 1);
    XM_ASSERT_EQ(race.clashes, THREADS - 1);
    XM_ASSERT_NOTHING_LEAKED(before);
    ID3D11Device1_Release(race.device);
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_threads_share_import_and_release_concurrently)
    XM_TEST_ENTRY(test_kmt_import_racing_the_last_release_never_resurrects_the_resource)
    XM_TEST_ENTRY(test_one_thread_wins_a_contested_name))
