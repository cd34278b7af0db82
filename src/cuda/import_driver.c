/*
 * The import side on the cuda backend: real CUDA external memory.
 *
 * A D3D11 resource of the cuda backend is a VMM allocation exported as a
 * POSIX fd (backend/cuda.c). Importing it is what CUDA does with any
 * OPAQUE_FD: cuImportExternalMemory on a dup of that fd (a successful
 * import owns the fd it is given), the whole allocation, dedicated. The
 * whole allocation, whatever smaller size the user passed: a texture's
 * allocation is what cuMipmappedArrayGetMemoryRequirements asked for,
 * larger than its tightly packed size, and a mapping of the texture needs
 * all of it.
 *
 * Buffers map with cuExternalMemoryGetMappedBuffer and arrays with
 * cuExternalMemoryGetMappedMipmappedArray, so what the caller gets is a real
 * device pointer or CUmipmappedArray: kernels, surfaces, textures and
 * CUDA's own cudaFree / cudaFreeMipmappedArray work on them.
 *
 * A handle opened read-only (DXGI_SHARED_RESOURCE_READ) gives buffers that
 * the GPU cannot write: the fd is imported as a VMM handle
 * (cuMemImportFromShareableHandle), mapped, and given read access only
 * (cuMemSetAccess with CU_MEM_ACCESS_FLAGS_PROT_READ), as measured in
 * DESIGN.md §2. CUDA has no read-only arrays: a read-only import's arrays
 * are refused writes by extmem's own copies, not by the GPU.
 *
 * A buffer at an offset the driver will not map (it refuses 4096 into a
 * VMM allocation) is mapped from offset 0 and handed out at the offset;
 * extmem's free takes it, but CUDA's own cudaFree of that pointer cannot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/cuda_driver.h"
#include "core/error.h"
#include "cuda/cuda_private.h"

struct xm_driver_import {
    CUexternalMemory external;
    int fd;             /* read-only imports: a dup, for VMM imports of buffers; else -1 */
    uint64_t size;      /* the whole allocation */
    bool read_only;
};

bool xm_memory_is_device(const struct xm_memory *memory)
{
    return memory->ops == &xm_cuda_backend_ops;
}

cudaError_t xm_driver_fail(int result, const char *file, int line, const char *what)
{
    cudaError_t code;

    switch ((CUresult)result) {
    case CUDA_ERROR_INVALID_VALUE: code = cudaErrorInvalidValue; break;
    case CUDA_ERROR_OUT_OF_MEMORY: code = cudaErrorMemoryAllocation; break;
    case CUDA_ERROR_NOT_SUPPORTED: code = cudaErrorNotSupported; break;
    case CUDA_ERROR_INVALID_HANDLE: code = cudaErrorInvalidResourceHandle; break;
    case CUDA_ERROR_OPERATING_SYSTEM: code = cudaErrorOperatingSystem; break;
    default: code = cudaErrorUnknown; break;
    }
    return xm_cuda_fail(code, file, line, "%s failed: %s", what, xm_cuda_result_name((CUresult)result));
}
#define DRIVER_CHECK(call)                                                       \
    do {                                                                         \
        CUresult check_result_ = (call);                                         \
        if (check_result_ != CUDA_SUCCESS) {                                     \
            error = xm_driver_fail(check_result_, __FILE__, __LINE__, #call);    \
            goto fail;                                                           \
        }                                                                        \
    } while (0)

static const struct xm_cuda_driver *driver_or_error(cudaError_t *error)
{
    char why[200];
    const struct xm_cuda_driver *drv = xm_cuda_driver_get(why, sizeof(why));

    if (!drv)
        *error = xm_cuda_error(cudaErrorNoDevice, "the CUDA driver cannot run: %s", why);
    return drv;
}

cudaError_t xm_driver_import_create(struct xm_memory *memory, bool read_only, struct xm_driver_import **out)
{
    CUDA_EXTERNAL_MEMORY_HANDLE_DESC desc = {0};
    struct xm_driver_import *import;
    cudaError_t error = cudaSuccess;
    const struct xm_cuda_driver *drv = driver_or_error(&error);
    int fd;

    if (!drv)
        return error;
    if (memory->fd < 0)
        return xm_cuda_error(cudaErrorNotSupported, "the resource's memory was not made shareable");
    import = calloc(1, sizeof(*import));
    if (!import)
        return xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for an import");
    import->fd = -1;
    fd = dup(memory->fd);
    if (fd < 0 || (read_only && (import->fd = dup(memory->fd)) < 0)) {
        error = xm_cuda_error(cudaErrorOperatingSystem, "cannot duplicate the resource's fd: %s", strerror(errno));
        goto fail;
    }
    desc.type = CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD;
    desc.handle.fd = fd;
    desc.size = memory->size;
    desc.flags = CUDA_EXTERNAL_MEMORY_DEDICATED;
    DRIVER_CHECK(drv->cuImportExternalMemory(&import->external, &desc));
    fd = -1; /* the import owns it now */
    import->size = memory->size;
    import->read_only = read_only;
    *out = import;
    return cudaSuccess;
fail:
    if (fd >= 0)
        close(fd);
    if (import->fd >= 0)
        close(import->fd);
    free(import);
    return error;
}

void xm_driver_import_destroy(struct xm_driver_import *import)
{
    const struct xm_cuda_driver *drv = xm_cuda_driver_get(NULL, 0);

    if (drv)
        drv->cuDestroyExternalMemory(import->external);
    if (import->fd >= 0)
        close(import->fd);
    free(import);
}

/* A read-only buffer: the allocation mapped through VMM with read access. */
static cudaError_t map_read_only(const struct xm_cuda_driver *drv, struct xm_driver_import *import,
                                 struct xm_driver_mapping *mapping)
{
    CUmemGenericAllocationHandle handle = 0;
    CUmemAccessDesc access = {0};
    CUdeviceptr address = 0;
    cudaError_t error = cudaSuccess;
    bool mapped = false;

    DRIVER_CHECK(drv->cuMemImportFromShareableHandle(&handle, (void *)(uintptr_t)import->fd,
                                                     CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR));
    DRIVER_CHECK(drv->cuMemAddressReserve(&address, import->size, 0, 0, 0));
    DRIVER_CHECK(drv->cuMemMap(address, import->size, 0, handle, 0));
    mapped = true;
    access.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    access.location.id = drv->device;
    access.flags = CU_MEM_ACCESS_FLAGS_PROT_READ;
    DRIVER_CHECK(drv->cuMemSetAccess(address, import->size, &access, 1));
    mapping->vmm_handle = handle;
    mapping->vmm_address = address;
    mapping->vmm_size = import->size;
    return cudaSuccess;
fail:
    if (mapped)
        drv->cuMemUnmap(address, import->size);
    if (address)
        drv->cuMemAddressFree(address, import->size);
    if (handle)
        drv->cuMemRelease(handle);
    return error;
}

cudaError_t xm_driver_map_buffer(struct xm_driver_import *import, uint64_t offset, uint64_t size,
                                 struct xm_allocation *allocation)
{
    CUDA_EXTERNAL_MEMORY_BUFFER_DESC desc = {0};
    struct xm_driver_mapping *mapping;
    cudaError_t error = cudaSuccess;
    const struct xm_cuda_driver *drv = driver_or_error(&error);
    CUdeviceptr ptr = 0;

    if (!drv)
        return error;
    mapping = calloc(1, sizeof(*mapping));
    if (!mapping)
        return xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for a mapping");
    if (import->read_only) {
        if ((error = map_read_only(drv, import, mapping)) != cudaSuccess)
            goto fail;
        ptr = mapping->vmm_address + offset;
    } else {
        CUresult result;

        desc.offset = offset;
        desc.size = size;
        result = drv->cuExternalMemoryGetMappedBuffer(&ptr, import->external, &desc);
        /* The driver refuses offsets it finds misaligned (4096 into a VMM
         * allocation, on the H100), where D3D11 users may pass any: map from
         * the start and hand out the address at the offset. */
        if (result == CUDA_ERROR_INVALID_VALUE && offset) {
            desc.offset = 0;
            desc.size = offset + size;
            result = drv->cuExternalMemoryGetMappedBuffer(&ptr, import->external, &desc);
            if (result == CUDA_SUCCESS) {
                mapping->buffer_base = ptr;
                ptr += offset;
            }
        }
        DRIVER_CHECK(result);
    }
    allocation->ptr = (uint8_t *)(uintptr_t)ptr;
    allocation->size = size;
    allocation->read_only = import->read_only;
    allocation->driver = mapping;
    return cudaSuccess;
fail:
    free(mapping);
    return error;
}

/* The driver's array format for a runtime channel descriptor (already
 * checked against the resource's format). */
static CUarray_format array_format(const struct cudaChannelFormatDesc *f)
{
    switch ((int)f->f) {
    case cudaChannelFormatKindUnsignedNormalized8X1: return CU_AD_FORMAT_UNORM_INT8X1;
    case cudaChannelFormatKindUnsignedNormalized8X2: return CU_AD_FORMAT_UNORM_INT8X2;
    case cudaChannelFormatKindUnsignedNormalized8X4: return CU_AD_FORMAT_UNORM_INT8X4;
    case cudaChannelFormatKindUnsignedNormalized16X1: return CU_AD_FORMAT_UNORM_INT16X1;
    case cudaChannelFormatKindUnsignedNormalized16X2: return CU_AD_FORMAT_UNORM_INT16X2;
    case cudaChannelFormatKindUnsignedNormalized16X4: return CU_AD_FORMAT_UNORM_INT16X4;
    case cudaChannelFormatKindSignedNormalized8X1: return CU_AD_FORMAT_SNORM_INT8X1;
    case cudaChannelFormatKindSignedNormalized8X2: return CU_AD_FORMAT_SNORM_INT8X2;
    case cudaChannelFormatKindSignedNormalized8X4: return CU_AD_FORMAT_SNORM_INT8X4;
    case cudaChannelFormatKindSignedNormalized16X1: return CU_AD_FORMAT_SNORM_INT16X1;
    case cudaChannelFormatKindSignedNormalized16X2: return CU_AD_FORMAT_SNORM_INT16X2;
    case cudaChannelFormatKindSignedNormalized16X4: return CU_AD_FORMAT_SNORM_INT16X4;
    case cudaChannelFormatKindSigned:
        return f->x == 8 ? CU_AD_FORMAT_SIGNED_INT8 : f->x == 16 ? CU_AD_FORMAT_SIGNED_INT16 : CU_AD_FORMAT_SIGNED_INT32;
    case cudaChannelFormatKindFloat:
        return f->x == 16 ? CU_AD_FORMAT_HALF : CU_AD_FORMAT_FLOAT;
    default:
        return f->x == 8 ? CU_AD_FORMAT_UNSIGNED_INT8
                         : f->x == 16 ? CU_AD_FORMAT_UNSIGNED_INT16 : CU_AD_FORMAT_UNSIGNED_INT32;
    }
}

static size_t level_extent(size_t extent, unsigned int level)
{
    size_t e = extent >> level;
    return e ? e : 1;
}

/* What extmem's checks need to know of a level array: its shape as
 * cudaArrayGetInfo reports it (0 for absent dimensions) and its element
 * counts, with layers (a cube's faces) counted in depth. */
static void describe_level(struct cudaArray *shadow, const cudaExternalMemoryMipmappedArrayDesc *desc,
                           unsigned int level, bool read_only, void *array)
{
    const struct cudaExtent *e = &desc->extent;
    const struct cudaChannelFormatDesc *f = &desc->formatDesc;
    bool layers = desc->flags & (cudaArrayLayered | cudaArrayCubemap);

    memset(shadow, 0, sizeof(*shadow));
    shadow->format = *f;
    shadow->texel_size = (uint32_t)(f->x + f->y + f->z + f->w) / 8;
    shadow->flags = desc->flags;
    shadow->width = (uint32_t)level_extent(e->width, level);
    shadow->height = e->height ? (uint32_t)level_extent(e->height, level) : 1;
    shadow->depth = !e->depth ? 1 : layers ? (uint32_t)e->depth : (uint32_t)level_extent(e->depth, level);
    shadow->extent = make_cudaExtent(shadow->width, e->height ? shadow->height : 0, e->depth ? shadow->depth : 0);
    shadow->read_only = read_only;
    shadow->device = array;
}

cudaError_t xm_driver_map_mipmapped_array(struct xm_driver_import *import,
                                          const cudaExternalMemoryMipmappedArrayDesc *desc,
                                          struct xm_allocation *allocation)
{
    CUDA_EXTERNAL_MEMORY_MIPMAPPED_ARRAY_DESC map = {0};
    const struct cudaChannelFormatDesc *f = &desc->formatDesc;
    struct xm_driver_mapping *mapping;
    CUmipmappedArray mipmap = NULL;
    cudaError_t error = cudaSuccess;
    const struct xm_cuda_driver *drv = driver_or_error(&error);

    if (!drv)
        return error;
    mapping = calloc(1, sizeof(*mapping));
    if (!mapping)
        return xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for a mapping");
    map.offset = desc->offset;
    map.arrayDesc.Width = desc->extent.width;
    map.arrayDesc.Height = desc->extent.height;
    map.arrayDesc.Depth = desc->extent.depth;
    map.arrayDesc.Format = array_format(f);
    map.arrayDesc.NumChannels = (f->x > 0) + (f->y > 0) + (f->z > 0) + (f->w > 0);
    /* cudaArray* flags have the values of their CUDA_ARRAY3D_* twins. */
    map.arrayDesc.Flags = desc->flags;
    map.numLevels = desc->numLevels;
    DRIVER_CHECK(drv->cuExternalMemoryGetMappedMipmappedArray(&mipmap, import->external, &map));
    for (unsigned int level = 0; level < desc->numLevels; level++) {
        CUarray array = NULL;

        DRIVER_CHECK(drv->cuMipmappedArrayGetLevel(&array, mipmap, level));
        mapping->levels[level] = array;
    }
    mapping->level_count = desc->numLevels;
    for (unsigned int level = 0; level < desc->numLevels; level++)
        describe_level(&mapping->shadows[level], desc, level, import->read_only, mapping->levels[level]);
    allocation->mipmap = (struct cudaMipmappedArray *)mipmap;
    allocation->ptr = NULL;
    allocation->size = 0;
    allocation->read_only = import->read_only;
    allocation->driver = mapping;
    return cudaSuccess;
fail:
    if (mipmap)
        drv->cuMipmappedArrayDestroy(mipmap);
    free(mapping);
    return error;
}

void xm_driver_mapping_release(struct xm_allocation *allocation)
{
    const struct xm_cuda_driver *drv = xm_cuda_driver_get(NULL, 0);
    struct xm_driver_mapping *mapping = allocation->driver;

    if (!drv)
        return;
    if (mapping->vmm_handle) {
        drv->cuMemUnmap(mapping->vmm_address, mapping->vmm_size);
        drv->cuMemAddressFree(mapping->vmm_address, mapping->vmm_size);
        drv->cuMemRelease(mapping->vmm_handle);
    } else if (allocation->kind == XM_ALLOCATION_MIPMAPPED_ARRAY) {
        drv->cuMipmappedArrayDestroy((CUmipmappedArray)allocation->mipmap);
    } else {
        drv->cuMemFree(mapping->buffer_base ? mapping->buffer_base : (CUdeviceptr)(uintptr_t)allocation->ptr);
    }
}

/* ---- the runtime subset on device memory ---------------------------------- */

bool xm_driver_is_default(void)
{
    const struct xm_backend_ops *backend = xm_backend_default();

    return backend == &xm_cuda_backend_ops;
}

cudaError_t xm_driver_malloc(size_t size, struct xm_allocation *allocation)
{
    cudaError_t error = cudaSuccess;
    const struct xm_cuda_driver *drv = driver_or_error(&error);
    struct xm_driver_mapping *mapping;
    CUdeviceptr ptr = 0;

    if (!drv)
        return error;
    mapping = calloc(1, sizeof(*mapping));
    if (!mapping)
        return xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for a mapping");
    DRIVER_CHECK(drv->cuMemAlloc(&ptr, size));
    allocation->ptr = (uint8_t *)(uintptr_t)ptr;
    allocation->size = size;
    allocation->driver = mapping;
    return cudaSuccess;
fail:
    free(mapping);
    return error;
}

static void describe_side(CUmemorytype *type, const void **host, CUdeviceptr *device, CUarray *array,
                          size_t *x, size_t *y, size_t *z, size_t *pitch, size_t *height,
                          const struct xm_copy_side *side, uint64_t rows)
{
    if (side->array) {
        *type = CU_MEMORYTYPE_ARRAY;
        *array = side->array->device;
        *x = side->x_bytes;
        *y = side->y;
        *z = side->z;
        return;
    }
    *type = side->device ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
    if (side->device)
        *device = (CUdeviceptr)(uintptr_t)side->ptr;
    else
        *host = side->ptr;
    *pitch = side->pitch;
    /* Rows of a slice: the slice pitch counts whole rows (a 3D copy's ysize),
     * or there is one slice. */
    *height = side->slice_pitch && side->pitch ? side->slice_pitch / side->pitch : rows;
}

cudaError_t xm_driver_copy(const char *call, const struct xm_copy_side *dst, const struct xm_copy_side *src,
                           uint64_t row_bytes, uint64_t rows, uint64_t slices)
{
    cudaError_t error = cudaSuccess;
    const struct xm_cuda_driver *drv = driver_or_error(&error);
    CUDA_MEMCPY3D copy = {0};
    const void *dst_host = NULL;

    if (!drv)
        return error;
    describe_side(&copy.srcMemoryType, &copy.srcHost, &copy.srcDevice, &copy.srcArray, &copy.srcXInBytes,
                  &copy.srcY, &copy.srcZ, &copy.srcPitch, &copy.srcHeight, src, rows);
    describe_side(&copy.dstMemoryType, &dst_host, &copy.dstDevice, &copy.dstArray, &copy.dstXInBytes,
                  &copy.dstY, &copy.dstZ, &copy.dstPitch, &copy.dstHeight, dst, rows);
    copy.dstHost = (void *)dst_host;
    copy.WidthInBytes = row_bytes;
    copy.Height = rows;
    copy.Depth = slices;
    {
        CUresult result = drv->cuMemcpy3D(&copy);

        if (result != CUDA_SUCCESS)
            return xm_driver_fail(result, __FILE__, __LINE__, call);
    }
    return cudaSuccess;
}

cudaError_t xm_driver_memset_2d(const char *call, uint8_t *ptr, uint64_t pitch, int value, uint64_t width,
                                uint64_t height)
{
    cudaError_t error = cudaSuccess;
    const struct xm_cuda_driver *drv = driver_or_error(&error);
    CUresult result;

    if (!drv)
        return error;
    result = height == 1 ? drv->cuMemsetD8((CUdeviceptr)(uintptr_t)ptr, (unsigned char)value, width)
                         : drv->cuMemsetD2D8((CUdeviceptr)(uintptr_t)ptr, pitch, (unsigned char)value, width,
                                             height);
    if (result != CUDA_SUCCESS)
        return xm_driver_fail(result, __FILE__, __LINE__, call);
    return cudaSuccess;
}

cudaError_t xm_driver_synchronize(const char *call)
{
    const struct xm_cuda_driver *drv;
    CUresult result;

    /* On the host backend every copy is done when it returns. */
    if (!xm_driver_is_default() || !(drv = xm_cuda_driver_get(NULL, 0)))
        return cudaSuccess;
    result = drv->cuCtxSynchronize();
    if (result != CUDA_SUCCESS)
        return xm_driver_fail(result, __FILE__, __LINE__, call);
    return cudaSuccess;
}
