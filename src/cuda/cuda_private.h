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

struct xm_allocation {
    enum xm_allocation_kind kind;
    uint8_t *ptr;            /* what the caller got (for arrays: the data) */
    uint64_t size;           /* bytes usable from ptr */
    bool read_only;
    void *map_base;          /* what to munmap/free */
    size_t map_length;       /* 0 for malloc'd memory */
    struct xm_memory *memory; /* one reference, NULL for malloc'd memory */
    struct cudaMipmappedArray *mipmap; /* for XM_ALLOCATION_MIPMAPPED_ARRAY */
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

/* Checks that array is a live level array of a mapped mipmapped array.
 * Returns it or NULL (with cudaErrorInvalidResourceHandle recorded). */
struct cudaArray *xm_array_check(cudaArray_const_t array, const char *what);

/* Checks that mipmap is a live mapped mipmapped array. */
bool xm_mipmap_is_live(cudaMipmappedArray_const_t mipmap);

/* Counts live allocations and live imports (tests: nothing leaked). */
size_t xm_allocation_count(void);
size_t xm_import_count(void);

#endif
