#include "d3d11/private_data.h"

#include <stdlib.h>
#include <string.h>

#include <extmem/dxgi.h>

#include "core/error.h"

struct xm_private_entry {
    struct xm_private_entry *next;
    GUID guid;
    IUnknown *object;    /* set for interface entries */
    UINT size;
    unsigned char data[];
};

void xm_private_store_init(struct xm_private_store *store)
{
    pthread_mutex_init(&store->lock, NULL);
    store->entries = NULL;
}

static void free_entry(struct xm_private_entry *entry)
{
    if (entry->object)
        IUnknown_Release(entry->object);
    free(entry);
}

void xm_private_store_finish(struct xm_private_store *store)
{
    struct xm_private_entry *entry, *next;

    for (entry = store->entries; entry; entry = next) {
        next = entry->next;
        free_entry(entry);
    }
    pthread_mutex_destroy(&store->lock);
}

/* Caller holds the lock. Unlinks and returns the entry for guid. */
static struct xm_private_entry *unlink_entry(struct xm_private_store *store, REFGUID guid)
{
    for (struct xm_private_entry **link = &store->entries; *link; link = &(*link)->next) {
        if (IsEqualGUID(&(*link)->guid, guid)) {
            struct xm_private_entry *entry = *link;
            *link = entry->next;
            return entry;
        }
    }
    return NULL;
}

static HRESULT store_entry(struct xm_private_store *store, REFGUID guid, struct xm_private_entry *entry)
{
    struct xm_private_entry *old;

    pthread_mutex_lock(&store->lock);
    old = unlink_entry(store, guid);
    if (entry) {
        entry->next = store->entries;
        store->entries = entry;
    }
    pthread_mutex_unlock(&store->lock);
    if (old)
        free_entry(old);
    return S_OK;
}

HRESULT xm_private_store_set(struct xm_private_store *store, REFGUID guid, UINT size, const void *data)
{
    struct xm_private_entry *entry;

    if (!guid)
        return xm_error(E_INVALIDARG, "SetPrivateData: guid is NULL");
    if (!size || !data) {
        if (size || data)
            return xm_error(E_INVALIDARG, "SetPrivateData: DataSize %u does not match pData %p", size, data);
        return store_entry(store, guid, NULL);
    }
    entry = malloc(sizeof(*entry) + size);
    if (!entry)
        return xm_error(E_OUTOFMEMORY, "SetPrivateData: out of memory for %u bytes", size);
    entry->guid = *guid;
    entry->object = NULL;
    entry->size = size;
    memcpy(entry->data, data, size);
    return store_entry(store, guid, entry);
}

HRESULT xm_private_store_set_interface(struct xm_private_store *store, REFGUID guid, const IUnknown *object)
{
    struct xm_private_entry *entry;

    if (!guid)
        return xm_error(E_INVALIDARG, "SetPrivateDataInterface: guid is NULL");
    if (!object)
        return store_entry(store, guid, NULL);
    entry = malloc(sizeof(*entry) + sizeof(object));
    if (!entry)
        return xm_error(E_OUTOFMEMORY, "SetPrivateDataInterface: out of memory");
    entry->guid = *guid;
    entry->object = (IUnknown *)object;
    entry->size = sizeof(object);
    memcpy(entry->data, &object, sizeof(object));
    IUnknown_AddRef(entry->object);
    return store_entry(store, guid, entry);
}

HRESULT xm_private_store_get(struct xm_private_store *store, REFGUID guid, UINT *size, void *data)
{
    struct xm_private_entry *entry;
    HRESULT hr = S_OK;

    if (!guid || !size)
        return xm_error(E_INVALIDARG, "GetPrivateData: guid or pDataSize is NULL");
    pthread_mutex_lock(&store->lock);
    for (entry = store->entries; entry; entry = entry->next)
        if (IsEqualGUID(&entry->guid, guid))
            break;
    if (!entry) {
        *size = 0;
        hr = DXGI_ERROR_NOT_FOUND;
    } else if (!data) {
        *size = entry->size;
    } else if (*size < entry->size) {
        *size = entry->size;
        hr = DXGI_ERROR_MORE_DATA;
    } else {
        *size = entry->size;
        memcpy(data, entry->data, entry->size);
        if (entry->object)
            IUnknown_AddRef(entry->object);
    }
    pthread_mutex_unlock(&store->lock);
    return hr;
}
