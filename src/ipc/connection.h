/*
 * One end of a broker connection: a Unix stream socket, the bytes read and
 * not yet parsed, and the fds that arrived with them (SCM_RIGHTS).
 *
 * Which message an fd belongs to. A sender passes a message's fds with the
 * sendmsg() that writes the message's first byte, and that sendmsg()
 * writes no byte of any other message (xm_connection_send_fds sends one
 * message per call; the broker's queue does the same). On a Unix stream
 * socket the kernel gives fds out with the recvmsg() that reads the first
 * bytes of the write that carried them, and ends that recvmsg() inside
 * that write: it never reads on past a write that carried fds. So the last
 * byte of the read that brought a batch of fds is a byte of the message
 * they were sent with. Each batch is recorded at that stream offset, and a
 * parsed message gets exactly the fds recorded inside its bytes: as many
 * as it declares (xm_protocol_fd_count), in the order they were sent. The
 * rest are closed, so fds a peer sends beyond what a message declares
 * never shift onto a later message.
 *
 * Also: where the broker's socket lives, and who is on the other end.
 */
#ifndef EXTMEM_IPC_CONNECTION_H
#define EXTMEM_IPC_CONNECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc/protocol.h"

/* fds held for messages not yet parsed whole; more are closed at once. */
#define XM_CONNECTION_MAX_FDS 16
#define XM_CONNECTION_BUFFER (2 * (XM_WIRE_MAX_BODY + sizeof(struct xm_wire_header)))

/* An fd received and not yet given to a message. */
struct xm_connection_fd {
    int fd;
    uint64_t at; /* stream offset of the last byte of the read that brought it */
};

struct xm_connection {
    int fd;
    uint64_t in_offset; /* stream offset of in[0] (the bytes parsed before it) */
    size_t in_len;
    uint8_t in[XM_CONNECTION_BUFFER];
    struct xm_connection_fd pending[XM_CONNECTION_MAX_FDS]; /* in arrival order */
    size_t pending_count;
    int message_fds[XM_WIRE_MAX_FDS]; /* the last parsed message's fds */
    size_t message_fd_count, message_fds_taken;
    char name[XM_WIRE_MAX_NAME + 1]; /* the last parsed message's name, NUL-terminated */
};

void xm_connection_init(struct xm_connection *conn, int fd);

/* Closes the socket and every fd received and not taken. */
void xm_connection_finish(struct xm_connection *conn);

/* Reads once (recvmsg with MSG_DONTWAIT when nonblocking is true).
 * Returns bytes read, 0 at end of stream, -1 with errno (EAGAIN included).
 * fds beyond XM_CONNECTION_MAX_FDS held are closed at once. */
long xm_connection_fill(struct xm_connection *conn, bool nonblocking);

/* Takes the first whole message out of the buffer, with its fds (the
 * previous message's untaken fds are closed).
 * 1: *out holds it (out->name points into conn->name); 0: need more bytes;
 * -1: the bytes are malformed (hang up). */
int xm_connection_next(struct xm_connection *conn, struct xm_message *out);

/* The next fd of the last parsed message, in the order sent (the caller
 * owns it), or -1 when it came with no more. */
int xm_connection_take_fd(struct xm_connection *conn);

/* Sends one message (header built here; name may be NULL) and, when
 * send_fd >= 0, that fd with it, blocking until all is written (the fds
 * go with the first byte, on a sendmsg() of this message only). Returns
 * 0, or -1 with errno when the whole message could not be written (the
 * stream is then unusable). */
int xm_connection_send(int fd, uint16_t opcode, const void *body, uint32_t body_size, const char *name,
                       uint32_t name_len, int send_fd);

/* The same with up to XM_CONNECTION_MAX_FDS fds (fds[i] < 0 are skipped). */
int xm_connection_send_fds(int fd, uint16_t opcode, const void *body, uint32_t body_size, const char *name,
                           uint32_t name_len, const int *fds, int fd_count);

/* The broker's directory: $XDG_RUNTIME_DIR/extmem, or /tmp/extmem-$UID
 * when XDG_RUNTIME_DIR is unset. With create, makes it (mode 0700).
 * Either way refuses (-1, errno EPERM, why filled) a directory that is a
 * symlink, not ours, or open to group or others. */
int xm_ipc_runtime_dir(char *buf, size_t size, bool create, char *why, size_t why_size);

/* The socket and lock-file paths inside that directory. */
#define XM_IPC_SOCKET_NAME "broker.sock"
#define XM_IPC_LOCK_NAME "broker.lock"

/* SO_PEERCRED of a connected socket. */
int xm_connection_peer(int fd, pid_t *pid, uid_t *uid);

#endif
