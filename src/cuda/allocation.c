/*
 * The registry of device pointers and arrays extmem handed out, and the
 * thread's last CUDA error.
 *
 * Linear allocations (extmemMalloc memory, mapped buffers) sit in one array
 * sorted by address, so a range check is a binary search. Mapped
 * mipmapped arrays sit in a hash map, and each of their level arrays in
 * another, so an array argument is checked before it is read.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/error.h"
#include "core/hash_map.h"
#include "cuda/cuda_private.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xm_allocation *linear;  /* sorted by ptr */
static size_t linear_count, linear_capacity;
static struct xm_hash_map mipmaps;     /* struct cudaMipmappedArray * -> struct xm_allocation * */
static struct xm_hash_map level_arrays; /* struct cudaArray * -> struct cudaMipmappedArray * */

static _Thread_local cudaError_t last_cuda_error;

cudaError_t xm_cuda_fail(cudaError_t code, const char *file, int line, const char *fmt, ...)
{
    char message[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    xm_set_error_message(file, line, "%s", message);
    last_cuda_error = code;
    return code;
}

cudaError_t xm_cuda_last_error(bool clear)
{
    cudaError_t error = last_cuda_error;

    if (clear)
        last_cuda_error = cudaSuccess;
    return error;
}

/* Caller holds the lock: index of the first record with ptr > p. */
static size_t upper_bound(const void *p)
{
    size_t lo = 0, hi = linear_count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if ((const uint8_t *)linear[mid].ptr <= (const uint8_t *)p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The level arrays of a mipmapped array record: ours, or the driver's. */
static unsigned int record_level_count(const struct xm_allocation *record)
{
    return record->driver ? record->driver->level_count : record->mipmap->num_levels;
}

static uint64_t record_level_key(const struct xm_allocation *record, unsigned int level)
{
    return record->driver ? (uint64_t)(uintptr_t)record->driver->levels[level]
                          : (uint64_t)(uintptr_t)&record->mipmap->levels[level];
}

/* Caller holds the lock. Removes a mipmapped array record and its levels. */
static struct xm_allocation *remove_mipmap(const void *key)
{
    struct xm_allocation *record = xm_hash_map_remove(&mipmaps, (uint64_t)(uintptr_t)key);

    if (record)
        for (unsigned int i = 0; i < record_level_count(record); i++)
            xm_hash_map_remove(&level_arrays, record_level_key(record, i));
    return record;
}

/* Caller holds the lock. A device record whose handle or address the driver
 * hands out again was freed with CUDA's own cudaFree/cudaFreeMipmappedArray,
 * which extmem does not see: it is stale, and dropped. */
static void drop_stale_mipmap(const void *key)
{
    struct xm_allocation *stale = xm_hash_map_get(&mipmaps, (uint64_t)(uintptr_t)key);

    if (stale && stale->driver) {
        remove_mipmap(key);
        free(stale->driver);
        free(stale);
    }
}

static cudaError_t add_mipmap(const struct xm_allocation *allocation)
{
    struct xm_allocation *copy = malloc(sizeof(*copy));
    struct cudaMipmappedArray *mipmap = allocation->mipmap;
    unsigned int added = 0;

    if (!copy)
        return xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for the array registry");
    *copy = *allocation;
    drop_stale_mipmap(mipmap);
    if (!xm_hash_map_insert(&mipmaps, (uint64_t)(uintptr_t)mipmap, copy))
        goto fail;
    for (; added < record_level_count(copy); added++)
        if (!xm_hash_map_insert(&level_arrays, record_level_key(copy, added), mipmap))
            goto fail;
    return cudaSuccess;
fail:
    while (added--)
        xm_hash_map_remove(&level_arrays, record_level_key(copy, added));
    xm_hash_map_remove(&mipmaps, (uint64_t)(uintptr_t)mipmap);
    free(copy);
    return xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for the array registry");
}

static cudaError_t add_linear(const struct xm_allocation *allocation)
{
    size_t at;

    if (linear_count == linear_capacity) {
        size_t capacity = linear_capacity ? linear_capacity * 2 : 64;
        struct xm_allocation *grown = realloc(linear, capacity * sizeof(*grown));

        if (!grown)
            return xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for the allocation registry");
        linear = grown;
        linear_capacity = capacity;
    }
    at = upper_bound(allocation->ptr);
    if (at > 0 && linear[at - 1].ptr == allocation->ptr && linear[at - 1].driver) {
        /* Stale: see drop_stale_mipmap. */
        free(linear[at - 1].driver);
        linear[at - 1] = *allocation;
        return cudaSuccess;
    }
    memmove(&linear[at + 1], &linear[at], (linear_count - at) * sizeof(*linear));
    linear[at] = *allocation;
    linear_count++;
    return cudaSuccess;
}

cudaError_t xm_allocation_add(const struct xm_allocation *allocation)
{
    cudaError_t error;

    pthread_mutex_lock(&registry_lock);
    if (allocation->kind == XM_ALLOCATION_MIPMAPPED_ARRAY)
        error = add_mipmap(allocation);
    else
        error = add_linear(allocation);
    pthread_mutex_unlock(&registry_lock);
    return error;
}

bool xm_allocation_remove(const void *ptr, enum xm_allocation_kind kind, struct xm_allocation *out)
{
    bool found = false;

    pthread_mutex_lock(&registry_lock);
    if (kind == XM_ALLOCATION_MIPMAPPED_ARRAY) {
        struct xm_allocation *record = remove_mipmap(ptr);

        if (record) {
            *out = *record;
            free(record);
            found = true;
        }
    } else {
        size_t at = upper_bound(ptr);

        if (at > 0 && linear[at - 1].ptr == ptr && linear[at - 1].kind == kind) {
            *out = linear[at - 1];
            memmove(&linear[at - 1], &linear[at], (linear_count - at) * sizeof(*linear));
            linear_count--;
            found = true;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return found;
}

void xm_allocation_release(struct xm_allocation *allocation)
{
    if (allocation->driver) {
        xm_driver_mapping_release(allocation);
        free(allocation->driver);
        return;
    }
    if (allocation->map_length)
        munmap(allocation->map_base, allocation->map_length);
    else
        free(allocation->map_base);
    free(allocation->mipmap);
    if (allocation->memory)
        xm_memory_unref(allocation->memory);
}

cudaError_t xm_allocation_check_range(const void *ptr, uint64_t size, bool write, const char *what)
{
    const uint8_t *p = ptr;
    cudaError_t error = cudaSuccess;
    size_t at;

    pthread_mutex_lock(&registry_lock);
    at = upper_bound(p);
    if (at == 0 || p >= linear[at - 1].ptr + linear[at - 1].size) {
        error = xm_cuda_error(cudaErrorInvalidValue, "%s (%p) is not device memory extmem handed out", what, ptr);
    } else {
        const struct xm_allocation *a = &linear[at - 1];
        uint64_t room = (uint64_t)(a->ptr + a->size - p);

        if (size > room)
            error = xm_cuda_error(cudaErrorInvalidValue, "%s: %llu bytes from %p run %llu bytes past the end of "
                                  "its allocation", what, (unsigned long long)size, ptr,
                                  (unsigned long long)(size - room));
        else if (write && a->read_only)
            error = xm_cuda_error(cudaErrorInvalidValue, "%s (%p) lies in a read-only mapping", what, ptr);
    }
    pthread_mutex_unlock(&registry_lock);
    return error;
}

bool xm_allocation_contains(const void *ptr)
{
    const uint8_t *p = ptr;
    bool inside;
    size_t at;

    pthread_mutex_lock(&registry_lock);
    at = upper_bound(p);
    inside = at > 0 && p < linear[at - 1].ptr + linear[at - 1].size;
    pthread_mutex_unlock(&registry_lock);
    return inside;
}

/* Caller holds the lock: the record owning a level array, or NULL. */
static struct xm_allocation *array_owner(cudaArray_const_t array)
{
    void *mipmap = xm_hash_map_get(&level_arrays, (uint64_t)(uintptr_t)array);

    return mipmap ? xm_hash_map_get(&mipmaps, (uint64_t)(uintptr_t)mipmap) : NULL;
}

struct cudaArray *xm_array_check(cudaArray_const_t array, const char *what)
{
    struct cudaArray *checked = NULL;
    struct xm_allocation *owner;

    pthread_mutex_lock(&registry_lock);
    owner = array_owner(array);
    if (owner && !owner->driver)
        checked = (struct cudaArray *)array;
    else if (owner)
        for (unsigned int i = 0; i < owner->driver->level_count; i++)
            if (owner->driver->levels[i] == (const void *)array)
                checked = &owner->driver->shadows[i];
    pthread_mutex_unlock(&registry_lock);
    if (!checked)
        xm_cuda_error(cudaErrorInvalidResourceHandle, "%s (%p) is not a live CUDA array", what, (const void *)array);
    return checked;
}

bool xm_mipmap_is_live(cudaMipmappedArray_const_t mipmap)
{
    struct xm_allocation *record;
    bool live;

    pthread_mutex_lock(&registry_lock);
    record = xm_hash_map_get(&mipmaps, (uint64_t)(uintptr_t)mipmap);
    live = record && !record->driver;
    pthread_mutex_unlock(&registry_lock);
    return live;
}

bool xm_device_mipmap_find(cudaMipmappedArray_const_t mipmap, struct xm_allocation *out)
{
    struct xm_allocation *record;
    bool found;

    pthread_mutex_lock(&registry_lock);
    record = xm_hash_map_get(&mipmaps, (uint64_t)(uintptr_t)mipmap);
    found = record && record->driver;
    if (found)
        *out = *record;
    pthread_mutex_unlock(&registry_lock);
    return found;
}

bool xm_allocation_is_device(const void *ptr)
{
    const uint8_t *p = ptr;
    bool device;
    size_t at;

    pthread_mutex_lock(&registry_lock);
    at = upper_bound(p);
    device = at > 0 && p < linear[at - 1].ptr + linear[at - 1].size && linear[at - 1].driver;
    pthread_mutex_unlock(&registry_lock);
    return device;
}

size_t xm_allocation_count(void)
{
    size_t count;

    pthread_mutex_lock(&registry_lock);
    count = linear_count + mipmaps.count;
    pthread_mutex_unlock(&registry_lock);
    return count;
}
