/*
 * The base of every shareable object (resources now, fences later).
 *
 * An object is reference counted: COM wrappers, NT-handle objects, CUDA
 * imports and mappings each hold one reference. A KMT value holds none
 * (Windows: "a globally shared D3DKMT handle does not hold a reference");
 * the registry finds objects by KMT value and takes a reference only while
 * the count is still above zero (xm_object_try_ref), so a value dies with
 * the last real reference.
 */
#ifndef EXTMEM_CORE_OBJECT_H
#define EXTMEM_CORE_OBJECT_H

#include <stdbool.h>
#include <stdint.h>

enum xm_object_kind {
    XM_OBJECT_RESOURCE = 1,
    XM_OBJECT_FENCE = 2,
    XM_OBJECT_PROCESS = 4, /* OpenProcess: a process to DuplicateHandle into */
    XM_OBJECT_EVENT = 3, /* a Win32 event (CreateEventW), NT handles only */
};

struct xm_object;

struct xm_object_ops {
    /* Frees the object once its last reference is gone. Called without
     * any registry lock held, after the object left the KMT table. */
    void (*destroy)(struct xm_object *object);
};

struct xm_object {
    enum xm_object_kind kind;
    uint32_t refcount;      /* atomic */
    uint32_t kmt;           /* global value, 0 if the object has none */
    const struct xm_object_ops *ops;
    /* Known to the broker (ipc/share.c): its id there, and the connection
     * generation that id belongs to; 0 while the object is process-local.
     * Guarded by the broker client's lock. */
    uint64_t broker_id;
    uint32_t broker_generation;
};

static inline void xm_object_init(struct xm_object *object, enum xm_object_kind kind,
                                  const struct xm_object_ops *ops)
{
    object->kind = kind;
    object->refcount = 1;
    object->kmt = 0;
    object->ops = ops;
    object->broker_id = 0;
    object->broker_generation = 0;
}

static inline void xm_object_ref(struct xm_object *object)
{
    __atomic_fetch_add(&object->refcount, 1, __ATOMIC_RELAXED);
}

/* Takes a reference unless the count already reached zero (the object is
 * being destroyed). For lookups through tables that hold no reference. */
static inline bool xm_object_try_ref(struct xm_object *object)
{
    uint32_t count = __atomic_load_n(&object->refcount, __ATOMIC_RELAXED);

    while (count != 0) {
        if (__atomic_compare_exchange_n(&object->refcount, &count, count + 1, true,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return true;
    }
    return false;
}

/* Drops a reference; the last one unregisters and destroys the object. */
void xm_object_unref(struct xm_object *object);

#endif
