/*
 * The immediate context: moving data between the CPU and resources, and
 * between resources.
 *
 * Most of these methods return void in D3D11, which drops an invalid call
 * (its debug layer says why). extmem does the same and records the reason
 * for extmemGetLastErrorMessage(). Like D3D11's immediate context, this
 * one is not meant to be used from several threads at once.
 */
#include <string.h>

#include "core/error.h"
#include "core/format.h"
#include "core/handle_table.h"
#include "d3d11/d3d11_private.h"

static inline struct d3d11_context *impl_from_ID3D11DeviceContext4(ID3D11DeviceContext4 *iface)
{
    return container_of(iface, struct d3d11_context, ID3D11DeviceContext4_iface);
}

static ID3D11Device5 *context_device(struct d3d11_context *context)
{
    return &context->device->ID3D11Device5_iface;
}

static HRESULT STDMETHODCALLTYPE d3d11_context_QueryInterface(ID3D11DeviceContext4 *iface, REFIID riid, void **out)
{
    if (!out)
        return xm_error(E_POINTER, "QueryInterface: the out pointer is NULL");
    *out = NULL;
    if (!riid)
        return xm_error(E_INVALIDARG, "QueryInterface: riid is NULL");
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_ID3D11DeviceChild) ||
        IsEqualGUID(riid, &IID_ID3D11DeviceContext) || IsEqualGUID(riid, &IID_ID3D11DeviceContext1) ||
        IsEqualGUID(riid, &IID_ID3D11DeviceContext2) || IsEqualGUID(riid, &IID_ID3D11DeviceContext3) ||
        IsEqualGUID(riid, &IID_ID3D11DeviceContext4)) {
        ID3D11DeviceContext4_AddRef(iface);
        *out = iface;
        return S_OK;
    }
    return xm_error(E_NOINTERFACE, "QueryInterface: the device context does not implement the interface asked for");
}

/* The immediate context lives inside its device and shares its count. */
static ULONG STDMETHODCALLTYPE d3d11_context_AddRef(ID3D11DeviceContext4 *iface)
{
    return ID3D11Device5_AddRef(context_device(impl_from_ID3D11DeviceContext4(iface)));
}

static ULONG STDMETHODCALLTYPE d3d11_context_Release(ID3D11DeviceContext4 *iface)
{
    return ID3D11Device5_Release(context_device(impl_from_ID3D11DeviceContext4(iface)));
}

static void STDMETHODCALLTYPE d3d11_context_GetDevice(ID3D11DeviceContext4 *iface, ID3D11Device **ppDevice)
{
    ID3D11Device5 *device = context_device(impl_from_ID3D11DeviceContext4(iface));

    if (!ppDevice) {
        xm_set_error_message(__FILE__, __LINE__, "GetDevice: ppDevice is NULL");
        return;
    }
    ID3D11Device5_AddRef(device);
    *ppDevice = (ID3D11Device *)device;
}

/* ---- helpers ----------------------------------------------------------- */

static bool get_subresource(struct d3d11_resource *object, UINT index, struct xm_subresource *sub,
                            const char *method, const char *which)
{
    struct xm_resource *resource = object->resource;

    if (xm_layout_subresource(&resource->layout, &resource->desc, index, sub))
        return true;
    return xm_error(false, "%s: %s subresource %u is out of range (the resource has %u)", method, which, index,
                    resource->layout.mip_levels * resource->layout.array_size);
}

static bool check_writable(struct d3d11_resource *object, const char *method)
{
    if (object->resource->desc.usage == D3D11_USAGE_IMMUTABLE)
        return xm_error(false, "%s: the destination is IMMUTABLE", method);
    if (!(object->access & XM_ACCESS_WRITE))
        return xm_error(false, "%s: the destination was opened read-only (E_ACCESSDENIED)", method);
    return true;
}

/* Copies a box from one subresource to a position in another, whatever
 * backends hold the two (a CPU-visible side moves through read/write). */
static HRESULT copy_region(struct xm_resource *dst, const struct xm_subresource *dst_sub, uint32_t x, uint32_t y,
                           uint32_t z, struct xm_resource *src, const struct xm_subresource *src_sub,
                           const struct xm_box *box)
{
    struct xm_memory *dst_memory = dst->memory, *src_memory = src->memory;
    struct xm_box dst_box = {x, y, z, x + (box->right - box->left), y + (box->bottom - box->top),
                             z + (box->back - box->front)};

    if (dst_memory->ops == src_memory->ops)
        return dst_memory->ops->copy(dst_memory, &dst->layout, dst_sub, x, y, z, src_memory, &src->layout, src_sub,
                                     box);
    if (src_memory->host_ptr) {
        const uint8_t *from = (const uint8_t *)src_memory->host_ptr +
                              xm_subresource_texel_offset(&src->layout, src_sub, box->left, box->top, box->front);
        return dst_memory->ops->write(dst_memory, &dst->layout, dst_sub, &dst_box, from, src_sub->row_pitch,
                                      src_sub->depth_pitch);
    }
    if (dst_memory->host_ptr) {
        uint8_t *to = (uint8_t *)dst_memory->host_ptr + xm_subresource_texel_offset(&dst->layout, dst_sub, x, y, z);
        return src_memory->ops->read(src_memory, &src->layout, src_sub, box, to, dst_sub->row_pitch,
                                     dst_sub->depth_pitch);
    }
    return xm_error(E_NOTIMPL, "copy between two backends without a CPU view");
}

static bool same_shape(const struct xm_resource *a, const struct xm_resource *b)
{
    return a->desc.dimension == b->desc.dimension && a->desc.width == b->desc.width &&
           a->desc.height == b->desc.height && a->desc.depth == b->desc.depth &&
           a->desc.mip_levels == b->desc.mip_levels && a->desc.array_size == b->desc.array_size &&
           a->layout.texel_size == b->layout.texel_size;
}

/* ---- Map / Unmap ------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE d3d11_context_Map(ID3D11DeviceContext4 *iface, ID3D11Resource *pResource,
                                                   UINT Subresource, D3D11_MAP MapType, UINT MapFlags,
                                                   D3D11_MAPPED_SUBRESOURCE *pMappedResource)
{
    struct d3d11_resource *object = unsafe_impl_from_ID3D11Resource(pResource);
    struct xm_subresource sub;
    struct xm_resource *resource;
    UINT needed = 0;

    (void)iface;
    if (pMappedResource)
        memset(pMappedResource, 0, sizeof(*pMappedResource));
    if (!object)
        return xm_error(E_INVALIDARG, "Map: pResource is not an extmem resource");
    resource = object->resource;
    if (MapFlags & ~D3D11_MAP_FLAG_DO_NOT_WAIT)
        return xm_error(E_INVALIDARG, "Map: unknown MapFlags 0x%x", MapFlags);
    if (!get_subresource(object, Subresource, &sub, "Map", "the"))
        return E_INVALIDARG;
    switch (MapType) {
    case D3D11_MAP_READ: needed = D3D11_CPU_ACCESS_READ; break;
    case D3D11_MAP_WRITE: needed = D3D11_CPU_ACCESS_WRITE; break;
    case D3D11_MAP_READ_WRITE: needed = D3D11_CPU_ACCESS_READ | D3D11_CPU_ACCESS_WRITE; break;
    case D3D11_MAP_WRITE_DISCARD:
    case D3D11_MAP_WRITE_NO_OVERWRITE:
        if (resource->desc.usage != D3D11_USAGE_DYNAMIC)
            return xm_error(E_INVALIDARG, "Map: WRITE_DISCARD and WRITE_NO_OVERWRITE are for DYNAMIC resources");
        needed = D3D11_CPU_ACCESS_WRITE;
        break;
    default:
        return xm_error(E_INVALIDARG, "Map: MapType %d is not a D3D11_MAP value", (int)MapType);
    }
    if (resource->desc.usage == D3D11_USAGE_DYNAMIC && MapType != D3D11_MAP_WRITE_DISCARD &&
        MapType != D3D11_MAP_WRITE_NO_OVERWRITE)
        return xm_error(E_INVALIDARG, "Map: a DYNAMIC resource maps with WRITE_DISCARD or WRITE_NO_OVERWRITE");
    if ((resource->desc.cpu_access_flags & needed) != needed)
        return xm_error(E_INVALIDARG, "Map: the resource's CPUAccessFlags 0x%x do not allow MapType %d",
                        resource->desc.cpu_access_flags, (int)MapType);
    if (!pMappedResource)
        return xm_error(E_INVALIDARG, "Map: pMappedResource is NULL");
    if (!(MapFlags & D3D11_MAP_FLAG_DO_NOT_WAIT))
        d3d11_context_run_waits(impl_from_ID3D11DeviceContext4(iface));
    else if (!d3d11_context_waits_met(impl_from_ID3D11DeviceContext4(iface)))
        return xm_error(DXGI_ERROR_WAS_STILL_DRAWING, "Map: a fence Wait queued on the context is not met yet");
    pMappedResource->pData = (uint8_t *)resource->memory->host_ptr + sub.offset;
    pMappedResource->RowPitch = (UINT)sub.row_pitch;
    pMappedResource->DepthPitch = (UINT)sub.depth_pitch;
    return S_OK;
}

static void STDMETHODCALLTYPE d3d11_context_Unmap(ID3D11DeviceContext4 *iface, ID3D11Resource *pResource,
                                                  UINT Subresource)
{
    struct d3d11_resource *object = unsafe_impl_from_ID3D11Resource(pResource);
    struct xm_subresource sub;

    (void)iface;
    if (!object) {
        xm_set_error_message(__FILE__, __LINE__, "Unmap: pResource is not an extmem resource");
        return;
    }
    /* Host memory is coherent: nothing to write back. */
    get_subresource(object, Subresource, &sub, "Unmap", "the");
}

/* ---- copies ------------------------------------------------------------ */

static void STDMETHODCALLTYPE d3d11_context_CopySubresourceRegion(ID3D11DeviceContext4 *iface,
                                                                  ID3D11Resource *pDstResource, UINT DstSubresource,
                                                                  UINT DstX, UINT DstY, UINT DstZ,
                                                                  ID3D11Resource *pSrcResource, UINT SrcSubresource,
                                                                  const D3D11_BOX *pSrcBox)
{
    struct d3d11_resource *dst = unsafe_impl_from_ID3D11Resource(pDstResource);
    struct d3d11_resource *src = unsafe_impl_from_ID3D11Resource(pSrcResource);
    struct xm_subresource dst_sub, src_sub;
    struct xm_box box;

    (void)iface;
    if (!dst || !src) {
        xm_set_error_message(__FILE__, __LINE__, "CopySubresourceRegion: a resource is not an extmem resource");
        return;
    }
    if (!check_writable(dst, "CopySubresourceRegion"))
        return;
    if (dst->resource->desc.dimension != src->resource->desc.dimension ||
        dst->resource->layout.texel_size != src->resource->layout.texel_size) {
        xm_set_error_message(__FILE__, __LINE__,
                             "CopySubresourceRegion: the resources differ in dimension or texel size");
        return;
    }
    if (!get_subresource(dst, DstSubresource, &dst_sub, "CopySubresourceRegion", "destination") ||
        !get_subresource(src, SrcSubresource, &src_sub, "CopySubresourceRegion", "source"))
        return;
    if (!xm_box_resolve(&src_sub, pSrcBox, &box)) {
        xm_set_error_message(__FILE__, __LINE__, "CopySubresourceRegion: pSrcBox lies outside the source");
        return;
    }
    if (xm_box_empty(&box))
        return;
    if ((uint64_t)DstX + (box.right - box.left) > dst_sub.width ||
        (uint64_t)DstY + (box.bottom - box.top) > dst_sub.height ||
        (uint64_t)DstZ + (box.back - box.front) > dst_sub.depth) {
        xm_set_error_message(__FILE__, __LINE__, "CopySubresourceRegion: the region does not fit the destination");
        return;
    }
    if (dst->resource == src->resource && DstSubresource == SrcSubresource) {
        xm_set_error_message(__FILE__, __LINE__, "CopySubresourceRegion: source and destination are the same "
                             "subresource");
        return;
    }
    d3d11_context_run_waits(impl_from_ID3D11DeviceContext4(iface));
    copy_region(dst->resource, &dst_sub, DstX, DstY, DstZ, src->resource, &src_sub, &box);
}

static void STDMETHODCALLTYPE d3d11_context_CopyResource(ID3D11DeviceContext4 *iface, ID3D11Resource *pDstResource,
                                                         ID3D11Resource *pSrcResource)
{
    struct d3d11_resource *dst = unsafe_impl_from_ID3D11Resource(pDstResource);
    struct d3d11_resource *src = unsafe_impl_from_ID3D11Resource(pSrcResource);
    uint32_t count;

    (void)iface;
    if (!dst || !src) {
        xm_set_error_message(__FILE__, __LINE__, "CopyResource: a resource is not an extmem resource");
        return;
    }
    if (dst->resource == src->resource) {
        xm_set_error_message(__FILE__, __LINE__, "CopyResource: source and destination are the same resource");
        return;
    }
    if (!check_writable(dst, "CopyResource"))
        return;
    if (!same_shape(dst->resource, src->resource)) {
        xm_set_error_message(__FILE__, __LINE__, "CopyResource: the resources differ in dimension, extent, "
                             "levels, array size or texel size");
        return;
    }
    d3d11_context_run_waits(impl_from_ID3D11DeviceContext4(iface));
    count = src->resource->layout.mip_levels * src->resource->layout.array_size;
    for (uint32_t i = 0; i < count; i++) {
        struct xm_subresource dst_sub, src_sub;
        struct xm_box box;

        xm_layout_subresource(&dst->resource->layout, &dst->resource->desc, i, &dst_sub);
        xm_layout_subresource(&src->resource->layout, &src->resource->desc, i, &src_sub);
        xm_box_resolve(&src_sub, NULL, &box);
        if (FAILED(copy_region(dst->resource, &dst_sub, 0, 0, 0, src->resource, &src_sub, &box)))
            return;
    }
}

static void STDMETHODCALLTYPE d3d11_context_UpdateSubresource(ID3D11DeviceContext4 *iface,
                                                              ID3D11Resource *pDstResource, UINT DstSubresource,
                                                              const D3D11_BOX *pDstBox, const void *pSrcData,
                                                              UINT SrcRowPitch, UINT SrcDepthPitch)
{
    struct d3d11_resource *dst = unsafe_impl_from_ID3D11Resource(pDstResource);
    struct xm_subresource sub;
    struct xm_box box;
    uint64_t row_bytes;

    (void)iface;
    if (!dst) {
        xm_set_error_message(__FILE__, __LINE__, "UpdateSubresource: pDstResource is not an extmem resource");
        return;
    }
    if (!pSrcData) {
        xm_set_error_message(__FILE__, __LINE__, "UpdateSubresource: pSrcData is NULL");
        return;
    }
    if (!check_writable(dst, "UpdateSubresource"))
        return;
    if (dst->resource->desc.usage != D3D11_USAGE_DEFAULT) {
        xm_set_error_message(__FILE__, __LINE__, "UpdateSubresource: the destination must be a DEFAULT resource "
                             "(Map DYNAMIC and STAGING ones)");
        return;
    }
    if (!get_subresource(dst, DstSubresource, &sub, "UpdateSubresource", "the destination"))
        return;
    if (!xm_box_resolve(&sub, pDstBox, &box)) {
        xm_set_error_message(__FILE__, __LINE__, "UpdateSubresource: pDstBox lies outside the subresource");
        return;
    }
    if (xm_box_empty(&box))
        return;
    row_bytes = (uint64_t)(box.right - box.left) * dst->resource->layout.texel_size;
    if (dst->resource->desc.dimension != D3D11_RESOURCE_DIMENSION_BUFFER) {
        if (box.bottom - box.top > 1 && SrcRowPitch < row_bytes) {
            xm_set_error_message(__FILE__, __LINE__, "UpdateSubresource: SrcRowPitch %u is less than a row "
                                 "(%llu bytes)", SrcRowPitch, (unsigned long long)row_bytes);
            return;
        }
        if (box.back - box.front > 1 &&
            SrcDepthPitch < (uint64_t)SrcRowPitch * (box.bottom - box.top - 1) + row_bytes) {
            xm_set_error_message(__FILE__, __LINE__, "UpdateSubresource: SrcDepthPitch %u is less than a slice",
                                 SrcDepthPitch);
            return;
        }
    }
    d3d11_context_run_waits(impl_from_ID3D11DeviceContext4(iface));
    dst->resource->memory->ops->write(dst->resource->memory, &dst->resource->layout, &sub, &box, pSrcData,
                                      SrcRowPitch ? SrcRowPitch : row_bytes,
                                      SrcDepthPitch ? SrcDepthPitch : row_bytes * (box.bottom - box.top));
}

static void STDMETHODCALLTYPE d3d11_context_Flush(ID3D11DeviceContext4 *iface)
{
    /* Every operation above completes before it returns. */
    (void)iface;
}

static D3D11_DEVICE_CONTEXT_TYPE STDMETHODCALLTYPE d3d11_context_GetType(ID3D11DeviceContext4 *iface)
{
    (void)iface;
    return D3D11_DEVICE_CONTEXT_IMMEDIATE;
}

/* Signal: the work queued before it is done (each call above completes
 * before it returns) once the waits queued before it are met, so the value
 * is set then, on the calling thread. */
static HRESULT STDMETHODCALLTYPE d3d11_context_Signal(ID3D11DeviceContext4 *iface, ID3D11Fence *pFence, UINT64 Value)
{
    struct xm_fence *fence = unsafe_xm_fence_from_ID3D11Fence(pFence);

    if (!fence)
        return xm_error(E_INVALIDARG, "Signal: pFence is not an extmem fence");
    d3d11_context_run_waits(impl_from_ID3D11DeviceContext4(iface));
    xm_fence_signal(fence, Value);
    return S_OK;
}

/* Wait: queued, not blocking; see d3d11_context_queue_wait (fence.c). */
static HRESULT STDMETHODCALLTYPE d3d11_context_Wait(ID3D11DeviceContext4 *iface, ID3D11Fence *pFence, UINT64 Value)
{
    struct xm_fence *fence = unsafe_xm_fence_from_ID3D11Fence(pFence);

    if (!fence)
        return xm_error(E_INVALIDARG, "Wait: pFence is not an extmem fence");
    return d3d11_context_queue_wait(impl_from_ID3D11DeviceContext4(iface), fence, Value);
}

static const struct ID3D11DeviceContext4Vtbl d3d11_context_vtbl = {
    /* IUnknown */
    d3d11_context_QueryInterface,
    d3d11_context_AddRef,
    d3d11_context_Release,
    /* ID3D11DeviceChild */
    d3d11_context_GetDevice,
    /* ID3D11DeviceContext */
    d3d11_context_Map,
    d3d11_context_Unmap,
    d3d11_context_CopySubresourceRegion,
    d3d11_context_CopyResource,
    d3d11_context_UpdateSubresource,
    d3d11_context_Flush,
    d3d11_context_GetType,
    /* ID3D11DeviceContext4 */
    d3d11_context_Signal,
    d3d11_context_Wait,
};

void d3d11_context_init(struct d3d11_context *context, struct d3d11_device *device)
{
    context->ID3D11DeviceContext4_iface.lpVtbl = &d3d11_context_vtbl;
    context->device = device;
}
