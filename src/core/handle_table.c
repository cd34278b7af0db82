#include "core/handle_table.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <wchar.h>

#include <extmem/dxgi.h>

#include "core/error.h"
#include "core/hash_map.h"
#include "ipc/share.h"

/* The kernel object behind one or more NT handle values. */
struct nt_object {
    uint32_t handle_count;   /* open handle values naming it */
    struct xm_object *target; /* one reference */
    uint32_t access;
    WCHAR *name;             /* NULL when unnamed */
    bool name_held;          /* installed from a named grant: holds its name at the broker */
    struct xm_hash_chain name_link; /* in `names` while named */
};

/* One handle value. */
struct handle_entry {
    struct nt_object *object;
    uint32_t access;
};

#define NT_HANDLE_STEP 4u
/* Values from XM_REMOTE_HANDLE_BIT up are handed out by the broker to
 * processes that receive a DuplicateHandle (ipc/protocol.h). */
#define NT_HANDLE_LIMIT XM_REMOTE_HANDLE_BIT

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xm_hash_map kmt_values;   /* value -> struct xm_object (no reference) */
static struct xm_hash_map handles;      /* value -> struct handle_entry */
static struct xm_hash_map names;        /* name hash -> chain of nt_object.name_link */
static uint32_t next_handle = NT_HANDLE_STEP;
static size_t nt_object_count;

static uint32_t random_kmt_value(void)
{
    uint32_t r = 0;

    /* getrandom with a 4-byte request never returns short once the pool is
     * up; fall back to mixing the address space if it is somehow unavailable. */
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (uint32_t)(xm_hash_bytes(&r, sizeof(r)) ^ (uintptr_t)&r);
    return xm_kmt_from_random(r);
}

HRESULT xm_kmt_register(struct xm_object *object)
{
    HRESULT hr = S_OK;
    uint32_t value;

    pthread_mutex_lock(&table_lock);
    do
        value = random_kmt_value();
    while (xm_hash_map_get(&kmt_values, value));
    if (xm_hash_map_insert(&kmt_values, value, object))
        object->kmt = value;
    else
        hr = xm_error(E_OUTOFMEMORY, "out of memory for the KMT table");
    pthread_mutex_unlock(&table_lock);
    return hr;
}

bool xm_kmt_register_value(struct xm_object *object, uint32_t value)
{
    struct xm_object *holder;
    bool ok = false;

    pthread_mutex_lock(&table_lock);
    holder = xm_hash_map_get(&kmt_values, value);
    /* A holder whose count reached zero is being destroyed: take its place
     * (xm_kmt_unregister removes only an entry that is still its own). */
    if (holder && __atomic_load_n(&holder->refcount, __ATOMIC_RELAXED) == 0) {
        xm_hash_map_remove(&kmt_values, value);
        holder = NULL;
    }
    if (!holder && xm_hash_map_insert(&kmt_values, value, object)) {
        object->kmt = value;
        ok = true;
    }
    pthread_mutex_unlock(&table_lock);
    return ok;
}

bool xm_kmt_rekey(struct xm_object *object, uint32_t value)
{
    bool ok = false;

    pthread_mutex_lock(&table_lock);
    if (!xm_hash_map_get(&kmt_values, value) && xm_hash_map_insert(&kmt_values, value, object)) {
        if (xm_hash_map_get(&kmt_values, object->kmt) == object)
            xm_hash_map_remove(&kmt_values, object->kmt);
        object->kmt = value;
        ok = true;
    }
    pthread_mutex_unlock(&table_lock);
    return ok;
}

void xm_kmt_unregister(struct xm_object *object)
{
    if (!object->kmt)
        return;
    pthread_mutex_lock(&table_lock);
    if (xm_hash_map_get(&kmt_values, object->kmt) == object)
        xm_hash_map_remove(&kmt_values, object->kmt);
    pthread_mutex_unlock(&table_lock);
}

enum xm_lookup xm_kmt_open(uint32_t value, enum xm_object_kind kind, struct xm_object **out)
{
    enum xm_lookup result = XM_LOOKUP_NOT_FOUND;
    struct xm_object *object;

    pthread_mutex_lock(&table_lock);
    object = xm_hash_map_get(&kmt_values, value);
    if (object && object->kind != kind)
        result = XM_LOOKUP_WRONG_KIND;
    else if (object && xm_object_try_ref(object))
        result = XM_LOOKUP_OK;
    pthread_mutex_unlock(&table_lock);
    if (result == XM_LOOKUP_OK)
        *out = object;
    /* Another process's object: ask the broker (when one runs). */
    if (result == XM_LOOKUP_NOT_FOUND && xm_kmt_is_well_formed(value))
        result = xm_share_open_kmt(value, kind, out);
    return result;
}

void xm_object_unref(struct xm_object *object)
{
    if (__atomic_fetch_sub(&object->refcount, 1, __ATOMIC_ACQ_REL) != 1)
        return;
    /* Count is zero: lookups can no longer take a reference. */
    xm_kmt_unregister(object);
    object->ops->destroy(object);
}

bool xm_name_is_valid(const WCHAR *name)
{
    size_t length;

    if (!name)
        return true;
    length = wcsnlen(name, MAX_PATH + 1);
    if (length == 0)
        return xm_error(false, "the name is empty");
    if (length > MAX_PATH)
        return xm_error(false, "the name is longer than MAX_PATH (%d) characters", MAX_PATH);
    return true;
}

static uint64_t hash_name(const WCHAR *name)
{
    return xm_hash_bytes(name, wcslen(name) * sizeof(*name));
}

/* Caller holds table_lock. */
static struct nt_object *find_name(const WCHAR *name)
{
    for (struct xm_hash_chain *link = xm_hash_chain_first(&names, hash_name(name)); link; link = link->next) {
        struct nt_object *object = xm_hash_chain_entry(link, struct nt_object, name_link);

        if (wcscmp(object->name, name) == 0)
            return object;
    }
    return NULL;
}

/* Caller holds table_lock. Returns 0 when the 2^28 values ran out. */
static uint32_t allocate_handle_value(void)
{
    for (uint32_t tries = 0; tries < NT_HANDLE_LIMIT / NT_HANDLE_STEP; tries++) {
        uint32_t value = next_handle;

        next_handle += NT_HANDLE_STEP;
        if (next_handle >= NT_HANDLE_LIMIT)
            next_handle = NT_HANDLE_STEP;
        if (!xm_hash_map_get(&handles, value))
            return value;
    }
    return 0;
}

/* Caller holds table_lock. */
static HRESULT insert_handle(struct nt_object *object, uint32_t access, HANDLE *out)
{
    struct handle_entry *entry = malloc(sizeof(*entry));
    uint32_t value = allocate_handle_value();

    if (!entry || !value || !xm_hash_map_insert(&handles, value, entry)) {
        free(entry);
        return xm_error(E_OUTOFMEMORY, "out of memory for a handle");
    }
    entry->object = object;
    entry->access = access;
    object->handle_count++;
    *out = (HANDLE)(uintptr_t)value;
    return S_OK;
}

HRESULT xm_handle_create(struct xm_object *target, uint32_t access, const WCHAR *name, HANDLE *out)
{
    struct nt_object *object;
    HRESULT hr;

    if (!xm_name_is_valid(name))
        return E_INVALIDARG;
    object = calloc(1, sizeof(*object));
    if (!object)
        return xm_error(E_OUTOFMEMORY, "out of memory for an NT object");
    if (name && !(object->name = wcsdup(name))) {
        free(object);
        return xm_error(E_OUTOFMEMORY, "out of memory for a name");
    }
    object->target = target;
    object->access = access;
    if (name)
        object->name_link.hash = hash_name(name);

    pthread_mutex_lock(&table_lock);
    if (name && find_name(name)) {
        hr = xm_error(DXGI_ERROR_NAME_ALREADY_EXISTS, "the name \"%ls\" is already in use", name);
        goto unlock;
    }
    if (name && !xm_hash_chain_link(&names, &object->name_link)) {
        hr = xm_error(E_OUTOFMEMORY, "out of memory for the name table");
        goto unlock;
    }
    hr = insert_handle(object, access, out);
    if (FAILED(hr)) {
        if (name)
            xm_hash_chain_unlink(&names, &object->name_link);
        goto unlock;
    }
    xm_object_ref(target);
    nt_object_count++;
unlock:
    pthread_mutex_unlock(&table_lock);
    if (FAILED(hr)) {
        free(object->name);
        free(object);
    }
    return hr;
}

/* Caller holds table_lock. */
static enum xm_lookup open_target(struct nt_object *object, uint32_t access, enum xm_object_kind kind,
                                  struct xm_object **out, uint32_t *access_out)
{
    if (object->target->kind != kind)
        return XM_LOOKUP_WRONG_KIND;
    /* The NT object holds a reference, so the count is above zero. */
    xm_object_ref(object->target);
    *out = object->target;
    if (access_out)
        *access_out = access;
    return XM_LOOKUP_OK;
}

enum xm_lookup xm_handle_open(HANDLE handle, enum xm_object_kind kind, struct xm_object **out,
                              uint32_t *access)
{
    enum xm_lookup result = XM_LOOKUP_NOT_FOUND;
    struct handle_entry *entry;

    pthread_mutex_lock(&table_lock);
    entry = xm_hash_map_get(&handles, (uint64_t)(uintptr_t)handle);
    if (entry)
        result = open_target(entry->object, entry->access, kind, out, access);
    pthread_mutex_unlock(&table_lock);
    /* A value another process duplicated into this one: take it from the
     * broker once (it then is an ordinary handle here), then open it. */
    if (result == XM_LOOKUP_NOT_FOUND && xm_handle_is_remote(handle) && xm_share_claim_handle(handle))
        return xm_handle_open(handle, kind, out, access);
    return result;
}

enum xm_lookup xm_name_open(const WCHAR *name, enum xm_object_kind kind, struct xm_object **out,
                            uint32_t *access)
{
    enum xm_lookup result = XM_LOOKUP_NOT_FOUND;
    struct nt_object *object;

    pthread_mutex_lock(&table_lock);
    object = find_name(name);
    if (object)
        result = open_target(object, object->access, kind, out, access);
    pthread_mutex_unlock(&table_lock);
    if (result == XM_LOOKUP_NOT_FOUND)
        result = xm_share_open_name(name, kind, out, access);
    return result;
}

/* Caller holds table_lock. Returns the target to unref once unlocked when
 * the last handle of its NT object went, else NULL. */
static struct nt_object *drop_handle(struct handle_entry *entry)
{
    struct nt_object *object = entry->object;

    free(entry);
    if (--object->handle_count > 0)
        return NULL;
    if (object->name)
        xm_hash_chain_unlink(&names, &object->name_link);
    nt_object_count--;
    return object;
}

static void free_nt_object(struct nt_object *object)
{
    if (!object)
        return;
    /* The name lives while a handle to its NT object is open in any
     * process: this process's hold on it goes with its last one here. */
    if (object->name || object->name_held)
        xm_share_unname(object->target);
    xm_object_unref(object->target);
    free(object->name);
    free(object);
}

bool xm_handle_close(HANDLE handle)
{
    struct nt_object *dead = NULL;
    struct handle_entry *entry;

    pthread_mutex_lock(&table_lock);
    entry = xm_hash_map_remove(&handles, (uint64_t)(uintptr_t)handle);
    if (entry)
        dead = drop_handle(entry);
    pthread_mutex_unlock(&table_lock);
    free_nt_object(dead);
    /* Closing a duplicated-in value never opened here still releases the
     * broker's grant: claim it, then close it. */
    if (!entry && xm_handle_is_remote(handle) && xm_share_claim_handle(handle))
        return xm_handle_close(handle);
    return entry != NULL;
}

HRESULT xm_handle_install(struct xm_object *target, uint32_t access, bool name_held, HANDLE value)
{
    struct nt_object *object = calloc(1, sizeof(*object));
    struct handle_entry *entry = malloc(sizeof(*entry));
    HRESULT hr = S_OK;

    if (!object || !entry) {
        hr = xm_error(E_OUTOFMEMORY, "out of memory for an NT object");
        goto done;
    }
    object->target = target;
    object->access = access;
    object->name_held = name_held;
    entry->object = object;
    entry->access = access;
    pthread_mutex_lock(&table_lock);
    if (xm_hash_map_get(&handles, (uint64_t)(uintptr_t)value))
        hr = xm_error(E_INVALIDARG, "handle value %p is already open in this process", value);
    else if (!xm_hash_map_insert(&handles, (uint64_t)(uintptr_t)value, entry))
        hr = xm_error(E_OUTOFMEMORY, "out of memory for a handle");
    if (SUCCEEDED(hr)) {
        object->handle_count = 1;
        xm_object_ref(target);
        nt_object_count++;
        object = NULL;
        entry = NULL;
    }
    pthread_mutex_unlock(&table_lock);
done:
    free(object);
    free(entry);
    return hr;
}

DWORD xm_handle_duplicate(HANDLE source, uint32_t access, bool same_access, bool close_source,
                          HANDLE *out)
{
    struct nt_object *dead = NULL;
    struct handle_entry *entry;
    DWORD error = ERROR_SUCCESS;

    pthread_mutex_lock(&table_lock);
    entry = xm_hash_map_get(&handles, (uint64_t)(uintptr_t)source);
    if (!entry) {
        error = xm_error(ERROR_INVALID_HANDLE, "%p is not an open NT handle of this process", source);
        goto unlock;
    }
    if (same_access)
        access = entry->access;
    if (access & ~entry->access) {
        error = xm_error(ERROR_ACCESS_DENIED, "the duplicate asks for more access than handle %p has", source);
        goto unlock;
    }
    if (FAILED(insert_handle(entry->object, access, out))) {
        error = ERROR_NOT_ENOUGH_MEMORY;
        goto unlock;
    }
    if (close_source) {
        xm_hash_map_remove(&handles, (uint64_t)(uintptr_t)source);
        dead = drop_handle(entry); /* never the last: the new handle holds it */
    }
unlock:
    pthread_mutex_unlock(&table_lock);
    free_nt_object(dead);
    return error;
}

bool xm_handle_is_named(HANDLE handle)
{
    struct handle_entry *entry;
    bool named;

    pthread_mutex_lock(&table_lock);
    entry = xm_hash_map_get(&handles, (uint64_t)(uintptr_t)handle);
    named = entry && (entry->object->name || entry->object->name_held);
    pthread_mutex_unlock(&table_lock);
    return named;
}

void xm_handle_stats(struct xm_handle_stats *stats)
{
    pthread_mutex_lock(&table_lock);
    stats->handles = handles.count;
    stats->nt_objects = nt_object_count;
    stats->kmt_values = kmt_values.count;
    stats->names = 0;
    for (size_t i = 0; i < names.capacity; i++)
        for (struct xm_hash_chain *link = names.entries[i].key ? names.entries[i].value : NULL; link;
             link = link->next)
            stats->names++;
    pthread_mutex_unlock(&table_lock);
}
