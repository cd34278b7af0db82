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

/* `done` has reached `ticket` (compared as the GPU's CU_STREAM_WAIT_VALUE_GEQ
 * does, so that both agree). */
static bool reached(uint64_t done, uint64_t ticket)
{
    return (int64_t)(done - ticket) >= 0;
}

/* The futex word inside `done`: its low half (the page is little-endian,
 * as every machine CUDA runs on). */
static uint32_t *done_word(struct xm_keyed_mutex_state *state)
{
    return (uint32_t *)&state->done;
}

/* xm_keyed_mutex_take with an absolute deadline (NULL: none); test_once
 * checks the owner's life at once and never sleeps. */
static enum xm_keyed_mutex_result take_until(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner,
                                             bool test_once, const struct timespec *deadline,
                                             struct xm_keyed_mutex_handoff *handoff)
{
    struct xm_keyed_mutex_state *state = state_of(mutex);
    uint32_t self = (uint32_t)getpid();
    bool check_owner = test_once;

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
                handoff->ticket = state->ticket;
                handoff->releaser_pid = state->releaser_pid;
                handoff->releaser_start = state->releaser_start;
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
        if (done || test_once)
            return result;
        if (deadline && xm_deadline_passed(deadline))
            return XM_KEYED_MUTEX_TIMED_OUT;

        /* Sleep until the next change, but no longer than the owner check
         * interval: a dead owner wakes nobody. */
        slice = xm_deadline_after_ms(XM_KEYED_MUTEX_OWNER_CHECK_MS);
        if (deadline)
            slice = xm_deadline_min(slice, *deadline);
        check_owner = !xm_futex_wait(&state->sequence, sequence, &slice, key_bit(key));
    }
}

enum xm_keyed_mutex_result xm_keyed_mutex_take(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner,
                                               uint32_t timeout_ms, struct xm_keyed_mutex_handoff *handoff)
{
    struct timespec deadline = xm_deadline_after_ms(timeout_ms == INFINITE ? 0 : timeout_ms);

    return take_until(mutex, key, owner, timeout_ms == 0, timeout_ms == INFINITE ? NULL : &deadline, handoff);
}

bool xm_keyed_mutex_ticket_done(struct xm_keyed_mutex_state *state, uint64_t ticket)
{
    return reached(__atomic_load_n(&state->done, __ATOMIC_ACQUIRE), ticket);
}

bool xm_keyed_mutex_work_is_done(struct xm_keyed_mutex *mutex, const struct xm_keyed_mutex_handoff *handoff)
{
    return xm_keyed_mutex_ticket_done(state_of(mutex), handoff->ticket);
}

enum xm_keyed_mutex_result xm_keyed_mutex_wait_work(struct xm_keyed_mutex *mutex, uint64_t owner,
                                                    const struct xm_keyed_mutex_handoff *handoff,
                                                    const struct timespec *deadline)
{
    struct xm_keyed_mutex_state *state = state_of(mutex);
    bool ours = handoff->releaser_pid == (uint32_t)getpid();

    for (;;) {
        uint64_t done = __atomic_load_n(&state->done, __ATOMIC_ACQUIRE);
        struct timespec slice;

        if (reached(done, handoff->ticket))
            return XM_KEYED_MUTEX_ACQUIRED;
        if (!xm_keyed_mutex_is_owned_by(mutex, owner))
            return XM_KEYED_MUTEX_WAS_ABANDONED; /* taken from us: the releaser died (below, or elsewhere) */
        if (deadline && xm_deadline_passed(deadline))
            return XM_KEYED_MUTEX_TIMED_OUT;
        slice = xm_deadline_after_ms(XM_KEYED_MUTEX_OWNER_CHECK_MS);
        if (deadline)
            slice = xm_deadline_min(slice, *deadline);
        /* Work queued by a process that died never completes. */
        if (!xm_futex_wait(done_word(state), (uint32_t)done, &slice, XM_FUTEX_ALL_BITS) && !ours &&
            !xm_process_is_alive(handoff->releaser_pid, handoff->releaser_start) &&
            xm_keyed_mutex_releaser_died(state, handoff->releaser_pid, handoff->releaser_start))
            return XM_KEYED_MUTEX_WAS_ABANDONED;
    }
}

enum xm_keyed_mutex_result xm_keyed_mutex_acquire_handoff(struct xm_keyed_mutex *mutex, uint64_t key,
                                                          uint64_t owner, uint32_t timeout_ms,
                                                          struct xm_keyed_mutex_handoff *handoff)
{
    struct timespec deadline = xm_deadline_after_ms(timeout_ms == INFINITE ? 0 : timeout_ms);
    const struct timespec *until = timeout_ms == INFINITE ? NULL : &deadline;
    enum xm_keyed_mutex_result result = take_until(mutex, key, owner, timeout_ms == 0, until, handoff);

    if (result != XM_KEYED_MUTEX_ACQUIRED)
        return result;
    result = xm_keyed_mutex_wait_work(mutex, owner, handoff, until);
    if (result == XM_KEYED_MUTEX_TIMED_OUT)
        xm_keyed_mutex_untake(mutex, owner);
    return result;
}

enum xm_keyed_mutex_result xm_keyed_mutex_acquire(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner,
                                                  uint32_t timeout_ms)
{
    struct xm_keyed_mutex_handoff handoff;

    return xm_keyed_mutex_acquire_handoff(mutex, key, owner, timeout_ms, &handoff);
}

void xm_keyed_mutex_untake(struct xm_keyed_mutex *mutex, uint64_t owner)
{
    struct xm_keyed_mutex_state *state = state_of(mutex);
    bool given_back = false;
    uint64_t key = 0;

    xm_page_lock(&state->lock);
    if ((state->flags & XM_KEYED_MUTEX_OWNED) && state->owner_pid == (uint32_t)getpid() && state->owner == owner) {
        /* key, ticket and releaser are still those of the release it was taken from */
        state->owner = 0;
        state->owner_pid = 0;
        state->owner_start = 0;
        state->flags &= ~XM_KEYED_MUTEX_OWNED;
        __atomic_add_fetch(&state->sequence, 1, __ATOMIC_RELEASE);
        key = state->key;
        given_back = true;
    }
    xm_page_unlock(&state->lock);
    if (given_back)
        xm_futex_wake(&state->sequence, key_bit(key));
}

/* Releases with `key` and a ticket: `queued` 0 stores it in done now (the
 * caller's work is complete), else it is the ticket the queued work stores. */
static bool release(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner, uint64_t queued)
{
    struct xm_keyed_mutex_state *state = state_of(mutex);
    bool released = false;

    xm_page_lock(&state->lock);
    if ((state->flags & XM_KEYED_MUTEX_OWNED) && state->owner_pid == (uint32_t)getpid() && state->owner == owner) {
        state->ticket = queued ? queued : state->ticket + 1;
        if (!queued)
            __atomic_store_n(&state->done, state->ticket, __ATOMIC_RELEASE);
        state->releaser_pid = state->owner_pid;
        state->releaser_start = state->owner_start;
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

bool xm_keyed_mutex_release(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner)
{
    return release(mutex, key, owner, 0);
}

uint64_t xm_keyed_mutex_next_ticket(struct xm_keyed_mutex *mutex)
{
    struct xm_keyed_mutex_state *state = state_of(mutex);
    uint64_t ticket;

    xm_page_lock(&state->lock);
    ticket = state->ticket + 1;
    xm_page_unlock(&state->lock);
    return ticket;
}

bool xm_keyed_mutex_release_queued(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner, uint64_t ticket)
{
    return release(mutex, key, owner, ticket ? ticket : 1);
}

void xm_keyed_mutex_wake_work(struct xm_keyed_mutex_state *state)
{
    xm_futex_wake(done_word(state), XM_FUTEX_ALL_BITS);
}

bool xm_keyed_mutex_releaser_died(struct xm_keyed_mutex_state *state, uint32_t pid, uint64_t start)
{
    bool abandoned = false;

    xm_page_lock(&state->lock);
    if (state->releaser_pid == pid && (!start || state->releaser_start == start) &&
        !reached(__atomic_load_n(&state->done, __ATOMIC_ACQUIRE), state->ticket)) {
        __atomic_store_n(&state->done, state->ticket, __ATOMIC_RELEASE);
        mark_abandoned(state);
        abandoned = true;
    }
    xm_page_unlock(&state->lock);
    if (abandoned) {
        xm_futex_wake(&state->sequence, XM_FUTEX_ALL_BITS);
        xm_keyed_mutex_wake_work(state);
    }
    return abandoned;
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
