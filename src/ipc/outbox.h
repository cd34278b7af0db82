/*
 * Messages waiting to be written to a non-blocking socket: the broker's
 * replies to one client. A client that stops reading must not stall the
 * broker's other clients, so nothing is written blocking: a reply is
 * queued here, and the poll loop asks POLLOUT while something waits.
 *
 * A message's fds are dups the outbox owns from queueing until they are
 * sent (or the outbox is finished), so the message stays valid even when
 * the object the fds came from dies first. They go with the message's
 * first byte, on a sendmsg() that writes no byte of any other message,
 * which is what the reading side (ipc/connection.h) needs to give the fds
 * to the right message.
 *
 * Bounded: a message that would make the outbox hold more than max_bytes,
 * or more than XM_OUTBOX_MAX_FD_MESSAGES messages with fds, is refused;
 * the broker then drops the client.
 */
#ifndef EXTMEM_IPC_OUTBOX_H
#define EXTMEM_IPC_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/protocol.h"

/* A client of the library has at most one reply waiting; this many is a
 * client that sends requests without reading what comes back. */
#define XM_OUTBOX_MAX_FD_MESSAGES 32

/* The fds of one queued message. */
struct xm_outbox_fds {
    uint64_t start, end;      /* the message's bytes, as offsets in the stream written */
    int fds[XM_WIRE_MAX_FDS]; /* the outbox's own */
    uint32_t count;
};

struct xm_outbox {
    uint8_t *bytes;
    size_t head, tail, capacity; /* bytes[head, tail) wait to be written */
    uint64_t head_offset;        /* stream offset of bytes[head] */
    size_t max_bytes;
    struct xm_outbox_fds fds[XM_OUTBOX_MAX_FD_MESSAGES]; /* in stream order */
    size_t fd_messages;
};

void xm_outbox_init(struct xm_outbox *box, size_t max_bytes);

/* Frees what waits and closes its fds. */
void xm_outbox_finish(struct xm_outbox *box);

/* Queues one message (the header is built here; name may be NULL) with
 * dups of fds[0, fd_count) (at most XM_WIRE_MAX_FDS; the caller keeps
 * its own). Returns 0, or -1 with errno and nothing queued: ENOBUFS when
 * the outbox would pass its bounds, ENOMEM, or dup's error. */
int xm_outbox_queue(struct xm_outbox *box, uint16_t opcode, const void *body, uint32_t body_size,
                    const char *name, uint32_t name_len, const int *fds, uint32_t fd_count);

/* Writes to socket fd what it takes without blocking. Returns 0 (all
 * written, or the socket is full: see xm_outbox_pending), or -1 with errno
 * when the stream broke (the peer is gone). */
int xm_outbox_flush(struct xm_outbox *box, int fd);

/* Whether bytes wait to be written. */
static inline bool xm_outbox_pending(const struct xm_outbox *box)
{
    return box->head < box->tail;
}

/* Bytes waiting. */
static inline size_t xm_outbox_size(const struct xm_outbox *box)
{
    return box->tail - box->head;
}

#endif
