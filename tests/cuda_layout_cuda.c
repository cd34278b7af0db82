/*
 * The layout table with CUDA's own types (<cuda_runtime_api.h>; nothing is
 * linked from CUDA). Also checks that each extmem call has exactly the type
 * of the CUDA call it stands for, with extmem's header in CUDA-types mode.
 */
#include <cuda_runtime_api.h>

#include <extmem/cuda_interop.h>

#include "cuda_layout.h"

#if !EXTMEM_USES_CUDA_RUNTIME_TYPES
#error "extmem's header must switch to CUDA's types after cuda_runtime_api.h"
#endif

XM_LAYOUT_TYPEDEF_CHECKS;

#define XM_SAME_CALL(name) XM_SAME_TYPE(__typeof__(extmem##name), __typeof__(cuda##name))
XM_SAME_CALL(ImportExternalMemory);
XM_SAME_CALL(ExternalMemoryGetMappedBuffer);
XM_SAME_CALL(ExternalMemoryGetMappedMipmappedArray);
XM_SAME_CALL(DestroyExternalMemory);
XM_SAME_CALL(ImportExternalSemaphore);
XM_SAME_CALL(SignalExternalSemaphoresAsync);
XM_SAME_CALL(WaitExternalSemaphoresAsync);
XM_SAME_CALL(DestroyExternalSemaphore);
XM_SAME_CALL(Malloc);
XM_SAME_CALL(Free);
XM_SAME_CALL(FreeMipmappedArray);
XM_SAME_CALL(GetMipmappedArrayLevel);
XM_SAME_CALL(ArrayGetInfo);
XM_SAME_CALL(Memcpy);
XM_SAME_CALL(MemcpyAsync);
XM_SAME_CALL(Memcpy2D);
XM_SAME_CALL(Memcpy2DAsync);
XM_SAME_CALL(Memcpy2DToArray);
XM_SAME_CALL(Memcpy2DToArrayAsync);
XM_SAME_CALL(Memcpy2DFromArray);
XM_SAME_CALL(Memcpy2DFromArrayAsync);
XM_SAME_CALL(Memcpy2DArrayToArray);
XM_SAME_CALL(Memcpy3D);
XM_SAME_CALL(Memcpy3DAsync);
XM_SAME_CALL(Memset);
XM_SAME_CALL(MemsetAsync);
XM_SAME_CALL(Memset2D);
XM_SAME_CALL(DeviceSynchronize);
XM_SAME_CALL(StreamCreate);
XM_SAME_CALL(StreamCreateWithFlags);
XM_SAME_CALL(StreamDestroy);
XM_SAME_CALL(StreamSynchronize);
XM_SAME_CALL(StreamQuery);
XM_SAME_CALL(GetLastError);
XM_SAME_CALL(PeekAtLastError);
XM_SAME_CALL(GetErrorName);
XM_SAME_CALL(GetErrorString);
XM_SAME_CALL(CreateChannelDesc);
XM_SAME_CALL(GetDeviceCount);
XM_SAME_CALL(SetDevice);
XM_SAME_CALL(GetDevice);

static const struct xm_layout_entry table[] = {
    XM_LAYOUT_LIST(XM_LAYOUT_ENTRY_STRUCT, XM_LAYOUT_ENTRY_FIELD, XM_LAYOUT_ENTRY_ENUM,
                   XM_LAYOUT_ENTRY_CONST)
};

const struct xm_layout_entry *xm_layout_cuda(size_t *count)
{
    *count = sizeof(table) / sizeof(table[0]);
    return table;
}
