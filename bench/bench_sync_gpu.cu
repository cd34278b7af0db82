/*
 * GPU-side wait-to-start latency: from the host's signal (t0) until the
 * host sees the flag written by a one-thread kernel that was queued behind
 * a wait (t1). extmem and a raw baseline in the same run, sample by sample
 * alternately:
 *
 * 1. fence
 *      extmem  a shared ID3D11Fence imported as
 *              cudaExternalSemaphoreHandleTypeD3D11Fence:
 *              cudaWaitExternalSemaphoresAsync(value) + the kernel;
 *              t0: ID3D11DeviceContext4::Signal(fence, value)
 *      raw     a page of host memory registered with
 *              cuMemHostRegister(DEVICEMAP): cuStreamWaitValue64(GEQ) on it
 *              + the kernel; t0: the host stores the value
 *    Both are queued, then the host sleeps 1 ms so that the GPU is
 *    already waiting at t0.
 * 2. keyed mutex
 *      extmem  a thread blocks in cudaWaitExternalSemaphoresAsync(key) of a
 *              keyed-mutex import, then launches the kernel (and signals
 *              the next key); t0: the main thread, 1 ms later,
 *              IDXGIKeyedMutex::ReleaseSync(key)
 *      raw     a thread blocks in FUTEX_WAIT, then launches the kernel; t0:
 *              the main thread, 1 ms later, stores the word and FUTEX_WAKEs
 *
 * Prints p50 and p99 of t1 - t0 for each side and their ratios, one line
 * per comparison ("sync fence ...", "sync keyed-mutex ...";
 * scripts/gpu-check.sh collects them). A kernel that ran before its
 * signal makes the run fail: the wait did not hold it back.
 *
 *   bench_sync_gpu [SCALE]   samples x SCALE (default 1: 1000 of each)
 *
 * The driver's entry points for the raw fence (cuMemHostRegister,
 * cuStreamWaitValue64) come from cudaGetDriverEntryPointByVersion, so
 * nothing links libcuda. Everything is in this one process. Exits 77 where
 * the cuda backend cannot run.
 */
#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#include "bench_stats.h"

#define WARMUP 50
#define SETTLE_US 1000      /* the sleep before t0: the GPU (or the thread) is waiting by then */
#define FLAG_TIMEOUT_MS 5000
#define KEY_TIMEOUT_MS 10000

#define DIE(...)                                                                                   \
    do {                                                                                           \
        fprintf(stderr, "bench_sync_gpu: " __VA_ARGS__);                                           \
        fprintf(stderr, " (extmem: %s)\n", extmemGetLastErrorMessage());                           \
        exit(1);                                                                                   \
    } while (0)
#define RT(call)                                                                                   \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess)                                                                     \
            DIE("%s: %s", #call, cudaGetErrorName(e_));                                            \
    } while (0)
#define HR(call)                                                                                   \
    do {                                                                                           \
        HRESULT hr_ = (call);                                                                      \
        if (hr_ != S_OK)                                                                           \
            DIE("%s: 0x%08x", #call, (unsigned)hr_);                                               \
    } while (0)

static PFN_cuMemHostRegister_v6050 mem_host_register;
static PFN_cuMemHostUnregister_v4000 mem_host_unregister;
static PFN_cuMemHostGetDevicePointer_v3020 mem_host_get_device_pointer;
static PFN_cuStreamWaitValue64_v11070 stream_wait_value64;
static PFN_cuGetErrorName_v6000 get_error_name;

#define CU(call)                                                                                   \
    do {                                                                                           \
        CUresult r_ = (call);                                                                      \
        const char *name_ = "?";                                                                   \
        if (r_ != CUDA_SUCCESS) {                                                                  \
            get_error_name(r_, &name_);                                                            \
            DIE("%s: %s", #call, name_);                                                           \
        }                                                                                          \
    } while (0)

/* The driver entry point `symbol` at the ABI of CUDA 12.0 (the versions of
 * the PFN_ types above). */
template <typename T> static void entry_point(const char *symbol, T *fn)
{
    cudaDriverEntryPointQueryResult status = cudaDriverEntryPointSymbolNotFound;
    void *p = NULL;

    RT(cudaGetDriverEntryPointByVersion(symbol, &p, 12000, cudaEnableDefault, &status));
    if (status != cudaDriverEntryPointSuccess || !p)
        DIE("the driver has no %s (query result %d)", symbol, (int)status);
    *fn = reinterpret_cast<T>(p);
}

static void settle(void)
{
    struct timespec ts = {0, SETTLE_US * 1000L};

    nanosleep(&ts, NULL);
}

static void report(const char *what, int n, const char *ours_name, double *ours, const char *raw_name, double *raw)
{
    double o50 = percentile(ours, n, 0.50), o99 = percentile(ours, n, 0.99);
    double r50 = percentile(raw, n, 0.50), r99 = percentile(raw, n, 0.99);

    printf("sync %s wait-to-start x%d: %s p50 %.1f us p99 %.1f us | %s p50 %.1f us p99 %.1f us | ratio p50 %.3f "
           "p99 %.3f\n", what, n, ours_name, o50, o99, raw_name, r50, r99, o50 / r50, o99 / r99);
    fflush(stdout);
}

/* ---- the kernel and its flag ------------------------------------------------------ */

__global__ void raise_flag(volatile unsigned long long *flag, unsigned long long value)
{
    *flag = value;
    __threadfence_system();
}

/* Flags in mapped host memory, one cache line each. */
enum { FLAG_FENCE_RAW, FLAG_FENCE_OURS, FLAG_KEYED_RAW, FLAG_KEYED_OURS, FLAG_COUNT };

static volatile unsigned long long *flags, *device_flags;

static volatile unsigned long long *flag(int which)
{
    return flags + 8 * which;
}

static volatile unsigned long long *device_flag(int which)
{
    return device_flags + 8 * which;
}

static void launch(int which, unsigned long long value, cudaStream_t stream)
{
    raise_flag<<<1, 1, 0, stream>>>(device_flag(which), value);
    RT(cudaGetLastError());
}

/* Refuses a sample whose kernel ran before t0. */
static void assert_not_raised(int which, unsigned long long value, const char *what)
{
    if (*flag(which) == value)
        DIE("%s: the kernel queued behind the wait for %llu ran before the signal", what, value);
}

/* Spins until the kernel's flag holds `value`; returns t1. */
static double wait_for_flag(int which, unsigned long long value, const char *what)
{
    double start = now_us(), t;

    while (*flag(which) != value) {
        t = now_us();
        if (t - start > FLAG_TIMEOUT_MS * 1e3)
            DIE("%s: the kernel queued behind the wait for %llu did not run within %d ms of the signal", what, value,
                FLAG_TIMEOUT_MS);
    }
    return now_us();
}

/* A fence wait is queued on the GPU; one that blocked the host instead
 * would wait here for a signal this same thread has yet to give. */
static char watchdog_message[256];

static void watchdog_fired(int signal_number)
{
    ssize_t written = write(2, watchdog_message, strlen(watchdog_message));

    (void)signal_number;
    _exit(written < 0 ? 2 : 1);
}

static void watchdog_arm(unsigned long long value)
{
    snprintf(watchdog_message, sizeof(watchdog_message), "bench_sync_gpu: cudaWaitExternalSemaphoresAsync(fence "
             "value %llu) did not return within 10 s: it blocks the host instead of queuing the wait on the GPU\n",
             value);
    signal(SIGALRM, watchdog_fired);
    alarm(10);
}

/* ---- 1. fence ------------------------------------------------------------------------ */

static void bench_fence(ID3D11Device *device, ID3D11DeviceContext *context, int n)
{
    ID3D11Device5 *device5 = NULL;
    ID3D11DeviceContext4 *context4 = NULL;
    ID3D11Fence *fence = NULL;
    HANDLE handle = NULL;
    cudaExternalSemaphoreHandleDesc desc;
    cudaExternalSemaphore_t semaphore = NULL;
    cudaStream_t raw_stream, ours_stream;
    uint64_t *page = (uint64_t *)aligned_alloc(4096, 4096);
    CUdeviceptr page_device = 0;
    double *ours = (double *)calloc(n, sizeof(double)), *raw = (double *)calloc(n, sizeof(double));

    if (!page || !ours || !raw)
        DIE("out of memory");
    HR(device->QueryInterface(IID_ID3D11Device5, (void **)&device5));
    HR(context->QueryInterface(IID_ID3D11DeviceContext4, (void **)&context4));
    HR(device5->CreateFence(0, D3D11_FENCE_FLAG_SHARED, IID_ID3D11Fence, (void **)&fence));
    HR(fence->CreateSharedHandle(NULL, GENERIC_ALL, NULL, &handle));
    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence;
    desc.handle.win32.handle = handle;
    RT(cudaImportExternalSemaphore(&semaphore, &desc));
    CloseHandle(handle);

    memset(page, 0, 4096);
    CU(mem_host_register(page, 4096, CU_MEMHOSTREGISTER_DEVICEMAP));
    CU(mem_host_get_device_pointer(&page_device, page, 0));
    RT(cudaStreamCreateWithFlags(&raw_stream, cudaStreamNonBlocking));
    RT(cudaStreamCreateWithFlags(&ours_stream, cudaStreamNonBlocking));

    for (int i = -WARMUP; i < n; i++) {
        unsigned long long value = (unsigned long long)(i + WARMUP + 1);
        cudaExternalSemaphoreWaitParams wait;
        double t0, t1;

        CU(stream_wait_value64(raw_stream, page_device, value, CU_STREAM_WAIT_VALUE_GEQ));
        launch(FLAG_FENCE_RAW, value, raw_stream);
        settle();
        assert_not_raised(FLAG_FENCE_RAW, value, "raw fence");
        t0 = now_us();
        __atomic_store_n(page, value, __ATOMIC_RELEASE);
        t1 = wait_for_flag(FLAG_FENCE_RAW, value, "raw fence");
        if (i >= 0)
            raw[i] = t1 - t0;

        memset(&wait, 0, sizeof(wait));
        wait.params.fence.value = value;
        watchdog_arm(value);
        RT(cudaWaitExternalSemaphoresAsync(&semaphore, &wait, 1, ours_stream));
        alarm(0);
        launch(FLAG_FENCE_OURS, value, ours_stream);
        settle();
        assert_not_raised(FLAG_FENCE_OURS, value, "extmem fence");
        t0 = now_us();
        HR(context4->Signal(fence, value));
        t1 = wait_for_flag(FLAG_FENCE_OURS, value, "extmem fence");
        if (i >= 0)
            ours[i] = t1 - t0;
    }
    report("fence", n, "extmem D3D11 fence", ours, "raw cuStreamWaitValue64", raw);

    RT(cudaStreamSynchronize(raw_stream));
    RT(cudaStreamSynchronize(ours_stream));
    RT(cudaStreamDestroy(raw_stream));
    RT(cudaStreamDestroy(ours_stream));
    CU(mem_host_unregister(page));
    RT(cudaDestroyExternalSemaphore(semaphore));
    fence->Release();
    context4->Release();
    device5->Release();
    free(page);
    free(ours);
    free(raw);
}

/* ---- 2. keyed mutex ------------------------------------------------------------------- */

struct waiter {
    int samples;               /* warm-up included */
    cudaStream_t stream;
    /* keyed mutex */
    cudaExternalSemaphore_t semaphore;
    /* futex */
    uint32_t word;             /* atomic */
    char failure[256];         /* set once, before the thread stops */
};

/* Sample k: waits for key 2k+1, launches the kernel, releases key 2k+2. */
static void *keyed_waiter(void *arg)
{
    struct waiter *w = (struct waiter *)arg;

    cudaSetDevice(0);
    for (int k = 0; k < w->samples; k++) {
        cudaExternalSemaphoreWaitParams wait;
        cudaExternalSemaphoreSignalParams signal;
        cudaError_t e;

        memset(&wait, 0, sizeof(wait));
        memset(&signal, 0, sizeof(signal));
        wait.params.keyedMutex.key = 2ull * k + 1;
        wait.params.keyedMutex.timeoutMs = KEY_TIMEOUT_MS;
        signal.params.keyedMutex.key = 2ull * k + 2;
        e = cudaWaitExternalSemaphoresAsync(&w->semaphore, &wait, 1, w->stream);
        if (e != cudaSuccess) {
            snprintf(w->failure, sizeof(w->failure), "cudaWaitExternalSemaphoresAsync(key %d): %s (%s)", 2 * k + 1,
                     cudaGetErrorName(e), extmemGetLastErrorMessage());
            break;
        }
        raise_flag<<<1, 1, 0, w->stream>>>(device_flag(FLAG_KEYED_OURS), (unsigned long long)k + 1);
        e = cudaGetLastError();
        if (e == cudaSuccess)
            e = cudaSignalExternalSemaphoresAsync(&w->semaphore, &signal, 1, w->stream);
        if (e != cudaSuccess) {
            snprintf(w->failure, sizeof(w->failure), "launch or cudaSignalExternalSemaphoresAsync(key %d): %s (%s)",
                     2 * k + 2, cudaGetErrorName(e), extmemGetLastErrorMessage());
            break;
        }
    }
    return NULL;
}

/* Sample k: sleeps until the word is k+1, launches the kernel. */
static void *futex_waiter(void *arg)
{
    struct waiter *w = (struct waiter *)arg;

    cudaSetDevice(0);
    for (int k = 0; k < w->samples; k++) {
        uint32_t seen;

        while ((seen = __atomic_load_n(&w->word, __ATOMIC_ACQUIRE)) != (uint32_t)k + 1)
            syscall(SYS_futex, &w->word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
        raise_flag<<<1, 1, 0, w->stream>>>(device_flag(FLAG_KEYED_RAW), (unsigned long long)k + 1);
        if (cudaGetLastError() != cudaSuccess) {
            snprintf(w->failure, sizeof(w->failure), "kernel launch failed");
            break;
        }
    }
    return NULL;
}

static void bench_keyed_mutex(ID3D11Device *device, int n)
{
    D3D11_BUFFER_DESC desc = {};
    ID3D11Buffer *buffer = NULL;
    IDXGIResource1 *dxgi = NULL;
    IDXGIKeyedMutex *mutex = NULL;
    HANDLE handle = NULL;
    cudaExternalSemaphoreHandleDesc sem_desc;
    struct waiter keyed = {}, futex = {};
    pthread_t keyed_thread, futex_thread;
    double *ours = (double *)calloc(n, sizeof(double)), *raw = (double *)calloc(n, sizeof(double));
    int samples = n + WARMUP;

    if (!ours || !raw)
        DIE("out of memory");
    desc.ByteWidth = 4096;
    desc.Usage = D3D11_USAGE_DEFAULT;
    desc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
    desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX | D3D11_RESOURCE_MISC_SHARED_NTHANDLE;
    HR(device->CreateBuffer(&desc, NULL, &buffer));
    HR(buffer->QueryInterface(IID_IDXGIResource1, (void **)&dxgi));
    HR(buffer->QueryInterface(IID_IDXGIKeyedMutex, (void **)&mutex));
    HR(dxgi->CreateSharedHandle(NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE, NULL, &handle));
    memset(&sem_desc, 0, sizeof(sem_desc));
    sem_desc.type = cudaExternalSemaphoreHandleTypeKeyedMutex;
    sem_desc.handle.win32.handle = handle;
    RT(cudaImportExternalSemaphore(&keyed.semaphore, &sem_desc));
    CloseHandle(handle);

    keyed.samples = futex.samples = samples;
    RT(cudaStreamCreateWithFlags(&keyed.stream, cudaStreamNonBlocking));
    RT(cudaStreamCreateWithFlags(&futex.stream, cudaStreamNonBlocking));
    HR(mutex->AcquireSync(0, KEY_TIMEOUT_MS));
    if (pthread_create(&keyed_thread, NULL, keyed_waiter, &keyed) != 0 ||
        pthread_create(&futex_thread, NULL, futex_waiter, &futex) != 0)
        DIE("pthread_create");

    for (int k = 0; k < samples; k++) {
        unsigned long long value = (unsigned long long)k + 1;
        double t0, t1;
        HRESULT hr;

        settle();
        assert_not_raised(FLAG_KEYED_RAW, value, "raw futex");
        t0 = now_us();
        __atomic_store_n(&futex.word, (uint32_t)value, __ATOMIC_RELEASE);
        syscall(SYS_futex, &futex.word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        if (futex.failure[0])
            DIE("the futex thread: %s", futex.failure);
        t1 = wait_for_flag(FLAG_KEYED_RAW, value, "raw futex");
        if (k >= WARMUP)
            raw[k - WARMUP] = t1 - t0;

        settle();
        if (keyed.failure[0])
            DIE("the keyed-mutex thread: %s", keyed.failure);
        assert_not_raised(FLAG_KEYED_OURS, value, "extmem keyed mutex");
        t0 = now_us();
        HR(mutex->ReleaseSync(2ull * k + 1));
        t1 = wait_for_flag(FLAG_KEYED_OURS, value, "extmem keyed mutex");
        if (k >= WARMUP)
            ours[k - WARMUP] = t1 - t0;
        /* Compared as it is: WAIT_TIMEOUT and WAIT_ABANDONED are success codes. */
        hr = mutex->AcquireSync(2ull * k + 2, KEY_TIMEOUT_MS);
        if (hr != S_OK)
            DIE("AcquireSync(%llu) returned 0x%08x after the CUDA thread's signal; the thread says: %s",
                2ull * k + 2, (unsigned)hr, keyed.failure[0] ? keyed.failure : "nothing");
    }
    pthread_join(keyed_thread, NULL);
    pthread_join(futex_thread, NULL);
    report("keyed-mutex", n, "extmem keyed mutex", ours, "raw futex wake + launch", raw);

    HR(mutex->ReleaseSync(0));
    RT(cudaStreamSynchronize(keyed.stream));
    RT(cudaStreamSynchronize(futex.stream));
    RT(cudaStreamDestroy(keyed.stream));
    RT(cudaStreamDestroy(futex.stream));
    RT(cudaDestroyExternalSemaphore(keyed.semaphore));
    mutex->Release();
    dxgi->Release();
    buffer->Release();
    free(ours);
    free(raw);
}

int main(int argc, char **argv)
{
    int devices = 0, scale = argc > 1 ? atoi(argv[1]) : 1, n;
    cudaDeviceProp prop;
    ID3D11Device *device = NULL;
    ID3D11DeviceContext *context = NULL;
    void *host = NULL, *dev = NULL;

    n = 1000 * (scale > 0 ? scale : 1);
    setenv("EXTMEM_BACKEND", "cuda", 1);
    setenv("EXTMEM_BROKER", "off", 1); /* one process: nothing to share with another */
    cudaError_t count_error = cudaGetDeviceCount(&devices);
    if (count_error != cudaSuccess || devices == 0) {
        printf("skipped: no CUDA device (cudaGetDeviceCount: %s, %d devices)\n", cudaGetErrorName(count_error),
               devices);
        return 77;
    }
    if (!extmemGetBackendName()) {
        printf("skipped: %s\n", extmemGetLastErrorMessage());
        return 77;
    }
    RT(cudaSetDevice(0));
    RT(cudaGetDeviceProperties(&prop, 0));
    entry_point("cuGetErrorName", &get_error_name); /* first: CU() uses it */
    entry_point("cuMemHostRegister", &mem_host_register);
    entry_point("cuMemHostUnregister", &mem_host_unregister);
    entry_point("cuMemHostGetDevicePointer", &mem_host_get_device_pointer);
    entry_point("cuStreamWaitValue64", &stream_wait_value64);
    RT(cudaHostAlloc(&host, 64 * FLAG_COUNT, cudaHostAllocMapped));
    memset(host, 0, 64 * FLAG_COUNT);
    RT(cudaHostGetDevicePointer(&dev, host, 0));
    flags = (volatile unsigned long long *)host;
    device_flags = (volatile unsigned long long *)dev;
    /* Load the kernel now: CUDA loads a module on a kernel's first launch
     * (CUDA_MODULE_LOADING=LAZY, the default), and loading waits for the
     * context's streams, so a first launch queued behind a wait that this
     * thread is yet to signal would never return. */
    launch(FLAG_COUNT - 1, 0, 0);
    RT(cudaDeviceSynchronize());
    HR(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                         &context));

    printf("bench_sync_gpu on %s: GPU wait-to-start latency, %d samples of each side (t0: the host signals; t1: "
           "the host sees the flag of the kernel queued behind the wait)\n", prop.name, n);
    fflush(stdout);
    bench_fence(device, context, n);
    bench_keyed_mutex(device, n);

    context->Release();
    device->Release();
    RT(cudaFreeHost(host));
    return 0;
}
