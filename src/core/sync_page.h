/*
 * What keyed mutexes and fences share: a small page of memfd memory that
 * holds their state, futex waits on words of that page, and a check that
 * the process owning something is still alive.
 *
 * The page is a memfd (not private memory) so that, later, it can travel
 * with its resource or fence to another process over SCM_RIGHTS, be mapped
 * there, and be waited on with the same futex words: the futex calls below
 * never use FUTEX_PRIVATE_FLAG, so a wake in one process reaches a waiter
 * in another that mapped the same page. The same page can be registered
 * with cuMemHostRegister(DEVICEMAP) for CUDA stream memory operations
 * (DESIGN.md section 2), which is why its words are naturally aligned
 * 32- and 64-bit values.
 *
 * Every function is thread-safe and records a message with xm_error() on
 * failure.
 */
#ifndef EXTMEM_CORE_SYNC_PAGE_H
#define EXTMEM_CORE_SYNC_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <extmem/wintypes.h>

/* A mapped memfd page. */
struct xm_sync_page {
    int fd;      /* the memfd, to send to another process; owned */
    void *map;   /* MAP_SHARED, read-write, zero-filled when created */
    size_t size; /* one page */
};

/* Creates a zero-filled memfd page named `name` (for /proc/PID/fd) and maps
 * it. E_OUTOFMEMORY or E_FAIL (with the errno in the message). */
HRESULT xm_sync_page_create(const char *name, struct xm_sync_page *page);

/* Maps a page another process (or this one) created, from its memfd:
 * what a broker hands over with a resource or fence. Takes ownership of
 * fd on success only. E_INVALIDARG when fd is not a page-sized file. */
HRESULT xm_sync_page_map(int fd, struct xm_sync_page *page);

/* Unmaps and closes what xm_sync_page_create or _map made. */
void xm_sync_page_finish(struct xm_sync_page *page);

/* CLOCK_MONOTONIC deadline `ms` milliseconds from now. */
struct timespec xm_deadline_after_ms(uint32_t ms);

/* True when `deadline` has passed. */
bool xm_deadline_passed(const struct timespec *deadline);

/* The earlier of two deadlines. */
struct timespec xm_deadline_min(struct timespec a, struct timespec b);

/*
 * Sleeps while *word == expected, until woken, until the CLOCK_MONOTONIC
 * `deadline` (NULL: no deadline) or until a signal. Wakes that match no
 * bit of `bits` do not end the sleep. Returns false only when the deadline
 * passed; callers recheck their condition whatever it returns.
 */
bool xm_futex_wait(uint32_t *word, uint32_t expected, const struct timespec *deadline, uint32_t bits);

/* Wakes every waiter on word whose bits meet `bits`. */
void xm_futex_wake(uint32_t *word, uint32_t bits);

#define XM_FUTEX_ALL_BITS 0xffffffffu

/* When process `pid` started (clock ticks after boot, /proc/PID/stat's
 * starttime), or 0 when it cannot be read. With the pid it names one
 * process for good: a pid can be reused, a (pid, start) pair cannot. */
uint64_t xm_process_start_time(uint32_t pid);

/* This process's start time, as xm_process_start_time(getpid()). */
uint64_t xm_self_start_time(void);

/* True while process `pid` exists, has not exited (a zombie that its
 * parent did not reap yet counts as dead) and, when start_time is not 0,
 * is the process that started then (not a later one that reuses the pid). */
bool xm_process_is_alive(uint32_t pid, uint64_t start_time);

/*
 * A lock word inside a shared page, for the few loads and stores that must
 * change together. It holds the pid of the holder (and a bit saying
 * others wait), so that a process killed inside the few instructions it
 * holds the lock for cannot wedge the others: a waiter that slept a while
 * checks the holder and takes the lock over from a dead one.
 */
void xm_page_lock(uint32_t *word);
void xm_page_unlock(uint32_t *word);

#endif
