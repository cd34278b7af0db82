#include "core/fence.h"

#include <stdlib.h>

#include "core/error.h"
#include "ipc/share.h"

static size_t live_fences; /* atomic */

static struct xm_fence_state *state_of(struct xm_fence *fence)
{
    return fence->page.map;
}

static void stop_watcher(struct xm_fence *fence);

static void fence_destroy(struct xm_object *object)
{
    struct xm_fence *fence = xm_fence_from_object(object);
    struct xm_fence_waiter *waiter;

    /* This process's reference at the broker goes with the object. */
    xm_share_forget(object);
    stop_watcher(fence);
    waiter = fence->waiters;

    /* Nobody can signal a fence that has no reference left: the waiters
     * still pending will never fire. */
    while (waiter) {
        struct xm_fence_waiter *next = waiter->next;

        if (waiter->drop)
            waiter->drop(waiter->context);
        free(waiter);
        waiter = next;
    }
    pthread_mutex_destroy(&fence->waiters_lock);
    xm_sync_page_finish(&fence->page);
    free(fence);
    __atomic_fetch_sub(&live_fences, 1, __ATOMIC_RELAXED);
}

static const struct xm_object_ops fence_ops = {
    .destroy = fence_destroy,
};

/* What a fence needs beyond its mapped page, however the page came. */
static struct xm_fence *fence_init(struct xm_fence *fence, bool shared)
{
    xm_object_init(&fence->base, XM_OBJECT_FENCE, &fence_ops);
    fence->shared = shared;
    pthread_mutex_init(&fence->waiters_lock, NULL);
    __atomic_fetch_add(&live_fences, 1, __ATOMIC_RELAXED);
    return fence;
}

HRESULT xm_fence_create(uint64_t initial, bool shared, struct xm_fence **out)
{
    struct xm_fence_state *state;
    struct xm_fence *fence;
    HRESULT hr;

    fence = calloc(1, sizeof(*fence));
    if (!fence)
        return xm_error(E_OUTOFMEMORY, "out of memory for a fence");
    hr = xm_sync_page_create("extmem-fence", &fence->page);
    if (FAILED(hr)) {
        free(fence);
        return hr;
    }
    state = state_of(fence);
    state->version = XM_FENCE_VERSION;
    state->value = initial;
    __atomic_store_n(&state->magic, XM_FENCE_MAGIC, __ATOMIC_RELEASE);
    *out = fence_init(fence, shared);
    return S_OK;
}

HRESULT xm_fence_create_from_fd(int fd, bool shared, struct xm_fence **out)
{
    struct xm_fence_state *state;
    struct xm_fence *fence;
    HRESULT hr;

    fence = calloc(1, sizeof(*fence));
    if (!fence)
        return xm_error(E_OUTOFMEMORY, "out of memory for a fence");
    hr = xm_sync_page_map(fd, &fence->page);
    if (FAILED(hr)) {
        free(fence);
        return hr;
    }
    state = state_of(fence);
    if (__atomic_load_n(&state->magic, __ATOMIC_ACQUIRE) != XM_FENCE_MAGIC || state->version != XM_FENCE_VERSION) {
        fence->page.fd = -1; /* not ours to close on failure */
        xm_sync_page_finish(&fence->page);
        free(fence);
        return xm_error(E_INVALIDARG, "fd %d does not hold a fence of version %u", fd, XM_FENCE_VERSION);
    }
    *out = fence_init(fence, shared);
    return S_OK;
}

uint64_t xm_fence_value(struct xm_fence *fence)
{
    return __atomic_load_n(&state_of(fence)->value, __ATOMIC_ACQUIRE);
}

/* Unlinks the waiters that `value` meets (caller holds waiters_lock) and
 * returns them as a list. */
static struct xm_fence_waiter *take_met(struct xm_fence *fence, uint64_t value)
{
    struct xm_fence_waiter *met = NULL, **link = &fence->waiters;

    while (*link) {
        struct xm_fence_waiter *waiter = *link;

        if (waiter->value <= value) {
            *link = waiter->next;
            waiter->next = met;
            met = waiter;
        } else {
            link = &waiter->next;
        }
    }
    return met;
}

static void fire_all(struct xm_fence_waiter *met)
{
    while (met) {
        struct xm_fence_waiter *next = met->next;

        met->fire(met->context);
        free(met);
        met = next;
    }
}

void xm_fence_signal(struct xm_fence *fence, uint64_t value)
{
    struct xm_fence_state *state = state_of(fence);
    struct xm_fence_waiter *met;

    __atomic_store_n(&state->value, value, __ATOMIC_RELEASE);
    __atomic_add_fetch(&state->sequence, 1, __ATOMIC_RELEASE);
    xm_futex_wake(&state->sequence, XM_FUTEX_ALL_BITS);

    pthread_mutex_lock(&fence->waiters_lock);
    met = take_met(fence, value);
    pthread_mutex_unlock(&fence->waiters_lock);
    fire_all(met);
}

/* The watcher of a shared fence: fires this process's waiters whatever
 * mapping the signal came through. It sleeps on the sequence word (no
 * polling) and holds no reference: fence_destroy stops and joins it. */
static void *watch(void *arg)
{
    struct xm_fence *fence = arg;
    struct xm_fence_state *state = state_of(fence);

    for (;;) {
        uint32_t sequence = __atomic_load_n(&state->sequence, __ATOMIC_ACQUIRE);
        struct xm_fence_waiter *met;
        bool stopping;

        pthread_mutex_lock(&fence->waiters_lock);
        met = take_met(fence, xm_fence_value(fence));
        stopping = fence->stopping;
        pthread_mutex_unlock(&fence->waiters_lock);
        fire_all(met);
        if (stopping)
            return NULL;
        xm_futex_wait(&state->sequence, sequence, NULL, XM_FUTEX_ALL_BITS);
    }
}

static void stop_watcher(struct xm_fence *fence)
{
    bool started;

    pthread_mutex_lock(&fence->waiters_lock);
    fence->stopping = true;
    started = fence->watcher_started;
    pthread_mutex_unlock(&fence->waiters_lock);
    if (!started)
        return;
    /* Wake it from its sleep: a bump that no value change goes with. */
    __atomic_add_fetch(&state_of(fence)->sequence, 1, __ATOMIC_RELEASE);
    xm_futex_wake(&state_of(fence)->sequence, XM_FUTEX_ALL_BITS);
    pthread_join(fence->watcher, NULL);
}

bool xm_fence_wait(struct xm_fence *fence, uint64_t value, const struct timespec *deadline)
{
    struct xm_fence_state *state = state_of(fence);

    for (;;) {
        uint32_t sequence = __atomic_load_n(&state->sequence, __ATOMIC_ACQUIRE);

        if (__atomic_load_n(&state->value, __ATOMIC_ACQUIRE) >= value)
            return true;
        if (!xm_futex_wait(&state->sequence, sequence, deadline, XM_FUTEX_ALL_BITS) ||
            (deadline && xm_deadline_passed(deadline)))
            return __atomic_load_n(&state->value, __ATOMIC_ACQUIRE) >= value;
    }
}

void xm_fence_add_waiter(struct xm_fence *fence, struct xm_fence_waiter *waiter)
{
    bool met;

    /* Checked under the lock: a signal after the check finds the waiter in
     * the list, a signal before it is seen by the check. */
    pthread_mutex_lock(&fence->waiters_lock);
    met = xm_fence_value(fence) >= waiter->value;
    if (!met) {
        waiter->next = fence->waiters;
        fence->waiters = waiter;
        /* Without a watcher, a signal through another mapping would go
         * unseen here; if no thread can be made, local signals still fire. */
        if (fence->shared && !fence->watcher_started)
            fence->watcher_started = pthread_create(&fence->watcher, NULL, watch, fence) == 0;
    }
    pthread_mutex_unlock(&fence->waiters_lock);
    if (met) {
        waiter->fire(waiter->context);
        free(waiter);
    }
}

size_t xm_fence_live_count(void)
{
    return __atomic_load_n(&live_fences, __ATOMIC_RELAXED);
}
