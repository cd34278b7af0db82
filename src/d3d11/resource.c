/*
 * The COM object over a resource: ID3D11Buffer / ID3D11Texture1D/2D/3D and
 * IDXGIResource1 on one object, sharing one reference count.
 *
 * Exporting (GetSharedHandle, CreateSharedHandle) follows DXGI's rules:
 * - GetSharedHandle gives the KMT value of a SHARED or SHARED_KEYEDMUTEX
 *   resource created without SHARED_NTHANDLE; it holds no reference.
 * - CreateSharedHandle needs SHARED_NTHANDLE, runs once per resource, and
 *   returns an NT handle that holds a reference until CloseHandle.
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/error.h"
#include "core/handle_table.h"
#include "d3d11/d3d11_private.h"
#include "ipc/share.h"

static inline struct d3d11_resource *impl_from_ID3D11Resource(ID3D11Resource *iface)
{
    return container_of(iface, struct d3d11_resource, ID3D11Resource_iface);
}

static inline struct d3d11_resource *impl_from_IDXGIResource1(IDXGIResource1 *iface)
{
    return container_of(iface, struct d3d11_resource, IDXGIResource1_iface);
}

static const IID *dimension_iid(D3D11_RESOURCE_DIMENSION dimension)
{
    switch (dimension) {
    case D3D11_RESOURCE_DIMENSION_BUFFER: return &IID_ID3D11Buffer;
    case D3D11_RESOURCE_DIMENSION_TEXTURE1D: return &IID_ID3D11Texture1D;
    case D3D11_RESOURCE_DIMENSION_TEXTURE2D: return &IID_ID3D11Texture2D;
    default: return &IID_ID3D11Texture3D;
    }
}

/* ---- shared IUnknown implementation ------------------------------------ */

static HRESULT resource_query_interface(struct d3d11_resource *object, REFIID riid, void **out)
{
    if (!out)
        return xm_error(E_POINTER, "QueryInterface: the out pointer is NULL");
    *out = NULL;
    if (!riid)
        return xm_error(E_INVALIDARG, "QueryInterface: riid is NULL");
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_ID3D11DeviceChild) ||
        IsEqualGUID(riid, &IID_ID3D11Resource) ||
        IsEqualGUID(riid, dimension_iid(object->resource->desc.dimension)))
        *out = &object->ID3D11Resource_iface;
    else if (IsEqualGUID(riid, &IID_IDXGIObject) || IsEqualGUID(riid, &IID_IDXGIDeviceSubObject) ||
             IsEqualGUID(riid, &IID_IDXGIResource) || IsEqualGUID(riid, &IID_IDXGIResource1))
        *out = &object->IDXGIResource1_iface;
    else if (IsEqualGUID(riid, &IID_IDXGIKeyedMutex) && object->resource->keyed_mutex)
        *out = &object->IDXGIKeyedMutex_iface;
    else
        return xm_error(E_NOINTERFACE, "QueryInterface: a %s does not implement the interface asked for",
                        object->resource->desc.dimension == D3D11_RESOURCE_DIMENSION_BUFFER ? "buffer" : "texture");
    __atomic_add_fetch(&object->refcount, 1, __ATOMIC_RELAXED);
    return S_OK;
}

static ULONG resource_add_ref(struct d3d11_resource *object)
{
    return (ULONG)__atomic_add_fetch(&object->refcount, 1, __ATOMIC_RELAXED);
}

static ULONG resource_release(struct d3d11_resource *object)
{
    LONG refcount = __atomic_sub_fetch(&object->refcount, 1, __ATOMIC_ACQ_REL);

    if (!refcount) {
        ID3D11Device *device = (ID3D11Device *)&object->device->ID3D11Device5_iface;

        xm_private_store_finish(&object->private_data);
        xm_resource_unref(object->resource);
        free(object);
        ID3D11Device_Release(device);
    }
    return (ULONG)refcount;
}

static void resource_get_device(struct d3d11_resource *object, ID3D11Device **device)
{
    if (!device) {
        xm_set_error_message(__FILE__, __LINE__, "GetDevice: ppDevice is NULL");
        return;
    }
    *device = (ID3D11Device *)&object->device->ID3D11Device5_iface;
    ID3D11Device_AddRef(*device);
}

/* ---- per-dimension ID3D11Resource interfaces ---------------------------- */

static void fill_buffer_desc(const struct xm_resource_desc *d, D3D11_BUFFER_DESC *out)
{
    out->ByteWidth = d->width;
    out->Usage = d->usage;
    out->BindFlags = d->bind_flags;
    out->CPUAccessFlags = d->cpu_access_flags;
    out->MiscFlags = d->misc_flags;
    out->StructureByteStride = d->structure_byte_stride;
}

static void fill_texture1d_desc(const struct xm_resource_desc *d, D3D11_TEXTURE1D_DESC *out)
{
    out->Width = d->width;
    out->MipLevels = d->mip_levels;
    out->ArraySize = d->array_size;
    out->Format = d->format;
    out->Usage = d->usage;
    out->BindFlags = d->bind_flags;
    out->CPUAccessFlags = d->cpu_access_flags;
    out->MiscFlags = d->misc_flags;
}

static void fill_texture2d_desc(const struct xm_resource_desc *d, D3D11_TEXTURE2D_DESC *out)
{
    out->Width = d->width;
    out->Height = d->height;
    out->MipLevels = d->mip_levels;
    out->ArraySize = d->array_size;
    out->Format = d->format;
    out->SampleDesc.Count = 1;
    out->SampleDesc.Quality = 0;
    out->Usage = d->usage;
    out->BindFlags = d->bind_flags;
    out->CPUAccessFlags = d->cpu_access_flags;
    out->MiscFlags = d->misc_flags;
}

static void fill_texture3d_desc(const struct xm_resource_desc *d, D3D11_TEXTURE3D_DESC *out)
{
    out->Width = d->width;
    out->Height = d->height;
    out->Depth = d->depth;
    out->MipLevels = d->mip_levels;
    out->Format = d->format;
    out->Usage = d->usage;
    out->BindFlags = d->bind_flags;
    out->CPUAccessFlags = d->cpu_access_flags;
    out->MiscFlags = d->misc_flags;
}

/* One vtable per dimension: the methods differ only in This's type and in
 * GetDesc's description. */
#define DEFINE_RESOURCE_INTERFACE(Iface, name, Desc, fill_desc)                                             \
    static struct d3d11_resource *impl_from_##Iface(Iface *iface)                                          \
    {                                                                                                     \
        return impl_from_ID3D11Resource((ID3D11Resource *)iface);                                           \
    }                                                                                                     \
    static HRESULT STDMETHODCALLTYPE name##_QueryInterface(Iface *iface, REFIID riid, void **out)          \
    {                                                                                                     \
        return resource_query_interface(impl_from_##Iface(iface), riid, out);                             \
    }                                                                                                     \
    static ULONG STDMETHODCALLTYPE name##_AddRef(Iface *iface)                                            \
    {                                                                                                     \
        return resource_add_ref(impl_from_##Iface(iface));                                                \
    }                                                                                                     \
    static ULONG STDMETHODCALLTYPE name##_Release(Iface *iface)                                           \
    {                                                                                                     \
        return resource_release(impl_from_##Iface(iface));                                                \
    }                                                                                                     \
    static void STDMETHODCALLTYPE name##_GetDevice(Iface *iface, ID3D11Device **device)                   \
    {                                                                                                     \
        resource_get_device(impl_from_##Iface(iface), device);                                            \
    }                                                                                                     \
    static void STDMETHODCALLTYPE name##_GetType(Iface *iface, D3D11_RESOURCE_DIMENSION *dimension)      \
    {                                                                                                     \
        if (dimension)                                                                                    \
            *dimension = impl_from_##Iface(iface)->resource->desc.dimension;                              \
    }                                                                                                     \
    static void STDMETHODCALLTYPE name##_SetEvictionPriority(Iface *iface, UINT priority)                 \
    {                                                                                                     \
        __atomic_store_n(&impl_from_##Iface(iface)->eviction_priority, priority, __ATOMIC_RELAXED);       \
    }                                                                                                     \
    static UINT STDMETHODCALLTYPE name##_GetEvictionPriority(Iface *iface)                                \
    {                                                                                                     \
        return __atomic_load_n(&impl_from_##Iface(iface)->eviction_priority, __ATOMIC_RELAXED);           \
    }                                                                                                     \
    static void STDMETHODCALLTYPE name##_GetDesc(Iface *iface, Desc *desc)                                \
    {                                                                                                     \
        if (desc)                                                                                         \
            fill_desc(&impl_from_##Iface(iface)->resource->desc, desc);                                   \
    }                                                                                                     \
    static const struct Iface##Vtbl name##_vtbl = {                                                       \
        name##_QueryInterface, name##_AddRef, name##_Release, name##_GetDevice, name##_GetType,           \
        name##_SetEvictionPriority, name##_GetEvictionPriority, name##_GetDesc,                           \
    };

DEFINE_RESOURCE_INTERFACE(ID3D11Buffer, d3d11_buffer, D3D11_BUFFER_DESC, fill_buffer_desc)
DEFINE_RESOURCE_INTERFACE(ID3D11Texture1D, d3d11_texture1d, D3D11_TEXTURE1D_DESC, fill_texture1d_desc)
DEFINE_RESOURCE_INTERFACE(ID3D11Texture2D, d3d11_texture2d, D3D11_TEXTURE2D_DESC, fill_texture2d_desc)
DEFINE_RESOURCE_INTERFACE(ID3D11Texture3D, d3d11_texture3d, D3D11_TEXTURE3D_DESC, fill_texture3d_desc)

/* ---- IDXGIResource1 ---------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE dxgi_resource_QueryInterface(IDXGIResource1 *iface, REFIID riid, void **out)
{
    return resource_query_interface(impl_from_IDXGIResource1(iface), riid, out);
}

static ULONG STDMETHODCALLTYPE dxgi_resource_AddRef(IDXGIResource1 *iface)
{
    return resource_add_ref(impl_from_IDXGIResource1(iface));
}

static ULONG STDMETHODCALLTYPE dxgi_resource_Release(IDXGIResource1 *iface)
{
    return resource_release(impl_from_IDXGIResource1(iface));
}

static HRESULT STDMETHODCALLTYPE dxgi_resource_SetPrivateData(IDXGIResource1 *iface, REFGUID guid, UINT size,
                                                              const void *data)
{
    return xm_private_store_set(&impl_from_IDXGIResource1(iface)->private_data, guid, size, data);
}

static HRESULT STDMETHODCALLTYPE dxgi_resource_SetPrivateDataInterface(IDXGIResource1 *iface, REFGUID guid,
                                                                       const IUnknown *object)
{
    return xm_private_store_set_interface(&impl_from_IDXGIResource1(iface)->private_data, guid, object);
}

static HRESULT STDMETHODCALLTYPE dxgi_resource_GetPrivateData(IDXGIResource1 *iface, REFGUID guid, UINT *size,
                                                              void *data)
{
    return xm_private_store_get(&impl_from_IDXGIResource1(iface)->private_data, guid, size, data);
}

/* extmem has no IDXGIDevice: the parent and the device are the D3D11 device. */
static HRESULT STDMETHODCALLTYPE dxgi_resource_GetParent(IDXGIResource1 *iface, REFIID riid, void **parent)
{
    ID3D11Device *device = (ID3D11Device *)&impl_from_IDXGIResource1(iface)->device->ID3D11Device5_iface;
    return ID3D11Device_QueryInterface(device, riid, parent);
}

static HRESULT STDMETHODCALLTYPE dxgi_resource_GetDevice(IDXGIResource1 *iface, REFIID riid, void **device)
{
    return dxgi_resource_GetParent(iface, riid, device);
}

static HRESULT STDMETHODCALLTYPE dxgi_resource_GetSharedHandle(IDXGIResource1 *iface, HANDLE *pSharedHandle)
{
    struct xm_resource *resource = impl_from_IDXGIResource1(iface)->resource;

    if (!pSharedHandle)
        return xm_error(E_INVALIDARG, "GetSharedHandle: pSharedHandle is NULL");
    *pSharedHandle = NULL;
    if (resource->desc.misc_flags & D3D11_RESOURCE_MISC_SHARED_NTHANDLE)
        return xm_error(E_INVALIDARG, "GetSharedHandle: the resource was created with SHARED_NTHANDLE; "
                        "use IDXGIResource1::CreateSharedHandle");
    if (!xm_resource_has_kmt(resource))
        return xm_error(E_INVALIDARG, "GetSharedHandle: the resource was created without "
                        "D3D11_RESOURCE_MISC_SHARED or SHARED_KEYEDMUTEX");
    /* The value is global: other processes open it through the broker.
     * It may change here, before it is ever handed out, if another
     * process's object has it. */
    xm_share_export_kmt(resource);
    *pSharedHandle = (HANDLE)(uintptr_t)resource->base.kmt;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE dxgi_resource_GetUsage(IDXGIResource1 *iface, DXGI_USAGE *pUsage)
{
    UINT bind = impl_from_IDXGIResource1(iface)->resource->desc.bind_flags;
    DXGI_USAGE usage = 0;

    if (!pUsage)
        return xm_error(E_INVALIDARG, "GetUsage: pUsage is NULL");
    if (bind & D3D11_BIND_SHADER_RESOURCE)
        usage |= DXGI_USAGE_SHADER_INPUT;
    if (bind & D3D11_BIND_RENDER_TARGET)
        usage |= DXGI_USAGE_RENDER_TARGET_OUTPUT;
    if (bind & D3D11_BIND_UNORDERED_ACCESS)
        usage |= DXGI_USAGE_UNORDERED_ACCESS;
    *pUsage = usage;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE dxgi_resource_SetEvictionPriority(IDXGIResource1 *iface, UINT priority)
{
    __atomic_store_n(&impl_from_IDXGIResource1(iface)->eviction_priority, priority, __ATOMIC_RELAXED);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE dxgi_resource_GetEvictionPriority(IDXGIResource1 *iface, UINT *priority)
{
    if (!priority)
        return xm_error(E_INVALIDARG, "GetEvictionPriority: pEvictionPriority is NULL");
    *priority = __atomic_load_n(&impl_from_IDXGIResource1(iface)->eviction_priority, __ATOMIC_RELAXED);
    return S_OK;
}

/* Object names: "Global\" or "Local\" may lead; the rest has no backslash
 * (kernel object namespace rules, which CreateSharedHandle inherits). */
static bool name_has_valid_backslashes(const WCHAR *name)
{
    static const WCHAR global_prefix[] = L"Global\\", local_prefix[] = L"Local\\";

    if (!wcsncmp(name, global_prefix, wcslen(global_prefix)))
        name += wcslen(global_prefix);
    else if (!wcsncmp(name, local_prefix, wcslen(local_prefix)))
        name += wcslen(local_prefix);
    return *name && !wcschr(name, L'\\');
}

static HRESULT STDMETHODCALLTYPE dxgi_resource_CreateSharedHandle(IDXGIResource1 *iface,
                                                                  const SECURITY_ATTRIBUTES *pAttributes,
                                                                  DWORD dwAccess, LPCWSTR lpName, HANDLE *pHandle)
{
    struct d3d11_resource *object = impl_from_IDXGIResource1(iface);
    struct xm_resource *resource = object->resource;
    uint32_t access = 0;
    HRESULT hr;

    /* Security descriptors have no meaning here: peers are checked by uid. */
    (void)pAttributes;
    if (!pHandle)
        return xm_error(DXGI_ERROR_INVALID_CALL, "CreateSharedHandle: pHandle is NULL");
    *pHandle = NULL;
    if (!(resource->desc.misc_flags & D3D11_RESOURCE_MISC_SHARED_NTHANDLE))
        return xm_error(DXGI_ERROR_INVALID_CALL, "CreateSharedHandle: the resource was created without "
                        "D3D11_RESOURCE_MISC_SHARED_NTHANDLE");
    if (!d3d11_access_from_dxgi(dwAccess, &access))
        return xm_error(DXGI_ERROR_INVALID_CALL, "CreateSharedHandle: dwAccess 0x%x is not a combination of "
                        "DXGI_SHARED_RESOURCE_READ and DXGI_SHARED_RESOURCE_WRITE", (unsigned)dwAccess);
    if (access & ~object->access)
        return xm_error(E_ACCESSDENIED, "CreateSharedHandle: this object was opened read-only");
    if (lpName && !xm_name_is_valid(lpName))
        return DXGI_ERROR_INVALID_CALL;
    if (lpName && !name_has_valid_backslashes(lpName))
        return xm_error(DXGI_ERROR_INVALID_CALL, "CreateSharedHandle: a name may hold a backslash only after a "
                        "leading \"Global\" or \"Local\"");
    if (__atomic_exchange_n(&resource->nt_handle_created, 1, __ATOMIC_ACQ_REL))
        return xm_error(DXGI_ERROR_INVALID_CALL, "CreateSharedHandle: the resource already has its NT handle; "
                        "use DuplicateHandle for another");
    hr = xm_handle_create(&resource->base, access, lpName, pHandle);
    /* A name is per user, not per process: claim it at the broker too.
     * An unnamed NT handle stays in this process (DuplicateHandle moves it). */
    if (SUCCEEDED(hr) && lpName && FAILED(hr = xm_share_export_name(&resource->base, lpName, access))) {
        xm_handle_close(*pHandle);
        *pHandle = NULL;
    }
    if (FAILED(hr))
        __atomic_store_n(&resource->nt_handle_created, 0, __ATOMIC_RELEASE);
    return hr;
}

static const struct IDXGIResource1Vtbl dxgi_resource_vtbl = {
    dxgi_resource_QueryInterface,
    dxgi_resource_AddRef,
    dxgi_resource_Release,
    dxgi_resource_SetPrivateData,
    dxgi_resource_SetPrivateDataInterface,
    dxgi_resource_GetPrivateData,
    dxgi_resource_GetParent,
    dxgi_resource_GetDevice,
    dxgi_resource_GetSharedHandle,
    dxgi_resource_GetUsage,
    dxgi_resource_SetEvictionPriority,
    dxgi_resource_GetEvictionPriority,
    dxgi_resource_CreateSharedHandle,
};

/* ---- creation and checked casts ---------------------------------------- */

bool d3d11_access_from_dxgi(DWORD dxgi_access, uint32_t *access)
{
    if (dxgi_access == GENERIC_ALL) {
        *access = XM_ACCESS_ALL;
        return true;
    }
    if (!dxgi_access || (dxgi_access & ~(DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)))
        return false;
    *access = 0;
    if (dxgi_access & DXGI_SHARED_RESOURCE_READ)
        *access |= XM_ACCESS_READ;
    if (dxgi_access & DXGI_SHARED_RESOURCE_WRITE)
        *access |= XM_ACCESS_ALL;
    return true;
}

HRESULT d3d11_resource_create(struct d3d11_device *device, struct xm_resource *resource, uint32_t access,
                              REFIID riid, void **out)
{
    struct d3d11_resource *object;
    HRESULT hr;

    object = calloc(1, sizeof(*object));
    if (!object)
        return xm_error(E_OUTOFMEMORY, "out of memory for a resource object");
    switch (resource->desc.dimension) {
    case D3D11_RESOURCE_DIMENSION_BUFFER:
        object->ID3D11Buffer_iface.lpVtbl = &d3d11_buffer_vtbl;
        break;
    case D3D11_RESOURCE_DIMENSION_TEXTURE1D:
        object->ID3D11Texture1D_iface.lpVtbl = &d3d11_texture1d_vtbl;
        break;
    case D3D11_RESOURCE_DIMENSION_TEXTURE2D:
        object->ID3D11Texture2D_iface.lpVtbl = &d3d11_texture2d_vtbl;
        break;
    default:
        object->ID3D11Texture3D_iface.lpVtbl = &d3d11_texture3d_vtbl;
        break;
    }
    object->IDXGIResource1_iface.lpVtbl = &dxgi_resource_vtbl;
    d3d11_keyed_mutex_init(object);
    object->refcount = 1;
    object->device = device;
    object->resource = resource;
    object->access = access;
    xm_private_store_init(&object->private_data);
    xm_resource_ref(resource);
    ID3D11Device_AddRef((ID3D11Device *)&device->ID3D11Device5_iface);

    /* Hand out the asked-for interface; the creation reference goes. */
    hr = resource_query_interface(object, riid, out);
    resource_release(object);
    if (FAILED(hr))
        xm_set_error_message(__FILE__, __LINE__, "the resource does not expose the interface asked for");
    return hr;
}

struct d3d11_resource *unsafe_impl_from_ID3D11Resource(ID3D11Resource *iface)
{
    const void *vtbl;

    if (!iface)
        return NULL;
    vtbl = *(const void *const *)iface;
    if (vtbl != &d3d11_buffer_vtbl && vtbl != &d3d11_texture1d_vtbl && vtbl != &d3d11_texture2d_vtbl &&
        vtbl != &d3d11_texture3d_vtbl)
        return NULL;
    return impl_from_ID3D11Resource(iface);
}
