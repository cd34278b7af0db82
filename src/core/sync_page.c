#include "core/sync_page.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/error.h"

#define NSEC_PER_SEC 1000000000L
#define NSEC_PER_MSEC 1000000L

HRESULT xm_sync_page_create(const char *name, struct xm_sync_page *page)
{
    long size = sysconf(_SC_PAGESIZE);
    int fd = memfd_create(name, MFD_CLOEXEC);
    void *map;

    if (fd < 0)
        return xm_error(errno == ENOMEM ? E_OUTOFMEMORY : E_FAIL, "memfd_create for %s: %s", name, strerror(errno));
    if (ftruncate(fd, size) < 0) {
        int err = errno;

        close(fd);
        return xm_error(err == ENOMEM ? E_OUTOFMEMORY : E_FAIL, "ftruncate of %s: %s", name, strerror(err));
    }
    map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        int err = errno;

        close(fd);
        return xm_error(E_OUTOFMEMORY, "mmap of %s: %s", name, strerror(err));
    }
    page->fd = fd;
    page->map = map;
    page->size = (size_t)size;
    return S_OK;
}

HRESULT xm_sync_page_map(int fd, struct xm_sync_page *page)
{
    long size = sysconf(_SC_PAGESIZE);
    struct stat st;
    void *map;

    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != size)
        return xm_error(E_INVALIDARG, "fd %d is not a synchronization page (a %ld-byte memfd)", fd, size);
    map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return xm_error(E_OUTOFMEMORY, "mmap of a synchronization page: %s", strerror(errno));
    page->fd = fd;
    page->map = map;
    page->size = (size_t)size;
    return S_OK;
}

void xm_sync_page_finish(struct xm_sync_page *page)
{
    if (page->map)
        munmap(page->map, page->size);
    if (page->fd >= 0)
        close(page->fd);
    page->map = NULL;
    page->fd = -1;
}

struct timespec xm_deadline_after_ms(uint32_t ms)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * NSEC_PER_MSEC;
    if (t.tv_nsec >= NSEC_PER_SEC) {
        t.tv_sec++;
        t.tv_nsec -= NSEC_PER_SEC;
    }
    return t;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

bool xm_deadline_passed(const struct timespec *deadline)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return !before(&now, deadline);
}

struct timespec xm_deadline_min(struct timespec a, struct timespec b)
{
    return before(&a, &b) ? a : b;
}

/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time (without
 * FUTEX_CLOCK_REALTIME), so a wait that wakes early and sleeps again keeps
 * the caller's deadline exactly. No FUTEX_PRIVATE_FLAG: see the header. */
bool xm_futex_wait(uint32_t *word, uint32_t expected, const struct timespec *deadline, uint32_t bits)
{
    long r = syscall(SYS_futex, word, FUTEX_WAIT_BITSET, expected, deadline, NULL, bits);

    return !(r < 0 && errno == ETIMEDOUT);
}

void xm_futex_wake(uint32_t *word, uint32_t bits)
{
    syscall(SYS_futex, word, FUTEX_WAKE_BITSET, INT32_MAX, NULL, NULL, bits);
}

/* Reads /proc/PID/stat into buffer and returns the text after the
 * parenthesised command name (which may hold spaces and parentheses), that
 * is from field 3, the state; NULL when it cannot be read (*gone tells
 * whether because the process does not exist). */
static const char *read_stat(uint32_t pid, char *buffer, size_t size, bool *gone)
{
    char path[64];
    const char *fields;
    ssize_t length;
    int fd;

    snprintf(path, sizeof(path), "/proc/%u/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    *gone = fd < 0 && errno == ENOENT;
    if (fd < 0)
        return NULL;
    length = read(fd, buffer, size - 1);
    close(fd);
    if (length <= 0)
        return NULL;
    buffer[length] = 0;
    fields = strrchr(buffer, ')');
    if (!fields || fields[1] != ' ')
        return NULL;
    return fields + 2;
}

/* starttime is field 22; the text starts at field 3. */
#define STAT_FIELDS_BEFORE_STARTTIME (22 - 3)

static uint64_t start_time_in(const char *fields)
{
    for (int i = 0; i < STAT_FIELDS_BEFORE_STARTTIME && fields; i++) {
        fields = strchr(fields, ' ');
        if (fields)
            fields++;
    }
    return fields ? strtoull(fields, NULL, 10) : 0;
}

uint64_t xm_process_start_time(uint32_t pid)
{
    char buffer[1024];
    bool gone;
    const char *fields = read_stat(pid, buffer, sizeof(buffer), &gone);

    return fields ? start_time_in(fields) : 0;
}

uint64_t xm_self_start_time(void)
{
    static uint32_t cached_pid;   /* atomic; a forked child has another pid */
    static uint64_t cached_start; /* atomic */
    uint32_t self = (uint32_t)getpid();

    if (__atomic_load_n(&cached_pid, __ATOMIC_ACQUIRE) != self) {
        __atomic_store_n(&cached_start, xm_process_start_time(self), __ATOMIC_RELAXED);
        __atomic_store_n(&cached_pid, self, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&cached_start, __ATOMIC_RELAXED);
}

bool xm_process_is_alive(uint32_t pid, uint64_t start_time)
{
    char buffer[1024];
    const char *fields;
    bool gone;

    if (pid == 0)
        return false;
    if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
        return false;
    /* kill() succeeds on a zombie and on a newer process with the same
     * pid: ask /proc for the state and the start time. */
    fields = read_stat(pid, buffer, sizeof(buffer), &gone);
    if (!fields)
        return !gone; /* unreadable (another pid namespace, ...): assume alive */
    if (fields[0] == 'Z' || fields[0] == 'X')
        return false;
    return !start_time || start_time_in(fields) == start_time;
}

/* ---- the page lock ---------------------------------------------------- */

/* Pids fit in 22 bits (PID_MAX_LIMIT), so the top bit is free. */
#define LOCK_CONTENDED 0x80000000u
/* How long a waiter sleeps before it checks that the holder lives. The
 * lock is held for a few loads and stores, so this is only ever reached
 * when the holder died inside them. */
#define LOCK_OWNER_CHECK_MS 100

void xm_page_lock(uint32_t *word)
{
    uint32_t self = (uint32_t)getpid();
    uint32_t seen = 0;

    if (__atomic_compare_exchange_n(word, &seen, self, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    for (;;) {
        if (seen != 0) {
            struct timespec deadline;

            if (!(seen & LOCK_CONTENDED) &&
                !__atomic_compare_exchange_n(word, &seen, seen | LOCK_CONTENDED, false, __ATOMIC_RELAXED,
                                             __ATOMIC_RELAXED))
                continue;
            seen |= LOCK_CONTENDED;
            deadline = xm_deadline_after_ms(LOCK_OWNER_CHECK_MS);
            if (!xm_futex_wait(word, seen, &deadline, XM_FUTEX_ALL_BITS) &&
                !xm_process_is_alive(seen & ~LOCK_CONTENDED, 0) &&
                __atomic_compare_exchange_n(word, &seen, self | LOCK_CONTENDED, false, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED))
                return; /* taken over from a dead holder */
        }
        /* Others may still sleep: take it as contended so that our unlock
         * wakes them. */
        seen = 0;
        if (__atomic_compare_exchange_n(word, &seen, self | LOCK_CONTENDED, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return;
    }
}

void xm_page_unlock(uint32_t *word)
{
    if (__atomic_exchange_n(word, 0, __ATOMIC_RELEASE) & LOCK_CONTENDED)
        syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}
