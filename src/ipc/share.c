/*
 * The library side of sharing across processes (docs/ARCHITECTURE.md,
 * "Across processes"): registering exports with the broker, building
 * local stand-ins for other processes' objects, and keeping exactly one
 * broker reference per object alive here.
 *
 * `known` maps broker ids to this process's object for them, so a second
 * open of the same object (by KMT value, name or handle) finds the same
 * local object, and so a new connection (broker restart) can register
 * every live object again. It holds no reference; xm_share_forget removes
 * an object before it is freed. Everything here runs under the client
 * lock (ipc/client.c), which is recursive: dropping a reference inside it
 * may destroy an object, whose xm_share_forget takes the lock again.
 */
#include "ipc/share.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <extmem/dxgi.h>

#include "core/error.h"
#include "core/fence.h"
#include "core/handle_table.h"
#include "core/hash_map.h"
#include "core/resource.h"
#include "ipc/client.h"

struct known_entry {
    struct xm_object *object; /* no reference */
    char *name;               /* the name this process gave it, or NULL */
    uint32_t name_access;
};

static struct xm_hash_map known; /* broker id -> struct known_entry */
static pthread_once_t hook_once = PTHREAD_ONCE_INIT;

static void reregister_all(void);

static void install_hook(void)
{
    xm_broker_set_reconnect_hook(reregister_all);
}

static void lock(void)
{
    pthread_once(&hook_once, install_hook);
    xm_broker_lock();
}

bool xm_share_name_to_utf8(const WCHAR *name, char *out, size_t size)
{
    size_t n = 0;

    for (; *name; name++) {
        uint32_t c = (uint32_t)*name;
        uint8_t bytes[4];
        size_t count;

        if (c < 0x80) {
            bytes[0] = (uint8_t)c;
            count = 1;
        } else if (c < 0x800) {
            bytes[0] = (uint8_t)(0xc0 | (c >> 6));
            bytes[1] = (uint8_t)(0x80 | (c & 0x3f));
            count = 2;
        } else if (c < 0x10000) {
            if (c >= 0xd800 && c <= 0xdfff)
                return false;
            bytes[0] = (uint8_t)(0xe0 | (c >> 12));
            bytes[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
            bytes[2] = (uint8_t)(0x80 | (c & 0x3f));
            count = 3;
        } else if (c < 0x110000) {
            bytes[0] = (uint8_t)(0xf0 | (c >> 18));
            bytes[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
            bytes[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
            bytes[3] = (uint8_t)(0x80 | (c & 0x3f));
            count = 4;
        } else {
            return false;
        }
        if (n + count >= size || n + count > XM_WIRE_MAX_NAME)
            return false;
        memcpy(out + n, bytes, count);
        n += count;
    }
    out[n] = '\0';
    return n > 0;
}

/* What REGISTER says of an object: a resource's description, or, for a
 * fence, only the size of its page. */
static void desc_to_wire(const struct xm_object *object, struct xm_wire_desc *w)
{
    const struct xm_resource *resource;
    const struct xm_resource_desc *d;

    memset(w, 0, sizeof(*w));
    if (object->kind == XM_OBJECT_FENCE) {
        w->alloc_size = xm_fence_from_object((struct xm_object *)object)->page.size;
        return;
    }
    resource = xm_resource_from_object((struct xm_object *)object);
    d = &resource->desc;
    w->dimension = (uint32_t)d->dimension;
    w->format = (uint32_t)d->format;
    w->width = d->width;
    w->height = d->height;
    w->depth = d->depth;
    w->mip_levels = d->mip_levels;
    w->array_size = d->array_size;
    w->usage = (uint32_t)d->usage;
    w->bind_flags = d->bind_flags;
    w->cpu_access_flags = d->cpu_access_flags;
    w->misc_flags = d->misc_flags;
    w->structure_byte_stride = d->structure_byte_stride;
    w->alloc_size = resource->memory->size;
    snprintf(w->backend, sizeof(w->backend), "%s", resource->memory->ops->name);
}

static void desc_from_wire(const struct xm_wire_desc *w, struct xm_resource_desc *d)
{
    memset(d, 0, sizeof(*d));
    d->dimension = (D3D11_RESOURCE_DIMENSION)w->dimension;
    d->format = (DXGI_FORMAT)w->format;
    d->width = w->width;
    d->height = w->height;
    d->depth = w->depth;
    d->mip_levels = w->mip_levels;
    d->array_size = w->array_size;
    d->usage = (D3D11_USAGE)w->usage;
    d->bind_flags = w->bind_flags;
    d->cpu_access_flags = w->cpu_access_flags;
    d->misc_flags = w->misc_flags;
    d->structure_byte_stride = w->structure_byte_stride;
}

static bool is_current(const struct xm_object *object)
{
    return object->broker_id && object->broker_generation == xm_broker_generation();
}

/* Records object under id (replacing a dying object's stale entry). */
static struct known_entry *remember(struct xm_object *object)
{
    struct known_entry *entry = xm_hash_map_get(&known, object->broker_id);

    if (entry) {
        entry->object = object;
        return entry;
    }
    entry = calloc(1, sizeof(*entry));
    if (!entry)
        return NULL;
    entry->object = object;
    if (!xm_hash_map_insert(&known, object->broker_id, entry)) {
        free(entry);
        return NULL;
    }
    return entry;
}

static void drop_reference_locked(uint64_t id)
{
    struct xm_wire_id body = {id};
    struct xm_message reply;

    xm_broker_call_locked(XM_OP_UNREF, &body, sizeof(body), NULL, 0, -1, &reply, NULL);
}

/* The fds an object travels as: a resource's memory and, for a keyed
 * mutex, its page; a fence's page. Returns how many, or 0 when the object
 * cannot leave this process. */
static int object_fds(struct xm_object *object, int fds[2])
{
    struct xm_resource *resource;

    if (object->kind == XM_OBJECT_FENCE) {
        fds[0] = xm_fence_from_object(object)->page.fd;
        fds[1] = -1;
        return 1;
    }
    resource = xm_resource_from_object(object);
    fds[0] = resource->memory->fd;
    fds[1] = resource->keyed_mutex ? resource->keyed_mutex->page.fd : -1;
    /* A keyed mutex's whole state is its page: it travels as a second fd. */
    return fds[0] < 0 ? 0 : resource->keyed_mutex ? 2 : 1;
}

/* Registers a resource or fence with the broker on the current connection (once). */
static int register_locked(struct xm_object *object)
{
    struct xm_wire_register body = {0};
    struct xm_message reply;
    int fds[2], result;

    if (is_current(object))
        return XM_BROKER_OK;
    body.fd_count = (uint32_t)object_fds(object, fds);
    if (!body.fd_count)
        return xm_error(XM_WIRE_ERR_BAD_FD, "the resource's memory cannot leave this process");
    body.kind = (uint32_t)object->kind;
    body.want_kmt = object->kmt != 0;
    body.kmt = object->kmt;
    desc_to_wire(object, &body.desc);
    result = xm_broker_call_fds_locked(XM_OP_REGISTER, &body, sizeof(body), fds, 2, &reply, NULL);
    if (result != XM_BROKER_OK)
        return result == XM_BROKER_UNREACHABLE ? result
                                               : xm_error(result, "the extmem broker refused the object: %s",
                                                          xm_wire_error_name((uint32_t)result));
    /* The proposed value was another process's: take the broker's. */
    if (reply.u.registered.kmt != object->kmt && !xm_kmt_rekey(object, reply.u.registered.kmt)) {
        drop_reference_locked(reply.u.registered.id);
        return xm_error(XM_WIRE_ERR_NAME_EXISTS, "the KMT value the broker gave is taken in this process");
    }
    object->broker_id = reply.u.registered.id;
    object->broker_generation = xm_broker_generation();
    if (!remember(object)) {
        /* Without its entry the object could not be registered again after
         * a broker restart, nor found again by a second open: give up the
         * registration while it is still whole. */
        drop_reference_locked(object->broker_id);
        object->broker_id = 0;
        return xm_error(XM_WIRE_ERR_NO_MEMORY, "out of memory for the table of shared objects");
    }
    return XM_BROKER_OK;
}

static int name_locked(struct xm_object *object, const char *utf8, uint32_t access)
{
    struct xm_wire_name body = {object->broker_id, access, (uint32_t)strlen(utf8)};
    struct xm_message reply;

    return xm_broker_call_locked(XM_OP_NAME, &body, sizeof(body), utf8, body.name_len, -1, &reply, NULL);
}

void xm_share_export_kmt(struct xm_resource *resource)
{
    if (!xm_broker_enabled())
        return;
    lock();
    for (int attempt = 0; attempt < 2; attempt++)
        if (xm_broker_connect_locked(true) != 0 || register_locked(&resource->base) != XM_BROKER_UNREACHABLE)
            break;
    xm_broker_unlock();
}

HRESULT xm_share_export_name(struct xm_object *object, const WCHAR *name, uint32_t access)
{
    char utf8[XM_WIRE_MAX_NAME + 1];
    struct known_entry *entry;
    HRESULT hr = S_OK;
    int result;

    if (!xm_broker_enabled())
        return S_OK;
    if (!xm_share_name_to_utf8(name, utf8, sizeof(utf8)))
        return xm_error(E_INVALIDARG, "the name cannot be written in UTF-8");
    lock();
    for (int attempt = 0; attempt < 2; attempt++) {
        if (xm_broker_connect_locked(true) != 0 || register_locked(object) != XM_BROKER_OK)
            goto done; /* the name stays in this process */
        result = name_locked(object, utf8, access);
        if (result != XM_BROKER_UNREACHABLE)
            break;
    }
    if (result == XM_WIRE_ERR_NAME_EXISTS) {
        hr = xm_error(DXGI_ERROR_NAME_ALREADY_EXISTS, "the name \"%ls\" is in use by another process", name);
        goto done;
    }
    entry = result == XM_BROKER_OK ? xm_hash_map_get(&known, object->broker_id) : NULL;
    if (entry && !entry->name) {
        entry->name = strdup(utf8);
        entry->name_access = access;
    }
done:
    xm_broker_unlock();
    return hr;
}

void xm_share_unname(struct xm_object *object)
{
    struct known_entry *entry;
    struct xm_message reply;

    if (!xm_broker_enabled())
        return;
    lock();
    if (is_current(object)) {
        struct xm_wire_id body = {object->broker_id};

        xm_broker_call_locked(XM_OP_UNNAME, &body, sizeof(body), NULL, 0, -1, &reply, NULL);
    }
    entry = object->broker_id ? xm_hash_map_get(&known, object->broker_id) : NULL;
    if (entry && entry->object == object) {
        free(entry->name);
        entry->name = NULL;
    }
    xm_broker_unlock();
}

void xm_share_forget(struct xm_object *object)
{
    struct known_entry *entry;

    if (!object->broker_id)
        return;
    lock();
    entry = xm_hash_map_get(&known, object->broker_id);
    if (entry && entry->object == object) {
        xm_hash_map_remove(&known, object->broker_id);
        free(entry->name);
        free(entry);
    }
    if (is_current(object))
        drop_reference_locked(object->broker_id);
    object->broker_id = 0;
    xm_broker_unlock();
}

/* A local object over what an OBJECT reply sent: a resource over its
 * memory (and keyed-mutex page), or a fence over its page. Takes
 * ownership of fd on success only; sync_fd stays the caller's. */
static enum xm_lookup build_local(const struct xm_wire_object *wire, int fd, int sync_fd, struct xm_object **out)
{
    const struct xm_backend_ops *backend;
    struct xm_resource_desc desc;
    struct xm_resource *resource;
    struct xm_fence *fence;

    if (wire->kind == XM_OBJECT_FENCE) {
        if (FAILED(xm_fence_create_from_fd(fd, true, &fence)))
            return XM_LOOKUP_NOT_FOUND;
        *out = &fence->base;
        return XM_LOOKUP_OK;
    }
    if (wire->kind != XM_OBJECT_RESOURCE)
        return xm_error(XM_LOOKUP_WRONG_KIND, "the shared object is neither a resource nor a fence");
    backend = xm_backend_find(wire->desc.backend);
    if (!backend) {
        xm_set_error_message(__FILE__, __LINE__, "the resource was shared by the \"%s\" backend, which this "
                             "build lacks", wire->desc.backend);
        return XM_LOOKUP_NOT_FOUND;
    }
    desc_from_wire(&wire->desc, &desc);
    if (FAILED(xm_resource_import(&desc, backend, fd, sync_fd, wire->desc.alloc_size, &resource)))
        return XM_LOOKUP_NOT_FOUND;
    *out = &resource->base;
    return XM_LOOKUP_OK;
}

/* Turns an OBJECT reply (and the reference it gave) into a local object. */
static enum xm_lookup adopt_locked(const struct xm_wire_object *wire, int fd, struct xm_object **out)
{
    struct known_entry *entry = xm_hash_map_get(&known, wire->id);
    int sync_fd = wire->fd_count == 2 ? xm_broker_take_fd_locked() : -1;
    struct xm_object *object = NULL;
    enum xm_lookup lookup;

    if (entry && xm_object_try_ref(entry->object)) {
        /* One broker reference per object and process: this one is extra,
         * unless the object's own belongs to an older connection. */
        if (is_current(entry->object))
            drop_reference_locked(wire->id);
        else
            entry->object->broker_generation = xm_broker_generation();
        *out = entry->object;
        lookup = XM_LOOKUP_OK;
        goto done;
    }
    lookup = build_local(wire, fd, sync_fd, &object);
    if (lookup != XM_LOOKUP_OK) {
        drop_reference_locked(wire->id);
        goto done;
    }
    fd = -1; /* the object's now */
    object->broker_id = wire->id;
    object->broker_generation = xm_broker_generation();
    if (wire->kmt)
        xm_kmt_register_value(object, wire->kmt);
    /* Without an entry a second open would make a second local object,
     * which the rules above allow (each holds its own broker reference
     * until it dies); only a broker restart could not find it again. */
    remember(object);
    *out = object;
done:
    if (fd >= 0)
        close(fd);
    if (sync_fd >= 0)
        close(sync_fd); /* a keyed mutex maps its own */
    return lookup;
}

/* Sends an open-style request and adopts what comes back. */
static enum xm_lookup open_remote(uint16_t opcode, const void *body, uint32_t size, const char *name,
                                  uint32_t name_len, struct xm_object **out, uint32_t *access, uint32_t *flags)
{
    enum xm_lookup lookup = XM_LOOKUP_NOT_FOUND;
    struct xm_message reply;
    int fd, result;

    if (!xm_broker_enabled())
        return XM_LOOKUP_NOT_FOUND;
    lock();
    if (xm_broker_connect_locked(xm_broker_was_connected()) != 0)
        goto done;
    result = xm_broker_call_locked(opcode, body, size, name, name_len, -1, &reply, &fd);
    /* The broker went away since the last call: once more with a new one
     * (these requests name no broker id, so they survive the change). */
    if (result == XM_BROKER_UNREACHABLE && xm_broker_connect_locked(true) == 0)
        result = xm_broker_call_locked(opcode, body, size, name, name_len, -1, &reply, &fd);
    if (result == XM_WIRE_ERR_WRONG_KIND)
        lookup = XM_LOOKUP_WRONG_KIND;
    if (result != XM_BROKER_OK || reply.opcode != XM_OP_OBJECT) {
        if (fd >= 0)
            close(fd);
        goto done;
    }
    lookup = adopt_locked(&reply.u.object, fd, out);
    if (lookup == XM_LOOKUP_OK && access)
        *access = reply.u.object.access & XM_ACCESS_ALL;
    if (lookup == XM_LOOKUP_OK && flags)
        *flags = reply.u.object.flags;
done:
    xm_broker_unlock();
    return lookup;
}

enum xm_lookup xm_share_open_kmt(uint32_t value, enum xm_object_kind kind, struct xm_object **out)
{
    struct xm_wire_open_kmt body = {value, (uint32_t)kind};

    return open_remote(XM_OP_OPEN_KMT, &body, sizeof(body), NULL, 0, out, NULL, NULL);
}

enum xm_lookup xm_share_open_name(const WCHAR *name, enum xm_object_kind kind, struct xm_object **out,
                                  uint32_t *access)
{
    char utf8[XM_WIRE_MAX_NAME + 1];
    struct xm_wire_open_name body = {(uint32_t)kind, 0};

    if (!xm_share_name_to_utf8(name, utf8, sizeof(utf8)))
        return XM_LOOKUP_NOT_FOUND;
    body.name_len = (uint32_t)strlen(utf8);
    return open_remote(XM_OP_OPEN_NAME, &body, sizeof(body), utf8, body.name_len, out, access, NULL);
}

bool xm_share_claim_handle(HANDLE handle)
{
    struct xm_wire_claim body = {(uint32_t)(uintptr_t)handle, 0};
    struct xm_object *object;
    uint32_t access = 0, flags = 0;
    HRESULT hr;

    if (open_remote(XM_OP_CLAIM, &body, sizeof(body), NULL, 0, &object, &access, &flags) != XM_LOOKUP_OK)
        return false;
    hr = xm_handle_install(object, access, flags & XM_WIRE_OBJECT_HOLDS_NAME, handle);
    /* Installing failed: the name hold the claim gave goes back. */
    if (FAILED(hr) && (flags & XM_WIRE_OBJECT_HOLDS_NAME))
        xm_share_unname(object);
    xm_object_unref(object);
    return SUCCEEDED(hr);
}

DWORD xm_share_duplicate(struct xm_object *target, uint32_t access, bool named, pid_t pid, HANDLE *out)
{
    struct xm_wire_duplicate body = {0};
    struct xm_message reply;
    DWORD error = ERROR_SUCCESS;
    int result;

    if (!xm_broker_enabled())
        return xm_error(ERROR_NOT_SUPPORTED, "EXTMEM_BROKER=off: handles cannot go to another process");
    if (target->kind != XM_OBJECT_RESOURCE && target->kind != XM_OBJECT_FENCE)
        return xm_error(ERROR_NOT_SUPPORTED, "only resource and fence handles can go to another process");
    lock();
    for (int attempt = 0; attempt < 2; attempt++) {
        if (xm_broker_connect_locked(true) != 0) {
            error = ERROR_NOT_SUPPORTED;
            goto done;
        }
        result = register_locked(target);
        if (result == XM_BROKER_OK) {
            body.id = target->broker_id;
            body.target_pid = (uint32_t)pid;
            body.access = access;
            body.flags = named ? XM_WIRE_DUPLICATE_NAMED : 0;
            result = xm_broker_call_locked(XM_OP_DUPLICATE, &body, sizeof(body), NULL, 0, -1, &reply, NULL);
        }
        if (result != XM_BROKER_UNREACHABLE)
            break;
    }
    if (result == XM_WIRE_ERR_NO_PROCESS)
        error = xm_error(ERROR_INVALID_PARAMETER, "process %d does not exist", (int)pid);
    else if (result == XM_WIRE_ERR_NO_MEMORY)
        error = xm_error(ERROR_NOT_ENOUGH_MEMORY, "the extmem broker is out of memory");
    else if (result != XM_BROKER_OK)
        error = ERROR_NOT_SUPPORTED;
    else
        *out = (HANDLE)(uintptr_t)reply.u.duplicated.handle;
done:
    xm_broker_unlock();
    return error;
}

/* A new connection replaced a lost one (the broker restarted): register
 * every live object again, under its KMT value and name, so that other
 * processes find them again. The broker merges registrations of the same
 * memory from several processes into one object. */
static void reregister_all(void)
{
    struct xm_hash_map old = known;
    struct xm_object **live = calloc(old.count ? old.count : 1, sizeof(*live));
    size_t live_count = 0;

    xm_hash_map_init(&known);
    for (size_t i = 0; i < old.capacity; i++) {
        struct known_entry *entry = old.entries[i].key ? old.entries[i].value : NULL;

        if (!entry)
            continue;
        if (live && xm_object_try_ref(entry->object)) {
            struct xm_object *object = entry->object;

            live[live_count++] = object;
            if (register_locked(object) == XM_BROKER_OK && entry->name)
                name_locked(object, entry->name, entry->name_access);
            if (entry->name && is_current(object)) {
                struct known_entry *now = xm_hash_map_get(&known, object->broker_id);

                if (now && !now->name) {
                    now->name = entry->name;
                    now->name_access = entry->name_access;
                    entry->name = NULL;
                }
            }
        }
        free(entry->name);
        free(entry);
    }
    xm_hash_map_finish(&old);
    for (size_t i = 0; i < live_count; i++)
        xm_object_unref(live[i]);
    free(live);
}
