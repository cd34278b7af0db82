/* The layout table with extmem's own CUDA-named types (no CUDA header). */
#include <extmem/cuda_interop.h>

#include "cuda_layout.h"

#if EXTMEM_USES_CUDA_RUNTIME_TYPES
#error "this file must see extmem's own declarations, not CUDA's"
#endif

XM_LAYOUT_TYPEDEF_CHECKS;

static const struct xm_layout_entry table[] = {
    XM_LAYOUT_LIST(XM_LAYOUT_ENTRY_STRUCT, XM_LAYOUT_ENTRY_FIELD, XM_LAYOUT_ENTRY_ENUM,
                   XM_LAYOUT_ENTRY_CONST)
};

const struct xm_layout_entry *xm_layout_ours(size_t *count)
{
    *count = sizeof(table) / sizeof(table[0]);
    return table;
}
