/*
 * extmem's own declarations of CUDA's types are CUDA's, byte for byte: the
 * same sizes, alignments, field offsets and constant values as CUDA 13's
 * headers (see cuda_layout.h). Built only where the CUDA headers are.
 */
#include "harness.h"

#include "cuda_layout.h"

XM_TEST(test_own_cuda_types_have_cudas_layout_and_values)
{
    size_t n_ours, n_cuda, mismatches = 0;
    const struct xm_layout_entry *ours = xm_layout_ours(&n_ours);
    const struct xm_layout_entry *cuda = xm_layout_cuda(&n_cuda);

    XM_ASSERT_EQ(n_ours, n_cuda);
    for (size_t i = 0; i < n_ours; i++) {
        XM_ASSERT_STR_EQ(ours[i].what, cuda[i].what);
        if (ours[i].value != cuda[i].value) {
            fprintf(stderr, "  %s: extmem %lld, CUDA %lld\n", ours[i].what, ours[i].value,
                    cuda[i].value);
            mismatches++;
        }
    }
    XM_ASSERT_MSG(mismatches == 0, "%zu of %zu entries differ from CUDA's", mismatches, n_ours);
}

XM_TEST(test_layout_table_covers_the_types)
{
    size_t n;
    const struct xm_layout_entry *ours = xm_layout_ours(&n);
    int seen_handle_desc = 0, seen_d3d11_kmt = 0;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(ours[i].what, "sizeof(cudaExternalMemoryHandleDesc)") == 0)
            seen_handle_desc = 1;
        if (strcmp(ours[i].what, "cudaExternalMemoryHandleTypeD3D11ResourceKmt") == 0) {
            XM_ASSERT_EQ(ours[i].value, 7);
            seen_d3d11_kmt = 1;
        }
    }
    XM_ASSERT(seen_handle_desc);
    XM_ASSERT(seen_d3d11_kmt);
    XM_ASSERT(n > 300);
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_own_cuda_types_have_cudas_layout_and_values)
    XM_TEST_ENTRY(test_layout_table_covers_the_types))
