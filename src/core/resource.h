/*
 * A resource: the shared object behind every COM wrapper, NT handle and
 * CUDA import of one D3D11 buffer or texture.
 *
 * It owns the memory (one reference), knows its description and layout,
 * and holds its KMT value when created SHARED or SHARED_KEYEDMUTEX.
 * Each COM object opened on it (by any device), each NT object and each
 * CUDA import holds one reference (xm_resource_ref/unref).
 */
#ifndef EXTMEM_CORE_RESOURCE_H
#define EXTMEM_CORE_RESOURCE_H

#include "backend/backend.h"
#include "core/keyed_mutex.h"
#include "core/layout.h"
#include "core/object.h"

struct xm_resource {
    struct xm_object base;
    struct xm_resource_desc desc;
    struct xm_layout layout;
    struct xm_memory *memory;
    uint32_t nt_handle_created; /* atomic: CreateSharedHandle runs once */
    struct xm_keyed_mutex *keyed_mutex; /* SHARED_KEYEDMUTEX resources only, else NULL */
};

/* Creates a resource with zeroed memory from `backend`, then writes the
 * initial data (an array of desc->mip_levels * desc->array_size entries,
 * or NULL). The description must already be validated. Registers a KMT
 * value when the misc flags ask for a KMT-shareable resource. */
HRESULT xm_resource_create(const struct xm_resource_desc *desc, const struct xm_backend_ops *backend,
                           const D3D11_SUBRESOURCE_DATA *initial_data, struct xm_resource **out);

static inline void xm_resource_ref(struct xm_resource *resource)
{
    xm_object_ref(&resource->base);
}

static inline void xm_resource_unref(struct xm_resource *resource)
{
    xm_object_unref(&resource->base);
}

static inline struct xm_resource *xm_resource_from_object(struct xm_object *object)
{
    return (struct xm_resource *)object; /* base is the first member */
}

/* True when the resource may be exported with GetSharedHandle (KMT). */
static inline bool xm_resource_has_kmt(const struct xm_resource *resource)
{
    return resource->base.kmt != 0;
}

/* Builds a process-local resource over memory another process shared
 * (the broker sent its description, fd and allocation size). Takes
 * ownership of fd on success only. sync_fd (or -1) is the page of the
 * exporter's keyed mutex, which a SHARED_KEYEDMUTEX resource joins; it
 * stays the caller's. E_INVALIDARG for a description extmem would not
 * make, E_NOTIMPL when the backend cannot import. */
HRESULT xm_resource_import(const struct xm_resource_desc *desc, const struct xm_backend_ops *backend, int fd,
                           int sync_fd, uint64_t size, struct xm_resource **out);

/* Number of live resources in this process (tests check it returns to
 * where it was: nothing leaked). */
size_t xm_resource_live_count(void);

#endif
