/*
 * The Direct3D 11 subset that extmem implements: a device that creates
 * buffers and 1D/2D/3D textures that can be shared (NT handle, named NT
 * handle, KMT handle), an immediate context that copies and maps them,
 * and the fence and keyed-mutex objects that order work on them.
 *
 * Names, enum values, IIDs, struct layouts and method signatures are
 * D3D11's, so that C written against D3D11's C binding (the
 * ID3D11Device_CreateTexture2D(dev, ...) macros and lpVtbl calls) and C++
 * written with method calls (dev->CreateTexture2D(...)) compile unchanged.
 *
 * The method tables are a subset. Each interface lists only the methods
 * extmem implements, in D3D11's relative order and with D3D11's signatures;
 * a C vtable repeats its bases' methods first, and the C++ classes inherit
 * as D3D11's do, so both have the same slot order on the Itanium ABI. A
 * method D3D11 has but extmem lacks is absent (a compile error, not a
 * runtime surprise); slots therefore do not line up with Windows' vtables.
 * C binding macros are defined for every listed method, base methods
 * included, and do not need COBJMACROS.
 *
 *   ID3D11DeviceChild     GetDevice
 *   ID3D11Resource        + GetType, SetEvictionPriority, GetEvictionPriority
 *   ID3D11Buffer, ID3D11Texture1D/2D/3D   + GetDesc
 *   ID3D11DeviceContext   + Map, Unmap, CopySubresourceRegion, CopyResource,
 *                           UpdateSubresource, Flush, GetType
 *   ID3D11DeviceContext1..3  (nothing added)
 *   ID3D11DeviceContext4  + Signal, Wait
 *   ID3D11Fence           (DeviceChild) + CreateSharedHandle,
 *                           GetCompletedValue, SetEventOnCompletion
 *   ID3D11Device          (IUnknown) CreateBuffer, CreateTexture1D/2D/3D,
 *                           OpenSharedResource, CheckFormatSupport,
 *                           GetFeatureLevel, GetCreationFlags,
 *                           GetDeviceRemovedReason, GetImmediateContext
 *   ID3D11Device1         + OpenSharedResource1, OpenSharedResourceByName
 *   ID3D11Device2..4      (nothing added)
 *   ID3D11Device5         + OpenSharedFence, CreateFence
 */
#ifndef EXTMEM_D3D11_H
#define EXTMEM_D3D11_H

#include <extmem/dxgi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- device creation --------------------------------------------------- */

typedef enum D3D_DRIVER_TYPE {
    D3D_DRIVER_TYPE_UNKNOWN = 0,
    D3D_DRIVER_TYPE_HARDWARE = 1,
    D3D_DRIVER_TYPE_REFERENCE = 2,
    D3D_DRIVER_TYPE_NULL = 3,
    D3D_DRIVER_TYPE_SOFTWARE = 4,
    D3D_DRIVER_TYPE_WARP = 5
} D3D_DRIVER_TYPE;

typedef enum D3D_FEATURE_LEVEL {
    D3D_FEATURE_LEVEL_9_1 = 0x9100,
    D3D_FEATURE_LEVEL_9_2 = 0x9200,
    D3D_FEATURE_LEVEL_9_3 = 0x9300,
    D3D_FEATURE_LEVEL_10_0 = 0xa000,
    D3D_FEATURE_LEVEL_10_1 = 0xa100,
    D3D_FEATURE_LEVEL_11_0 = 0xb000,
    D3D_FEATURE_LEVEL_11_1 = 0xb100,
    D3D_FEATURE_LEVEL_12_0 = 0xc000,
    D3D_FEATURE_LEVEL_12_1 = 0xc100
} D3D_FEATURE_LEVEL;

/* The value D3D11CreateDevice's SDKVersion must carry. */
#define D3D11_SDK_VERSION 7

typedef enum D3D11_CREATE_DEVICE_FLAG {
    D3D11_CREATE_DEVICE_SINGLETHREADED = 0x1,
    D3D11_CREATE_DEVICE_DEBUG = 0x2,
    D3D11_CREATE_DEVICE_SWITCH_TO_REF = 0x4,
    D3D11_CREATE_DEVICE_PREVENT_INTERNAL_THREADING_OPTIMIZATIONS = 0x8,
    D3D11_CREATE_DEVICE_BGRA_SUPPORT = 0x20,
    D3D11_CREATE_DEVICE_DEBUGGABLE = 0x40,
    D3D11_CREATE_DEVICE_PREVENT_ALTERING_LAYER_SETTINGS_FROM_REGISTRY = 0x80,
    D3D11_CREATE_DEVICE_DISABLE_GPU_TIMEOUT = 0x100,
    D3D11_CREATE_DEVICE_VIDEO_SUPPORT = 0x800
} D3D11_CREATE_DEVICE_FLAG;

/* ---- resource descriptions ---------------------------------------------- */

typedef enum D3D11_USAGE {
    D3D11_USAGE_DEFAULT = 0,
    D3D11_USAGE_IMMUTABLE = 1,
    D3D11_USAGE_DYNAMIC = 2,
    D3D11_USAGE_STAGING = 3
} D3D11_USAGE;

typedef enum D3D11_BIND_FLAG {
    D3D11_BIND_VERTEX_BUFFER = 0x1,
    D3D11_BIND_INDEX_BUFFER = 0x2,
    D3D11_BIND_CONSTANT_BUFFER = 0x4,
    D3D11_BIND_SHADER_RESOURCE = 0x8,
    D3D11_BIND_STREAM_OUTPUT = 0x10,
    D3D11_BIND_RENDER_TARGET = 0x20,
    D3D11_BIND_DEPTH_STENCIL = 0x40,
    D3D11_BIND_UNORDERED_ACCESS = 0x80,
    D3D11_BIND_DECODER = 0x200,
    D3D11_BIND_VIDEO_ENCODER = 0x400
} D3D11_BIND_FLAG;

typedef enum D3D11_CPU_ACCESS_FLAG {
    D3D11_CPU_ACCESS_WRITE = 0x10000,
    D3D11_CPU_ACCESS_READ = 0x20000
} D3D11_CPU_ACCESS_FLAG;

/* SHARED gives a KMT handle (IDXGIResource::GetSharedHandle);
 * SHARED_KEYEDMUTEX adds a keyed mutex to it; SHARED_NTHANDLE, combined with
 * either, makes the resource export NT handles instead
 * (IDXGIResource1::CreateSharedHandle). */
typedef enum D3D11_RESOURCE_MISC_FLAG {
    D3D11_RESOURCE_MISC_GENERATE_MIPS = 0x1,
    D3D11_RESOURCE_MISC_SHARED = 0x2,
    D3D11_RESOURCE_MISC_TEXTURECUBE = 0x4,
    D3D11_RESOURCE_MISC_DRAWINDIRECT_ARGS = 0x10,
    D3D11_RESOURCE_MISC_BUFFER_ALLOW_RAW_VIEWS = 0x20,
    D3D11_RESOURCE_MISC_BUFFER_STRUCTURED = 0x40,
    D3D11_RESOURCE_MISC_RESOURCE_CLAMP = 0x80,
    D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX = 0x100,
    D3D11_RESOURCE_MISC_GDI_COMPATIBLE = 0x200,
    D3D11_RESOURCE_MISC_SHARED_NTHANDLE = 0x800,
    D3D11_RESOURCE_MISC_RESTRICTED_CONTENT = 0x1000,
    D3D11_RESOURCE_MISC_RESTRICT_SHARED_RESOURCE = 0x2000,
    D3D11_RESOURCE_MISC_RESTRICT_SHARED_RESOURCE_DRIVER = 0x4000,
    D3D11_RESOURCE_MISC_GUARDED = 0x8000,
    D3D11_RESOURCE_MISC_TILE_POOL = 0x20000,
    D3D11_RESOURCE_MISC_TILED = 0x40000,
    D3D11_RESOURCE_MISC_HW_PROTECTED = 0x80000
} D3D11_RESOURCE_MISC_FLAG;

typedef enum D3D11_RESOURCE_DIMENSION {
    D3D11_RESOURCE_DIMENSION_UNKNOWN = 0,
    D3D11_RESOURCE_DIMENSION_BUFFER = 1,
    D3D11_RESOURCE_DIMENSION_TEXTURE1D = 2,
    D3D11_RESOURCE_DIMENSION_TEXTURE2D = 3,
    D3D11_RESOURCE_DIMENSION_TEXTURE3D = 4
} D3D11_RESOURCE_DIMENSION;

typedef struct D3D11_BUFFER_DESC {
    UINT ByteWidth;
    D3D11_USAGE Usage;
    UINT BindFlags;
    UINT CPUAccessFlags;
    UINT MiscFlags;
    UINT StructureByteStride;
} D3D11_BUFFER_DESC;

typedef struct D3D11_TEXTURE1D_DESC {
    UINT Width;
    UINT MipLevels;
    UINT ArraySize;
    DXGI_FORMAT Format;
    D3D11_USAGE Usage;
    UINT BindFlags;
    UINT CPUAccessFlags;
    UINT MiscFlags;
} D3D11_TEXTURE1D_DESC;

typedef struct D3D11_TEXTURE2D_DESC {
    UINT Width;
    UINT Height;
    UINT MipLevels;
    UINT ArraySize;
    DXGI_FORMAT Format;
    DXGI_SAMPLE_DESC SampleDesc;
    D3D11_USAGE Usage;
    UINT BindFlags;
    UINT CPUAccessFlags;
    UINT MiscFlags;
} D3D11_TEXTURE2D_DESC;

/* No ArraySize: D3D11 has no 3D texture arrays. */
typedef struct D3D11_TEXTURE3D_DESC {
    UINT Width;
    UINT Height;
    UINT Depth;
    UINT MipLevels;
    DXGI_FORMAT Format;
    D3D11_USAGE Usage;
    UINT BindFlags;
    UINT CPUAccessFlags;
    UINT MiscFlags;
} D3D11_TEXTURE3D_DESC;

/* Limits a description must respect (D3D11's resource limits). */
#define D3D11_REQ_MIP_LEVELS 15
#define D3D11_REQ_TEXTURE1D_U_DIMENSION 16384
#define D3D11_REQ_TEXTURE1D_ARRAY_AXIS_DIMENSION 2048
#define D3D11_REQ_TEXTURE2D_U_OR_V_DIMENSION 16384
#define D3D11_REQ_TEXTURE2D_ARRAY_AXIS_DIMENSION 2048
#define D3D11_REQ_TEXTURE3D_U_V_OR_W_DIMENSION 2048
#define D3D11_REQ_TEXTURECUBE_DIMENSION 16384
/* A resource may not exceed max(A, min(B * video memory, C)) megabytes. */
#define D3D11_REQ_RESOURCE_SIZE_IN_MEGABYTES_EXPRESSION_A_TERM 128
#define D3D11_REQ_RESOURCE_SIZE_IN_MEGABYTES_EXPRESSION_B_TERM 0.25f
#define D3D11_REQ_RESOURCE_SIZE_IN_MEGABYTES_EXPRESSION_C_TERM 2048

/* Subresources are numbered mip-major within each array slice. D3D11
 * defines this helper for C++ only; it is available to C here as well. */
static inline UINT D3D11CalcSubresource(UINT MipSlice, UINT ArraySlice, UINT MipLevels)
{
    return MipSlice + ArraySlice * MipLevels;
}

typedef struct D3D11_SUBRESOURCE_DATA {
    const void *pSysMem;
    UINT SysMemPitch;
    UINT SysMemSlicePitch;
} D3D11_SUBRESOURCE_DATA;

/* Half-open in each axis: right, bottom and back are one past the end. */
typedef struct D3D11_BOX {
    UINT left;
    UINT top;
    UINT front;
    UINT right;
    UINT bottom;
    UINT back;
} D3D11_BOX;

/* ---- context ------------------------------------------------------------ */

typedef enum D3D11_MAP {
    D3D11_MAP_READ = 1,
    D3D11_MAP_WRITE = 2,
    D3D11_MAP_READ_WRITE = 3,
    D3D11_MAP_WRITE_DISCARD = 4,
    D3D11_MAP_WRITE_NO_OVERWRITE = 5
} D3D11_MAP;

typedef enum D3D11_MAP_FLAG {
    D3D11_MAP_FLAG_DO_NOT_WAIT = 0x100000
} D3D11_MAP_FLAG;

typedef struct D3D11_MAPPED_SUBRESOURCE {
    void *pData;
    UINT RowPitch;
    UINT DepthPitch;
} D3D11_MAPPED_SUBRESOURCE;

typedef enum D3D11_DEVICE_CONTEXT_TYPE {
    D3D11_DEVICE_CONTEXT_IMMEDIATE = 0,
    D3D11_DEVICE_CONTEXT_DEFERRED = 1
} D3D11_DEVICE_CONTEXT_TYPE;

/* ---- capabilities -------------------------------------------------------- */

typedef enum D3D11_FORMAT_SUPPORT {
    D3D11_FORMAT_SUPPORT_BUFFER = 0x1,
    D3D11_FORMAT_SUPPORT_IA_VERTEX_BUFFER = 0x2,
    D3D11_FORMAT_SUPPORT_IA_INDEX_BUFFER = 0x4,
    D3D11_FORMAT_SUPPORT_SO_BUFFER = 0x8,
    D3D11_FORMAT_SUPPORT_TEXTURE1D = 0x10,
    D3D11_FORMAT_SUPPORT_TEXTURE2D = 0x20,
    D3D11_FORMAT_SUPPORT_TEXTURE3D = 0x40,
    D3D11_FORMAT_SUPPORT_TEXTURECUBE = 0x80,
    D3D11_FORMAT_SUPPORT_SHADER_LOAD = 0x100,
    D3D11_FORMAT_SUPPORT_SHADER_SAMPLE = 0x200,
    D3D11_FORMAT_SUPPORT_SHADER_SAMPLE_COMPARISON = 0x400,
    D3D11_FORMAT_SUPPORT_SHADER_SAMPLE_MONO_TEXT = 0x800,
    D3D11_FORMAT_SUPPORT_MIP = 0x1000,
    D3D11_FORMAT_SUPPORT_MIP_AUTOGEN = 0x2000,
    D3D11_FORMAT_SUPPORT_RENDER_TARGET = 0x4000,
    D3D11_FORMAT_SUPPORT_BLENDABLE = 0x8000,
    D3D11_FORMAT_SUPPORT_DEPTH_STENCIL = 0x10000,
    D3D11_FORMAT_SUPPORT_CPU_LOCKABLE = 0x20000,
    D3D11_FORMAT_SUPPORT_MULTISAMPLE_RESOLVE = 0x40000,
    D3D11_FORMAT_SUPPORT_DISPLAY = 0x80000,
    D3D11_FORMAT_SUPPORT_CAST_WITHIN_BIT_LAYOUT = 0x100000,
    D3D11_FORMAT_SUPPORT_MULTISAMPLE_RENDERTARGET = 0x200000,
    D3D11_FORMAT_SUPPORT_MULTISAMPLE_LOAD = 0x400000,
    D3D11_FORMAT_SUPPORT_SHADER_GATHER = 0x800000,
    D3D11_FORMAT_SUPPORT_BACK_BUFFER_CAST = 0x1000000,
    D3D11_FORMAT_SUPPORT_TYPED_UNORDERED_ACCESS_VIEW = 0x2000000,
    D3D11_FORMAT_SUPPORT_SHADER_GATHER_COMPARISON = 0x4000000,
    D3D11_FORMAT_SUPPORT_DECODER_OUTPUT = 0x8000000,
    D3D11_FORMAT_SUPPORT_VIDEO_PROCESSOR_OUTPUT = 0x10000000,
    D3D11_FORMAT_SUPPORT_VIDEO_PROCESSOR_INPUT = 0x20000000,
    D3D11_FORMAT_SUPPORT_VIDEO_ENCODER = 0x40000000
} D3D11_FORMAT_SUPPORT;

/* Declared for source compatibility; extmem has no CheckFeatureSupport. */
typedef enum D3D11_FEATURE {
    D3D11_FEATURE_THREADING = 0,
    D3D11_FEATURE_DOUBLES = 1,
    D3D11_FEATURE_FORMAT_SUPPORT = 2,
    D3D11_FEATURE_FORMAT_SUPPORT2 = 3,
    D3D11_FEATURE_D3D10_X_HARDWARE_OPTIONS = 4,
    D3D11_FEATURE_D3D11_OPTIONS = 5,
    D3D11_FEATURE_ARCHITECTURE_INFO = 6,
    D3D11_FEATURE_D3D9_OPTIONS = 7,
    D3D11_FEATURE_SHADER_MIN_PRECISION_SUPPORT = 8,
    D3D11_FEATURE_D3D9_SHADOW_SUPPORT = 9,
    D3D11_FEATURE_D3D11_OPTIONS1 = 10,
    D3D11_FEATURE_D3D9_SIMPLE_INSTANCING_SUPPORT = 11,
    D3D11_FEATURE_MARKER_SUPPORT = 12,
    D3D11_FEATURE_D3D9_OPTIONS1 = 13,
    D3D11_FEATURE_D3D11_OPTIONS2 = 14,
    D3D11_FEATURE_D3D11_OPTIONS3 = 15,
    D3D11_FEATURE_GPU_VIRTUAL_ADDRESS_SUPPORT = 16,
    D3D11_FEATURE_D3D11_OPTIONS4 = 17,
    D3D11_FEATURE_SHADER_CACHE = 18,
    D3D11_FEATURE_D3D11_OPTIONS5 = 19
} D3D11_FEATURE;

/* ---- fences -------------------------------------------------------------- */

/* NONE is 1, not 0, in D3D11. */
typedef enum D3D11_FENCE_FLAG {
    D3D11_FENCE_FLAG_NONE = 0x1,
    D3D11_FENCE_FLAG_SHARED = 0x2,
    D3D11_FENCE_FLAG_SHARED_CROSS_ADAPTER = 0x4,
    D3D11_FENCE_FLAG_NON_MONITORED = 0x8
} D3D11_FENCE_FLAG;

/* ---- errors (facility 0x87C) --------------------------------------------- */

#define D3D11_ERROR_TOO_MANY_UNIQUE_STATE_OBJECTS EXTMEM_HRESULT(0x887C0001)
#define D3D11_ERROR_FILE_NOT_FOUND EXTMEM_HRESULT(0x887C0002)
#define D3D11_ERROR_TOO_MANY_UNIQUE_VIEW_OBJECTS EXTMEM_HRESULT(0x887C0003)
#define D3D11_ERROR_DEFERRED_CONTEXT_MAP_WITHOUT_INITIAL_DISCARD EXTMEM_HRESULT(0x887C0004)

/* ---- interfaces ---------------------------------------------------------- */

typedef struct ID3D11DeviceChild ID3D11DeviceChild;
typedef struct ID3D11Resource ID3D11Resource;
typedef struct ID3D11Buffer ID3D11Buffer;
typedef struct ID3D11Texture1D ID3D11Texture1D;
typedef struct ID3D11Texture2D ID3D11Texture2D;
typedef struct ID3D11Texture3D ID3D11Texture3D;
typedef struct ID3D11Fence ID3D11Fence;
typedef struct ID3D11DeviceContext ID3D11DeviceContext;
typedef struct ID3D11DeviceContext1 ID3D11DeviceContext1;
typedef struct ID3D11DeviceContext2 ID3D11DeviceContext2;
typedef struct ID3D11DeviceContext3 ID3D11DeviceContext3;
typedef struct ID3D11DeviceContext4 ID3D11DeviceContext4;
typedef struct ID3D11Device ID3D11Device;
typedef struct ID3D11Device1 ID3D11Device1;
typedef struct ID3D11Device2 ID3D11Device2;
typedef struct ID3D11Device3 ID3D11Device3;
typedef struct ID3D11Device4 ID3D11Device4;
typedef struct ID3D11Device5 ID3D11Device5;

/* GetDevice returns a new reference to the creating device: release it. */
EXTMEM_API extern const IID IID_ID3D11DeviceChild;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11DeviceChild : public IUnknown {
    virtual void STDMETHODCALLTYPE GetDevice(ID3D11Device **ppDevice) = 0;
};
#else
typedef struct ID3D11DeviceChildVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11DeviceChild *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11DeviceChild *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11DeviceChild *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11DeviceChild *This, ID3D11Device **ppDevice);
} ID3D11DeviceChildVtbl;

struct ID3D11DeviceChild {
    const struct ID3D11DeviceChildVtbl *lpVtbl;
};

#define ID3D11DeviceChild_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11DeviceChild_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11DeviceChild_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11DeviceChild_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#endif
EXTMEM_API extern const IID IID_ID3D11Resource;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Resource : public ID3D11DeviceChild {
    virtual void STDMETHODCALLTYPE GetType(D3D11_RESOURCE_DIMENSION *pResourceDimension) = 0;
    virtual void STDMETHODCALLTYPE SetEvictionPriority(UINT EvictionPriority) = 0;
    virtual UINT STDMETHODCALLTYPE GetEvictionPriority(void) = 0;
};
#else
typedef struct ID3D11ResourceVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Resource *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Resource *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Resource *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11Resource *This, ID3D11Device **ppDevice);
    /* ID3D11Resource */
    void (STDMETHODCALLTYPE *GetType)(ID3D11Resource *This, D3D11_RESOURCE_DIMENSION *pResourceDimension);
    void (STDMETHODCALLTYPE *SetEvictionPriority)(ID3D11Resource *This, UINT EvictionPriority);
    UINT (STDMETHODCALLTYPE *GetEvictionPriority)(ID3D11Resource *This);
} ID3D11ResourceVtbl;

struct ID3D11Resource {
    const struct ID3D11ResourceVtbl *lpVtbl;
};

#define ID3D11Resource_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Resource_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Resource_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Resource_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11Resource_GetType(This,pResourceDimension) ((This)->lpVtbl->GetType(This,pResourceDimension))
#define ID3D11Resource_SetEvictionPriority(This,EvictionPriority) ((This)->lpVtbl->SetEvictionPriority(This,EvictionPriority))
#define ID3D11Resource_GetEvictionPriority(This) ((This)->lpVtbl->GetEvictionPriority(This))
#endif
EXTMEM_API extern const IID IID_ID3D11Buffer;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Buffer : public ID3D11Resource {
    virtual void STDMETHODCALLTYPE GetDesc(D3D11_BUFFER_DESC *pDesc) = 0;
};
#else
typedef struct ID3D11BufferVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Buffer *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Buffer *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Buffer *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11Buffer *This, ID3D11Device **ppDevice);
    /* ID3D11Resource */
    void (STDMETHODCALLTYPE *GetType)(ID3D11Buffer *This, D3D11_RESOURCE_DIMENSION *pResourceDimension);
    void (STDMETHODCALLTYPE *SetEvictionPriority)(ID3D11Buffer *This, UINT EvictionPriority);
    UINT (STDMETHODCALLTYPE *GetEvictionPriority)(ID3D11Buffer *This);
    /* ID3D11Buffer */
    void (STDMETHODCALLTYPE *GetDesc)(ID3D11Buffer *This, D3D11_BUFFER_DESC *pDesc);
} ID3D11BufferVtbl;

struct ID3D11Buffer {
    const struct ID3D11BufferVtbl *lpVtbl;
};

#define ID3D11Buffer_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Buffer_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Buffer_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Buffer_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11Buffer_GetType(This,pResourceDimension) ((This)->lpVtbl->GetType(This,pResourceDimension))
#define ID3D11Buffer_SetEvictionPriority(This,EvictionPriority) ((This)->lpVtbl->SetEvictionPriority(This,EvictionPriority))
#define ID3D11Buffer_GetEvictionPriority(This) ((This)->lpVtbl->GetEvictionPriority(This))
#define ID3D11Buffer_GetDesc(This,pDesc) ((This)->lpVtbl->GetDesc(This,pDesc))
#endif
EXTMEM_API extern const IID IID_ID3D11Texture1D;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Texture1D : public ID3D11Resource {
    virtual void STDMETHODCALLTYPE GetDesc(D3D11_TEXTURE1D_DESC *pDesc) = 0;
};
#else
typedef struct ID3D11Texture1DVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Texture1D *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Texture1D *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Texture1D *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11Texture1D *This, ID3D11Device **ppDevice);
    /* ID3D11Resource */
    void (STDMETHODCALLTYPE *GetType)(ID3D11Texture1D *This, D3D11_RESOURCE_DIMENSION *pResourceDimension);
    void (STDMETHODCALLTYPE *SetEvictionPriority)(ID3D11Texture1D *This, UINT EvictionPriority);
    UINT (STDMETHODCALLTYPE *GetEvictionPriority)(ID3D11Texture1D *This);
    /* ID3D11Texture1D */
    void (STDMETHODCALLTYPE *GetDesc)(ID3D11Texture1D *This, D3D11_TEXTURE1D_DESC *pDesc);
} ID3D11Texture1DVtbl;

struct ID3D11Texture1D {
    const struct ID3D11Texture1DVtbl *lpVtbl;
};

#define ID3D11Texture1D_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Texture1D_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Texture1D_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Texture1D_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11Texture1D_GetType(This,pResourceDimension) ((This)->lpVtbl->GetType(This,pResourceDimension))
#define ID3D11Texture1D_SetEvictionPriority(This,EvictionPriority) ((This)->lpVtbl->SetEvictionPriority(This,EvictionPriority))
#define ID3D11Texture1D_GetEvictionPriority(This) ((This)->lpVtbl->GetEvictionPriority(This))
#define ID3D11Texture1D_GetDesc(This,pDesc) ((This)->lpVtbl->GetDesc(This,pDesc))
#endif
EXTMEM_API extern const IID IID_ID3D11Texture2D;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Texture2D : public ID3D11Resource {
    virtual void STDMETHODCALLTYPE GetDesc(D3D11_TEXTURE2D_DESC *pDesc) = 0;
};
#else
typedef struct ID3D11Texture2DVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Texture2D *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Texture2D *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Texture2D *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11Texture2D *This, ID3D11Device **ppDevice);
    /* ID3D11Resource */
    void (STDMETHODCALLTYPE *GetType)(ID3D11Texture2D *This, D3D11_RESOURCE_DIMENSION *pResourceDimension);
    void (STDMETHODCALLTYPE *SetEvictionPriority)(ID3D11Texture2D *This, UINT EvictionPriority);
    UINT (STDMETHODCALLTYPE *GetEvictionPriority)(ID3D11Texture2D *This);
    /* ID3D11Texture2D */
    void (STDMETHODCALLTYPE *GetDesc)(ID3D11Texture2D *This, D3D11_TEXTURE2D_DESC *pDesc);
} ID3D11Texture2DVtbl;

struct ID3D11Texture2D {
    const struct ID3D11Texture2DVtbl *lpVtbl;
};

#define ID3D11Texture2D_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Texture2D_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Texture2D_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Texture2D_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11Texture2D_GetType(This,pResourceDimension) ((This)->lpVtbl->GetType(This,pResourceDimension))
#define ID3D11Texture2D_SetEvictionPriority(This,EvictionPriority) ((This)->lpVtbl->SetEvictionPriority(This,EvictionPriority))
#define ID3D11Texture2D_GetEvictionPriority(This) ((This)->lpVtbl->GetEvictionPriority(This))
#define ID3D11Texture2D_GetDesc(This,pDesc) ((This)->lpVtbl->GetDesc(This,pDesc))
#endif
EXTMEM_API extern const IID IID_ID3D11Texture3D;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Texture3D : public ID3D11Resource {
    virtual void STDMETHODCALLTYPE GetDesc(D3D11_TEXTURE3D_DESC *pDesc) = 0;
};
#else
typedef struct ID3D11Texture3DVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Texture3D *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Texture3D *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Texture3D *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11Texture3D *This, ID3D11Device **ppDevice);
    /* ID3D11Resource */
    void (STDMETHODCALLTYPE *GetType)(ID3D11Texture3D *This, D3D11_RESOURCE_DIMENSION *pResourceDimension);
    void (STDMETHODCALLTYPE *SetEvictionPriority)(ID3D11Texture3D *This, UINT EvictionPriority);
    UINT (STDMETHODCALLTYPE *GetEvictionPriority)(ID3D11Texture3D *This);
    /* ID3D11Texture3D */
    void (STDMETHODCALLTYPE *GetDesc)(ID3D11Texture3D *This, D3D11_TEXTURE3D_DESC *pDesc);
} ID3D11Texture3DVtbl;

struct ID3D11Texture3D {
    const struct ID3D11Texture3DVtbl *lpVtbl;
};

#define ID3D11Texture3D_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Texture3D_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Texture3D_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Texture3D_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11Texture3D_GetType(This,pResourceDimension) ((This)->lpVtbl->GetType(This,pResourceDimension))
#define ID3D11Texture3D_SetEvictionPriority(This,EvictionPriority) ((This)->lpVtbl->SetEvictionPriority(This,EvictionPriority))
#define ID3D11Texture3D_GetEvictionPriority(This) ((This)->lpVtbl->GetEvictionPriority(This))
#define ID3D11Texture3D_GetDesc(This,pDesc) ((This)->lpVtbl->GetDesc(This,pDesc))
#endif
/*
 * A shared fence (D3D11_FENCE_FLAG_SHARED). CreateSharedHandle returns a new
 * NT handle, owned by the caller (CloseHandle), holding a reference on the
 * fence. SetEventOnCompletion signals hEvent once the fence reaches Value.
 */
EXTMEM_API extern const IID IID_ID3D11Fence;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Fence : public ID3D11DeviceChild {
    virtual HRESULT STDMETHODCALLTYPE CreateSharedHandle(const SECURITY_ATTRIBUTES *pAttributes, DWORD dwAccess, LPCWSTR lpName, HANDLE *pHandle) = 0;
    virtual UINT64 STDMETHODCALLTYPE GetCompletedValue(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetEventOnCompletion(UINT64 Value, HANDLE hEvent) = 0;
};
#else
typedef struct ID3D11FenceVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Fence *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Fence *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Fence *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11Fence *This, ID3D11Device **ppDevice);
    /* ID3D11Fence */
    HRESULT (STDMETHODCALLTYPE *CreateSharedHandle)(ID3D11Fence *This, const SECURITY_ATTRIBUTES *pAttributes, DWORD dwAccess, LPCWSTR lpName, HANDLE *pHandle);
    UINT64 (STDMETHODCALLTYPE *GetCompletedValue)(ID3D11Fence *This);
    HRESULT (STDMETHODCALLTYPE *SetEventOnCompletion)(ID3D11Fence *This, UINT64 Value, HANDLE hEvent);
} ID3D11FenceVtbl;

struct ID3D11Fence {
    const struct ID3D11FenceVtbl *lpVtbl;
};

#define ID3D11Fence_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Fence_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Fence_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Fence_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11Fence_CreateSharedHandle(This,pAttributes,dwAccess,lpName,pHandle) ((This)->lpVtbl->CreateSharedHandle(This,pAttributes,dwAccess,lpName,pHandle))
#define ID3D11Fence_GetCompletedValue(This) ((This)->lpVtbl->GetCompletedValue(This))
#define ID3D11Fence_SetEventOnCompletion(This,Value,hEvent) ((This)->lpVtbl->SetEventOnCompletion(This,Value,hEvent))
#endif
/*
 * Work on the immediate context executes in call order. Map fails with
 * DXGI_ERROR_WAS_STILL_DRAWING under D3D11_MAP_FLAG_DO_NOT_WAIT when it
 * would block; the pointer it returns is valid until Unmap.
 */
EXTMEM_API extern const IID IID_ID3D11DeviceContext;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11DeviceContext : public ID3D11DeviceChild {
    virtual HRESULT STDMETHODCALLTYPE Map(ID3D11Resource *pResource, UINT Subresource, D3D11_MAP MapType, UINT MapFlags, D3D11_MAPPED_SUBRESOURCE *pMappedResource) = 0;
    virtual void STDMETHODCALLTYPE Unmap(ID3D11Resource *pResource, UINT Subresource) = 0;
    virtual void STDMETHODCALLTYPE CopySubresourceRegion(ID3D11Resource *pDstResource, UINT DstSubresource, UINT DstX, UINT DstY, UINT DstZ, ID3D11Resource *pSrcResource, UINT SrcSubresource, const D3D11_BOX *pSrcBox) = 0;
    virtual void STDMETHODCALLTYPE CopyResource(ID3D11Resource *pDstResource, ID3D11Resource *pSrcResource) = 0;
    virtual void STDMETHODCALLTYPE UpdateSubresource(ID3D11Resource *pDstResource, UINT DstSubresource, const D3D11_BOX *pDstBox, const void *pSrcData, UINT SrcRowPitch, UINT SrcDepthPitch) = 0;
    virtual void STDMETHODCALLTYPE Flush(void) = 0;
    virtual D3D11_DEVICE_CONTEXT_TYPE STDMETHODCALLTYPE GetType(void) = 0;
};
#else
typedef struct ID3D11DeviceContextVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11DeviceContext *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11DeviceContext *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11DeviceContext *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11DeviceContext *This, ID3D11Device **ppDevice);
    /* ID3D11DeviceContext */
    HRESULT (STDMETHODCALLTYPE *Map)(ID3D11DeviceContext *This, ID3D11Resource *pResource, UINT Subresource, D3D11_MAP MapType, UINT MapFlags, D3D11_MAPPED_SUBRESOURCE *pMappedResource);
    void (STDMETHODCALLTYPE *Unmap)(ID3D11DeviceContext *This, ID3D11Resource *pResource, UINT Subresource);
    void (STDMETHODCALLTYPE *CopySubresourceRegion)(ID3D11DeviceContext *This, ID3D11Resource *pDstResource, UINT DstSubresource, UINT DstX, UINT DstY, UINT DstZ, ID3D11Resource *pSrcResource, UINT SrcSubresource, const D3D11_BOX *pSrcBox);
    void (STDMETHODCALLTYPE *CopyResource)(ID3D11DeviceContext *This, ID3D11Resource *pDstResource, ID3D11Resource *pSrcResource);
    void (STDMETHODCALLTYPE *UpdateSubresource)(ID3D11DeviceContext *This, ID3D11Resource *pDstResource, UINT DstSubresource, const D3D11_BOX *pDstBox, const void *pSrcData, UINT SrcRowPitch, UINT SrcDepthPitch);
    void (STDMETHODCALLTYPE *Flush)(ID3D11DeviceContext *This);
    D3D11_DEVICE_CONTEXT_TYPE (STDMETHODCALLTYPE *GetType)(ID3D11DeviceContext *This);
} ID3D11DeviceContextVtbl;

struct ID3D11DeviceContext {
    const struct ID3D11DeviceContextVtbl *lpVtbl;
};

#define ID3D11DeviceContext_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11DeviceContext_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11DeviceContext_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11DeviceContext_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11DeviceContext_Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource) ((This)->lpVtbl->Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource))
#define ID3D11DeviceContext_Unmap(This,pResource,Subresource) ((This)->lpVtbl->Unmap(This,pResource,Subresource))
#define ID3D11DeviceContext_CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox) ((This)->lpVtbl->CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox))
#define ID3D11DeviceContext_CopyResource(This,pDstResource,pSrcResource) ((This)->lpVtbl->CopyResource(This,pDstResource,pSrcResource))
#define ID3D11DeviceContext_UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch) ((This)->lpVtbl->UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch))
#define ID3D11DeviceContext_Flush(This) ((This)->lpVtbl->Flush(This))
#define ID3D11DeviceContext_GetType(This) ((This)->lpVtbl->GetType(This))
#endif
EXTMEM_API extern const IID IID_ID3D11DeviceContext1;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11DeviceContext1 : public ID3D11DeviceContext {
};
#else
typedef struct ID3D11DeviceContext1Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11DeviceContext1 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11DeviceContext1 *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11DeviceContext1 *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11DeviceContext1 *This, ID3D11Device **ppDevice);
    /* ID3D11DeviceContext */
    HRESULT (STDMETHODCALLTYPE *Map)(ID3D11DeviceContext1 *This, ID3D11Resource *pResource, UINT Subresource, D3D11_MAP MapType, UINT MapFlags, D3D11_MAPPED_SUBRESOURCE *pMappedResource);
    void (STDMETHODCALLTYPE *Unmap)(ID3D11DeviceContext1 *This, ID3D11Resource *pResource, UINT Subresource);
    void (STDMETHODCALLTYPE *CopySubresourceRegion)(ID3D11DeviceContext1 *This, ID3D11Resource *pDstResource, UINT DstSubresource, UINT DstX, UINT DstY, UINT DstZ, ID3D11Resource *pSrcResource, UINT SrcSubresource, const D3D11_BOX *pSrcBox);
    void (STDMETHODCALLTYPE *CopyResource)(ID3D11DeviceContext1 *This, ID3D11Resource *pDstResource, ID3D11Resource *pSrcResource);
    void (STDMETHODCALLTYPE *UpdateSubresource)(ID3D11DeviceContext1 *This, ID3D11Resource *pDstResource, UINT DstSubresource, const D3D11_BOX *pDstBox, const void *pSrcData, UINT SrcRowPitch, UINT SrcDepthPitch);
    void (STDMETHODCALLTYPE *Flush)(ID3D11DeviceContext1 *This);
    D3D11_DEVICE_CONTEXT_TYPE (STDMETHODCALLTYPE *GetType)(ID3D11DeviceContext1 *This);
    /* ID3D11DeviceContext1 */
} ID3D11DeviceContext1Vtbl;

struct ID3D11DeviceContext1 {
    const struct ID3D11DeviceContext1Vtbl *lpVtbl;
};

#define ID3D11DeviceContext1_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11DeviceContext1_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11DeviceContext1_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11DeviceContext1_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11DeviceContext1_Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource) ((This)->lpVtbl->Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource))
#define ID3D11DeviceContext1_Unmap(This,pResource,Subresource) ((This)->lpVtbl->Unmap(This,pResource,Subresource))
#define ID3D11DeviceContext1_CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox) ((This)->lpVtbl->CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox))
#define ID3D11DeviceContext1_CopyResource(This,pDstResource,pSrcResource) ((This)->lpVtbl->CopyResource(This,pDstResource,pSrcResource))
#define ID3D11DeviceContext1_UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch) ((This)->lpVtbl->UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch))
#define ID3D11DeviceContext1_Flush(This) ((This)->lpVtbl->Flush(This))
#define ID3D11DeviceContext1_GetType(This) ((This)->lpVtbl->GetType(This))
#endif
EXTMEM_API extern const IID IID_ID3D11DeviceContext2;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11DeviceContext2 : public ID3D11DeviceContext1 {
};
#else
typedef struct ID3D11DeviceContext2Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11DeviceContext2 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11DeviceContext2 *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11DeviceContext2 *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11DeviceContext2 *This, ID3D11Device **ppDevice);
    /* ID3D11DeviceContext */
    HRESULT (STDMETHODCALLTYPE *Map)(ID3D11DeviceContext2 *This, ID3D11Resource *pResource, UINT Subresource, D3D11_MAP MapType, UINT MapFlags, D3D11_MAPPED_SUBRESOURCE *pMappedResource);
    void (STDMETHODCALLTYPE *Unmap)(ID3D11DeviceContext2 *This, ID3D11Resource *pResource, UINT Subresource);
    void (STDMETHODCALLTYPE *CopySubresourceRegion)(ID3D11DeviceContext2 *This, ID3D11Resource *pDstResource, UINT DstSubresource, UINT DstX, UINT DstY, UINT DstZ, ID3D11Resource *pSrcResource, UINT SrcSubresource, const D3D11_BOX *pSrcBox);
    void (STDMETHODCALLTYPE *CopyResource)(ID3D11DeviceContext2 *This, ID3D11Resource *pDstResource, ID3D11Resource *pSrcResource);
    void (STDMETHODCALLTYPE *UpdateSubresource)(ID3D11DeviceContext2 *This, ID3D11Resource *pDstResource, UINT DstSubresource, const D3D11_BOX *pDstBox, const void *pSrcData, UINT SrcRowPitch, UINT SrcDepthPitch);
    void (STDMETHODCALLTYPE *Flush)(ID3D11DeviceContext2 *This);
    D3D11_DEVICE_CONTEXT_TYPE (STDMETHODCALLTYPE *GetType)(ID3D11DeviceContext2 *This);
    /* ID3D11DeviceContext1 */
    /* ID3D11DeviceContext2 */
} ID3D11DeviceContext2Vtbl;

struct ID3D11DeviceContext2 {
    const struct ID3D11DeviceContext2Vtbl *lpVtbl;
};

#define ID3D11DeviceContext2_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11DeviceContext2_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11DeviceContext2_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11DeviceContext2_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11DeviceContext2_Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource) ((This)->lpVtbl->Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource))
#define ID3D11DeviceContext2_Unmap(This,pResource,Subresource) ((This)->lpVtbl->Unmap(This,pResource,Subresource))
#define ID3D11DeviceContext2_CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox) ((This)->lpVtbl->CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox))
#define ID3D11DeviceContext2_CopyResource(This,pDstResource,pSrcResource) ((This)->lpVtbl->CopyResource(This,pDstResource,pSrcResource))
#define ID3D11DeviceContext2_UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch) ((This)->lpVtbl->UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch))
#define ID3D11DeviceContext2_Flush(This) ((This)->lpVtbl->Flush(This))
#define ID3D11DeviceContext2_GetType(This) ((This)->lpVtbl->GetType(This))
#endif
EXTMEM_API extern const IID IID_ID3D11DeviceContext3;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11DeviceContext3 : public ID3D11DeviceContext2 {
};
#else
typedef struct ID3D11DeviceContext3Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11DeviceContext3 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11DeviceContext3 *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11DeviceContext3 *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11DeviceContext3 *This, ID3D11Device **ppDevice);
    /* ID3D11DeviceContext */
    HRESULT (STDMETHODCALLTYPE *Map)(ID3D11DeviceContext3 *This, ID3D11Resource *pResource, UINT Subresource, D3D11_MAP MapType, UINT MapFlags, D3D11_MAPPED_SUBRESOURCE *pMappedResource);
    void (STDMETHODCALLTYPE *Unmap)(ID3D11DeviceContext3 *This, ID3D11Resource *pResource, UINT Subresource);
    void (STDMETHODCALLTYPE *CopySubresourceRegion)(ID3D11DeviceContext3 *This, ID3D11Resource *pDstResource, UINT DstSubresource, UINT DstX, UINT DstY, UINT DstZ, ID3D11Resource *pSrcResource, UINT SrcSubresource, const D3D11_BOX *pSrcBox);
    void (STDMETHODCALLTYPE *CopyResource)(ID3D11DeviceContext3 *This, ID3D11Resource *pDstResource, ID3D11Resource *pSrcResource);
    void (STDMETHODCALLTYPE *UpdateSubresource)(ID3D11DeviceContext3 *This, ID3D11Resource *pDstResource, UINT DstSubresource, const D3D11_BOX *pDstBox, const void *pSrcData, UINT SrcRowPitch, UINT SrcDepthPitch);
    void (STDMETHODCALLTYPE *Flush)(ID3D11DeviceContext3 *This);
    D3D11_DEVICE_CONTEXT_TYPE (STDMETHODCALLTYPE *GetType)(ID3D11DeviceContext3 *This);
    /* ID3D11DeviceContext1 */
    /* ID3D11DeviceContext2 */
    /* ID3D11DeviceContext3 */
} ID3D11DeviceContext3Vtbl;

struct ID3D11DeviceContext3 {
    const struct ID3D11DeviceContext3Vtbl *lpVtbl;
};

#define ID3D11DeviceContext3_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11DeviceContext3_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11DeviceContext3_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11DeviceContext3_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11DeviceContext3_Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource) ((This)->lpVtbl->Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource))
#define ID3D11DeviceContext3_Unmap(This,pResource,Subresource) ((This)->lpVtbl->Unmap(This,pResource,Subresource))
#define ID3D11DeviceContext3_CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox) ((This)->lpVtbl->CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox))
#define ID3D11DeviceContext3_CopyResource(This,pDstResource,pSrcResource) ((This)->lpVtbl->CopyResource(This,pDstResource,pSrcResource))
#define ID3D11DeviceContext3_UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch) ((This)->lpVtbl->UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch))
#define ID3D11DeviceContext3_Flush(This) ((This)->lpVtbl->Flush(This))
#define ID3D11DeviceContext3_GetType(This) ((This)->lpVtbl->GetType(This))
#endif
/* Signal and Wait are queued like any other context work: Wait makes later
 * work wait for the fence, without blocking the calling thread. */
EXTMEM_API extern const IID IID_ID3D11DeviceContext4;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11DeviceContext4 : public ID3D11DeviceContext3 {
    virtual HRESULT STDMETHODCALLTYPE Signal(ID3D11Fence *pFence, UINT64 Value) = 0;
    virtual HRESULT STDMETHODCALLTYPE Wait(ID3D11Fence *pFence, UINT64 Value) = 0;
};
#else
typedef struct ID3D11DeviceContext4Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11DeviceContext4 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11DeviceContext4 *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11DeviceContext4 *This);
    /* ID3D11DeviceChild */
    void (STDMETHODCALLTYPE *GetDevice)(ID3D11DeviceContext4 *This, ID3D11Device **ppDevice);
    /* ID3D11DeviceContext */
    HRESULT (STDMETHODCALLTYPE *Map)(ID3D11DeviceContext4 *This, ID3D11Resource *pResource, UINT Subresource, D3D11_MAP MapType, UINT MapFlags, D3D11_MAPPED_SUBRESOURCE *pMappedResource);
    void (STDMETHODCALLTYPE *Unmap)(ID3D11DeviceContext4 *This, ID3D11Resource *pResource, UINT Subresource);
    void (STDMETHODCALLTYPE *CopySubresourceRegion)(ID3D11DeviceContext4 *This, ID3D11Resource *pDstResource, UINT DstSubresource, UINT DstX, UINT DstY, UINT DstZ, ID3D11Resource *pSrcResource, UINT SrcSubresource, const D3D11_BOX *pSrcBox);
    void (STDMETHODCALLTYPE *CopyResource)(ID3D11DeviceContext4 *This, ID3D11Resource *pDstResource, ID3D11Resource *pSrcResource);
    void (STDMETHODCALLTYPE *UpdateSubresource)(ID3D11DeviceContext4 *This, ID3D11Resource *pDstResource, UINT DstSubresource, const D3D11_BOX *pDstBox, const void *pSrcData, UINT SrcRowPitch, UINT SrcDepthPitch);
    void (STDMETHODCALLTYPE *Flush)(ID3D11DeviceContext4 *This);
    D3D11_DEVICE_CONTEXT_TYPE (STDMETHODCALLTYPE *GetType)(ID3D11DeviceContext4 *This);
    /* ID3D11DeviceContext1 */
    /* ID3D11DeviceContext2 */
    /* ID3D11DeviceContext3 */
    /* ID3D11DeviceContext4 */
    HRESULT (STDMETHODCALLTYPE *Signal)(ID3D11DeviceContext4 *This, ID3D11Fence *pFence, UINT64 Value);
    HRESULT (STDMETHODCALLTYPE *Wait)(ID3D11DeviceContext4 *This, ID3D11Fence *pFence, UINT64 Value);
} ID3D11DeviceContext4Vtbl;

struct ID3D11DeviceContext4 {
    const struct ID3D11DeviceContext4Vtbl *lpVtbl;
};

#define ID3D11DeviceContext4_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11DeviceContext4_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11DeviceContext4_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11DeviceContext4_GetDevice(This,ppDevice) ((This)->lpVtbl->GetDevice(This,ppDevice))
#define ID3D11DeviceContext4_Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource) ((This)->lpVtbl->Map(This,pResource,Subresource,MapType,MapFlags,pMappedResource))
#define ID3D11DeviceContext4_Unmap(This,pResource,Subresource) ((This)->lpVtbl->Unmap(This,pResource,Subresource))
#define ID3D11DeviceContext4_CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox) ((This)->lpVtbl->CopySubresourceRegion(This,pDstResource,DstSubresource,DstX,DstY,DstZ,pSrcResource,SrcSubresource,pSrcBox))
#define ID3D11DeviceContext4_CopyResource(This,pDstResource,pSrcResource) ((This)->lpVtbl->CopyResource(This,pDstResource,pSrcResource))
#define ID3D11DeviceContext4_UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch) ((This)->lpVtbl->UpdateSubresource(This,pDstResource,DstSubresource,pDstBox,pSrcData,SrcRowPitch,SrcDepthPitch))
#define ID3D11DeviceContext4_Flush(This) ((This)->lpVtbl->Flush(This))
#define ID3D11DeviceContext4_GetType(This) ((This)->lpVtbl->GetType(This))
#define ID3D11DeviceContext4_Signal(This,pFence,Value) ((This)->lpVtbl->Signal(This,pFence,Value))
#define ID3D11DeviceContext4_Wait(This,pFence,Value) ((This)->lpVtbl->Wait(This,pFence,Value))
#endif
/*
 * Create* return a new object with one reference, owned by the caller, and
 * write NULL on failure (E_INVALIDARG for a description D3D11 rejects,
 * E_OUTOFMEMORY). OpenSharedResource takes a KMT handle and returns a new
 * reference; the handle stays valid. GetImmediateContext returns a new
 * reference to the one immediate context.
 */
EXTMEM_API extern const IID IID_ID3D11Device;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Device : public IUnknown {
    virtual HRESULT STDMETHODCALLTYPE CreateBuffer(const D3D11_BUFFER_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Buffer **ppBuffer) = 0;
    virtual HRESULT STDMETHODCALLTYPE CreateTexture1D(const D3D11_TEXTURE1D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture1D **ppTexture1D) = 0;
    virtual HRESULT STDMETHODCALLTYPE CreateTexture2D(const D3D11_TEXTURE2D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture2D **ppTexture2D) = 0;
    virtual HRESULT STDMETHODCALLTYPE CreateTexture3D(const D3D11_TEXTURE3D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture3D **ppTexture3D) = 0;
    virtual HRESULT STDMETHODCALLTYPE OpenSharedResource(HANDLE hResource, REFIID ReturnedInterface, void **ppResource) = 0;
    virtual HRESULT STDMETHODCALLTYPE CheckFormatSupport(DXGI_FORMAT Format, UINT *pFormatSupport) = 0;
    virtual D3D_FEATURE_LEVEL STDMETHODCALLTYPE GetFeatureLevel(void) = 0;
    virtual UINT STDMETHODCALLTYPE GetCreationFlags(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetDeviceRemovedReason(void) = 0;
    virtual void STDMETHODCALLTYPE GetImmediateContext(ID3D11DeviceContext **ppImmediateContext) = 0;
};
#else
typedef struct ID3D11DeviceVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Device *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Device *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Device *This);
    /* ID3D11Device */
    HRESULT (STDMETHODCALLTYPE *CreateBuffer)(ID3D11Device *This, const D3D11_BUFFER_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Buffer **ppBuffer);
    HRESULT (STDMETHODCALLTYPE *CreateTexture1D)(ID3D11Device *This, const D3D11_TEXTURE1D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture1D **ppTexture1D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture2D)(ID3D11Device *This, const D3D11_TEXTURE2D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture2D **ppTexture2D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture3D)(ID3D11Device *This, const D3D11_TEXTURE3D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture3D **ppTexture3D);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource)(ID3D11Device *This, HANDLE hResource, REFIID ReturnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *CheckFormatSupport)(ID3D11Device *This, DXGI_FORMAT Format, UINT *pFormatSupport);
    D3D_FEATURE_LEVEL (STDMETHODCALLTYPE *GetFeatureLevel)(ID3D11Device *This);
    UINT (STDMETHODCALLTYPE *GetCreationFlags)(ID3D11Device *This);
    HRESULT (STDMETHODCALLTYPE *GetDeviceRemovedReason)(ID3D11Device *This);
    void (STDMETHODCALLTYPE *GetImmediateContext)(ID3D11Device *This, ID3D11DeviceContext **ppImmediateContext);
} ID3D11DeviceVtbl;

struct ID3D11Device {
    const struct ID3D11DeviceVtbl *lpVtbl;
};

#define ID3D11Device_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Device_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Device_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Device_CreateBuffer(This,pDesc,pInitialData,ppBuffer) ((This)->lpVtbl->CreateBuffer(This,pDesc,pInitialData,ppBuffer))
#define ID3D11Device_CreateTexture1D(This,pDesc,pInitialData,ppTexture1D) ((This)->lpVtbl->CreateTexture1D(This,pDesc,pInitialData,ppTexture1D))
#define ID3D11Device_CreateTexture2D(This,pDesc,pInitialData,ppTexture2D) ((This)->lpVtbl->CreateTexture2D(This,pDesc,pInitialData,ppTexture2D))
#define ID3D11Device_CreateTexture3D(This,pDesc,pInitialData,ppTexture3D) ((This)->lpVtbl->CreateTexture3D(This,pDesc,pInitialData,ppTexture3D))
#define ID3D11Device_OpenSharedResource(This,hResource,ReturnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource(This,hResource,ReturnedInterface,ppResource))
#define ID3D11Device_CheckFormatSupport(This,Format,pFormatSupport) ((This)->lpVtbl->CheckFormatSupport(This,Format,pFormatSupport))
#define ID3D11Device_GetFeatureLevel(This) ((This)->lpVtbl->GetFeatureLevel(This))
#define ID3D11Device_GetCreationFlags(This) ((This)->lpVtbl->GetCreationFlags(This))
#define ID3D11Device_GetDeviceRemovedReason(This) ((This)->lpVtbl->GetDeviceRemovedReason(This))
#define ID3D11Device_GetImmediateContext(This,ppImmediateContext) ((This)->lpVtbl->GetImmediateContext(This,ppImmediateContext))
#endif
/*
 * OpenSharedResource1 takes an NT handle, OpenSharedResourceByName a name
 * given to CreateSharedHandle; both return a new reference and leave the
 * caller's handle open (the caller still closes it).
 */
EXTMEM_API extern const IID IID_ID3D11Device1;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Device1 : public ID3D11Device {
    virtual HRESULT STDMETHODCALLTYPE OpenSharedResource1(HANDLE hResource, REFIID returnedInterface, void **ppResource) = 0;
    virtual HRESULT STDMETHODCALLTYPE OpenSharedResourceByName(LPCWSTR lpName, DWORD dwDesiredAccess, REFIID returnedInterface, void **ppResource) = 0;
};
#else
typedef struct ID3D11Device1Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Device1 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Device1 *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Device1 *This);
    /* ID3D11Device */
    HRESULT (STDMETHODCALLTYPE *CreateBuffer)(ID3D11Device1 *This, const D3D11_BUFFER_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Buffer **ppBuffer);
    HRESULT (STDMETHODCALLTYPE *CreateTexture1D)(ID3D11Device1 *This, const D3D11_TEXTURE1D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture1D **ppTexture1D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture2D)(ID3D11Device1 *This, const D3D11_TEXTURE2D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture2D **ppTexture2D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture3D)(ID3D11Device1 *This, const D3D11_TEXTURE3D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture3D **ppTexture3D);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource)(ID3D11Device1 *This, HANDLE hResource, REFIID ReturnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *CheckFormatSupport)(ID3D11Device1 *This, DXGI_FORMAT Format, UINT *pFormatSupport);
    D3D_FEATURE_LEVEL (STDMETHODCALLTYPE *GetFeatureLevel)(ID3D11Device1 *This);
    UINT (STDMETHODCALLTYPE *GetCreationFlags)(ID3D11Device1 *This);
    HRESULT (STDMETHODCALLTYPE *GetDeviceRemovedReason)(ID3D11Device1 *This);
    void (STDMETHODCALLTYPE *GetImmediateContext)(ID3D11Device1 *This, ID3D11DeviceContext **ppImmediateContext);
    /* ID3D11Device1 */
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource1)(ID3D11Device1 *This, HANDLE hResource, REFIID returnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResourceByName)(ID3D11Device1 *This, LPCWSTR lpName, DWORD dwDesiredAccess, REFIID returnedInterface, void **ppResource);
} ID3D11Device1Vtbl;

struct ID3D11Device1 {
    const struct ID3D11Device1Vtbl *lpVtbl;
};

#define ID3D11Device1_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Device1_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Device1_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Device1_CreateBuffer(This,pDesc,pInitialData,ppBuffer) ((This)->lpVtbl->CreateBuffer(This,pDesc,pInitialData,ppBuffer))
#define ID3D11Device1_CreateTexture1D(This,pDesc,pInitialData,ppTexture1D) ((This)->lpVtbl->CreateTexture1D(This,pDesc,pInitialData,ppTexture1D))
#define ID3D11Device1_CreateTexture2D(This,pDesc,pInitialData,ppTexture2D) ((This)->lpVtbl->CreateTexture2D(This,pDesc,pInitialData,ppTexture2D))
#define ID3D11Device1_CreateTexture3D(This,pDesc,pInitialData,ppTexture3D) ((This)->lpVtbl->CreateTexture3D(This,pDesc,pInitialData,ppTexture3D))
#define ID3D11Device1_OpenSharedResource(This,hResource,ReturnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource(This,hResource,ReturnedInterface,ppResource))
#define ID3D11Device1_CheckFormatSupport(This,Format,pFormatSupport) ((This)->lpVtbl->CheckFormatSupport(This,Format,pFormatSupport))
#define ID3D11Device1_GetFeatureLevel(This) ((This)->lpVtbl->GetFeatureLevel(This))
#define ID3D11Device1_GetCreationFlags(This) ((This)->lpVtbl->GetCreationFlags(This))
#define ID3D11Device1_GetDeviceRemovedReason(This) ((This)->lpVtbl->GetDeviceRemovedReason(This))
#define ID3D11Device1_GetImmediateContext(This,ppImmediateContext) ((This)->lpVtbl->GetImmediateContext(This,ppImmediateContext))
#define ID3D11Device1_OpenSharedResource1(This,hResource,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource1(This,hResource,returnedInterface,ppResource))
#define ID3D11Device1_OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource))
#endif
EXTMEM_API extern const IID IID_ID3D11Device2;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Device2 : public ID3D11Device1 {
};
#else
typedef struct ID3D11Device2Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Device2 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Device2 *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Device2 *This);
    /* ID3D11Device */
    HRESULT (STDMETHODCALLTYPE *CreateBuffer)(ID3D11Device2 *This, const D3D11_BUFFER_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Buffer **ppBuffer);
    HRESULT (STDMETHODCALLTYPE *CreateTexture1D)(ID3D11Device2 *This, const D3D11_TEXTURE1D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture1D **ppTexture1D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture2D)(ID3D11Device2 *This, const D3D11_TEXTURE2D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture2D **ppTexture2D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture3D)(ID3D11Device2 *This, const D3D11_TEXTURE3D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture3D **ppTexture3D);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource)(ID3D11Device2 *This, HANDLE hResource, REFIID ReturnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *CheckFormatSupport)(ID3D11Device2 *This, DXGI_FORMAT Format, UINT *pFormatSupport);
    D3D_FEATURE_LEVEL (STDMETHODCALLTYPE *GetFeatureLevel)(ID3D11Device2 *This);
    UINT (STDMETHODCALLTYPE *GetCreationFlags)(ID3D11Device2 *This);
    HRESULT (STDMETHODCALLTYPE *GetDeviceRemovedReason)(ID3D11Device2 *This);
    void (STDMETHODCALLTYPE *GetImmediateContext)(ID3D11Device2 *This, ID3D11DeviceContext **ppImmediateContext);
    /* ID3D11Device1 */
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource1)(ID3D11Device2 *This, HANDLE hResource, REFIID returnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResourceByName)(ID3D11Device2 *This, LPCWSTR lpName, DWORD dwDesiredAccess, REFIID returnedInterface, void **ppResource);
    /* ID3D11Device2 */
} ID3D11Device2Vtbl;

struct ID3D11Device2 {
    const struct ID3D11Device2Vtbl *lpVtbl;
};

#define ID3D11Device2_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Device2_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Device2_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Device2_CreateBuffer(This,pDesc,pInitialData,ppBuffer) ((This)->lpVtbl->CreateBuffer(This,pDesc,pInitialData,ppBuffer))
#define ID3D11Device2_CreateTexture1D(This,pDesc,pInitialData,ppTexture1D) ((This)->lpVtbl->CreateTexture1D(This,pDesc,pInitialData,ppTexture1D))
#define ID3D11Device2_CreateTexture2D(This,pDesc,pInitialData,ppTexture2D) ((This)->lpVtbl->CreateTexture2D(This,pDesc,pInitialData,ppTexture2D))
#define ID3D11Device2_CreateTexture3D(This,pDesc,pInitialData,ppTexture3D) ((This)->lpVtbl->CreateTexture3D(This,pDesc,pInitialData,ppTexture3D))
#define ID3D11Device2_OpenSharedResource(This,hResource,ReturnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource(This,hResource,ReturnedInterface,ppResource))
#define ID3D11Device2_CheckFormatSupport(This,Format,pFormatSupport) ((This)->lpVtbl->CheckFormatSupport(This,Format,pFormatSupport))
#define ID3D11Device2_GetFeatureLevel(This) ((This)->lpVtbl->GetFeatureLevel(This))
#define ID3D11Device2_GetCreationFlags(This) ((This)->lpVtbl->GetCreationFlags(This))
#define ID3D11Device2_GetDeviceRemovedReason(This) ((This)->lpVtbl->GetDeviceRemovedReason(This))
#define ID3D11Device2_GetImmediateContext(This,ppImmediateContext) ((This)->lpVtbl->GetImmediateContext(This,ppImmediateContext))
#define ID3D11Device2_OpenSharedResource1(This,hResource,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource1(This,hResource,returnedInterface,ppResource))
#define ID3D11Device2_OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource))
#endif
EXTMEM_API extern const IID IID_ID3D11Device3;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Device3 : public ID3D11Device2 {
};
#else
typedef struct ID3D11Device3Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Device3 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Device3 *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Device3 *This);
    /* ID3D11Device */
    HRESULT (STDMETHODCALLTYPE *CreateBuffer)(ID3D11Device3 *This, const D3D11_BUFFER_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Buffer **ppBuffer);
    HRESULT (STDMETHODCALLTYPE *CreateTexture1D)(ID3D11Device3 *This, const D3D11_TEXTURE1D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture1D **ppTexture1D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture2D)(ID3D11Device3 *This, const D3D11_TEXTURE2D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture2D **ppTexture2D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture3D)(ID3D11Device3 *This, const D3D11_TEXTURE3D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture3D **ppTexture3D);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource)(ID3D11Device3 *This, HANDLE hResource, REFIID ReturnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *CheckFormatSupport)(ID3D11Device3 *This, DXGI_FORMAT Format, UINT *pFormatSupport);
    D3D_FEATURE_LEVEL (STDMETHODCALLTYPE *GetFeatureLevel)(ID3D11Device3 *This);
    UINT (STDMETHODCALLTYPE *GetCreationFlags)(ID3D11Device3 *This);
    HRESULT (STDMETHODCALLTYPE *GetDeviceRemovedReason)(ID3D11Device3 *This);
    void (STDMETHODCALLTYPE *GetImmediateContext)(ID3D11Device3 *This, ID3D11DeviceContext **ppImmediateContext);
    /* ID3D11Device1 */
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource1)(ID3D11Device3 *This, HANDLE hResource, REFIID returnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResourceByName)(ID3D11Device3 *This, LPCWSTR lpName, DWORD dwDesiredAccess, REFIID returnedInterface, void **ppResource);
    /* ID3D11Device2 */
    /* ID3D11Device3 */
} ID3D11Device3Vtbl;

struct ID3D11Device3 {
    const struct ID3D11Device3Vtbl *lpVtbl;
};

#define ID3D11Device3_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Device3_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Device3_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Device3_CreateBuffer(This,pDesc,pInitialData,ppBuffer) ((This)->lpVtbl->CreateBuffer(This,pDesc,pInitialData,ppBuffer))
#define ID3D11Device3_CreateTexture1D(This,pDesc,pInitialData,ppTexture1D) ((This)->lpVtbl->CreateTexture1D(This,pDesc,pInitialData,ppTexture1D))
#define ID3D11Device3_CreateTexture2D(This,pDesc,pInitialData,ppTexture2D) ((This)->lpVtbl->CreateTexture2D(This,pDesc,pInitialData,ppTexture2D))
#define ID3D11Device3_CreateTexture3D(This,pDesc,pInitialData,ppTexture3D) ((This)->lpVtbl->CreateTexture3D(This,pDesc,pInitialData,ppTexture3D))
#define ID3D11Device3_OpenSharedResource(This,hResource,ReturnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource(This,hResource,ReturnedInterface,ppResource))
#define ID3D11Device3_CheckFormatSupport(This,Format,pFormatSupport) ((This)->lpVtbl->CheckFormatSupport(This,Format,pFormatSupport))
#define ID3D11Device3_GetFeatureLevel(This) ((This)->lpVtbl->GetFeatureLevel(This))
#define ID3D11Device3_GetCreationFlags(This) ((This)->lpVtbl->GetCreationFlags(This))
#define ID3D11Device3_GetDeviceRemovedReason(This) ((This)->lpVtbl->GetDeviceRemovedReason(This))
#define ID3D11Device3_GetImmediateContext(This,ppImmediateContext) ((This)->lpVtbl->GetImmediateContext(This,ppImmediateContext))
#define ID3D11Device3_OpenSharedResource1(This,hResource,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource1(This,hResource,returnedInterface,ppResource))
#define ID3D11Device3_OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource))
#endif
EXTMEM_API extern const IID IID_ID3D11Device4;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Device4 : public ID3D11Device3 {
};
#else
typedef struct ID3D11Device4Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Device4 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Device4 *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Device4 *This);
    /* ID3D11Device */
    HRESULT (STDMETHODCALLTYPE *CreateBuffer)(ID3D11Device4 *This, const D3D11_BUFFER_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Buffer **ppBuffer);
    HRESULT (STDMETHODCALLTYPE *CreateTexture1D)(ID3D11Device4 *This, const D3D11_TEXTURE1D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture1D **ppTexture1D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture2D)(ID3D11Device4 *This, const D3D11_TEXTURE2D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture2D **ppTexture2D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture3D)(ID3D11Device4 *This, const D3D11_TEXTURE3D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture3D **ppTexture3D);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource)(ID3D11Device4 *This, HANDLE hResource, REFIID ReturnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *CheckFormatSupport)(ID3D11Device4 *This, DXGI_FORMAT Format, UINT *pFormatSupport);
    D3D_FEATURE_LEVEL (STDMETHODCALLTYPE *GetFeatureLevel)(ID3D11Device4 *This);
    UINT (STDMETHODCALLTYPE *GetCreationFlags)(ID3D11Device4 *This);
    HRESULT (STDMETHODCALLTYPE *GetDeviceRemovedReason)(ID3D11Device4 *This);
    void (STDMETHODCALLTYPE *GetImmediateContext)(ID3D11Device4 *This, ID3D11DeviceContext **ppImmediateContext);
    /* ID3D11Device1 */
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource1)(ID3D11Device4 *This, HANDLE hResource, REFIID returnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResourceByName)(ID3D11Device4 *This, LPCWSTR lpName, DWORD dwDesiredAccess, REFIID returnedInterface, void **ppResource);
    /* ID3D11Device2 */
    /* ID3D11Device3 */
    /* ID3D11Device4 */
} ID3D11Device4Vtbl;

struct ID3D11Device4 {
    const struct ID3D11Device4Vtbl *lpVtbl;
};

#define ID3D11Device4_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Device4_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Device4_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Device4_CreateBuffer(This,pDesc,pInitialData,ppBuffer) ((This)->lpVtbl->CreateBuffer(This,pDesc,pInitialData,ppBuffer))
#define ID3D11Device4_CreateTexture1D(This,pDesc,pInitialData,ppTexture1D) ((This)->lpVtbl->CreateTexture1D(This,pDesc,pInitialData,ppTexture1D))
#define ID3D11Device4_CreateTexture2D(This,pDesc,pInitialData,ppTexture2D) ((This)->lpVtbl->CreateTexture2D(This,pDesc,pInitialData,ppTexture2D))
#define ID3D11Device4_CreateTexture3D(This,pDesc,pInitialData,ppTexture3D) ((This)->lpVtbl->CreateTexture3D(This,pDesc,pInitialData,ppTexture3D))
#define ID3D11Device4_OpenSharedResource(This,hResource,ReturnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource(This,hResource,ReturnedInterface,ppResource))
#define ID3D11Device4_CheckFormatSupport(This,Format,pFormatSupport) ((This)->lpVtbl->CheckFormatSupport(This,Format,pFormatSupport))
#define ID3D11Device4_GetFeatureLevel(This) ((This)->lpVtbl->GetFeatureLevel(This))
#define ID3D11Device4_GetCreationFlags(This) ((This)->lpVtbl->GetCreationFlags(This))
#define ID3D11Device4_GetDeviceRemovedReason(This) ((This)->lpVtbl->GetDeviceRemovedReason(This))
#define ID3D11Device4_GetImmediateContext(This,ppImmediateContext) ((This)->lpVtbl->GetImmediateContext(This,ppImmediateContext))
#define ID3D11Device4_OpenSharedResource1(This,hResource,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource1(This,hResource,returnedInterface,ppResource))
#define ID3D11Device4_OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource))
#endif
/* OpenSharedFence takes an NT handle from ID3D11Fence::CreateSharedHandle
 * and returns a new reference; the handle stays open. */
EXTMEM_API extern const IID IID_ID3D11Device5;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct ID3D11Device5 : public ID3D11Device4 {
    virtual HRESULT STDMETHODCALLTYPE OpenSharedFence(HANDLE hFence, REFIID ReturnedInterface, void **ppFence) = 0;
    virtual HRESULT STDMETHODCALLTYPE CreateFence(UINT64 InitialValue, D3D11_FENCE_FLAG Flags, REFIID ReturnedInterface, void **ppFence) = 0;
};
#else
typedef struct ID3D11Device5Vtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ID3D11Device5 *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ID3D11Device5 *This);
    ULONG (STDMETHODCALLTYPE *Release)(ID3D11Device5 *This);
    /* ID3D11Device */
    HRESULT (STDMETHODCALLTYPE *CreateBuffer)(ID3D11Device5 *This, const D3D11_BUFFER_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Buffer **ppBuffer);
    HRESULT (STDMETHODCALLTYPE *CreateTexture1D)(ID3D11Device5 *This, const D3D11_TEXTURE1D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture1D **ppTexture1D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture2D)(ID3D11Device5 *This, const D3D11_TEXTURE2D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture2D **ppTexture2D);
    HRESULT (STDMETHODCALLTYPE *CreateTexture3D)(ID3D11Device5 *This, const D3D11_TEXTURE3D_DESC *pDesc, const D3D11_SUBRESOURCE_DATA *pInitialData, ID3D11Texture3D **ppTexture3D);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource)(ID3D11Device5 *This, HANDLE hResource, REFIID ReturnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *CheckFormatSupport)(ID3D11Device5 *This, DXGI_FORMAT Format, UINT *pFormatSupport);
    D3D_FEATURE_LEVEL (STDMETHODCALLTYPE *GetFeatureLevel)(ID3D11Device5 *This);
    UINT (STDMETHODCALLTYPE *GetCreationFlags)(ID3D11Device5 *This);
    HRESULT (STDMETHODCALLTYPE *GetDeviceRemovedReason)(ID3D11Device5 *This);
    void (STDMETHODCALLTYPE *GetImmediateContext)(ID3D11Device5 *This, ID3D11DeviceContext **ppImmediateContext);
    /* ID3D11Device1 */
    HRESULT (STDMETHODCALLTYPE *OpenSharedResource1)(ID3D11Device5 *This, HANDLE hResource, REFIID returnedInterface, void **ppResource);
    HRESULT (STDMETHODCALLTYPE *OpenSharedResourceByName)(ID3D11Device5 *This, LPCWSTR lpName, DWORD dwDesiredAccess, REFIID returnedInterface, void **ppResource);
    /* ID3D11Device2 */
    /* ID3D11Device3 */
    /* ID3D11Device4 */
    /* ID3D11Device5 */
    HRESULT (STDMETHODCALLTYPE *OpenSharedFence)(ID3D11Device5 *This, HANDLE hFence, REFIID ReturnedInterface, void **ppFence);
    HRESULT (STDMETHODCALLTYPE *CreateFence)(ID3D11Device5 *This, UINT64 InitialValue, D3D11_FENCE_FLAG Flags, REFIID ReturnedInterface, void **ppFence);
} ID3D11Device5Vtbl;

struct ID3D11Device5 {
    const struct ID3D11Device5Vtbl *lpVtbl;
};

#define ID3D11Device5_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define ID3D11Device5_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ID3D11Device5_Release(This) ((This)->lpVtbl->Release(This))
#define ID3D11Device5_CreateBuffer(This,pDesc,pInitialData,ppBuffer) ((This)->lpVtbl->CreateBuffer(This,pDesc,pInitialData,ppBuffer))
#define ID3D11Device5_CreateTexture1D(This,pDesc,pInitialData,ppTexture1D) ((This)->lpVtbl->CreateTexture1D(This,pDesc,pInitialData,ppTexture1D))
#define ID3D11Device5_CreateTexture2D(This,pDesc,pInitialData,ppTexture2D) ((This)->lpVtbl->CreateTexture2D(This,pDesc,pInitialData,ppTexture2D))
#define ID3D11Device5_CreateTexture3D(This,pDesc,pInitialData,ppTexture3D) ((This)->lpVtbl->CreateTexture3D(This,pDesc,pInitialData,ppTexture3D))
#define ID3D11Device5_OpenSharedResource(This,hResource,ReturnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource(This,hResource,ReturnedInterface,ppResource))
#define ID3D11Device5_CheckFormatSupport(This,Format,pFormatSupport) ((This)->lpVtbl->CheckFormatSupport(This,Format,pFormatSupport))
#define ID3D11Device5_GetFeatureLevel(This) ((This)->lpVtbl->GetFeatureLevel(This))
#define ID3D11Device5_GetCreationFlags(This) ((This)->lpVtbl->GetCreationFlags(This))
#define ID3D11Device5_GetDeviceRemovedReason(This) ((This)->lpVtbl->GetDeviceRemovedReason(This))
#define ID3D11Device5_GetImmediateContext(This,ppImmediateContext) ((This)->lpVtbl->GetImmediateContext(This,ppImmediateContext))
#define ID3D11Device5_OpenSharedResource1(This,hResource,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResource1(This,hResource,returnedInterface,ppResource))
#define ID3D11Device5_OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource) ((This)->lpVtbl->OpenSharedResourceByName(This,lpName,dwDesiredAccess,returnedInterface,ppResource))
#define ID3D11Device5_OpenSharedFence(This,hFence,ReturnedInterface,ppFence) ((This)->lpVtbl->OpenSharedFence(This,hFence,ReturnedInterface,ppFence))
#define ID3D11Device5_CreateFence(This,InitialValue,Flags,ReturnedInterface,ppFence) ((This)->lpVtbl->CreateFence(This,InitialValue,Flags,ReturnedInterface,ppFence))
#endif
/* ---- entry point ---------------------------------------------------------- */

/*
 * Creates the device and its immediate context. pAdapter and Software must
 * be NULL (extmem has no adapter objects and no software rasterizer) and
 * DriverType D3D_DRIVER_TYPE_HARDWARE; whether GPU or host memory backs the
 * device is extmem's choice (EXTMEM_BACKEND overrides it). pFeatureLevels
 * may be NULL for D3D11's default list; the level reached is written to
 * *pFeatureLevel when that is not NULL. SDKVersion must be D3D11_SDK_VERSION.
 * *ppDevice and *ppImmediateContext receive new references owned by the
 * caller; with both NULL the call only checks that a device could be made
 * and returns S_FALSE, as D3D11 does.
 * Returns S_OK, E_INVALIDARG for arguments D3D11 would reject, or
 * E_OUTOFMEMORY / E_FAIL when no backend can start; on failure nothing is
 * returned and nothing is left allocated, and extmemGetLastErrorMessage()
 * says why.
 */
EXTMEM_API HRESULT WINAPI D3D11CreateDevice(IDXGIAdapter *pAdapter,
                                            D3D_DRIVER_TYPE DriverType,
                                            HMODULE Software,
                                            UINT Flags,
                                            const D3D_FEATURE_LEVEL *pFeatureLevels,
                                            UINT FeatureLevels,
                                            UINT SDKVersion,
                                            ID3D11Device **ppDevice,
                                            D3D_FEATURE_LEVEL *pFeatureLevel,
                                            ID3D11DeviceContext **ppImmediateContext);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EXTMEM_D3D11_H */
