/*
 * IDXGIKeyedMutex on a resource object created or opened with
 * D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX (QueryInterface from any interface
 * of the object). The state is the resource's (core/keyed_mutex.h), shared
 * by every object opened on it; ownership belongs to the device the object
 * was opened on, as in D3D11, where the mutex is acquired "by a device".
 *
 * Return values (IDXGIKeyedMutex::AcquireSync documentation): S_OK;
 * WAIT_TIMEOUT and WAIT_ABANDONED are DWORD constants returned as they are,
 * so SUCCEEDED() is true for both and callers must compare explicitly;
 * E_FAIL when the owning device acquires again ("the owning device
 * attempted to create another keyed mutex on the same shared resource").
 * ReleaseSync returns E_FAIL when the device does not own the mutex.
 *
 * Each device keeps the list of the mutexes it holds (with a reference on
 * their resources), so that a device destroyed while holding one abandons
 * it instead of leaving it held by nobody for good: the other side's next
 * AcquireSync returns WAIT_ABANDONED, as when the owner's process dies.
 */
#include <stdlib.h>

#include "core/error.h"
#include "d3d11/d3d11_private.h"

static inline struct d3d11_resource *impl_from_IDXGIKeyedMutex(IDXGIKeyedMutex *iface)
{
    return container_of(iface, struct d3d11_resource, IDXGIKeyedMutex_iface);
}

/* D3D11 gives the mutex to a device, not to one of its objects. */
static uint64_t owner_of(struct d3d11_resource *object)
{
    return object->device->keyed_mutex_owner;
}

struct d3d11_held_mutex {
    struct xm_resource *resource; /* one reference */
    struct d3d11_held_mutex *next;
};

static bool note_held(struct d3d11_device *device, struct xm_resource *resource)
{
    struct d3d11_held_mutex *held = malloc(sizeof(*held));

    if (!held)
        return false;
    held->resource = resource;
    xm_resource_ref(resource);
    pthread_mutex_lock(&device->held_lock);
    held->next = device->held;
    device->held = held;
    pthread_mutex_unlock(&device->held_lock);
    return true;
}

static void note_released(struct d3d11_device *device, struct xm_resource *resource)
{
    struct d3d11_held_mutex *found = NULL, **link;

    pthread_mutex_lock(&device->held_lock);
    for (link = &device->held; *link; link = &(*link)->next) {
        if ((*link)->resource == resource) {
            found = *link;
            *link = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&device->held_lock);
    if (found) {
        xm_resource_unref(found->resource);
        free(found);
    }
}

void d3d11_device_abandon_held_mutexes(struct d3d11_device *device)
{
    struct d3d11_held_mutex *held = device->held;

    device->held = NULL; /* the last reference is gone: nobody else looks */
    while (held) {
        struct d3d11_held_mutex *next = held->next;

        xm_keyed_mutex_abandon_owner(held->resource->keyed_mutex, device->keyed_mutex_owner);
        xm_resource_unref(held->resource);
        free(held);
        held = next;
    }
}

static HRESULT STDMETHODCALLTYPE keyed_mutex_QueryInterface(IDXGIKeyedMutex *iface, REFIID riid, void **out)
{
    return ID3D11Resource_QueryInterface(&impl_from_IDXGIKeyedMutex(iface)->ID3D11Resource_iface, riid, out);
}

static ULONG STDMETHODCALLTYPE keyed_mutex_AddRef(IDXGIKeyedMutex *iface)
{
    return ID3D11Resource_AddRef(&impl_from_IDXGIKeyedMutex(iface)->ID3D11Resource_iface);
}

static ULONG STDMETHODCALLTYPE keyed_mutex_Release(IDXGIKeyedMutex *iface)
{
    return ID3D11Resource_Release(&impl_from_IDXGIKeyedMutex(iface)->ID3D11Resource_iface);
}

static HRESULT STDMETHODCALLTYPE keyed_mutex_SetPrivateData(IDXGIKeyedMutex *iface, REFGUID guid, UINT size,
                                                            const void *data)
{
    return xm_private_store_set(&impl_from_IDXGIKeyedMutex(iface)->private_data, guid, size, data);
}

static HRESULT STDMETHODCALLTYPE keyed_mutex_SetPrivateDataInterface(IDXGIKeyedMutex *iface, REFGUID guid,
                                                                     const IUnknown *object)
{
    return xm_private_store_set_interface(&impl_from_IDXGIKeyedMutex(iface)->private_data, guid, object);
}

static HRESULT STDMETHODCALLTYPE keyed_mutex_GetPrivateData(IDXGIKeyedMutex *iface, REFGUID guid, UINT *size,
                                                            void *data)
{
    return xm_private_store_get(&impl_from_IDXGIKeyedMutex(iface)->private_data, guid, size, data);
}

/* As for IDXGIResource: extmem has no IDXGIDevice, the parent is the device. */
static HRESULT STDMETHODCALLTYPE keyed_mutex_GetParent(IDXGIKeyedMutex *iface, REFIID riid, void **parent)
{
    ID3D11Device *device = (ID3D11Device *)&impl_from_IDXGIKeyedMutex(iface)->device->ID3D11Device5_iface;
    return ID3D11Device_QueryInterface(device, riid, parent);
}

static HRESULT STDMETHODCALLTYPE keyed_mutex_GetDevice(IDXGIKeyedMutex *iface, REFIID riid, void **device)
{
    return keyed_mutex_GetParent(iface, riid, device);
}

static HRESULT STDMETHODCALLTYPE keyed_mutex_AcquireSync(IDXGIKeyedMutex *iface, UINT64 Key, DWORD dwMilliseconds)
{
    struct d3d11_resource *object = impl_from_IDXGIKeyedMutex(iface);

    switch (xm_keyed_mutex_acquire(object->resource->keyed_mutex, Key, owner_of(object), dwMilliseconds)) {
    case XM_KEYED_MUTEX_ACQUIRED:
        if (!note_held(object->device, object->resource)) {
            /* Give it back as it was: released with Key. */
            xm_keyed_mutex_untake(object->resource->keyed_mutex, owner_of(object));
            return xm_error(E_OUTOFMEMORY, "AcquireSync: out of memory");
        }
        return S_OK;
    case XM_KEYED_MUTEX_TIMED_OUT:
        return xm_error((HRESULT)WAIT_TIMEOUT, "AcquireSync: the mutex was not released with key %llu within "
                        "%u ms", (unsigned long long)Key, (unsigned)dwMilliseconds);
    case XM_KEYED_MUTEX_WAS_ABANDONED:
        return xm_error((HRESULT)WAIT_ABANDONED, "AcquireSync: the owner of the keyed mutex died holding it; "
                        "the resource's content is undefined: release and recreate it");
    case XM_KEYED_MUTEX_ALREADY_OWNED:
    default:
        return xm_error(E_FAIL, "AcquireSync: this device already holds the keyed mutex (AcquireSync does not "
                        "nest; call ReleaseSync first)");
    }
}

static HRESULT STDMETHODCALLTYPE keyed_mutex_ReleaseSync(IDXGIKeyedMutex *iface, UINT64 Key)
{
    struct d3d11_resource *object = impl_from_IDXGIKeyedMutex(iface);

    if (!xm_keyed_mutex_release(object->resource->keyed_mutex, Key, owner_of(object)))
        return xm_error(E_FAIL, "ReleaseSync: this device does not hold the keyed mutex");
    note_released(object->device, object->resource);
    return S_OK;
}

static const struct IDXGIKeyedMutexVtbl keyed_mutex_vtbl = {
    /* IUnknown */
    keyed_mutex_QueryInterface,
    keyed_mutex_AddRef,
    keyed_mutex_Release,
    /* IDXGIObject */
    keyed_mutex_SetPrivateData,
    keyed_mutex_SetPrivateDataInterface,
    keyed_mutex_GetPrivateData,
    keyed_mutex_GetParent,
    /* IDXGIDeviceSubObject */
    keyed_mutex_GetDevice,
    /* IDXGIKeyedMutex */
    keyed_mutex_AcquireSync,
    keyed_mutex_ReleaseSync,
};

void d3d11_keyed_mutex_init(struct d3d11_resource *object)
{
    object->IDXGIKeyedMutex_iface.lpVtbl = &keyed_mutex_vtbl;
}
