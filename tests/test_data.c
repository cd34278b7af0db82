/*
 * Data round trips between D3D11 and CUDA: what one side writes into a
 * shared resource the other reads back texel for texel.
 *
 * Every test keeps a model of what the resource must hold: a tightly
 * packed copy laid out level by level, all array slices (or 3D depth
 * slices) of a level together. Whatever writes the resource -- initial
 * data, UpdateSubresource, CopySubresourceRegion, CUDA copies -- writes the
 * model too, and every read compares each texel with it and names the
 * level, slice and x/y/z of the first one that differs.
 *
 * Level "planes": a 2D slice of a level, which is an array slice (cube
 * face) of a 1D/2D texture or a depth slice of a 3D one. A CUDA level
 * array of a layered or 3D texture counts its planes in z.
 *
 * The CUDA side follows the runtime's documented conventions: a texture
 * maps as a mipmapped array of extent {w,0,0} (1D), {w,0,layers} +
 * cudaArrayLayered (1D array), {w,h,0} (2D), {w,h,layers} +
 * cudaArrayLayered (2D array), {w,w,6} + cudaArrayCubemap (cube),
 * {w,h,d} (3D); cudaMemcpy3D's extent is in elements, with one row for 1D
 * arrays and depth = layers for layered ones; cudaMemcpy2D{To,From}Array
 * take wOffset and width in bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common.h"

#define SHARED_NT (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE)
#define RW (DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)
#define CUBE_FACES 6

/* Bytes that a reader must never take for texels: the padding of every
 * non-tight host block. */
#define POISON 0xA5

enum share_kind { SHARE_NT, SHARE_NAMED, SHARE_KMT };

/* What the test expects of each format, written down independently of
 * extmem's format table. */
struct format_case {
    DXGI_FORMAT format;
    UINT texel_size;
    struct cudaChannelFormatDesc channel;
};

static const struct format_case format_cases[] = {
    {DXGI_FORMAT_R8_UNORM, 1, {8, 0, 0, 0, cudaChannelFormatKindUnsigned}},
    {DXGI_FORMAT_R8G8B8A8_UNORM, 4, {8, 8, 8, 8, cudaChannelFormatKindUnsigned}},
    {DXGI_FORMAT_B8G8R8A8_UNORM, 4, {8, 8, 8, 8, cudaChannelFormatKindUnsigned}},
    {DXGI_FORMAT_R16G16_FLOAT, 4, {16, 16, 0, 0, cudaChannelFormatKindFloat}},
    {DXGI_FORMAT_R32_FLOAT, 4, {32, 0, 0, 0, cudaChannelFormatKindFloat}},
    {DXGI_FORMAT_R32G32B32A32_UINT, 16, {32, 32, 32, 32, cudaChannelFormatKindUnsigned}},
};

static const struct format_case *find_format_case(DXGI_FORMAT format)
{
    for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++)
        if (format_cases[i].format == format)
            return &format_cases[i];
    XM_ASSERT_MSG(false, "format %d has no entry in format_cases", (int)format);
    return NULL;
}

/* ---- textures and their models ---------------------------------------- */

struct texture {
    /* The description, as a test writes it. */
    D3D11_RESOURCE_DIMENSION dimension;
    DXGI_FORMAT format;
    UINT width, height, depth; /* 1 where the dimension has none */
    UINT mip_levels;           /* as passed to Create: 0 asks for the full chain */
    UINT array_size;           /* slices; a multiple of 6 for cubes */
    bool cube;

    /* Filled by texture_init. */
    const struct format_case *fmt;
    UINT levels;               /* mip_levels resolved */
    size_t level_offset[D3D11_REQ_MIP_LEVELS];
    size_t plane_size[D3D11_REQ_MIP_LEVELS];
    size_t size;               /* tightly packed size of the whole texture */
    uint8_t *model;

    ID3D11Resource *resource;
};

/* Descriptions, as a test writes them. */
#define TEX1D(fmt, w, mips, array)                                              \
    {.dimension = D3D11_RESOURCE_DIMENSION_TEXTURE1D, .format = DXGI_FORMAT_##fmt, .width = (w), .height = 1, \
     .depth = 1, .mip_levels = (mips), .array_size = (array)}
#define TEX2D(fmt, w, h, mips, array)                                           \
    {.dimension = D3D11_RESOURCE_DIMENSION_TEXTURE2D, .format = DXGI_FORMAT_##fmt, .width = (w), .height = (h), \
     .depth = 1, .mip_levels = (mips), .array_size = (array)}
#define CUBE(fmt, w, mips, cubes)                                               \
    {.dimension = D3D11_RESOURCE_DIMENSION_TEXTURE2D, .format = DXGI_FORMAT_##fmt, .width = (w), .height = (w), \
     .depth = 1, .mip_levels = (mips), .array_size = (cubes) * CUBE_FACES, .cube = true}
#define TEX3D(fmt, w, h, d, mips)                                               \
    {.dimension = D3D11_RESOURCE_DIMENSION_TEXTURE3D, .format = DXGI_FORMAT_##fmt, .width = (w), .height = (h), \
     .depth = (d), .mip_levels = (mips), .array_size = 1}

/* A box of a level, in texels and planes. */
struct region {
    UINT x, y, p;
    UINT width, height, planes;
};

static UINT extent_at(UINT extent, UINT level)
{
    UINT e = extent >> level;
    return e ? e : 1;
}

static bool is_3d(const struct texture *t)
{
    return t->dimension == D3D11_RESOURCE_DIMENSION_TEXTURE3D;
}

static bool is_layered(const struct texture *t)
{
    return !is_3d(t) && (t->cube ? t->array_size > CUBE_FACES : t->array_size > 1);
}

/* One level is one 2D array in CUDA: no layers, no depth. */
static bool is_plain(const struct texture *t)
{
    return !is_3d(t) && t->array_size == 1;
}

static UINT level_width(const struct texture *t, UINT level)
{
    return extent_at(t->width, level);
}

static UINT level_height(const struct texture *t, UINT level)
{
    return extent_at(t->height, level);
}

static UINT level_planes(const struct texture *t, UINT level)
{
    return is_3d(t) ? extent_at(t->depth, level) : t->array_size;
}

static UINT full_chain(UINT width, UINT height, UINT depth)
{
    UINT largest = width > height ? width : height, count = 1;

    if (depth > largest)
        largest = depth;
    for (; largest > 1; largest >>= 1)
        count++;
    return count;
}

static void texture_init(struct texture *t)
{
    size_t offset = 0;

    t->fmt = find_format_case(t->format);
    t->levels = t->mip_levels ? t->mip_levels : full_chain(t->width, t->height, t->depth);
    for (UINT level = 0; level < t->levels; level++) {
        t->level_offset[level] = offset;
        t->plane_size[level] = (size_t)level_width(t, level) * level_height(t, level) * t->fmt->texel_size;
        offset += t->plane_size[level] * level_planes(t, level);
    }
    t->size = offset;
    t->model = calloc(1, t->size);
    XM_ASSERT_NOT_NULL(t->model);
}

static uint8_t *model_texel(const struct texture *t, UINT level, UINT plane, UINT x, UINT y)
{
    return t->model + t->level_offset[level] + plane * t->plane_size[level] +
           ((size_t)y * level_width(t, level) + x) * t->fmt->texel_size;
}

static struct region whole_level(const struct texture *t, UINT level)
{
    return (struct region){0, 0, 0, level_width(t, level), level_height(t, level), level_planes(t, level)};
}

/* The planes D3D11 subresource (level, slice) covers. */
static struct region whole_subresource(const struct texture *t, UINT level, UINT slice)
{
    struct region r = whole_level(t, level);

    if (!is_3d(t)) {
        r.p = slice;
        r.planes = 1;
    }
    return r;
}

/* Roughly the middle of a subresource, never empty, never whole unless it
 * is one texel wide. */
static struct region inner_region(const struct texture *t, UINT level, UINT slice)
{
    struct region r = whole_subresource(t, level, slice);
    UINT w = r.width, h = r.height;

    r.x = w / 3;
    r.width = w - w / 4 > r.x ? w - w / 4 - r.x : 1;
    r.y = h / 3;
    r.height = h - h / 4 > r.y ? h - h / 4 - r.y : 1;
    if (is_3d(t)) {
        r.p = r.planes / 3;
        r.planes = r.planes - r.planes / 4 > r.p ? r.planes - r.planes / 4 - r.p : 1;
    }
    return r;
}

static D3D11_BOX box_of(const struct texture *t, const struct region *r)
{
    D3D11_BOX box = {r->x, r->y, 0, r->x + r->width, r->y + r->height, 1};

    if (is_3d(t)) {
        box.front = r->p;
        box.back = r->p + r->planes;
    }
    return box;
}

/* Distinct bytes for each (seed, level, plane, x, y, byte). */
static uint8_t pattern_byte(uint32_t seed, UINT level, UINT plane, UINT x, UINT y, UINT byte)
{
    uint32_t h = seed * 0x9E3779B1u ^ level * 0x85EBCA77u ^ plane * 0xC2B2AE3Du ^ y * 0x27D4EB2Fu ^
                 x * 0x165667B1u ^ byte * 0x61C88647u;

    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    h *= 0x297A2D39u;
    h ^= h >> 15;
    return (uint8_t)(h >> 24);
}

/* Host memory for a region with non-tight pitches: each row `row_pad`
 * bytes longer than the texels, each plane `extra_rows` rows taller. */
struct host_block {
    uint8_t *data;
    size_t row_pitch, rows, plane_pitch, size;
};

static void block_alloc(struct host_block *b, const struct texture *t, const struct region *r, size_t row_pad,
                        size_t extra_rows)
{
    b->row_pitch = (size_t)r->width * t->fmt->texel_size + row_pad;
    b->rows = r->height + extra_rows;
    b->plane_pitch = b->row_pitch * b->rows;
    b->size = b->plane_pitch * r->planes;
    b->data = malloc(b->size);
    XM_ASSERT_NOT_NULL(b->data);
    memset(b->data, POISON, b->size);
}

/* Fills a block (whose first texel is region r's first texel) with pattern
 * `seed` and writes the same texels into the model. */
static void block_fill(struct texture *t, struct host_block *b, uint32_t seed, UINT level, const struct region *r)
{
    UINT texel = t->fmt->texel_size;

    for (UINT p = 0; p < r->planes; p++)
        for (UINT y = 0; y < r->height; y++)
            for (UINT x = 0; x < r->width; x++) {
                uint8_t *src = b->data + p * b->plane_pitch + y * b->row_pitch + (size_t)x * texel;
                uint8_t *model = model_texel(t, level, r->p + p, r->x + x, r->y + y);

                for (UINT byte = 0; byte < texel; byte++)
                    src[byte] = pattern_byte(seed, level, r->p + p, r->x + x, r->y + y, byte);
                memcpy(model, src, texel);
            }
}

/* Compares data (whose first texel is region r's first texel) with the
 * model; fails naming the first texel that differs. */
static void compare_region(const struct texture *t, UINT level, const struct region *r, const void *data,
                           size_t row_pitch, size_t plane_pitch, const char *what)
{
    UINT texel = t->fmt->texel_size;

    for (UINT p = 0; p < r->planes; p++)
        for (UINT y = 0; y < r->height; y++)
            for (UINT x = 0; x < r->width; x++) {
                const uint8_t *got = (const uint8_t *)data + p * plane_pitch + y * row_pitch + (size_t)x * texel;
                const uint8_t *want = model_texel(t, level, r->p + p, r->x + x, r->y + y);

                if (memcmp(got, want, texel) == 0)
                    continue;
                for (UINT byte = 0; byte < texel; byte++)
                    if (got[byte] != want[byte])
                        xm_test_fail(__FILE__, __LINE__, "%s: first mismatch at level %u slice %u x %u y %u z %u "
                                     "(byte %u): got 0x%02x, want 0x%02x", what, level,
                                     is_3d(t) ? 0 : r->p + p, r->x + x, r->y + y, is_3d(t) ? r->p + p : 0,
                                     byte, got[byte], want[byte]);
            }
}

/* Copies a region of src's model into dst's model at (dx, dy, dp), as
 * CopySubresourceRegion does to the resources. */
static void model_copy(struct texture *dst, UINT dst_level, UINT dx, UINT dy, UINT dp, const struct texture *src,
                       UINT src_level, const struct region *r)
{
    for (UINT p = 0; p < r->planes; p++)
        for (UINT y = 0; y < r->height; y++)
            memcpy(model_texel(dst, dst_level, dp + p, dx, dy + y),
                   model_texel(src, src_level, r->p + p, r->x, r->y + y), (size_t)r->width * src->fmt->texel_size);
}

/* Creates a resource of t's shape. For DEFAULT ones t->resource is set. */
static ID3D11Resource *create_resource(ID3D11Device1 *device, const struct texture *t, D3D11_USAGE usage,
                                       UINT misc, const D3D11_SUBRESOURCE_DATA *init)
{
    UINT bind = usage == D3D11_USAGE_STAGING ? 0 : D3D11_BIND_SHADER_RESOURCE;
    UINT cpu = usage == D3D11_USAGE_STAGING ? D3D11_CPU_ACCESS_READ : 0;
    ID3D11Resource *resource = NULL;
    HRESULT hr;

    switch (t->dimension) {
    case D3D11_RESOURCE_DIMENSION_TEXTURE1D: {
        D3D11_TEXTURE1D_DESC desc = {t->width, t->mip_levels, t->array_size, t->format, usage, bind, cpu, misc};

        hr = ID3D11Device1_CreateTexture1D(device, &desc, init, (ID3D11Texture1D **)&resource);
        break;
    }
    case D3D11_RESOURCE_DIMENSION_TEXTURE2D: {
        D3D11_TEXTURE2D_DESC desc = {t->width, t->height, t->mip_levels, t->array_size, t->format, {1, 0},
                                     usage, bind, cpu, misc};

        /* A STAGING twin of a cube is a plain 2D array of its faces: same
         * subresources, and CopyResource between the two is allowed. */
        if (t->cube && usage != D3D11_USAGE_STAGING)
            desc.MiscFlags |= D3D11_RESOURCE_MISC_TEXTURECUBE;
        hr = ID3D11Device1_CreateTexture2D(device, &desc, init, (ID3D11Texture2D **)&resource);
        break;
    }
    default: {
        D3D11_TEXTURE3D_DESC desc = {t->width, t->height, t->depth, t->mip_levels, t->format, usage, bind, cpu,
                                     misc};

        hr = ID3D11Device1_CreateTexture3D(device, &desc, init, (ID3D11Texture3D **)&resource);
        break;
    }
    }
    XM_ASSERT_MSG(SUCCEEDED(hr), "creating a texture: 0x%08x (%s)", (unsigned)hr, extmemGetLastErrorMessage());
    return resource;
}

/* Creates t as a shared DEFAULT texture, with pattern `seed` as initial
 * data given with non-tight pitches (seed 0: no initial data). */
static void texture_create(ID3D11Device1 *device, struct texture *t, UINT misc, uint32_t seed)
{
    D3D11_SUBRESOURCE_DATA *init = NULL;
    UINT count = t->levels * (is_3d(t) ? 1 : t->array_size);

    if (seed) {
        init = calloc(count, sizeof(*init));
        XM_ASSERT_NOT_NULL(init);
        for (UINT slice = 0; slice < (is_3d(t) ? 1 : t->array_size); slice++)
            for (UINT level = 0; level < t->levels; level++) {
                struct region r = whole_subresource(t, level, slice);
                D3D11_SUBRESOURCE_DATA *data = &init[D3D11CalcSubresource(level, slice, t->levels)];
                struct host_block b;

                block_alloc(&b, t, &r, 3 + level, 1);
                block_fill(t, &b, seed, level, &r);
                data->pSysMem = b.data;
                data->SysMemPitch = (UINT)b.row_pitch;
                data->SysMemSlicePitch = (UINT)b.plane_pitch;
            }
    }
    t->resource = create_resource(device, t, D3D11_USAGE_DEFAULT, misc, init);
    if (init) {
        for (UINT i = 0; i < count; i++)
            free((void *)init[i].pSysMem);
        free(init);
    }
}

static void texture_release(struct texture *t)
{
    if (t->resource)
        ID3D11Resource_Release(t->resource);
    t->resource = NULL;
    free(t->model);
    t->model = NULL;
}

/* UpdateSubresource of pattern `seed` into region r of (level, slice),
 * with a D3D11_BOX, or with none when r is the whole subresource and
 * `use_box` is false; pitches are never tight. */
static void update_region(ID3D11DeviceContext *context, struct texture *t, uint32_t seed, UINT level, UINT slice,
                          const struct region *r, bool use_box)
{
    D3D11_BOX box = box_of(t, r);
    struct host_block b;

    block_alloc(&b, t, r, 5, 2);
    block_fill(t, &b, seed, level, r);
    ID3D11DeviceContext_UpdateSubresource(context, t->resource, D3D11CalcSubresource(level, slice, t->levels),
                                          use_box ? &box : NULL, b.data, (UINT)b.row_pitch, (UINT)b.plane_pitch);
    free(b.data);
}

/* ---- sharing and importing --------------------------------------------- */

static UINT share_misc(enum share_kind share)
{
    return share == SHARE_KMT ? D3D11_RESOURCE_MISC_SHARED : SHARED_NT;
}

/* A resource exported one way. DXGI gives a resource one NT handle
 * (CreateSharedHandle runs once per resource), so a test that imports
 * several times shares once and imports from the same share. */
struct share {
    enum share_kind kind;
    HANDLE handle;
    WCHAR name[64];
};

static void share_resource(struct share *s, void *resource, enum share_kind kind)
{
    static unsigned name_counter;

    memset(s, 0, sizeof(*s));
    s->kind = kind;
    switch (kind) {
    case SHARE_NT:
        s->handle = xm_test_nt_handle(resource, RW, NULL);
        break;
    case SHARE_NAMED:
        swprintf(s->name, sizeof(s->name) / sizeof(s->name[0]), L"Local\\extmem-test-data-%u", name_counter++);
        s->handle = xm_test_nt_handle(resource, RW, s->name);
        break;
    case SHARE_KMT:
        s->handle = xm_test_kmt_handle(resource);
        break;
    }
    XM_ASSERT_NOT_NULL(s->handle);
}

/* Imports in the seed's way: by name for a named share, else by handle. */
static cudaExternalMemory_t import_shared(const struct share *s, unsigned long long size)
{
    cudaExternalMemory_t ext = NULL;

    if (s->kind == SHARE_KMT)
        XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, s->handle, NULL, size),
                       cudaSuccess);
    else if (s->kind == SHARE_NAMED)
        XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, NULL, s->name, size),
                       cudaSuccess);
    else
        XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, s->handle, NULL, size),
                       cudaSuccess);
    XM_ASSERT_NOT_NULL(ext);
    return ext;
}

/* NT handles are closed; a KMT value is no handle to close. */
static void close_share(struct share *s)
{
    if (s->kind != SHARE_KMT)
        XM_ASSERT(CloseHandle(s->handle));
    s->handle = NULL;
}

/* Shares, imports with `size` and closes the handle right away, as the
 * seed does: the import holds its own reference. */
static cudaExternalMemory_t share_and_import(void *resource, enum share_kind share, unsigned long long size)
{
    cudaExternalMemory_t ext;
    struct share s;

    share_resource(&s, resource, share);
    ext = import_shared(&s, size);
    close_share(&s);
    return ext;
}

static unsigned long long allocation_size(void *resource)
{
    UINT64 size = 0;

    XM_ASSERT_HR(extmemGetResourceAllocationSize((ID3D11Resource *)resource, &size), S_OK);
    return size;
}

static unsigned long long packed_size(void *resource)
{
    UINT64 size = 0;

    XM_ASSERT_HR(extmemGetResourcePackedSize((ID3D11Resource *)resource, &size), S_OK);
    return size;
}

/* The extent and array flags of CUDA's conventions for t's shape. */
static void cuda_shape(const struct texture *t, struct cudaExtent *extent, unsigned int *flags)
{
    *flags = 0;
    if (is_3d(t)) {
        *extent = make_cudaExtent(t->width, t->height, t->depth);
    } else if (t->cube) {
        *extent = make_cudaExtent(t->width, t->width, t->array_size);
        *flags = cudaArrayCubemap | (is_layered(t) ? cudaArrayLayered : 0);
    } else {
        *extent = make_cudaExtent(t->width, t->dimension == D3D11_RESOURCE_DIMENSION_TEXTURE1D ? 0 : t->height,
                                  is_layered(t) ? t->array_size : 0);
        *flags = is_layered(t) ? cudaArrayLayered : 0;
    }
}

static cudaMipmappedArray_t map_mipmapped(const struct texture *t, cudaExternalMemory_t ext)
{
    cudaExternalMemoryMipmappedArrayDesc desc;
    cudaMipmappedArray_t mipmap = NULL;

    memset(&desc, 0, sizeof(desc));
    desc.offset = 0;
    desc.formatDesc = t->fmt->channel;
    cuda_shape(t, &desc.extent, &desc.flags);
    desc.numLevels = t->levels;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedMipmappedArray(&mipmap, ext, &desc), cudaSuccess);
    XM_ASSERT_NOT_NULL(mipmap);
    return mipmap;
}

static cudaArray_t get_level(const struct texture *t, cudaMipmappedArray_t mipmap, UINT level)
{
    struct cudaChannelFormatDesc format;
    struct cudaExtent extent, want;
    unsigned int flags, want_flags;
    cudaArray_t array = NULL;

    XM_ASSERT_CUDA(cudaGetMipmappedArrayLevel(&array, mipmap, level), cudaSuccess);
    XM_ASSERT_NOT_NULL(array);
    /* A level array has the mipmapped array's shape at that level. */
    XM_ASSERT_CUDA(cudaArrayGetInfo(&format, &extent, &flags, array), cudaSuccess);
    cuda_shape(t, &want, &want_flags);
    XM_ASSERT_EQ(format.x, t->fmt->channel.x);
    XM_ASSERT_EQ(format.y, t->fmt->channel.y);
    XM_ASSERT_EQ(format.z, t->fmt->channel.z);
    XM_ASSERT_EQ(format.w, t->fmt->channel.w);
    XM_ASSERT_EQ(format.f, t->fmt->channel.f);
    XM_ASSERT_EQ(extent.width, level_width(t, level));
    XM_ASSERT_EQ(extent.height, want.height ? level_height(t, level) : 0);
    XM_ASSERT_EQ(extent.depth, want.depth ? level_planes(t, level) : 0);
    XM_ASSERT_EQ(flags & (cudaArrayLayered | cudaArrayCubemap), want_flags);
    return array;
}

/* ---- reading and writing through CUDA ---------------------------------- */

/* Reads region r of a level array into a padded host block with
 * cudaMemcpy3D and compares it with the model. */
static void check_region_memcpy3d(const struct texture *t, cudaArray_t array, UINT level, const struct region *r)
{
    struct cudaMemcpy3DParms copy;
    struct host_block b;

    block_alloc(&b, t, r, 7, 3);
    memset(&copy, 0, sizeof(copy));
    copy.srcArray = array;
    copy.srcPos = make_cudaPos(r->x, r->y, r->p);
    copy.dstPtr = make_cudaPitchedPtr(b.data, b.row_pitch, (size_t)r->width * t->fmt->texel_size, b.rows);
    copy.extent = make_cudaExtent(r->width, r->height, r->planes);
    copy.kind = cudaMemcpyDeviceToHost;
    XM_ASSERT_CUDA(cudaMemcpy3D(&copy), cudaSuccess);
    compare_region(t, level, r, b.data, b.row_pitch, b.plane_pitch, "cudaMemcpy3D array -> host");
    free(b.data);
}

/* The same with cudaMemcpy2DFromArray, for arrays that are one plane. */
static void check_region_memcpy2d(const struct texture *t, cudaArray_t array, UINT level, const struct region *r)
{
    size_t texel = t->fmt->texel_size;
    struct host_block b;

    block_alloc(&b, t, r, 9, 0);
    XM_ASSERT_CUDA(cudaMemcpy2DFromArray(b.data, b.row_pitch, array, r->x * texel, r->y, r->width * texel,
                                         r->height, cudaMemcpyDeviceToHost),
                   cudaSuccess);
    compare_region(t, level, r, b.data, b.row_pitch, b.plane_pitch, "cudaMemcpy2DFromArray");
    free(b.data);
}

/* Maps the import as a mipmapped array and compares every texel of every
 * level with the model. */
static void check_texture_via_cuda(const struct texture *t, cudaExternalMemory_t ext)
{
    cudaMipmappedArray_t mipmap = map_mipmapped(t, ext);

    for (UINT level = 0; level < t->levels; level++) {
        cudaArray_t array = get_level(t, mipmap, level);
        struct region r = whole_level(t, level);

        check_region_memcpy3d(t, array, level, &r);
        if (is_plain(t)) {
            check_region_memcpy2d(t, array, level, &r);
            r = inner_region(t, level, 0);
            check_region_memcpy2d(t, array, level, &r);
        } else {
            r = inner_region(t, level, level_planes(t, level) - 1);
            check_region_memcpy3d(t, array, level, &r);
        }
    }
    XM_ASSERT_CUDA(cudaFreeMipmappedArray(mipmap), cudaSuccess);
}

/* Writes pattern `seed` into region r of a level through CUDA: with
 * cudaMemcpy2DToArray (one plane only) or cudaMemcpy3D host -> array. */
static void cuda_write_region(struct texture *t, cudaArray_t array, uint32_t seed, UINT level,
                              const struct region *r, bool use_2d)
{
    size_t texel = t->fmt->texel_size;
    struct host_block b;

    block_alloc(&b, t, r, 11, 1);
    block_fill(t, &b, seed, level, r);
    if (use_2d) {
        XM_ASSERT(r->p == 0 && r->planes == 1);
        XM_ASSERT_CUDA(cudaMemcpy2DToArray(array, r->x * texel, r->y, b.data, b.row_pitch, r->width * texel,
                                           r->height, cudaMemcpyHostToDevice),
                       cudaSuccess);
    } else {
        struct cudaMemcpy3DParms copy;

        memset(&copy, 0, sizeof(copy));
        copy.srcPtr = make_cudaPitchedPtr(b.data, b.row_pitch, r->width * texel, b.rows);
        copy.dstArray = array;
        copy.dstPos = make_cudaPos(r->x, r->y, r->p);
        copy.extent = make_cudaExtent(r->width, r->height, r->planes);
        copy.kind = cudaMemcpyHostToDevice;
        XM_ASSERT_CUDA(cudaMemcpy3D(&copy), cudaSuccess);
    }
    free(b.data);
}

/* ---- reading through D3D11 --------------------------------------------- */

/* CopyResource into a STAGING twin, then Map every subresource and compare
 * every texel with the model. */
static void check_texture_via_d3d11(ID3D11Device1 *device, ID3D11DeviceContext *context, const struct texture *t)
{
    ID3D11Resource *staging = create_resource(device, t, D3D11_USAGE_STAGING, 0, NULL);

    ID3D11DeviceContext_CopyResource(context, staging, t->resource);
    for (UINT slice = 0; slice < (is_3d(t) ? 1 : t->array_size); slice++)
        for (UINT level = 0; level < t->levels; level++) {
            UINT index = D3D11CalcSubresource(level, slice, t->levels);
            struct region r = whole_subresource(t, level, slice);
            D3D11_MAPPED_SUBRESOURCE mapped;

            XM_ASSERT_HR(ID3D11DeviceContext_Map(context, staging, index, D3D11_MAP_READ, 0, &mapped), S_OK);
            compare_region(t, level, &r, mapped.pData, mapped.RowPitch, mapped.DepthPitch,
                           "CopyResource into STAGING, Map");
            ID3D11DeviceContext_Unmap(context, staging, index);
        }
    ID3D11Resource_Release(staging);
}

/* CopySubresourceRegion of box r of (level, slice) to the origin of the
 * same subresource of a STAGING twin; Map it and compare the box. */
static void check_box_via_d3d11(ID3D11Device1 *device, ID3D11DeviceContext *context, const struct texture *t,
                                UINT level, UINT slice, const struct region *r)
{
    ID3D11Resource *staging = create_resource(device, t, D3D11_USAGE_STAGING, 0, NULL);
    UINT index = D3D11CalcSubresource(level, slice, t->levels);
    D3D11_BOX box = box_of(t, r);
    D3D11_MAPPED_SUBRESOURCE mapped;

    ID3D11DeviceContext_CopySubresourceRegion(context, staging, index, 0, 0, 0, t->resource, index, &box);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, staging, index, D3D11_MAP_READ, 0, &mapped), S_OK);
    compare_region(t, level, r, mapped.pData, mapped.RowPitch, mapped.DepthPitch,
                   "CopySubresourceRegion (box) into STAGING, Map");
    ID3D11DeviceContext_Unmap(context, staging, index);
    ID3D11Resource_Release(staging);
}

/* ---- (a) D3D11 -> CUDA -------------------------------------------------- */

/* Initial data, then UpdateSubresource into every subresource -- whole
 * ones without a box, the middle of the others with a box -- then share,
 * import with the packed size, and read every level through CUDA. */
static void d3d11_to_cuda(struct texture *t, enum share_kind share)
{
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    cudaExternalMemory_t ext;
    uint32_t seed = 100;

    xm_test_census(&before);
    device = xm_test_device(&context);
    texture_init(t);
    texture_create(device, t, share_misc(share), 1);
    for (UINT slice = 0; slice < (is_3d(t) ? 1 : t->array_size); slice++)
        for (UINT level = 0; level < t->levels; level++) {
            bool whole = (level + slice) % 2 == 0;
            struct region r = whole ? whole_subresource(t, level, slice) : inner_region(t, level, slice);

            /* Whole subresources alternate between no box and a full box. */
            update_region(context, t, seed++, level, slice, &r, !whole || slice % 2 == 1);
        }
    ext = share_and_import(t->resource, share, t->size);
    check_texture_via_cuda(t, ext);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    texture_release(t);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

XM_TEST(test_texture1d_full_chain_r8_reads_back_in_cuda)
{
    struct texture t = TEX1D(R8_UNORM, 37, 0, 1);

    d3d11_to_cuda(&t, SHARE_NT);
}

XM_TEST(test_texture1d_array_r32_float_reads_back_in_cuda)
{
    struct texture t = TEX1D(R32_FLOAT, 64, 3, 5);

    d3d11_to_cuda(&t, SHARE_KMT);
}

XM_TEST(test_texture2d_full_chain_rgba8_reads_back_in_cuda)
{
    struct texture t = TEX2D(R8G8B8A8_UNORM, 64, 32, 0, 1);

    d3d11_to_cuda(&t, SHARE_NAMED);
}

XM_TEST(test_texture2d_partial_chain_bgra8_odd_size_reads_back_in_cuda)
{
    struct texture t = TEX2D(B8G8R8A8_UNORM, 37, 19, 3, 1);

    d3d11_to_cuda(&t, SHARE_NT);
}

XM_TEST(test_texture2d_array_r16g16_float_reads_back_in_cuda)
{
    struct texture t = TEX2D(R16G16_FLOAT, 32, 16, 2, 4);

    d3d11_to_cuda(&t, SHARE_KMT);
}

XM_TEST(test_texture2d_array_single_level_r32g32b32a32_reads_back_in_cuda)
{
    struct texture t = TEX2D(R32G32B32A32_UINT, 9, 7, 1, 3);

    d3d11_to_cuda(&t, SHARE_NAMED);
}

XM_TEST(test_texture_cube_full_chain_r32g32b32a32_reads_back_in_cuda)
{
    struct texture t = CUBE(R32G32B32A32_UINT, 16, 0, 1);

    d3d11_to_cuda(&t, SHARE_NT);
}

XM_TEST(test_texture_cube_array_r8_reads_back_in_cuda)
{
    struct texture t = CUBE(R8_UNORM, 8, 2, 2);

    d3d11_to_cuda(&t, SHARE_NAMED);
}

XM_TEST(test_texture3d_full_chain_r32_float_reads_back_in_cuda)
{
    struct texture t = TEX3D(R32_FLOAT, 16, 8, 5, 0);

    d3d11_to_cuda(&t, SHARE_NAMED);
}

XM_TEST(test_texture3d_partial_chain_bgra8_reads_back_in_cuda)
{
    struct texture t = TEX3D(B8G8R8A8_UNORM, 12, 10, 7, 2);

    d3d11_to_cuda(&t, SHARE_KMT);
}

/* Initial data alone (no update): what creation writes is what CUDA reads,
 * whatever pitches the initial data had. */
XM_TEST(test_initial_data_reads_back_in_cuda)
{
    struct texture shapes[] = {
        TEX2D(R16G16_FLOAT, 20, 12, 0, 3),
        TEX3D(R8G8B8A8_UNORM, 8, 6, 4, 0),
        TEX1D(R32G32B32A32_UINT, 10, 2, 2),
    };
    struct xm_test_census before;
    ID3D11Device1 *device;

    xm_test_census(&before);
    device = xm_test_device(NULL);
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        struct texture *t = &shapes[i];
        cudaExternalMemory_t ext;

        texture_init(t);
        texture_create(device, t, share_misc((enum share_kind)(i % 3)), 7 + (uint32_t)i);
        ext = share_and_import(t->resource, (enum share_kind)(i % 3), t->size);
        check_texture_via_cuda(t, ext);
        XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
        texture_release(t);
    }
    ID3D11Device1_Release(device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

/* UpdateSubresource with boxes at the edges of a 3D texture: one texel
 * (the last), one row, one column through every depth slice, and one whole
 * depth slice of a smaller level. */
XM_TEST(test_update_subresource_small_boxes_read_back_in_cuda)
{
    struct texture t = TEX3D(R16G16_FLOAT, 9, 7, 5, 2);
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    cudaExternalMemory_t ext;

    xm_test_census(&before);
    device = xm_test_device(&context);
    texture_init(&t);
    texture_create(device, &t, SHARED_NT, 3);
    {
        struct region texel = {8, 6, 4, 1, 1, 1};
        struct region row = {0, 3, 2, 9, 1, 1};
        struct region column = {4, 0, 0, 1, 7, 5};
        struct region plane = {0, 0, 1, 4, 3, 1}; /* all of level 1's second slice */

        update_region(context, &t, 50, 0, 0, &texel, true);
        update_region(context, &t, 51, 0, 0, &row, true);
        update_region(context, &t, 52, 0, 0, &column, true);
        update_region(context, &t, 53, 1, 0, &plane, true);
    }
    ext = share_and_import(t.resource, SHARE_NT, allocation_size(t.resource));
    check_texture_via_cuda(&t, ext);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    texture_release(&t);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

/* ---- buffers ------------------------------------------------------------ */

static void buffer_pattern(uint8_t *data, size_t offset, size_t size, uint32_t seed)
{
    for (size_t i = 0; i < size; i++)
        data[i] = pattern_byte(seed, 0, 0, (UINT)(offset + i), 0, 0);
}

/* Maps [offset, offset + size) of an import and compares it with model. */
static void check_buffer_range(cudaExternalMemory_t ext, const uint8_t *model, size_t offset, size_t size)
{
    cudaExternalMemoryBufferDesc desc;
    uint8_t *mapped = NULL, *copy = malloc(size);

    XM_ASSERT_NOT_NULL(copy);
    memset(&desc, 0, sizeof(desc));
    desc.offset = offset;
    desc.size = size;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&mapped, ext, &desc), cudaSuccess);
    XM_ASSERT_NOT_NULL(mapped);
    XM_ASSERT_CUDA(cudaMemcpy(copy, mapped, size, cudaMemcpyDeviceToHost), cudaSuccess);
    for (size_t i = 0; i < size; i++)
        XM_ASSERT_MSG(copy[i] == model[offset + i], "buffer mapped at offset %zu: first mismatch at byte %zu "
                      "(x %zu): got 0x%02x, want 0x%02x", offset, i, offset + i, copy[i], model[offset + i]);
    XM_ASSERT_CUDA(cudaFree(mapped), cudaSuccess);
    free(copy);
}

static ID3D11Buffer *staging_buffer(ID3D11Device1 *device, UINT size)
{
    D3D11_BUFFER_DESC desc = {size, D3D11_USAGE_STAGING, 0, D3D11_CPU_ACCESS_READ, 0, 0};
    ID3D11Buffer *buffer = NULL;

    XM_ASSERT_HR(ID3D11Device1_CreateBuffer(device, &desc, NULL, &buffer), S_OK);
    return buffer;
}

XM_TEST(test_buffer_data_reads_back_in_cuda_at_offsets)
{
    enum { SIZE = 4099 };
    static const struct { size_t offset, size; } ranges[] = {
        {0, SIZE}, {1, 17}, {100, 1000}, {1099, 1}, {4096, 3}, {2048, SIZE - 2048},
    };
    static uint8_t model[SIZE], update[1000 + 16];
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer;
    cudaExternalMemory_t ext;
    D3D11_BOX box = {100, 0, 0, 1100, 1, 1};
    struct share share;

    xm_test_census(&before);
    device = xm_test_device(&context);
    buffer_pattern(model, 0, SIZE, 1);
    buffer = xm_test_buffer(device, SIZE, SHARED_NT, model);
    /* D3D11 boxes of buffers are in bytes. */
    buffer_pattern(update, 100, 1000, 2);
    memcpy(model + 100, update, 1000);
    ID3D11DeviceContext_UpdateSubresource(context, (ID3D11Resource *)buffer, 0, &box, update, 0, 0);

    share_resource(&share, buffer, SHARE_NAMED);
    ext = import_shared(&share, SIZE);
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        check_buffer_range(ext, model, ranges[i].offset, ranges[i].size);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);

    /* A whole-buffer update without a box, seen through a second import,
     * by the handle this time. */
    buffer_pattern(model, 0, SIZE, 3);
    ID3D11DeviceContext_UpdateSubresource(context, (ID3D11Resource *)buffer, 0, NULL, model, 0, 0);
    share.kind = SHARE_NT;
    ext = import_shared(&share, SIZE);
    close_share(&share);
    check_buffer_range(ext, model, 0, SIZE);
    check_buffer_range(ext, model, 333, 3000);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);

    ID3D11Buffer_Release(buffer);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

/* ---- (b) CUDA -> D3D11 -------------------------------------------------- */

/* Initial data, then CUDA writes whole levels and regions of levels (one
 * plane with cudaMemcpy2DToArray where the level is one plane, every
 * plane with cudaMemcpy3D), then D3D11 copies into STAGING and Maps. */
static void cuda_to_d3d11(struct texture *t, enum share_kind share, bool import_allocation_size)
{
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    cudaExternalMemory_t ext;
    cudaMipmappedArray_t mipmap;
    uint32_t seed = 300;
    UINT last;

    xm_test_census(&before);
    device = xm_test_device(&context);
    texture_init(t);
    texture_create(device, t, share_misc(share), 1);
    ext = share_and_import(t->resource, share, import_allocation_size ? allocation_size(t->resource) : t->size);
    mipmap = map_mipmapped(t, ext);
    /* The mapping outlives the import. */
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    for (UINT level = 0; level < t->levels; level++) {
        cudaArray_t array = get_level(t, mipmap, level);
        bool use_2d = is_plain(t) && level % 2 == 0;
        struct region r = level % 3 == 1 ? inner_region(t, level, level_planes(t, level) / 2)
                                         : whole_level(t, level);

        cuda_write_region(t, array, seed++, level, &r, use_2d);
        /* And a second, overlapping region on top through the other call. */
        r = inner_region(t, level, 0);
        cuda_write_region(t, array, seed++, level, &r, is_plain(t) && !use_2d);
    }
    XM_ASSERT_CUDA(cudaDeviceSynchronize(), cudaSuccess);
    XM_ASSERT_CUDA(cudaFreeMipmappedArray(mipmap), cudaSuccess);

    check_texture_via_d3d11(device, context, t);
    last = is_3d(t) ? 0 : t->array_size - 1;
    for (UINT level = 0; level < t->levels; level++) {
        struct region r = inner_region(t, level, last);

        check_box_via_d3d11(device, context, t, level, last, &r);
    }
    texture_release(t);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

XM_TEST(test_cuda_writes_texture1d_r8_seen_by_d3d11)
{
    struct texture t = TEX1D(R8_UNORM, 50, 0, 1);

    cuda_to_d3d11(&t, SHARE_KMT, false);
}

XM_TEST(test_cuda_writes_texture1d_array_r16g16_float_seen_by_d3d11)
{
    struct texture t = TEX1D(R16G16_FLOAT, 40, 3, 3);

    cuda_to_d3d11(&t, SHARE_NT, true);
}

XM_TEST(test_cuda_writes_texture2d_full_chain_rgba8_seen_by_d3d11)
{
    struct texture t = TEX2D(R8G8B8A8_UNORM, 48, 40, 0, 1);

    cuda_to_d3d11(&t, SHARE_NAMED, false);
}

XM_TEST(test_cuda_writes_texture2d_partial_chain_bgra8_seen_by_d3d11)
{
    struct texture t = TEX2D(B8G8R8A8_UNORM, 33, 17, 4, 1);

    cuda_to_d3d11(&t, SHARE_NT, true);
}

XM_TEST(test_cuda_writes_texture2d_array_r32_float_seen_by_d3d11)
{
    struct texture t = TEX2D(R32_FLOAT, 24, 20, 3, 4);

    cuda_to_d3d11(&t, SHARE_KMT, true);
}

XM_TEST(test_cuda_writes_texture_cube_rgba8_seen_by_d3d11)
{
    struct texture t = CUBE(R8G8B8A8_UNORM, 16, 0, 1);

    cuda_to_d3d11(&t, SHARE_NAMED, false);
}

XM_TEST(test_cuda_writes_texture3d_r32g32b32a32_seen_by_d3d11)
{
    struct texture t = TEX3D(R32G32B32A32_UINT, 10, 8, 6, 0);

    cuda_to_d3d11(&t, SHARE_NT, false);
}

XM_TEST(test_cuda_writes_buffer_seen_by_d3d11)
{
    enum { SIZE = 4096 };
    static uint8_t model[SIZE], source[600];
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer, *staging;
    cudaExternalMemory_t ext;
    cudaExternalMemoryBufferDesc desc;
    uint8_t *whole = NULL, *upper = NULL;
    D3D11_MAPPED_SUBRESOURCE mapped;
    D3D11_BOX box = {150, 0, 0, 750, 1, 1};

    xm_test_census(&before);
    device = xm_test_device(&context);
    buffer_pattern(model, 0, SIZE, 1);
    buffer = xm_test_buffer(device, SIZE, SHARED_NT, model);
    ext = share_and_import(buffer, SHARE_NT, SIZE);

    memset(&desc, 0, sizeof(desc));
    desc.size = SIZE;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&whole, ext, &desc), cudaSuccess);
    desc.offset = 2048;
    desc.size = 1024;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&upper, ext, &desc), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);

    buffer_pattern(source, 0, sizeof(source), 2);
    XM_ASSERT_CUDA(cudaMemcpy(whole + 100, source, sizeof(source), cudaMemcpyHostToDevice), cudaSuccess);
    memcpy(model + 100, source, sizeof(source));
    XM_ASSERT_CUDA(cudaMemset(upper + 10, 0x5A, 300), cudaSuccess);
    memset(model + 2048 + 10, 0x5A, 300);
    XM_ASSERT_CUDA(cudaMemcpy(whole + 3500, whole + 120, 64, cudaMemcpyDeviceToDevice), cudaSuccess);
    memcpy(model + 3500, model + 120, 64);
    /* The last byte of the upper mapping is the buffer's 3072nd. */
    XM_ASSERT_CUDA(cudaMemset(upper + 1023, 0xC3, 1), cudaSuccess);
    model[2048 + 1023] = 0xC3;
    XM_ASSERT_CUDA(cudaDeviceSynchronize(), cudaSuccess);
    XM_ASSERT_CUDA(cudaFree(whole), cudaSuccess);
    XM_ASSERT_CUDA(cudaFree(upper), cudaSuccess);

    staging = staging_buffer(device, SIZE);
    ID3D11DeviceContext_CopyResource(context, (ID3D11Resource *)staging, (ID3D11Resource *)buffer);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging, 0, D3D11_MAP_READ, 0, &mapped), S_OK);
    for (size_t i = 0; i < SIZE; i++)
        XM_ASSERT_MSG(((uint8_t *)mapped.pData)[i] == model[i], "CopyResource into STAGING: first mismatch at byte "
                      "x %zu: got 0x%02x, want 0x%02x", i, ((uint8_t *)mapped.pData)[i], model[i]);
    ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)staging, 0);
    ID3D11Buffer_Release(staging);

    staging = staging_buffer(device, SIZE);
    ID3D11DeviceContext_CopySubresourceRegion(context, (ID3D11Resource *)staging, 0, 7, 0, 0,
                                              (ID3D11Resource *)buffer, 0, &box);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging, 0, D3D11_MAP_READ, 0, &mapped), S_OK);
    for (size_t i = 0; i < box.right - box.left; i++)
        XM_ASSERT_MSG(((uint8_t *)mapped.pData)[7 + i] == model[box.left + i], "CopySubresourceRegion into "
                      "STAGING: first mismatch at byte x %zu: got 0x%02x, want 0x%02x", 7 + i,
                      ((uint8_t *)mapped.pData)[7 + i], model[box.left + i]);
    ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)staging, 0);
    ID3D11Buffer_Release(staging);

    ID3D11Buffer_Release(buffer);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

/* ---- (c) the size rule -------------------------------------------------- */

/* Importing a texture with its packed size or with its allocation size
 * maps the whole resource: every level of every slice reads back. */
static void import_sizes_map_whole_texture(struct texture *t)
{
    struct xm_test_census before;
    ID3D11Device1 *device;
    cudaExternalMemory_t ext;
    unsigned long long allocated;
    struct share share;

    xm_test_census(&before);
    device = xm_test_device(NULL);
    texture_init(t);
    texture_create(device, t, SHARED_NT, 9);
    XM_ASSERT_EQ(packed_size(t->resource), t->size);
    allocated = allocation_size(t->resource);
    XM_ASSERT(allocated >= t->size);

    /* One share, three imports: by name, by handle, and one too large. */
    share_resource(&share, t->resource, SHARE_NAMED);
    ext = import_shared(&share, t->size);
    check_texture_via_cuda(t, ext);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);

    share.kind = SHARE_NT;
    ext = import_shared(&share, allocated);
    check_texture_via_cuda(t, ext);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);

    /* One byte more than there is memory is no size for this resource. */
    ext = NULL;
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, share.handle, NULL, allocated + 1),
                   cudaErrorInvalidValue);
    XM_ASSERT_NULL(ext);
    close_share(&share);
    texture_release(t);
    ID3D11Device1_Release(device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

XM_TEST(test_texture2d_array_import_with_packed_or_allocation_size_maps_whole_texture)
{
    struct texture t = TEX2D(R8G8B8A8_UNORM, 256, 128, 3, 2);

    import_sizes_map_whole_texture(&t);
}

XM_TEST(test_texture3d_import_with_packed_or_allocation_size_maps_whole_texture)
{
    struct texture t = TEX3D(R32_FLOAT, 17, 9, 6, 0);

    import_sizes_map_whole_texture(&t);
}

XM_TEST(test_buffer_import_smaller_than_byte_width_maps_all_of_it)
{
    enum { SIZE = 1000 };
    static uint8_t model[SIZE];
    struct xm_test_census before;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer;
    cudaExternalMemory_t ext;
    cudaExternalMemoryBufferDesc desc;
    void *mapped = (void *)(uintptr_t)1;

    xm_test_census(&before);
    device = xm_test_device(NULL);
    buffer_pattern(model, 0, SIZE, 4);
    buffer = xm_test_buffer(device, SIZE, D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX, model);
    XM_ASSERT_EQ(packed_size(buffer), SIZE);

    /* The mappable extent is max(size passed, ByteWidth). */
    ext = share_and_import(buffer, SHARE_KMT, 100);
    check_buffer_range(ext, model, 0, SIZE);
    check_buffer_range(ext, model, 900, 100);
    check_buffer_range(ext, model, 50, 900);
    memset(&desc, 0, sizeof(desc));
    desc.offset = 1;
    desc.size = SIZE;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer(&mapped, ext, &desc), cudaErrorInvalidValue);
    XM_ASSERT_PTR_EQ(mapped, (void *)(uintptr_t)1);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);

    /* With the allocation size, ByteWidth is mappable as well. */
    ext = share_and_import(buffer, SHARE_KMT, allocation_size(buffer));
    check_buffer_range(ext, model, 0, SIZE);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);

    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

/* ---- (d) copies between shared textures --------------------------------- */

/* CopySubresourceRegion of boxes of src into dst (both shared, with their
 * own initial data), then dst read through CUDA. Each copy is
 * {src level, src slice, box (in src planes for 3D), dst level, dst slice,
 * dst x, y, z}. */
struct box_copy {
    UINT src_level, src_slice;
    struct region box;
    UINT dst_level, dst_slice, x, y, z;
};

static void copy_between_shared(struct texture *src, struct texture *dst, const struct box_copy *copies,
                                size_t count)
{
    struct xm_test_census before;
    ID3D11DeviceContext *context = NULL;
    ID3D11Device1 *device;
    cudaExternalMemory_t ext;

    xm_test_census(&before);
    device = xm_test_device(&context);
    texture_init(src);
    texture_init(dst);
    texture_create(device, src, SHARED_NT, 21);
    texture_create(device, dst, D3D11_RESOURCE_MISC_SHARED, 22);
    for (size_t i = 0; i < count; i++) {
        const struct box_copy *c = &copies[i];
        struct region box = c->box;
        D3D11_BOX d3d_box;

        if (!is_3d(src))
            box.p = c->src_slice;
        d3d_box = box_of(src, &box);
        ID3D11DeviceContext_CopySubresourceRegion(context, dst->resource,
                                                  D3D11CalcSubresource(c->dst_level, c->dst_slice, dst->levels),
                                                  c->x, c->y, c->z, src->resource,
                                                  D3D11CalcSubresource(c->src_level, c->src_slice, src->levels),
                                                  &d3d_box);
        model_copy(dst, c->dst_level, c->x, c->y, is_3d(dst) ? c->z : c->dst_slice, src, c->src_level, &box);
    }
    ext = share_and_import(dst->resource, SHARE_KMT, dst->size);
    check_texture_via_cuda(dst, ext);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    /* The source is untouched. */
    ext = share_and_import(src->resource, SHARE_NT, src->size);
    check_texture_via_cuda(src, ext);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    texture_release(src);
    texture_release(dst);
    ID3D11DeviceContext_Release(context);
    ID3D11Device1_Release(device);
    XM_ASSERT_NOTHING_LEAKED(before);
}

XM_TEST(test_copy_subresource_region_between_shared_2d_arrays_seen_by_cuda)
{
    struct texture src = TEX2D(R8G8B8A8_UNORM, 32, 32, 3, 2);
    struct texture dst = TEX2D(R8G8B8A8_UNORM, 24, 20, 2, 3);
    static const struct box_copy copies[] = {
        {0, 1, {4, 6, 0, 16, 12, 1}, 0, 2, 5, 3, 0},
        {1, 0, {2, 3, 0, 8, 6, 1}, 1, 0, 4, 4, 0},
        {2, 1, {0, 0, 0, 8, 8, 1}, 0, 0, 16, 12, 0}, /* a whole small level into a corner */
    };

    copy_between_shared(&src, &dst, copies, sizeof(copies) / sizeof(copies[0]));
}

XM_TEST(test_copy_subresource_region_between_shared_3d_textures_seen_by_cuda)
{
    struct texture src = TEX3D(R32_FLOAT, 16, 16, 8, 2);
    struct texture dst = TEX3D(R32_FLOAT, 8, 8, 4, 0);
    static const struct box_copy copies[] = {
        {0, 0, {3, 2, 1, 6, 5, 3}, 0, 0, 1, 2, 0},
        {1, 0, {0, 0, 0, 8, 8, 4}, 0, 0, 0, 0, 0}, /* then overwritten in part below */
        {0, 0, {15, 15, 7, 1, 1, 1}, 0, 0, 7, 7, 3},
        {1, 0, {5, 1, 2, 2, 3, 2}, 1, 0, 2, 1, 0},
    };

    copy_between_shared(&src, &dst, copies, sizeof(copies) / sizeof(copies[0]));
}

XM_TEST(test_copy_subresource_region_into_cube_face_seen_by_cuda)
{
    struct texture src = TEX2D(R16G16_FLOAT, 8, 8, 1, 1);
    struct texture dst = CUBE(R16G16_FLOAT, 8, 2, 1);
    static const struct box_copy copies[] = {
        {0, 0, {0, 0, 0, 8, 8, 1}, 0, 4, 0, 0, 0},
        {0, 0, {2, 2, 0, 3, 3, 1}, 1, 5, 0, 1, 0},
    };

    copy_between_shared(&src, &dst, copies, sizeof(copies) / sizeof(copies[0]));
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_texture1d_full_chain_r8_reads_back_in_cuda)
    XM_TEST_ENTRY(test_texture1d_array_r32_float_reads_back_in_cuda)
    XM_TEST_ENTRY(test_texture2d_full_chain_rgba8_reads_back_in_cuda)
    XM_TEST_ENTRY(test_texture2d_partial_chain_bgra8_odd_size_reads_back_in_cuda)
    XM_TEST_ENTRY(test_texture2d_array_r16g16_float_reads_back_in_cuda)
    XM_TEST_ENTRY(test_texture2d_array_single_level_r32g32b32a32_reads_back_in_cuda)
    XM_TEST_ENTRY(test_texture_cube_full_chain_r32g32b32a32_reads_back_in_cuda)
    XM_TEST_ENTRY(test_texture_cube_array_r8_reads_back_in_cuda)
    XM_TEST_ENTRY(test_texture3d_full_chain_r32_float_reads_back_in_cuda)
    XM_TEST_ENTRY(test_texture3d_partial_chain_bgra8_reads_back_in_cuda)
    XM_TEST_ENTRY(test_initial_data_reads_back_in_cuda)
    XM_TEST_ENTRY(test_update_subresource_small_boxes_read_back_in_cuda)
    XM_TEST_ENTRY(test_buffer_data_reads_back_in_cuda_at_offsets)
    XM_TEST_ENTRY(test_cuda_writes_texture1d_r8_seen_by_d3d11)
    XM_TEST_ENTRY(test_cuda_writes_texture1d_array_r16g16_float_seen_by_d3d11)
    XM_TEST_ENTRY(test_cuda_writes_texture2d_full_chain_rgba8_seen_by_d3d11)
    XM_TEST_ENTRY(test_cuda_writes_texture2d_partial_chain_bgra8_seen_by_d3d11)
    XM_TEST_ENTRY(test_cuda_writes_texture2d_array_r32_float_seen_by_d3d11)
    XM_TEST_ENTRY(test_cuda_writes_texture_cube_rgba8_seen_by_d3d11)
    XM_TEST_ENTRY(test_cuda_writes_texture3d_r32g32b32a32_seen_by_d3d11)
    XM_TEST_ENTRY(test_cuda_writes_buffer_seen_by_d3d11)
    XM_TEST_ENTRY(test_texture2d_array_import_with_packed_or_allocation_size_maps_whole_texture)
    XM_TEST_ENTRY(test_texture3d_import_with_packed_or_allocation_size_maps_whole_texture)
    XM_TEST_ENTRY(test_buffer_import_smaller_than_byte_width_maps_all_of_it)
    XM_TEST_ENTRY(test_copy_subresource_region_between_shared_2d_arrays_seen_by_cuda)
    XM_TEST_ENTRY(test_copy_subresource_region_between_shared_3d_textures_seen_by_cuda)
    XM_TEST_ENTRY(test_copy_subresource_region_into_cube_face_seen_by_cuda))
