/*
 * One source, written as a D3D11 user would write it, that must compile
 * against extmem's headers (-DXM_USE_EXTMEM) and against mingw-w64's real
 * D3D11 headers alike: only the include lines differ. If a name, signature
 * or value drifts from D3D11, one of the two compiles fails.
 * Compiled (never run) by scripts/check-d3d11-headers.sh, as C and as C++.
 */
#ifdef XM_USE_EXTMEM
#include <extmem/d3d11.h>
#else
#define COBJMACROS
#include <windows.h>
#include <d3d11_4.h>
#include <dxgi1_2.h>
#endif

#include <stddef.h>

#ifdef __cplusplus
#define XM_ASSERT(expr) static_assert(expr, #expr)
#else
#define XM_ASSERT(expr) _Static_assert(expr, #expr)
#endif

/* ---- facts both compilers must agree on ----------------------------------
 * Only types without long or pointers: those sizes differ between LLP64
 * (Windows) and LP64 (Linux) by design. */

XM_ASSERT(sizeof(GUID) == 16);
XM_ASSERT(sizeof(HRESULT) == 4);
XM_ASSERT(sizeof(DWORD) == 4);
XM_ASSERT(sizeof(LONG) == 4);
XM_ASSERT(sizeof(ULONG) == 4);
XM_ASSERT(sizeof(UINT) == 4);
XM_ASSERT(sizeof(BOOL) == 4);
XM_ASSERT(sizeof(UINT64) == 8);
XM_ASSERT(sizeof(DXGI_FORMAT) == 4);
XM_ASSERT(sizeof(D3D_FEATURE_LEVEL) == 4);

XM_ASSERT(sizeof(DXGI_SAMPLE_DESC) == 8);
XM_ASSERT(sizeof(D3D11_BOX) == 24);
XM_ASSERT(sizeof(D3D11_BUFFER_DESC) == 24);
XM_ASSERT(sizeof(D3D11_TEXTURE1D_DESC) == 32);
XM_ASSERT(sizeof(D3D11_TEXTURE2D_DESC) == 44);
XM_ASSERT(sizeof(D3D11_TEXTURE3D_DESC) == 36);
XM_ASSERT(offsetof(D3D11_TEXTURE2D_DESC, Format) == 16);
XM_ASSERT(offsetof(D3D11_TEXTURE2D_DESC, SampleDesc) == 20);
XM_ASSERT(offsetof(D3D11_TEXTURE2D_DESC, MiscFlags) == 40);
XM_ASSERT(offsetof(D3D11_TEXTURE3D_DESC, Format) == 16);
XM_ASSERT(offsetof(D3D11_BUFFER_DESC, StructureByteStride) == 20);
XM_ASSERT(offsetof(D3D11_BOX, back) == 20);

XM_ASSERT(S_OK == 0);
XM_ASSERT(S_FALSE == 1);
XM_ASSERT(E_FAIL == (HRESULT)0x80004005);
XM_ASSERT(E_INVALIDARG == (HRESULT)0x80070057);
XM_ASSERT(E_OUTOFMEMORY == (HRESULT)0x8007000E);
XM_ASSERT(E_NOINTERFACE == (HRESULT)0x80004002);
XM_ASSERT(E_ACCESSDENIED == (HRESULT)0x80070005);
XM_ASSERT(FAILED(E_FAIL) && SUCCEEDED(S_FALSE));
XM_ASSERT(HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED) == E_ACCESSDENIED);
XM_ASSERT(HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE) == E_HANDLE);
XM_ASSERT(MAKE_HRESULT(1, 0x87A, 0x2C) == DXGI_ERROR_NAME_ALREADY_EXISTS);
XM_ASSERT(ERROR_ALREADY_EXISTS == 183);
XM_ASSERT(WAIT_TIMEOUT == 0x102 && WAIT_ABANDONED == 0x80);
XM_ASSERT(INFINITE == 0xFFFFFFFF);
XM_ASSERT(DUPLICATE_SAME_ACCESS == 2 && DUPLICATE_CLOSE_SOURCE == 1);

XM_ASSERT(DXGI_FORMAT_R8G8B8A8_UNORM == 28);
XM_ASSERT(DXGI_FORMAT_B8G8R8A8_UNORM == 87);
XM_ASSERT(DXGI_FORMAT_BC7_UNORM_SRGB == 99);
XM_ASSERT(DXGI_FORMAT_B4G4R4A4_UNORM == 115);
XM_ASSERT(DXGI_FORMAT_P208 == 130);
XM_ASSERT(DXGI_SHARED_RESOURCE_READ == 0x80000000);
XM_ASSERT(DXGI_SHARED_RESOURCE_WRITE == 1);
XM_ASSERT(DXGI_USAGE_SHARED == 0x80);
XM_ASSERT(DXGI_ERROR_INVALID_CALL == (HRESULT)0x887A0001);
XM_ASSERT(DXGI_ERROR_WAS_STILL_DRAWING == (HRESULT)0x887A000A);
XM_ASSERT(DXGI_ERROR_WAIT_TIMEOUT == (HRESULT)0x887A0027);
XM_ASSERT(DXGI_ERROR_ACCESS_DENIED == (HRESULT)0x887A002B);

XM_ASSERT(D3D11_SDK_VERSION == 7);
XM_ASSERT(D3D_FEATURE_LEVEL_11_0 == 0xb000);
XM_ASSERT(D3D_FEATURE_LEVEL_12_1 == 0xc100);
XM_ASSERT(D3D11_RESOURCE_MISC_SHARED == 0x2);
XM_ASSERT(D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX == 0x100);
XM_ASSERT(D3D11_RESOURCE_MISC_SHARED_NTHANDLE == 0x800);
XM_ASSERT(D3D11_RESOURCE_MISC_TEXTURECUBE == 0x4);
XM_ASSERT(D3D11_BIND_SHADER_RESOURCE == 0x8);
XM_ASSERT(D3D11_CPU_ACCESS_READ == 0x20000);
XM_ASSERT(D3D11_MAP_WRITE_DISCARD == 4);
XM_ASSERT(D3D11_MAP_FLAG_DO_NOT_WAIT == 0x100000);
XM_ASSERT(D3D11_RESOURCE_DIMENSION_TEXTURE3D == 4);
XM_ASSERT(D3D11_FENCE_FLAG_SHARED == 0x2);
XM_ASSERT(D3D11_REQ_TEXTURE2D_U_OR_V_DIMENSION == 16384);
XM_ASSERT(D3D11_REQ_MIP_LEVELS == 15);
XM_ASSERT(D3D11_ERROR_FILE_NOT_FOUND == (HRESULT)0x887C0002);

/* ---- the API in use --------------------------------------------------------
 * Prototypes keep -Wmissing-prototypes quiet for these non-static functions
 * (they stay non-static so nothing is "unused"). */

#ifdef __cplusplus
extern "C" {
#endif
HRESULT xm_compat_share_texture(HANDLE *pNtHandle, HANDLE *pKmtHandle);
HRESULT xm_compat_fence(ID3D11Device *dev, ID3D11DeviceContext *ctx);
#ifdef __cplusplus
}
#endif

#ifndef __cplusplus

/* C: the C binding macros and explicit lpVtbl calls. */
HRESULT xm_compat_share_texture(HANDLE *pNtHandle, HANDLE *pKmtHandle)
{
    static const D3D_FEATURE_LEVEL levels[] = {D3D_FEATURE_LEVEL_11_1, D3D_FEATURE_LEVEL_11_0};
    ID3D11Device *dev = NULL;
    ID3D11Device1 *dev1 = NULL;
    ID3D11DeviceContext *ctx = NULL;
    ID3D11Texture2D *tex = NULL, *opened = NULL, *staging = NULL;
    ID3D11Texture1D *tex1d = NULL;
    ID3D11Texture3D *tex3d = NULL;
    ID3D11Buffer *buf = NULL, *openedBuf = NULL;
    ID3D11Device *owner = NULL;
    IDXGIResource1 *res1 = NULL;
    IDXGIResource *res = NULL;
    IDXGIKeyedMutex *km = NULL;
    D3D_FEATURE_LEVEL got;
    D3D11_TEXTURE2D_DESC desc = {0};
    D3D11_TEXTURE1D_DESC desc1d = {0};
    D3D11_TEXTURE3D_DESC desc3d = {0};
    D3D11_BUFFER_DESC bdesc = {0};
    D3D11_SUBRESOURCE_DATA init = {0};
    D3D11_MAPPED_SUBRESOURCE mapped;
    D3D11_BOX box = {0, 0, 0, 16, 16, 1};
    D3D11_RESOURCE_DIMENSION dim;
    DXGI_USAGE usage;
    UINT support = 0, priority = 0;
    static unsigned char texels[64 * 64 * 4];
    HANDLE dup = NULL;
    HRESULT hr;

    hr = D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, D3D11_CREATE_DEVICE_BGRA_SUPPORT,
                           levels, sizeof(levels) / sizeof(levels[0]), D3D11_SDK_VERSION,
                           &dev, &got, &ctx);
    if (FAILED(hr))
        return hr;

    desc.Width = 64;
    desc.Height = 64;
    desc.MipLevels = 1;
    desc.ArraySize = 1;
    desc.Format = DXGI_FORMAT_R8G8B8A8_UNORM;
    desc.SampleDesc.Count = 1;
    desc.Usage = D3D11_USAGE_DEFAULT;
    desc.BindFlags = D3D11_BIND_SHADER_RESOURCE | D3D11_BIND_RENDER_TARGET;
    desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED_NTHANDLE | D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX;
    init.pSysMem = texels;
    init.SysMemPitch = 64 * 4;
    hr = ID3D11Device_CreateTexture2D(dev, &desc, &init, &tex);
    if (FAILED(hr))
        goto done;
    ID3D11Texture2D_GetDesc(tex, &desc);
    ID3D11Texture2D_GetType(tex, &dim);
    ID3D11Texture2D_SetEvictionPriority(tex, DXGI_RESOURCE_PRIORITY_NORMAL);
    priority = ID3D11Texture2D_GetEvictionPriority(tex);
    ID3D11Texture2D_GetDevice(tex, &owner);
    ID3D11Device_Release(owner);

    desc1d.Width = 256;
    desc1d.MipLevels = 0;
    desc1d.ArraySize = 1;
    desc1d.Format = DXGI_FORMAT_R32_FLOAT;
    desc1d.MiscFlags = D3D11_RESOURCE_MISC_SHARED;
    hr = dev->lpVtbl->CreateTexture1D(dev, &desc1d, NULL, &tex1d);
    desc3d.Width = desc3d.Height = desc3d.Depth = 16;
    desc3d.MipLevels = 1;
    desc3d.Format = DXGI_FORMAT_R16G16B16A16_FLOAT;
    desc3d.MiscFlags = D3D11_RESOURCE_MISC_SHARED_NTHANDLE | D3D11_RESOURCE_MISC_SHARED;
    hr = ID3D11Device_CreateTexture3D(dev, &desc3d, NULL, &tex3d);
    bdesc.ByteWidth = 4096;
    bdesc.Usage = D3D11_USAGE_DEFAULT;
    bdesc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
    bdesc.MiscFlags = D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_BUFFER_STRUCTURED;
    bdesc.StructureByteStride = 16;
    hr = ID3D11Device_CreateBuffer(dev, &bdesc, NULL, &buf);
    ID3D11Buffer_GetDesc(buf, &bdesc);
    hr = ID3D11Device_CheckFormatSupport(dev, DXGI_FORMAT_B8G8R8A8_UNORM, &support);
    if (support & D3D11_FORMAT_SUPPORT_TEXTURE2D)
        (void)ID3D11Device_GetFeatureLevel(dev);
    (void)ID3D11Device_GetCreationFlags(dev);
    hr = ID3D11Device_GetDeviceRemovedReason(dev);

    /* NT handle, named and unnamed, through IDXGIResource1. */
    hr = ID3D11Texture2D_QueryInterface(tex, &IID_IDXGIResource1, (void **)&res1);
    if (FAILED(hr))
        goto done;
    hr = IDXGIResource1_CreateSharedHandle(res1, NULL,
                                           DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE,
                                           L"Local\\extmem-compat", pNtHandle);
    if (hr == DXGI_ERROR_NAME_ALREADY_EXISTS)
        goto done;
    hr = IDXGIResource1_GetUsage(res1, &usage);
    hr = IDXGIResource1_GetDevice(res1, &IID_ID3D11Device, (void **)&owner);
    if (SUCCEEDED(hr))
        ID3D11Device_Release(owner);
    if (!DuplicateHandle(GetCurrentProcess(), *pNtHandle, GetCurrentProcess(), &dup, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        hr = HRESULT_FROM_WIN32(GetLastError());
    else
        CloseHandle(dup);

    hr = ID3D11Device_QueryInterface(dev, &IID_ID3D11Device1, (void **)&dev1);
    if (SUCCEEDED(hr)) {
        hr = ID3D11Device1_OpenSharedResource1(dev1, *pNtHandle, &IID_ID3D11Texture2D,
                                               (void **)&opened);
        if (SUCCEEDED(hr))
            ID3D11Texture2D_Release(opened);
        hr = ID3D11Device1_OpenSharedResourceByName(dev1, L"Local\\extmem-compat",
                                                    DXGI_SHARED_RESOURCE_READ,
                                                    &IID_ID3D11Texture2D, (void **)&opened);
        if (SUCCEEDED(hr))
            ID3D11Texture2D_Release(opened);
        ID3D11Device1_Release(dev1);
    }

    /* KMT handle: no reference, not closed with CloseHandle. */
    hr = ID3D11Buffer_QueryInterface(buf, &IID_IDXGIResource, (void **)&res);
    if (SUCCEEDED(hr)) {
        hr = IDXGIResource_GetSharedHandle(res, pKmtHandle);
        hr = IDXGIResource_SetEvictionPriority(res, DXGI_RESOURCE_PRIORITY_HIGH);
        hr = IDXGIResource_GetEvictionPriority(res, &priority);
        IDXGIResource_Release(res);
        hr = ID3D11Device_OpenSharedResource(dev, *pKmtHandle, &IID_ID3D11Buffer,
                                             (void **)&openedBuf);
        if (SUCCEEDED(hr))
            ID3D11Buffer_Release(openedBuf);
    }

    hr = ID3D11Texture2D_QueryInterface(tex, &IID_IDXGIKeyedMutex, (void **)&km);
    if (SUCCEEDED(hr)) {
        hr = IDXGIKeyedMutex_AcquireSync(km, 0, INFINITE);
        if (hr == (HRESULT)WAIT_TIMEOUT || hr == (HRESULT)WAIT_ABANDONED)
            hr = E_FAIL;
        hr = IDXGIKeyedMutex_ReleaseSync(km, 1);
        IDXGIKeyedMutex_Release(km);
    }

    /* Context work. */
    desc.Usage = D3D11_USAGE_STAGING;
    desc.BindFlags = 0;
    desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ | D3D11_CPU_ACCESS_WRITE;
    desc.MiscFlags = 0;
    hr = ID3D11Device_CreateTexture2D(dev, &desc, NULL, &staging);
    ID3D11DeviceContext_UpdateSubresource(ctx, (ID3D11Resource *)tex, 0, &box, texels, 64 * 4, 0);
    ID3D11DeviceContext_CopyResource(ctx, (ID3D11Resource *)staging, (ID3D11Resource *)tex);
    ID3D11DeviceContext_CopySubresourceRegion(ctx, (ID3D11Resource *)staging, 0, 0, 0, 0,
                                              (ID3D11Resource *)tex, 0, &box);
    hr = ID3D11DeviceContext_Map(ctx, (ID3D11Resource *)staging, 0, D3D11_MAP_READ,
                                 D3D11_MAP_FLAG_DO_NOT_WAIT, &mapped);
    if (hr != DXGI_ERROR_WAS_STILL_DRAWING && SUCCEEDED(hr)) {
        ((unsigned char *)mapped.pData)[mapped.RowPitch] = 0;
        ID3D11DeviceContext_Unmap(ctx, (ID3D11Resource *)staging, 0);
    }
    ID3D11DeviceContext_Flush(ctx);
    if (ID3D11DeviceContext_GetType(ctx) != D3D11_DEVICE_CONTEXT_IMMEDIATE)
        hr = E_UNEXPECTED;
    ID3D11Device_GetImmediateContext(dev, &ctx);
    ID3D11DeviceContext_Release(ctx);

    hr = xm_compat_fence(dev, ctx);

done:
    if (res1)
        IDXGIResource1_Release(res1);
    if (staging)
        ID3D11Texture2D_Release(staging);
    if (tex1d)
        ID3D11Texture1D_Release(tex1d);
    if (tex3d)
        ID3D11Texture3D_Release(tex3d);
    if (buf)
        ID3D11Buffer_Release(buf);
    if (tex)
        ID3D11Texture2D_Release(tex);
    ID3D11DeviceContext_Release(ctx);
    ID3D11Device_Release(dev);
    (void)got;
    (void)priority;
    return hr;
}

HRESULT xm_compat_fence(ID3D11Device *dev, ID3D11DeviceContext *ctx)
{
    ID3D11Device5 *dev5 = NULL;
    ID3D11DeviceContext4 *ctx4 = NULL;
    ID3D11Fence *fence = NULL, *opened = NULL;
    HANDLE h = NULL;
    HRESULT hr;

    hr = ID3D11Device_QueryInterface(dev, &IID_ID3D11Device5, (void **)&dev5);
    if (FAILED(hr))
        return hr;
    hr = ID3D11Device5_CreateFence(dev5, 0, D3D11_FENCE_FLAG_SHARED, &IID_ID3D11Fence,
                                   (void **)&fence);
    if (SUCCEEDED(hr)) {
        hr = ID3D11Fence_CreateSharedHandle(fence, NULL, GENERIC_ALL, NULL, &h);
        hr = ID3D11Device5_OpenSharedFence(dev5, h, &IID_ID3D11Fence, (void **)&opened);
        if (SUCCEEDED(hr))
            ID3D11Fence_Release(opened);
        CloseHandle(h);
        hr = ID3D11DeviceContext_QueryInterface(ctx, &IID_ID3D11DeviceContext4, (void **)&ctx4);
        if (SUCCEEDED(hr)) {
            hr = ID3D11DeviceContext4_Signal(ctx4, fence, 1);
            hr = ID3D11DeviceContext4_Wait(ctx4, fence, 1);
            ID3D11DeviceContext4_Flush(ctx4);
            ID3D11DeviceContext4_Release(ctx4);
        }
        if (ID3D11Fence_GetCompletedValue(fence) < 1)
            hr = ID3D11Fence_SetEventOnCompletion(fence, 1, NULL);
        ID3D11Fence_Release(fence);
    }
    (void)ID3D11Device5_GetFeatureLevel(dev5);
    ID3D11Device5_Release(dev5);
    return hr;
}

#else /* __cplusplus */

/* C++: method calls, references for REFIID, and base-class conversions
 * (ID3D11Texture2D * to ID3D11Resource *) without casts. */
HRESULT xm_compat_share_texture(HANDLE *pNtHandle, HANDLE *pKmtHandle)
{
    ID3D11Device *dev = nullptr;
    ID3D11DeviceContext *ctx = nullptr;
    ID3D11Texture2D *tex = nullptr, *staging = nullptr;
    ID3D11Buffer *buf = nullptr;
    IDXGIResource1 *res1 = nullptr;
    IDXGIResource *res = nullptr;
    ID3D11Device1 *dev1 = nullptr;
    ID3D11Texture2D *opened = nullptr;
    D3D_FEATURE_LEVEL got;
    D3D11_TEXTURE2D_DESC desc = {};
    D3D11_BUFFER_DESC bdesc = {};
    D3D11_MAPPED_SUBRESOURCE mapped;
    D3D11_RESOURCE_DIMENSION dim;
    UINT sub = D3D11CalcSubresource(0, 0, 1);

    HRESULT hr = D3D11CreateDevice(nullptr, D3D_DRIVER_TYPE_HARDWARE, nullptr, 0, nullptr, 0,
                                   D3D11_SDK_VERSION, &dev, &got, &ctx);
    if (FAILED(hr))
        return hr;
    desc.Width = desc.Height = 32;
    desc.MipLevels = desc.ArraySize = 1;
    desc.Format = DXGI_FORMAT_B8G8R8A8_UNORM;
    desc.SampleDesc.Count = 1;
    desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED_NTHANDLE | D3D11_RESOURCE_MISC_SHARED;
    hr = dev->CreateTexture2D(&desc, nullptr, &tex);
    if (SUCCEEDED(hr)) {
        tex->GetType(&dim);
        tex->GetDesc(&desc);
        hr = tex->QueryInterface(IID_IDXGIResource1, (void **)&res1);
    }
    if (SUCCEEDED(hr)) {
        hr = res1->CreateSharedHandle(nullptr, DXGI_SHARED_RESOURCE_READ, nullptr, pNtHandle);
        res1->Release();
    }
    if (SUCCEEDED(dev->QueryInterface(IID_ID3D11Device1, (void **)&dev1))) {
        if (SUCCEEDED(dev1->OpenSharedResource1(*pNtHandle, IID_ID3D11Texture2D,
                                                (void **)&opened)))
            opened->Release();
        dev1->Release();
    }
    CloseHandle(*pNtHandle);

    bdesc.ByteWidth = 256;
    bdesc.MiscFlags = D3D11_RESOURCE_MISC_SHARED;
    if (SUCCEEDED(dev->CreateBuffer(&bdesc, nullptr, &buf)) &&
        SUCCEEDED(buf->QueryInterface(IID_IDXGIResource, (void **)&res))) {
        hr = res->GetSharedHandle(pKmtHandle);
        res->Release();
    }

    desc.Usage = D3D11_USAGE_STAGING;
    desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    desc.MiscFlags = 0;
    if (tex && SUCCEEDED(dev->CreateTexture2D(&desc, nullptr, &staging))) {
        ctx->CopyResource(staging, tex);
        ctx->CopySubresourceRegion(staging, sub, 0, 0, 0, tex, sub, nullptr);
        if (SUCCEEDED(ctx->Map(staging, sub, D3D11_MAP_READ, 0, &mapped)))
            ctx->Unmap(staging, sub);
        ctx->Flush();
        staging->Release();
    }
    hr = xm_compat_fence(dev, ctx);
    if (buf)
        buf->Release();
    if (tex)
        tex->Release();
    ctx->Release();
    dev->Release();
    (void)got;
    return hr;
}

HRESULT xm_compat_fence(ID3D11Device *dev, ID3D11DeviceContext *ctx)
{
    ID3D11Device5 *dev5 = nullptr;
    ID3D11DeviceContext4 *ctx4 = nullptr;
    ID3D11Fence *fence = nullptr;
    HANDLE h = nullptr;

    HRESULT hr = dev->QueryInterface(IID_ID3D11Device5, (void **)&dev5);
    if (FAILED(hr))
        return hr;
    hr = dev5->CreateFence(0, D3D11_FENCE_FLAG_SHARED, IID_ID3D11Fence, (void **)&fence);
    if (SUCCEEDED(hr)) {
        hr = fence->CreateSharedHandle(nullptr, GENERIC_ALL, nullptr, &h);
        if (SUCCEEDED(ctx->QueryInterface(IID_ID3D11DeviceContext4, (void **)&ctx4))) {
            hr = ctx4->Signal(fence, 2);
            hr = ctx4->Wait(fence, 2);
            ctx4->Release();
        }
        if (fence->GetCompletedValue() < 2)
            hr = fence->SetEventOnCompletion(2, nullptr);
        CloseHandle(h);
        fence->Release();
    }
    dev5->Release();
    return hr;
}

#endif /* __cplusplus */
