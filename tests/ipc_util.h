/*
 * Helpers for the cross-process tests: a private broker directory per
 * test, child processes whose failed assertions end the child (not the
 * runner), pipes to pass values, and a direct line to the broker to
 * count what it holds.
 */
#ifndef EXTMEM_TEST_IPC_UTIL_H
#define EXTMEM_TEST_IPC_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

/* Makes a fresh XDG_RUNTIME_DIR for this test (so runs never share a
 * broker) and points EXTMEM_BROKER_PATH at the build's extmemd. The test
 * process itself must not share anything: its children do. */
void xm_ipc_setup(void);
/* Stops this test's broker (if one runs) and removes the directory. */
void xm_ipc_teardown(void);

/* Runs fn(arg) in a forked child. A failed XM_ASSERT in the child ends
 * the child with status 1. */
pid_t xm_ipc_spawn(void (*fn)(void *arg), void *arg);
/* Waits for a child; asserts it exited with status 0. */
void xm_ipc_wait_ok(pid_t child);

/* One-word messages between processes over a pipe pair. */
struct xm_ipc_channel {
    int fds[2];
};
void xm_ipc_channel_open(struct xm_ipc_channel *channel);
void xm_ipc_channel_close(struct xm_ipc_channel *channel);
/* Closes one end (the one this process does not use), once. */
void xm_ipc_channel_close_read(struct xm_ipc_channel *channel);
void xm_ipc_channel_close_write(struct xm_ipc_channel *channel);
void xm_ipc_send(struct xm_ipc_channel *channel, uint64_t value);
/* Like xm_ipc_receive, but false at end of stream (every writer gone). */
bool xm_ipc_try_receive(struct xm_ipc_channel *channel, uint64_t *value);
uint64_t xm_ipc_receive(struct xm_ipc_channel *channel); /* asserts on end of stream */

/* What the broker holds: objects (LIST), or -1 when none runs. */
/* A plain connection to the broker's socket, or -1. */
int xm_ipc_broker_connect(void);
long xm_ipc_broker_objects(void);
/* Waits up to a second for the broker to hold `count` objects. */
void xm_ipc_assert_broker_objects(long count);
/* The broker's pid (SO_PEERCRED of a connection), or 0 when none runs. */
pid_t xm_ipc_broker_pid(void);
/* Open fds of this process. */
int xm_ipc_fd_count(void);
/* Open fds of process pid (this process when pid is 0), or -1. */
int xm_ipc_fd_count_of(pid_t pid);
/* The fds of process pid once the count stops moving (a broker closes a
 * connection a moment after its peer hung up). */
int xm_ipc_settled_fd_count(pid_t pid);
/* Waits up to two seconds for process pid to hold `count` fds. */
void xm_ipc_assert_fd_count(pid_t pid, int count);

/* Fills words with a pattern derived from seed. */
void xm_ipc_pattern(uint32_t *words, size_t count, uint32_t seed);

#endif
