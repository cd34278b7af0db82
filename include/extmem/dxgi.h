/*
 * The DXGI subset that D3D11 resource sharing needs: formats, usage and
 * priority values, error codes, and the resource, keyed-mutex and
 * shared-handle interfaces.
 *
 * Values (enums, GUIDs, HRESULTs) and method signatures are DXGI's; each
 * interface's method table is a subset, in DXGI's relative order, as
 * described at the top of <extmem/d3d11.h>. IDXGIResource1 leaves out
 * CreateSubresourceSurface, which sits before CreateSharedHandle in DXGI:
 * binaries built against Windows' headers are therefore not
 * slot-compatible; sources are.
 */
#ifndef EXTMEM_DXGI_H
#define EXTMEM_DXGI_H

#include <extmem/wintypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- formats ----------------------------------------------------------- */

/* The numbering has a gap after B4G4R4A4_UNORM (115): 116-129 are formats
 * Windows reserves for other uses, so P208 is 130, not 116. */
typedef enum DXGI_FORMAT {
    DXGI_FORMAT_UNKNOWN = 0,
    DXGI_FORMAT_R32G32B32A32_TYPELESS = 1,
    DXGI_FORMAT_R32G32B32A32_FLOAT = 2,
    DXGI_FORMAT_R32G32B32A32_UINT = 3,
    DXGI_FORMAT_R32G32B32A32_SINT = 4,
    DXGI_FORMAT_R32G32B32_TYPELESS = 5,
    DXGI_FORMAT_R32G32B32_FLOAT = 6,
    DXGI_FORMAT_R32G32B32_UINT = 7,
    DXGI_FORMAT_R32G32B32_SINT = 8,
    DXGI_FORMAT_R16G16B16A16_TYPELESS = 9,
    DXGI_FORMAT_R16G16B16A16_FLOAT = 10,
    DXGI_FORMAT_R16G16B16A16_UNORM = 11,
    DXGI_FORMAT_R16G16B16A16_UINT = 12,
    DXGI_FORMAT_R16G16B16A16_SNORM = 13,
    DXGI_FORMAT_R16G16B16A16_SINT = 14,
    DXGI_FORMAT_R32G32_TYPELESS = 15,
    DXGI_FORMAT_R32G32_FLOAT = 16,
    DXGI_FORMAT_R32G32_UINT = 17,
    DXGI_FORMAT_R32G32_SINT = 18,
    DXGI_FORMAT_R32G8X24_TYPELESS = 19,
    DXGI_FORMAT_D32_FLOAT_S8X24_UINT = 20,
    DXGI_FORMAT_R32_FLOAT_X8X24_TYPELESS = 21,
    DXGI_FORMAT_X32_TYPELESS_G8X24_UINT = 22,
    DXGI_FORMAT_R10G10B10A2_TYPELESS = 23,
    DXGI_FORMAT_R10G10B10A2_UNORM = 24,
    DXGI_FORMAT_R10G10B10A2_UINT = 25,
    DXGI_FORMAT_R11G11B10_FLOAT = 26,
    DXGI_FORMAT_R8G8B8A8_TYPELESS = 27,
    DXGI_FORMAT_R8G8B8A8_UNORM = 28,
    DXGI_FORMAT_R8G8B8A8_UNORM_SRGB = 29,
    DXGI_FORMAT_R8G8B8A8_UINT = 30,
    DXGI_FORMAT_R8G8B8A8_SNORM = 31,
    DXGI_FORMAT_R8G8B8A8_SINT = 32,
    DXGI_FORMAT_R16G16_TYPELESS = 33,
    DXGI_FORMAT_R16G16_FLOAT = 34,
    DXGI_FORMAT_R16G16_UNORM = 35,
    DXGI_FORMAT_R16G16_UINT = 36,
    DXGI_FORMAT_R16G16_SNORM = 37,
    DXGI_FORMAT_R16G16_SINT = 38,
    DXGI_FORMAT_R32_TYPELESS = 39,
    DXGI_FORMAT_D32_FLOAT = 40,
    DXGI_FORMAT_R32_FLOAT = 41,
    DXGI_FORMAT_R32_UINT = 42,
    DXGI_FORMAT_R32_SINT = 43,
    DXGI_FORMAT_R24G8_TYPELESS = 44,
    DXGI_FORMAT_D24_UNORM_S8_UINT = 45,
    DXGI_FORMAT_R24_UNORM_X8_TYPELESS = 46,
    DXGI_FORMAT_X24_TYPELESS_G8_UINT = 47,
    DXGI_FORMAT_R8G8_TYPELESS = 48,
    DXGI_FORMAT_R8G8_UNORM = 49,
    DXGI_FORMAT_R8G8_UINT = 50,
    DXGI_FORMAT_R8G8_SNORM = 51,
    DXGI_FORMAT_R8G8_SINT = 52,
    DXGI_FORMAT_R16_TYPELESS = 53,
    DXGI_FORMAT_R16_FLOAT = 54,
    DXGI_FORMAT_D16_UNORM = 55,
    DXGI_FORMAT_R16_UNORM = 56,
    DXGI_FORMAT_R16_UINT = 57,
    DXGI_FORMAT_R16_SNORM = 58,
    DXGI_FORMAT_R16_SINT = 59,
    DXGI_FORMAT_R8_TYPELESS = 60,
    DXGI_FORMAT_R8_UNORM = 61,
    DXGI_FORMAT_R8_UINT = 62,
    DXGI_FORMAT_R8_SNORM = 63,
    DXGI_FORMAT_R8_SINT = 64,
    DXGI_FORMAT_A8_UNORM = 65,
    DXGI_FORMAT_R1_UNORM = 66,
    DXGI_FORMAT_R9G9B9E5_SHAREDEXP = 67,
    DXGI_FORMAT_R8G8_B8G8_UNORM = 68,
    DXGI_FORMAT_G8R8_G8B8_UNORM = 69,
    DXGI_FORMAT_BC1_TYPELESS = 70,
    DXGI_FORMAT_BC1_UNORM = 71,
    DXGI_FORMAT_BC1_UNORM_SRGB = 72,
    DXGI_FORMAT_BC2_TYPELESS = 73,
    DXGI_FORMAT_BC2_UNORM = 74,
    DXGI_FORMAT_BC2_UNORM_SRGB = 75,
    DXGI_FORMAT_BC3_TYPELESS = 76,
    DXGI_FORMAT_BC3_UNORM = 77,
    DXGI_FORMAT_BC3_UNORM_SRGB = 78,
    DXGI_FORMAT_BC4_TYPELESS = 79,
    DXGI_FORMAT_BC4_UNORM = 80,
    DXGI_FORMAT_BC4_SNORM = 81,
    DXGI_FORMAT_BC5_TYPELESS = 82,
    DXGI_FORMAT_BC5_UNORM = 83,
    DXGI_FORMAT_BC5_SNORM = 84,
    DXGI_FORMAT_B5G6R5_UNORM = 85,
    DXGI_FORMAT_B5G5R5A1_UNORM = 86,
    DXGI_FORMAT_B8G8R8A8_UNORM = 87,
    DXGI_FORMAT_B8G8R8X8_UNORM = 88,
    DXGI_FORMAT_R10G10B10_XR_BIAS_A2_UNORM = 89,
    DXGI_FORMAT_B8G8R8A8_TYPELESS = 90,
    DXGI_FORMAT_B8G8R8A8_UNORM_SRGB = 91,
    DXGI_FORMAT_B8G8R8X8_TYPELESS = 92,
    DXGI_FORMAT_B8G8R8X8_UNORM_SRGB = 93,
    DXGI_FORMAT_BC6H_TYPELESS = 94,
    DXGI_FORMAT_BC6H_UF16 = 95,
    DXGI_FORMAT_BC6H_SF16 = 96,
    DXGI_FORMAT_BC7_TYPELESS = 97,
    DXGI_FORMAT_BC7_UNORM = 98,
    DXGI_FORMAT_BC7_UNORM_SRGB = 99,
    DXGI_FORMAT_AYUV = 100,
    DXGI_FORMAT_Y410 = 101,
    DXGI_FORMAT_Y416 = 102,
    DXGI_FORMAT_NV12 = 103,
    DXGI_FORMAT_P010 = 104,
    DXGI_FORMAT_P016 = 105,
    DXGI_FORMAT_420_OPAQUE = 106,
    DXGI_FORMAT_YUY2 = 107,
    DXGI_FORMAT_Y210 = 108,
    DXGI_FORMAT_Y216 = 109,
    DXGI_FORMAT_NV11 = 110,
    DXGI_FORMAT_AI44 = 111,
    DXGI_FORMAT_IA44 = 112,
    DXGI_FORMAT_P8 = 113,
    DXGI_FORMAT_A8P8 = 114,
    DXGI_FORMAT_B4G4R4A4_UNORM = 115,
    DXGI_FORMAT_P208 = 130,
    DXGI_FORMAT_V208 = 131,
    DXGI_FORMAT_V408 = 132,
    /* Forces the enum to 32 bits on every compiler, as in DXGI. */
    DXGI_FORMAT_FORCE_UINT = 0xffffffff
} DXGI_FORMAT;

typedef struct DXGI_SAMPLE_DESC {
    UINT Count;
    UINT Quality;
} DXGI_SAMPLE_DESC;

/* ---- usage, access, priority ------------------------------------------- */

/* The low 4 bits of a DXGI_USAGE are a CPU-access value, the rest flags. */
typedef UINT DXGI_USAGE;

#define DXGI_CPU_ACCESS_NONE       0
#define DXGI_CPU_ACCESS_DYNAMIC    1
#define DXGI_CPU_ACCESS_READ_WRITE 2
#define DXGI_CPU_ACCESS_SCRATCH    3
#define DXGI_CPU_ACCESS_FIELD      15

#define DXGI_USAGE_SHADER_INPUT         0x00000010u
#define DXGI_USAGE_RENDER_TARGET_OUTPUT 0x00000020u
#define DXGI_USAGE_BACK_BUFFER          0x00000040u
#define DXGI_USAGE_SHARED               0x00000080u
#define DXGI_USAGE_READ_ONLY            0x00000100u
#define DXGI_USAGE_DISCARD_ON_PRESENT   0x00000200u
#define DXGI_USAGE_UNORDERED_ACCESS     0x00000400u

/* dwAccess values of CreateSharedHandle / OpenSharedResourceByName. READ is
 * GENERIC_READ's bit; WRITE is 1, not GENERIC_WRITE. */
#define DXGI_SHARED_RESOURCE_READ  0x80000000u
#define DXGI_SHARED_RESOURCE_WRITE 0x00000001u

#define DXGI_RESOURCE_PRIORITY_MINIMUM 0x28000000u
#define DXGI_RESOURCE_PRIORITY_LOW     0x50000000u
#define DXGI_RESOURCE_PRIORITY_NORMAL  0x78000000u
#define DXGI_RESOURCE_PRIORITY_HIGH    0xa0000000u
#define DXGI_RESOURCE_PRIORITY_MAXIMUM 0xc8000000u

/* ---- errors (facility 0x87A) -------------------------------------------- */

#define DXGI_ERROR_INVALID_CALL                 EXTMEM_HRESULT(0x887A0001)
#define DXGI_ERROR_NOT_FOUND                    EXTMEM_HRESULT(0x887A0002)
#define DXGI_ERROR_MORE_DATA                    EXTMEM_HRESULT(0x887A0003)
#define DXGI_ERROR_UNSUPPORTED                  EXTMEM_HRESULT(0x887A0004)
#define DXGI_ERROR_DEVICE_REMOVED               EXTMEM_HRESULT(0x887A0005)
#define DXGI_ERROR_DEVICE_HUNG                  EXTMEM_HRESULT(0x887A0006)
#define DXGI_ERROR_DEVICE_RESET                 EXTMEM_HRESULT(0x887A0007)
#define DXGI_ERROR_WAS_STILL_DRAWING            EXTMEM_HRESULT(0x887A000A)
#define DXGI_ERROR_FRAME_STATISTICS_DISJOINT    EXTMEM_HRESULT(0x887A000B)
#define DXGI_ERROR_GRAPHICS_VIDPN_SOURCE_IN_USE EXTMEM_HRESULT(0x887A000C)
#define DXGI_ERROR_DRIVER_INTERNAL_ERROR        EXTMEM_HRESULT(0x887A0020)
#define DXGI_ERROR_NONEXCLUSIVE                 EXTMEM_HRESULT(0x887A0021)
#define DXGI_ERROR_NOT_CURRENTLY_AVAILABLE      EXTMEM_HRESULT(0x887A0022)
#define DXGI_ERROR_REMOTE_CLIENT_DISCONNECTED   EXTMEM_HRESULT(0x887A0023)
#define DXGI_ERROR_REMOTE_OUTOFMEMORY           EXTMEM_HRESULT(0x887A0024)
#define DXGI_ERROR_MODE_CHANGE_IN_PROGRESS      EXTMEM_HRESULT(0x887A0025)
#define DXGI_ERROR_ACCESS_LOST                  EXTMEM_HRESULT(0x887A0026)
#define DXGI_ERROR_WAIT_TIMEOUT                 EXTMEM_HRESULT(0x887A0027)
#define DXGI_ERROR_SESSION_DISCONNECTED         EXTMEM_HRESULT(0x887A0028)
#define DXGI_ERROR_RESTRICT_TO_OUTPUT_STALE     EXTMEM_HRESULT(0x887A0029)
#define DXGI_ERROR_CANNOT_PROTECT_CONTENT       EXTMEM_HRESULT(0x887A002A)
#define DXGI_ERROR_ACCESS_DENIED                EXTMEM_HRESULT(0x887A002B)
#define DXGI_ERROR_NAME_ALREADY_EXISTS          EXTMEM_HRESULT(0x887A002C)
#define DXGI_ERROR_SDK_COMPONENT_MISSING        EXTMEM_HRESULT(0x887A002D)
#define DXGI_ERROR_NOT_CURRENT                  EXTMEM_HRESULT(0x887A002E)
#define DXGI_ERROR_HW_PROTECTION_OUTOFMEMORY    EXTMEM_HRESULT(0x887A0030)
#define DXGI_ERROR_DYNAMIC_CODE_POLICY_VIOLATION EXTMEM_HRESULT(0x887A0031)
#define DXGI_ERROR_NON_COMPOSITED_UI            EXTMEM_HRESULT(0x887A0032)
#define DXGI_ERROR_CACHE_CORRUPT                EXTMEM_HRESULT(0x887A0033)
#define DXGI_ERROR_CACHE_FULL                   EXTMEM_HRESULT(0x887A0034)
#define DXGI_ERROR_CACHE_HASH_COLLISION         EXTMEM_HRESULT(0x887A0035)
#define DXGI_ERROR_ALREADY_EXISTS               EXTMEM_HRESULT(0x887A0036)

/* ---- interfaces --------------------------------------------------------- */

typedef struct IDXGIObject IDXGIObject;
typedef struct IDXGIDeviceSubObject IDXGIDeviceSubObject;
typedef struct IDXGIResource IDXGIResource;
typedef struct IDXGIResource1 IDXGIResource1;
typedef struct IDXGIKeyedMutex IDXGIKeyedMutex;

/* Only named so that D3D11CreateDevice has its real signature: extmem has
 * no adapter objects, and every call that takes one accepts only NULL (the
 * default adapter). Never defined, so it cannot be dereferenced. */
typedef struct IDXGIAdapter IDXGIAdapter;
EXTMEM_API extern const IID IID_IDXGIAdapter;

EXTMEM_API extern const IID IID_IDXGIObject;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct IDXGIObject : public IUnknown {
    virtual HRESULT STDMETHODCALLTYPE SetPrivateData(REFGUID Name, UINT DataSize, const void *pData) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetPrivateDataInterface(REFGUID Name, const IUnknown *pUnknown) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetPrivateData(REFGUID Name, UINT *pDataSize, void *pData) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetParent(REFIID riid, void **ppParent) = 0;
};
#else
typedef struct IDXGIObjectVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IDXGIObject *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IDXGIObject *This);
    ULONG (STDMETHODCALLTYPE *Release)(IDXGIObject *This);
    /* IDXGIObject */
    HRESULT (STDMETHODCALLTYPE *SetPrivateData)(IDXGIObject *This, REFGUID Name, UINT DataSize, const void *pData);
    HRESULT (STDMETHODCALLTYPE *SetPrivateDataInterface)(IDXGIObject *This, REFGUID Name, const IUnknown *pUnknown);
    HRESULT (STDMETHODCALLTYPE *GetPrivateData)(IDXGIObject *This, REFGUID Name, UINT *pDataSize, void *pData);
    HRESULT (STDMETHODCALLTYPE *GetParent)(IDXGIObject *This, REFIID riid, void **ppParent);
} IDXGIObjectVtbl;

struct IDXGIObject {
    const struct IDXGIObjectVtbl *lpVtbl;
};

#define IDXGIObject_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define IDXGIObject_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IDXGIObject_Release(This) ((This)->lpVtbl->Release(This))
#define IDXGIObject_SetPrivateData(This,Name,DataSize,pData) ((This)->lpVtbl->SetPrivateData(This,Name,DataSize,pData))
#define IDXGIObject_SetPrivateDataInterface(This,Name,pUnknown) ((This)->lpVtbl->SetPrivateDataInterface(This,Name,pUnknown))
#define IDXGIObject_GetPrivateData(This,Name,pDataSize,pData) ((This)->lpVtbl->GetPrivateData(This,Name,pDataSize,pData))
#define IDXGIObject_GetParent(This,riid,ppParent) ((This)->lpVtbl->GetParent(This,riid,ppParent))
#endif
EXTMEM_API extern const IID IID_IDXGIDeviceSubObject;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct IDXGIDeviceSubObject : public IDXGIObject {
    virtual HRESULT STDMETHODCALLTYPE GetDevice(REFIID riid, void **ppDevice) = 0;
};
#else
typedef struct IDXGIDeviceSubObjectVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IDXGIDeviceSubObject *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IDXGIDeviceSubObject *This);
    ULONG (STDMETHODCALLTYPE *Release)(IDXGIDeviceSubObject *This);
    /* IDXGIObject */
    HRESULT (STDMETHODCALLTYPE *SetPrivateData)(IDXGIDeviceSubObject *This, REFGUID Name, UINT DataSize, const void *pData);
    HRESULT (STDMETHODCALLTYPE *SetPrivateDataInterface)(IDXGIDeviceSubObject *This, REFGUID Name, const IUnknown *pUnknown);
    HRESULT (STDMETHODCALLTYPE *GetPrivateData)(IDXGIDeviceSubObject *This, REFGUID Name, UINT *pDataSize, void *pData);
    HRESULT (STDMETHODCALLTYPE *GetParent)(IDXGIDeviceSubObject *This, REFIID riid, void **ppParent);
    /* IDXGIDeviceSubObject */
    HRESULT (STDMETHODCALLTYPE *GetDevice)(IDXGIDeviceSubObject *This, REFIID riid, void **ppDevice);
} IDXGIDeviceSubObjectVtbl;

struct IDXGIDeviceSubObject {
    const struct IDXGIDeviceSubObjectVtbl *lpVtbl;
};

#define IDXGIDeviceSubObject_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define IDXGIDeviceSubObject_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IDXGIDeviceSubObject_Release(This) ((This)->lpVtbl->Release(This))
#define IDXGIDeviceSubObject_SetPrivateData(This,Name,DataSize,pData) ((This)->lpVtbl->SetPrivateData(This,Name,DataSize,pData))
#define IDXGIDeviceSubObject_SetPrivateDataInterface(This,Name,pUnknown) ((This)->lpVtbl->SetPrivateDataInterface(This,Name,pUnknown))
#define IDXGIDeviceSubObject_GetPrivateData(This,Name,pDataSize,pData) ((This)->lpVtbl->GetPrivateData(This,Name,pDataSize,pData))
#define IDXGIDeviceSubObject_GetParent(This,riid,ppParent) ((This)->lpVtbl->GetParent(This,riid,ppParent))
#define IDXGIDeviceSubObject_GetDevice(This,riid,ppDevice) ((This)->lpVtbl->GetDevice(This,riid,ppDevice))
#endif
/*
 * GetSharedHandle returns the resource's KMT ("global") handle: it holds no
 * reference and is not closed with CloseHandle. It fails with
 * DXGI_ERROR_INVALID_CALL unless the resource was created with
 * D3D11_RESOURCE_MISC_SHARED or ..._SHARED_KEYEDMUTEX.
 */
EXTMEM_API extern const IID IID_IDXGIResource;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct IDXGIResource : public IDXGIDeviceSubObject {
    virtual HRESULT STDMETHODCALLTYPE GetSharedHandle(HANDLE *pSharedHandle) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetUsage(DXGI_USAGE *pUsage) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetEvictionPriority(UINT EvictionPriority) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetEvictionPriority(UINT *pEvictionPriority) = 0;
};
#else
typedef struct IDXGIResourceVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IDXGIResource *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IDXGIResource *This);
    ULONG (STDMETHODCALLTYPE *Release)(IDXGIResource *This);
    /* IDXGIObject */
    HRESULT (STDMETHODCALLTYPE *SetPrivateData)(IDXGIResource *This, REFGUID Name, UINT DataSize, const void *pData);
    HRESULT (STDMETHODCALLTYPE *SetPrivateDataInterface)(IDXGIResource *This, REFGUID Name, const IUnknown *pUnknown);
    HRESULT (STDMETHODCALLTYPE *GetPrivateData)(IDXGIResource *This, REFGUID Name, UINT *pDataSize, void *pData);
    HRESULT (STDMETHODCALLTYPE *GetParent)(IDXGIResource *This, REFIID riid, void **ppParent);
    /* IDXGIDeviceSubObject */
    HRESULT (STDMETHODCALLTYPE *GetDevice)(IDXGIResource *This, REFIID riid, void **ppDevice);
    /* IDXGIResource */
    HRESULT (STDMETHODCALLTYPE *GetSharedHandle)(IDXGIResource *This, HANDLE *pSharedHandle);
    HRESULT (STDMETHODCALLTYPE *GetUsage)(IDXGIResource *This, DXGI_USAGE *pUsage);
    HRESULT (STDMETHODCALLTYPE *SetEvictionPriority)(IDXGIResource *This, UINT EvictionPriority);
    HRESULT (STDMETHODCALLTYPE *GetEvictionPriority)(IDXGIResource *This, UINT *pEvictionPriority);
} IDXGIResourceVtbl;

struct IDXGIResource {
    const struct IDXGIResourceVtbl *lpVtbl;
};

#define IDXGIResource_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define IDXGIResource_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IDXGIResource_Release(This) ((This)->lpVtbl->Release(This))
#define IDXGIResource_SetPrivateData(This,Name,DataSize,pData) ((This)->lpVtbl->SetPrivateData(This,Name,DataSize,pData))
#define IDXGIResource_SetPrivateDataInterface(This,Name,pUnknown) ((This)->lpVtbl->SetPrivateDataInterface(This,Name,pUnknown))
#define IDXGIResource_GetPrivateData(This,Name,pDataSize,pData) ((This)->lpVtbl->GetPrivateData(This,Name,pDataSize,pData))
#define IDXGIResource_GetParent(This,riid,ppParent) ((This)->lpVtbl->GetParent(This,riid,ppParent))
#define IDXGIResource_GetDevice(This,riid,ppDevice) ((This)->lpVtbl->GetDevice(This,riid,ppDevice))
#define IDXGIResource_GetSharedHandle(This,pSharedHandle) ((This)->lpVtbl->GetSharedHandle(This,pSharedHandle))
#define IDXGIResource_GetUsage(This,pUsage) ((This)->lpVtbl->GetUsage(This,pUsage))
#define IDXGIResource_SetEvictionPriority(This,EvictionPriority) ((This)->lpVtbl->SetEvictionPriority(This,EvictionPriority))
#define IDXGIResource_GetEvictionPriority(This,pEvictionPriority) ((This)->lpVtbl->GetEvictionPriority(This,pEvictionPriority))
#endif
/*
 * CreateSharedHandle returns a new NT handle that holds a reference on the
 * resource; the caller owns it and closes it with CloseHandle. The resource
 * must have D3D11_RESOURCE_MISC_SHARED_NTHANDLE. dwAccess is a mask of
 * DXGI_SHARED_RESOURCE_READ/WRITE. A name that already names a live object
 * fails with DXGI_ERROR_NAME_ALREADY_EXISTS; a NULL pAttributes is usual.
 */
EXTMEM_API extern const IID IID_IDXGIResource1;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct IDXGIResource1 : public IDXGIResource {
    virtual HRESULT STDMETHODCALLTYPE CreateSharedHandle(const SECURITY_ATTRIBUTES *pAttributes, DWORD dwAccess, LPCWSTR lpName, HANDLE *pHandle) = 0;
};
#else
typedef struct IDXGIResource1Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IDXGIResource1 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IDXGIResource1 *This);
    ULONG (STDMETHODCALLTYPE *Release)(IDXGIResource1 *This);
    /* IDXGIObject */
    HRESULT (STDMETHODCALLTYPE *SetPrivateData)(IDXGIResource1 *This, REFGUID Name, UINT DataSize, const void *pData);
    HRESULT (STDMETHODCALLTYPE *SetPrivateDataInterface)(IDXGIResource1 *This, REFGUID Name, const IUnknown *pUnknown);
    HRESULT (STDMETHODCALLTYPE *GetPrivateData)(IDXGIResource1 *This, REFGUID Name, UINT *pDataSize, void *pData);
    HRESULT (STDMETHODCALLTYPE *GetParent)(IDXGIResource1 *This, REFIID riid, void **ppParent);
    /* IDXGIDeviceSubObject */
    HRESULT (STDMETHODCALLTYPE *GetDevice)(IDXGIResource1 *This, REFIID riid, void **ppDevice);
    /* IDXGIResource */
    HRESULT (STDMETHODCALLTYPE *GetSharedHandle)(IDXGIResource1 *This, HANDLE *pSharedHandle);
    HRESULT (STDMETHODCALLTYPE *GetUsage)(IDXGIResource1 *This, DXGI_USAGE *pUsage);
    HRESULT (STDMETHODCALLTYPE *SetEvictionPriority)(IDXGIResource1 *This, UINT EvictionPriority);
    HRESULT (STDMETHODCALLTYPE *GetEvictionPriority)(IDXGIResource1 *This, UINT *pEvictionPriority);
    /* IDXGIResource1 */
    HRESULT (STDMETHODCALLTYPE *CreateSharedHandle)(IDXGIResource1 *This, const SECURITY_ATTRIBUTES *pAttributes, DWORD dwAccess, LPCWSTR lpName, HANDLE *pHandle);
} IDXGIResource1Vtbl;

struct IDXGIResource1 {
    const struct IDXGIResource1Vtbl *lpVtbl;
};

#define IDXGIResource1_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define IDXGIResource1_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IDXGIResource1_Release(This) ((This)->lpVtbl->Release(This))
#define IDXGIResource1_SetPrivateData(This,Name,DataSize,pData) ((This)->lpVtbl->SetPrivateData(This,Name,DataSize,pData))
#define IDXGIResource1_SetPrivateDataInterface(This,Name,pUnknown) ((This)->lpVtbl->SetPrivateDataInterface(This,Name,pUnknown))
#define IDXGIResource1_GetPrivateData(This,Name,pDataSize,pData) ((This)->lpVtbl->GetPrivateData(This,Name,pDataSize,pData))
#define IDXGIResource1_GetParent(This,riid,ppParent) ((This)->lpVtbl->GetParent(This,riid,ppParent))
#define IDXGIResource1_GetDevice(This,riid,ppDevice) ((This)->lpVtbl->GetDevice(This,riid,ppDevice))
#define IDXGIResource1_GetSharedHandle(This,pSharedHandle) ((This)->lpVtbl->GetSharedHandle(This,pSharedHandle))
#define IDXGIResource1_GetUsage(This,pUsage) ((This)->lpVtbl->GetUsage(This,pUsage))
#define IDXGIResource1_SetEvictionPriority(This,EvictionPriority) ((This)->lpVtbl->SetEvictionPriority(This,EvictionPriority))
#define IDXGIResource1_GetEvictionPriority(This,pEvictionPriority) ((This)->lpVtbl->GetEvictionPriority(This,pEvictionPriority))
#define IDXGIResource1_CreateSharedHandle(This,pAttributes,dwAccess,lpName,pHandle) ((This)->lpVtbl->CreateSharedHandle(This,pAttributes,dwAccess,lpName,pHandle))
#endif
/*
 * AcquireSync waits up to dwMilliseconds (INFINITE for ever) until the
 * mutex is released with Key; it returns S_OK, WAIT_TIMEOUT as an HRESULT
 * value (S_OK-class, per DXGI), or WAIT_ABANDONED when the previous owner
 * died holding it. ReleaseSync hands the mutex to the acquirer of Key.
 */
EXTMEM_API extern const IID IID_IDXGIKeyedMutex;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct IDXGIKeyedMutex : public IDXGIDeviceSubObject {
    virtual HRESULT STDMETHODCALLTYPE AcquireSync(UINT64 Key, DWORD dwMilliseconds) = 0;
    virtual HRESULT STDMETHODCALLTYPE ReleaseSync(UINT64 Key) = 0;
};
#else
typedef struct IDXGIKeyedMutexVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IDXGIKeyedMutex *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IDXGIKeyedMutex *This);
    ULONG (STDMETHODCALLTYPE *Release)(IDXGIKeyedMutex *This);
    /* IDXGIObject */
    HRESULT (STDMETHODCALLTYPE *SetPrivateData)(IDXGIKeyedMutex *This, REFGUID Name, UINT DataSize, const void *pData);
    HRESULT (STDMETHODCALLTYPE *SetPrivateDataInterface)(IDXGIKeyedMutex *This, REFGUID Name, const IUnknown *pUnknown);
    HRESULT (STDMETHODCALLTYPE *GetPrivateData)(IDXGIKeyedMutex *This, REFGUID Name, UINT *pDataSize, void *pData);
    HRESULT (STDMETHODCALLTYPE *GetParent)(IDXGIKeyedMutex *This, REFIID riid, void **ppParent);
    /* IDXGIDeviceSubObject */
    HRESULT (STDMETHODCALLTYPE *GetDevice)(IDXGIKeyedMutex *This, REFIID riid, void **ppDevice);
    /* IDXGIKeyedMutex */
    HRESULT (STDMETHODCALLTYPE *AcquireSync)(IDXGIKeyedMutex *This, UINT64 Key, DWORD dwMilliseconds);
    HRESULT (STDMETHODCALLTYPE *ReleaseSync)(IDXGIKeyedMutex *This, UINT64 Key);
} IDXGIKeyedMutexVtbl;

struct IDXGIKeyedMutex {
    const struct IDXGIKeyedMutexVtbl *lpVtbl;
};

#define IDXGIKeyedMutex_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define IDXGIKeyedMutex_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IDXGIKeyedMutex_Release(This) ((This)->lpVtbl->Release(This))
#define IDXGIKeyedMutex_SetPrivateData(This,Name,DataSize,pData) ((This)->lpVtbl->SetPrivateData(This,Name,DataSize,pData))
#define IDXGIKeyedMutex_SetPrivateDataInterface(This,Name,pUnknown) ((This)->lpVtbl->SetPrivateDataInterface(This,Name,pUnknown))
#define IDXGIKeyedMutex_GetPrivateData(This,Name,pDataSize,pData) ((This)->lpVtbl->GetPrivateData(This,Name,pDataSize,pData))
#define IDXGIKeyedMutex_GetParent(This,riid,ppParent) ((This)->lpVtbl->GetParent(This,riid,ppParent))
#define IDXGIKeyedMutex_GetDevice(This,riid,ppDevice) ((This)->lpVtbl->GetDevice(This,riid,ppDevice))
#define IDXGIKeyedMutex_AcquireSync(This,Key,dwMilliseconds) ((This)->lpVtbl->AcquireSync(This,Key,dwMilliseconds))
#define IDXGIKeyedMutex_ReleaseSync(This,Key) ((This)->lpVtbl->ReleaseSync(This,Key))
#endif
#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EXTMEM_DXGI_H */
