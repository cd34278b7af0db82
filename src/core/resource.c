#include "core/resource.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/error.h"
#include "core/format.h"
#include "core/handle_table.h"
#include "ipc/share.h"

static size_t live_resources; /* atomic */

static void resource_destroy(struct xm_object *object)
{
    struct xm_resource *resource = xm_resource_from_object(object);

    /* This process's reference at the broker goes with the object. */
    xm_share_forget(object);
    if (resource->keyed_mutex) {
        xm_keyed_mutex_finish(resource->keyed_mutex);
        free(resource->keyed_mutex);
    }
    xm_memory_unref(resource->memory);
    free(resource);
    __atomic_fetch_sub(&live_resources, 1, __ATOMIC_RELAXED);
}

static const struct xm_object_ops resource_ops = {
    .destroy = resource_destroy,
};

static HRESULT write_initial_data(struct xm_resource *resource, const D3D11_SUBRESOURCE_DATA *data)
{
    uint32_t count = resource->desc.mip_levels * resource->desc.array_size;

    for (uint32_t i = 0; i < count; i++) {
        struct xm_subresource sub;
        struct xm_box box;
        HRESULT hr;

        xm_layout_subresource(&resource->layout, &resource->desc, i, &sub);
        xm_box_resolve(&sub, NULL, &box);
        hr = resource->memory->ops->write(resource->memory, &resource->layout, &sub, &box, data[i].pSysMem,
                                          data[i].SysMemPitch ? data[i].SysMemPitch : sub.row_pitch,
                                          data[i].SysMemSlicePitch ? data[i].SysMemSlicePitch : sub.depth_pitch);
        if (FAILED(hr))
            return hr;
    }
    return S_OK;
}

static HRESULT create_keyed_mutex(struct xm_resource *resource)
{
    struct xm_keyed_mutex *mutex = calloc(1, sizeof(*mutex));
    HRESULT hr;

    if (!mutex)
        return xm_error(E_OUTOFMEMORY, "out of memory for a keyed mutex");
    hr = xm_keyed_mutex_init(mutex);
    if (FAILED(hr)) {
        free(mutex);
        return hr;
    }
    resource->keyed_mutex = mutex;
    return S_OK;
}

HRESULT xm_resource_create(const struct xm_resource_desc *desc, const struct xm_backend_ops *backend,
                           const D3D11_SUBRESOURCE_DATA *initial_data, struct xm_resource **out)
{
    bool kmt = desc->misc_flags & (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX);
    bool nt = desc->misc_flags & D3D11_RESOURCE_MISC_SHARED_NTHANDLE;
    struct xm_resource *resource;
    HRESULT hr;

    resource = calloc(1, sizeof(*resource));
    if (!resource)
        return xm_error(E_OUTOFMEMORY, "out of memory for a resource");
    xm_object_init(&resource->base, XM_OBJECT_RESOURCE, &resource_ops);
    resource->desc = *desc;
    xm_layout_init(&resource->layout, desc);
    hr = backend->memory_create(desc, &resource->layout, kmt || nt, &resource->memory);
    if (FAILED(hr)) {
        free(resource);
        return hr;
    }
    __atomic_fetch_add(&live_resources, 1, __ATOMIC_RELAXED);
    if ((desc->misc_flags & D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX) && FAILED(hr = create_keyed_mutex(resource))) {
        xm_resource_unref(resource);
        return hr;
    }
    if (initial_data && FAILED(hr = write_initial_data(resource, initial_data))) {
        xm_resource_unref(resource);
        return hr;
    }
    /* An NT-handle resource is exported only through CreateSharedHandle. */
    if (kmt && !nt && FAILED(hr = xm_kmt_register(&resource->base))) {
        xm_resource_unref(resource);
        return hr;
    }
    *out = resource;
    return S_OK;
}

/* What a peer sent must describe something memory_create could have made. */
static bool desc_is_sane(const struct xm_resource_desc *desc)
{
    if (desc->dimension < D3D11_RESOURCE_DIMENSION_BUFFER || desc->dimension > D3D11_RESOURCE_DIMENSION_TEXTURE3D)
        return false;
    if (!desc->width || !desc->height || !desc->depth || !desc->array_size || !desc->mip_levels ||
        desc->mip_levels > XM_MAX_MIP_LEVELS || desc->mip_levels > xm_full_mip_count(desc->width, desc->height,
                                                                                      desc->depth))
        return false;
    if (desc->dimension == D3D11_RESOURCE_DIMENSION_BUFFER)
        return desc->format == DXGI_FORMAT_UNKNOWN && desc->mip_levels == 1 && desc->array_size == 1 &&
               desc->height == 1 && desc->depth == 1;
    return xm_format_lookup(desc->format) != NULL;
}

HRESULT xm_resource_import(const struct xm_resource_desc *desc, const struct xm_backend_ops *backend, int fd,
                           int sync_fd, uint64_t size, struct xm_resource **out)
{
    struct xm_resource *resource;
    HRESULT hr;

    if (!desc_is_sane(desc))
        return xm_error(E_INVALIDARG, "the shared resource's description is not one extmem makes");
    if (!backend->memory_import)
        return xm_error(E_NOTIMPL, "the %s backend cannot import memory from another process", backend->name);
    resource = calloc(1, sizeof(*resource));
    if (!resource)
        return xm_error(E_OUTOFMEMORY, "out of memory for a resource");
    xm_object_init(&resource->base, XM_OBJECT_RESOURCE, &resource_ops);
    resource->desc = *desc;
    xm_layout_init(&resource->layout, desc);
    if (resource->layout.size > size) {
        hr = xm_error(E_INVALIDARG, "the shared memory (%llu bytes) is smaller than its resource (%llu)",
                      (unsigned long long)size, (unsigned long long)resource->layout.size);
        free(resource);
        return hr;
    }
    /* SHARED_KEYEDMUTEX: join the exporter's mutex through its page. */
    if (sync_fd >= 0 && (desc->misc_flags & D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX)) {
        int dup_fd = fcntl(sync_fd, F_DUPFD_CLOEXEC, 0);

        resource->keyed_mutex = calloc(1, sizeof(*resource->keyed_mutex));
        hr = !resource->keyed_mutex || dup_fd < 0 ? xm_error(E_OUTOFMEMORY, "out of memory for a keyed mutex")
                                                  : xm_keyed_mutex_init_from_fd(resource->keyed_mutex, dup_fd);
        if (FAILED(hr)) {
            if (dup_fd >= 0)
                close(dup_fd);
            free(resource->keyed_mutex);
            free(resource);
            return hr;
        }
    }
    hr = backend->memory_import(&resource->desc, &resource->layout, fd, size, &resource->memory);
    if (FAILED(hr)) {
        if (resource->keyed_mutex) {
            xm_keyed_mutex_finish(resource->keyed_mutex);
            free(resource->keyed_mutex);
        }
        free(resource);
        return hr;
    }
    /* CreateSharedHandle belongs to the process that made the resource. */
    resource->nt_handle_created = 1;
    __atomic_fetch_add(&live_resources, 1, __ATOMIC_RELAXED);
    *out = resource;
    return S_OK;
}

size_t xm_resource_live_count(void)
{
    return __atomic_load_n(&live_resources, __ATOMIC_RELAXED);
}
