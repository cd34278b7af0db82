/*
 * ID3D11Fence: the COM object over a fence (core/fence.h). CreateFence
 * makes one with a new fence; OpenSharedFence makes another over the fence
 * an NT handle names, on whichever device opens it.
 *
 * SetEventOnCompletion takes an event from CreateEventW (win32.c), set
 * once the fence reaches the value, or NULL, which blocks until then (the
 * D3D12 documentation of the same method: "If hEvent is a null handle,
 * then this API will not return until the specified fence value(s) have
 * been reached").
 */
#include <stdlib.h>

#include "core/error.h"
#include "core/handle_table.h"
#include "d3d11/d3d11_private.h"
#include "ipc/share.h"

struct d3d11_fence {
    ID3D11Fence ID3D11Fence_iface;
    LONG refcount;
    struct d3d11_device *device; /* one COM reference */
    struct xm_fence *fence;      /* one reference */
};

static inline struct d3d11_fence *impl_from_ID3D11Fence(ID3D11Fence *iface)
{
    return container_of(iface, struct d3d11_fence, ID3D11Fence_iface);
}

static HRESULT STDMETHODCALLTYPE d3d11_fence_QueryInterface(ID3D11Fence *iface, REFIID riid, void **out)
{
    if (!out)
        return xm_error(E_POINTER, "QueryInterface: the out pointer is NULL");
    *out = NULL;
    if (!riid)
        return xm_error(E_INVALIDARG, "QueryInterface: riid is NULL");
    if (!IsEqualGUID(riid, &IID_IUnknown) && !IsEqualGUID(riid, &IID_ID3D11DeviceChild) &&
        !IsEqualGUID(riid, &IID_ID3D11Fence))
        return xm_error(E_NOINTERFACE, "QueryInterface: a fence does not implement the interface asked for");
    ID3D11Fence_AddRef(iface);
    *out = iface;
    return S_OK;
}

static ULONG STDMETHODCALLTYPE d3d11_fence_AddRef(ID3D11Fence *iface)
{
    return (ULONG)__atomic_add_fetch(&impl_from_ID3D11Fence(iface)->refcount, 1, __ATOMIC_RELAXED);
}

static ULONG STDMETHODCALLTYPE d3d11_fence_Release(ID3D11Fence *iface)
{
    struct d3d11_fence *object = impl_from_ID3D11Fence(iface);
    LONG refcount = __atomic_sub_fetch(&object->refcount, 1, __ATOMIC_ACQ_REL);

    if (!refcount) {
        ID3D11Device5 *device = &object->device->ID3D11Device5_iface;

        xm_fence_unref(object->fence);
        free(object);
        ID3D11Device5_Release(device);
    }
    return (ULONG)refcount;
}

static void STDMETHODCALLTYPE d3d11_fence_GetDevice(ID3D11Fence *iface, ID3D11Device **ppDevice)
{
    ID3D11Device5 *device = &impl_from_ID3D11Fence(iface)->device->ID3D11Device5_iface;

    if (!ppDevice) {
        xm_set_error_message(__FILE__, __LINE__, "GetDevice: ppDevice is NULL");
        return;
    }
    ID3D11Device5_AddRef(device);
    *ppDevice = (ID3D11Device *)device;
}

static HRESULT STDMETHODCALLTYPE d3d11_fence_CreateSharedHandle(ID3D11Fence *iface,
                                                                const SECURITY_ATTRIBUTES *pAttributes,
                                                                DWORD dwAccess, LPCWSTR lpName, HANDLE *pHandle)
{
    struct xm_fence *fence = impl_from_ID3D11Fence(iface)->fence;
    HRESULT hr;

    /* Security descriptors have no meaning here: peers are checked by uid. */
    (void)pAttributes;
    if (!pHandle)
        return xm_error(E_INVALIDARG, "CreateSharedHandle: pHandle is NULL");
    *pHandle = NULL;
    if (!fence->shared)
        return xm_error(E_INVALIDARG, "CreateSharedHandle: the fence was created without D3D11_FENCE_FLAG_SHARED");
    /* ID3D11Fence::CreateSharedHandle: "Currently the only value this
     * parameter accepts is GENERIC_ALL." */
    if (dwAccess != GENERIC_ALL)
        return xm_error(E_INVALIDARG, "CreateSharedHandle: dwAccess 0x%x is not GENERIC_ALL, the only access a "
                        "fence handle takes", (unsigned)dwAccess);
    if (!xm_name_is_valid(lpName))
        return E_INVALIDARG;
    hr = xm_handle_create(&fence->base, XM_ACCESS_ALL, lpName, pHandle);
    /* A name is per user: claim it at the broker too (an unnamed handle
     * crosses processes only by DuplicateHandle). */
    if (SUCCEEDED(hr) && lpName && FAILED(hr = xm_share_export_name(&fence->base, lpName, XM_ACCESS_ALL))) {
        xm_handle_close(*pHandle);
        *pHandle = NULL;
    }
    return hr;
}

static UINT64 STDMETHODCALLTYPE d3d11_fence_GetCompletedValue(ID3D11Fence *iface)
{
    return xm_fence_value(impl_from_ID3D11Fence(iface)->fence);
}

static HRESULT STDMETHODCALLTYPE d3d11_fence_SetEventOnCompletion(ID3D11Fence *iface, UINT64 Value, HANDLE hEvent)
{
    struct xm_fence *fence = impl_from_ID3D11Fence(iface)->fence;

    if (!hEvent) {
        xm_fence_wait(fence, Value, NULL);
        return S_OK;
    }
    return d3d11_event_set_on_completion(hEvent, fence, Value);
}

static const struct ID3D11FenceVtbl d3d11_fence_vtbl = {
    /* IUnknown */
    d3d11_fence_QueryInterface,
    d3d11_fence_AddRef,
    d3d11_fence_Release,
    /* ID3D11DeviceChild */
    d3d11_fence_GetDevice,
    /* ID3D11Fence */
    d3d11_fence_CreateSharedHandle,
    d3d11_fence_GetCompletedValue,
    d3d11_fence_SetEventOnCompletion,
};

HRESULT d3d11_fence_create(struct d3d11_device *device, struct xm_fence *fence, REFIID riid, void **out)
{
    struct d3d11_fence *object;
    HRESULT hr;

    object = calloc(1, sizeof(*object));
    if (!object)
        return xm_error(E_OUTOFMEMORY, "out of memory for a fence object");
    object->ID3D11Fence_iface.lpVtbl = &d3d11_fence_vtbl;
    object->refcount = 1;
    object->device = device;
    object->fence = fence;
    xm_fence_ref(fence);
    ID3D11Device5_AddRef(&device->ID3D11Device5_iface);

    /* Hand out the asked-for interface; the creation reference goes. */
    hr = d3d11_fence_QueryInterface(&object->ID3D11Fence_iface, riid, out);
    d3d11_fence_Release(&object->ID3D11Fence_iface);
    return hr;
}

struct xm_fence *unsafe_xm_fence_from_ID3D11Fence(ID3D11Fence *iface)
{
    if (!iface || iface->lpVtbl != &d3d11_fence_vtbl)
        return NULL;
    return impl_from_ID3D11Fence(iface)->fence;
}

/* ---- ID3D11DeviceContext4::Wait on the host ---------------------------- */

/*
 * D3D11's Wait is GPU-side: it returns at once, and the context's later
 * work does not start before the fence reaches the value. The host context
 * does its work on the calling thread when it is called, so the wait is
 * queued here and run by the next operation that touches memory (Map, the
 * copies, UpdateSubresource, Signal): that operation blocks until the
 * fence arrives, as the GPU would stall on it. Map with
 * D3D11_MAP_FLAG_DO_NOT_WAIT returns DXGI_ERROR_WAS_STILL_DRAWING instead
 * of blocking, as it does for unfinished GPU work.
 */
struct d3d11_pending_wait {
    struct xm_fence *fence; /* one reference */
    uint64_t value;
    struct d3d11_pending_wait *next;
};

HRESULT d3d11_context_queue_wait(struct d3d11_context *context, struct xm_fence *fence, UINT64 value)
{
    struct d3d11_pending_wait *wait, **tail = &context->pending_waits;

    if (xm_fence_value(fence) >= value)
        return S_OK;
    wait = calloc(1, sizeof(*wait));
    if (!wait)
        return xm_error(E_OUTOFMEMORY, "Wait: out of memory");
    wait->fence = fence;
    wait->value = value;
    xm_fence_ref(fence);
    while (*tail)
        tail = &(*tail)->next;
    *tail = wait; /* waits run in the order they were queued */
    return S_OK;
}

static void forget_first_wait(struct d3d11_context *context)
{
    struct d3d11_pending_wait *wait = context->pending_waits;

    context->pending_waits = wait->next;
    xm_fence_unref(wait->fence);
    free(wait);
}

void d3d11_context_run_waits(struct d3d11_context *context)
{
    while (context->pending_waits) {
        xm_fence_wait(context->pending_waits->fence, context->pending_waits->value, NULL);
        forget_first_wait(context);
    }
}

bool d3d11_context_waits_met(struct d3d11_context *context)
{
    while (context->pending_waits) {
        if (xm_fence_value(context->pending_waits->fence) < context->pending_waits->value)
            return false;
        forget_first_wait(context);
    }
    return true;
}

void d3d11_context_drop_waits(struct d3d11_context *context)
{
    while (context->pending_waits)
        forget_first_wait(context);
}
