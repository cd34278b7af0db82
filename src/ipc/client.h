/*
 * The library's connection to the broker (extmemd): one per process,
 * opened on first need, shared by every thread under one lock.
 *
 * Nothing here knows what a resource is (ipc/share.c does); this file
 * only finds or starts the broker, speaks request/reply, and notices when
 * the broker went away.
 */
#ifndef EXTMEM_IPC_CLIENT_H
#define EXTMEM_IPC_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/protocol.h"

/* A call's outcome besides the broker's own error codes (enum xm_wire_error). */
#define XM_BROKER_OK 0
#define XM_BROKER_UNREACHABLE (-1) /* no broker, none could be started, or it died mid-call */

/* False when EXTMEM_BROKER=off: everything stays inside the process. */
bool xm_broker_enabled(void);

void xm_broker_lock(void);
void xm_broker_unlock(void);

/* With the lock held: makes sure a connection is up. start: launch the
 * broker when none answers (exports do; lookups only ask a running one).
 * Returns 0 or XM_BROKER_UNREACHABLE with a message. */
int xm_broker_connect_locked(bool start);

/* With the lock held and a connection up: sends one request and reads its
 * one reply into *reply (reply_fd, when not NULL, receives the reply's fd
 * or -1; the caller owns it). Returns XM_BROKER_OK, the broker's error
 * code (reply holds XM_OP_ERROR), or XM_BROKER_UNREACHABLE when the
 * connection broke (it is closed; the next connect makes a new one). */
int xm_broker_call_locked(uint16_t opcode, const void *body, uint32_t size, const char *name, uint32_t name_len,
                          int send_fd, struct xm_message *reply, int *reply_fd);

/* The same, sending fd_count fds (fds[i] < 0 skipped). */
int xm_broker_call_fds_locked(uint16_t opcode, const void *body, uint32_t size, const int *fds, int fd_count,
                              struct xm_message *reply, int *reply_fd);

/* The next fd that came with the last reply (an OBJECT's second fd), or -1. */
int xm_broker_take_fd_locked(void);

/* For LIST: reads the next message of a multi-message reply. */
int xm_broker_read_locked(struct xm_message *reply);

/* Counts connections made by this process (0 before the first). Objects
 * remember the generation they were registered in: after a broker restart
 * (or in a forked child) their ids mean nothing to the broker. */
uint32_t xm_broker_generation(void);

/* With the lock held: whether this process ever had a connection (then a
 * lost one is worth a new broker). */
bool xm_broker_was_connected(void);

/* Called with the lock held right after a new connection replaced a lost
 * one, so the caller can register its live objects again. */
void xm_broker_set_reconnect_hook(void (*hook)(void));

#endif
