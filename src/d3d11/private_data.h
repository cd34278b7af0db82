/*
 * SetPrivateData / GetPrivateData / SetPrivateDataInterface storage, as
 * DXGI and D3D11 objects keep it: a GUID-keyed list of byte blobs or
 * interface pointers (which hold a reference until replaced or freed).
 * Access is serialized by a lock of the store's own.
 */
#ifndef EXTMEM_D3D11_PRIVATE_DATA_H
#define EXTMEM_D3D11_PRIVATE_DATA_H

#include <pthread.h>

#include <extmem/wintypes.h>

struct xm_private_entry;

struct xm_private_store {
    pthread_mutex_t lock;
    struct xm_private_entry *entries;
};

void xm_private_store_init(struct xm_private_store *store);
void xm_private_store_finish(struct xm_private_store *store);

/* size 0 with data NULL removes the entry. */
HRESULT xm_private_store_set(struct xm_private_store *store, REFGUID guid, UINT size, const void *data);
HRESULT xm_private_store_set_interface(struct xm_private_store *store, REFGUID guid, const IUnknown *object);
/* D3D11 semantics: data NULL asks for the size; a short buffer gets
 * DXGI_ERROR_MORE_DATA with *size set to what is needed; a missing GUID is
 * DXGI_ERROR_NOT_FOUND with *size 0. An interface entry is returned as an
 * added reference. */
HRESULT xm_private_store_get(struct xm_private_store *store, REFGUID guid, UINT *size, void *data);

#endif
