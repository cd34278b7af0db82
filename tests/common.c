#include "common.h"

#include <string.h>

#include "core/fence.h"
#include "core/handle_table.h"
#include "core/resource.h"
#include "cuda/cuda_private.h"

ID3D11Device1 *xm_test_device(ID3D11DeviceContext **context)
{
    ID3D11Device *device = NULL;
    ID3D11Device1 *device1 = NULL;
    HRESULT hr;

    hr = D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                           context);
    XM_ASSERT_MSG(SUCCEEDED(hr), "D3D11CreateDevice: 0x%08x (%s)", (unsigned)hr, extmemGetLastErrorMessage());
    XM_ASSERT(SUCCEEDED(ID3D11Device_QueryInterface(device, &IID_ID3D11Device1, (void **)&device1)));
    ID3D11Device_Release(device);
    return device1;
}

ID3D11Texture2D *xm_test_texture2d(ID3D11Device1 *device, UINT width, UINT height, UINT mips, UINT array,
                                   DXGI_FORMAT format, UINT misc)
{
    D3D11_TEXTURE2D_DESC desc = {0};
    ID3D11Texture2D *texture = NULL;
    HRESULT hr;

    desc.Width = width;
    desc.Height = height;
    desc.MipLevels = mips;
    desc.ArraySize = array;
    desc.Format = format;
    desc.SampleDesc.Count = 1;
    desc.Usage = D3D11_USAGE_DEFAULT;
    desc.BindFlags = D3D11_BIND_SHADER_RESOURCE;
    desc.MiscFlags = misc;
    hr = ID3D11Device1_CreateTexture2D(device, &desc, NULL, &texture);
    XM_ASSERT_MSG(SUCCEEDED(hr), "CreateTexture2D: 0x%08x (%s)", (unsigned)hr, extmemGetLastErrorMessage());
    return texture;
}

ID3D11Buffer *xm_test_buffer(ID3D11Device1 *device, UINT size, UINT misc, const void *data)
{
    D3D11_BUFFER_DESC desc = {0};
    D3D11_SUBRESOURCE_DATA init = {data, 0, 0};
    ID3D11Buffer *buffer = NULL;
    HRESULT hr;

    desc.ByteWidth = size;
    desc.Usage = D3D11_USAGE_DEFAULT;
    desc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
    desc.MiscFlags = misc;
    hr = ID3D11Device1_CreateBuffer(device, &desc, data ? &init : NULL, &buffer);
    XM_ASSERT_MSG(SUCCEEDED(hr), "CreateBuffer: 0x%08x (%s)", (unsigned)hr, extmemGetLastErrorMessage());
    return buffer;
}

cudaError_t xm_test_import(cudaExternalMemory_t *out, enum cudaExternalMemoryHandleType type, HANDLE handle,
                           LPCWSTR name, unsigned long long size)
{
    cudaExternalMemoryHandleDesc desc;

    memset(&desc, 0, sizeof(desc));
    desc.type = type;
    desc.handle.win32.handle = (void *)handle;
    desc.handle.win32.name = (const void *)name;
    desc.size = size;
    desc.flags |= cudaExternalMemoryDedicated;
    return cudaImportExternalMemory(out, &desc);
}

HANDLE xm_test_nt_handle(void *resource, DWORD access, LPCWSTR name)
{
    IDXGIResource1 *dxgi = NULL;
    HANDLE handle = NULL;
    HRESULT hr;

    XM_ASSERT(SUCCEEDED(IUnknown_QueryInterface((IUnknown *)resource, &IID_IDXGIResource1, (void **)&dxgi)));
    hr = IDXGIResource1_CreateSharedHandle(dxgi, NULL, access, name, &handle);
    IDXGIResource1_Release(dxgi);
    XM_ASSERT_MSG(SUCCEEDED(hr), "CreateSharedHandle: 0x%08x (%s)", (unsigned)hr, extmemGetLastErrorMessage());
    return handle;
}

HANDLE xm_test_kmt_handle(void *resource)
{
    IDXGIResource *dxgi = NULL;
    HANDLE handle = NULL;
    HRESULT hr;

    XM_ASSERT(SUCCEEDED(IUnknown_QueryInterface((IUnknown *)resource, &IID_IDXGIResource, (void **)&dxgi)));
    hr = IDXGIResource_GetSharedHandle(dxgi, &handle);
    IDXGIResource_Release(dxgi);
    XM_ASSERT_MSG(SUCCEEDED(hr), "GetSharedHandle: 0x%08x (%s)", (unsigned)hr, extmemGetLastErrorMessage());
    return handle;
}

void xm_test_census(struct xm_test_census *census)
{
    struct xm_handle_stats stats;

    xm_handle_stats(&stats);
    census->resources = xm_resource_live_count();
    census->handles = stats.handles;
    census->nt_objects = stats.nt_objects;
    census->kmt_values = stats.kmt_values;
    census->names = stats.names;
    census->imports = xm_import_count();
    census->allocations = xm_allocation_count();
    census->fences = xm_fence_live_count();
    census->semaphores = xm_semaphore_count();
}
