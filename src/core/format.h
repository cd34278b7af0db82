/*
 * The DXGI format table: the one place that knows what each DXGI_FORMAT is
 * in bytes, channels and CUDA channel formats.
 *
 * A format is supported when a CUDA array can hold it texel for texel:
 * 1, 2 or 4 channels of 8, 16 or 32 bits (UINT, SINT, UNORM, SNORM, FLOAT,
 * 16-bit FLOAT being CUDA's half), plus the sRGB and BGRA/BGRX orderings of
 * 8-bit RGBA and A8_UNORM. Typeless, depth/stencil, packed, block-compressed
 * and video formats are not, nor are 3-channel formats (R32G32B32_*): CUDA
 * arrays have no 3-channel formats.
 *
 * The table is constant: every function here is thread-safe and what it
 * returns lives for the whole process.
 */
#ifndef EXTMEM_CORE_FORMAT_H
#define EXTMEM_CORE_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include <extmem/dxgi.h>

struct xm_format_info {
    DXGI_FORMAT format;
    const char *name;          /* without the prefix: "R8G8B8A8_UNORM" */
    uint32_t texel_size;       /* bytes */
    uint32_t channels;         /* 1, 2 or 4 */
    int bits[4];               /* cudaChannelFormatDesc x, y, z, w */
    /* CUDA channel kinds, as the values of enum cudaChannelFormatKind. */
    int cuda_kind;             /* Unsigned (UINT, UNORM), Signed (SINT, SNORM), Float */
    int cuda_normalized_kind;  /* cudaChannelFormatKind{Uns,S}ignedNormalized{8,16}X{1,2,4}, or -1 */
    bool srgb;                 /* *_UNORM_SRGB: CUDA sees the encoded bytes */
    bool bgra;                 /* B8G8R8A8 / B8G8R8X8: channel x holds blue */
};

/* The format's entry, or NULL when extmem does not support it (including
 * values that are no DXGI format at all). */
const struct xm_format_info *xm_format_lookup(DXGI_FORMAT format);

/* The format's name without the DXGI_FORMAT_ prefix, for messages: known for
 * every DXGI format, supported or not; "unknown DXGI_FORMAT" otherwise. */
const char *xm_format_name(DXGI_FORMAT format);

/* Whether a CUDA channel descriptor {x, y, z, w, kind} describes the format:
 * bits equal channel for channel (so the channel count too), and kind is
 * its canonical kind or its normalized kind. */
bool xm_format_matches_channel_desc(const struct xm_format_info *info, int x, int y, int z, int w,
                                    int kind);

#endif
