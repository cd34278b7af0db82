#include "core/format.h"

#include <stddef.h>

#include <extmem/cuda_interop.h>

#define UINT_ cudaChannelFormatKindUnsigned
#define SINT_ cudaChannelFormatKindSigned
#define FLOAT_ cudaChannelFormatKindFloat
#define NO_NORM_ (-1)

/* One row per supported format, indexed by its DXGI value. */
#define ROW(fmt, size, nch, bx, by, bz, bw, kind, norm, is_srgb, is_bgra)                   \
    [DXGI_FORMAT_##fmt] = {.format = DXGI_FORMAT_##fmt,                                    \
                           .name = #fmt,                                                    \
                           .texel_size = (size),                                           \
                           .channels = (nch),                                              \
                           .bits = {(bx), (by), (bz), (bw)},                               \
                           .cuda_kind = (kind),                                            \
                           .cuda_normalized_kind = (norm),                                 \
                           .srgb = (is_srgb),                                              \
                           .bgra = (is_bgra)}

/* Shorthands by channel count; texel size follows from the bits. */
#define ROW1(fmt, b, kind, norm) ROW(fmt, (b) / 8, 1, b, 0, 0, 0, kind, norm, false, false)
#define ROW2(fmt, b, kind, norm) ROW(fmt, 2 * (b) / 8, 2, b, b, 0, 0, kind, norm, false, false)
#define ROW4(fmt, b, kind, norm) ROW(fmt, 4 * (b) / 8, 4, b, b, b, b, kind, norm, false, false)

static const struct xm_format_info formats[] = {
    ROW4(R32G32B32A32_FLOAT, 32, FLOAT_, NO_NORM_),
    ROW4(R32G32B32A32_UINT, 32, UINT_, NO_NORM_),
    ROW4(R32G32B32A32_SINT, 32, SINT_, NO_NORM_),

    ROW4(R16G16B16A16_FLOAT, 16, FLOAT_, NO_NORM_),
    ROW4(R16G16B16A16_UNORM, 16, UINT_, cudaChannelFormatKindUnsignedNormalized16X4),
    ROW4(R16G16B16A16_UINT, 16, UINT_, NO_NORM_),
    ROW4(R16G16B16A16_SNORM, 16, SINT_, cudaChannelFormatKindSignedNormalized16X4),
    ROW4(R16G16B16A16_SINT, 16, SINT_, NO_NORM_),

    ROW2(R32G32_FLOAT, 32, FLOAT_, NO_NORM_),
    ROW2(R32G32_UINT, 32, UINT_, NO_NORM_),
    ROW2(R32G32_SINT, 32, SINT_, NO_NORM_),

    ROW4(R8G8B8A8_UNORM, 8, UINT_, cudaChannelFormatKindUnsignedNormalized8X4),
    ROW(R8G8B8A8_UNORM_SRGB, 4, 4, 8, 8, 8, 8, UINT_, cudaChannelFormatKindUnsignedNormalized8X4,
        true, false),
    ROW4(R8G8B8A8_UINT, 8, UINT_, NO_NORM_),
    ROW4(R8G8B8A8_SNORM, 8, SINT_, cudaChannelFormatKindSignedNormalized8X4),
    ROW4(R8G8B8A8_SINT, 8, SINT_, NO_NORM_),

    ROW2(R16G16_FLOAT, 16, FLOAT_, NO_NORM_),
    ROW2(R16G16_UNORM, 16, UINT_, cudaChannelFormatKindUnsignedNormalized16X2),
    ROW2(R16G16_UINT, 16, UINT_, NO_NORM_),
    ROW2(R16G16_SNORM, 16, SINT_, cudaChannelFormatKindSignedNormalized16X2),
    ROW2(R16G16_SINT, 16, SINT_, NO_NORM_),

    ROW1(R32_FLOAT, 32, FLOAT_, NO_NORM_),
    ROW1(R32_UINT, 32, UINT_, NO_NORM_),
    ROW1(R32_SINT, 32, SINT_, NO_NORM_),

    ROW2(R8G8_UNORM, 8, UINT_, cudaChannelFormatKindUnsignedNormalized8X2),
    ROW2(R8G8_UINT, 8, UINT_, NO_NORM_),
    ROW2(R8G8_SNORM, 8, SINT_, cudaChannelFormatKindSignedNormalized8X2),
    ROW2(R8G8_SINT, 8, SINT_, NO_NORM_),

    ROW1(R16_FLOAT, 16, FLOAT_, NO_NORM_),
    ROW1(R16_UNORM, 16, UINT_, cudaChannelFormatKindUnsignedNormalized16X1),
    ROW1(R16_UINT, 16, UINT_, NO_NORM_),
    ROW1(R16_SNORM, 16, SINT_, cudaChannelFormatKindSignedNormalized16X1),
    ROW1(R16_SINT, 16, SINT_, NO_NORM_),

    ROW1(R8_UNORM, 8, UINT_, cudaChannelFormatKindUnsignedNormalized8X1),
    ROW1(R8_UINT, 8, UINT_, NO_NORM_),
    ROW1(R8_SNORM, 8, SINT_, cudaChannelFormatKindSignedNormalized8X1),
    ROW1(R8_SINT, 8, SINT_, NO_NORM_),
    /* Its one channel is alpha; CUDA sees it as x. */
    ROW1(A8_UNORM, 8, UINT_, cudaChannelFormatKindUnsignedNormalized8X1),

    /* CUDA has no BGRA kinds: the bytes are the same 8,8,8,8 with x = blue.
     * The X8 channel is stored (and unused), as in D3D11. */
    ROW(B8G8R8A8_UNORM, 4, 4, 8, 8, 8, 8, UINT_, cudaChannelFormatKindUnsignedNormalized8X4, false,
        true),
    ROW(B8G8R8X8_UNORM, 4, 4, 8, 8, 8, 8, UINT_, cudaChannelFormatKindUnsignedNormalized8X4, false,
        true),
    ROW(B8G8R8A8_UNORM_SRGB, 4, 4, 8, 8, 8, 8, UINT_, cudaChannelFormatKindUnsignedNormalized8X4,
        true, true),
    ROW(B8G8R8X8_UNORM_SRGB, 4, 4, 8, 8, 8, 8, UINT_, cudaChannelFormatKindUnsignedNormalized8X4,
        true, true),
};

#define NAME(fmt) [DXGI_FORMAT_##fmt] = #fmt

/* Names of the formats the table leaves out, so that a message can say
 * "BC1_UNORM is not supported" rather than print a number. */
static const char *const unsupported_names[] = {
    NAME(UNKNOWN),
    NAME(R32G32B32A32_TYPELESS),
    NAME(R32G32B32_TYPELESS),
    NAME(R32G32B32_FLOAT),
    NAME(R32G32B32_UINT),
    NAME(R32G32B32_SINT),
    NAME(R16G16B16A16_TYPELESS),
    NAME(R32G32_TYPELESS),
    NAME(R32G8X24_TYPELESS),
    NAME(D32_FLOAT_S8X24_UINT),
    NAME(R32_FLOAT_X8X24_TYPELESS),
    NAME(X32_TYPELESS_G8X24_UINT),
    NAME(R10G10B10A2_TYPELESS),
    NAME(R10G10B10A2_UNORM),
    NAME(R10G10B10A2_UINT),
    NAME(R11G11B10_FLOAT),
    NAME(R8G8B8A8_TYPELESS),
    NAME(R16G16_TYPELESS),
    NAME(R32_TYPELESS),
    NAME(D32_FLOAT),
    NAME(R24G8_TYPELESS),
    NAME(D24_UNORM_S8_UINT),
    NAME(R24_UNORM_X8_TYPELESS),
    NAME(X24_TYPELESS_G8_UINT),
    NAME(R8G8_TYPELESS),
    NAME(R16_TYPELESS),
    NAME(D16_UNORM),
    NAME(R8_TYPELESS),
    NAME(R1_UNORM),
    NAME(R9G9B9E5_SHAREDEXP),
    NAME(R8G8_B8G8_UNORM),
    NAME(G8R8_G8B8_UNORM),
    NAME(BC1_TYPELESS),
    NAME(BC1_UNORM),
    NAME(BC1_UNORM_SRGB),
    NAME(BC2_TYPELESS),
    NAME(BC2_UNORM),
    NAME(BC2_UNORM_SRGB),
    NAME(BC3_TYPELESS),
    NAME(BC3_UNORM),
    NAME(BC3_UNORM_SRGB),
    NAME(BC4_TYPELESS),
    NAME(BC4_UNORM),
    NAME(BC4_SNORM),
    NAME(BC5_TYPELESS),
    NAME(BC5_UNORM),
    NAME(BC5_SNORM),
    NAME(B5G6R5_UNORM),
    NAME(B5G5R5A1_UNORM),
    NAME(R10G10B10_XR_BIAS_A2_UNORM),
    NAME(B8G8R8A8_TYPELESS),
    NAME(B8G8R8X8_TYPELESS),
    NAME(BC6H_TYPELESS),
    NAME(BC6H_UF16),
    NAME(BC6H_SF16),
    NAME(BC7_TYPELESS),
    NAME(BC7_UNORM),
    NAME(BC7_UNORM_SRGB),
    NAME(AYUV),
    NAME(Y410),
    NAME(Y416),
    NAME(NV12),
    NAME(P010),
    NAME(P016),
    NAME(420_OPAQUE),
    NAME(YUY2),
    NAME(Y210),
    NAME(Y216),
    NAME(NV11),
    NAME(AI44),
    NAME(IA44),
    NAME(P8),
    NAME(A8P8),
    NAME(B4G4R4A4_UNORM),
    NAME(P208),
    NAME(V208),
    NAME(V408),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const struct xm_format_info *xm_format_lookup(DXGI_FORMAT format)
{
    /* Through an unsigned value: DXGI_FORMAT may hold anything. */
    unsigned long long i = (unsigned long long)format;

    if (i >= COUNT(formats) || !formats[i].name)
        return NULL;
    return &formats[i];
}

const char *xm_format_name(DXGI_FORMAT format)
{
    const struct xm_format_info *info = xm_format_lookup(format);
    unsigned long long i = (unsigned long long)format;

    if (info)
        return info->name;
    if (i < COUNT(unsupported_names) && unsupported_names[i])
        return unsupported_names[i];
    return "unknown DXGI_FORMAT";
}

bool xm_format_matches_channel_desc(const struct xm_format_info *info, int x, int y, int z, int w,
                                    int kind)
{
    if (!info)
        return false;
    if (x != info->bits[0] || y != info->bits[1] || z != info->bits[2] || w != info->bits[3])
        return false;
    return kind == info->cuda_kind ||
           (info->cuda_normalized_kind != NO_NORM_ && kind == info->cuda_normalized_kind);
}
