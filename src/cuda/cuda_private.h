/*
 * The import side's private declarations: host arrays, the registry of
 * what extmem handed out (device pointers, arrays), and error recording.
 *
 * On the host backend a "device pointer" is a host pointer into an
 * allocation extmem made (extmemMalloc, or a mapping of imported memory),
 * and a CUDA array is a struct cudaArray below over such memory. The
 * registry lets every call check that a pointer or array is one of ours,
 * that a range stays inside it, and that a read-only mapping is not
 * written: a bad argument gets an error, never a crash.
 */
#ifndef EXTMEM_CUDA_PRIVATE_H
#define EXTMEM_CUDA_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <extmem/cuda_interop.h>

#include "backend/backend.h"
#include "core/keyed_mutex.h"
#include "core/layout.h"

/* ---- errors ------------------------------------------------------------ */

/* Records code as the calling thread's last CUDA error (what
 * extmemGetLastError returns) and a message; evaluates to code. */
cudaError_t xm_cuda_fail(cudaError_t code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define xm_cuda_error(code, ...) xm_cuda_fail(code, __FILE__, __LINE__, __VA_ARGS__)

/* The thread's last error, for extmemGetLastError/PeekAtLastError. */
cudaError_t xm_cuda_last_error(bool clear);

/* ---- arrays ------------------------------------------------------------ */

/* One CUDA array (a level of a mipmapped array) over host memory.
 * Element (x, y, z) is at data + z * slice_pitch + y * row_pitch + x * texel_size,
 * where z steps the depth of a 3D array or the layers of a layered one. */
struct cudaArray {
    struct cudaChannelFormatDesc format;
    uint32_t texel_size;
    struct cudaExtent extent;   /* as cudaArrayGetInfo reports it: 0 for absent dimensions */
    unsigned int flags;         /* cudaArrayLayered, cudaArrayCubemap, ... */
    uint32_t width, height, depth; /* element counts, each >= 1 (depth counts layers too) */
    uint64_t row_pitch, slice_pitch;
    uint8_t *data;
    bool read_only;
    struct cudaMipmappedArray *owner;
    void *device;               /* cuda backend: the driver's CUarray this describes; data is NULL */
};

struct cudaMipmappedArray {
    unsigned int num_levels;
    struct cudaArray levels[XM_MAX_MIP_LEVELS];
};

/* ---- registry of what extmem handed out --------------------------------- */

enum xm_allocation_kind {
    XM_ALLOCATION_MALLOC,          /* extmemMalloc */
    XM_ALLOCATION_BUFFER,          /* extmemExternalMemoryGetMappedBuffer */
    XM_ALLOCATION_MIPMAPPED_ARRAY, /* extmemExternalMemoryGetMappedMipmappedArray */
};

/* What the cuda backend's import side made for a record (import_driver.c):
 * real device memory. CUDA handles are kept as plain values so that this
 * header needs no cuda.h. */
struct xm_driver_mapping {
    void *levels[XM_MAX_MIP_LEVELS]; /* mipmapped arrays: CUarray of each level */
    struct cudaArray shadows[XM_MAX_MIP_LEVELS]; /* ... and its shape, for checks (device = levels[i]) */
    unsigned int level_count;
    uint64_t vmm_handle;     /* read-only buffers: CUmemGenericAllocationHandle, or 0 */
    uint64_t vmm_address;    /* ... its reserved, mapped range */
    uint64_t vmm_size;
    uint64_t buffer_base;    /* buffers mapped from a lower offset than asked: what cuMemFree takes */
};

struct xm_allocation {
    enum xm_allocation_kind kind;
    uint8_t *ptr;            /* what the caller got (for arrays: the data) */
    uint64_t size;           /* bytes usable from ptr */
    bool read_only;
    void *map_base;          /* what to munmap/free */
    size_t map_length;       /* 0 for malloc'd memory */
    struct xm_memory *memory; /* one reference, NULL for malloc'd memory */
    struct cudaMipmappedArray *mipmap; /* for XM_ALLOCATION_MIPMAPPED_ARRAY */
    /* Device memory of the cuda backend, or NULL for host memory. Then ptr
     * is a device address, mipmap a CUmipmappedArray (never dereferenced
     * here), and the record holds no memory reference: CUDA's rule applies
     * (a mapping is freed explicitly, with extmem's free or CUDA's own, and
     * is not used after its import is destroyed). */
    struct xm_driver_mapping *driver;
};

/* Adds a record (copied). cudaErrorMemoryAllocation on failure. */
cudaError_t xm_allocation_add(const struct xm_allocation *allocation);

/* Removes the record whose handed-out pointer is ptr and whose kind is
 * kind, copying it to *out. False when there is none. */
bool xm_allocation_remove(const void *ptr, enum xm_allocation_kind kind, struct xm_allocation *out);

/* Releases what a removed record holds (unmaps, frees, drops the memory). */
void xm_allocation_release(struct xm_allocation *allocation);

/* Checks that [ptr, ptr + size) lies inside one allocation extmem handed
 * out (a buffer or extmemMalloc memory), writable when `write`. Returns
 * cudaSuccess or records and returns cudaErrorInvalidValue. */
cudaError_t xm_allocation_check_range(const void *ptr, uint64_t size, bool write, const char *what);

/* Whether ptr lies inside linear memory extmem handed out; records nothing. */
bool xm_allocation_contains(const void *ptr);

/* Checks that stream is the default stream (NULL, cudaStreamLegacy,
 * cudaStreamPerThread) or a live stream this process created; records
 * cudaErrorInvalidResourceHandle otherwise. */
cudaError_t xm_stream_check(cudaStream_t stream, const char *call);

/* Whether stream is a live stream of the host implementation
 * (extmemStreamCreate); records nothing. */
bool xm_stream_is_host(cudaStream_t stream);

/* Checks that array is a live level array of a mapped mipmapped array.
 * Returns it or NULL (with cudaErrorInvalidResourceHandle recorded). For an
 * array in device memory what it returns describes the array (its device
 * member is the handle) and holds no texels. */
struct cudaArray *xm_array_check(cudaArray_const_t array, const char *what);

/* Checks that mipmap is a live mapped mipmapped array in host memory. */
bool xm_mipmap_is_live(cudaMipmappedArray_const_t mipmap);

/* The record of a live mipmapped array of device memory (copied to *out);
 * false when it is not one. */
bool xm_device_mipmap_find(cudaMipmappedArray_const_t mipmap, struct xm_allocation *out);

/* Whether [ptr, ptr + size) is device memory extmem handed out (cuda
 * backend); records nothing. */
bool xm_allocation_is_device(const void *ptr);

/* ---- the cuda backend's import side (import_driver.c) -------------------- */

struct xm_driver_import;

/* A synchronization page (a fence's or a keyed mutex's) mapped for the
 * device (semaphore_driver.c). */
struct xm_gpu_page;

#ifdef EXTMEM_HAVE_CUDA_BACKEND
/* Records and returns the runtime's code for a failed driver call
 * (result is a CUresult), with the driver's name for it in the message. */
cudaError_t xm_driver_fail(int result, const char *file, int line, const char *what);

/* The GPU view of the page whose memfd is page_fd, shared by every user
 * in the process: a mapping of its own registered with
 * cuMemHostRegister(DEVICEMAP). cudaErrorNotSupported where the device has
 * no 64-bit stream memory operations. */
cudaError_t xm_gpu_page_get(int page_fd, struct xm_gpu_page **out);
void xm_gpu_page_put(struct xm_gpu_page *page);

/* Stream-ordered fence wait (the stream waits, the host does not) and
 * signal (a GPU store behind the stream's work, then a wake of host waiters). */
cudaError_t xm_gpu_fence_wait(struct xm_gpu_page *page, cudaStream_t stream, uint64_t value);
cudaError_t xm_gpu_fence_signal(struct xm_gpu_page *page, cudaStream_t stream, uint64_t value);

/* Keyed mutexes: the stream waits until the previous owner's work (the
 * handoff of xm_keyed_mutex_take) is complete; a release stores `ticket`
 * behind the stream's work (and, first, behind the work its own take
 * waited for, `after`, which may be NULL). */
cudaError_t xm_gpu_work_wait(struct xm_gpu_page *page, cudaStream_t stream,
                             const struct xm_keyed_mutex_handoff *handoff);
cudaError_t xm_gpu_work_signal(struct xm_gpu_page *page, cudaStream_t stream,
                               const struct xm_keyed_mutex_handoff *after, uint64_t ticket);

/* Whether memory is the cuda backend's: its imports go through the driver. */
bool xm_memory_is_device(const struct xm_memory *memory);

/* Imports the whole allocation with cuImportExternalMemory (OPAQUE_FD, a
 * dup of its fd, dedicated). A read-only import's buffers are mapped
 * through VMM with read access only. */
cudaError_t xm_driver_import_create(struct xm_memory *memory, bool read_only, struct xm_driver_import **out);
void xm_driver_import_destroy(struct xm_driver_import *import);

/* Fill allocation (ptr, size, read_only, driver, mipmap) on success. */
cudaError_t xm_driver_map_buffer(struct xm_driver_import *import, uint64_t offset, uint64_t size,
                                 struct xm_allocation *allocation);
cudaError_t xm_driver_map_mipmapped_array(struct xm_driver_import *import,
                                          const cudaExternalMemoryMipmappedArrayDesc *desc,
                                          struct xm_allocation *allocation);

/* Frees what a device record holds (cuMemFree, cuMipmappedArrayDestroy, or
 * the VMM mapping). */
void xm_driver_mapping_release(struct xm_allocation *allocation);

/* One side of a copy the runtime checked: a level array (array->device set)
 * at byte x, row y, slice z; or pitched memory from ptr, in device memory
 * or not. */
struct xm_copy_side {
    const struct cudaArray *array;
    uint64_t x_bytes, y, z;
    uint8_t *ptr;
    bool device;
    uint64_t pitch, slice_pitch;
};

/* cudaMalloc on the cuda backend: cuMemAlloc, recorded. */
cudaError_t xm_driver_malloc(size_t size, struct xm_allocation *allocation);
/* A checked box copy where at least one side is device memory. */
cudaError_t xm_driver_copy(const char *call, const struct xm_copy_side *dst, const struct xm_copy_side *src,
                           uint64_t row_bytes, uint64_t rows, uint64_t slices);
/* cudaMemset2D on device memory. */
cudaError_t xm_driver_memset_2d(const char *call, uint8_t *ptr, uint64_t pitch, int value, uint64_t width,
                                uint64_t height);
/* Waits for the device: cuCtxSynchronize. */
cudaError_t xm_driver_synchronize(const char *call);
/* Whether the process's shareable resources live in device memory. */
bool xm_driver_is_default(void);
#else
static inline bool xm_memory_is_device(const struct xm_memory *memory)
{
    (void)memory;
    return false;
}
static inline cudaError_t xm_driver_import_create(struct xm_memory *memory, bool read_only,
                                                  struct xm_driver_import **out)
{
    (void)memory, (void)read_only, (void)out;
    return cudaErrorNotSupported;
}
static inline void xm_driver_import_destroy(struct xm_driver_import *import)
{
    (void)import;
}
static inline cudaError_t xm_driver_map_buffer(struct xm_driver_import *import, uint64_t offset, uint64_t size,
                                               struct xm_allocation *allocation)
{
    (void)import, (void)offset, (void)size, (void)allocation;
    return cudaErrorNotSupported;
}
static inline cudaError_t xm_driver_map_mipmapped_array(struct xm_driver_import *import,
                                                        const cudaExternalMemoryMipmappedArrayDesc *desc,
                                                        struct xm_allocation *allocation)
{
    (void)import, (void)desc, (void)allocation;
    return cudaErrorNotSupported;
}
static inline void xm_driver_mapping_release(struct xm_allocation *allocation)
{
    (void)allocation;
}
struct xm_copy_side {
    const struct cudaArray *array;
    uint64_t x_bytes, y, z;
    uint8_t *ptr;
    bool device;
    uint64_t pitch, slice_pitch;
};
static inline cudaError_t xm_driver_malloc(size_t size, struct xm_allocation *allocation)
{
    (void)size, (void)allocation;
    return cudaErrorNotSupported;
}
static inline cudaError_t xm_driver_copy(const char *call, const struct xm_copy_side *dst,
                                         const struct xm_copy_side *src, uint64_t row_bytes, uint64_t rows,
                                         uint64_t slices)
{
    (void)call, (void)dst, (void)src, (void)row_bytes, (void)rows, (void)slices;
    return cudaErrorNotSupported;
}
static inline cudaError_t xm_driver_memset_2d(const char *call, uint8_t *ptr, uint64_t pitch, int value,
                                              uint64_t width, uint64_t height)
{
    (void)call, (void)ptr, (void)pitch, (void)value, (void)width, (void)height;
    return cudaErrorNotSupported;
}
static inline cudaError_t xm_driver_synchronize(const char *call)
{
    (void)call;
    return cudaSuccess;
}
static inline bool xm_driver_is_default(void)
{
    return false;
}
static inline cudaError_t xm_gpu_page_get(int page_fd, struct xm_gpu_page **out)
{
    (void)page_fd, (void)out;
    return cudaErrorNotSupported;
}
static inline void xm_gpu_page_put(struct xm_gpu_page *page)
{
    (void)page;
}
static inline cudaError_t xm_gpu_fence_wait(struct xm_gpu_page *page, cudaStream_t stream, uint64_t value)
{
    (void)page, (void)stream, (void)value;
    return cudaErrorNotSupported;
}
static inline cudaError_t xm_gpu_fence_signal(struct xm_gpu_page *page, cudaStream_t stream, uint64_t value)
{
    (void)page, (void)stream, (void)value;
    return cudaErrorNotSupported;
}
static inline cudaError_t xm_gpu_work_wait(struct xm_gpu_page *page, cudaStream_t stream,
                                           const struct xm_keyed_mutex_handoff *handoff)
{
    (void)page, (void)stream, (void)handoff;
    return cudaErrorNotSupported;
}
static inline cudaError_t xm_gpu_work_signal(struct xm_gpu_page *page, cudaStream_t stream,
                                             const struct xm_keyed_mutex_handoff *after, uint64_t ticket)
{
    (void)page, (void)stream, (void)after, (void)ticket;
    return cudaErrorNotSupported;
}
#endif

/* Counts live allocations and live imports (tests: nothing leaked). */
size_t xm_allocation_count(void);
size_t xm_import_count(void);
/* Live external semaphore imports (tests: nothing leaked). */
size_t xm_semaphore_count(void);

#endif
