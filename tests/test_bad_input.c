/*
 * Behaviour on bad input (DESIGN.md §4, docs/SEMANTICS.md "Errors"): one
 * table, one row per invalid call, on both sides (D3D11/Win32 and CUDA).
 *
 * Each row builds fresh fixtures, marks the call under test with
 * fx_begin(), makes it, and returns its code: an HRESULT, a cudaError_t,
 * GetLastError() after a FALSE BOOL, or nothing for D3D11's void methods
 * (which drop an invalid call and record why). The loop checks, per row:
 * the exact code, a non-empty message (and a substring where the row names
 * one), CUDA's last error, the out-pointer rule the headers document, that
 * the call created nothing (census before/after the call) and that tearing
 * the fixtures down leaves nothing behind (census before/after the row).
 * Every failing row is reported by name; the test fails if any did.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "common.h"
#include "core/error.h"
#include "core/handle_table.h" /* MAX_PATH */
#include "cuda/cuda_private.h"

#define SHARED_NT (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE)
#define RW (DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)
#define RGBA8 DXGI_FORMAT_R8G8B8A8_UNORM

/* What an out pointer holds before the call, to tell "untouched" from "NULLed". */
#define SENTINEL ((void *)(uintptr_t)0x5eedf00dull)

/* ---- fixtures ------------------------------------------------------------ */

#define FX_MAX 6

struct fx {
    const char *row;
    ID3D11Device1 *device;
    ID3D11DeviceContext *context;
    IUnknown *resources[FX_MAX];
    HANDLE handles[FX_MAX];
    cudaExternalMemory_t imports[FX_MAX];
    void *buffers[FX_MAX];
    cudaMipmappedArray_t arrays[FX_MAX];
    bool began;
    struct xm_test_census at_call;
    char problem[256]; /* first out-pointer or return-value problem a row saw */
};

static void fx_fail(struct fx *fx, const char *what)
{
    xm_test_fail(__FILE__, __LINE__, "row %s: fixture %s failed: %s", fx->row, what, extmemGetLastErrorMessage());
}

static void fx_problem(struct fx *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fx_problem(struct fx *fx, const char *fmt, ...)
{
    va_list ap;

    if (fx->problem[0])
        return;
    va_start(ap, fmt);
    vsnprintf(fx->problem, sizeof(fx->problem), fmt, ap);
    va_end(ap);
}

#define FX_EXPECT(fx, cond) \
    do {                    \
        if (!(cond))        \
            fx_problem((fx), "expected %s", #cond); \
    } while (0)

static void *fx_slot_add(struct fx *fx, void **slots, void *value, const char *what)
{
    for (int i = 0; i < FX_MAX; i++) {
        if (!slots[i]) {
            slots[i] = value;
            return value;
        }
    }
    fx_fail(fx, what);
    return NULL;
}

static void fx_slot_forget(void **slots, const void *value)
{
    for (int i = 0; i < FX_MAX; i++)
        if (slots[i] == value)
            slots[i] = NULL;
}

/* The call under test comes next: snapshot what exists and clear every
 * error channel so the call's own message and codes are what we read. */
static void fx_begin(struct fx *fx)
{
    xm_test_census(&fx->at_call);
    xm_clear_error_message();
    xm_cuda_last_error(true);
    SetLastError(ERROR_SUCCESS);
    fx->began = true;
}

static ID3D11Device1 *fx_device(struct fx *fx)
{
    ID3D11Device *device = NULL;

    if (fx->device)
        return fx->device;
    if (FAILED(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                                 &fx->context)))
        fx_fail(fx, "D3D11CreateDevice");
    if (FAILED(ID3D11Device_QueryInterface(device, &IID_ID3D11Device1, (void **)&fx->device)))
        fx_fail(fx, "QueryInterface(ID3D11Device1)");
    ID3D11Device_Release(device);
    return fx->device;
}

static ID3D11Texture2D *fx_texture2d(struct fx *fx, UINT width, UINT height, UINT mips, UINT array, UINT misc)
{
    D3D11_TEXTURE2D_DESC desc = {0};
    ID3D11Texture2D *texture = NULL;

    desc.Width = width;
    desc.Height = height;
    desc.MipLevels = mips;
    desc.ArraySize = array;
    desc.Format = RGBA8;
    desc.SampleDesc.Count = 1;
    desc.Usage = D3D11_USAGE_DEFAULT;
    desc.BindFlags = D3D11_BIND_SHADER_RESOURCE;
    desc.MiscFlags = misc;
    if (FAILED(ID3D11Device1_CreateTexture2D(fx_device(fx), &desc, NULL, &texture)))
        fx_fail(fx, "CreateTexture2D");
    return fx_slot_add(fx, (void **)fx->resources, texture, "resource slots");
}

static ID3D11Buffer *fx_buffer_desc(struct fx *fx, const D3D11_BUFFER_DESC *desc)
{
    ID3D11Buffer *buffer = NULL;

    if (FAILED(ID3D11Device1_CreateBuffer(fx_device(fx), desc, NULL, &buffer)))
        fx_fail(fx, "CreateBuffer");
    return fx_slot_add(fx, (void **)fx->resources, buffer, "resource slots");
}

static ID3D11Buffer *fx_buffer(struct fx *fx, UINT size, UINT misc)
{
    D3D11_BUFFER_DESC desc = {size, D3D11_USAGE_DEFAULT, D3D11_BIND_UNORDERED_ACCESS, 0, misc, 0};
    return fx_buffer_desc(fx, &desc);
}

static ID3D11Buffer *fx_cpu_buffer(struct fx *fx, UINT size, D3D11_USAGE usage, UINT cpu)
{
    D3D11_BUFFER_DESC desc = {size, usage, usage == D3D11_USAGE_DYNAMIC ? D3D11_BIND_SHADER_RESOURCE : 0, cpu, 0, 0};
    return fx_buffer_desc(fx, &desc);
}

static void fx_release(struct fx *fx, void *resource)
{
    fx_slot_forget((void **)fx->resources, resource);
    IUnknown_Release((IUnknown *)resource);
}

static IDXGIResource1 *fx_dxgi(struct fx *fx, void *resource)
{
    IDXGIResource1 *dxgi = NULL;

    if (FAILED(IUnknown_QueryInterface((IUnknown *)resource, &IID_IDXGIResource1, (void **)&dxgi)))
        fx_fail(fx, "QueryInterface(IDXGIResource1)");
    /* The resource slot holds the object alive; hand out a borrowed pointer. */
    IDXGIResource1_Release(dxgi);
    return dxgi;
}

static HANDLE fx_nt(struct fx *fx, void *resource, DWORD access, LPCWSTR name)
{
    HANDLE handle = NULL;

    if (FAILED(IDXGIResource1_CreateSharedHandle(fx_dxgi(fx, resource), NULL, access, name, &handle)))
        fx_fail(fx, "CreateSharedHandle");
    return fx_slot_add(fx, fx->handles, handle, "handle slots");
}

static void fx_close(struct fx *fx, HANDLE handle)
{
    fx_slot_forget(fx->handles, handle);
    if (!CloseHandle(handle))
        fx_fail(fx, "CloseHandle");
}

static HANDLE fx_kmt(struct fx *fx, void *resource)
{
    HANDLE handle = NULL;

    if (FAILED(IDXGIResource1_GetSharedHandle(fx_dxgi(fx, resource), &handle)))
        fx_fail(fx, "GetSharedHandle");
    return handle;
}

static cudaExternalMemory_t fx_import(struct fx *fx, enum cudaExternalMemoryHandleType type, HANDLE handle,
                                      LPCWSTR name, unsigned long long size)
{
    cudaExternalMemory_t ext = NULL;

    if (xm_test_import(&ext, type, handle, name, size) != cudaSuccess)
        fx_fail(fx, "cudaImportExternalMemory");
    return fx_slot_add(fx, (void **)fx->imports, ext, "import slots");
}

/* A 64x64 RGBA8 texture (mips levels, array slices) imported through an NT handle. */
static cudaExternalMemory_t fx_imported_texture(struct fx *fx, UINT mips, UINT array)
{
    ID3D11Texture2D *texture = fx_texture2d(fx, 64, 64, mips, array, SHARED_NT);
    UINT64 size = 0;

    if (FAILED(extmemGetResourcePackedSize((ID3D11Resource *)texture, &size)))
        fx_fail(fx, "extmemGetResourcePackedSize");
    return fx_import(fx, cudaExternalMemoryHandleTypeD3D11Resource, fx_nt(fx, texture, RW, NULL), NULL, size);
}

static cudaExternalMemory_t fx_imported_buffer(struct fx *fx, UINT size)
{
    ID3D11Buffer *buffer = fx_buffer(fx, size, SHARED_NT);
    return fx_import(fx, cudaExternalMemoryHandleTypeD3D11Resource, fx_nt(fx, buffer, RW, NULL), NULL, size);
}

static void fx_destroy_import(struct fx *fx, cudaExternalMemory_t ext)
{
    fx_slot_forget((void **)fx->imports, ext);
    if (cudaDestroyExternalMemory(ext) != cudaSuccess)
        fx_fail(fx, "cudaDestroyExternalMemory");
}

static void *fx_map_buffer(struct fx *fx, cudaExternalMemory_t ext, unsigned long long size)
{
    cudaExternalMemoryBufferDesc desc;
    void *ptr = NULL;

    memset(&desc, 0, sizeof(desc));
    desc.size = size;
    if (cudaExternalMemoryGetMappedBuffer(&ptr, ext, &desc) != cudaSuccess)
        fx_fail(fx, "cudaExternalMemoryGetMappedBuffer");
    return fx_slot_add(fx, fx->buffers, ptr, "buffer slots");
}

static void fx_free(struct fx *fx, void *ptr)
{
    fx_slot_forget(fx->buffers, ptr);
    if (cudaFree(ptr) != cudaSuccess)
        fx_fail(fx, "cudaFree");
}

/* The description that maps a 64x64 RGBA8 texture (mips levels, array slices). */
static cudaExternalMemoryMipmappedArrayDesc rgba8_array_desc(UINT mips, UINT array)
{
    cudaExternalMemoryMipmappedArrayDesc desc;

    memset(&desc, 0, sizeof(desc));
    desc.formatDesc = cudaCreateChannelDesc(8, 8, 8, 8, cudaChannelFormatKindUnsigned);
    desc.extent = make_cudaExtent(64, 64, array > 1 ? array : 0);
    desc.flags = array > 1 ? cudaArrayLayered : 0;
    desc.numLevels = mips;
    return desc;
}

static cudaMipmappedArray_t fx_map_array(struct fx *fx, cudaExternalMemory_t ext, UINT mips, UINT array)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(mips, array);
    cudaMipmappedArray_t mipmap = NULL;

    if (cudaExternalMemoryGetMappedMipmappedArray(&mipmap, ext, &desc) != cudaSuccess)
        fx_fail(fx, "cudaExternalMemoryGetMappedMipmappedArray");
    return fx_slot_add(fx, (void **)fx->arrays, mipmap, "array slots");
}

static void fx_free_array(struct fx *fx, cudaMipmappedArray_t mipmap)
{
    fx_slot_forget((void **)fx->arrays, mipmap);
    if (cudaFreeMipmappedArray(mipmap) != cudaSuccess)
        fx_fail(fx, "cudaFreeMipmappedArray");
}

static void fx_teardown(struct fx *fx)
{
    for (int i = 0; i < FX_MAX; i++) {
        if (fx->buffers[i])
            cudaFree(fx->buffers[i]);
        if (fx->arrays[i])
            cudaFreeMipmappedArray(fx->arrays[i]);
    }
    for (int i = 0; i < FX_MAX; i++)
        if (fx->imports[i])
            cudaDestroyExternalMemory(fx->imports[i]);
    for (int i = 0; i < FX_MAX; i++)
        if (fx->handles[i])
            CloseHandle(fx->handles[i]);
    for (int i = 0; i < FX_MAX; i++)
        if (fx->resources[i])
            IUnknown_Release(fx->resources[i]);
    if (fx->context)
        ID3D11DeviceContext_Release(fx->context);
    if (fx->device)
        ID3D11Device1_Release(fx->device);
}

/* BOOL + GetLastError calls: a row's code is GetLastError() after FALSE. */
static long long win32_code(struct fx *fx, BOOL ok)
{
    if (ok)
        fx_problem(fx, "returned TRUE");
    return (long long)GetLastError();
}

/* ---- D3D11CreateDevice ----------------------------------------------------- */

static long long create_device(struct fx *fx, IDXGIAdapter *adapter, D3D_DRIVER_TYPE type, UINT flags,
                               const D3D_FEATURE_LEVEL *levels, UINT level_count, UINT sdk)
{
    ID3D11Device *device = SENTINEL;
    ID3D11DeviceContext *context = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = D3D11CreateDevice(adapter, type, NULL, flags, levels, level_count, sdk, &device, NULL, &context);
    /* d3d11.h: on failure nothing is returned. */
    FX_EXPECT(fx, device == NULL);
    FX_EXPECT(fx, context == NULL);
    return hr;
}

static long long device_bad_sdk_version(struct fx *fx)
{
    return create_device(fx, NULL, D3D_DRIVER_TYPE_HARDWARE, 0, NULL, 0, D3D11_SDK_VERSION + 1);
}

static long long device_adapter_not_null(struct fx *fx)
{
    return create_device(fx, (IDXGIAdapter *)SENTINEL, D3D_DRIVER_TYPE_HARDWARE, 0, NULL, 0, D3D11_SDK_VERSION);
}

static long long device_unknown_driver_type(struct fx *fx)
{
    return create_device(fx, NULL, (D3D_DRIVER_TYPE)42, 0, NULL, 0, D3D11_SDK_VERSION);
}

static long long device_unknown_feature_level(struct fx *fx)
{
    static const D3D_FEATURE_LEVEL levels[] = {D3D_FEATURE_LEVEL_11_0, (D3D_FEATURE_LEVEL)0x1234};
    return create_device(fx, NULL, D3D_DRIVER_TYPE_HARDWARE, 0, levels, 2, D3D11_SDK_VERSION);
}

static long long device_feature_level_count_zero(struct fx *fx)
{
    static const D3D_FEATURE_LEVEL levels[] = {D3D_FEATURE_LEVEL_11_0};
    return create_device(fx, NULL, D3D_DRIVER_TYPE_HARDWARE, 0, levels, 0, D3D11_SDK_VERSION);
}

static long long device_unknown_flags(struct fx *fx)
{
    return create_device(fx, NULL, D3D_DRIVER_TYPE_HARDWARE, 0x40000000u, NULL, 0, D3D11_SDK_VERSION);
}

/* ---- resource creation --------------------------------------------------- */

static const uint32_t texels[64 * 64];

static long long create_buffer(struct fx *fx, const D3D11_BUFFER_DESC *desc, const D3D11_SUBRESOURCE_DATA *init)
{
    ID3D11Device1 *device = fx_device(fx);
    ID3D11Buffer *buffer = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = ID3D11Device1_CreateBuffer(device, desc, init, &buffer);
    FX_EXPECT(fx, buffer == NULL); /* d3d11.h: Create* write NULL on failure */
    return hr;
}

static long long create_texture1d(struct fx *fx, const D3D11_TEXTURE1D_DESC *desc)
{
    ID3D11Device1 *device = fx_device(fx);
    ID3D11Texture1D *texture = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = ID3D11Device1_CreateTexture1D(device, desc, NULL, &texture);
    FX_EXPECT(fx, texture == NULL);
    return hr;
}

static long long create_texture2d(struct fx *fx, const D3D11_TEXTURE2D_DESC *desc, const D3D11_SUBRESOURCE_DATA *init)
{
    ID3D11Device1 *device = fx_device(fx);
    ID3D11Texture2D *texture = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = ID3D11Device1_CreateTexture2D(device, desc, init, &texture);
    FX_EXPECT(fx, texture == NULL);
    return hr;
}

static long long create_texture3d(struct fx *fx, const D3D11_TEXTURE3D_DESC *desc)
{
    ID3D11Device1 *device = fx_device(fx);
    ID3D11Texture3D *texture = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = ID3D11Device1_CreateTexture3D(device, desc, NULL, &texture);
    FX_EXPECT(fx, texture == NULL);
    return hr;
}

static D3D11_BUFFER_DESC good_buffer_desc(void)
{
    D3D11_BUFFER_DESC desc = {256, D3D11_USAGE_DEFAULT, D3D11_BIND_UNORDERED_ACCESS, 0, 0, 0};
    return desc;
}

static D3D11_TEXTURE2D_DESC good_texture2d_desc(void)
{
    D3D11_TEXTURE2D_DESC desc = {0};

    desc.Width = 64;
    desc.Height = 64;
    desc.MipLevels = 1;
    desc.ArraySize = 1;
    desc.Format = RGBA8;
    desc.SampleDesc.Count = 1;
    desc.Usage = D3D11_USAGE_DEFAULT;
    desc.BindFlags = D3D11_BIND_SHADER_RESOURCE;
    return desc;
}

static long long buffer_null_desc(struct fx *fx)
{
    return create_buffer(fx, NULL, NULL);
}

static long long buffer_zero_size(struct fx *fx)
{
    D3D11_BUFFER_DESC desc = good_buffer_desc();
    desc.ByteWidth = 0;
    return create_buffer(fx, &desc, NULL);
}

static long long buffer_unknown_misc_flags(struct fx *fx)
{
    D3D11_BUFFER_DESC desc = good_buffer_desc();
    desc.MiscFlags = 0x40000000u;
    return create_buffer(fx, &desc, NULL);
}

static long long buffer_staging_with_bind_flags(struct fx *fx)
{
    D3D11_BUFFER_DESC desc = good_buffer_desc();
    desc.Usage = D3D11_USAGE_STAGING;
    desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    return create_buffer(fx, &desc, NULL);
}

static long long buffer_dynamic_without_cpu_write(struct fx *fx)
{
    D3D11_BUFFER_DESC desc = good_buffer_desc();
    desc.Usage = D3D11_USAGE_DYNAMIC;
    desc.BindFlags = D3D11_BIND_SHADER_RESOURCE;
    return create_buffer(fx, &desc, NULL);
}

static long long buffer_immutable_without_data(struct fx *fx)
{
    D3D11_BUFFER_DESC desc = good_buffer_desc();
    desc.Usage = D3D11_USAGE_IMMUTABLE;
    desc.BindFlags = D3D11_BIND_SHADER_RESOURCE;
    return create_buffer(fx, &desc, NULL);
}

static long long buffer_null_sysmem(struct fx *fx)
{
    D3D11_BUFFER_DESC desc = good_buffer_desc();
    D3D11_SUBRESOURCE_DATA init = {NULL, 0, 0};
    return create_buffer(fx, &desc, &init);
}

static long long buffer_shared_and_keyedmutex(struct fx *fx)
{
    D3D11_BUFFER_DESC desc = good_buffer_desc();
    desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX;
    return create_buffer(fx, &desc, NULL);
}

static long long buffer_shared_staging(struct fx *fx)
{
    D3D11_BUFFER_DESC desc = {256, D3D11_USAGE_STAGING, 0, D3D11_CPU_ACCESS_READ, D3D11_RESOURCE_MISC_SHARED, 0};
    return create_buffer(fx, &desc, NULL);
}

static long long texture1d_too_wide(struct fx *fx)
{
    D3D11_TEXTURE1D_DESC desc = {D3D11_REQ_TEXTURE1D_U_DIMENSION + 1, 1, 1, RGBA8, D3D11_USAGE_DEFAULT,
                                 D3D11_BIND_SHADER_RESOURCE, 0, 0};
    return create_texture1d(fx, &desc);
}

static long long texture1d_null_desc(struct fx *fx)
{
    return create_texture1d(fx, NULL);
}

static long long texture2d_null_desc(struct fx *fx)
{
    return create_texture2d(fx, NULL, NULL);
}

static long long texture2d_zero_width(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.Width = 0;
    return create_texture2d(fx, &desc, NULL);
}

static long long texture2d_zero_array_size(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.ArraySize = 0;
    return create_texture2d(fx, &desc, NULL);
}

static long long texture2d_too_tall(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.Height = D3D11_REQ_TEXTURE2D_U_OR_V_DIMENSION + 1;
    return create_texture2d(fx, &desc, NULL);
}

static long long texture2d_too_many_mips(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.MipLevels = 8; /* 64x64 has 7 */
    return create_texture2d(fx, &desc, NULL);
}

static long long texture2d_format(struct fx *fx, DXGI_FORMAT format)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.Format = format;
    return create_texture2d(fx, &desc, NULL);
}

static long long texture2d_format_bc1(struct fx *fx)
{
    return texture2d_format(fx, DXGI_FORMAT_BC1_UNORM);
}

static long long texture2d_format_rgb32f(struct fx *fx)
{
    return texture2d_format(fx, DXGI_FORMAT_R32G32B32_FLOAT);
}

static long long texture2d_format_typeless(struct fx *fx)
{
    return texture2d_format(fx, DXGI_FORMAT_R8G8B8A8_TYPELESS);
}

static long long texture2d_format_unknown(struct fx *fx)
{
    return texture2d_format(fx, DXGI_FORMAT_UNKNOWN);
}

static long long texture2d_multisampled(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.SampleDesc.Count = 4;
    return create_texture2d(fx, &desc, NULL);
}

static long long texture2d_ntHandle_alone(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED_NTHANDLE;
    return create_texture2d(fx, &desc, NULL);
}

static long long texture2d_shared_dynamic(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.Usage = D3D11_USAGE_DYNAMIC;
    desc.CPUAccessFlags = D3D11_CPU_ACCESS_WRITE;
    desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED;
    return create_texture2d(fx, &desc, NULL);
}

static long long texture2d_pitch_too_small(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    D3D11_SUBRESOURCE_DATA init = {texels, 64 * 4 - 1, 0};
    return create_texture2d(fx, &desc, &init);
}

static long long texture2d_cube_array_size_4(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.ArraySize = 4;
    desc.MiscFlags = D3D11_RESOURCE_MISC_TEXTURECUBE;
    return create_texture2d(fx, &desc, NULL);
}

static long long texture2d_unknown_misc_flags(struct fx *fx)
{
    D3D11_TEXTURE2D_DESC desc = good_texture2d_desc();
    desc.MiscFlags = 0x40000000u;
    return create_texture2d(fx, &desc, NULL);
}

static long long texture3d_too_deep(struct fx *fx)
{
    D3D11_TEXTURE3D_DESC desc = {16, 16, D3D11_REQ_TEXTURE3D_U_V_OR_W_DIMENSION + 1, 1, RGBA8, D3D11_USAGE_DEFAULT,
                                 D3D11_BIND_SHADER_RESOURCE, 0, 0};
    return create_texture3d(fx, &desc);
}

static long long texture3d_null_desc(struct fx *fx)
{
    return create_texture3d(fx, NULL);
}

/* ---- CreateSharedHandle -------------------------------------------------- */

static long long create_shared_handle(struct fx *fx, void *resource, DWORD access, LPCWSTR name)
{
    IDXGIResource1 *dxgi = fx_dxgi(fx, resource);
    HANDLE handle = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = IDXGIResource1_CreateSharedHandle(dxgi, NULL, access, name, &handle);
    FX_EXPECT(fx, handle == NULL); /* implementation: *pHandle = NULL once pHandle is checked */
    return hr;
}

static long long share_without_ntHandle_flag(struct fx *fx)
{
    return create_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, D3D11_RESOURCE_MISC_SHARED), RW, NULL);
}

static long long share_null_out(struct fx *fx)
{
    IDXGIResource1 *dxgi = fx_dxgi(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT));

    fx_begin(fx);
    return IDXGIResource1_CreateSharedHandle(dxgi, NULL, RW, NULL, NULL);
}

static long long share_access_zero(struct fx *fx)
{
    return create_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), 0, NULL);
}

static long long share_access_unknown_bits(struct fx *fx)
{
    return create_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), DXGI_SHARED_RESOURCE_READ | 0x2, NULL);
}

static long long share_empty_name(struct fx *fx)
{
    return create_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, L"");
}

static WCHAR long_name[MAX_PATH + 2];

static const WCHAR *name_longer_than_max_path(void)
{
    for (size_t i = 0; i < MAX_PATH + 1; i++)
        long_name[i] = L'n';
    long_name[MAX_PATH + 1] = 0;
    return long_name;
}

static long long share_name_too_long(struct fx *fx)
{
    return create_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, name_longer_than_max_path());
}

static long long share_name_with_backslash(struct fx *fx)
{
    return create_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, L"bad\\name");
}

static long long share_name_backslash_after_prefix(struct fx *fx)
{
    return create_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, L"Global\\bad\\name");
}

static long long share_name_prefix_only(struct fx *fx)
{
    return create_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, L"Local\\");
}

static long long share_second_call(struct fx *fx)
{
    ID3D11Texture2D *texture = fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT);

    fx_nt(fx, texture, RW, NULL);
    return create_shared_handle(fx, texture, RW, NULL);
}

static long long share_name_clash(struct fx *fx)
{
    fx_nt(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, L"Local\\bad-input-clash");
    return create_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, L"Local\\bad-input-clash");
}

static long long share_write_from_read_only_open(struct fx *fx)
{
    ID3D11Texture2D *opened = NULL;
    HRESULT hr;

    fx_nt(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, L"Local\\bad-input-ro-open");
    if (FAILED(ID3D11Device1_OpenSharedResourceByName(fx_device(fx), L"Local\\bad-input-ro-open",
                                                      DXGI_SHARED_RESOURCE_READ, &IID_ID3D11Texture2D,
                                                      (void **)&opened)))
        fx_fail(fx, "OpenSharedResourceByName");
    fx_slot_add(fx, (void **)fx->resources, opened, "resource slots");
    hr = create_shared_handle(fx, opened, RW, NULL);
    return hr;
}

/* ---- GetSharedHandle ------------------------------------------------------ */

static long long get_shared_handle(struct fx *fx, void *resource)
{
    IDXGIResource1 *dxgi = fx_dxgi(fx, resource);
    HANDLE handle = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = IDXGIResource1_GetSharedHandle(dxgi, &handle);
    FX_EXPECT(fx, handle == NULL);
    return hr;
}

static long long kmt_of_ntHandle_resource(struct fx *fx)
{
    return get_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT));
}

static long long kmt_of_unshared_resource(struct fx *fx)
{
    return get_shared_handle(fx, fx_texture2d(fx, 16, 16, 1, 1, 0));
}

static long long kmt_null_out(struct fx *fx)
{
    IDXGIResource1 *dxgi = fx_dxgi(fx, fx_texture2d(fx, 16, 16, 1, 1, D3D11_RESOURCE_MISC_SHARED));

    fx_begin(fx);
    return IDXGIResource1_GetSharedHandle(dxgi, NULL);
}

/* ---- OpenSharedResource / 1 / ByName ------------------------------------- */

static long long open_kmt(struct fx *fx, HANDLE handle)
{
    ID3D11Device1 *device = fx_device(fx);
    void *resource = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = ID3D11Device1_OpenSharedResource(device, handle, &IID_ID3D11Texture2D, &resource);
    FX_EXPECT(fx, resource == NULL);
    return hr;
}

static long long open_dead_kmt(struct fx *fx)
{
    ID3D11Texture2D *texture = fx_texture2d(fx, 16, 16, 1, 1, D3D11_RESOURCE_MISC_SHARED);
    HANDLE kmt = fx_kmt(fx, texture);

    fx_release(fx, texture);
    return open_kmt(fx, kmt);
}

static long long open_nt_handle_as_kmt(struct fx *fx)
{
    return open_kmt(fx, fx_nt(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, NULL));
}

static long long open1_closed_nt_handle(struct fx *fx)
{
    HANDLE handle = fx_nt(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, NULL);
    ID3D11Device1 *device = fx_device(fx);
    void *resource = SENTINEL;
    HRESULT hr;

    fx_close(fx, handle);
    fx_begin(fx);
    hr = ID3D11Device1_OpenSharedResource1(device, handle, &IID_ID3D11Texture2D, &resource);
    FX_EXPECT(fx, resource == NULL);
    return hr;
}

static long long open_by_name(struct fx *fx, LPCWSTR name, DWORD access)
{
    ID3D11Device1 *device = fx_device(fx);
    void *resource = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = ID3D11Device1_OpenSharedResourceByName(device, name, access, &IID_ID3D11Texture2D, &resource);
    FX_EXPECT(fx, resource == NULL);
    return hr;
}

static long long open_by_null_name(struct fx *fx)
{
    return open_by_name(fx, NULL, DXGI_SHARED_RESOURCE_READ);
}

static long long open_by_name_access_zero(struct fx *fx)
{
    fx_nt(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, L"Local\\bad-input-open");
    return open_by_name(fx, L"Local\\bad-input-open", 0);
}

static long long open_by_name_not_found(struct fx *fx)
{
    return open_by_name(fx, L"Local\\bad-input-nobody", DXGI_SHARED_RESOURCE_READ);
}

static long long open_by_name_wrong_case(struct fx *fx)
{
    fx_nt(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, L"Local\\bad-input-case");
    return open_by_name(fx, L"Local\\BAD-INPUT-CASE", DXGI_SHARED_RESOURCE_READ);
}

static long long open_read_only_name_for_write(struct fx *fx)
{
    fx_nt(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), DXGI_SHARED_RESOURCE_READ, L"Local\\bad-input-ro");
    return open_by_name(fx, L"Local\\bad-input-ro", RW);
}

/* ---- CloseHandle / DuplicateHandle ----------------------------------------- */

static long long close_kmt_value(struct fx *fx)
{
    HANDLE kmt = fx_kmt(fx, fx_texture2d(fx, 16, 16, 1, 1, D3D11_RESOURCE_MISC_SHARED));

    fx_begin(fx);
    return win32_code(fx, CloseHandle(kmt));
}

static long long close_null(struct fx *fx)
{
    fx_begin(fx);
    return win32_code(fx, CloseHandle(NULL));
}

static long long close_random_value(struct fx *fx)
{
    fx_begin(fx);
    return win32_code(fx, CloseHandle((HANDLE)(uintptr_t)0x1234560));
}

static long long close_twice(struct fx *fx)
{
    HANDLE handle = fx_nt(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), RW, NULL);

    fx_close(fx, handle);
    fx_begin(fx);
    return win32_code(fx, CloseHandle(handle));
}

static long long duplicate(struct fx *fx, HANDLE process, HANDLE source, bool null_out, DWORD access, DWORD options)
{
    HANDLE copy = SENTINEL;
    BOOL ok;

    fx_begin(fx);
    ok = DuplicateHandle(process, source, GetCurrentProcess(), null_out ? NULL : &copy, access, FALSE, options);
    if (!null_out)
        FX_EXPECT(fx, copy == NULL); /* implementation: *lpTargetHandle = NULL first */
    return win32_code(fx, ok);
}

static HANDLE fx_nt_handle(struct fx *fx, DWORD access)
{
    return fx_nt(fx, fx_texture2d(fx, 16, 16, 1, 1, SHARED_NT), access, NULL);
}

static long long duplicate_bad_process(struct fx *fx)
{
    return duplicate(fx, (HANDLE)(uintptr_t)0x1234, fx_nt_handle(fx, RW), false, RW, 0);
}

static long long duplicate_bad_options(struct fx *fx)
{
    return duplicate(fx, GetCurrentProcess(), fx_nt_handle(fx, RW), false, RW, 0x4);
}

static long long duplicate_null_out(struct fx *fx)
{
    return duplicate(fx, GetCurrentProcess(), fx_nt_handle(fx, RW), true, RW, 0);
}

static long long duplicate_widening_access(struct fx *fx)
{
    return duplicate(fx, GetCurrentProcess(), fx_nt_handle(fx, DXGI_SHARED_RESOURCE_READ), false, RW, 0);
}

static long long duplicate_kmt_value(struct fx *fx)
{
    HANDLE kmt = fx_kmt(fx, fx_texture2d(fx, 16, 16, 1, 1, D3D11_RESOURCE_MISC_SHARED));
    return duplicate(fx, GetCurrentProcess(), kmt, false, RW, DUPLICATE_SAME_ACCESS);
}

static long long duplicate_access_zero(struct fx *fx)
{
    return duplicate(fx, GetCurrentProcess(), fx_nt_handle(fx, RW), false, 0, 0);
}

/* ---- QueryInterface ---------------------------------------------------------- */

static const IID IID_bad_input_unknown = {0x12345678, 0x1234, 0x5678, {1, 2, 3, 4, 5, 6, 7, 8}};

static long long qi_buffer(struct fx *fx, REFIID riid, bool null_out)
{
    ID3D11Buffer *buffer = fx_buffer(fx, 256, 0);
    void *out = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = ID3D11Buffer_QueryInterface(buffer, riid, null_out ? NULL : &out);
    if (!null_out)
        FX_EXPECT(fx, out == NULL); /* COM: *ppvObject = NULL on failure */
    return hr;
}

static long long qi_null_out(struct fx *fx)
{
    return qi_buffer(fx, &IID_ID3D11Buffer, true);
}

static long long qi_unknown_iid(struct fx *fx)
{
    return qi_buffer(fx, &IID_bad_input_unknown, false);
}

static long long qi_texture2d_on_buffer(struct fx *fx)
{
    return qi_buffer(fx, &IID_ID3D11Texture2D, false);
}

static long long qi_device_unknown_iid(struct fx *fx)
{
    ID3D11Device1 *device = fx_device(fx);
    void *out = SENTINEL;
    HRESULT hr;

    fx_begin(fx);
    hr = ID3D11Device1_QueryInterface(device, &IID_bad_input_unknown, &out);
    FX_EXPECT(fx, out == NULL);
    return hr;
}

/* ---- Map ------------------------------------------------------------------------ */

static long long map(struct fx *fx, void *resource, UINT subresource, D3D11_MAP type, bool null_out)
{
    D3D11_MAPPED_SUBRESOURCE mapped;
    HRESULT hr;

    fx_device(fx);
    memset(&mapped, 0xab, sizeof(mapped));
    fx_begin(fx);
    hr = ID3D11DeviceContext_Map(fx->context, (ID3D11Resource *)resource, subresource, type, 0,
                                 null_out ? NULL : &mapped);
    if (!null_out)
        FX_EXPECT(fx, mapped.pData == NULL); /* implementation zeroes *pMappedResource first */
    return hr;
}

static long long map_default_resource(struct fx *fx)
{
    return map(fx, fx_buffer(fx, 256, 0), 0, D3D11_MAP_READ, false);
}

static long long map_write_on_read_only_staging(struct fx *fx)
{
    return map(fx, fx_cpu_buffer(fx, 256, D3D11_USAGE_STAGING, D3D11_CPU_ACCESS_READ), 0, D3D11_MAP_WRITE, false);
}

static long long map_dynamic_with_map_write(struct fx *fx)
{
    return map(fx, fx_cpu_buffer(fx, 256, D3D11_USAGE_DYNAMIC, D3D11_CPU_ACCESS_WRITE), 0, D3D11_MAP_WRITE, false);
}

static long long map_subresource_out_of_range(struct fx *fx)
{
    return map(fx, fx_cpu_buffer(fx, 256, D3D11_USAGE_STAGING, D3D11_CPU_ACCESS_READ), 1, D3D11_MAP_READ, false);
}

static long long map_null_out(struct fx *fx)
{
    return map(fx, fx_cpu_buffer(fx, 256, D3D11_USAGE_STAGING, D3D11_CPU_ACCESS_READ), 0, D3D11_MAP_READ, true);
}

/* ---- void context methods: dropped, with a message ---------------------------- */

static long long update_null_data(struct fx *fx)
{
    ID3D11Buffer *buffer = fx_buffer(fx, 256, 0);

    fx_begin(fx);
    ID3D11DeviceContext_UpdateSubresource(fx->context, (ID3D11Resource *)buffer, 0, NULL, NULL, 0, 0);
    return 0;
}

static long long copy_resource_onto_itself(struct fx *fx)
{
    ID3D11Buffer *buffer = fx_buffer(fx, 256, 0);

    fx_begin(fx);
    ID3D11DeviceContext_CopyResource(fx->context, (ID3D11Resource *)buffer, (ID3D11Resource *)buffer);
    return 0;
}

static long long copy_region_bad_subresource(struct fx *fx)
{
    ID3D11Buffer *a = fx_buffer(fx, 256, 0), *b = fx_buffer(fx, 256, 0);

    fx_begin(fx);
    ID3D11DeviceContext_CopySubresourceRegion(fx->context, (ID3D11Resource *)a, 3, 0, 0, 0, (ID3D11Resource *)b, 0,
                                              NULL);
    return 0;
}

/* ---- extmem's own calls ----------------------------------------------------------- */

static long long allocation_size_null_out(struct fx *fx)
{
    ID3D11Buffer *buffer = fx_buffer(fx, 256, 0);

    fx_begin(fx);
    return extmemGetResourceAllocationSize((ID3D11Resource *)buffer, NULL);
}

/* ---- cudaImportExternalMemory --------------------------------------------------------- */

static cudaExternalMemoryHandleDesc import_desc(enum cudaExternalMemoryHandleType type, HANDLE handle, LPCWSTR name,
                                                unsigned long long size)
{
    cudaExternalMemoryHandleDesc desc;

    memset(&desc, 0, sizeof(desc));
    desc.type = type;
    desc.handle.win32.handle = (void *)handle;
    desc.handle.win32.name = (const void *)name;
    desc.size = size;
    desc.flags = cudaExternalMemoryDedicated;
    return desc;
}

static long long import(struct fx *fx, const cudaExternalMemoryHandleDesc *desc)
{
    cudaExternalMemory_t ext = SENTINEL;
    cudaError_t error;

    fx_begin(fx);
    error = cudaImportExternalMemory(&ext, desc);
    FX_EXPECT(fx, ext == SENTINEL); /* cuda_interop.h: untouched on failure */
    return error;
}

/* A valid NT-handle description of a fresh shared 256-byte buffer. */
static cudaExternalMemoryHandleDesc nt_buffer_desc(struct fx *fx)
{
    return import_desc(cudaExternalMemoryHandleTypeD3D11Resource, fx_nt(fx, fx_buffer(fx, 256, SHARED_NT), RW, NULL),
                       NULL, 256);
}

static long long import_null_out(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);

    fx_begin(fx);
    return cudaImportExternalMemory(NULL, &desc);
}

static long long import_null_desc(struct fx *fx)
{
    return import(fx, NULL);
}

static long long import_unknown_type(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);
    desc.type = (enum cudaExternalMemoryHandleType)99;
    return import(fx, &desc);
}

static long long import_opaque_fd_type(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc;

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalMemoryHandleTypeOpaqueFd;
    desc.handle.fd = 0;
    desc.size = 256;
    return import(fx, &desc);
}

static long long import_d3d12_resource_type(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);
    desc.type = cudaExternalMemoryHandleTypeD3D12Resource;
    return import(fx, &desc);
}

static long long import_reserved_nonzero(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);
    desc.reserved[15] = 1;
    return import(fx, &desc);
}

static long long import_without_dedicated(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);
    desc.flags = 0;
    return import(fx, &desc);
}

static long long import_unknown_flag_bits(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);
    desc.flags |= 0x10;
    return import(fx, &desc);
}

static long long import_handle_and_name(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);
    desc.handle.win32.name = L"Local\\bad-input-both";
    return import(fx, &desc);
}

static long long import_neither_handle_nor_name(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = import_desc(cudaExternalMemoryHandleTypeD3D11Resource, NULL, NULL, 256);
    return import(fx, &desc);
}

static long long import_kmt_with_name(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc;

    fx_nt(fx, fx_buffer(fx, 256, SHARED_NT), RW, L"Local\\bad-input-kmt-name");
    desc = import_desc(cudaExternalMemoryHandleTypeD3D11ResourceKmt, NULL, L"Local\\bad-input-kmt-name", 256);
    return import(fx, &desc);
}

static long long import_size_zero(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);
    desc.size = 0;
    return import(fx, &desc);
}

static long long import_size_past_allocation(struct fx *fx)
{
    ID3D11Buffer *buffer = fx_buffer(fx, 256, SHARED_NT);
    cudaExternalMemoryHandleDesc desc;
    UINT64 allocated = 0;

    if (FAILED(extmemGetResourceAllocationSize((ID3D11Resource *)buffer, &allocated)))
        fx_fail(fx, "extmemGetResourceAllocationSize");
    desc = import_desc(cudaExternalMemoryHandleTypeD3D11Resource, fx_nt(fx, buffer, RW, NULL), NULL, allocated + 1);
    return import(fx, &desc);
}

static long long import_stale_nt_handle(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);

    fx_close(fx, desc.handle.win32.handle);
    return import(fx, &desc);
}

static long long import_kmt_value_as_nt(struct fx *fx)
{
    HANDLE kmt = fx_kmt(fx, fx_buffer(fx, 256, D3D11_RESOURCE_MISC_SHARED));
    cudaExternalMemoryHandleDesc desc = import_desc(cudaExternalMemoryHandleTypeD3D11Resource, kmt, NULL, 256);
    return import(fx, &desc);
}

static long long import_nt_handle_as_kmt(struct fx *fx)
{
    cudaExternalMemoryHandleDesc desc = nt_buffer_desc(fx);
    desc.type = cudaExternalMemoryHandleTypeD3D11ResourceKmt;
    return import(fx, &desc);
}

static long long import_dead_kmt(struct fx *fx)
{
    ID3D11Buffer *buffer = fx_buffer(fx, 256, D3D11_RESOURCE_MISC_SHARED);
    HANDLE kmt = fx_kmt(fx, buffer);
    cudaExternalMemoryHandleDesc desc = import_desc(cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, 256);

    fx_release(fx, buffer);
    return import(fx, &desc);
}

static long long import_name(struct fx *fx, LPCWSTR name)
{
    cudaExternalMemoryHandleDesc desc = import_desc(cudaExternalMemoryHandleTypeD3D11Resource, NULL, name, 256);
    return import(fx, &desc);
}

static long long import_name_too_long(struct fx *fx)
{
    return import_name(fx, name_longer_than_max_path());
}

static long long import_empty_name(struct fx *fx)
{
    return import_name(fx, L"");
}

static long long import_name_not_found(struct fx *fx)
{
    return import_name(fx, L"Local\\bad-input-nobody");
}

/* ---- cudaExternalMemoryGetMappedBuffer ---------------------------------------------- */

static long long map_buffer(struct fx *fx, cudaExternalMemory_t ext, const cudaExternalMemoryBufferDesc *desc)
{
    void *ptr = SENTINEL;
    cudaError_t error;

    fx_begin(fx);
    error = cudaExternalMemoryGetMappedBuffer(&ptr, ext, desc);
    FX_EXPECT(fx, ptr == SENTINEL);
    return error;
}

static cudaExternalMemoryBufferDesc buffer_desc(unsigned long long offset, unsigned long long size)
{
    cudaExternalMemoryBufferDesc desc;

    memset(&desc, 0, sizeof(desc));
    desc.offset = offset;
    desc.size = size;
    return desc;
}

static long long mapped_buffer_flags(struct fx *fx)
{
    cudaExternalMemoryBufferDesc desc = buffer_desc(0, 256);
    desc.flags = 1;
    return map_buffer(fx, fx_imported_buffer(fx, 256), &desc);
}

static long long mapped_buffer_reserved(struct fx *fx)
{
    cudaExternalMemoryBufferDesc desc = buffer_desc(0, 256);
    desc.reserved[0] = 7;
    return map_buffer(fx, fx_imported_buffer(fx, 256), &desc);
}

static long long mapped_buffer_size_zero(struct fx *fx)
{
    cudaExternalMemoryBufferDesc desc = buffer_desc(0, 0);
    return map_buffer(fx, fx_imported_buffer(fx, 256), &desc);
}

static long long mapped_buffer_past_end(struct fx *fx)
{
    cudaExternalMemoryBufferDesc desc = buffer_desc(128, 129);
    return map_buffer(fx, fx_imported_buffer(fx, 256), &desc);
}

static long long mapped_buffer_offset_overflow(struct fx *fx)
{
    cudaExternalMemoryBufferDesc desc = buffer_desc(UINT64_MAX - 15, 32);
    return map_buffer(fx, fx_imported_buffer(fx, 256), &desc);
}

static long long mapped_buffer_stale_import(struct fx *fx)
{
    cudaExternalMemory_t ext = fx_imported_buffer(fx, 256);
    cudaExternalMemoryBufferDesc desc = buffer_desc(0, 256);

    fx_destroy_import(fx, ext);
    return map_buffer(fx, ext, &desc);
}

static long long mapped_buffer_null_out(struct fx *fx)
{
    cudaExternalMemory_t ext = fx_imported_buffer(fx, 256);
    cudaExternalMemoryBufferDesc desc = buffer_desc(0, 256);

    fx_begin(fx);
    return cudaExternalMemoryGetMappedBuffer(NULL, ext, &desc);
}

/* ---- cudaExternalMemoryGetMappedMipmappedArray ----------------------------------------- */

static long long map_array(struct fx *fx, cudaExternalMemory_t ext, const cudaExternalMemoryMipmappedArrayDesc *desc)
{
    cudaMipmappedArray_t mipmap = SENTINEL;
    cudaError_t error;

    fx_begin(fx);
    error = cudaExternalMemoryGetMappedMipmappedArray(&mipmap, ext, desc);
    FX_EXPECT(fx, mipmap == SENTINEL);
    return error;
}

static long long array_of_buffer(struct fx *fx)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(1, 1);
    return map_array(fx, fx_imported_buffer(fx, 64 * 64 * 4), &desc);
}

static long long array_wrong_channel_format(struct fx *fx)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(1, 1);
    desc.formatDesc = cudaCreateChannelDesc(32, 0, 0, 0, cudaChannelFormatKindFloat);
    return map_array(fx, fx_imported_texture(fx, 1, 1), &desc);
}

static long long array_wrong_extent(struct fx *fx)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(1, 1);
    desc.extent = make_cudaExtent(32, 64, 0);
    return map_array(fx, fx_imported_texture(fx, 1, 1), &desc);
}

static long long array_missing_layered_flag(struct fx *fx)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(1, 4);
    desc.flags = 0;
    return map_array(fx, fx_imported_texture(fx, 1, 4), &desc);
}

static long long array_num_levels_zero(struct fx *fx)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(0, 1);
    return map_array(fx, fx_imported_texture(fx, 3, 1), &desc);
}

static long long array_too_many_levels(struct fx *fx)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(4, 1);
    return map_array(fx, fx_imported_texture(fx, 3, 1), &desc);
}

static long long array_offset_nonzero(struct fx *fx)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(1, 1);
    desc.offset = 256;
    return map_array(fx, fx_imported_texture(fx, 1, 1), &desc);
}

static long long array_unsupported_flag(struct fx *fx)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(1, 1);
    desc.flags |= cudaArraySparse;
    return map_array(fx, fx_imported_texture(fx, 1, 1), &desc);
}

static long long array_reserved_nonzero(struct fx *fx)
{
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(1, 1);
    desc.reserved[3] = 1;
    return map_array(fx, fx_imported_texture(fx, 1, 1), &desc);
}

static long long array_stale_import(struct fx *fx)
{
    cudaExternalMemory_t ext = fx_imported_texture(fx, 1, 1);
    cudaExternalMemoryMipmappedArrayDesc desc = rgba8_array_desc(1, 1);

    fx_destroy_import(fx, ext);
    return map_array(fx, ext, &desc);
}

/* ---- destroy and free ---------------------------------------------------------------- */

static long long destroy_stale_import(struct fx *fx)
{
    static int not_an_import;

    fx_begin(fx);
    return cudaDestroyExternalMemory((cudaExternalMemory_t)&not_an_import);
}

static long long destroy_null_import(struct fx *fx)
{
    fx_begin(fx);
    return cudaDestroyExternalMemory(NULL);
}

static long long destroy_import_twice(struct fx *fx)
{
    cudaExternalMemory_t ext = fx_imported_buffer(fx, 256);

    fx_destroy_import(fx, ext);
    fx_begin(fx);
    return cudaDestroyExternalMemory(ext);
}

static long long free_random_pointer(struct fx *fx)
{
    static char not_ours[16];

    fx_begin(fx);
    return cudaFree(not_ours);
}

static long long free_interior_pointer(struct fx *fx)
{
    char *ptr = fx_map_buffer(fx, fx_imported_buffer(fx, 256), 256);

    fx_begin(fx);
    return cudaFree(ptr + 4);
}

static long long free_twice(struct fx *fx)
{
    void *ptr = fx_map_buffer(fx, fx_imported_buffer(fx, 256), 256);

    fx_free(fx, ptr);
    fx_begin(fx);
    return cudaFree(ptr);
}

static long long free_array_twice(struct fx *fx)
{
    cudaMipmappedArray_t mipmap = fx_map_array(fx, fx_imported_texture(fx, 1, 1), 1, 1);

    fx_free_array(fx, mipmap);
    fx_begin(fx);
    return cudaFreeMipmappedArray(mipmap);
}

static long long free_array_given_buffer(struct fx *fx)
{
    void *ptr = fx_map_buffer(fx, fx_imported_buffer(fx, 256), 256);

    fx_begin(fx);
    return cudaFreeMipmappedArray((cudaMipmappedArray_t)ptr);
}

/* ---- the table --------------------------------------------------------------------------- */

enum row_kind {
    ROW_HRESULT,
    ROW_CUDA,
    ROW_WIN32, /* FALSE, and the code is GetLastError() */
    ROW_VOID,  /* dropped: no code, only the message */
};

struct row {
    const char *name;
    enum row_kind kind;
    long long (*call)(struct fx *fx);
    long long want;
    const char *message; /* substring the message must hold, or NULL */
};

#define HR(fn, code, msg) {#fn, ROW_HRESULT, fn, (long long)(code), msg}
#define CU(fn, code, msg) {#fn, ROW_CUDA, fn, (long long)(code), msg}
#define W32(fn, code, msg) {#fn, ROW_WIN32, fn, (long long)(code), msg}
#define VOID_ROW(fn, msg) {#fn, ROW_VOID, fn, 0, msg}

static const struct row rows[] = {
    /* D3D11CreateDevice */
    HR(device_bad_sdk_version, E_INVALIDARG, "SDKVersion"),
    HR(device_adapter_not_null, E_INVALIDARG, "adapter"),
    HR(device_unknown_driver_type, E_INVALIDARG, "DriverType"),
    HR(device_unknown_feature_level, E_INVALIDARG, "pFeatureLevels[1]"),
    HR(device_feature_level_count_zero, E_INVALIDARG, "FeatureLevels"),
    HR(device_unknown_flags, E_INVALIDARG, "Flags"),
    /* CreateBuffer / CreateTexture1D/2D/3D */
    HR(buffer_null_desc, E_INVALIDARG, "pDesc"),
    HR(buffer_zero_size, E_INVALIDARG, "ByteWidth"),
    HR(buffer_unknown_misc_flags, E_INVALIDARG, "MiscFlags"),
    HR(buffer_staging_with_bind_flags, E_INVALIDARG, "STAGING"),
    HR(buffer_dynamic_without_cpu_write, E_INVALIDARG, "DYNAMIC"),
    HR(buffer_immutable_without_data, E_INVALIDARG, "IMMUTABLE"),
    HR(buffer_null_sysmem, E_INVALIDARG, "pSysMem"),
    HR(buffer_shared_and_keyedmutex, E_INVALIDARG, "SHARED_KEYEDMUTEX"),
    HR(buffer_shared_staging, E_INVALIDARG, "DEFAULT"),
    HR(texture1d_null_desc, E_INVALIDARG, "pDesc"),
    HR(texture1d_too_wide, E_INVALIDARG, "limit"),
    HR(texture2d_null_desc, E_INVALIDARG, "pDesc"),
    HR(texture2d_zero_width, E_INVALIDARG, "extent"),
    HR(texture2d_zero_array_size, E_INVALIDARG, "ArraySize"),
    HR(texture2d_too_tall, E_INVALIDARG, "limit"),
    HR(texture2d_too_many_mips, E_INVALIDARG, "MipLevels"),
    HR(texture2d_format_bc1, E_INVALIDARG, "BC1_UNORM"),
    HR(texture2d_format_rgb32f, E_INVALIDARG, "R32G32B32_FLOAT"),
    HR(texture2d_format_typeless, E_INVALIDARG, "R8G8B8A8_TYPELESS"),
    HR(texture2d_format_unknown, E_INVALIDARG, "Format"),
    HR(texture2d_multisampled, E_INVALIDARG, "SampleDesc"),
    HR(texture2d_ntHandle_alone, E_INVALIDARG, "SHARED_NTHANDLE"),
    HR(texture2d_shared_dynamic, E_INVALIDARG, "DEFAULT"),
    HR(texture2d_pitch_too_small, E_INVALIDARG, "SysMemPitch"),
    HR(texture2d_cube_array_size_4, E_INVALIDARG, "cube"),
    HR(texture2d_unknown_misc_flags, E_INVALIDARG, "MiscFlags"),
    HR(texture3d_null_desc, E_INVALIDARG, "pDesc"),
    HR(texture3d_too_deep, E_INVALIDARG, "limit"),
    /* IDXGIResource1::CreateSharedHandle */
    HR(share_without_ntHandle_flag, DXGI_ERROR_INVALID_CALL, "SHARED_NTHANDLE"),
    HR(share_null_out, DXGI_ERROR_INVALID_CALL, "pHandle"),
    HR(share_access_zero, DXGI_ERROR_INVALID_CALL, "dwAccess"),
    HR(share_access_unknown_bits, DXGI_ERROR_INVALID_CALL, "dwAccess"),
    HR(share_empty_name, DXGI_ERROR_INVALID_CALL, "empty"),
    HR(share_name_too_long, DXGI_ERROR_INVALID_CALL, "MAX_PATH"),
    HR(share_name_with_backslash, DXGI_ERROR_INVALID_CALL, "backslash"),
    HR(share_name_backslash_after_prefix, DXGI_ERROR_INVALID_CALL, "backslash"),
    HR(share_name_prefix_only, DXGI_ERROR_INVALID_CALL, NULL),
    HR(share_second_call, DXGI_ERROR_INVALID_CALL, "DuplicateHandle"),
    HR(share_name_clash, DXGI_ERROR_NAME_ALREADY_EXISTS, "already in use"),
    HR(share_write_from_read_only_open, E_ACCESSDENIED, "read-only"),
    /* IDXGIResource::GetSharedHandle */
    HR(kmt_of_ntHandle_resource, E_INVALIDARG, "CreateSharedHandle"),
    HR(kmt_of_unshared_resource, E_INVALIDARG, "without"),
    HR(kmt_null_out, E_INVALIDARG, "pSharedHandle"),
    /* OpenSharedResource / OpenSharedResource1 / OpenSharedResourceByName */
    HR(open_dead_kmt, E_INVALIDARG, "KMT"),
    HR(open_nt_handle_as_kmt, E_INVALIDARG, NULL),
    HR(open1_closed_nt_handle, E_INVALIDARG, "NT handle"),
    HR(open_by_null_name, E_INVALIDARG, "lpName"),
    HR(open_by_name_access_zero, E_INVALIDARG, "dwDesiredAccess"),
    HR(open_by_name_not_found, E_INVALIDARG, "name"),
    HR(open_by_name_wrong_case, E_INVALIDARG, "name"),
    HR(open_read_only_name_for_write, E_ACCESSDENIED, "read-only"),
    /* CloseHandle / DuplicateHandle */
    W32(close_kmt_value, ERROR_INVALID_HANDLE, "KMT"),
    W32(close_null, ERROR_INVALID_HANDLE, NULL),
    W32(close_random_value, ERROR_INVALID_HANDLE, NULL),
    W32(close_twice, ERROR_INVALID_HANDLE, NULL),
    W32(duplicate_bad_process, ERROR_INVALID_HANDLE, "process"),
    W32(duplicate_bad_options, ERROR_INVALID_PARAMETER, "dwOptions"),
    W32(duplicate_null_out, ERROR_INVALID_PARAMETER, "lpTargetHandle"),
    W32(duplicate_widening_access, ERROR_ACCESS_DENIED, "more access"),
    W32(duplicate_kmt_value, ERROR_INVALID_HANDLE, NULL),
    W32(duplicate_access_zero, ERROR_INVALID_PARAMETER, "dwDesiredAccess"),
    /* QueryInterface */
    HR(qi_null_out, E_POINTER, NULL),
    HR(qi_unknown_iid, E_NOINTERFACE, NULL),
    HR(qi_texture2d_on_buffer, E_NOINTERFACE, NULL),
    HR(qi_device_unknown_iid, E_NOINTERFACE, NULL),
    /* ID3D11DeviceContext::Map */
    HR(map_default_resource, E_INVALIDARG, "CPUAccessFlags"),
    HR(map_write_on_read_only_staging, E_INVALIDARG, "CPUAccessFlags"),
    HR(map_dynamic_with_map_write, E_INVALIDARG, "DYNAMIC"),
    HR(map_subresource_out_of_range, E_INVALIDARG, "out of range"),
    HR(map_null_out, E_INVALIDARG, "pMappedResource"),
    /* void context methods */
    VOID_ROW(update_null_data, "pSrcData"),
    VOID_ROW(copy_resource_onto_itself, "same resource"),
    VOID_ROW(copy_region_bad_subresource, "out of range"),
    /* extmem.h */
    HR(allocation_size_null_out, E_INVALIDARG, "size"),
    /* cudaImportExternalMemory */
    CU(import_null_out, cudaErrorInvalidValue, "extMem_out"),
    CU(import_null_desc, cudaErrorInvalidValue, "memHandleDesc"),
    CU(import_unknown_type, cudaErrorInvalidValue, "type 99"),
    CU(import_opaque_fd_type, cudaErrorNotSupported, "D3D11"),
    CU(import_d3d12_resource_type, cudaErrorNotSupported, "D3D11"),
    CU(import_reserved_nonzero, cudaErrorInvalidValue, "reserved"),
    CU(import_without_dedicated, cudaErrorInvalidValue, "cudaExternalMemoryDedicated"),
    CU(import_unknown_flag_bits, cudaErrorInvalidValue, "flags"),
    CU(import_handle_and_name, cudaErrorInvalidValue, "exactly one"),
    CU(import_neither_handle_nor_name, cudaErrorInvalidValue, "exactly one"),
    CU(import_kmt_with_name, cudaErrorInvalidValue, "KMT"),
    CU(import_size_zero, cudaErrorInvalidValue, "size"),
    CU(import_size_past_allocation, cudaErrorInvalidValue, "larger"),
    CU(import_stale_nt_handle, cudaErrorInvalidResourceHandle, "NT handle"),
    CU(import_kmt_value_as_nt, cudaErrorInvalidValue, "Kmt"),
    CU(import_nt_handle_as_kmt, cudaErrorInvalidResourceHandle, "KMT"),
    CU(import_dead_kmt, cudaErrorInvalidResourceHandle, "KMT"),
    CU(import_name_too_long, cudaErrorInvalidValue, "MAX_PATH"),
    CU(import_empty_name, cudaErrorInvalidValue, "empty"),
    CU(import_name_not_found, cudaErrorInvalidResourceHandle, "bad-input-nobody"),
    /* cudaExternalMemoryGetMappedBuffer */
    CU(mapped_buffer_flags, cudaErrorInvalidValue, "flags"),
    CU(mapped_buffer_reserved, cudaErrorInvalidValue, "reserved"),
    CU(mapped_buffer_size_zero, cudaErrorInvalidValue, "size"),
    CU(mapped_buffer_past_end, cudaErrorInvalidValue, "outside"),
    CU(mapped_buffer_offset_overflow, cudaErrorInvalidValue, "outside"),
    CU(mapped_buffer_stale_import, cudaErrorInvalidResourceHandle, "live"),
    CU(mapped_buffer_null_out, cudaErrorInvalidValue, "devPtr"),
    /* cudaExternalMemoryGetMappedMipmappedArray */
    CU(array_of_buffer, cudaErrorInvalidValue, "buffer"),
    CU(array_wrong_channel_format, cudaErrorInvalidChannelDescriptor, "R8G8B8A8_UNORM"),
    CU(array_wrong_extent, cudaErrorInvalidValue, "extent"),
    CU(array_missing_layered_flag, cudaErrorInvalidValue, "cudaArrayLayered"),
    CU(array_num_levels_zero, cudaErrorInvalidValue, "numLevels"),
    CU(array_too_many_levels, cudaErrorInvalidValue, "numLevels"),
    CU(array_offset_nonzero, cudaErrorInvalidValue, "offset"),
    CU(array_unsupported_flag, cudaErrorInvalidValue, "flags"),
    CU(array_reserved_nonzero, cudaErrorInvalidValue, "reserved"),
    CU(array_stale_import, cudaErrorInvalidResourceHandle, "live"),
    /* cudaDestroyExternalMemory, cudaFree, cudaFreeMipmappedArray */
    CU(destroy_stale_import, cudaErrorInvalidResourceHandle, "live"),
    CU(destroy_null_import, cudaErrorInvalidResourceHandle, NULL),
    CU(destroy_import_twice, cudaErrorInvalidResourceHandle, "live"),
    CU(free_random_pointer, cudaErrorInvalidDevicePointer, "not a pointer"),
    CU(free_interior_pointer, cudaErrorInvalidDevicePointer, "not a pointer"),
    CU(free_twice, cudaErrorInvalidDevicePointer, "freed"),
    CU(free_array_twice, cudaErrorInvalidResourceHandle, "mipmapped array"),
    CU(free_array_given_buffer, cudaErrorInvalidResourceHandle, "mipmapped array"),
};

#define ROW_COUNT (sizeof(rows) / sizeof(rows[0]))

static bool census_equal(const struct xm_test_census *a, const struct xm_test_census *b)
{
    return a->resources == b->resources && a->handles == b->handles && a->nt_objects == b->nt_objects &&
           a->kmt_values == b->kmt_values && a->names == b->names && a->imports == b->imports &&
           a->allocations == b->allocations;
}

static void census_describe(char *out, size_t size, const struct xm_test_census *c)
{
    snprintf(out, size, "resources %zu, handles %zu, nt_objects %zu, kmt %zu, names %zu, imports %zu, allocations %zu",
             c->resources, c->handles, c->nt_objects, c->kmt_values, c->names, c->imports, c->allocations);
}

static const char *code_text(enum row_kind kind, long long code, char *buffer, size_t size)
{
    if (kind == ROW_HRESULT)
        snprintf(buffer, size, "0x%08x", (unsigned)code);
    else if (kind == ROW_CUDA)
        snprintf(buffer, size, "cudaError %lld", code);
    else
        snprintf(buffer, size, "Win32 error %lld", code);
    return buffer;
}

/* Runs one row; returns false (after printing why) when it failed. */
static bool run_row(const struct row *row)
{
    struct xm_test_census before, after_call, after;
    struct fx fx;
    char got_text[64], want_text[64], census_text[2][200];
    char message[512];
    const char *why = NULL;
    cudaError_t last_cuda;
    long long got;

    memset(&fx, 0, sizeof(fx));
    fx.row = row->name;
    xm_test_census(&before);
    got = row->call(&fx);
    xm_test_census(&after_call);
    snprintf(message, sizeof(message), "%s", extmemGetLastErrorMessage());
    last_cuda = xm_cuda_last_error(false);
    fx_teardown(&fx);
    xm_test_census(&after);

    if (!fx.began)
        why = "the row never called fx_begin()";
    else if (row->kind != ROW_VOID && got != row->want)
        why = "wrong code";
    else if (!message[0])
        why = "no message recorded";
    else if (row->message && !strstr(message, row->message))
        why = "message lacks the expected text";
    else if (row->kind == ROW_CUDA && (long long)last_cuda != row->want)
        why = "cudaGetLastError does not hold the code";
    else if (fx.problem[0])
        why = fx.problem;
    else if (!census_equal(&fx.at_call, &after_call))
        why = "the failed call created or destroyed something";
    else if (!census_equal(&before, &after))
        why = "something leaked";
    if (!why)
        return true;
    census_describe(census_text[0], sizeof(census_text[0]), &fx.at_call);
    census_describe(census_text[1], sizeof(census_text[1]), &after_call);
    fprintf(stderr, "  row %s: %s\n    got %s, want %s; message \"%s\"%s%s%s\n    census at call: %s\n"
            "    census after:   %s\n",
            row->name, why, code_text(row->kind, got, got_text, sizeof(got_text)),
            row->kind == ROW_VOID ? "(void)" : code_text(row->kind, row->want, want_text, sizeof(want_text)),
            message, row->message ? " (should contain \"" : "", row->message ? row->message : "",
            row->message ? "\")" : "", census_text[0], census_text[1]);
    return false;
}

XM_TEST(test_every_invalid_call_fails_with_its_code_and_leaves_nothing)
{
    size_t failed = 0;

    XM_ASSERT(ROW_COUNT >= 50);
    for (size_t i = 0; i < ROW_COUNT; i++)
        if (!run_row(&rows[i]))
            failed++;
    XM_ASSERT_MSG(failed == 0, "%zu of %zu rows failed (listed above)", failed, ROW_COUNT);
}

XM_TEST(test_row_names_are_unique)
{
    for (size_t i = 0; i < ROW_COUNT; i++)
        for (size_t j = i + 1; j < ROW_COUNT; j++)
            XM_ASSERT_MSG(strcmp(rows[i].name, rows[j].name) != 0, "row %s appears twice", rows[i].name);
}

/* No partial state: a CreateSharedHandle that failed on a name clash did
 * not use up the resource's one NT handle. */
XM_TEST(test_failed_create_shared_handle_can_be_retried)
{
    struct fx fx;
    ID3D11Texture2D *texture;
    HANDLE handle = NULL;

    memset(&fx, 0, sizeof(fx));
    fx.row = "retry";
    fx_nt(&fx, fx_texture2d(&fx, 16, 16, 1, 1, SHARED_NT), RW, L"Local\\bad-input-retry");
    texture = fx_texture2d(&fx, 16, 16, 1, 1, SHARED_NT);
    XM_ASSERT_HR(IDXGIResource1_CreateSharedHandle(fx_dxgi(&fx, texture), NULL, RW, L"Local\\bad-input-retry",
                                                   &handle),
                 DXGI_ERROR_NAME_ALREADY_EXISTS);
    XM_ASSERT_HR(IDXGIResource1_CreateSharedHandle(fx_dxgi(&fx, texture), NULL, RW, L"Local\\bad-input-retry-2",
                                                   &handle),
                 S_OK);
    fx_slot_add(&fx, fx.handles, handle, "handle slots");
    fx_teardown(&fx);
}

/* wintypes.h: "With DUPLICATE_CLOSE_SOURCE the source handle is closed even
 * if the copy fails, as on Windows." */
XM_TEST(test_duplicate_close_source_closes_source_even_when_copy_fails)
{
    struct fx fx;
    HANDLE source, copy = SENTINEL;
    BOOL still_open;

    memset(&fx, 0, sizeof(fx));
    fx.row = "close-source";
    source = fx_nt(&fx, fx_texture2d(&fx, 16, 16, 1, 1, SHARED_NT), DXGI_SHARED_RESOURCE_READ, NULL);
    XM_ASSERT(!DuplicateHandle(GetCurrentProcess(), source, GetCurrentProcess(), &copy, RW, FALSE,
                               DUPLICATE_CLOSE_SOURCE));
    XM_ASSERT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    XM_ASSERT_NULL(copy);
    /* The source is gone: closing it again fails. */
    fx_slot_forget(fx.handles, source);
    still_open = CloseHandle(source);
    fx_teardown(&fx);
    XM_ASSERT_MSG(!still_open, "DuplicateHandle(DUPLICATE_CLOSE_SOURCE) left the source handle open");
}

/* wintypes.h: GetCurrentProcess()'s pseudo-handle "needs no CloseHandle
 * (closing it is a no-op)". */
XM_TEST(test_close_current_process_pseudo_handle_is_a_no_op)
{
    SetLastError(ERROR_SUCCESS);
    XM_ASSERT_MSG(CloseHandle(GetCurrentProcess()), "CloseHandle(GetCurrentProcess()) failed: error %u (%s)",
                  (unsigned)GetLastError(), extmemGetLastErrorMessage());
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_every_invalid_call_fails_with_its_code_and_leaves_nothing)
    XM_TEST_ENTRY(test_row_names_are_unique)
    XM_TEST_ENTRY(test_failed_create_shared_handle_can_be_retried)
    XM_TEST_ENTRY(test_duplicate_close_source_closes_source_even_when_copy_fails)
    XM_TEST_ENTRY(test_close_current_process_pseudo_handle_is_a_no_op))
