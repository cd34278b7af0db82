/*
 * Where each subresource of a resource lives in its linear memory.
 *
 * D3D11 numbers subresources mip-first (subresource = level + slice *
 * MipLevels), but a CUDA mipmapped array is level-first: level L of a
 * layered array holds every slice of that level. extmem therefore lays a
 * texture out level by level, all slices of a level together, each slice
 * tightly packed (row pitch = width * texel size). A level is then one
 * contiguous layered block that maps directly onto a CUDA level array, and
 * the tightly packed size a user computes from the D3D11 description is the
 * layout's size.
 */
#ifndef EXTMEM_CORE_LAYOUT_H
#define EXTMEM_CORE_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include <extmem/d3d11.h>

#define XM_MAX_MIP_LEVELS 15 /* log2(16384) + 1 */

/* A D3D11 resource description, one shape for all four dimensions. */
struct xm_resource_desc {
    D3D11_RESOURCE_DIMENSION dimension;
    DXGI_FORMAT format;         /* DXGI_FORMAT_UNKNOWN for buffers */
    uint32_t width;             /* ByteWidth for buffers */
    uint32_t height;            /* 1 where the dimension has none */
    uint32_t depth;             /* 1 where the dimension has none */
    uint32_t mip_levels;        /* resolved: never 0 */
    uint32_t array_size;        /* 1 where the dimension has none */
    D3D11_USAGE usage;
    UINT bind_flags;
    UINT cpu_access_flags;
    UINT misc_flags;
    UINT structure_byte_stride; /* buffers */
};

struct xm_layout {
    uint32_t texel_size;        /* bytes per texel; 1 for buffers */
    uint32_t mip_levels;
    uint32_t array_size;
    uint64_t level_offset[XM_MAX_MIP_LEVELS];
    uint64_t slice_size[XM_MAX_MIP_LEVELS]; /* one array slice of the level */
    uint64_t size;              /* tightly packed size of the whole resource */
};

/* One subresource (or, for buffers, the whole buffer). */
struct xm_subresource {
    uint32_t level, slice;
    uint32_t width, height, depth; /* in texels (bytes for buffers) */
    uint64_t row_pitch;            /* bytes between rows */
    uint64_t depth_pitch;          /* bytes between 2D slices of a 3D level */
    uint64_t offset;               /* from the start of the resource */
    uint64_t size;                 /* depth * depth_pitch */
};

/* Number of levels in a full mip chain for the largest of the extents. */
uint32_t xm_full_mip_count(uint32_t width, uint32_t height, uint32_t depth);

/* Extent of a level: max(1, extent >> level). */
static inline uint32_t xm_level_extent(uint32_t extent, uint32_t level)
{
    uint32_t e = extent >> level;
    return e ? e : 1;
}

/* Fills layout from a validated description (format supported, levels
 * resolved). Never fails for such a description: every size fits 64 bits. */
void xm_layout_init(struct xm_layout *layout, const struct xm_resource_desc *desc);

/* Describes subresource index `subresource`; false when it is out of range. */
bool xm_layout_subresource(const struct xm_layout *layout, const struct xm_resource_desc *desc,
                           uint32_t subresource, struct xm_subresource *out);

/* Offset of texel (x, y, z) of a subresource. */
static inline uint64_t xm_subresource_texel_offset(const struct xm_layout *layout,
                                                   const struct xm_subresource *sub,
                                                   uint32_t x, uint32_t y, uint32_t z)
{
    return sub->offset + z * sub->depth_pitch + y * sub->row_pitch + (uint64_t)x * layout->texel_size;
}

/* A box resolved against a subresource: NULL means the whole subresource. */
struct xm_box {
    uint32_t left, top, front, right, bottom, back;
};

/* Resolves a D3D11 box (NULL: whole subresource); false when it does not
 * lie inside the subresource. An empty box (right <= left, ...) is valid
 * and reported by xm_box_empty. */
bool xm_box_resolve(const struct xm_subresource *sub, const D3D11_BOX *box, struct xm_box *out);

static inline bool xm_box_empty(const struct xm_box *box)
{
    return box->right <= box->left || box->bottom <= box->top || box->back <= box->front;
}

#endif
