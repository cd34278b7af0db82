/* The host implementation of CUDA's runtime subset: extmemMalloc memory,
 * copies and sets, arrays built by hand, streams, errors, the device. */
#include "harness.h"

#include <pthread.h>
#include <stdint.h>

#include <extmem/cuda_interop.h>
#include <extmem/extmem.h>

#include "core/error.h"
#include "cuda/cuda_private.h"

#ifndef cudaStreamLegacy
#define cudaStreamLegacy ((cudaStream_t)0x1)
#endif
#ifndef cudaStreamPerThread
#define cudaStreamPerThread ((cudaStream_t)0x2)
#endif

/* A failing call returns code, makes it the thread's last error and leaves
 * a message saying why. */
#define ASSERT_FAILS_WITH(expr, code)                                        \
    do {                                                                     \
        xm_clear_error_message();                                            \
        (void)extmemGetLastError();                                          \
        XM_ASSERT_EQ((expr), (code));                                        \
        XM_ASSERT_EQ(extmemGetLastError(), (code));                          \
        XM_ASSERT_MSG(extmemGetLastErrorMessage()[0] != '\0',                \
                      "%s left no error message", #expr);                    \
    } while (0)

#define ASSERT_OK(expr) XM_ASSERT_EQ((expr), cudaSuccess)

/* A mipmapped array over malloc'd host memory, registered the way
 * extmemExternalMemoryGetMappedMipmappedArray registers a mapping, so the
 * runtime takes it for one; extmemFreeMipmappedArray frees it. Level l is
 * (width >> l) x (height >> l) x depth elements of texel_size bytes, each
 * byte set to its offset in the level (mod 251). */
static cudaMipmappedArray_t make_mipmap(uint32_t texel_size, uint32_t width, uint32_t height, uint32_t depth,
                                        unsigned int flags, unsigned int levels, bool read_only)
{
    struct cudaMipmappedArray *mipmap = calloc(1, sizeof(*mipmap));
    uint64_t offsets[XM_MAX_MIP_LEVELS], size = 0;
    struct xm_allocation allocation = {.kind = XM_ALLOCATION_MIPMAPPED_ARRAY};
    uint8_t *data;

    XM_ASSERT_NOT_NULL(mipmap);
    for (unsigned int l = 0; l < levels; l++) {
        uint32_t w = width >> l ? width >> l : 1, h = height >> l ? height >> l : 1;

        offsets[l] = size;
        size += (uint64_t)w * h * depth * texel_size;
    }
    data = malloc(size);
    XM_ASSERT_NOT_NULL(data);
    mipmap->num_levels = levels;
    for (unsigned int l = 0; l < levels; l++) {
        struct cudaArray *a = &mipmap->levels[l];
        int bits = (int)(texel_size * 8);

        a->format = extmemCreateChannelDesc(bits, 0, 0, 0, cudaChannelFormatKindUnsigned);
        a->texel_size = texel_size;
        a->width = width >> l ? width >> l : 1;
        a->height = height >> l ? height >> l : 1;
        a->depth = depth;
        a->extent = make_cudaExtent(a->width, height > 1 ? a->height : 0, depth > 1 ? depth : 0);
        a->flags = flags;
        a->row_pitch = (uint64_t)a->width * texel_size;
        a->slice_pitch = a->row_pitch * a->height;
        a->data = data + offsets[l];
        a->read_only = read_only;
        a->owner = mipmap;
        for (uint64_t i = 0; i < a->slice_pitch * depth; i++)
            a->data[i] = (uint8_t)(i % 251);
    }
    allocation.ptr = data;
    allocation.size = size;
    allocation.read_only = read_only;
    allocation.map_base = data;
    allocation.mipmap = mipmap;
    XM_ASSERT_EQ(xm_allocation_add(&allocation), cudaSuccess);
    return mipmap;
}

static cudaArray_t level0(cudaMipmappedArray_t mipmap)
{
    cudaArray_t array = NULL;

    XM_ASSERT_EQ(extmemGetMipmappedArrayLevel(&array, mipmap, 0), cudaSuccess);
    return array;
}

/* A read-only mapped buffer, as a mapping of memory imported without write
 * access looks to the registry. extmemFree frees it. */
static uint8_t *make_read_only_buffer(size_t size)
{
    struct xm_allocation allocation = {.kind = XM_ALLOCATION_BUFFER, .read_only = true};

    allocation.ptr = calloc(1, size);
    XM_ASSERT_NOT_NULL(allocation.ptr);
    allocation.size = size;
    allocation.map_base = allocation.ptr;
    XM_ASSERT_EQ(xm_allocation_add(&allocation), cudaSuccess);
    return allocation.ptr;
}

static void fill_pattern(uint8_t *p, size_t size, uint8_t seed)
{
    for (size_t i = 0; i < size; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

/* ---- allocation ------------------------------------------------------------ */

XM_TEST(test_malloc_returns_256_byte_aligned_memory_that_free_releases)
{
    size_t before = xm_allocation_count();
    void *p = NULL;

    ASSERT_OK(extmemMalloc(&p, 1000));
    XM_ASSERT_NOT_NULL(p);
    XM_ASSERT_EQ((uintptr_t)p % 256, 0);
    XM_ASSERT_EQ(xm_allocation_count(), before + 1);
    ASSERT_OK(extmemMemset(p, 0x5a, 1000));
    ASSERT_OK(extmemFree(p));
    XM_ASSERT_EQ(xm_allocation_count(), before);
}

XM_TEST(test_malloc_of_zero_bytes_succeeds_with_null)
{
    void *p = (void *)&p;

    ASSERT_OK(extmemMalloc(&p, 0));
    XM_ASSERT_NULL(p);
    ASSERT_OK(extmemFree(p));
}

XM_TEST(test_malloc_rejects_null_devptr)
{
    ASSERT_FAILS_WITH(extmemMalloc(NULL, 16), cudaErrorInvalidValue);
}

XM_TEST(test_malloc_of_more_than_memory_fails_with_memory_allocation)
{
    void *p = NULL;

    ASSERT_FAILS_WITH(extmemMalloc(&p, SIZE_MAX - 8), cudaErrorMemoryAllocation);
    XM_ASSERT_NULL(p);
}

/* ---- linear copies ---------------------------------------------------------- */

XM_TEST(test_memcpy_round_trips_through_device_memory)
{
    uint8_t in[300], out[300] = {0};
    void *a, *b;

    fill_pattern(in, sizeof(in), 3);
    ASSERT_OK(extmemMalloc(&a, sizeof(in)));
    ASSERT_OK(extmemMalloc(&b, sizeof(in)));
    ASSERT_OK(extmemMemcpy(a, in, sizeof(in), cudaMemcpyHostToDevice));
    ASSERT_OK(extmemMemcpy(b, a, sizeof(in), cudaMemcpyDeviceToDevice));
    ASSERT_OK(extmemMemcpy(out, b, sizeof(in), cudaMemcpyDeviceToHost));
    XM_ASSERT(memcmp(in, out, sizeof(in)) == 0);
    ASSERT_OK(extmemFree(a));
    ASSERT_OK(extmemFree(b));
}

XM_TEST(test_memcpy_default_infers_host_and_device_pointers)
{
    uint8_t in[64], out[64] = {0}, host[64];
    void *dev;

    fill_pattern(in, sizeof(in), 9);
    ASSERT_OK(extmemMalloc(&dev, sizeof(in)));
    ASSERT_OK(extmemMemcpy(dev, in, sizeof(in), cudaMemcpyDefault));
    ASSERT_OK(extmemMemcpy(host, dev, sizeof(in), cudaMemcpyDefault));
    ASSERT_OK(extmemMemcpy(out, host, sizeof(in), cudaMemcpyDefault));
    XM_ASSERT(memcmp(in, out, sizeof(in)) == 0);
    ASSERT_OK(extmemFree(dev));
}

XM_TEST(test_memcpy_host_to_host_needs_no_extmem_memory)
{
    char src[] = "host to host", dst[sizeof(src)] = {0};

    ASSERT_OK(extmemMemcpy(dst, src, sizeof(src), cudaMemcpyHostToHost));
    XM_ASSERT_STR_EQ(dst, src);
}

XM_TEST(test_memcpy_of_zero_bytes_is_a_no_op_even_with_null_pointers)
{
    ASSERT_OK(extmemMemcpy(NULL, NULL, 0, cudaMemcpyHostToDevice));
    ASSERT_OK(extmemMemcpy2D(NULL, 0, NULL, 0, 0, 4, cudaMemcpyDeviceToDevice));
    ASSERT_OK(extmemMemset(NULL, 0, 0));
}

XM_TEST(test_successful_copy_of_host_pointers_keeps_the_last_error)
{
    char src[8] = "abcdefg", dst[8];

    ASSERT_FAILS_WITH(extmemSetDevice(7), cudaErrorInvalidDevice);
    XM_ASSERT_EQ(extmemSetDevice(7), cudaErrorInvalidDevice);
    {
        char message[512];

        snprintf(message, sizeof(message), "%s", extmemGetLastErrorMessage());
        ASSERT_OK(extmemMemcpy(dst, src, sizeof(src), cudaMemcpyDefault));
        XM_ASSERT_EQ(extmemPeekAtLastError(), cudaErrorInvalidDevice);
        XM_ASSERT_STR_EQ(extmemGetLastErrorMessage(), message);
    }
    (void)extmemGetLastError();
}

XM_TEST(test_memcpy_rejects_unknown_kind)
{
    char a[4], b[4] = "abc";

    ASSERT_FAILS_WITH(extmemMemcpy(a, b, sizeof(a), (enum cudaMemcpyKind)7), cudaErrorInvalidMemcpyDirection);
}

XM_TEST(test_memcpy_rejects_null_dst)
{
    char src[4] = "abc";

    ASSERT_FAILS_WITH(extmemMemcpy(NULL, src, sizeof(src), cudaMemcpyHostToHost), cudaErrorInvalidValue);
}

XM_TEST(test_memcpy_host_to_device_rejects_dst_extmem_did_not_hand_out)
{
    char src[16] = "not device", dst[16] = {0};

    ASSERT_FAILS_WITH(extmemMemcpy(dst, src, sizeof(src), cudaMemcpyHostToDevice), cudaErrorInvalidValue);
    XM_ASSERT_EQ(dst[0], 0);
}

XM_TEST(test_memcpy_rejects_range_past_the_end_of_the_allocation)
{
    uint8_t host[128] = {0};
    void *dev;

    ASSERT_OK(extmemMalloc(&dev, 100));
    ASSERT_FAILS_WITH(extmemMemcpy(host, (uint8_t *)dev + 50, 51, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    ASSERT_OK(extmemMemcpy(host, (uint8_t *)dev + 50, 50, cudaMemcpyDeviceToHost));
    ASSERT_OK(extmemFree(dev));
}

XM_TEST(test_memcpy_default_rejects_writes_into_a_read_only_mapping)
{
    uint8_t *ro = make_read_only_buffer(64), src[64] = {1};

    ASSERT_FAILS_WITH(extmemMemcpy(ro, src, sizeof(src), cudaMemcpyDefault), cudaErrorInvalidValue);
    XM_ASSERT_EQ(ro[0], 0);
    ASSERT_OK(extmemFree(ro));
}

XM_TEST(test_memcpy_device_to_host_rejects_a_host_dst_inside_a_read_only_mapping)
{
    uint8_t *ro = make_read_only_buffer(64);
    void *dev;

    ASSERT_OK(extmemMalloc(&dev, 64));
    ASSERT_FAILS_WITH(extmemMemcpy(ro, dev, 64, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    ASSERT_OK(extmemMemcpy(dev, ro, 64, cudaMemcpyDeviceToDevice));
    ASSERT_OK(extmemFree(dev));
    ASSERT_OK(extmemFree(ro));
}

/* ---- 2D copies ------------------------------------------------------------- */

XM_TEST(test_memcpy2d_copies_rows_between_pitches)
{
    uint8_t src[4 * 10], out[4 * 6] = {0};
    void *dev;

    fill_pattern(src, sizeof(src), 1);
    ASSERT_OK(extmemMalloc(&dev, 4 * 8));
    ASSERT_OK(extmemMemset(dev, 0xee, 4 * 8));
    ASSERT_OK(extmemMemcpy2D(dev, 8, src, 10, 6, 4, cudaMemcpyHostToDevice));
    ASSERT_OK(extmemMemcpy2D(out, 6, dev, 8, 6, 4, cudaMemcpyDeviceToHost));
    for (int y = 0; y < 4; y++)
        XM_ASSERT(memcmp(out + y * 6, src + y * 10, 6) == 0);
    /* The padding between rows is left alone. */
    ASSERT_OK(extmemMemcpy(out, (uint8_t *)dev + 6, 2, cudaMemcpyDeviceToHost));
    XM_ASSERT_EQ(out[0], 0xee);
    XM_ASSERT_EQ(out[1], 0xee);
    ASSERT_OK(extmemFree(dev));
}

XM_TEST(test_memcpy2d_rejects_width_greater_than_pitch)
{
    uint8_t a[64], b[64];

    ASSERT_FAILS_WITH(extmemMemcpy2D(a, 8, b, 16, 12, 2, cudaMemcpyHostToHost), cudaErrorInvalidPitchValue);
}

XM_TEST(test_memcpy2d_to_array_and_back_round_trips_a_region)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 6, 1, cudaArrayDefault, 1, false);
    cudaArray_t array = level0(mipmap);
    uint32_t in[3 * 2], out[3 * 2] = {0};

    for (int i = 0; i < 6; i++)
        in[i] = 0xc0de0000u + (uint32_t)i;
    /* Region 3x2 elements at element (2, 1): wOffset and width in bytes. */
    ASSERT_OK(extmemMemcpy2DToArray(array, 2 * 4, 1, in, 3 * 4, 3 * 4, 2, cudaMemcpyHostToDevice));
    XM_ASSERT_EQ(((uint32_t *)array->data)[1 * 8 + 2], in[0]);
    XM_ASSERT_EQ(((uint32_t *)array->data)[2 * 8 + 4], in[5]);
    ASSERT_OK(extmemMemcpy2DFromArray(out, 3 * 4, array, 2 * 4, 1, 3 * 4, 2, cudaMemcpyDeviceToHost));
    XM_ASSERT(memcmp(in, out, sizeof(in)) == 0);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_memcpy2d_to_array_rejects_region_outside_array)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 6, 1, cudaArrayDefault, 1, false);
    cudaArray_t array = level0(mipmap);
    uint32_t in[8 * 6] = {0};

    ASSERT_FAILS_WITH(extmemMemcpy2DToArray(array, 4 * 4, 0, in, 8 * 4, 5 * 4, 1, cudaMemcpyHostToDevice),
                      cudaErrorInvalidValue);
    ASSERT_FAILS_WITH(extmemMemcpy2DToArray(array, 0, 5, in, 8 * 4, 8 * 4, 2, cudaMemcpyHostToDevice),
                      cudaErrorInvalidValue);
    XM_ASSERT_EQ(array->data[4 * 4], (4 * 4) % 251);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_memcpy2d_to_array_rejects_a_read_only_array)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 6, 1, cudaArrayDefault, 1, true);
    cudaArray_t array = level0(mipmap);
    uint32_t in[8] = {0}, out[8];

    ASSERT_FAILS_WITH(extmemMemcpy2DToArray(array, 0, 0, in, 32, 32, 1, cudaMemcpyHostToDevice),
                      cudaErrorInvalidValue);
    ASSERT_OK(extmemMemcpy2DFromArray(out, 32, array, 0, 0, 32, 1, cudaMemcpyDeviceToHost));
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_memcpy2d_to_array_rejects_offset_inside_an_element)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 6, 1, cudaArrayDefault, 1, false);
    uint32_t in[8] = {0};

    ASSERT_FAILS_WITH(extmemMemcpy2DToArray(level0(mipmap), 2, 0, in, 32, 8, 1, cudaMemcpyHostToDevice),
                      cudaErrorInvalidValue);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_memcpy2d_to_array_rejects_a_kind_that_calls_the_array_host_memory)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 6, 1, cudaArrayDefault, 1, false);
    uint32_t in[8] = {0};

    ASSERT_FAILS_WITH(extmemMemcpy2DToArray(level0(mipmap), 0, 0, in, 32, 32, 1, cudaMemcpyHostToHost),
                      cudaErrorInvalidMemcpyDirection);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_memcpy2d_from_array_rejects_an_array_that_was_freed)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 6, 1, cudaArrayDefault, 1, false);
    cudaArray_t array = level0(mipmap);
    uint32_t out[8];

    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
    ASSERT_FAILS_WITH(extmemMemcpy2DFromArray(out, 32, array, 0, 0, 32, 1, cudaMemcpyDeviceToHost),
                      cudaErrorInvalidResourceHandle);
}

XM_TEST(test_memcpy2d_array_to_array_copies_a_region)
{
    cudaMipmappedArray_t a = make_mipmap(2, 16, 4, 1, cudaArrayDefault, 1, false);
    cudaMipmappedArray_t b = make_mipmap(2, 8, 8, 1, cudaArrayDefault, 1, false);
    cudaArray_t src = level0(a), dst = level0(b);

    memset(dst->data, 0, dst->slice_pitch);
    /* 4x2 elements from (10, 1) of src to (3, 5) of dst. */
    ASSERT_OK(extmemMemcpy2DArrayToArray(dst, 3 * 2, 5, src, 10 * 2, 1, 4 * 2, 2, cudaMemcpyDeviceToDevice));
    for (int y = 0; y < 2; y++)
        XM_ASSERT(memcmp(dst->data + (5 + y) * dst->row_pitch + 3 * 2, src->data + (1 + y) * src->row_pitch + 10 * 2,
                         4 * 2) == 0);
    XM_ASSERT_EQ(dst->data[5 * dst->row_pitch + 2 * 2], 0);
    ASSERT_OK(extmemFreeMipmappedArray(a));
    ASSERT_OK(extmemFreeMipmappedArray(b));
}

XM_TEST(test_memcpy2d_array_to_array_rejects_different_element_sizes)
{
    cudaMipmappedArray_t a = make_mipmap(2, 16, 4, 1, cudaArrayDefault, 1, false);
    cudaMipmappedArray_t b = make_mipmap(4, 8, 4, 1, cudaArrayDefault, 1, false);

    ASSERT_FAILS_WITH(extmemMemcpy2DArrayToArray(level0(b), 0, 0, level0(a), 0, 0, 8, 1, cudaMemcpyDeviceToDevice),
                      cudaErrorInvalidValue);
    ASSERT_OK(extmemFreeMipmappedArray(a));
    ASSERT_OK(extmemFreeMipmappedArray(b));
}

/* ---- 3D copies -------------------------------------------------------------- */

XM_TEST(test_memcpy3d_copies_a_box_between_pitched_pointers)
{
    enum { W = 5, H = 3, D = 2, SRC_PITCH = 8, SRC_ROWS = 4, DST_PITCH = 16, DST_ROWS = 6 };
    uint8_t src[SRC_PITCH * SRC_ROWS * (D + 1)], out[DST_PITCH * DST_ROWS * (D + 1)];
    struct cudaMemcpy3DParms p = {0};
    void *dev;

    fill_pattern(src, sizeof(src), 5);
    ASSERT_OK(extmemMalloc(&dev, sizeof(out)));
    ASSERT_OK(extmemMemset(dev, 0, sizeof(out)));
    p.srcPtr = make_cudaPitchedPtr(src, SRC_PITCH, W, SRC_ROWS);
    p.srcPos = make_cudaPos(2, 1, 1); /* x in bytes */
    p.dstPtr = make_cudaPitchedPtr(dev, DST_PITCH, W, DST_ROWS);
    p.dstPos = make_cudaPos(7, 2, 0);
    p.extent = make_cudaExtent(W, H, D); /* width in bytes: no array takes part */
    p.kind = cudaMemcpyHostToDevice;
    ASSERT_OK(extmemMemcpy3D(&p));
    ASSERT_OK(extmemMemcpy(out, dev, sizeof(out), cudaMemcpyDeviceToHost));
    for (int z = 0; z < D; z++)
        for (int y = 0; y < H; y++)
            XM_ASSERT(memcmp(out + z * DST_PITCH * DST_ROWS + (2 + y) * DST_PITCH + 7,
                             src + (1 + z) * SRC_PITCH * SRC_ROWS + (1 + y) * SRC_PITCH + 2, W) == 0);
    XM_ASSERT_EQ(out[2 * DST_PITCH + 6], 0);
    ASSERT_OK(extmemFree(dev));
}

XM_TEST(test_memcpy3d_array_positions_count_elements_and_pointer_positions_bytes)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 4, 3, cudaArrayLayered, 1, false);
    cudaArray_t array = level0(mipmap);
    uint32_t host[2 * 2 * 4] = {0}; /* pitch 16 bytes, 2 rows, 2 slices */
    struct cudaMemcpy3DParms p = {0};

    p.srcArray = array;
    p.srcPos = make_cudaPos(5, 1, 1); /* elements, rows, layers */
    p.dstPtr = make_cudaPitchedPtr(host, 16, 4, 2);
    p.dstPos = make_cudaPos(4, 0, 0); /* bytes: one element in */
    p.extent = make_cudaExtent(3, 2, 2); /* elements of the array, layers */
    p.kind = cudaMemcpyDeviceToHost;
    ASSERT_OK(extmemMemcpy3D(&p));
    for (int z = 0; z < 2; z++)
        for (int y = 0; y < 2; y++)
            XM_ASSERT(memcmp(&host[z * 8 + y * 4 + 1],
                             array->data + (1 + z) * array->slice_pitch + (1 + y) * array->row_pitch + 5 * 4,
                             3 * 4) == 0);
    XM_ASSERT_EQ(host[0], 0);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_memcpy3d_copies_every_layer_into_a_layered_array)
{
    cudaMipmappedArray_t mipmap = make_mipmap(1, 4, 2, 3, cudaArrayLayered, 1, false);
    cudaArray_t array = level0(mipmap);
    uint8_t src[4 * 2 * 3];
    struct cudaMemcpy3DParms p = {0};

    fill_pattern(src, sizeof(src), 40);
    p.srcPtr = make_cudaPitchedPtr(src, 4, 4, 2);
    p.dstArray = array;
    p.extent = make_cudaExtent(4, 2, 3); /* depth = layer count */
    p.kind = cudaMemcpyHostToDevice;
    ASSERT_OK(extmemMemcpy3D(&p));
    XM_ASSERT(memcmp(array->data, src, sizeof(src)) == 0);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_memcpy3d_rejects_null_parms)
{
    ASSERT_FAILS_WITH(extmemMemcpy3D(NULL), cudaErrorInvalidValue);
}

XM_TEST(test_memcpy3d_rejects_both_src_array_and_src_ptr)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 4, 1, cudaArrayDefault, 1, false);
    uint8_t host[128];
    struct cudaMemcpy3DParms p = {0};

    p.srcArray = level0(mipmap);
    p.srcPtr = make_cudaPitchedPtr(host, 32, 8, 4);
    p.dstPtr = make_cudaPitchedPtr(host, 32, 8, 4);
    p.extent = make_cudaExtent(8, 4, 1);
    p.kind = cudaMemcpyDeviceToHost;
    ASSERT_FAILS_WITH(extmemMemcpy3D(&p), cudaErrorInvalidValue);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_memcpy3d_rejects_neither_dst_array_nor_dst_ptr)
{
    uint8_t host[16];
    struct cudaMemcpy3DParms p = {0};

    p.srcPtr = make_cudaPitchedPtr(host, 16, 16, 1);
    p.extent = make_cudaExtent(16, 1, 1);
    p.kind = cudaMemcpyHostToHost;
    ASSERT_FAILS_WITH(extmemMemcpy3D(&p), cudaErrorInvalidValue);
}

XM_TEST(test_memcpy3d_rejects_layers_past_the_last_one)
{
    cudaMipmappedArray_t mipmap = make_mipmap(1, 4, 2, 3, cudaArrayLayered, 1, false);
    uint8_t src[4 * 2 * 3] = {0};
    struct cudaMemcpy3DParms p = {0};

    p.srcPtr = make_cudaPitchedPtr(src, 4, 4, 2);
    p.dstArray = level0(mipmap);
    p.dstPos = make_cudaPos(0, 0, 1);
    p.extent = make_cudaExtent(4, 2, 3);
    p.kind = cudaMemcpyHostToDevice;
    ASSERT_FAILS_WITH(extmemMemcpy3D(&p), cudaErrorInvalidValue);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_memcpy3d_rejects_slices_whose_rows_run_past_ysize)
{
    uint8_t src[64], dst[64];
    struct cudaMemcpy3DParms p = {0};

    p.srcPtr = make_cudaPitchedPtr(src, 8, 8, 2);
    p.dstPtr = make_cudaPitchedPtr(dst, 8, 8, 4);
    p.extent = make_cudaExtent(8, 3, 2); /* 3 rows per slice, src slices hold 2 */
    p.kind = cudaMemcpyHostToHost;
    ASSERT_FAILS_WITH(extmemMemcpy3D(&p), cudaErrorInvalidValue);
}

XM_TEST(test_memcpy3d_rejects_a_row_wider_than_the_pitch)
{
    uint8_t src[64], dst[64];
    struct cudaMemcpy3DParms p = {0};

    p.srcPtr = make_cudaPitchedPtr(src, 8, 8, 2);
    p.dstPtr = make_cudaPitchedPtr(dst, 16, 16, 2);
    p.extent = make_cudaExtent(12, 2, 1);
    p.kind = cudaMemcpyHostToHost;
    ASSERT_FAILS_WITH(extmemMemcpy3D(&p), cudaErrorInvalidPitchValue);
}

/* ---- sets -------------------------------------------------------------------- */

XM_TEST(test_memset_sets_every_byte_to_value_as_unsigned_char)
{
    uint8_t out[33];
    void *dev;

    ASSERT_OK(extmemMalloc(&dev, sizeof(out)));
    ASSERT_OK(extmemMemset(dev, 0x1ab, sizeof(out)));
    ASSERT_OK(extmemMemcpy(out, dev, sizeof(out), cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < sizeof(out); i++)
        XM_ASSERT_EQ(out[i], 0xab);
    ASSERT_OK(extmemFree(dev));
}

XM_TEST(test_memset2d_leaves_the_padding_between_rows_alone)
{
    uint8_t out[3 * 8];
    void *dev;

    ASSERT_OK(extmemMalloc(&dev, sizeof(out)));
    ASSERT_OK(extmemMemset(dev, 0, sizeof(out)));
    ASSERT_OK(extmemMemset2D(dev, 8, 7, 5, 3));
    ASSERT_OK(extmemMemcpy(out, dev, sizeof(out), cudaMemcpyDeviceToHost));
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 8; x++)
            XM_ASSERT_EQ(out[y * 8 + x], x < 5 ? 7 : 0);
    ASSERT_OK(extmemFree(dev));
}

XM_TEST(test_memset_rejects_memory_extmem_did_not_hand_out)
{
    uint8_t host[16] = {0};

    ASSERT_FAILS_WITH(extmemMemset(host, 1, sizeof(host)), cudaErrorInvalidValue);
    XM_ASSERT_EQ(host[0], 0);
}

XM_TEST(test_memset2d_rejects_width_greater_than_pitch)
{
    void *dev;

    ASSERT_OK(extmemMalloc(&dev, 64));
    ASSERT_FAILS_WITH(extmemMemset2D(dev, 8, 0, 9, 2), cudaErrorInvalidPitchValue);
    ASSERT_OK(extmemFree(dev));
}

/* ---- streams ----------------------------------------------------------------- */

XM_TEST(test_async_work_is_done_in_stream_order)
{
    cudaStream_t stream;
    uint8_t in[16], out[16];
    void *dev;

    fill_pattern(in, sizeof(in), 11);
    ASSERT_OK(extmemStreamCreate(&stream));
    ASSERT_OK(extmemMalloc(&dev, sizeof(in)));
    ASSERT_OK(extmemMemsetAsync(dev, 0, sizeof(in), stream));
    ASSERT_OK(extmemMemcpyAsync(dev, in, sizeof(in), cudaMemcpyHostToDevice, stream));
    ASSERT_OK(extmemMemcpyAsync(out, dev, sizeof(in), cudaMemcpyDeviceToHost, stream));
    ASSERT_OK(extmemStreamQuery(stream));
    ASSERT_OK(extmemStreamSynchronize(stream));
    XM_ASSERT(memcmp(in, out, sizeof(in)) == 0);
    ASSERT_OK(extmemFree(dev));
    ASSERT_OK(extmemStreamDestroy(stream));
}

XM_TEST(test_default_stream_handles_are_accepted)
{
    static const cudaStream_t defaults[] = {NULL, cudaStreamLegacy, cudaStreamPerThread};
    char a[4] = "abc", b[4];

    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        ASSERT_OK(extmemMemcpyAsync(b, a, sizeof(a), cudaMemcpyHostToHost, defaults[i]));
        ASSERT_OK(extmemStreamSynchronize(defaults[i]));
        ASSERT_OK(extmemStreamQuery(defaults[i]));
    }
    ASSERT_OK(extmemDeviceSynchronize());
}

XM_TEST(test_stream_create_with_flags_accepts_non_blocking)
{
    cudaStream_t stream = NULL;

    ASSERT_OK(extmemStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    XM_ASSERT_NOT_NULL(stream);
    ASSERT_OK(extmemStreamDestroy(stream));
}

XM_TEST(test_stream_create_with_flags_rejects_unknown_flags)
{
    cudaStream_t stream = NULL;

    ASSERT_FAILS_WITH(extmemStreamCreateWithFlags(&stream, 0x4), cudaErrorInvalidValue);
    XM_ASSERT_NULL(stream);
}

XM_TEST(test_async_copy_rejects_a_destroyed_stream)
{
    cudaStream_t stream;
    char a[4] = "abc", b[4];

    ASSERT_OK(extmemStreamCreate(&stream));
    ASSERT_OK(extmemStreamDestroy(stream));
    ASSERT_FAILS_WITH(extmemMemcpyAsync(b, a, sizeof(a), cudaMemcpyHostToHost, stream),
                      cudaErrorInvalidResourceHandle);
    ASSERT_FAILS_WITH(extmemStreamDestroy(stream), cudaErrorInvalidResourceHandle);
}

XM_TEST(test_stream_synchronize_rejects_a_made_up_stream)
{
    static int not_a_stream;

    ASSERT_FAILS_WITH(extmemStreamSynchronize((cudaStream_t)(void *)&not_a_stream), cudaErrorInvalidResourceHandle);
}

XM_TEST(test_stream_destroy_rejects_the_default_stream)
{
    ASSERT_FAILS_WITH(extmemStreamDestroy(NULL), cudaErrorInvalidResourceHandle);
}

enum { WORKERS = 8, ROUNDS = 200 };

static void *stream_worker(void *arg)
{
    uint8_t seed = (uint8_t)(uintptr_t)arg, in[64], out[64];

    for (int round = 0; round < ROUNDS; round++) {
        cudaStream_t stream;
        void *dev;

        fill_pattern(in, sizeof(in), (uint8_t)(seed + round));
        if (extmemStreamCreate(&stream) != cudaSuccess)
            return (void *)"stream create";
        if (extmemMalloc(&dev, sizeof(in)) != cudaSuccess)
            return (void *)"malloc";
        if (extmemMemcpyAsync(dev, in, sizeof(in), cudaMemcpyHostToDevice, stream) != cudaSuccess ||
            extmemMemcpyAsync(out, dev, sizeof(in), cudaMemcpyDefault, stream) != cudaSuccess ||
            extmemStreamSynchronize(stream) != cudaSuccess)
            return (void *)"copy";
        if (memcmp(in, out, sizeof(in)) != 0)
            return (void *)"data";
        if (extmemFree(dev) != cudaSuccess || extmemStreamDestroy(stream) != cudaSuccess)
            return (void *)"free";
    }
    return NULL;
}

XM_TEST(test_streams_and_copies_work_from_many_threads_at_once)
{
    pthread_t threads[WORKERS];
    size_t before = xm_allocation_count();

    for (uintptr_t i = 0; i < WORKERS; i++)
        XM_ASSERT_EQ(pthread_create(&threads[i], NULL, stream_worker, (void *)(i * 31)), 0);
    for (int i = 0; i < WORKERS; i++) {
        void *failure;

        XM_ASSERT_EQ(pthread_join(threads[i], &failure), 0);
        XM_ASSERT_MSG(failure == NULL, "worker %d failed at %s", i, (const char *)failure);
    }
    XM_ASSERT_EQ(xm_allocation_count(), before);
}

/* ---- arrays ------------------------------------------------------------------ */

XM_TEST(test_get_mipmapped_array_level_returns_each_level)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 8, 1, cudaArrayDefault, 3, false);
    cudaArray_t level = NULL;
    struct cudaExtent extent;

    ASSERT_OK(extmemGetMipmappedArrayLevel(&level, mipmap, 2));
    XM_ASSERT_PTR_EQ(level, &mipmap->levels[2]);
    ASSERT_OK(extmemArrayGetInfo(NULL, &extent, NULL, level));
    XM_ASSERT_EQ(extent.width, 2);
    XM_ASSERT_EQ(extent.height, 2);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_get_mipmapped_array_level_rejects_a_level_past_the_last)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 8, 1, cudaArrayDefault, 3, false);
    cudaArray_t level = NULL;

    ASSERT_FAILS_WITH(extmemGetMipmappedArrayLevel(&level, mipmap, 3), cudaErrorInvalidValue);
    XM_ASSERT_NULL(level);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_get_mipmapped_array_level_rejects_a_freed_mipmap)
{
    cudaMipmappedArray_t mipmap = make_mipmap(4, 8, 8, 1, cudaArrayDefault, 1, false);
    cudaArray_t level = NULL;

    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
    ASSERT_FAILS_WITH(extmemGetMipmappedArrayLevel(&level, mipmap, 0), cudaErrorInvalidResourceHandle);
}

XM_TEST(test_array_get_info_reports_format_extent_and_flags)
{
    cudaMipmappedArray_t mipmap = make_mipmap(2, 16, 4, 5, cudaArrayLayered | cudaArraySurfaceLoadStore, 1, false);
    struct cudaChannelFormatDesc desc;
    struct cudaExtent extent;
    unsigned int flags;

    ASSERT_OK(extmemArrayGetInfo(&desc, &extent, &flags, level0(mipmap)));
    XM_ASSERT_EQ(desc.x, 16);
    XM_ASSERT_EQ(desc.y, 0);
    XM_ASSERT_EQ(desc.f, cudaChannelFormatKindUnsigned);
    XM_ASSERT_EQ(extent.width, 16);
    XM_ASSERT_EQ(extent.height, 4);
    XM_ASSERT_EQ(extent.depth, 5);
    XM_ASSERT_EQ(flags, cudaArrayLayered | cudaArraySurfaceLoadStore);
    ASSERT_OK(extmemFreeMipmappedArray(mipmap));
}

XM_TEST(test_array_get_info_rejects_a_null_array)
{
    unsigned int flags;

    ASSERT_FAILS_WITH(extmemArrayGetInfo(NULL, NULL, &flags, NULL), cudaErrorInvalidResourceHandle);
}

/* ---- errors, channel descriptors, devices ------------------------------------ */

XM_TEST(test_get_last_error_returns_and_clears_it_peek_only_returns_it)
{
    (void)extmemGetLastError();
    XM_ASSERT_EQ(extmemSetDevice(1), cudaErrorInvalidDevice);
    XM_ASSERT_EQ(extmemPeekAtLastError(), cudaErrorInvalidDevice);
    XM_ASSERT_EQ(extmemPeekAtLastError(), cudaErrorInvalidDevice);
    XM_ASSERT_EQ(extmemGetLastError(), cudaErrorInvalidDevice);
    XM_ASSERT_EQ(extmemGetLastError(), cudaSuccess);
}

XM_TEST(test_error_names_and_strings_are_cudas)
{
    XM_ASSERT_STR_EQ(extmemGetErrorName(cudaSuccess), "cudaSuccess");
    XM_ASSERT_STR_EQ(extmemGetErrorString(cudaSuccess), "no error");
    XM_ASSERT_STR_EQ(extmemGetErrorName(cudaErrorInvalidValue), "cudaErrorInvalidValue");
    XM_ASSERT_STR_EQ(extmemGetErrorString(cudaErrorInvalidValue), "invalid argument");
    XM_ASSERT_STR_EQ(extmemGetErrorName(cudaErrorInvalidResourceHandle), "cudaErrorInvalidResourceHandle");
    XM_ASSERT_STR_EQ(extmemGetErrorString(cudaErrorInvalidResourceHandle), "invalid resource handle");
    XM_ASSERT_STR_EQ(extmemGetErrorName(cudaErrorInvalidPitchValue), "cudaErrorInvalidPitchValue");
    XM_ASSERT_STR_EQ(extmemGetErrorString(cudaErrorInvalidMemcpyDirection), "invalid copy direction for memcpy");
    XM_ASSERT_STR_EQ(extmemGetErrorName(cudaErrorUnknown), "cudaErrorUnknown");
}

XM_TEST(test_every_declared_error_has_its_own_name)
{
    /* Spot values from each block of the enum, first to last. */
    static const cudaError_t codes[] = {
        cudaErrorCudartUnloading, cudaErrorInvalidSurface, cudaErrorLaunchPendingCountExceeded,
        cudaErrorStartupFailure, cudaErrorContained, cudaErrorOperatingSystem, cudaErrorLossyQuery,
        cudaErrorNotReady, cudaErrorTensorMemoryLeak, cudaErrorCdpVersionMismatch,
        cudaErrorInvalidResourceConfiguration,
    };

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        XM_ASSERT(strncmp(extmemGetErrorName(codes[i]), "cudaError", 9) == 0);
        XM_ASSERT(strcmp(extmemGetErrorString(codes[i]), "unrecognized error code") != 0);
    }
    XM_ASSERT_STR_EQ(extmemGetErrorName(cudaErrorTimeout), "cudaErrorTimeout");
}

XM_TEST(test_unknown_error_codes_are_unrecognized)
{
    XM_ASSERT_STR_EQ(extmemGetErrorName((cudaError_t)12345), "unrecognized error code");
    XM_ASSERT_STR_EQ(extmemGetErrorString((cudaError_t)10), "unrecognized error code");
}

XM_TEST(test_create_channel_desc_returns_its_arguments)
{
    struct cudaChannelFormatDesc desc = extmemCreateChannelDesc(8, 8, 8, 8, cudaChannelFormatKindUnsigned);

    XM_ASSERT_EQ(desc.x, 8);
    XM_ASSERT_EQ(desc.y, 8);
    XM_ASSERT_EQ(desc.z, 8);
    XM_ASSERT_EQ(desc.w, 8);
    XM_ASSERT_EQ(desc.f, cudaChannelFormatKindUnsigned);
}

XM_TEST(test_there_is_one_device_zero)
{
    int count = -1, device = -1;

    ASSERT_OK(extmemGetDeviceCount(&count));
    XM_ASSERT_EQ(count, 1);
    ASSERT_OK(extmemSetDevice(0));
    ASSERT_OK(extmemGetDevice(&device));
    XM_ASSERT_EQ(device, 0);
}

XM_TEST(test_set_device_rejects_any_other_ordinal)
{
    ASSERT_FAILS_WITH(extmemSetDevice(1), cudaErrorInvalidDevice);
    ASSERT_FAILS_WITH(extmemSetDevice(-1), cudaErrorInvalidDevice);
}

XM_TEST(test_get_device_count_rejects_null)
{
    ASSERT_FAILS_WITH(extmemGetDeviceCount(NULL), cudaErrorInvalidValue);
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_malloc_returns_256_byte_aligned_memory_that_free_releases)
    XM_TEST_ENTRY(test_malloc_of_zero_bytes_succeeds_with_null)
    XM_TEST_ENTRY(test_malloc_rejects_null_devptr)
    XM_TEST_ENTRY(test_malloc_of_more_than_memory_fails_with_memory_allocation)
    XM_TEST_ENTRY(test_memcpy_round_trips_through_device_memory)
    XM_TEST_ENTRY(test_memcpy_default_infers_host_and_device_pointers)
    XM_TEST_ENTRY(test_memcpy_host_to_host_needs_no_extmem_memory)
    XM_TEST_ENTRY(test_memcpy_of_zero_bytes_is_a_no_op_even_with_null_pointers)
    XM_TEST_ENTRY(test_successful_copy_of_host_pointers_keeps_the_last_error)
    XM_TEST_ENTRY(test_memcpy_rejects_unknown_kind)
    XM_TEST_ENTRY(test_memcpy_rejects_null_dst)
    XM_TEST_ENTRY(test_memcpy_host_to_device_rejects_dst_extmem_did_not_hand_out)
    XM_TEST_ENTRY(test_memcpy_rejects_range_past_the_end_of_the_allocation)
    XM_TEST_ENTRY(test_memcpy_default_rejects_writes_into_a_read_only_mapping)
    XM_TEST_ENTRY(test_memcpy_device_to_host_rejects_a_host_dst_inside_a_read_only_mapping)
    XM_TEST_ENTRY(test_memcpy2d_copies_rows_between_pitches)
    XM_TEST_ENTRY(test_memcpy2d_rejects_width_greater_than_pitch)
    XM_TEST_ENTRY(test_memcpy2d_to_array_and_back_round_trips_a_region)
    XM_TEST_ENTRY(test_memcpy2d_to_array_rejects_region_outside_array)
    XM_TEST_ENTRY(test_memcpy2d_to_array_rejects_a_read_only_array)
    XM_TEST_ENTRY(test_memcpy2d_to_array_rejects_offset_inside_an_element)
    XM_TEST_ENTRY(test_memcpy2d_to_array_rejects_a_kind_that_calls_the_array_host_memory)
    XM_TEST_ENTRY(test_memcpy2d_from_array_rejects_an_array_that_was_freed)
    XM_TEST_ENTRY(test_memcpy2d_array_to_array_copies_a_region)
    XM_TEST_ENTRY(test_memcpy2d_array_to_array_rejects_different_element_sizes)
    XM_TEST_ENTRY(test_memcpy3d_copies_a_box_between_pitched_pointers)
    XM_TEST_ENTRY(test_memcpy3d_array_positions_count_elements_and_pointer_positions_bytes)
    XM_TEST_ENTRY(test_memcpy3d_copies_every_layer_into_a_layered_array)
    XM_TEST_ENTRY(test_memcpy3d_rejects_null_parms)
    XM_TEST_ENTRY(test_memcpy3d_rejects_both_src_array_and_src_ptr)
    XM_TEST_ENTRY(test_memcpy3d_rejects_neither_dst_array_nor_dst_ptr)
    XM_TEST_ENTRY(test_memcpy3d_rejects_layers_past_the_last_one)
    XM_TEST_ENTRY(test_memcpy3d_rejects_slices_whose_rows_run_past_ysize)
    XM_TEST_ENTRY(test_memcpy3d_rejects_a_row_wider_than_the_pitch)
    XM_TEST_ENTRY(test_memset_sets_every_byte_to_value_as_unsigned_char)
    XM_TEST_ENTRY(test_memset2d_leaves_the_padding_between_rows_alone)
    XM_TEST_ENTRY(test_memset_rejects_memory_extmem_did_not_hand_out)
    XM_TEST_ENTRY(test_memset2d_rejects_width_greater_than_pitch)
    XM_TEST_ENTRY(test_async_work_is_done_in_stream_order)
    XM_TEST_ENTRY(test_default_stream_handles_are_accepted)
    XM_TEST_ENTRY(test_stream_create_with_flags_accepts_non_blocking)
    XM_TEST_ENTRY(test_stream_create_with_flags_rejects_unknown_flags)
    XM_TEST_ENTRY(test_async_copy_rejects_a_destroyed_stream)
    XM_TEST_ENTRY(test_stream_synchronize_rejects_a_made_up_stream)
    XM_TEST_ENTRY(test_stream_destroy_rejects_the_default_stream)
    XM_TEST_ENTRY(test_streams_and_copies_work_from_many_threads_at_once)
    XM_TEST_ENTRY(test_get_mipmapped_array_level_returns_each_level)
    XM_TEST_ENTRY(test_get_mipmapped_array_level_rejects_a_level_past_the_last)
    XM_TEST_ENTRY(test_get_mipmapped_array_level_rejects_a_freed_mipmap)
    XM_TEST_ENTRY(test_array_get_info_reports_format_extent_and_flags)
    XM_TEST_ENTRY(test_array_get_info_rejects_a_null_array)
    XM_TEST_ENTRY(test_get_last_error_returns_and_clears_it_peek_only_returns_it)
    XM_TEST_ENTRY(test_error_names_and_strings_are_cudas)
    XM_TEST_ENTRY(test_every_declared_error_has_its_own_name)
    XM_TEST_ENTRY(test_unknown_error_codes_are_unrecognized)
    XM_TEST_ENTRY(test_create_channel_desc_returns_its_arguments)
    XM_TEST_ENTRY(test_there_is_one_device_zero)
    XM_TEST_ENTRY(test_set_device_rejects_any_other_ordinal)
    XM_TEST_ENTRY(test_get_device_count_rejects_null))
