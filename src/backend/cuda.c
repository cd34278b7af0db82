/*
 * The cuda backend: resources in GPU memory, allocated through CUDA's
 * virtual memory management (VMM) so that they can leave the process as a
 * POSIX fd.
 *
 * Every allocation is a cuMemCreate handle exported as an fd
 * (CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR), mapped read-write at a
 * reserved address in this process. cuImportExternalMemory accepts that fd
 * as CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD (measured on the H100,
 * docs/DESIGN.md §2), which is how the import side maps it.
 *
 * Buffers are linear: byte i of the buffer is byte i of the allocation.
 *
 * Textures are stored the way a CUDA mipmapped array mapped on the memory
 * lays them out, which is CUDA's own tiled layout, not a linear one. An
 * importer maps the memory with the resource's description and must see
 * the texels the producer wrote, so the producer writes and reads them
 * through the same view: at creation the allocation is imported again
 * (a dup of its own fd) and mapped as a mipmapped array with the
 * resource's format, extent, levels and array flags, and every texel moves
 * through cuMemcpy3D into or out of that array's levels. The view is made
 * with CUDA_ARRAY3D_SURFACE_LDST, the flag a consumer needs to write the
 * texture from a kernel (tests/gpu checks consumers mapping with and
 * without it see the same texels). The memory a
 * texture needs is what cuMipmappedArrayGetMemoryRequirements says for
 * such an array, which can be more than its tightly packed size.
 *
 * Every hook completes its work before it returns (the D3D11 side's
 * operations are done when their calls return, which is what its keyed
 * mutex releases and fence signals rely on). The copies run on the
 * driver's own non-blocking stream (xm_cuda_driver.stream) and wait for
 * that stream only: never for the whole context, whose other streams may
 * be waiting, on the GPU, for a fence value or key that this very thread
 * is about to signal.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/cuda_driver.h"
#include "core/error.h"
#include "core/format.h"

struct cuda_memory {
    CUmemGenericAllocationHandle handle;
    CUdeviceptr address;            /* the whole allocation, read-write on the device */
    CUexternalMemory view_import;   /* textures: the allocation imported again */
    CUmipmappedArray view;          /* textures: the resource's mipmapped array on it */
    CUarray levels[XM_MAX_MIP_LEVELS];
    uint32_t level_count;           /* 0 for buffers */
    bool volume;                    /* a 3D texture: z is depth, not the array slice */

    /* Memory adopted from another process (memory_import): the mapping
     * and the texture view above are made on first use (ensure_views),
     * so that an open that only imports into CUDA costs no more than
     * CUDA's own import. */
    bool imported;
    uint32_t ready;                 /* atomic: the views exist */
    pthread_mutex_t lock;           /* imported: making the views */
    struct xm_resource_desc desc;   /* imported: the resource the views are made for */
};

static HRESULT cuda_fail(CUresult result, const char *file, int line, const char *what)
{
    xm_set_error_message(file, line, "%s failed: %s", what, xm_cuda_result_name(result));
    return result == CUDA_ERROR_OUT_OF_MEMORY ? E_OUTOFMEMORY : E_FAIL;
}
#define CUDA_CHECK(call)                                                         \
    do {                                                                         \
        CUresult check_result_ = (call);                                         \
        if (check_result_ != CUDA_SUCCESS) {                                     \
            hr = cuda_fail(check_result_, __FILE__, __LINE__, #call);            \
            goto fail;                                                           \
        }                                                                        \
    } while (0)

/*
 * The D3D11 side's CUDA work runs in the driver's work context
 * (cuda_driver.h): every entry point below pushes it for its duration
 * (enter) and pops it (leave), so the calling thread gets back whatever
 * context it had.
 */
static const struct xm_cuda_driver *enter(void)
{
    char why[200];
    const struct xm_cuda_driver *drv = xm_cuda_driver_load(why, sizeof(why));
    CUresult result;

    if (!drv) {
        xm_set_error_message(__FILE__, __LINE__, "the cuda backend cannot run: %s", why);
        return NULL;
    }
    if ((result = drv->cuCtxPushCurrent(drv->work_context)) != CUDA_SUCCESS) {
        xm_set_error_message(__FILE__, __LINE__, "cannot make extmem's CUDA context current: %s",
                             xm_cuda_result_name(result));
        return NULL;
    }
    return drv;
}

static void leave(const struct xm_cuda_driver *drv)
{
    CUcontext popped;

    drv->cuCtxPopCurrent(&popped);
}

static int cuda_probe(char *why, size_t why_size)
{
    return xm_cuda_driver_get(why, why_size) ? 0 : -1;
}

/* The CUDA array format of a DXGI format (bits and kind, by channel). */
static CUarray_format array_format(const struct xm_format_info *info)
{
    static const CUarray_format formats[3][3] = {
        /* 8 bits, 16 bits, 32 bits; rows are the values of cudaChannelFormatKind */
        {CU_AD_FORMAT_SIGNED_INT8, CU_AD_FORMAT_SIGNED_INT16, CU_AD_FORMAT_SIGNED_INT32},
        {CU_AD_FORMAT_UNSIGNED_INT8, CU_AD_FORMAT_UNSIGNED_INT16, CU_AD_FORMAT_UNSIGNED_INT32},
        {CU_AD_FORMAT_UNSIGNED_INT8, CU_AD_FORMAT_HALF, CU_AD_FORMAT_FLOAT},
    };
    int width = info->bits[0] == 8 ? 0 : info->bits[0] == 16 ? 1 : 2;

    return formats[info->cuda_kind][width];
}

/* The array a texture is stored as: the shape extmem's import side expects
 * an importer to map (see expected_array_shape in cuda/external_memory.c:
 * absent dimensions are 0, layers in Depth, cubes with CUDA_ARRAY3D_CUBEMAP). */
static void texture_array_descriptor(const struct xm_resource_desc *desc, CUDA_ARRAY3D_DESCRIPTOR *out)
{
    const struct xm_format_info *info = xm_format_lookup(desc->format);
    bool layered = desc->array_size > 1;

    memset(out, 0, sizeof(*out));
    out->Format = array_format(info);
    out->NumChannels = info->channels;
    out->Width = desc->width;
    switch (desc->dimension) {
    case D3D11_RESOURCE_DIMENSION_TEXTURE1D:
        out->Depth = layered ? desc->array_size : 0;
        break;
    case D3D11_RESOURCE_DIMENSION_TEXTURE2D:
        out->Height = desc->height;
        out->Depth = layered ? desc->array_size : 0;
        if (desc->misc_flags & D3D11_RESOURCE_MISC_TEXTURECUBE) {
            out->Flags |= CUDA_ARRAY3D_CUBEMAP;
            layered = desc->array_size > 6;
        }
        break;
    default:
        out->Height = desc->height;
        out->Depth = desc->depth;
        layered = false;
        break;
    }
    if (layered)
        out->Flags |= CUDA_ARRAY3D_LAYERED;
}

/* Bytes a mipmapped array of the texture's shape needs, asked of the
 * driver on an array that owns no memory (CUDA_ARRAY3D_DEFERRED_MAPPING). */
static HRESULT texture_memory_size(const struct xm_cuda_driver *drv, const struct xm_resource_desc *desc,
                                   uint64_t *size)
{
    CUDA_ARRAY_MEMORY_REQUIREMENTS requirements = {0};
    CUDA_ARRAY3D_DESCRIPTOR array_desc;
    CUmipmappedArray probe = NULL;
    HRESULT hr = S_OK;

    texture_array_descriptor(desc, &array_desc);
    array_desc.Flags |= CUDA_ARRAY3D_DEFERRED_MAPPING | CUDA_ARRAY3D_SURFACE_LDST;
    CUDA_CHECK(drv->cuMipmappedArrayCreate(&probe, &array_desc, desc->mip_levels));
    CUDA_CHECK(drv->cuMipmappedArrayGetMemoryRequirements(&requirements, probe, drv->device));
    *size = requirements.size;
fail:
    if (probe)
        drv->cuMipmappedArrayDestroy(probe);
    return hr;
}

/* Imports the allocation again and maps it as the texture's mipmapped array. */
static HRESULT texture_view_create(const struct xm_cuda_driver *drv, const struct xm_resource_desc *desc,
                                   int fd, uint64_t size, struct cuda_memory *cm)
{
    CUDA_EXTERNAL_MEMORY_HANDLE_DESC import_desc = {0};
    CUDA_EXTERNAL_MEMORY_MIPMAPPED_ARRAY_DESC map_desc = {0};
    HRESULT hr = S_OK;
    int copy = dup(fd);

    if (copy < 0)
        return xm_error(E_FAIL, "cannot duplicate the allocation's fd: %s", strerror(errno));
    import_desc.type = CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD;
    import_desc.handle.fd = copy;
    import_desc.size = size;
    import_desc.flags = CUDA_EXTERNAL_MEMORY_DEDICATED;
    /* A successful import owns the fd it was given. */
    CUDA_CHECK(drv->cuImportExternalMemory(&cm->view_import, &import_desc));
    copy = -1;
    texture_array_descriptor(desc, &map_desc.arrayDesc);
    map_desc.arrayDesc.Flags |= CUDA_ARRAY3D_SURFACE_LDST;
    map_desc.offset = 0;
    map_desc.numLevels = desc->mip_levels;
    CUDA_CHECK(drv->cuExternalMemoryGetMappedMipmappedArray(&cm->view, cm->view_import, &map_desc));
    for (uint32_t level = 0; level < desc->mip_levels; level++)
        CUDA_CHECK(drv->cuMipmappedArrayGetLevel(&cm->levels[level], cm->view, level));
    cm->level_count = desc->mip_levels;
    cm->volume = desc->dimension == D3D11_RESOURCE_DIMENSION_TEXTURE3D;
    return S_OK;
fail:
    if (copy >= 0)
        close(copy);
    return hr;
}

/* Undoes what memory_create or ensure_views made, leaving cm empty. */
static void release_views(const struct xm_cuda_driver *drv, struct cuda_memory *cm, uint64_t size)
{
    if (cm->view)
        drv->cuMipmappedArrayDestroy(cm->view);
    if (cm->view_import)
        drv->cuDestroyExternalMemory(cm->view_import);
    if (cm->address) {
        drv->cuMemUnmap(cm->address, size);
        drv->cuMemAddressFree(cm->address, size);
    }
    if (cm->handle)
        drv->cuMemRelease(cm->handle);
    cm->view = NULL;
    cm->view_import = NULL;
    cm->address = 0;
    cm->handle = 0;
    cm->level_count = 0;
}

static void release_cuda_memory(const struct xm_cuda_driver *drv, struct cuda_memory *cm, uint64_t size)
{
    release_views(drv, cm, size);
    if (cm->imported)
        pthread_mutex_destroy(&cm->lock);
    free(cm);
}

static HRESULT memory_create(const struct xm_cuda_driver *drv, const struct xm_resource_desc *desc,
                             const struct xm_layout *layout, bool shareable, struct xm_memory **out)
{
    bool texture = desc->dimension != D3D11_RESOURCE_DIMENSION_BUFFER;
    CUmemAllocationProp prop = {0};
    CUmemAccessDesc access = {0};
    struct xm_memory *memory = NULL;
    struct cuda_memory *cm = NULL;
    size_t granularity = 0;
    uint64_t size = layout->size;
    HRESULT hr = S_OK;
    int fd = -1;

    memory = calloc(1, sizeof(*memory));
    cm = calloc(1, sizeof(*cm));
    if (!memory || !cm) {
        hr = xm_error(E_OUTOFMEMORY, "out of memory for a memory object");
        goto fail;
    }
    prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = drv->device;
    prop.requestedHandleTypes = CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR;
    CUDA_CHECK(drv->cuMemGetAllocationGranularity(&granularity, &prop, CU_MEM_ALLOC_GRANULARITY_RECOMMENDED));
    if (texture) {
        uint64_t needed;

        if (FAILED(hr = texture_memory_size(drv, desc, &needed)))
            goto fail;
        if (needed > size)
            size = needed;
    }
    if (!size)
        size = 1;
    size = (size + granularity - 1) / granularity * granularity;
    CUDA_CHECK(drv->cuMemCreate(&cm->handle, size, &prop, 0));
    CUDA_CHECK(drv->cuMemAddressReserve(&cm->address, size, 0, 0, 0));
    CUDA_CHECK(drv->cuMemMap(cm->address, size, 0, cm->handle, 0));
    access.location = prop.location;
    access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
    CUDA_CHECK(drv->cuMemSetAccess(cm->address, size, &access, 1));
    CUDA_CHECK(drv->cuMemsetD8Async(cm->address, 0, size, drv->stream));
    CUDA_CHECK(drv->cuStreamSynchronize(drv->stream));
    CUDA_CHECK(drv->cuMemExportToShareableHandle(&fd, cm->handle, CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, 0));
    if (texture && FAILED(hr = texture_view_create(drv, desc, fd, size, cm)))
        goto fail;
    if (!shareable) {
        close(fd);
        fd = -1;
    }
    cm->ready = 1;
    memory->refcount = 1;
    memory->ops = &xm_cuda_backend_ops;
    memory->size = size;
    memory->fd = fd;
    memory->host_ptr = NULL;
    memory->priv = cm;
    *out = memory;
    return S_OK;

fail:
    if (fd >= 0)
        close(fd);
    if (cm)
        release_cuda_memory(drv, cm, size);
    free(memory);
    return hr;
}

static HRESULT cuda_memory_create(const struct xm_resource_desc *desc, const struct xm_layout *layout,
                                  bool shareable, struct xm_memory **out)
{
    const struct xm_cuda_driver *drv = enter();
    HRESULT hr;

    if (!drv)
        return E_FAIL;
    hr = memory_create(drv, desc, layout, shareable, out);
    leave(drv);
    return hr;
}

/*
 * Memory another process made with memory_create and sent through the
 * broker as its VMM fd. The views the D3D11 side moves data through (the
 * allocation mapped read-write here, and for a texture the mipmapped array
 * on a second import of the fd) are the producer's, made on first use by
 * ensure_views. CUDA imports of the resource (cuda/import_driver.c) import
 * a dup of the fd themselves and need none of it.
 *
 * Refused, with the reason: a process that does not run the cuda backend
 * (its runtime subset works on host memory, and a device pointer would
 * reach memcpy), one where the driver cannot load, and an fd that is a
 * host memfd (a regular file) rather than a VMM export.
 */
static HRESULT cuda_memory_import(const struct xm_resource_desc *desc, const struct xm_layout *layout, int fd,
                                  uint64_t size, struct xm_memory **out)
{
    const struct xm_backend_ops *mine = xm_backend_default();
    const struct xm_cuda_driver *drv;
    struct xm_memory *memory;
    struct cuda_memory *cm;
    struct stat st;
    char why[200];

    (void)layout;
    if (mine != &xm_cuda_backend_ops)
        return xm_error(E_INVALIDARG, "the shared resource is in GPU memory (a process on the cuda backend made it) "
                        "and this process runs the %s backend; open it from a process on the cuda backend",
                        mine ? mine->name : "no");
    if (!(drv = xm_cuda_driver_load(why, sizeof(why))))
        return xm_error(E_FAIL, "the shared resource is in GPU memory and the cuda backend cannot run here: %s", why);
    if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode))
        return xm_error(E_INVALIDARG, "the shared resource says it is GPU memory, but its fd is %s",
                        S_ISREG(st.st_mode) ? "a host memfd" : "not open");
    if (!size)
        return xm_error(E_INVALIDARG, "the shared GPU memory has no size");
    memory = calloc(1, sizeof(*memory));
    cm = calloc(1, sizeof(*cm));
    if (!memory || !cm) {
        free(memory);
        free(cm);
        return xm_error(E_OUTOFMEMORY, "out of memory for a memory object");
    }
    cm->imported = true;
    cm->desc = *desc;
    pthread_mutex_init(&cm->lock, NULL);
    memory->refcount = 1;
    memory->ops = &xm_cuda_backend_ops;
    memory->size = size;
    memory->fd = fd;
    memory->host_ptr = NULL;
    memory->priv = cm;
    *out = memory;
    return S_OK;
}

/* Makes an imported allocation's views (once; thread-safe). */
static HRESULT ensure_views(const struct xm_cuda_driver *drv, struct xm_memory *memory)
{
    struct cuda_memory *cm = memory->priv;
    CUmemAccessDesc access = {0};
    HRESULT hr = S_OK;

    if (__atomic_load_n(&cm->ready, __ATOMIC_ACQUIRE))
        return S_OK;
    pthread_mutex_lock(&cm->lock);
    if (cm->ready)
        goto done;
    CUDA_CHECK(drv->cuMemImportFromShareableHandle(&cm->handle, (void *)(uintptr_t)memory->fd,
                                                   CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR));
    CUDA_CHECK(drv->cuMemAddressReserve(&cm->address, memory->size, 0, 0, 0));
    CUDA_CHECK(drv->cuMemMap(cm->address, memory->size, 0, cm->handle, 0));
    access.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    access.location.id = drv->device;
    access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
    CUDA_CHECK(drv->cuMemSetAccess(cm->address, memory->size, &access, 1));
    if (cm->desc.dimension != D3D11_RESOURCE_DIMENSION_BUFFER &&
        FAILED(hr = texture_view_create(drv, &cm->desc, memory->fd, memory->size, cm)))
        goto fail;
    __atomic_store_n(&cm->ready, 1, __ATOMIC_RELEASE);
done:
    pthread_mutex_unlock(&cm->lock);
    return S_OK;
fail:
    release_views(drv, cm, memory->size);
    pthread_mutex_unlock(&cm->lock);
    return hr;
}

static void cuda_memory_destroy(struct xm_memory *memory)
{
    const struct xm_cuda_driver *drv = enter();
    struct cuda_memory *cm = memory->priv;

    if (drv) {
        release_cuda_memory(drv, cm, memory->size);
        leave(drv);
    } else {
        /* The driver's objects cannot be released without their context
         * (the process's exit does it); the rest can. */
        if (cm->imported)
            pthread_mutex_destroy(&cm->lock);
        free(cm);
    }
    if (memory->fd >= 0)
        close(memory->fd);
    free(memory);
}

/* The depth coordinate of a box in the level array: a 3D texture's z, or
 * the array slice (the layer; a cube's face) of a 1D/2D texture. */
static size_t array_z(const struct cuda_memory *cm, const struct xm_subresource *sub, uint32_t z)
{
    return cm->volume ? z : sub->slice;
}

/*
 * Host memory moves through a pinned staging buffer of extmem's own, never
 * straight from the caller's (pageable) memory: the driver stages pageable
 * copies through buffers shared by the whole context, and a synchronous
 * pageable copy of the application's that waits, on its stream, for a
 * fence or key the D3D11 side is about to signal would hold them for as
 * long, so the D3D11 side's copy would wait for its own signal. A pinned
 * copy on the driver's non-blocking stream depends on nothing but itself.
 */
#define STAGING_BYTES XM_CUDA_STAGING_BYTES

static pthread_mutex_t staging_lock = PTHREAD_MUTEX_INITIALIZER;

/* Locks and returns the driver's staging buffer (made when the driver was
 * loaded, before any stream could wait). */
static uint8_t *staging_get(const struct xm_cuda_driver *drv)
{
    pthread_mutex_lock(&staging_lock);
    return drv->staging;
}

static void staging_put(void)
{
    pthread_mutex_unlock(&staging_lock);
}

/* Moves a box between a level array and pitched host memory, a run of
 * rows of one slice at a time through the staging buffer. */
static HRESULT texture_host_copy(const struct xm_cuda_driver *drv, struct xm_memory *memory,
                                 const struct xm_layout *layout, const struct xm_subresource *sub,
                                 const struct xm_box *box, void *host, uint64_t row_pitch, uint64_t depth_pitch,
                                 bool to_device)
{
    struct cuda_memory *cm = memory->priv;
    uint32_t rows = box->bottom - box->top, slices = box->back - box->front;
    size_t row_bytes = (size_t)(box->right - box->left) * layout->texel_size;
    uint32_t rows_at_once = row_bytes ? (uint32_t)(STAGING_BYTES / row_bytes) : 1;
    HRESULT hr = S_OK;
    uint8_t *stage;

    if (rows_at_once == 0)
        return xm_error(E_INVALIDARG, "a texture row of %zu bytes is larger than the staging buffer", row_bytes);
    stage = staging_get(drv);
    for (uint32_t slice = 0; slice < slices; slice++) {
        for (uint32_t row = 0; row < rows; row += rows_at_once) {
            uint32_t count = rows - row < rows_at_once ? rows - row : rows_at_once;
            uint8_t *at = (uint8_t *)host + slice * depth_pitch + row * row_pitch;
            CUDA_MEMCPY3D copy = {0};

            copy.WidthInBytes = row_bytes;
            copy.Height = count;
            copy.Depth = 1;
            if (to_device) {
                for (uint32_t i = 0; i < count; i++)
                    memcpy(stage + i * row_bytes, at + i * row_pitch, row_bytes);
                copy.srcMemoryType = CU_MEMORYTYPE_HOST;
                copy.srcHost = stage;
                copy.srcPitch = row_bytes;
                copy.dstMemoryType = CU_MEMORYTYPE_ARRAY;
                copy.dstArray = cm->levels[sub->level];
                copy.dstXInBytes = (size_t)box->left * layout->texel_size;
                copy.dstY = box->top + row;
                copy.dstZ = array_z(cm, sub, box->front) + slice;
            } else {
                copy.srcMemoryType = CU_MEMORYTYPE_ARRAY;
                copy.srcArray = cm->levels[sub->level];
                copy.srcXInBytes = (size_t)box->left * layout->texel_size;
                copy.srcY = box->top + row;
                copy.srcZ = array_z(cm, sub, box->front) + slice;
                copy.dstMemoryType = CU_MEMORYTYPE_HOST;
                copy.dstHost = stage;
                copy.dstPitch = row_bytes;
            }
            CUDA_CHECK(drv->cuMemcpy3DAsync(&copy, drv->stream));
            CUDA_CHECK(drv->cuStreamSynchronize(drv->stream));
            if (!to_device)
                for (uint32_t i = 0; i < count; i++)
                    memcpy(at + i * row_pitch, stage + i * row_bytes, row_bytes);
        }
    }
fail:
    staging_put();
    return hr;
}

/* Moves bytes between a buffer and host memory through the staging buffer. */
static HRESULT buffer_host_copy(const struct xm_cuda_driver *drv, CUdeviceptr device, void *host, size_t size,
                                bool to_device)
{
    HRESULT hr = S_OK;
    uint8_t *stage = staging_get(drv);

    for (size_t done = 0; done < size; done += STAGING_BYTES) {
        size_t count = size - done < STAGING_BYTES ? size - done : STAGING_BYTES;

        if (to_device) {
            memcpy(stage, (uint8_t *)host + done, count);
            CUDA_CHECK(drv->cuMemcpyHtoDAsync(device + done, stage, count, drv->stream));
            CUDA_CHECK(drv->cuStreamSynchronize(drv->stream));
        } else {
            CUDA_CHECK(drv->cuMemcpyDtoHAsync(stage, device + done, count, drv->stream));
            CUDA_CHECK(drv->cuStreamSynchronize(drv->stream));
            memcpy((uint8_t *)host + done, stage, count);
        }
    }
fail:
    staging_put();
    return hr;
}

static HRESULT write_host(const struct xm_cuda_driver *drv, struct xm_memory *memory,
                          const struct xm_layout *layout, const struct xm_subresource *sub,
                          const struct xm_box *box, const void *src, uint64_t src_row_pitch,
                          uint64_t src_depth_pitch)
{
    struct cuda_memory *cm = memory->priv;
    HRESULT hr;

    if (FAILED(hr = ensure_views(drv, memory)))
        return hr;
    if (cm->level_count)
        return texture_host_copy(drv, memory, layout, sub, box, (void *)src, src_row_pitch, src_depth_pitch, true);
    return buffer_host_copy(drv, cm->address + sub->offset + box->left, (void *)src, box->right - box->left, true);
}

static HRESULT read_host(const struct xm_cuda_driver *drv, struct xm_memory *memory,
                         const struct xm_layout *layout, const struct xm_subresource *sub,
                         const struct xm_box *box, void *dst, uint64_t dst_row_pitch, uint64_t dst_depth_pitch)
{
    struct cuda_memory *cm = memory->priv;
    HRESULT hr;

    if (FAILED(hr = ensure_views(drv, memory)))
        return hr;
    if (cm->level_count)
        return texture_host_copy(drv, memory, layout, sub, box, dst, dst_row_pitch, dst_depth_pitch, false);
    return buffer_host_copy(drv, cm->address + sub->offset + box->left, dst, box->right - box->left, false);
}

static HRESULT copy_device(const struct xm_cuda_driver *drv, struct xm_memory *dst,
                           const struct xm_subresource *dst_sub, uint32_t dst_x, uint32_t dst_y, uint32_t dst_z,
                           struct xm_memory *src, const struct xm_layout *src_layout,
                           const struct xm_subresource *src_sub, const struct xm_box *src_box)
{
    struct cuda_memory *to = dst->priv, *from = src->priv;
    CUDA_MEMCPY3D copy = {0};
    HRESULT hr = S_OK;

    if (FAILED(hr = ensure_views(drv, dst)) || FAILED(hr = ensure_views(drv, src)))
        return hr;
    if (!to->level_count || !from->level_count) {
        if (to->level_count || from->level_count)
            return xm_error(E_INVALIDARG, "a copy between a buffer and a texture");
        CUDA_CHECK(drv->cuMemcpyDtoDAsync(to->address + dst_sub->offset + dst_x,
                                          from->address + src_sub->offset + src_box->left,
                                          src_box->right - src_box->left, drv->stream));
        CUDA_CHECK(drv->cuStreamSynchronize(drv->stream));
        return S_OK;
    }
    copy.srcMemoryType = CU_MEMORYTYPE_ARRAY;
    copy.srcArray = from->levels[src_sub->level];
    copy.srcXInBytes = (size_t)src_box->left * src_layout->texel_size;
    copy.srcY = src_box->top;
    copy.srcZ = array_z(from, src_sub, src_box->front);
    copy.dstMemoryType = CU_MEMORYTYPE_ARRAY;
    copy.dstArray = to->levels[dst_sub->level];
    copy.dstXInBytes = (size_t)dst_x * src_layout->texel_size;
    copy.dstY = dst_y;
    copy.dstZ = array_z(to, dst_sub, dst_z);
    copy.WidthInBytes = (size_t)(src_box->right - src_box->left) * src_layout->texel_size;
    copy.Height = src_box->bottom - src_box->top;
    copy.Depth = src_box->back - src_box->front;
    CUDA_CHECK(drv->cuMemcpy3DAsync(&copy, drv->stream));
    CUDA_CHECK(drv->cuStreamSynchronize(drv->stream));
fail:
    return hr;
}

static HRESULT cuda_write(struct xm_memory *memory, const struct xm_layout *layout,
                          const struct xm_subresource *sub, const struct xm_box *box,
                          const void *src, uint64_t src_row_pitch, uint64_t src_depth_pitch)
{
    const struct xm_cuda_driver *drv = enter();
    HRESULT hr;

    if (!drv)
        return E_FAIL;
    hr = write_host(drv, memory, layout, sub, box, src, src_row_pitch, src_depth_pitch);
    leave(drv);
    return hr;
}

static HRESULT cuda_read(struct xm_memory *memory, const struct xm_layout *layout,
                         const struct xm_subresource *sub, const struct xm_box *box,
                         void *dst, uint64_t dst_row_pitch, uint64_t dst_depth_pitch)
{
    const struct xm_cuda_driver *drv = enter();
    HRESULT hr;

    if (!drv)
        return E_FAIL;
    hr = read_host(drv, memory, layout, sub, box, dst, dst_row_pitch, dst_depth_pitch);
    leave(drv);
    return hr;
}

static HRESULT cuda_copy(struct xm_memory *dst, const struct xm_layout *dst_layout,
                         const struct xm_subresource *dst_sub, uint32_t dst_x, uint32_t dst_y, uint32_t dst_z,
                         struct xm_memory *src, const struct xm_layout *src_layout,
                         const struct xm_subresource *src_sub, const struct xm_box *src_box)
{
    const struct xm_cuda_driver *drv = enter();
    HRESULT hr;

    (void)dst_layout;
    if (!drv)
        return E_FAIL;
    hr = copy_device(drv, dst, dst_sub, dst_x, dst_y, dst_z, src, src_layout, src_sub, src_box);
    leave(drv);
    return hr;
}

const struct xm_backend_ops xm_cuda_backend_ops = {
    .name = "cuda",
    .probe = cuda_probe,
    .memory_create = cuda_memory_create,
    .memory_import = cuda_memory_import,
    .memory_destroy = cuda_memory_destroy,
    .write = cuda_write,
    .read = cuda_read,
    .copy = cuda_copy,
};
