/*
 * Memory backends: where a resource's bytes live.
 *
 *   host  memfd pages, mapped in this process (the default with no GPU)
 *   cuda  GPU memory through CUDA's virtual memory management (backend/cuda.c)
 *
 * A backend is a const ops table chosen once per process from a
 * {name, ops} list; EXTMEM_BACKEND=host|cuda overrides the automatic
 * choice. The D3D11 layer moves data only through these hooks, so it never
 * knows where the memory is.
 *
 * Every hook that fails returns an HRESULT and records a message with
 * xm_error(); none leaves partial state behind.
 */
#ifndef EXTMEM_BACKEND_BACKEND_H
#define EXTMEM_BACKEND_BACKEND_H

#include <stdint.h>

#include "core/layout.h"

struct xm_memory;

struct xm_backend_ops {
    const char *name;

    /* 0 when the backend can run on this machine; otherwise -1 and a
     * sentence in why saying what is missing. */
    int (*probe)(char *why, size_t why_size);

    /* Allocates zero-filled memory for a resource laid out as `layout`.
     * `shareable` asks for memory that can travel to another process
     * (an fd); the allocation may be larger than layout->size.
     * On success *out holds one reference. */
    HRESULT (*memory_create)(const struct xm_resource_desc *desc, const struct xm_layout *layout,
                             bool shareable, struct xm_memory **out);

    /* Adopts memory another process allocated with this backend and sent
     * as `fd` (through the broker): `size` bytes, as that process's
     * memory_create made them for the resource `desc` (laid out as
     * `layout`), so the backend can build the same device-side view.
     * Takes ownership of fd on success only.
     * NULL in a backend whose memory cannot cross processes. */
    HRESULT (*memory_import)(const struct xm_resource_desc *desc, const struct xm_layout *layout, int fd,
                             uint64_t size, struct xm_memory **out);

    /* Frees memory whose last reference is gone. */
    void (*memory_destroy)(struct xm_memory *memory);

    /* Copies a box of texels from host memory into a subresource.
     * src points at the box's first texel; the pitches step rows and
     * 2D slices of the source. */
    HRESULT (*write)(struct xm_memory *memory, const struct xm_layout *layout,
                     const struct xm_subresource *sub, const struct xm_box *box,
                     const void *src, uint64_t src_row_pitch, uint64_t src_depth_pitch);

    /* Copies a box of texels from a subresource into host memory. */
    HRESULT (*read)(struct xm_memory *memory, const struct xm_layout *layout,
                    const struct xm_subresource *sub, const struct xm_box *box,
                    void *dst, uint64_t dst_row_pitch, uint64_t dst_depth_pitch);

    /* Copies a box between two subresources of memory of this backend
     * (the two may be the same memory; the regions never overlap). */
    HRESULT (*copy)(struct xm_memory *dst, const struct xm_layout *dst_layout,
                    const struct xm_subresource *dst_sub, uint32_t dst_x, uint32_t dst_y, uint32_t dst_z,
                    struct xm_memory *src, const struct xm_layout *src_layout,
                    const struct xm_subresource *src_sub, const struct xm_box *src_box);
};

/*
 * An allocation. Reference counted: the resource holds one, and every CUDA
 * mapping of it holds one, so a mapping stays valid memory until it is
 * freed even after its import is destroyed.
 */
struct xm_memory {
    uint32_t refcount;                  /* atomic */
    const struct xm_backend_ops *ops;
    uint64_t size;                      /* bytes allocated, >= the layout's size */
    int fd;                             /* shareable fd (memfd, VMM export), or -1 */
    void *host_ptr;                     /* CPU view, or NULL where there is none */
    void *priv;                         /* the backend's own state */
};

void xm_memory_ref(struct xm_memory *memory);
void xm_memory_unref(struct xm_memory *memory);

/* The process's backend for shareable resources, chosen on first use
 * (thread-safe). Returns NULL, with a message, when EXTMEM_BACKEND names a
 * backend that cannot run here. */
const struct xm_backend_ops *xm_backend_default(void);

/* The backend that holds CPU-visible resources (STAGING, DYNAMIC). */
const struct xm_backend_ops *xm_backend_host(void);

/* Looks a backend up by name; NULL if extmem has none of that name. */
const struct xm_backend_ops *xm_backend_find(const char *name);

extern const struct xm_backend_ops xm_host_backend_ops;
#ifdef EXTMEM_HAVE_CUDA_BACKEND
extern const struct xm_backend_ops xm_cuda_backend_ops; /* backend/cuda.c */
#endif

#endif
