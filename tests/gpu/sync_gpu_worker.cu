/*
 * One side of the cross-process GPU synchronization test
 * (tests/gpu/test_sync_gpu.c starts two, talks to them over pipes and
 * kills them with SIGKILL).
 *
 *   sync_gpu_worker d3d11 keyed|fence buffer|texture NAME
 *   sync_gpu_worker cuda  keyed|fence buffer|texture NAME
 *
 * The shared resource is a 4 MiB buffer or a 1024 x 1024 R32_UINT texture
 * in GPU memory (the cuda backend), shared by NAME. With `keyed` it is
 * created with D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX and its keyed mutex
 * orders the two sides; with `fence` a shared ID3D11Fence named
 * "NAME-fence" does.
 *
 * Round r, NVIDIA's D3D11 interop sample pattern:
 *   keyed  CUDA   wait key 2r (cudaWaitExternalSemaphoresAsync on its own
 *                 stream, timeoutMs 10000), a kernel checks that every word
 *                 holds the D3D11 side's data of round r and writes the
 *                 CUDA side's, signal key 2r+1
 *          D3D11  AcquireSync(2r+1, 10000), CopyResource into STAGING, Map,
 *                 check the CUDA side's data of round r, UpdateSubresource
 *                 with its data of round r+1, ReleaseSync(2r+2)
 *   fence  CUDA   wait value 2r+1, the same kernel, signal value 2r+2
 *          D3D11  SetEventOnCompletion(2r+2) + WaitForSingleObject(10000),
 *                 check, write, ID3D11DeviceContext4::Signal(2r+3)
 *                 (it signals 1 once its initial data is in place)
 * The initial data is the D3D11 side's data of round 0. The CUDA side never
 * synchronizes its stream between rounds: its kernels are ordered by the
 * semaphore calls alone. Its kernels count mismatches into device memory;
 * a one-thread kernel after each round copies the count, the first
 * mismatch and the rounds finished into mapped host memory, which the host
 * reads after synchronizing (or, when the stream does not finish, to say
 * how far the GPU got).
 *
 * The D3D11 side prints "ready" once it shares the resource, the CUDA side
 * "mapped" once it has imported and mapped it. Then each answers commands
 * on stdin with one line:
 *   both   rounds N     N rounds; "done R M": R rounds finished in all, M
 *                       mismatches in all; then " first: ..." (the first
 *                       mismatch seen) and " failed: ..." when one failed
 *          exit         releases everything, "bye", exit status 0
 *   CUDA   round SPIN   one round whose check kernel runs after a kernel
 *                       that spins SPIN ms; answers once the signal call
 *                       returned, without synchronizing: "round R: signal K
 *                       -> cudaSuccess after T ms"
 *          finish       synchronizes (bounded), "done R M ..." as above
 *          wait K MS    (keyed) cudaWaitExternalSemaphoresAsync(key K,
 *                       timeoutMs MS): "wait K -> cudaErrorX after T ms"
 *   D3D11  round MS     one round whose wait has timeout MS: "round R:
 *                       AcquireSync(K) -> S_OK after T ms, M mismatches"
 *                       (fence: "fence wait V -> WAIT_OBJECT_0 ...")
 *          hold         (keyed) the first half of a round: AcquireSync and
 *                       check, then keeps the mutex: "round R: ... (holding)"
 *          fence-wait V MS  (fence) SetEventOnCompletion(V) and
 *                       WaitForSingleObject(MS): "fence-wait V -> WAIT_TIMEOUT
 *                       after T ms, completed value X"
 *
 * With CUDA's runtime header first, <extmem/cuda_compat.h> maps only the
 * external-memory and external-semaphore calls onto extmem; streams,
 * kernels and copies are CUDA's own.
 */
#include <cuda_runtime.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#define WORKER_NAME "sync_gpu_worker"
#include "worker_checks.h"

enum { TEXTURE_WIDTH = 1024, TEXTURE_HEIGHT = 1024 };
#define BUFFER_BYTES (4u << 20)
#define WORDS (BUFFER_BYTES / 4u) /* the same count for both: TEXTURE_WIDTH * TEXTURE_HEIGHT */
#define WAIT_MS 10000u            /* each wait of a round, on both sides */
#define STALL_MS 15000            /* a CUDA stream that makes no progress for this long is stuck */

/* ---- data --------------------------------------------------------------------- */

/* Word i of the data with `stamp`: the D3D11 side's data of round r has
 * stamp 2r, the CUDA side's 2r+1. Two stamps differ in every word (the
 * multiplier is odd), so a word read from the wrong round never passes. */
#define PATTERN_STAMP 0x9e3779b1u
#define PATTERN_INDEX 0x85ebca77u

__host__ __device__ static inline uint32_t pattern(uint32_t stamp, uint32_t index)
{
    return stamp * PATTERN_STAMP + index * PATTERN_INDEX + 1u;
}

__host__ __device__ static inline uint32_t d3d11_stamp(uint32_t round)
{
    return 2u * round;
}

__host__ __device__ static inline uint32_t cuda_stamp(uint32_t round)
{
    return 2u * round + 1u;
}

/* What a word that was found instead of another holds, for messages: the
 * data of which side and round, or none. */
static const char *describe(uint32_t got, uint32_t index, char *out, size_t size)
{
    uint32_t inverse = PATTERN_STAMP, stamp;

    for (int i = 0; i < 5; i++) /* Newton's iteration for the inverse of an odd number mod 2^32 */
        inverse *= 2u - PATTERN_STAMP * inverse;
    stamp = (got - index * PATTERN_INDEX - 1u) * inverse;
    if (stamp < (1u << 20)) /* about one word in 4096 that is no round's data passes for one */
        snprintf(out, size, "the %s side's data of round %u", stamp % 2 ? "CUDA" : "D3D11", stamp / 2);
    else
        snprintf(out, size, "no round's data");
    return out;
}

struct mismatches {
    unsigned long long count;
    unsigned int claimed; /* set by the first mismatch, which fills in the rest */
    unsigned int round, index, got, want;
};

/* " first: round R word I: got 0x... (what), want 0x... (what)" (texel
 * (X, Y) for a texture), or "". */
static const char *first_mismatch(const struct mismatches *m, bool texture, char *out, size_t size)
{
    char got[64], want[64], where[48];

    if (!m->count) {
        out[0] = '\0';
        return out;
    }
    if (texture)
        snprintf(where, sizeof(where), "texel (%u, %u)", m->index % TEXTURE_WIDTH, m->index / TEXTURE_WIDTH);
    else
        snprintf(where, sizeof(where), "word %u", m->index);
    snprintf(out, size, " first: round %u %s: got 0x%08x (%s), want 0x%08x (%s)", m->round, where, m->got,
             describe(m->got, m->index, got, sizeof(got)), m->want, describe(m->want, m->index, want, sizeof(want)));
    return out;
}

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---- the D3D11 side ----------------------------------------------------------------- */

struct d3d11_side {
    bool fence_mode, texture;
    ID3D11Device *device;
    ID3D11DeviceContext *context;
    ID3D11DeviceContext4 *context4; /* fence */
    ID3D11Resource *resource, *staging;
    IDXGIResource1 *dxgi;
    HANDLE handle;
    IDXGIKeyedMutex *mutex;         /* keyed */
    ID3D11Fence *fence;             /* fence */
    HANDLE fence_handle, event;     /* fence */
    uint32_t *data;                 /* what UpdateSubresource writes */
    uint32_t round;                 /* the next round */
    struct mismatches seen;
};

static const char *hr_name(HRESULT hr, char *out, size_t size)
{
    if (hr == S_OK)
        return "S_OK";
    if (hr == (HRESULT)WAIT_ABANDONED)
        return "WAIT_ABANDONED";
    if (hr == (HRESULT)WAIT_TIMEOUT)
        return "WAIT_TIMEOUT";
    if (hr == E_FAIL)
        return "E_FAIL";
    snprintf(out, size, "0x%08x", (unsigned)hr);
    return out;
}

static const char *wait_name(DWORD result, char *out, size_t size)
{
    if (result == WAIT_OBJECT_0)
        return "WAIT_OBJECT_0";
    if (result == WAIT_TIMEOUT)
        return "WAIT_TIMEOUT";
    if (result == WAIT_ABANDONED)
        return "WAIT_ABANDONED";
    if (result == WAIT_FAILED)
        return "WAIT_FAILED";
    snprintf(out, size, "0x%08x", (unsigned)result);
    return out;
}

static void d3d11_create(struct d3d11_side *s, const char *name)
{
    WCHAR wname[128], wfence[140];
    char fence_name[140];
    UINT misc = s->fence_mode ? D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE
                              : D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX | D3D11_RESOURCE_MISC_SHARED_NTHANDLE;

    to_wide(name, wname, sizeof(wname) / sizeof(wname[0]));
    s->data = (uint32_t *)malloc(BUFFER_BYTES);
    if (!s->data)
        DIE("out of memory");
    for (uint32_t i = 0; i < WORDS; i++)
        s->data[i] = pattern(d3d11_stamp(0), i);
    CHECK_HR(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &s->device,
                               NULL, &s->context));
    if (s->texture) {
        D3D11_TEXTURE2D_DESC desc = {};
        ID3D11Texture2D *texture = NULL, *staging = NULL;

        desc.Width = TEXTURE_WIDTH;
        desc.Height = TEXTURE_HEIGHT;
        desc.MipLevels = 1;
        desc.ArraySize = 1;
        desc.Format = DXGI_FORMAT_R32_UINT;
        desc.SampleDesc.Count = 1;
        desc.Usage = D3D11_USAGE_DEFAULT;
        desc.BindFlags = D3D11_BIND_SHADER_RESOURCE | D3D11_BIND_UNORDERED_ACCESS;
        desc.MiscFlags = misc;
        D3D11_SUBRESOURCE_DATA init = {s->data, TEXTURE_WIDTH * 4, 0};
        CHECK_HR(s->device->CreateTexture2D(&desc, &init, &texture));
        desc.Usage = D3D11_USAGE_STAGING;
        desc.BindFlags = 0;
        desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
        desc.MiscFlags = 0;
        CHECK_HR(s->device->CreateTexture2D(&desc, NULL, &staging));
        s->resource = texture;
        s->staging = staging;
    } else {
        D3D11_BUFFER_DESC desc = {};
        ID3D11Buffer *buffer = NULL, *staging = NULL;

        desc.ByteWidth = BUFFER_BYTES;
        desc.Usage = D3D11_USAGE_DEFAULT;
        desc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
        desc.MiscFlags = misc;
        D3D11_SUBRESOURCE_DATA init = {s->data, 0, 0};
        CHECK_HR(s->device->CreateBuffer(&desc, &init, &buffer));
        desc.Usage = D3D11_USAGE_STAGING;
        desc.BindFlags = 0;
        desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
        desc.MiscFlags = 0;
        CHECK_HR(s->device->CreateBuffer(&desc, NULL, &staging));
        s->resource = buffer;
        s->staging = staging;
    }
    CHECK_HR(s->resource->QueryInterface(IID_IDXGIResource1, (void **)&s->dxgi));
    CHECK_HR(s->dxgi->CreateSharedHandle(NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE, wname,
                                         &s->handle));
    if (!s->fence_mode) {
        CHECK_HR(s->resource->QueryInterface(IID_IDXGIKeyedMutex, (void **)&s->mutex));
        return;
    }
    ID3D11Device5 *device5 = NULL;
    snprintf(fence_name, sizeof(fence_name), "%s-fence", name);
    to_wide(fence_name, wfence, sizeof(wfence) / sizeof(wfence[0]));
    CHECK_HR(s->device->QueryInterface(IID_ID3D11Device5, (void **)&device5));
    CHECK_HR(device5->CreateFence(0, D3D11_FENCE_FLAG_SHARED, IID_ID3D11Fence, (void **)&s->fence));
    device5->Release();
    CHECK_HR(s->fence->CreateSharedHandle(NULL, GENERIC_ALL, wfence, &s->fence_handle));
    CHECK_HR(s->context->QueryInterface(IID_ID3D11DeviceContext4, (void **)&s->context4));
    s->event = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (!s->event)
        DIE("CreateEventW failed");
    /* The initial data is the D3D11 side's data of round 0: the CUDA
     * side's first wait (value 1) is met. */
    CHECK_HR(s->context4->Signal(s->fence, 1));
}

static void d3d11_destroy(struct d3d11_side *s)
{
    if (s->event && !CloseHandle(s->event))
        DIE("CloseHandle(event)");
    if (s->fence_handle && !CloseHandle(s->fence_handle))
        DIE("CloseHandle(fence handle)");
    if (s->fence)
        s->fence->Release();
    if (s->context4)
        s->context4->Release();
    if (s->mutex)
        s->mutex->Release();
    if (!CloseHandle(s->handle))
        DIE("CloseHandle(resource handle)");
    s->dxgi->Release();
    s->staging->Release();
    s->resource->Release();
    s->context->Release();
    s->device->Release();
    free(s->data);
}

/* Copies the resource into STAGING and counts the words that are not the
 * CUDA side's data of `round`. */
static unsigned long long d3d11_check(struct d3d11_side *s, uint32_t round)
{
    D3D11_MAPPED_SUBRESOURCE mapped = {};
    unsigned long long bad = 0;

    s->context->CopyResource(s->staging, s->resource);
    CHECK_HR(s->context->Map(s->staging, 0, D3D11_MAP_READ, 0, &mapped));
    for (uint32_t i = 0; i < WORDS; i++) {
        uint32_t x = s->texture ? i % TEXTURE_WIDTH : i, y = s->texture ? i / TEXTURE_WIDTH : 0;
        uint32_t got = ((const uint32_t *)((const uint8_t *)mapped.pData + (size_t)y * mapped.RowPitch))[x];
        uint32_t want = pattern(cuda_stamp(round), i);

        if (got != want) {
            if (!s->seen.count++) {
                s->seen.round = round;
                s->seen.index = i;
                s->seen.got = got;
                s->seen.want = want;
            }
            bad++;
        }
    }
    s->context->Unmap(s->staging, 0);
    return bad;
}

static void d3d11_write(struct d3d11_side *s, uint32_t round)
{
    for (uint32_t i = 0; i < WORDS; i++)
        s->data[i] = pattern(d3d11_stamp(round), i);
    s->context->UpdateSubresource(s->resource, 0, NULL, s->data, s->texture ? TEXTURE_WIDTH * 4 : 0, 0);
}

/* One round (hold: only its first half). Writes what happened to `report`
 * ("round R: ... -> RESULT after T ms, M mismatches") and returns whether
 * the round went as it should. */
static bool d3d11_round(struct d3d11_side *s, DWORD timeout_ms, bool hold, char *report, size_t size)
{
    uint32_t r = s->round;
    unsigned long long bad;
    char name[16];
    double start = now_ms(), waited;

    if (!s->fence_mode) {
        UINT64 key = 2ull * r + 1;
        HRESULT hr = s->mutex->AcquireSync(key, timeout_ms);

        waited = now_ms() - start;
        /* Compared with S_OK itself: WAIT_ABANDONED and WAIT_TIMEOUT are
         * success codes, SUCCEEDED() is true for them. */
        if (hr != S_OK) {
            snprintf(report, size, "round %u: AcquireSync(%llu) -> %s after %.1f ms, 0 mismatches%s%s%s", r,
                     (unsigned long long)key, hr_name(hr, name, sizeof(name)), waited, FAILED(hr) ? " (" : "",
                     FAILED(hr) ? extmemGetLastErrorMessage() : "", FAILED(hr) ? ")" : "");
            return false;
        }
        bad = d3d11_check(s, r);
        if (hold) {
            snprintf(report, size, "round %u: AcquireSync(%llu) -> S_OK after %.1f ms, %llu mismatches (holding)", r,
                     (unsigned long long)key, waited, bad);
            return true;
        }
        d3d11_write(s, r + 1);
        hr = s->mutex->ReleaseSync(2ull * r + 2);
        if (hr != S_OK) {
            snprintf(report, size, "round %u: AcquireSync(%llu) -> S_OK after %.1f ms, %llu mismatches, but "
                     "ReleaseSync(%llu) -> %s (%s)", r, (unsigned long long)key, waited, bad,
                     2ull * r + 2, hr_name(hr, name, sizeof(name)), extmemGetLastErrorMessage());
            return false;
        }
        snprintf(report, size, "round %u: AcquireSync(%llu) -> S_OK after %.1f ms, %llu mismatches", r,
                 (unsigned long long)key, waited, bad);
    } else {
        UINT64 value = 2ull * r + 2;
        HRESULT hr = s->fence->SetEventOnCompletion(value, s->event);
        DWORD result = SUCCEEDED(hr) ? WaitForSingleObject(s->event, timeout_ms) : WAIT_FAILED;

        waited = now_ms() - start;
        if (result != WAIT_OBJECT_0) {
            snprintf(report, size, "round %u: fence wait %llu -> %s after %.1f ms, 0 mismatches (completed value "
                     "%llu; SetEventOnCompletion 0x%08x; %s)", r, (unsigned long long)value,
                     wait_name(result, name, sizeof(name)), waited,
                     (unsigned long long)s->fence->GetCompletedValue(), (unsigned)hr, extmemGetLastErrorMessage());
            return false;
        }
        bad = d3d11_check(s, r);
        d3d11_write(s, r + 1);
        hr = s->context4->Signal(s->fence, 2ull * r + 3);
        if (hr != S_OK) {
            snprintf(report, size, "round %u: fence wait %llu -> WAIT_OBJECT_0 after %.1f ms, %llu mismatches, but "
                     "Signal(%llu) -> 0x%08x (%s)", r, (unsigned long long)value, waited, bad, 2ull * r + 3,
                     (unsigned)hr, extmemGetLastErrorMessage());
            return false;
        }
        snprintf(report, size, "round %u: fence wait %llu -> WAIT_OBJECT_0 after %.1f ms, %llu mismatches", r,
                 (unsigned long long)value, waited, bad);
    }
    s->round++;
    return true;
}

static int d3d11_main(struct d3d11_side *s, const char *name)
{
    char line[128], report[512], first[256];

    d3d11_create(s, name);
    say("ready");
    while (fgets(line, sizeof(line), stdin)) {
        unsigned n = 0, ms = 0;
        unsigned long long value = 0;

        if (sscanf(line, "rounds %u", &n) == 1) {
            bool ok = true;

            for (unsigned i = 0; i < n && ok; i++)
                ok = d3d11_round(s, WAIT_MS, false, report, sizeof(report));
            say("done %u %llu%s%s%s", s->round, s->seen.count, first_mismatch(&s->seen, s->texture, first, sizeof(first)),
                ok ? "" : " failed: ", ok ? "" : report);
        } else if (sscanf(line, "round %u", &ms) == 1) {
            d3d11_round(s, ms, false, report, sizeof(report));
            say("%s", report);
        } else if (!strncmp(line, "hold", 4) && !s->fence_mode) {
            d3d11_round(s, WAIT_MS, true, report, sizeof(report));
            say("%s", report);
        } else if (sscanf(line, "fence-wait %llu %u", &value, &ms) == 2 && s->fence_mode) {
            char result_name[16];
            HRESULT hr = s->fence->SetEventOnCompletion(value, s->event);
            double start = now_ms();
            DWORD result = SUCCEEDED(hr) ? WaitForSingleObject(s->event, ms) : WAIT_FAILED;

            say("fence-wait %llu -> %s after %.1f ms, completed value %llu", value,
                wait_name(result, result_name, sizeof(result_name)), now_ms() - start,
                (unsigned long long)s->fence->GetCompletedValue());
        } else if (!strncmp(line, "exit", 4)) {
            break;
        } else {
            DIE("unknown command: %s", line);
        }
    }
    d3d11_destroy(s);
    say("bye");
    return 0;
}

/* ---- the CUDA side -------------------------------------------------------------------- */

__device__ static void note_mismatch(struct mismatches *m, uint32_t round, uint32_t index, uint32_t got,
                                     uint32_t want)
{
    atomicAdd(&m->count, 1ull);
    if (atomicCAS(&m->claimed, 0u, 1u) == 0u) {
        m->round = round;
        m->index = index;
        m->got = got;
        m->want = want;
    }
}

__global__ void check_and_write_words(uint32_t *words, uint32_t round, struct mismatches *m)
{
    for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < WORDS; i += gridDim.x * blockDim.x) {
        uint32_t got = words[i], want = pattern(d3d11_stamp(round), i);

        if (got != want)
            note_mismatch(m, round, i, got, want);
        words[i] = pattern(cuda_stamp(round), i);
    }
}

__global__ void check_and_write_texels(cudaSurfaceObject_t surface, uint32_t round, struct mismatches *m)
{
    uint32_t x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;

    if (x < TEXTURE_WIDTH && y < TEXTURE_HEIGHT) {
        uint32_t i = y * TEXTURE_WIDTH + x, got = surf2Dread<uint32_t>(surface, x * 4, y),
                 want = pattern(d3d11_stamp(round), i);

        if (got != want)
            note_mismatch(m, round, i, got, want);
        surf2Dwrite(pattern(cuda_stamp(round), i), surface, x * 4, y);
    }
}

__device__ static unsigned long long global_timer_ns(void)
{
    unsigned long long t;

    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

/* Keeps the GPU busy for `ns`: work queued before a signal that takes long. */
__global__ void spin(unsigned long long ns)
{
    unsigned long long start = global_timer_ns();

    while (global_timer_ns() - start < ns)
        ;
}

/* What the host reads without synchronizing: the rounds the GPU finished
 * and the mismatches so far. */
struct progress {
    struct mismatches seen;
    unsigned int rounds;
};

__global__ void report_progress(const struct mismatches *m, volatile struct progress *out, uint32_t rounds)
{
    out->seen.count = m->count;
    out->seen.claimed = m->claimed;
    out->seen.round = m->round;
    out->seen.index = m->index;
    out->seen.got = m->got;
    out->seen.want = m->want;
    __threadfence_system();
    out->rounds = rounds;
    __threadfence_system();
}

struct cuda_side {
    bool fence_mode, texture;
    cudaStream_t stream;
    cudaExternalMemory_t memory;
    cudaExternalSemaphore_t semaphore;
    uint32_t *words;                 /* buffer */
    cudaMipmappedArray_t mipmap;     /* texture */
    cudaArray_t level0;
    cudaSurfaceObject_t surface;
    struct mismatches *device_seen;  /* device memory */
    volatile struct progress *progress, *progress_device; /* mapped host memory */
    uint32_t round;                  /* the next round to queue */
};

static void cuda_open(struct cuda_side *s, const char *name)
{
    WCHAR wname[128], wfence[140];
    char fence_name[140];
    cudaExternalMemoryHandleDesc desc;
    cudaExternalSemaphoreHandleDesc sem_desc;

    to_wide(name, wname, sizeof(wname) / sizeof(wname[0]));
    snprintf(fence_name, sizeof(fence_name), "%s-fence", name);
    to_wide(fence_name, wfence, sizeof(wfence) / sizeof(wfence[0]));
    CHECK_CUDA(cudaSetDevice(0)); /* device 0's primary context, which extmem uses too */
    CHECK_CUDA(cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking));

    /* The seed's shape: by name, the packed size, dedicated. */
    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalMemoryHandleTypeD3D11Resource;
    desc.handle.win32.name = (void *)wname;
    desc.size = BUFFER_BYTES;
    desc.flags |= cudaExternalMemoryDedicated;
    CHECK_CUDA(cudaImportExternalMemory(&s->memory, &desc));
    if (s->texture) {
        cudaExternalMemoryMipmappedArrayDesc array_desc = {};
        cudaResourceDesc surface_desc = {};

        array_desc.formatDesc = cudaCreateChannelDesc<uint32_t>();
        array_desc.extent = make_cudaExtent(TEXTURE_WIDTH, TEXTURE_HEIGHT, 0);
        array_desc.flags = cudaArraySurfaceLoadStore;
        array_desc.numLevels = 1;
        CHECK_CUDA(cudaExternalMemoryGetMappedMipmappedArray(&s->mipmap, s->memory, &array_desc));
        CHECK_CUDA(cudaGetMipmappedArrayLevel(&s->level0, s->mipmap, 0));
        surface_desc.resType = cudaResourceTypeArray;
        surface_desc.res.array.array = s->level0;
        CHECK_CUDA(cudaCreateSurfaceObject(&s->surface, &surface_desc));
    } else {
        cudaExternalMemoryBufferDesc map_desc = {};
        void *words = NULL;

        map_desc.size = BUFFER_BYTES;
        CHECK_CUDA(cudaExternalMemoryGetMappedBuffer(&words, s->memory, &map_desc));
        s->words = (uint32_t *)words;
    }

    memset(&sem_desc, 0, sizeof(sem_desc));
    if (s->fence_mode) {
        sem_desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence;
        sem_desc.handle.win32.name = (const void *)wfence;
    } else {
        /* The keyed mutex of the resource, by the resource's name. */
        sem_desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex;
        sem_desc.handle.win32.name = (const void *)wname;
    }
    CHECK_CUDA(cudaImportExternalSemaphore(&s->semaphore, &sem_desc));

    CHECK_CUDA(cudaMalloc((void **)&s->device_seen, sizeof(*s->device_seen)));
    CHECK_CUDA(cudaMemset(s->device_seen, 0, sizeof(*s->device_seen)));
    void *host = NULL, *device = NULL;
    CHECK_CUDA(cudaHostAlloc(&host, sizeof(struct progress), cudaHostAllocMapped));
    memset(host, 0, sizeof(struct progress));
    CHECK_CUDA(cudaHostGetDevicePointer(&device, host, 0));
    s->progress = (volatile struct progress *)host;
    s->progress_device = (volatile struct progress *)device;
    CHECK_CUDA(cudaDeviceSynchronize());
}

/* Queues round s->round: wait, (spin,) check-and-write kernel, progress,
 * signal. Never synchronizes. On failure writes why to `failure`. On
 * success *signal_ms is how long the signal call took. */
static bool cuda_queue_round(struct cuda_side *s, unsigned spin_ms, double *signal_ms, char *failure, size_t size)
{
    uint32_t r = s->round;
    cudaExternalSemaphoreWaitParams wait;
    cudaExternalSemaphoreSignalParams signal;
    unsigned long long wait_for, signal_with;
    cudaError_t e;
    double start;

    memset(&wait, 0, sizeof(wait));
    memset(&signal, 0, sizeof(signal));
    if (s->fence_mode) {
        wait_for = wait.params.fence.value = 2ull * r + 1;
        signal_with = signal.params.fence.value = 2ull * r + 2;
    } else {
        wait_for = wait.params.keyedMutex.key = 2ull * r;
        wait.params.keyedMutex.timeoutMs = WAIT_MS;
        signal_with = signal.params.keyedMutex.key = 2ull * r + 1;
    }
    start = now_ms();
    e = cudaWaitExternalSemaphoresAsync(&s->semaphore, &wait, 1, s->stream);
    if (e != cudaSuccess) {
        snprintf(failure, size, "round %u: cudaWaitExternalSemaphoresAsync(%s %llu%s) -> %s after %.1f ms, want "
                 "cudaSuccess (%s)", r, s->fence_mode ? "value" : "key", wait_for,
                 s->fence_mode ? "" : ", timeoutMs 10000", cudaGetErrorName(e), now_ms() - start,
                 extmemGetLastErrorMessage());
        return false;
    }
    if (spin_ms)
        spin<<<1, 1, 0, s->stream>>>(spin_ms * 1000000ull);
    if (s->texture)
        check_and_write_texels<<<dim3(TEXTURE_WIDTH / 16, TEXTURE_HEIGHT / 16), dim3(16, 16), 0, s->stream>>>(
            s->surface, r, s->device_seen);
    else
        check_and_write_words<<<256, 256, 0, s->stream>>>(s->words, r, s->device_seen);
    report_progress<<<1, 1, 0, s->stream>>>(s->device_seen, s->progress_device, r + 1);
    e = cudaGetLastError();
    if (e != cudaSuccess) {
        snprintf(failure, size, "round %u: a kernel launch failed: %s", r, cudaGetErrorName(e));
        return false;
    }
    start = now_ms();
    e = cudaSignalExternalSemaphoresAsync(&s->semaphore, &signal, 1, s->stream);
    *signal_ms = now_ms() - start;
    if (e != cudaSuccess) {
        snprintf(failure, size, "round %u: cudaSignalExternalSemaphoresAsync(%s %llu) -> %s, want cudaSuccess (%s)",
                 r, s->fence_mode ? "value" : "key", signal_with, cudaGetErrorName(e), extmemGetLastErrorMessage());
        return false;
    }
    s->round++;
    return true;
}

/* Waits for the stream, giving up when the GPU finishes no round for
 * STALL_MS. Writes why it gave up to `failure`. */
static bool cuda_finish(struct cuda_side *s, char *failure, size_t size)
{
    unsigned last = s->progress->rounds;
    double since = now_ms();
    cudaError_t e;

    while ((e = cudaStreamQuery(s->stream)) == cudaErrorNotReady) {
        unsigned now = s->progress->rounds;

        if (now != last) {
            last = now;
            since = now_ms();
        } else if (now_ms() - since > STALL_MS) {
            snprintf(failure, size, "the stream is stuck: the GPU finished %u of the %u rounds queued and none "
                     "for %d ms (it waits for %s %llu)", now, s->round, STALL_MS,
                     s->fence_mode ? "fence value" : "the GPU work before key",
                     s->fence_mode ? 2ull * now + 1 : 2ull * now);
            return false;
        }
        usleep(1000);
    }
    if (e != cudaSuccess) {
        snprintf(failure, size, "cudaStreamQuery: %s", cudaGetErrorName(e));
        return false;
    }
    return true;
}

static void cuda_say_done(struct cuda_side *s, bool ok, const char *failure)
{
    struct mismatches seen;
    char first[256];

    seen.count = s->progress->seen.count;
    seen.round = s->progress->seen.round;
    seen.index = s->progress->seen.index;
    seen.got = s->progress->seen.got;
    seen.want = s->progress->seen.want;
    say("done %u %llu%s%s%s", s->progress->rounds, seen.count, first_mismatch(&seen, s->texture, first, sizeof(first)),
        ok ? "" : " failed: ", ok ? "" : failure);
}

static void cuda_close(struct cuda_side *s)
{
    if (s->texture) {
        CHECK_CUDA(cudaDestroySurfaceObject(s->surface));
        CHECK_CUDA(cudaFreeMipmappedArray(s->mipmap));
    } else {
        CHECK_CUDA(cudaFree(s->words));
    }
    CHECK_CUDA(cudaDestroyExternalMemory(s->memory));
    CHECK_CUDA(cudaDestroyExternalSemaphore(s->semaphore));
    CHECK_CUDA(cudaStreamDestroy(s->stream));
    CHECK_CUDA(cudaFree(s->device_seen));
    CHECK_CUDA(cudaFreeHost((void *)s->progress));
}

static int cuda_main(struct cuda_side *s, const char *name)
{
    char line[128], failure[512];

    cuda_open(s, name);
    say("mapped");
    while (fgets(line, sizeof(line), stdin)) {
        unsigned n = 0, spin_ms = 0, timeout_ms = 0;
        unsigned long long key = 0;
        double signal_ms = 0;

        if (sscanf(line, "rounds %u", &n) == 1) {
            char stuck[256];
            bool ok = true;

            for (unsigned i = 0; i < n && ok; i++)
                ok = cuda_queue_round(s, 0, &signal_ms, failure, sizeof(failure));
            /* What was queued before a failure still counts. */
            if (!cuda_finish(s, stuck, sizeof(stuck))) {
                if (ok)
                    snprintf(failure, sizeof(failure), "%s", stuck);
                else
                    snprintf(failure + strlen(failure), sizeof(failure) - strlen(failure), "; then %s", stuck);
                ok = false;
            }
            cuda_say_done(s, ok, failure);
        } else if (sscanf(line, "round %u", &spin_ms) == 1) {
            uint32_t r = s->round;

            if (cuda_queue_round(s, spin_ms, &signal_ms, failure, sizeof(failure)))
                say("round %u: signal %llu -> cudaSuccess after %.3f ms", r,
                    s->fence_mode ? 2ull * r + 2 : 2ull * r + 1, signal_ms);
            else
                say("round %u: failed: %s", r, failure);
        } else if (!strncmp(line, "finish", 6)) {
            bool ok = cuda_finish(s, failure, sizeof(failure));

            cuda_say_done(s, ok, failure);
        } else if (sscanf(line, "wait %llu %u", &key, &timeout_ms) == 2 && !s->fence_mode) {
            cudaExternalSemaphoreWaitParams wait;
            double start = now_ms();
            cudaError_t e;

            memset(&wait, 0, sizeof(wait));
            wait.params.keyedMutex.key = key;
            wait.params.keyedMutex.timeoutMs = timeout_ms;
            e = cudaWaitExternalSemaphoresAsync(&s->semaphore, &wait, 1, s->stream);
            say("wait %llu -> %s after %.1f ms (%s)", key, cudaGetErrorName(e), now_ms() - start,
                e == cudaSuccess ? "acquired" : extmemGetLastErrorMessage());
        } else if (!strncmp(line, "exit", 4)) {
            break;
        } else {
            DIE("unknown command: %s", line);
        }
    }
    /* Nothing may be left running on what is about to be freed; a stream
     * that never finishes ends the process instead (the driver frees its
     * GPU memory). */
    if (!cuda_finish(s, failure, sizeof(failure))) {
        fprintf(stderr, "sync_gpu_worker %d: exit: %s\n", (int)getpid(), failure);
        _exit(3);
    }
    cuda_close(s);
    say("bye");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 5 && (!strcmp(argv[2], "keyed") || !strcmp(argv[2], "fence")) &&
        (!strcmp(argv[3], "buffer") || !strcmp(argv[3], "texture"))) {
        bool fence_mode = !strcmp(argv[2], "fence"), texture = !strcmp(argv[3], "texture");

        if (!strcmp(argv[1], "d3d11")) {
            struct d3d11_side s = {};

            s.fence_mode = fence_mode;
            s.texture = texture;
            return d3d11_main(&s, argv[4]);
        }
        if (!strcmp(argv[1], "cuda")) {
            struct cuda_side s = {};

            s.fence_mode = fence_mode;
            s.texture = texture;
            return cuda_main(&s, argv[4]);
        }
    }
    fprintf(stderr, "usage: sync_gpu_worker d3d11|cuda keyed|fence buffer|texture NAME\n");
    return 2;
}
