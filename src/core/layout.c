#include "core/layout.h"

#include "core/format.h"

uint32_t xm_full_mip_count(uint32_t width, uint32_t height, uint32_t depth)
{
    uint32_t largest = width;
    uint32_t count = 1;

    if (height > largest)
        largest = height;
    if (depth > largest)
        largest = depth;
    while (largest > 1) {
        largest >>= 1;
        count++;
    }
    return count;
}

void xm_layout_init(struct xm_layout *layout, const struct xm_resource_desc *desc)
{
    uint64_t offset = 0;

    *layout = (struct xm_layout){0};
    layout->mip_levels = desc->mip_levels;
    layout->array_size = desc->array_size;
    if (desc->dimension == D3D11_RESOURCE_DIMENSION_BUFFER) {
        layout->texel_size = 1;
        layout->slice_size[0] = desc->width;
        layout->size = desc->width;
        return;
    }
    layout->texel_size = xm_format_lookup(desc->format)->texel_size;
    for (uint32_t level = 0; level < desc->mip_levels; level++) {
        uint64_t row = (uint64_t)xm_level_extent(desc->width, level) * layout->texel_size;
        uint64_t slice = row * xm_level_extent(desc->height, level) * xm_level_extent(desc->depth, level);

        layout->level_offset[level] = offset;
        layout->slice_size[level] = slice;
        offset += slice * desc->array_size;
    }
    layout->size = offset;
}

bool xm_layout_subresource(const struct xm_layout *layout, const struct xm_resource_desc *desc,
                           uint32_t subresource, struct xm_subresource *out)
{
    uint32_t level, slice;

    if (subresource >= layout->mip_levels * layout->array_size)
        return false;
    level = subresource % layout->mip_levels;
    slice = subresource / layout->mip_levels;
    out->level = level;
    out->slice = slice;
    out->width = xm_level_extent(desc->width, level);
    out->height = xm_level_extent(desc->height, level);
    out->depth = xm_level_extent(desc->depth, level);
    out->row_pitch = (uint64_t)out->width * layout->texel_size;
    out->depth_pitch = out->row_pitch * out->height;
    out->offset = layout->level_offset[level] + slice * layout->slice_size[level];
    out->size = out->depth_pitch * out->depth;
    return true;
}

bool xm_box_resolve(const struct xm_subresource *sub, const D3D11_BOX *box, struct xm_box *out)
{
    if (!box) {
        *out = (struct xm_box){0, 0, 0, sub->width, sub->height, sub->depth};
        return true;
    }
    *out = (struct xm_box){box->left, box->top, box->front, box->right, box->bottom, box->back};
    if (xm_box_empty(out))
        return true;
    return out->right <= sub->width && out->bottom <= sub->height && out->back <= sub->depth;
}
