#include "core/keyed_mutex.h"

#include <unistd.h>

#include "core/error.h"

static struct xm_keyed_mutex_state *state_of(struct xm_keyed_mutex *mutex)
{
    return mutex->page.map;
}

/* Waiters for a key sleep on one bit of the sequence word, so a release
 * wakes those that wait for its key (and the few sharing the bit). */
static uint32_t key_bit(uint64_t key)
{
    return 1u << (key % 32);
}

uint64_t xm_keyed_mutex_new_owner(void)
{
    static uint64_t last_owner; /* atomic */

    return __atomic_add_fetch(&last_owner, 1, __ATOMIC_RELAXED);
}

HRESULT xm_keyed_mutex_init(struct xm_keyed_mutex *mutex)
{
    struct xm_keyed_mutex_state *state;
    HRESULT hr = xm_sync_page_create("extmem-keyed-mutex", &mutex->page);

    if (FAILED(hr))
        return hr;
    /* The page is zero-filled: released, key 0, no owner. */
    state = state_of(mutex);
    state->version = XM_KEYED_MUTEX_VERSION;
    __atomic_store_n(&state->magic, XM_KEYED_MUTEX_MAGIC, __ATOMIC_RELEASE);
    return S_OK;
}

HRESULT xm_keyed_mutex_init_from_fd(struct xm_keyed_mutex *mutex, int fd)
{
    struct xm_keyed_mutex_state *state;
    HRESULT hr = xm_sync_page_map(fd, &mutex->page);

    if (FAILED(hr))
        return hr;
    state = state_of(mutex);
    if (__atomic_load_n(&state->magic, __ATOMIC_ACQUIRE) != XM_KEYED_MUTEX_MAGIC ||
        state->version != XM_KEYED_MUTEX_VERSION) {
        mutex->page.fd = -1; /* not ours to close on failure */
        xm_sync_page_finish(&mutex->page);
        return xm_error(E_INVALIDARG, "fd %d does not hold a keyed mutex of version %u", fd, XM_KEYED_MUTEX_VERSION);
    }
    return S_OK;
}

void xm_keyed_mutex_finish(struct xm_keyed_mutex *mutex)
{
    xm_sync_page_finish(&mutex->page);
}

/* Caller holds the lock. */
static void mark_abandoned(struct xm_keyed_mutex_state *state)
{
    state->flags = (state->flags & ~XM_KEYED_MUTEX_OWNED) | XM_KEYED_MUTEX_ABANDONED;
    __atomic_add_fetch(&state->sequence, 1, __ATOMIC_RELEASE);
}

enum xm_keyed_mutex_result xm_keyed_mutex_acquire(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner,
                                                  uint32_t timeout_ms)
{
    struct xm_keyed_mutex_state *state = state_of(mutex);
    uint32_t self = (uint32_t)getpid();
    struct timespec deadline = {0, 0};
    bool check_owner = timeout_ms == 0;

    if (timeout_ms != 0 && timeout_ms != INFINITE)
        deadline = xm_deadline_after_ms(timeout_ms);
    for (;;) {
        uint32_t sequence = __atomic_load_n(&state->sequence, __ATOMIC_ACQUIRE);
        enum xm_keyed_mutex_result result = XM_KEYED_MUTEX_TIMED_OUT;
        bool done = true, abandoned_now = false;
        struct timespec slice;

        xm_page_lock(&state->lock);
        if (state->flags & XM_KEYED_MUTEX_ABANDONED) {
            result = XM_KEYED_MUTEX_WAS_ABANDONED;
        } else if (!(state->flags & XM_KEYED_MUTEX_OWNED)) {
            if (state->key == key) {
                state->flags |= XM_KEYED_MUTEX_OWNED;
                state->owner = owner;
                state->owner_pid = self;
                state->owner_start = xm_self_start_time();
                result = XM_KEYED_MUTEX_ACQUIRED;
            } else {
                done = false;
            }
        } else if (state->owner_pid == self && state->owner == owner) {
            result = XM_KEYED_MUTEX_ALREADY_OWNED;
        } else if (check_owner && state->owner_pid != self &&
                   !xm_process_is_alive(state->owner_pid, state->owner_start)) {
            mark_abandoned(state);
            abandoned_now = true;
            result = XM_KEYED_MUTEX_WAS_ABANDONED;
        } else {
            done = false;
        }
        xm_page_unlock(&state->lock);
        if (abandoned_now)
            xm_futex_wake(&state->sequence, XM_FUTEX_ALL_BITS);
        if (done || timeout_ms == 0)
            return result;
        if (timeout_ms != INFINITE && xm_deadline_passed(&deadline))
            return XM_KEYED_MUTEX_TIMED_OUT;

        /* Sleep until the next change, but no longer than the owner check
         * interval: a dead owner wakes nobody. */
        slice = xm_deadline_after_ms(XM_KEYED_MUTEX_OWNER_CHECK_MS);
        if (timeout_ms != INFINITE)
            slice = xm_deadline_min(slice, deadline);
        check_owner = !xm_futex_wait(&state->sequence, sequence, &slice, key_bit(key));
    }
}

bool xm_keyed_mutex_release(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner)
{
    struct xm_keyed_mutex_state *state = state_of(mutex);
    bool released = false;

    xm_page_lock(&state->lock);
    if ((state->flags & XM_KEYED_MUTEX_OWNED) && state->owner_pid == (uint32_t)getpid() && state->owner == owner) {
        state->key = key;
        state->owner = 0;
        state->owner_pid = 0;
        state->owner_start = 0;
        state->flags &= ~XM_KEYED_MUTEX_OWNED;
        __atomic_add_fetch(&state->sequence, 1, __ATOMIC_RELEASE);
        released = true;
    }
    xm_page_unlock(&state->lock);
    if (released)
        xm_futex_wake(&state->sequence, key_bit(key));
    return released;
}

bool xm_keyed_mutex_is_owned_by(struct xm_keyed_mutex *mutex, uint64_t owner)
{
    struct xm_keyed_mutex_state *state = state_of(mutex);
    bool owned;

    xm_page_lock(&state->lock);
    owned = (state->flags & XM_KEYED_MUTEX_OWNED) && state->owner_pid == (uint32_t)getpid() &&
            state->owner == owner;
    xm_page_unlock(&state->lock);
    return owned;
}

static void abandon_if(struct xm_keyed_mutex *mutex, uint32_t pid, bool match_owner, uint64_t owner)
{
    struct xm_keyed_mutex_state *state = state_of(mutex);
    bool abandoned = false;

    xm_page_lock(&state->lock);
    if ((state->flags & XM_KEYED_MUTEX_OWNED) && state->owner_pid == pid &&
        (!match_owner || state->owner == owner)) {
        mark_abandoned(state);
        abandoned = true;
    }
    xm_page_unlock(&state->lock);
    if (abandoned)
        xm_futex_wake(&state->sequence, XM_FUTEX_ALL_BITS);
}

void xm_keyed_mutex_abandon_owner(struct xm_keyed_mutex *mutex, uint64_t owner)
{
    abandon_if(mutex, (uint32_t)getpid(), true, owner);
}

void xm_keyed_mutex_abandon_pid(struct xm_keyed_mutex *mutex, uint32_t pid)
{
    abandon_if(mutex, pid, false, 0);
}
