/*
 * Loading libcuda.so.1 at run time and resolving the driver's entry points.
 *
 * Only cuInit and cuGetProcAddress are looked up with dlsym; every other
 * function comes from cuGetProcAddress at CUDA_VERSION, the ABI of the
 * cuda.h we were compiled with. That is how NVIDIA asks run-time loaders to
 * do it: cuda.h maps many names onto versioned symbols (cuMemcpy3D is
 * cuMemcpy3D_v2), and cuGetProcAddress returns the version whose signature
 * matches the header's.
 *
 * The library is loaded once and never unloaded: the driver keeps threads
 * and state of its own, and the primary context is retained, and the work
 * context kept, for the life of the process (the driver releases both at
 * exit).
 */
#include "backend/cuda_driver.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static struct xm_cuda_driver driver;
static bool loaded;
static char load_failure[200];

#define fail_load(...) snprintf(load_failure, sizeof(load_failure), __VA_ARGS__)

static bool device_supports(CUdevice device, CUdevice_attribute attribute)
{
    int value = 0;

    return driver.cuDeviceGetAttribute(&value, attribute, device) == CUDA_SUCCESS && value;
}

/* The ABI version to ask cuGetProcAddress for. CUDA_VERSION, the header's,
 * except where the header keeps an old signature under the plain name while
 * the driver gives that name a new one at CUDA_VERSION: CUDA 13.0's cuda.h
 * declares cuCtxSynchronize(void), but cuGetProcAddress("cuCtxSynchronize",
 * 13000) returns cuCtxSynchronize_v2(CUcontext) (cudaTypedefs.h:
 * PFN_cuCtxSynchronize_v13000). Asking at 12.0 gives the void one. And
 * cuCtxCreate, whose plain name is the 3-argument form in CUDA 12's cuda.h
 * while the driver gives it 5 arguments from 11.4 and 4 from 12.5 on
 * (PFN_cuCtxCreate_v11040, _v12050): with CUDA 12 headers it is asked for
 * at 3.2. */
static int abi_version(const char *name)
{
    if (strcmp(name, "cuCtxSynchronize") == 0 && CUDA_VERSION >= 13000)
        return 12000;
    if (strcmp(name, "cuCtxCreate") == 0 && CUDA_VERSION < 13000)
        return 3020;
    return CUDA_VERSION;
}

/*
 * The D3D11 side's own context (cuda_driver.h says why), with its stream
 * and staging buffer. cuCtxCreate pushes it on the loading thread; it is
 * popped once they are made, so the thread keeps whatever it had current.
 */
static CUresult make_work_context(const char **failed)
{
    CUcontext popped;
    CUresult result;

#if CUDA_VERSION >= 13000
    result = driver.cuCtxCreate(&driver.work_context, NULL, 0, driver.device);
#else
    result = driver.cuCtxCreate(&driver.work_context, 0, driver.device);
#endif
    if (result != CUDA_SUCCESS) {
        *failed = "cannot create a context on device 0";
        return result;
    }
    /* It launches no kernel of its own: no thread stack, printf buffer or
     * malloc heap to reserve device memory for (half its 524 MiB on an H100). */
    driver.cuCtxSetLimit(CU_LIMIT_STACK_SIZE, 0);
    driver.cuCtxSetLimit(CU_LIMIT_PRINTF_FIFO_SIZE, 0);
    driver.cuCtxSetLimit(CU_LIMIT_MALLOC_HEAP_SIZE, 0);
    if ((result = driver.cuStreamCreate(&driver.stream, CU_STREAM_NON_BLOCKING)) != CUDA_SUCCESS)
        *failed = "cannot make a stream on device 0";
    else if ((result = driver.cuMemHostAlloc(&driver.staging, XM_CUDA_STAGING_BYTES, 0)) != CUDA_SUCCESS)
        *failed = "cannot allocate the staging buffer's pinned host memory";
    if (result != CUDA_SUCCESS) {
        driver.cuCtxDestroy(driver.work_context); /* pops it, with its stream */
        return result;
    }
    driver.cuCtxPopCurrent(&popped);
    return CUDA_SUCCESS;
}

static void load_driver(void)
{
    __typeof__(cuGetProcAddress) *get_proc;
    __typeof__(cuInit) *init;
    const char *failed = NULL;
    CUresult result;
    int count = 0;
    void *library;

    library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        fail_load("libcuda.so.1 not found (no NVIDIA driver on this machine): %s", dlerror());
        return;
    }
    /* cuGetProcAddress has had its 5-argument form under the _v2 name since CUDA 12.0. */
    init = (__typeof__(cuInit) *)dlsym(library, "cuInit");
    get_proc = (__typeof__(cuGetProcAddress) *)dlsym(library, "cuGetProcAddress_v2");
    if (!init || !get_proc) {
        fail_load("libcuda.so.1 is too old: it lacks %s (a CUDA 12 driver or newer is needed)",
                  !init ? "cuInit" : "cuGetProcAddress_v2");
        return;
    }
    result = init(0);
    if (result == CUDA_ERROR_NO_DEVICE) {
        fail_load("no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)");
        return;
    }
    if (result != CUDA_SUCCESS) {
        fail_load("cuInit failed with CUresult %d", (int)result);
        return;
    }
#define XM_CUDA_DRIVER_RESOLVE(fn)                                                                 \
    {                                                                                              \
        CUdriverProcAddressQueryResult status = CU_GET_PROC_ADDRESS_SUCCESS;                       \
        void *address = NULL;                                                                      \
        if (get_proc(#fn, &address, abi_version(#fn), CU_GET_PROC_ADDRESS_DEFAULT, &status) != CUDA_SUCCESS || \
            status != CU_GET_PROC_ADDRESS_SUCCESS || !address) {                                   \
            fail_load("the CUDA driver has no %s for CUDA %d.%d (driver too old?)", #fn,          \
                      CUDA_VERSION / 1000, CUDA_VERSION % 1000 / 10);                              \
            return;                                                                                \
        }                                                                                          \
        driver.fn = (__typeof__(driver.fn))address;                                                \
    }
    XM_CUDA_DRIVER_FUNCTIONS(XM_CUDA_DRIVER_RESOLVE)
#undef XM_CUDA_DRIVER_RESOLVE

    if (driver.cuDeviceGetCount(&count) != CUDA_SUCCESS || count == 0) {
        fail_load("no CUDA device");
        return;
    }
    if ((result = driver.cuDeviceGet(&driver.device, 0)) != CUDA_SUCCESS) {
        fail_load("cuDeviceGet(0) failed: %s", xm_cuda_result_name(result));
        return;
    }
    driver.cuDeviceGetName(driver.device_name, sizeof(driver.device_name), driver.device);
    if (!device_supports(driver.device, CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED) ||
        !device_supports(driver.device, CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED)) {
        fail_load("CUDA device 0 (%s) lacks virtual memory management with POSIX fd export", driver.device_name);
        return;
    }
    driver.stream_memops = device_supports(driver.device, CU_DEVICE_ATTRIBUTE_CAN_USE_64_BIT_STREAM_MEM_OPS);
    if ((result = make_work_context(&failed)) != CUDA_SUCCESS) {
        fail_load("%s: %s", failed, xm_cuda_result_name(result));
        return;
    }
    if ((result = driver.cuDevicePrimaryCtxRetain(&driver.context, driver.device)) != CUDA_SUCCESS) {
        fail_load("cannot retain device 0's primary context: %s", xm_cuda_result_name(result));
        driver.cuCtxDestroy(driver.work_context);
        return;
    }
    loaded = true;
}

const struct xm_cuda_driver *xm_cuda_driver_load(char *why, size_t why_size)
{
    pthread_once(&load_once, load_driver);
    if (!loaded) {
        if (why && why_size)
            snprintf(why, why_size, "%s", load_failure);
        return NULL;
    }
    return &driver;
}

const struct xm_cuda_driver *xm_cuda_driver_get(char *why, size_t why_size)
{
    CUcontext current = NULL;

    if (!xm_cuda_driver_load(why, why_size))
        return NULL;
    /* The runtime API and extmem share device 0's primary context, so that
     * pointers and arrays pass between them; make it current here unless
     * it already is. */
    if (driver.cuCtxGetCurrent(&current) != CUDA_SUCCESS || current != driver.context) {
        CUresult result = driver.cuCtxSetCurrent(driver.context);

        if (result != CUDA_SUCCESS) {
            if (why && why_size)
                snprintf(why, why_size, "cannot make the primary context current: %s", xm_cuda_result_name(result));
            return NULL;
        }
    }
    return &driver;
}

const char *xm_cuda_result_name(CUresult result)
{
    const char *name = NULL;

    /* Resolved early in loading, so that its failures have names too. */
    if (driver.cuGetErrorName && driver.cuGetErrorName(result, &name) == CUDA_SUCCESS && name)
        return name;
    return "unknown CUresult";
}
