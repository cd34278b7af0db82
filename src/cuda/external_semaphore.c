/*
 * cudaImportExternalSemaphore and friends for D3D11 fences and keyed
 * mutexes, on the host implementation of streams.
 *
 * An import resolves its handle through core/handle_table, like a memory
 * import (external_memory.c), and holds one reference on the fence or on
 * the resource whose keyed mutex it stands for. For the keyed mutex, the
 * import is an owner of its own, as a D3D11 device is: what it acquires
 * only it can release.
 *
 * Stream order. On the cuda backend, with any stream but one of the host
 * implementation's (extmemStreamCreate), waits and signals are queued on
 * the GPU (semaphore_driver.c): a fence wait makes the stream wait for the
 * value and returns at once; a fence signal stores the value behind the
 * work queued before it. A keyed mutex is taken on the CPU -- the call
 * blocks until the key is released, up to params.keyedMutex.timeoutMs,
 * which is why that parameter exists -- and the stream then waits, on the
 * GPU, for the previous owner's work to complete (WDDM's keyed mutexes
 * hand over a fence value the same way); a keyed-mutex signal releases the
 * key at once and stores its ticket behind the stream's work, so the next
 * owner's work starts only after it. Elsewhere (the host backend, the
 * host implementation's streams), the host runtime runs a stream's work
 * when it is queued (runtime.c), so a wait blocks the calling thread until
 * the value or key arrives and a signal happens at once: the same order.
 *
 * Where CUDA's documentation is silent extmem chose (docs/SEMANTICS.md):
 * a description that is wrong in itself is cudaErrorInvalidValue; a
 * handle or name that names nothing is cudaErrorInvalidResourceHandle; a
 * handle type extmem does not implement is cudaErrorNotSupported; a
 * keyed-mutex signal by an import that does not hold the mutex, or a wait
 * by one that holds it already, is cudaErrorIllegalState; a keyed mutex
 * abandoned by its owner is cudaErrorExternalDevice. A call validates
 * every entry before acting, and a wait that fails part way releases what
 * it acquired, so a failed call leaves every semaphore as it was.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/fence.h"
#include "core/handle_table.h"
#include "core/hash_map.h"
#include "core/resource.h"
#include "cuda/cuda_private.h"

struct CUexternalSemaphore_st {
    uint32_t refcount;          /* the registry's entry + calls in flight; atomic */
    bool is_fence;
    struct xm_fence *fence;     /* D3D11Fence: one reference */
    struct xm_resource *resource; /* KeyedMutex(Kmt): one reference */
    uint64_t owner;             /* owner token for the keyed mutex */
    struct xm_gpu_page *gpu_page; /* cuda backend: the page on the device, for stream-ordered calls */
    /* Keyed mutex: the work its last take waited for; written under the
     * mutex's lock by the take, read by the owner's release. */
    struct xm_keyed_mutex_handoff taken;
};

static pthread_mutex_t semaphores_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xm_hash_map semaphores; /* live imports, so a stale one is an error, not a crash */

static void semaphore_unref(struct CUexternalSemaphore_st *semaphore)
{
    if (__atomic_sub_fetch(&semaphore->refcount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    xm_gpu_page_put(semaphore->gpu_page);
    if (semaphore->is_fence) {
        xm_fence_unref(semaphore->fence);
    } else {
        /* Nobody can release what this import holds any more. */
        xm_keyed_mutex_abandon_owner(semaphore->resource->keyed_mutex, semaphore->owner);
        xm_resource_unref(semaphore->resource);
    }
    free(semaphore);
}

/* Takes a reference on a live import for the duration of a call. */
static struct CUexternalSemaphore_st *semaphore_get(cudaExternalSemaphore_t handle)
{
    struct CUexternalSemaphore_st *semaphore;

    pthread_mutex_lock(&semaphores_lock);
    semaphore = xm_hash_map_get(&semaphores, (uint64_t)(uintptr_t)handle);
    if (semaphore)
        __atomic_add_fetch(&semaphore->refcount, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&semaphores_lock);
    return semaphore;
}

static bool reserved_is_zero(const unsigned int *reserved, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (reserved[i])
            return false;
    return true;
}

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- import ------------------------------------------------------------ */

static cudaError_t lookup_error(enum xm_lookup result, bool want_fence, const void *handle, const WCHAR *name)
{
    if (result == XM_LOOKUP_WRONG_KIND)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: the %s names %s; import it "
                             "with %s", name ? "name" : "handle", want_fence ? "a resource, not a fence" :
                             "a fence, not a resource", want_fence ? "cudaExternalSemaphoreHandleTypeKeyedMutex" :
                             "cudaExternalSemaphoreHandleTypeD3D11Fence");
    if (name)
        return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaImportExternalSemaphore: no shared %s is named "
                             "\"%ls\"", want_fence ? "fence" : "resource", name);
    return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaImportExternalSemaphore: handle %p is not an open NT "
                         "handle of this process", handle);
}

/* Resolves a validated description to the object it names (one reference). */
static cudaError_t resolve(const cudaExternalSemaphoreHandleDesc *desc, struct xm_object **out)
{
    const void *handle = desc->handle.win32.handle;
    const WCHAR *name = desc->handle.win32.name;
    bool want_fence = desc->type == cudaExternalSemaphoreHandleTypeD3D11Fence;
    enum xm_object_kind kind = want_fence ? XM_OBJECT_FENCE : XM_OBJECT_RESOURCE;
    struct xm_object *kmt;
    enum xm_lookup result;

    if (desc->type == cudaExternalSemaphoreHandleTypeKeyedMutexKmt) {
        result = (uintptr_t)handle > UINT32_MAX ? XM_LOOKUP_NOT_FOUND
                                                : xm_kmt_open((uint32_t)(uintptr_t)handle, kind, out);
        if (result != XM_LOOKUP_OK)
            return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaImportExternalSemaphore: KMT handle %p names "
                                 "no live shared resource", handle);
        return cudaSuccess;
    }
    if (name) {
        if (!xm_name_is_valid(name))
            return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: handle.win32.name: %s",
                                 xm_last_error_message());
        result = xm_name_open(name, kind, out, NULL);
    } else {
        result = xm_handle_open((HANDLE)handle, kind, out, NULL);
        /* A KMT value passed as an NT handle is a common mistake: say so. */
        if (result == XM_LOOKUP_NOT_FOUND && !want_fence && (uintptr_t)handle <= UINT32_MAX &&
            xm_kmt_open((uint32_t)(uintptr_t)handle, kind, &kmt) == XM_LOOKUP_OK) {
            xm_object_unref(kmt);
            return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: handle %p is a KMT handle: "
                                 "import it with cudaExternalSemaphoreHandleTypeKeyedMutexKmt", handle);
        }
    }
    if (result != XM_LOOKUP_OK)
        return lookup_error(result, want_fence, handle, name);
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemImportExternalSemaphore(cudaExternalSemaphore_t *extSem_out,
                                                     const cudaExternalSemaphoreHandleDesc *desc)
{
    struct CUexternalSemaphore_st *semaphore;
    struct xm_object *object = NULL;
    cudaError_t error;

    if (!extSem_out || !desc)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: %s is NULL",
                             !extSem_out ? "extSem_out" : "semHandleDesc");
    switch (desc->type) {
    case cudaExternalSemaphoreHandleTypeD3D11Fence:
    case cudaExternalSemaphoreHandleTypeKeyedMutex:
    case cudaExternalSemaphoreHandleTypeKeyedMutexKmt:
        break;
    case cudaExternalSemaphoreHandleTypeOpaqueFd:
    case cudaExternalSemaphoreHandleTypeOpaqueWin32:
    case cudaExternalSemaphoreHandleTypeOpaqueWin32Kmt:
    case cudaExternalSemaphoreHandleTypeD3D12Fence:
    case cudaExternalSemaphoreHandleTypeNvSciSync:
    case cudaExternalSemaphoreHandleTypeTimelineSemaphoreFd:
    case cudaExternalSemaphoreHandleTypeTimelineSemaphoreWin32:
        return xm_cuda_error(cudaErrorNotSupported, "cudaImportExternalSemaphore: handle type %d is not a D3D11 "
                             "type; extmem imports D3D11Fence (5), KeyedMutex (7) and KeyedMutexKmt (8)",
                             (int)desc->type);
    default:
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: type %d is not a "
                             "cudaExternalSemaphoreHandleType", (int)desc->type);
    }
    if (desc->flags)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: flags must be 0 (got 0x%x)",
                             desc->flags);
    if (!reserved_is_zero(desc->reserved, COUNT_OF(desc->reserved)))
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: reserved[] must be zero");
    if (!!desc->handle.win32.handle == !!desc->handle.win32.name)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: exactly one of "
                             "handle.win32.handle and handle.win32.name must be non-NULL");
    if (desc->type == cudaExternalSemaphoreHandleTypeKeyedMutexKmt && desc->handle.win32.name)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: a KMT handle has no name; "
                             "handle.win32.name must be NULL");

    error = resolve(desc, &object);
    if (error != cudaSuccess)
        return error;
    if (object->kind == XM_OBJECT_RESOURCE && !xm_resource_from_object(object)->keyed_mutex) {
        if (xm_resource_from_object(object)->desc.misc_flags & D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX)
            error = xm_cuda_error(cudaErrorNotSupported, "cudaImportExternalSemaphore: the resource came from "
                                  "another process without its keyed mutex's page");
        else
            error = xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalSemaphore: the resource was created "
                                  "without D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX: it has no keyed mutex");
        goto fail;
    }
    semaphore = calloc(1, sizeof(*semaphore));
    if (!semaphore) {
        error = xm_cuda_error(cudaErrorMemoryAllocation, "cudaImportExternalSemaphore: out of memory");
        goto fail;
    }
    semaphore->refcount = 1;
    semaphore->is_fence = object->kind == XM_OBJECT_FENCE;
    if (semaphore->is_fence)
        semaphore->fence = xm_fence_from_object(object);
    else
        semaphore->resource = xm_resource_from_object(object);
    semaphore->owner = xm_keyed_mutex_new_owner();
    /* On the cuda backend, waits and signals go to the GPU: map the page now. */
    if (xm_driver_is_default()) {
        error = xm_gpu_page_get(semaphore->is_fence ? semaphore->fence->page.fd
                                                    : semaphore->resource->keyed_mutex->page.fd,
                                &semaphore->gpu_page);
        if (error != cudaSuccess) {
            free(semaphore);
            goto fail;
        }
    }
    pthread_mutex_lock(&semaphores_lock);
    if (!xm_hash_map_insert(&semaphores, (uint64_t)(uintptr_t)semaphore, semaphore)) {
        pthread_mutex_unlock(&semaphores_lock);
        xm_gpu_page_put(semaphore->gpu_page);
        free(semaphore);
        error = xm_cuda_error(cudaErrorMemoryAllocation, "cudaImportExternalSemaphore: out of memory");
        goto fail;
    }
    pthread_mutex_unlock(&semaphores_lock);
    *extSem_out = semaphore;
    return cudaSuccess;

fail:
    xm_object_unref(object);
    return error;
}

EXTMEM_API cudaError_t extmemDestroyExternalSemaphore(cudaExternalSemaphore_t extSem)
{
    struct CUexternalSemaphore_st *semaphore;

    pthread_mutex_lock(&semaphores_lock);
    semaphore = xm_hash_map_remove(&semaphores, (uint64_t)(uintptr_t)extSem);
    pthread_mutex_unlock(&semaphores_lock);
    if (!semaphore)
        return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaDestroyExternalSemaphore: %p is not a live "
                             "external semaphore", (void *)extSem);
    semaphore_unref(semaphore);
    return cudaSuccess;
}

/* ---- signal and wait --------------------------------------------------- */

/* Whether calls on `stream` are queued on the GPU (semaphores with a
 * gpu_page) rather than run on the host. */
static bool on_device(cudaStream_t stream)
{
    return xm_driver_is_default() && !xm_stream_is_host(stream);
}

/* Whether waits, too, are queued on the GPU, as CUDA does, rather than
 * block the calling thread until the value or the previous owner's work
 * arrives: yes unless EXTMEM_GPU_WAITS=0. Signals are always queued. */
static bool gpu_waits(void)
{
    static int enabled = -1; /* atomic */
    int value = __atomic_load_n(&enabled, __ATOMIC_RELAXED);

    if (value < 0) {
        const char *env = getenv("EXTMEM_GPU_WAITS");

        value = !(env && strcmp(env, "0") == 0);
        __atomic_store_n(&enabled, value, __ATOMIC_RELAXED);
    }
    return value;
}

/* Validates the parts every signal and wait share and takes a reference on
 * each semaphore (released with put_semaphores). */
static cudaError_t get_semaphores(const char *call, const cudaExternalSemaphore_t *handles, const void *params,
                                  unsigned int count, cudaStream_t stream, struct CUexternalSemaphore_st ***out)
{
    struct CUexternalSemaphore_st **list;
    cudaError_t error;

    *out = NULL;
    if (count && (!handles || !params))
        return xm_cuda_error(cudaErrorInvalidValue, "%s: %s is NULL", call, !handles ? "extSemArray" : "paramsArray");
    /* A stream of the cuda backend is CUDA's: passed to the driver as the
     * CUDA runtime passes it (which cannot tell a bad pointer from a stream:
     * cuStreamGetCtx of one crashes, measured on the H100). The host
     * implementation knows its own. */
    error = on_device(stream) ? cudaSuccess : xm_stream_check(stream, call);
    if (error != cudaSuccess || !count)
        return error;
    list = calloc(count, sizeof(*list));
    if (!list)
        return xm_cuda_error(cudaErrorMemoryAllocation, "%s: out of memory", call);
    for (unsigned int i = 0; i < count; i++) {
        list[i] = semaphore_get(handles[i]);
        if (!list[i]) {
            error = xm_cuda_error(cudaErrorInvalidResourceHandle, "%s: extSemArray[%u] = %p is not a live external "
                                  "semaphore", call, i, (void *)handles[i]);
            while (i--)
                semaphore_unref(list[i]);
            free(list);
            return error;
        }
    }
    *out = list;
    return cudaSuccess;
}

static void put_semaphores(struct CUexternalSemaphore_st **list, unsigned int count)
{
    for (unsigned int i = 0; list && i < count; i++)
        semaphore_unref(list[i]);
    free(list);
}

static cudaError_t check_params(const char *call, unsigned int i, unsigned int flags, const unsigned int *reserved,
                                size_t reserved_count)
{
    /* The only flags CUDA defines are for NvSciSync semaphores. */
    if (flags)
        return xm_cuda_error(cudaErrorInvalidValue, "%s: paramsArray[%u].flags must be 0 for D3D11 semaphores "
                             "(got 0x%x)", call, i, flags);
    if (!reserved_is_zero(reserved, reserved_count))
        return xm_cuda_error(cudaErrorInvalidValue, "%s: paramsArray[%u].reserved[] must be zero", call, i);
    return cudaSuccess;
}

static cudaError_t signal_one(struct CUexternalSemaphore_st *semaphore,
                              const cudaExternalSemaphoreSignalParams *params, cudaStream_t stream)
{
    struct xm_keyed_mutex *mutex = semaphore->is_fence ? NULL : semaphore->resource->keyed_mutex;
    bool device = semaphore->gpu_page && on_device(stream);
    uint64_t ticket;
    cudaError_t error;

    if (semaphore->is_fence) {
        if (device)
            return xm_gpu_fence_signal(semaphore->gpu_page, stream, params->params.fence.value);
        xm_fence_signal(semaphore->fence, params->params.fence.value);
        return cudaSuccess;
    }
    if (!device) {
        /* Work the take left to a GPU stream must be done before a host
         * release says it is. */
        if (!xm_keyed_mutex_work_is_done(mutex, &semaphore->taken))
            xm_keyed_mutex_wait_work(mutex, semaphore->owner, &semaphore->taken, NULL);
        xm_keyed_mutex_release(mutex, params->params.keyedMutex.key, semaphore->owner);
        return cudaSuccess;
    }
    /* Queue the store first: if the stream refuses it, nothing changed. */
    ticket = xm_keyed_mutex_next_ticket(mutex);
    error = xm_gpu_work_signal(semaphore->gpu_page, stream, &semaphore->taken, ticket);
    if (error == cudaSuccess)
        xm_keyed_mutex_release_queued(mutex, params->params.keyedMutex.key, semaphore->owner, ticket);
    return error;
}

EXTMEM_API cudaError_t extmemSignalExternalSemaphoresAsync(const cudaExternalSemaphore_t *extSemArray,
                                                           const cudaExternalSemaphoreSignalParams *paramsArray,
                                                           unsigned int numExtSems, cudaStream_t stream)
{
    static const char call[] = "cudaSignalExternalSemaphoresAsync";
    struct CUexternalSemaphore_st **list;
    cudaError_t error = get_semaphores(call, extSemArray, paramsArray, numExtSems, stream, &list);

    if (error != cudaSuccess || !numExtSems)
        return error;
    for (unsigned int i = 0; i < numExtSems; i++) {
        error = check_params(call, i, paramsArray[i].flags, paramsArray[i].reserved, COUNT_OF(paramsArray[i].reserved));
        if (error != cudaSuccess)
            goto done;
        /* Checked for all before any is released: a failed call changes nothing. */
        if (!list[i]->is_fence && !xm_keyed_mutex_is_owned_by(list[i]->resource->keyed_mutex, list[i]->owner)) {
            error = xm_cuda_error(cudaErrorIllegalState, "%s: extSemArray[%u] does not hold its keyed mutex "
                                  "(acquire it with cudaWaitExternalSemaphoresAsync first)", call, i);
            goto done;
        }
    }
    for (unsigned int i = 0; i < numExtSems && error == cudaSuccess; i++)
        error = signal_one(list[i], &paramsArray[i], stream);
done:
    put_semaphores(list, numExtSems);
    return error;
}

static cudaError_t wait_one(struct CUexternalSemaphore_st *semaphore, const cudaExternalSemaphoreWaitParams *params,
                            cudaStream_t stream, unsigned int index)
{
    static const char call[] = "cudaWaitExternalSemaphoresAsync";
    struct xm_keyed_mutex *mutex = semaphore->is_fence ? NULL : semaphore->resource->keyed_mutex;
    bool device = semaphore->gpu_page && on_device(stream) && gpu_waits();
    enum xm_keyed_mutex_result result;
    cudaError_t error = cudaSuccess;

    if (semaphore->is_fence) {
        if (device)
            return xm_gpu_fence_wait(semaphore->gpu_page, stream, params->params.fence.value);
        xm_fence_wait(semaphore->fence, params->params.fence.value, NULL);
        return cudaSuccess;
    }
    /* On the device, only the key is waited for here; the previous
     * owner's work is waited for by the stream. */
    result = device ? xm_keyed_mutex_take(mutex, params->params.keyedMutex.key, semaphore->owner,
                                          params->params.keyedMutex.timeoutMs, &semaphore->taken)
                    : xm_keyed_mutex_acquire_handoff(mutex, params->params.keyedMutex.key, semaphore->owner,
                                                     params->params.keyedMutex.timeoutMs, &semaphore->taken);
    switch (result) {
    case XM_KEYED_MUTEX_ACQUIRED:
        if (device && !xm_keyed_mutex_work_is_done(mutex, &semaphore->taken)) {
            error = xm_gpu_work_wait(semaphore->gpu_page, stream, &semaphore->taken);
            if (error != cudaSuccess)
                xm_keyed_mutex_untake(mutex, semaphore->owner);
        }
        return error;
    case XM_KEYED_MUTEX_TIMED_OUT:
        return xm_cuda_error(cudaErrorTimeout, "%s: extSemArray[%u]'s keyed mutex was not released with key %llu "
                             "within %u ms", call, index, params->params.keyedMutex.key,
                             params->params.keyedMutex.timeoutMs);
    case XM_KEYED_MUTEX_WAS_ABANDONED:
        return xm_cuda_error(cudaErrorExternalDevice, "%s: extSemArray[%u]'s keyed mutex was abandoned: its owner "
                             "died holding it (or before the work it queued completed)", call, index);
    case XM_KEYED_MUTEX_ALREADY_OWNED:
    default:
        return xm_cuda_error(cudaErrorIllegalState, "%s: extSemArray[%u] holds its keyed mutex already (signal it "
                             "first)", call, index);
    }
}

EXTMEM_API cudaError_t extmemWaitExternalSemaphoresAsync(const cudaExternalSemaphore_t *extSemArray,
                                                         const cudaExternalSemaphoreWaitParams *paramsArray,
                                                         unsigned int numExtSems, cudaStream_t stream)
{
    static const char call[] = "cudaWaitExternalSemaphoresAsync";
    struct CUexternalSemaphore_st **list;
    unsigned int done_count = 0;
    cudaError_t error = get_semaphores(call, extSemArray, paramsArray, numExtSems, stream, &list);

    if (error != cudaSuccess || !numExtSems)
        return error;
    for (unsigned int i = 0; i < numExtSems; i++) {
        error = check_params(call, i, paramsArray[i].flags, paramsArray[i].reserved, COUNT_OF(paramsArray[i].reserved));
        if (error != cudaSuccess)
            goto done;
    }
    for (; done_count < numExtSems; done_count++) {
        error = wait_one(list[done_count], &paramsArray[done_count], stream, done_count);
        if (error != cudaSuccess)
            break;
    }
    /* A wait that failed part way gives back the keyed mutexes it took, as
     * they were (released with the same key, waiting for the same work). */
    if (error != cudaSuccess) {
        while (done_count--) {
            if (!list[done_count]->is_fence)
                xm_keyed_mutex_untake(list[done_count]->resource->keyed_mutex, list[done_count]->owner);
        }
    }
done:
    put_semaphores(list, numExtSems);
    return error;
}

size_t xm_semaphore_count(void)
{
    size_t count;

    pthread_mutex_lock(&semaphores_lock);
    count = semaphores.count;
    pthread_mutex_unlock(&semaphores_lock);
    return count;
}
