/*
 * cudaImportExternalMemory and friends for D3D11 resources.
 *
 * An import resolves its handle through core/handle_table (NT handle, name
 * or KMT value), holds one reference on the resource, and remembers the
 * access the handle granted. Mappings hold the memory, not the import, so
 * CUDA's rule holds: a mapping stays freeable (and is valid memory) after
 * cudaDestroyExternalMemory.
 *
 * Where CUDA's documentation is silent extmem chose, and docs/SEMANTICS.md
 * lists, the codes below: a description that is wrong in itself is
 * cudaErrorInvalidValue; a handle or name that names no live resource is
 * cudaErrorInvalidResourceHandle; a handle type extmem does not implement
 * is cudaErrorNotSupported.
 *
 * Size: a user passes the size they know (ByteWidth, or a texture's tightly
 * packed size) or the allocation size (extmemGetResourceAllocationSize).
 * A dedicated import always takes the whole resource, so the mappable
 * extent is the larger of the size passed and the packed size: either
 * way the whole resource stays mappable.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wchar.h>

#include "core/error.h"
#include "core/format.h"
#include "core/handle_table.h"
#include "core/hash_map.h"
#include "core/resource.h"
#include "cuda/cuda_private.h"

struct CUexternalMemory_st {
    uint32_t refcount;          /* the registry's entry + calls in flight; atomic */
    struct xm_resource *resource; /* one reference */
    uint32_t access;            /* XM_ACCESS_* of the handle imported */
    uint64_t extent;            /* bytes mappable from offset 0 */
    struct xm_driver_import *driver; /* the CUDA driver's import (cuda backend), or NULL */
};

static pthread_mutex_t imports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xm_hash_map imports; /* live imports, so a stale one is an error, not a crash */

static void import_unref(struct CUexternalMemory_st *import)
{
    if (__atomic_sub_fetch(&import->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
        if (import->driver)
            xm_driver_import_destroy(import->driver);
        xm_resource_unref(import->resource);
        free(import);
    }
}

/* Takes a reference on a live import for the duration of a call. */
static struct CUexternalMemory_st *import_get(cudaExternalMemory_t ext_mem)
{
    struct CUexternalMemory_st *import;

    pthread_mutex_lock(&imports_lock);
    import = xm_hash_map_get(&imports, (uint64_t)(uintptr_t)ext_mem);
    if (import)
        __atomic_add_fetch(&import->refcount, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&imports_lock);
    return import;
}

static bool reserved_is_zero(const unsigned int *reserved, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (reserved[i])
            return false;
    return true;
}

/* Resolves the handle or name of a validated description to a resource. */
static cudaError_t resolve_handle(const cudaExternalMemoryHandleDesc *desc, struct xm_resource **out,
                                  uint32_t *access)
{
    const void *handle = desc->handle.win32.handle;
    const WCHAR *name = desc->handle.win32.name;
    struct xm_object *object = NULL;
    enum xm_lookup result;

    if (desc->type == cudaExternalMemoryHandleTypeD3D11ResourceKmt) {
        result = (uintptr_t)handle > UINT32_MAX ? XM_LOOKUP_NOT_FOUND
                                                : xm_kmt_open((uint32_t)(uintptr_t)handle, XM_OBJECT_RESOURCE, &object);
        *access = XM_ACCESS_ALL;
        if (result == XM_LOOKUP_NOT_FOUND)
            return xm_cuda_error(cudaErrorInvalidResourceHandle, "KMT handle %p names no live shared resource "
                                 "(a KMT handle dies with the resource's last reference)", handle);
    } else if (name) {
        if (!xm_name_is_valid(name))
            return xm_cuda_error(cudaErrorInvalidValue, "handle.win32.name: %s", xm_last_error_message());
        result = xm_name_open(name, XM_OBJECT_RESOURCE, &object, access);
        if (result == XM_LOOKUP_NOT_FOUND)
            return xm_cuda_error(cudaErrorInvalidResourceHandle, "no shared resource is named \"%ls\" (a name "
                                 "lives while a handle to its resource is open)", name);
    } else {
        result = xm_handle_open((HANDLE)handle, XM_OBJECT_RESOURCE, &object, access);
        if (result == XM_LOOKUP_NOT_FOUND) {
            struct xm_object *kmt;

            /* A KMT value passed as an NT handle is a common mistake: say so. */
            if ((uintptr_t)handle <= UINT32_MAX &&
                xm_kmt_open((uint32_t)(uintptr_t)handle, XM_OBJECT_RESOURCE, &kmt) == XM_LOOKUP_OK) {
                xm_object_unref(kmt);
                return xm_cuda_error(cudaErrorInvalidValue, "handle %p is a KMT handle: import it with "
                                     "cudaExternalMemoryHandleTypeD3D11ResourceKmt", handle);
            }
            return xm_cuda_error(cudaErrorInvalidResourceHandle, "handle %p is not an open NT handle of this "
                                 "process (closed, never created, or from another process)", handle);
        }
    }
    if (result == XM_LOOKUP_WRONG_KIND)
        return xm_cuda_error(cudaErrorInvalidValue, "the handle names a fence, not a resource: import it with "
                             "extmemImportExternalSemaphore");
    *out = xm_resource_from_object(object);
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemImportExternalMemory(cudaExternalMemory_t *extMem_out,
                                                  const cudaExternalMemoryHandleDesc *desc)
{
    struct CUexternalMemory_st *import;
    struct xm_resource *resource = NULL;
    uint32_t access = 0;
    cudaError_t error;

    if (!extMem_out || !desc)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalMemory: %s is NULL",
                             !extMem_out ? "extMem_out" : "memHandleDesc");
    switch (desc->type) {
    case cudaExternalMemoryHandleTypeD3D11Resource:
    case cudaExternalMemoryHandleTypeD3D11ResourceKmt:
        break;
    case cudaExternalMemoryHandleTypeOpaqueFd:
    case cudaExternalMemoryHandleTypeOpaqueWin32:
    case cudaExternalMemoryHandleTypeOpaqueWin32Kmt:
    case cudaExternalMemoryHandleTypeD3D12Heap:
    case cudaExternalMemoryHandleTypeD3D12Resource:
    case cudaExternalMemoryHandleTypeNvSciBuf:
        return xm_cuda_error(cudaErrorNotSupported, "cudaImportExternalMemory: handle type %d is not a D3D11 "
                             "type; extmem imports D3D11Resource (6) and D3D11ResourceKmt (7)", (int)desc->type);
    default:
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalMemory: type %d is not a "
                             "cudaExternalMemoryHandleType", (int)desc->type);
    }
    if (!reserved_is_zero(desc->reserved, sizeof(desc->reserved) / sizeof(desc->reserved[0])))
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalMemory: reserved[] must be zero");
    if (desc->flags & ~cudaExternalMemoryDedicated)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalMemory: flags 0x%x holds unknown bits",
                             desc->flags);
    if (!(desc->flags & cudaExternalMemoryDedicated))
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalMemory: D3D11 resources need "
                             "cudaExternalMemoryDedicated in flags");
    if (!!desc->handle.win32.handle == !!desc->handle.win32.name)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalMemory: exactly one of handle.win32.handle "
                             "and handle.win32.name must be non-NULL");
    if (desc->type == cudaExternalMemoryHandleTypeD3D11ResourceKmt && desc->handle.win32.name)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalMemory: a KMT handle has no name; "
                             "handle.win32.name must be NULL");
    if (!desc->size)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalMemory: size is 0");

    error = resolve_handle(desc, &resource, &access);
    if (error != cudaSuccess)
        return error;
    if (desc->size > resource->memory->size) {
        error = xm_cuda_error(cudaErrorInvalidValue, "cudaImportExternalMemory: size %llu is larger than the "
                              "resource (%llu bytes allocated, %llu packed)", desc->size,
                              (unsigned long long)resource->memory->size, (unsigned long long)resource->layout.size);
        goto fail;
    }
    import = calloc(1, sizeof(*import));
    if (!import) {
        error = xm_cuda_error(cudaErrorMemoryAllocation, "cudaImportExternalMemory: out of memory");
        goto fail;
    }
    /* A process on the cuda backend hands its kernels device memory; a
     * resource whose memory is a host memfd (shared by a process on the
     * host backend) would give them CPU pointers. */
    if (!xm_memory_is_device(resource->memory) && xm_driver_is_default()) {
        free(import);
        error = xm_cuda_error(cudaErrorNotSupported, "cudaImportExternalMemory: the resource is in host memory (a "
                              "process on the host backend made it) and this process runs CUDA on the GPU, which "
                              "cannot import a host memfd; run both processes on the same backend");
        goto fail;
    }
    import->refcount = 1;
    import->resource = resource;
    import->access = access;
    import->extent = desc->size > resource->layout.size ? desc->size : resource->layout.size;
    if (xm_memory_is_device(resource->memory) &&
        (error = xm_driver_import_create(resource->memory, !(access & XM_ACCESS_WRITE), &import->driver)) !=
            cudaSuccess) {
        free(import);
        goto fail;
    }
    pthread_mutex_lock(&imports_lock);
    if (!xm_hash_map_insert(&imports, (uint64_t)(uintptr_t)import, import)) {
        pthread_mutex_unlock(&imports_lock);
        if (import->driver)
            xm_driver_import_destroy(import->driver);
        free(import);
        error = xm_cuda_error(cudaErrorMemoryAllocation, "cudaImportExternalMemory: out of memory");
        goto fail;
    }
    pthread_mutex_unlock(&imports_lock);
    *extMem_out = import;
    return cudaSuccess;

fail:
    xm_resource_unref(resource);
    return error;
}

EXTMEM_API cudaError_t extmemDestroyExternalMemory(cudaExternalMemory_t extMem)
{
    struct CUexternalMemory_st *import;

    pthread_mutex_lock(&imports_lock);
    import = xm_hash_map_remove(&imports, (uint64_t)(uintptr_t)extMem);
    pthread_mutex_unlock(&imports_lock);
    if (!import)
        return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaDestroyExternalMemory: %p is not a live "
                             "external memory object", (void *)extMem);
    import_unref(import);
    return cudaSuccess;
}

/* ---- host mappings ----------------------------------------------------- */

/* Maps [offset, offset + size) of the memory's fd with the import's access:
 * a read-only handle gives a read-only mapping. */
static cudaError_t map_fd_range(struct CUexternalMemory_st *import, uint64_t offset, uint64_t size,
                                struct xm_allocation *allocation)
{
    struct xm_memory *memory = import->resource->memory;
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t start = offset / page * page;
    uint64_t length = (offset + size - start + page - 1) / page * page;
    int prot = PROT_READ | ((import->access & XM_ACCESS_WRITE) ? PROT_WRITE : 0);
    void *base;

    if (memory->fd < 0)
        return xm_cuda_error(cudaErrorNotSupported, "the resource's memory cannot be mapped twice");
    base = mmap(NULL, length, prot, MAP_SHARED, memory->fd, (off_t)start);
    if (base == MAP_FAILED)
        return xm_cuda_error(cudaErrorMemoryAllocation, "cannot map %llu bytes of the resource: %m",
                             (unsigned long long)length);
    allocation->ptr = (uint8_t *)base + (offset - start);
    allocation->size = size;
    allocation->read_only = !(import->access & XM_ACCESS_WRITE);
    allocation->map_base = base;
    allocation->map_length = length;
    allocation->memory = memory;
    xm_memory_ref(memory);
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemExternalMemoryGetMappedBuffer(void **devPtr, cudaExternalMemory_t extMem,
                                                           const cudaExternalMemoryBufferDesc *bufferDesc)
{
    struct xm_allocation allocation = {.kind = XM_ALLOCATION_BUFFER};
    struct CUexternalMemory_st *import;
    cudaError_t error;

    if (!devPtr || !bufferDesc)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaExternalMemoryGetMappedBuffer: %s is NULL",
                             !devPtr ? "devPtr" : "bufferDesc");
    if (bufferDesc->flags)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaExternalMemoryGetMappedBuffer: flags must be 0 (got 0x%x)",
                             bufferDesc->flags);
    if (!reserved_is_zero(bufferDesc->reserved, sizeof(bufferDesc->reserved) / sizeof(bufferDesc->reserved[0])))
        return xm_cuda_error(cudaErrorInvalidValue, "cudaExternalMemoryGetMappedBuffer: reserved[] must be zero");
    if (!bufferDesc->size)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaExternalMemoryGetMappedBuffer: size is 0");
    import = import_get(extMem);
    if (!import)
        return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaExternalMemoryGetMappedBuffer: %p is not a live "
                             "external memory object", (void *)extMem);
    if (bufferDesc->offset > import->extent || bufferDesc->size > import->extent - bufferDesc->offset) {
        error = xm_cuda_error(cudaErrorInvalidValue, "cudaExternalMemoryGetMappedBuffer: offset %llu + size %llu "
                              "lies outside the %llu bytes imported", bufferDesc->offset, bufferDesc->size,
                              (unsigned long long)import->extent);
        goto done;
    }
    if (import->driver)
        error = xm_driver_map_buffer(import->driver, bufferDesc->offset, bufferDesc->size, &allocation);
    else
        error = map_fd_range(import, bufferDesc->offset, bufferDesc->size, &allocation);
    if (error != cudaSuccess)
        goto done;
    error = xm_allocation_add(&allocation);
    if (error != cudaSuccess) {
        xm_allocation_release(&allocation);
        goto done;
    }
    *devPtr = allocation.ptr;
done:
    import_unref(import);
    return error;
}

/* ---- mipmapped arrays -------------------------------------------------- */

/* The CUDA array description a D3D11 texture maps to: the extent and flags
 * cudaMallocMipmappedArray would take for the same shape. */
static void expected_array_shape(const struct xm_resource_desc *desc, struct cudaExtent *extent,
                                 unsigned int *shape_flags)
{
    bool layered = desc->array_size > 1;

    *shape_flags = 0;
    switch (desc->dimension) {
    case D3D11_RESOURCE_DIMENSION_TEXTURE1D:
        *extent = make_cudaExtent(desc->width, 0, layered ? desc->array_size : 0);
        break;
    case D3D11_RESOURCE_DIMENSION_TEXTURE2D:
        *extent = make_cudaExtent(desc->width, desc->height, layered ? desc->array_size : 0);
        if (desc->misc_flags & D3D11_RESOURCE_MISC_TEXTURECUBE) {
            *shape_flags |= cudaArrayCubemap;
            layered = desc->array_size > 6;
        }
        break;
    default:
        *extent = make_cudaExtent(desc->width, desc->height, desc->depth);
        layered = false;
        break;
    }
    if (layered)
        *shape_flags |= cudaArrayLayered;
}

#define XM_ARRAY_SHAPE_FLAGS (cudaArrayLayered | cudaArrayCubemap)
#define XM_ARRAY_USAGE_FLAGS (cudaArraySurfaceLoadStore | cudaArrayTextureGather | cudaArrayColorAttachment)

static cudaError_t check_mipmap_desc(const struct xm_resource *resource,
                                     const cudaExternalMemoryMipmappedArrayDesc *desc)
{
    const struct xm_resource_desc *rd = &resource->desc;
    const struct xm_format_info *format;
    const struct cudaChannelFormatDesc *f = &desc->formatDesc;
    struct cudaExtent want;
    unsigned int want_flags, shape;

    if (rd->dimension == D3D11_RESOURCE_DIMENSION_BUFFER)
        return xm_cuda_error(cudaErrorInvalidValue, "the resource is a buffer: map it with "
                             "cudaExternalMemoryGetMappedBuffer");
    if (desc->offset)
        return xm_cuda_error(cudaErrorInvalidValue, "offset %llu: a texture's base level starts at offset 0",
                             desc->offset);
    if (desc->flags & ~(XM_ARRAY_SHAPE_FLAGS | XM_ARRAY_USAGE_FLAGS))
        return xm_cuda_error(cudaErrorInvalidValue, "flags 0x%x holds flags extmem does not support", desc->flags);
    format = xm_format_lookup(rd->format);
    if (!xm_format_matches_channel_desc(format, f->x, f->y, f->z, f->w, (int)f->f))
        return xm_cuda_error(cudaErrorInvalidChannelDescriptor, "formatDesc {%d,%d,%d,%d, kind %d} does not match "
                             "the resource's %s ({%d,%d,%d,%d, kind %d})", f->x, f->y, f->z, f->w, (int)f->f,
                             format->name, format->bits[0], format->bits[1], format->bits[2], format->bits[3],
                             format->cuda_kind);
    expected_array_shape(rd, &want, &want_flags);
    shape = desc->flags & XM_ARRAY_SHAPE_FLAGS;
    /* A cube may also be seen as a plain layered 2D array of its faces. */
    if ((rd->misc_flags & D3D11_RESOURCE_MISC_TEXTURECUBE) && shape == cudaArrayLayered)
        want_flags = cudaArrayLayered;
    if (desc->extent.width != want.width || desc->extent.height != want.height || desc->extent.depth != want.depth)
        return xm_cuda_error(cudaErrorInvalidValue, "extent {%zu, %zu, %zu} does not match the resource, which maps "
                             "as {%zu, %zu, %zu}", desc->extent.width, desc->extent.height, desc->extent.depth,
                             want.width, want.height, want.depth);
    if (shape != want_flags)
        return xm_cuda_error(cudaErrorInvalidValue, "flags 0x%x: the resource needs the array flags 0x%x "
                             "(cudaArrayLayered for arrays, cudaArrayCubemap for cubes)", desc->flags, want_flags);
    if (!desc->numLevels || desc->numLevels > rd->mip_levels)
        return xm_cuda_error(cudaErrorInvalidValue, "numLevels %u is outside 1..%u, the resource's mip levels",
                             desc->numLevels, rd->mip_levels);
    return cudaSuccess;
}

static void fill_level(struct cudaArray *array, const struct xm_resource *resource, uint32_t level,
                       const cudaExternalMemoryMipmappedArrayDesc *desc, uint8_t *base, bool read_only,
                       struct cudaMipmappedArray *owner)
{
    const struct xm_resource_desc *rd = &resource->desc;
    uint32_t w = xm_level_extent(rd->width, level), h = xm_level_extent(rd->height, level);
    uint32_t d = rd->dimension == D3D11_RESOURCE_DIMENSION_TEXTURE3D ? xm_level_extent(rd->depth, level)
                                                                      : rd->array_size;

    array->format = desc->formatDesc;
    array->texel_size = resource->layout.texel_size;
    array->extent = make_cudaExtent(w, desc->extent.height ? h : 0, desc->extent.depth ? d : 0);
    array->flags = desc->flags;
    array->width = w;
    array->height = h;
    array->depth = d;
    array->row_pitch = (uint64_t)w * array->texel_size;
    array->slice_pitch = array->row_pitch * h;
    array->data = base + resource->layout.level_offset[level];
    array->read_only = read_only;
    array->owner = owner;
}

EXTMEM_API cudaError_t extmemExternalMemoryGetMappedMipmappedArray(cudaMipmappedArray_t *mipmap,
                                                                   cudaExternalMemory_t extMem,
                                                                   const cudaExternalMemoryMipmappedArrayDesc *desc)
{
    struct xm_allocation allocation = {.kind = XM_ALLOCATION_MIPMAPPED_ARRAY};
    struct CUexternalMemory_st *import;
    struct cudaMipmappedArray *array;
    cudaError_t error;

    if (!mipmap || !desc)
        return xm_cuda_error(cudaErrorInvalidValue, "cudaExternalMemoryGetMappedMipmappedArray: %s is NULL",
                             !mipmap ? "mipmap" : "mipmapDesc");
    if (!reserved_is_zero(desc->reserved, sizeof(desc->reserved) / sizeof(desc->reserved[0])))
        return xm_cuda_error(cudaErrorInvalidValue, "cudaExternalMemoryGetMappedMipmappedArray: reserved[] must be "
                             "zero");
    import = import_get(extMem);
    if (!import)
        return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaExternalMemoryGetMappedMipmappedArray: %p is not "
                             "a live external memory object", (void *)extMem);
    error = check_mipmap_desc(import->resource, desc);
    if (error != cudaSuccess)
        goto done;
    if (import->driver) {
        error = xm_driver_map_mipmapped_array(import->driver, desc, &allocation);
        if (error == cudaSuccess && (error = xm_allocation_add(&allocation)) != cudaSuccess)
            xm_allocation_release(&allocation);
        if (error == cudaSuccess)
            *mipmap = (cudaMipmappedArray_t)allocation.mipmap;
        goto done;
    }
    array = calloc(1, sizeof(*array));
    if (!array) {
        error = xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for a mipmapped array");
        goto done;
    }
    error = map_fd_range(import, 0, import->resource->layout.size, &allocation);
    if (error != cudaSuccess) {
        free(array);
        goto done;
    }
    array->num_levels = desc->numLevels;
    for (uint32_t level = 0; level < desc->numLevels; level++)
        fill_level(&array->levels[level], import->resource, level, desc, allocation.ptr, allocation.read_only,
                   array);
    allocation.mipmap = array;
    error = xm_allocation_add(&allocation);
    if (error != cudaSuccess) {
        xm_allocation_release(&allocation);
        goto done;
    }
    *mipmap = array;
done:
    import_unref(import);
    return error;
}

/* ---- freeing ----------------------------------------------------------- */

EXTMEM_API cudaError_t extmemFree(void *devPtr)
{
    struct xm_allocation allocation;

    if (!devPtr)
        return cudaSuccess;
    if (!xm_allocation_remove(devPtr, XM_ALLOCATION_BUFFER, &allocation) &&
        !xm_allocation_remove(devPtr, XM_ALLOCATION_MALLOC, &allocation))
        return xm_cuda_error(cudaErrorInvalidDevicePointer, "cudaFree: %p is not a pointer extmem handed out "
                             "(or it was freed already)", devPtr);
    xm_allocation_release(&allocation);
    return cudaSuccess;
}

EXTMEM_API cudaError_t extmemFreeMipmappedArray(cudaMipmappedArray_t mipmappedArray)
{
    struct xm_allocation allocation;

    if (!mipmappedArray)
        return cudaSuccess;
    if (!xm_allocation_remove(mipmappedArray, XM_ALLOCATION_MIPMAPPED_ARRAY, &allocation))
        return xm_cuda_error(cudaErrorInvalidResourceHandle, "cudaFreeMipmappedArray: %p is not a live mapped "
                             "mipmapped array", (void *)mipmappedArray);
    xm_allocation_release(&allocation);
    return cudaSuccess;
}

size_t xm_import_count(void)
{
    size_t count;

    pthread_mutex_lock(&imports_lock);
    count = imports.count;
    pthread_mutex_unlock(&imports_lock);
    return count;
}
