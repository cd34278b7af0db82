/* The DXGI format table: sizes, CUDA channel formats, what is left out. */
#include "harness.h"

#include <extmem/cuda_interop.h>

#include "core/format.h"

XM_TEST(test_texel_sizes_follow_channels_and_bits)
{
    static const struct {
        DXGI_FORMAT format;
        uint32_t size;
        uint32_t channels;
    } cases[] = {
        {DXGI_FORMAT_R8_UNORM, 1, 1},
        {DXGI_FORMAT_A8_UNORM, 1, 1},
        {DXGI_FORMAT_R8G8_SNORM, 2, 2},
        {DXGI_FORMAT_R16_FLOAT, 2, 1},
        {DXGI_FORMAT_R8G8B8A8_UNORM, 4, 4},
        {DXGI_FORMAT_B8G8R8X8_UNORM, 4, 4},
        {DXGI_FORMAT_R16G16_UINT, 4, 2},
        {DXGI_FORMAT_R32_FLOAT, 4, 1},
        {DXGI_FORMAT_R16G16B16A16_FLOAT, 8, 4},
        {DXGI_FORMAT_R32G32_SINT, 8, 2},
        {DXGI_FORMAT_R32G32B32A32_FLOAT, 16, 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct xm_format_info *info = xm_format_lookup(cases[i].format);
        XM_ASSERT_MSG(info, "format %d is not in the table", (int)cases[i].format);
        XM_ASSERT_EQ(info->format, cases[i].format);
        XM_ASSERT_EQ(info->texel_size, cases[i].size);
        XM_ASSERT_EQ(info->channels, cases[i].channels);
        XM_ASSERT_EQ((info->bits[0] + info->bits[1] + info->bits[2] + info->bits[3]) / 8, info->texel_size);
    }
}

XM_TEST(test_formats_cuda_arrays_cannot_hold_are_unsupported)
{
    static const DXGI_FORMAT unsupported[] = {
        DXGI_FORMAT_UNKNOWN,
        DXGI_FORMAT_R8G8B8A8_TYPELESS,
        DXGI_FORMAT_R32_TYPELESS,
        DXGI_FORMAT_D32_FLOAT,
        DXGI_FORMAT_D24_UNORM_S8_UINT,
        DXGI_FORMAT_D16_UNORM,
        DXGI_FORMAT_R10G10B10A2_UNORM,
        DXGI_FORMAT_R11G11B10_FLOAT,
        DXGI_FORMAT_R9G9B9E5_SHAREDEXP,
        DXGI_FORMAT_B5G6R5_UNORM,
        DXGI_FORMAT_BC1_UNORM,
        DXGI_FORMAT_BC7_UNORM_SRGB,
        DXGI_FORMAT_NV12,
        DXGI_FORMAT_YUY2,
        DXGI_FORMAT_R32G32B32_FLOAT,
        DXGI_FORMAT_R32G32B32_UINT,
    };
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        XM_ASSERT_MSG(!xm_format_lookup(unsupported[i]), "%s should be unsupported",
                      xm_format_name(unsupported[i]));
    XM_ASSERT_NULL(xm_format_lookup((DXGI_FORMAT)1000));
    XM_ASSERT_NULL(xm_format_lookup((DXGI_FORMAT)-1));
}

XM_TEST(test_names_cover_supported_unsupported_and_unknown)
{
    XM_ASSERT_STR_EQ(xm_format_name(DXGI_FORMAT_R8G8B8A8_UNORM), "R8G8B8A8_UNORM");
    XM_ASSERT_STR_EQ(xm_format_name(DXGI_FORMAT_B8G8R8A8_UNORM_SRGB), "B8G8R8A8_UNORM_SRGB");
    XM_ASSERT_STR_EQ(xm_format_name(DXGI_FORMAT_BC1_UNORM), "BC1_UNORM");
    XM_ASSERT_STR_EQ(xm_format_name(DXGI_FORMAT_UNKNOWN), "UNKNOWN");
    XM_ASSERT_STR_EQ(xm_format_name((DXGI_FORMAT)1000), "unknown DXGI_FORMAT");
}

XM_TEST(test_bgra_is_four_8_bit_unsigned_channels)
{
    static const DXGI_FORMAT bgr[] = {DXGI_FORMAT_B8G8R8A8_UNORM, DXGI_FORMAT_B8G8R8X8_UNORM,
                                      DXGI_FORMAT_B8G8R8A8_UNORM_SRGB};
    for (size_t i = 0; i < sizeof(bgr) / sizeof(bgr[0]); i++) {
        const struct xm_format_info *info = xm_format_lookup(bgr[i]);
        XM_ASSERT_NOT_NULL(info);
        XM_ASSERT(info->bgra);
        XM_ASSERT_EQ(info->channels, 4);
        XM_ASSERT_EQ(info->cuda_kind, cudaChannelFormatKindUnsigned);
        XM_ASSERT_EQ(info->cuda_normalized_kind, cudaChannelFormatKindUnsignedNormalized8X4);
        XM_ASSERT(xm_format_matches_channel_desc(info, 8, 8, 8, 8, cudaChannelFormatKindUnsigned));
    }
    XM_ASSERT(!xm_format_lookup(DXGI_FORMAT_R8G8B8A8_UNORM)->bgra);
}

XM_TEST(test_srgb_is_flagged_and_keeps_its_unorm_kinds)
{
    const struct xm_format_info *srgb = xm_format_lookup(DXGI_FORMAT_R8G8B8A8_UNORM_SRGB);
    const struct xm_format_info *linear = xm_format_lookup(DXGI_FORMAT_R8G8B8A8_UNORM);
    XM_ASSERT_NOT_NULL(srgb);
    XM_ASSERT_NOT_NULL(linear);
    XM_ASSERT(srgb->srgb);
    XM_ASSERT(!linear->srgb);
    XM_ASSERT_EQ(srgb->cuda_kind, linear->cuda_kind);
    XM_ASSERT_EQ(srgb->cuda_normalized_kind, linear->cuda_normalized_kind);
}

XM_TEST(test_half_float_is_16_bit_float_kind)
{
    const struct xm_format_info *r16f = xm_format_lookup(DXGI_FORMAT_R16_FLOAT);
    const struct xm_format_info *rgba16f = xm_format_lookup(DXGI_FORMAT_R16G16B16A16_FLOAT);
    XM_ASSERT_NOT_NULL(r16f);
    XM_ASSERT_NOT_NULL(rgba16f);
    XM_ASSERT_EQ(r16f->bits[0], 16);
    XM_ASSERT_EQ(r16f->cuda_kind, cudaChannelFormatKindFloat);
    XM_ASSERT_EQ(r16f->cuda_normalized_kind, -1);
    XM_ASSERT(xm_format_matches_channel_desc(rgba16f, 16, 16, 16, 16, cudaChannelFormatKindFloat));
    XM_ASSERT(!xm_format_matches_channel_desc(rgba16f, 16, 16, 16, 16, cudaChannelFormatKindUnsigned));
}

XM_TEST(test_unorm_and_snorm_match_canonical_and_normalized_kinds)
{
    const struct xm_format_info *r8 = xm_format_lookup(DXGI_FORMAT_R8_UNORM);
    const struct xm_format_info *rg16s = xm_format_lookup(DXGI_FORMAT_R16G16_SNORM);
    const struct xm_format_info *rgba8u = xm_format_lookup(DXGI_FORMAT_R8G8B8A8_UINT);
    XM_ASSERT(xm_format_matches_channel_desc(r8, 8, 0, 0, 0, cudaChannelFormatKindUnsigned));
    XM_ASSERT(xm_format_matches_channel_desc(r8, 8, 0, 0, 0, cudaChannelFormatKindUnsignedNormalized8X1));
    XM_ASSERT(xm_format_matches_channel_desc(rg16s, 16, 16, 0, 0, cudaChannelFormatKindSigned));
    XM_ASSERT(xm_format_matches_channel_desc(rg16s, 16, 16, 0, 0, cudaChannelFormatKindSignedNormalized16X2));
    /* Integer formats have no normalized view. */
    XM_ASSERT_EQ(rgba8u->cuda_normalized_kind, -1);
    XM_ASSERT(!xm_format_matches_channel_desc(rgba8u, 8, 8, 8, 8, cudaChannelFormatKindUnsignedNormalized8X4));
}

XM_TEST(test_matching_rejects_wrong_bits_kind_or_channel_count)
{
    const struct xm_format_info *rgba8 = xm_format_lookup(DXGI_FORMAT_R8G8B8A8_UNORM);
    const struct xm_format_info *r32f = xm_format_lookup(DXGI_FORMAT_R32_FLOAT);
    XM_ASSERT(xm_format_matches_channel_desc(rgba8, 8, 8, 8, 8, cudaChannelFormatKindUnsigned));
    /* wrong bit count */
    XM_ASSERT(!xm_format_matches_channel_desc(rgba8, 16, 16, 16, 16, cudaChannelFormatKindUnsigned));
    XM_ASSERT(!xm_format_matches_channel_desc(rgba8, 8, 8, 8, 16, cudaChannelFormatKindUnsigned));
    /* wrong kind: signed, float, a normalized kind of another width or count */
    XM_ASSERT(!xm_format_matches_channel_desc(rgba8, 8, 8, 8, 8, cudaChannelFormatKindSigned));
    XM_ASSERT(!xm_format_matches_channel_desc(rgba8, 8, 8, 8, 8, cudaChannelFormatKindFloat));
    XM_ASSERT(!xm_format_matches_channel_desc(rgba8, 8, 8, 8, 8, cudaChannelFormatKindSignedNormalized8X4));
    XM_ASSERT(!xm_format_matches_channel_desc(rgba8, 8, 8, 8, 8, cudaChannelFormatKindUnsignedNormalized8X2));
    /* wrong channel count */
    XM_ASSERT(!xm_format_matches_channel_desc(rgba8, 8, 8, 0, 0, cudaChannelFormatKindUnsigned));
    XM_ASSERT(!xm_format_matches_channel_desc(r32f, 32, 32, 0, 0, cudaChannelFormatKindFloat));
    XM_ASSERT(xm_format_matches_channel_desc(r32f, 32, 0, 0, 0, cudaChannelFormatKindFloat));
    XM_ASSERT(!xm_format_matches_channel_desc(NULL, 8, 8, 8, 8, cudaChannelFormatKindUnsigned));
}

XM_TEST(test_every_supported_format_is_consistent)
{
    unsigned found = 0;
    for (unsigned v = 0; v < 256; v++) {
        const struct xm_format_info *info = xm_format_lookup((DXGI_FORMAT)v);
        if (!info)
            continue;
        found++;
        XM_ASSERT_EQ(info->format, v);
        XM_ASSERT_STR_EQ(xm_format_name((DXGI_FORMAT)v), info->name);
        XM_ASSERT(info->channels == 1 || info->channels == 2 || info->channels == 4);
        for (unsigned c = 0; c < 4; c++)
            XM_ASSERT_EQ(info->bits[c], c < info->channels ? info->bits[0] : 0);
        XM_ASSERT(info->bits[0] == 8 || info->bits[0] == 16 || info->bits[0] == 32);
        XM_ASSERT_EQ(info->texel_size, info->channels * (uint32_t)info->bits[0] / 8);
        XM_ASSERT(xm_format_matches_channel_desc(info, info->bits[0], info->bits[1], info->bits[2],
                                                 info->bits[3], info->cuda_kind));
    }
    XM_ASSERT_EQ(found, 42);
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_texel_sizes_follow_channels_and_bits)
    XM_TEST_ENTRY(test_formats_cuda_arrays_cannot_hold_are_unsupported)
    XM_TEST_ENTRY(test_names_cover_supported_unsupported_and_unknown)
    XM_TEST_ENTRY(test_bgra_is_four_8_bit_unsigned_channels)
    XM_TEST_ENTRY(test_srgb_is_flagged_and_keeps_its_unorm_kinds)
    XM_TEST_ENTRY(test_half_float_is_16_bit_float_kind)
    XM_TEST_ENTRY(test_unorm_and_snorm_match_canonical_and_normalized_kinds)
    XM_TEST_ENTRY(test_matching_rejects_wrong_bits_kind_or_channel_count)
    XM_TEST_ENTRY(test_every_supported_format_is_consistent))
