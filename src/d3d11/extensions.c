/* extmem's own calls (include/extmem/extmem.h). */
#include <extmem/extmem.h>

#include "backend/backend.h"
#include "core/error.h"
#include "d3d11/d3d11_private.h"

EXTMEM_API const char *extmemGetLastErrorMessage(void)
{
    return xm_last_error_message();
}

static HRESULT resource_sizes(ID3D11Resource *iface, UINT64 *size, bool allocated, const char *method)
{
    struct d3d11_resource *object = unsafe_impl_from_ID3D11Resource(iface);

    if (!object || !size)
        return xm_error(E_INVALIDARG, "%s: %s", method, !object ? "not an extmem resource" : "size is NULL");
    *size = allocated ? object->resource->memory->size : object->resource->layout.size;
    return S_OK;
}

EXTMEM_API HRESULT extmemGetResourceAllocationSize(ID3D11Resource *resource, UINT64 *size)
{
    return resource_sizes(resource, size, true, "extmemGetResourceAllocationSize");
}

EXTMEM_API HRESULT extmemGetResourcePackedSize(ID3D11Resource *resource, UINT64 *size)
{
    return resource_sizes(resource, size, false, "extmemGetResourcePackedSize");
}

EXTMEM_API const char *extmemGetBackendName(void)
{
    const struct xm_backend_ops *backend = xm_backend_default();
    return backend ? backend->name : NULL;
}
