/*
 * ID3D11Device5 (and so Device..Device4) and D3D11CreateDevice.
 *
 * Resource creation validates the whole description first (D3D11's rules,
 * plus extmem's: a texture format must have a CUDA channel format), then
 * creates the shared resource in core and wraps it in a COM object.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/format.h"
#include "core/handle_table.h"
#include "d3d11/d3d11_private.h"

struct d3d11_device *impl_from_ID3D11Device(ID3D11Device *iface)
{
    return container_of((ID3D11Device5 *)iface, struct d3d11_device, ID3D11Device5_iface);
}

static inline struct d3d11_device *impl_from_ID3D11Device5(ID3D11Device5 *iface)
{
    return container_of(iface, struct d3d11_device, ID3D11Device5_iface);
}

/* ---- IUnknown ---------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE d3d11_device_QueryInterface(ID3D11Device5 *iface, REFIID riid, void **out)
{
    if (!out)
        return xm_error(E_POINTER, "QueryInterface: the out pointer is NULL");
    if (!riid) {
        *out = NULL;
        return xm_error(E_INVALIDARG, "QueryInterface: riid is NULL");
    }
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_ID3D11Device) ||
        IsEqualGUID(riid, &IID_ID3D11Device1) || IsEqualGUID(riid, &IID_ID3D11Device2) ||
        IsEqualGUID(riid, &IID_ID3D11Device3) || IsEqualGUID(riid, &IID_ID3D11Device4) ||
        IsEqualGUID(riid, &IID_ID3D11Device5)) {
        ID3D11Device5_AddRef(iface);
        *out = iface;
        return S_OK;
    }
    *out = NULL;
    return xm_error(E_NOINTERFACE, "QueryInterface: the device does not implement the interface asked for");
}

static ULONG STDMETHODCALLTYPE d3d11_device_AddRef(ID3D11Device5 *iface)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    return (ULONG)__atomic_add_fetch(&device->refcount, 1, __ATOMIC_RELAXED);
}

static ULONG STDMETHODCALLTYPE d3d11_device_Release(ID3D11Device5 *iface)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    LONG refcount = __atomic_sub_fetch(&device->refcount, 1, __ATOMIC_ACQ_REL);

    if (!refcount) {
        d3d11_context_drop_waits(&device->immediate_context);
        d3d11_device_abandon_held_mutexes(device);
        pthread_mutex_destroy(&device->held_lock);
        free(device);
    }
    return (ULONG)refcount;
}

/* ---- validation -------------------------------------------------------- */

#define XM_SHARE_FLAGS (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX | \
                        D3D11_RESOURCE_MISC_SHARED_NTHANDLE)
#define XM_BUFFER_MISC_FLAGS (XM_SHARE_FLAGS | D3D11_RESOURCE_MISC_BUFFER_STRUCTURED | \
                              D3D11_RESOURCE_MISC_BUFFER_ALLOW_RAW_VIEWS | D3D11_RESOURCE_MISC_DRAWINDIRECT_ARGS)
#define XM_TEXTURE_MISC_FLAGS (XM_SHARE_FLAGS)
#define XM_KNOWN_CPU_ACCESS (D3D11_CPU_ACCESS_READ | D3D11_CPU_ACCESS_WRITE)

/* The rules every dimension shares: usage, CPU access, sharing flags. */
static HRESULT validate_usage_and_flags(const struct xm_resource_desc *desc, UINT allowed_misc,
                                        const D3D11_SUBRESOURCE_DATA *initial_data)
{
    UINT share = desc->misc_flags & XM_SHARE_FLAGS;

    if (desc->misc_flags & ~allowed_misc)
        return xm_error(E_INVALIDARG, "MiscFlags 0x%x holds flags extmem does not support for this resource (0x%x)",
                        desc->misc_flags, desc->misc_flags & ~allowed_misc);
    if ((share & D3D11_RESOURCE_MISC_SHARED) && (share & D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX))
        return xm_error(E_INVALIDARG, "MiscFlags: SHARED and SHARED_KEYEDMUTEX are mutually exclusive");
    if ((share & D3D11_RESOURCE_MISC_SHARED_NTHANDLE) &&
        !(share & (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX)))
        return xm_error(E_INVALIDARG, "MiscFlags: SHARED_NTHANDLE needs SHARED or SHARED_KEYEDMUTEX with it");
    if (desc->cpu_access_flags & ~XM_KNOWN_CPU_ACCESS)
        return xm_error(E_INVALIDARG, "CPUAccessFlags 0x%x holds unknown bits", desc->cpu_access_flags);

    switch (desc->usage) {
    case D3D11_USAGE_DEFAULT:
        if (desc->cpu_access_flags)
            return xm_error(E_INVALIDARG, "a DEFAULT resource takes no CPUAccessFlags (got 0x%x)", desc->cpu_access_flags);
        break;
    case D3D11_USAGE_IMMUTABLE:
        if (desc->cpu_access_flags)
            return xm_error(E_INVALIDARG, "an IMMUTABLE resource takes no CPUAccessFlags (got 0x%x)", desc->cpu_access_flags);
        if (!initial_data)
            return xm_error(E_INVALIDARG, "an IMMUTABLE resource needs initial data");
        break;
    case D3D11_USAGE_DYNAMIC:
        if (desc->cpu_access_flags != D3D11_CPU_ACCESS_WRITE)
            return xm_error(E_INVALIDARG, "a DYNAMIC resource takes CPUAccessFlags = D3D11_CPU_ACCESS_WRITE (got 0x%x)",
                            desc->cpu_access_flags);
        if (desc->dimension != D3D11_RESOURCE_DIMENSION_BUFFER && (desc->mip_levels != 1 || desc->array_size != 1))
            return xm_error(E_INVALIDARG, "a DYNAMIC texture has one mip level and one array slice");
        break;
    case D3D11_USAGE_STAGING:
        if (!desc->cpu_access_flags)
            return xm_error(E_INVALIDARG, "a STAGING resource needs CPUAccessFlags READ and/or WRITE");
        if (desc->bind_flags)
            return xm_error(E_INVALIDARG, "a STAGING resource takes no BindFlags (got 0x%x)", desc->bind_flags);
        break;
    default:
        return xm_error(E_INVALIDARG, "Usage %d is not a D3D11_USAGE value", (int)desc->usage);
    }
    if (share && desc->usage != D3D11_USAGE_DEFAULT)
        return xm_error(E_INVALIDARG, "a shared resource must have D3D11_USAGE_DEFAULT");
    return S_OK;
}

static HRESULT validate_initial_data(const struct xm_resource_desc *desc, const D3D11_SUBRESOURCE_DATA *data)
{
    struct xm_layout layout;
    uint32_t count = desc->mip_levels * desc->array_size;

    if (!data)
        return S_OK;
    xm_layout_init(&layout, desc);
    for (uint32_t i = 0; i < count; i++) {
        struct xm_subresource sub;

        xm_layout_subresource(&layout, desc, i, &sub);
        if (!data[i].pSysMem)
            return xm_error(E_INVALIDARG, "pInitialData[%u].pSysMem is NULL", i);
        if (desc->dimension == D3D11_RESOURCE_DIMENSION_BUFFER)
            continue;
        if (sub.height > 1 && data[i].SysMemPitch < sub.row_pitch)
            return xm_error(E_INVALIDARG, "pInitialData[%u].SysMemPitch %u is less than a row (%llu bytes)", i,
                            data[i].SysMemPitch, (unsigned long long)sub.row_pitch);
        if (sub.depth > 1 && data[i].SysMemSlicePitch < (uint64_t)data[i].SysMemPitch * (sub.height - 1) + sub.row_pitch)
            return xm_error(E_INVALIDARG, "pInitialData[%u].SysMemSlicePitch %u is less than a 2D slice", i,
                            data[i].SysMemSlicePitch);
    }
    return S_OK;
}

static HRESULT validate_texture(struct xm_resource_desc *desc, UINT max_extent, UINT max_array,
                                UINT requested_mips, const DXGI_SAMPLE_DESC *samples)
{
    const struct xm_format_info *format = xm_format_lookup(desc->format);
    uint32_t full;

    if (!format)
        return xm_error(E_INVALIDARG,
                        "Format %s is not supported: extmem supports the formats that have a CUDA channel format",
                        xm_format_name(desc->format));
    if (!desc->width || !desc->height || !desc->depth)
        return xm_error(E_INVALIDARG, "a texture extent is 0 (%ux%ux%u)", desc->width, desc->height, desc->depth);
    if (desc->width > max_extent || desc->height > max_extent || desc->depth > max_extent)
        return xm_error(E_INVALIDARG, "texture extent %ux%ux%u exceeds D3D11's limit of %u",
                        desc->width, desc->height, desc->depth, max_extent);
    if (!desc->array_size || desc->array_size > max_array)
        return xm_error(E_INVALIDARG, "ArraySize %u is outside 1..%u", desc->array_size, max_array);
    if (samples && (samples->Count != 1 || samples->Quality != 0))
        return xm_error(E_INVALIDARG, "multisampled textures are not supported (SampleDesc %u/%u)",
                        samples->Count, samples->Quality);
    full = xm_full_mip_count(desc->width, desc->height, desc->depth);
    if (requested_mips > full)
        return xm_error(E_INVALIDARG, "MipLevels %u exceeds the %u levels of a full chain for %ux%ux%u",
                        requested_mips, full, desc->width, desc->height, desc->depth);
    desc->mip_levels = requested_mips ? requested_mips : full;
    return S_OK;
}

/* ---- resource creation ------------------------------------------------- */

static HRESULT create_resource(struct d3d11_device *device, const struct xm_resource_desc *desc,
                               const D3D11_SUBRESOURCE_DATA *initial_data, REFIID riid, void **out)
{
    const struct xm_backend_ops *backend;
    struct xm_resource *resource;
    HRESULT hr;

    /* CPU-visible resources live in host memory whatever the device's backend. */
    if (desc->usage == D3D11_USAGE_STAGING || desc->usage == D3D11_USAGE_DYNAMIC)
        backend = xm_backend_host();
    else
        backend = device->backend;
    hr = xm_resource_create(desc, backend, initial_data, &resource);
    if (FAILED(hr))
        return hr;
    hr = d3d11_resource_create(device, resource, XM_ACCESS_ALL, riid, out);
    xm_resource_unref(resource);
    return hr;
}

static HRESULT STDMETHODCALLTYPE d3d11_device_CreateBuffer(ID3D11Device5 *iface, const D3D11_BUFFER_DESC *pDesc,
                                                           const D3D11_SUBRESOURCE_DATA *pInitialData,
                                                           ID3D11Buffer **ppBuffer)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    struct xm_resource_desc desc;
    HRESULT hr;

    if (ppBuffer)
        *ppBuffer = NULL;
    if (!pDesc)
        return xm_error(E_INVALIDARG, "CreateBuffer: pDesc is NULL");
    desc = (struct xm_resource_desc){
        .dimension = D3D11_RESOURCE_DIMENSION_BUFFER,
        .format = DXGI_FORMAT_UNKNOWN,
        .width = pDesc->ByteWidth,
        .height = 1, .depth = 1, .mip_levels = 1, .array_size = 1,
        .usage = pDesc->Usage,
        .bind_flags = pDesc->BindFlags,
        .cpu_access_flags = pDesc->CPUAccessFlags,
        .misc_flags = pDesc->MiscFlags,
        .structure_byte_stride = pDesc->StructureByteStride,
    };
    if (!desc.width)
        return xm_error(E_INVALIDARG, "CreateBuffer: ByteWidth is 0");
    if ((desc.misc_flags & D3D11_RESOURCE_MISC_BUFFER_STRUCTURED) &&
        (!desc.structure_byte_stride || desc.width % desc.structure_byte_stride))
        return xm_error(E_INVALIDARG, "CreateBuffer: a structured buffer's ByteWidth %u is not a multiple of "
                        "StructureByteStride %u", desc.width, desc.structure_byte_stride);
    if (FAILED(hr = validate_usage_and_flags(&desc, XM_BUFFER_MISC_FLAGS, pInitialData)))
        return hr;
    if (FAILED(hr = validate_initial_data(&desc, pInitialData)))
        return hr;
    /* D3D11: a NULL out pointer asks only whether the arguments are valid. */
    if (!ppBuffer)
        return S_FALSE;
    return create_resource(device, &desc, pInitialData, &IID_ID3D11Buffer, (void **)ppBuffer);
}

static HRESULT STDMETHODCALLTYPE d3d11_device_CreateTexture1D(ID3D11Device5 *iface, const D3D11_TEXTURE1D_DESC *pDesc,
                                                              const D3D11_SUBRESOURCE_DATA *pInitialData,
                                                              ID3D11Texture1D **ppTexture1D)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    struct xm_resource_desc desc;
    HRESULT hr;

    if (ppTexture1D)
        *ppTexture1D = NULL;
    if (!pDesc)
        return xm_error(E_INVALIDARG, "CreateTexture1D: pDesc is NULL");
    desc = (struct xm_resource_desc){
        .dimension = D3D11_RESOURCE_DIMENSION_TEXTURE1D,
        .format = pDesc->Format,
        .width = pDesc->Width, .height = 1, .depth = 1,
        .array_size = pDesc->ArraySize,
        .usage = pDesc->Usage,
        .bind_flags = pDesc->BindFlags,
        .cpu_access_flags = pDesc->CPUAccessFlags,
        .misc_flags = pDesc->MiscFlags,
    };
    if (FAILED(hr = validate_texture(&desc, D3D11_REQ_TEXTURE1D_U_DIMENSION, D3D11_REQ_TEXTURE1D_ARRAY_AXIS_DIMENSION,
                                     pDesc->MipLevels, NULL)))
        return hr;
    if (FAILED(hr = validate_usage_and_flags(&desc, XM_TEXTURE_MISC_FLAGS, pInitialData)))
        return hr;
    if (FAILED(hr = validate_initial_data(&desc, pInitialData)))
        return hr;
    if (!ppTexture1D)
        return S_FALSE;
    return create_resource(device, &desc, pInitialData, &IID_ID3D11Texture1D, (void **)ppTexture1D);
}

static HRESULT STDMETHODCALLTYPE d3d11_device_CreateTexture2D(ID3D11Device5 *iface, const D3D11_TEXTURE2D_DESC *pDesc,
                                                              const D3D11_SUBRESOURCE_DATA *pInitialData,
                                                              ID3D11Texture2D **ppTexture2D)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    struct xm_resource_desc desc;
    HRESULT hr;

    if (ppTexture2D)
        *ppTexture2D = NULL;
    if (!pDesc)
        return xm_error(E_INVALIDARG, "CreateTexture2D: pDesc is NULL");
    desc = (struct xm_resource_desc){
        .dimension = D3D11_RESOURCE_DIMENSION_TEXTURE2D,
        .format = pDesc->Format,
        .width = pDesc->Width, .height = pDesc->Height, .depth = 1,
        .array_size = pDesc->ArraySize,
        .usage = pDesc->Usage,
        .bind_flags = pDesc->BindFlags,
        .cpu_access_flags = pDesc->CPUAccessFlags,
        .misc_flags = pDesc->MiscFlags,
    };
    if (FAILED(hr = validate_texture(&desc, D3D11_REQ_TEXTURE2D_U_OR_V_DIMENSION,
                                     D3D11_REQ_TEXTURE2D_ARRAY_AXIS_DIMENSION, pDesc->MipLevels, &pDesc->SampleDesc)))
        return hr;
    if ((desc.misc_flags & D3D11_RESOURCE_MISC_TEXTURECUBE) &&
        (desc.array_size % 6 || desc.width != desc.height))
        return xm_error(E_INVALIDARG, "a cube texture is square with ArraySize a multiple of 6 (got %ux%u, %u)",
                        desc.width, desc.height, desc.array_size);
    if (FAILED(hr = validate_usage_and_flags(&desc, XM_TEXTURE_MISC_FLAGS | D3D11_RESOURCE_MISC_TEXTURECUBE,
                                             pInitialData)))
        return hr;
    if (FAILED(hr = validate_initial_data(&desc, pInitialData)))
        return hr;
    if (!ppTexture2D)
        return S_FALSE;
    return create_resource(device, &desc, pInitialData, &IID_ID3D11Texture2D, (void **)ppTexture2D);
}

static HRESULT STDMETHODCALLTYPE d3d11_device_CreateTexture3D(ID3D11Device5 *iface, const D3D11_TEXTURE3D_DESC *pDesc,
                                                              const D3D11_SUBRESOURCE_DATA *pInitialData,
                                                              ID3D11Texture3D **ppTexture3D)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    struct xm_resource_desc desc;
    HRESULT hr;

    if (ppTexture3D)
        *ppTexture3D = NULL;
    if (!pDesc)
        return xm_error(E_INVALIDARG, "CreateTexture3D: pDesc is NULL");
    desc = (struct xm_resource_desc){
        .dimension = D3D11_RESOURCE_DIMENSION_TEXTURE3D,
        .format = pDesc->Format,
        .width = pDesc->Width, .height = pDesc->Height, .depth = pDesc->Depth,
        .array_size = 1,
        .usage = pDesc->Usage,
        .bind_flags = pDesc->BindFlags,
        .cpu_access_flags = pDesc->CPUAccessFlags,
        .misc_flags = pDesc->MiscFlags,
    };
    if (FAILED(hr = validate_texture(&desc, D3D11_REQ_TEXTURE3D_U_V_OR_W_DIMENSION, 1, pDesc->MipLevels, NULL)))
        return hr;
    if (FAILED(hr = validate_usage_and_flags(&desc, XM_TEXTURE_MISC_FLAGS, pInitialData)))
        return hr;
    if (FAILED(hr = validate_initial_data(&desc, pInitialData)))
        return hr;
    if (!ppTexture3D)
        return S_FALSE;
    return create_resource(device, &desc, pInitialData, &IID_ID3D11Texture3D, (void **)ppTexture3D);
}

/* ---- opening shared resources ------------------------------------------ */

static HRESULT open_object(struct d3d11_device *device, struct xm_object *object, uint32_t access,
                           REFIID riid, void **out)
{
    HRESULT hr = d3d11_resource_create(device, xm_resource_from_object(object), access, riid, out);

    xm_object_unref(object);
    return hr;
}

static HRESULT lookup_failure(enum xm_lookup result, const char *what)
{
    if (result == XM_LOOKUP_WRONG_KIND)
        return xm_error(E_INVALIDARG, "%s names an object that is not a resource", what);
    return xm_error(E_INVALIDARG, "%s does not name a live shared resource", what);
}

static HRESULT STDMETHODCALLTYPE d3d11_device_OpenSharedResource(ID3D11Device5 *iface, HANDLE hResource,
                                                                 REFIID ReturnedInterface, void **ppResource)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    struct xm_object *object;
    enum xm_lookup result;

    if (!ppResource || !ReturnedInterface)
        return xm_error(E_INVALIDARG, "OpenSharedResource: ppResource or ReturnedInterface is NULL");
    *ppResource = NULL;
    if ((uintptr_t)hResource > UINT32_MAX)
        return xm_error(E_INVALIDARG, "OpenSharedResource: %p is not a KMT handle", hResource);
    result = xm_kmt_open((uint32_t)(uintptr_t)hResource, XM_OBJECT_RESOURCE, &object);
    if (result != XM_LOOKUP_OK)
        return lookup_failure(result, "OpenSharedResource: the KMT handle");
    return open_object(device, object, XM_ACCESS_ALL, ReturnedInterface, ppResource);
}

static HRESULT STDMETHODCALLTYPE d3d11_device_CheckFormatSupport(ID3D11Device5 *iface, DXGI_FORMAT Format,
                                                                 UINT *pFormatSupport)
{
    (void)iface;
    if (!pFormatSupport)
        return xm_error(E_INVALIDARG, "CheckFormatSupport: pFormatSupport is NULL");
    *pFormatSupport = 0;
    if (Format == DXGI_FORMAT_UNKNOWN) {
        *pFormatSupport = D3D11_FORMAT_SUPPORT_BUFFER;
        return S_OK;
    }
    if (!xm_format_lookup(Format))
        return xm_error(E_FAIL, "CheckFormatSupport: %s has no CUDA channel format", xm_format_name(Format));
    *pFormatSupport = D3D11_FORMAT_SUPPORT_BUFFER | D3D11_FORMAT_SUPPORT_TEXTURE1D | D3D11_FORMAT_SUPPORT_TEXTURE2D |
                      D3D11_FORMAT_SUPPORT_TEXTURE3D | D3D11_FORMAT_SUPPORT_TEXTURECUBE | D3D11_FORMAT_SUPPORT_MIP |
                      D3D11_FORMAT_SUPPORT_CPU_LOCKABLE;
    return S_OK;
}

static D3D_FEATURE_LEVEL STDMETHODCALLTYPE d3d11_device_GetFeatureLevel(ID3D11Device5 *iface)
{
    return impl_from_ID3D11Device5(iface)->feature_level;
}

static UINT STDMETHODCALLTYPE d3d11_device_GetCreationFlags(ID3D11Device5 *iface)
{
    return impl_from_ID3D11Device5(iface)->creation_flags;
}

static HRESULT STDMETHODCALLTYPE d3d11_device_GetDeviceRemovedReason(ID3D11Device5 *iface)
{
    (void)iface;
    return S_OK;
}

static void STDMETHODCALLTYPE d3d11_device_GetImmediateContext(ID3D11Device5 *iface, ID3D11DeviceContext **ppImmediateContext)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);

    if (!ppImmediateContext) {
        xm_set_error_message(__FILE__, __LINE__, "GetImmediateContext: ppImmediateContext is NULL");
        return;
    }
    *ppImmediateContext = (ID3D11DeviceContext *)&device->immediate_context.ID3D11DeviceContext4_iface;
    ID3D11DeviceContext_AddRef(*ppImmediateContext);
}

static HRESULT STDMETHODCALLTYPE d3d11_device_OpenSharedResource1(ID3D11Device5 *iface, HANDLE hResource,
                                                                  REFIID returnedInterface, void **ppResource)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    struct xm_object *object;
    enum xm_lookup result;
    uint32_t access;

    if (!ppResource || !returnedInterface)
        return xm_error(E_INVALIDARG, "OpenSharedResource1: ppResource or returnedInterface is NULL");
    *ppResource = NULL;
    result = xm_handle_open(hResource, XM_OBJECT_RESOURCE, &object, &access);
    if (result != XM_LOOKUP_OK)
        return lookup_failure(result, "OpenSharedResource1: the NT handle");
    return open_object(device, object, access, returnedInterface, ppResource);
}

static HRESULT STDMETHODCALLTYPE d3d11_device_OpenSharedResourceByName(ID3D11Device5 *iface, LPCWSTR lpName,
                                                                       DWORD dwDesiredAccess,
                                                                       REFIID returnedInterface, void **ppResource)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    struct xm_object *object;
    enum xm_lookup result;
    uint32_t access, wanted;

    if (!ppResource || !returnedInterface)
        return xm_error(E_INVALIDARG, "OpenSharedResourceByName: ppResource or returnedInterface is NULL");
    *ppResource = NULL;
    if (!lpName)
        return xm_error(E_INVALIDARG, "OpenSharedResourceByName: lpName is NULL");
    if (!xm_name_is_valid(lpName))
        return E_INVALIDARG;
    if (!d3d11_access_from_dxgi(dwDesiredAccess, &wanted))
        return xm_error(E_INVALIDARG, "OpenSharedResourceByName: dwDesiredAccess 0x%x is not a combination of "
                        "DXGI_SHARED_RESOURCE_READ and DXGI_SHARED_RESOURCE_WRITE", (unsigned)dwDesiredAccess);
    result = xm_name_open(lpName, XM_OBJECT_RESOURCE, &object, &access);
    if (result != XM_LOOKUP_OK)
        return lookup_failure(result, "OpenSharedResourceByName: the name");
    if (wanted & ~access) {
        xm_object_unref(object);
        return xm_error(E_ACCESSDENIED, "OpenSharedResourceByName: \"%ls\" was shared read-only", lpName);
    }
    return open_object(device, object, wanted, returnedInterface, ppResource);
}

static HRESULT STDMETHODCALLTYPE d3d11_device_OpenSharedFence(ID3D11Device5 *iface, HANDLE hFence,
                                                              REFIID ReturnedInterface, void **ppFence)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    struct xm_object *object;
    enum xm_lookup result;
    HRESULT hr;

    if (!ppFence || !ReturnedInterface)
        return xm_error(E_INVALIDARG, "OpenSharedFence: ppFence or ReturnedInterface is NULL");
    *ppFence = NULL;
    /* Fences are shared by NT handle only (ID3D11Fence::CreateSharedHandle). */
    result = xm_handle_open(hFence, XM_OBJECT_FENCE, &object, NULL);
    if (result == XM_LOOKUP_WRONG_KIND)
        return xm_error(E_INVALIDARG, "OpenSharedFence: handle %p names a resource, not a fence "
                        "(use OpenSharedResource1)", hFence);
    if (result != XM_LOOKUP_OK)
        return xm_error(E_INVALIDARG, "OpenSharedFence: %p is not an open NT handle of a fence", hFence);
    hr = d3d11_fence_create(device, xm_fence_from_object(object), ReturnedInterface, ppFence);
    xm_object_unref(object);
    return hr;
}

#define XM_KNOWN_FENCE_FLAGS (D3D11_FENCE_FLAG_NONE | D3D11_FENCE_FLAG_SHARED | \
                              D3D11_FENCE_FLAG_SHARED_CROSS_ADAPTER | D3D11_FENCE_FLAG_NON_MONITORED)

static HRESULT STDMETHODCALLTYPE d3d11_device_CreateFence(ID3D11Device5 *iface, UINT64 InitialValue,
                                                          D3D11_FENCE_FLAG Flags, REFIID ReturnedInterface,
                                                          void **ppFence)
{
    struct d3d11_device *device = impl_from_ID3D11Device5(iface);
    struct xm_fence *fence;
    HRESULT hr;

    if (!ppFence || !ReturnedInterface)
        return xm_error(E_INVALIDARG, "CreateFence: ppFence or ReturnedInterface is NULL");
    *ppFence = NULL;
    /* D3D11_FENCE_FLAG_NONE is 1 in d3d11_3.h (0 in D3D12): take both. One
     * adapter is all there is, and every host fence can be waited on, so
     * SHARED_CROSS_ADAPTER and NON_MONITORED change nothing. */
    if ((UINT)Flags & ~(UINT)XM_KNOWN_FENCE_FLAGS)
        return xm_error(E_INVALIDARG, "CreateFence: Flags 0x%x holds unknown bits", (unsigned)Flags);
    if ((Flags & D3D11_FENCE_FLAG_SHARED_CROSS_ADAPTER) && !(Flags & D3D11_FENCE_FLAG_SHARED))
        return xm_error(E_INVALIDARG, "CreateFence: SHARED_CROSS_ADAPTER needs D3D11_FENCE_FLAG_SHARED");
    hr = xm_fence_create(InitialValue, Flags & D3D11_FENCE_FLAG_SHARED, &fence);
    if (FAILED(hr))
        return hr;
    hr = d3d11_fence_create(device, fence, ReturnedInterface, ppFence);
    xm_fence_unref(fence);
    return hr;
}

static const struct ID3D11Device5Vtbl d3d11_device_vtbl = {
    /* IUnknown */
    d3d11_device_QueryInterface,
    d3d11_device_AddRef,
    d3d11_device_Release,
    /* ID3D11Device */
    d3d11_device_CreateBuffer,
    d3d11_device_CreateTexture1D,
    d3d11_device_CreateTexture2D,
    d3d11_device_CreateTexture3D,
    d3d11_device_OpenSharedResource,
    d3d11_device_CheckFormatSupport,
    d3d11_device_GetFeatureLevel,
    d3d11_device_GetCreationFlags,
    d3d11_device_GetDeviceRemovedReason,
    d3d11_device_GetImmediateContext,
    /* ID3D11Device1 */
    d3d11_device_OpenSharedResource1,
    d3d11_device_OpenSharedResourceByName,
    /* ID3D11Device5 */
    d3d11_device_OpenSharedFence,
    d3d11_device_CreateFence,
};

struct d3d11_device *unsafe_impl_from_ID3D11Device(ID3D11Device *iface)
{
    if (!iface || ((ID3D11Device5 *)iface)->lpVtbl != &d3d11_device_vtbl)
        return NULL;
    return impl_from_ID3D11Device(iface);
}

/* ---- D3D11CreateDevice ------------------------------------------------- */

static const D3D_FEATURE_LEVEL default_feature_levels[] = {
    D3D_FEATURE_LEVEL_11_1, D3D_FEATURE_LEVEL_11_0, D3D_FEATURE_LEVEL_10_1, D3D_FEATURE_LEVEL_10_0,
};

static bool is_known_feature_level(D3D_FEATURE_LEVEL level)
{
    switch (level) {
    case D3D_FEATURE_LEVEL_9_1: case D3D_FEATURE_LEVEL_9_2: case D3D_FEATURE_LEVEL_9_3:
    case D3D_FEATURE_LEVEL_10_0: case D3D_FEATURE_LEVEL_10_1:
    case D3D_FEATURE_LEVEL_11_0: case D3D_FEATURE_LEVEL_11_1:
    case D3D_FEATURE_LEVEL_12_0: case D3D_FEATURE_LEVEL_12_1:
        return true;
    default:
        return false;
    }
}

#define XM_KNOWN_CREATE_FLAGS (D3D11_CREATE_DEVICE_SINGLETHREADED | D3D11_CREATE_DEVICE_DEBUG | \
                               D3D11_CREATE_DEVICE_SWITCH_TO_REF | \
                               D3D11_CREATE_DEVICE_PREVENT_INTERNAL_THREADING_OPTIMIZATIONS | \
                               D3D11_CREATE_DEVICE_BGRA_SUPPORT | D3D11_CREATE_DEVICE_DEBUGGABLE | \
                               D3D11_CREATE_DEVICE_PREVENT_ALTERING_LAYER_SETTINGS_FROM_REGISTRY | \
                               D3D11_CREATE_DEVICE_DISABLE_GPU_TIMEOUT | D3D11_CREATE_DEVICE_VIDEO_SUPPORT)

EXTMEM_API HRESULT WINAPI D3D11CreateDevice(IDXGIAdapter *pAdapter, D3D_DRIVER_TYPE DriverType, HMODULE Software,
                                            UINT Flags, const D3D_FEATURE_LEVEL *pFeatureLevels, UINT FeatureLevels,
                                            UINT SDKVersion, ID3D11Device **ppDevice,
                                            D3D_FEATURE_LEVEL *pFeatureLevel, ID3D11DeviceContext **ppImmediateContext)
{
    const struct xm_backend_ops *backend;
    const D3D_FEATURE_LEVEL *levels = default_feature_levels;
    UINT level_count = sizeof(default_feature_levels) / sizeof(default_feature_levels[0]);
    struct d3d11_device *device;

    if (ppDevice)
        *ppDevice = NULL;
    if (ppImmediateContext)
        *ppImmediateContext = NULL;
    if (SDKVersion != D3D11_SDK_VERSION)
        return xm_error(E_INVALIDARG, "D3D11CreateDevice: SDKVersion %u is not D3D11_SDK_VERSION (%u)",
                        SDKVersion, D3D11_SDK_VERSION);
    if (pAdapter)
        return xm_error(E_INVALIDARG, "D3D11CreateDevice: extmem has no DXGI adapters; pass NULL");
    if (Flags & ~XM_KNOWN_CREATE_FLAGS)
        return xm_error(E_INVALIDARG, "D3D11CreateDevice: unknown Flags 0x%x", Flags & ~XM_KNOWN_CREATE_FLAGS);
    switch (DriverType) {
    case D3D_DRIVER_TYPE_HARDWARE:
        backend = xm_backend_default();
        if (!backend)
            return DXGI_ERROR_UNSUPPORTED; /* message already recorded */
        break;
    case D3D_DRIVER_TYPE_WARP:
    case D3D_DRIVER_TYPE_REFERENCE:
        /* The CPU drivers of D3D11 map to the host backend. */
        backend = xm_backend_host();
        break;
    case D3D_DRIVER_TYPE_UNKNOWN:
        return xm_error(E_INVALIDARG, "D3D11CreateDevice: DriverType UNKNOWN needs an adapter, and extmem has none");
    case D3D_DRIVER_TYPE_SOFTWARE:
        if (!Software)
            return xm_error(E_INVALIDARG, "D3D11CreateDevice: DriverType SOFTWARE needs a Software module");
        return xm_error(DXGI_ERROR_UNSUPPORTED, "D3D11CreateDevice: software rasterizer modules are not supported");
    case D3D_DRIVER_TYPE_NULL:
        return xm_error(DXGI_ERROR_UNSUPPORTED, "D3D11CreateDevice: the NULL driver type is not supported");
    default:
        return xm_error(E_INVALIDARG, "D3D11CreateDevice: DriverType %d is not a D3D_DRIVER_TYPE", (int)DriverType);
    }
    if (pFeatureLevels) {
        if (!FeatureLevels)
            return xm_error(E_INVALIDARG, "D3D11CreateDevice: FeatureLevels is 0");
        for (UINT i = 0; i < FeatureLevels; i++)
            if (!is_known_feature_level(pFeatureLevels[i]))
                return xm_error(E_INVALIDARG, "D3D11CreateDevice: pFeatureLevels[%u] = 0x%x is not a feature level",
                                i, (unsigned)pFeatureLevels[i]);
        levels = pFeatureLevels;
        level_count = FeatureLevels;
    }
    (void)level_count;
    if (pFeatureLevel)
        *pFeatureLevel = levels[0];
    /* D3D11: with no out pointers the call only reports whether it would succeed. */
    if (!ppDevice && !ppImmediateContext)
        return S_FALSE;

    device = calloc(1, sizeof(*device));
    if (!device)
        return xm_error(E_OUTOFMEMORY, "D3D11CreateDevice: out of memory");
    device->ID3D11Device5_iface.lpVtbl = &d3d11_device_vtbl;
    device->refcount = 1;
    device->backend = backend;
    device->feature_level = levels[0];
    device->creation_flags = Flags;
    device->keyed_mutex_owner = xm_keyed_mutex_new_owner();
    pthread_mutex_init(&device->held_lock, NULL);
    d3d11_context_init(&device->immediate_context, device);
    if (ppImmediateContext)
        d3d11_device_GetImmediateContext(&device->ID3D11Device5_iface, ppImmediateContext);
    if (ppDevice)
        *ppDevice = (ID3D11Device *)&device->ID3D11Device5_iface;
    else
        d3d11_device_Release(&device->ID3D11Device5_iface);
    return S_OK;
}
