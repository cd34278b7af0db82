/*
 * One end of a broker connection: a Unix stream socket, the bytes read and
 * not yet parsed, and the fds that arrived with them (SCM_RIGHTS), queued
 * in arrival order beside the bytes. A message that carries an fd
 * (xm_protocol_carries_fd) takes the oldest queued one.
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

#define XM_CONNECTION_MAX_FDS 16
#define XM_CONNECTION_BUFFER (2 * (XM_WIRE_MAX_BODY + sizeof(struct xm_wire_header)))

struct xm_connection {
    int fd;
    size_t in_len;
    uint8_t in[XM_CONNECTION_BUFFER];
    int fds[XM_CONNECTION_MAX_FDS];
    size_t fd_count;
    char name[XM_WIRE_MAX_NAME + 1]; /* the last parsed message's name, NUL-terminated */
};

void xm_connection_init(struct xm_connection *conn, int fd);

/* Closes the socket and every queued fd. */
void xm_connection_finish(struct xm_connection *conn);

/* Reads once (recvmsg with MSG_DONTWAIT when nonblocking is true).
 * Returns bytes read, 0 at end of stream, -1 with errno (EAGAIN included).
 * fds beyond XM_CONNECTION_MAX_FDS queued are closed at once. */
long xm_connection_fill(struct xm_connection *conn, bool nonblocking);

/* Takes the first whole message out of the buffer.
 * 1: *out holds it (out->name points into conn->name); 0: need more bytes;
 * -1: the bytes are malformed (hang up). */
int xm_connection_next(struct xm_connection *conn, struct xm_message *out);

/* The oldest queued fd (the caller owns it), or -1 if none came. */
int xm_connection_take_fd(struct xm_connection *conn);

/* Sends one message (header built here; name may be NULL) and, when
 * send_fd >= 0, that fd with it. Returns 0, or -1 with errno when the
 * whole message could not be written (the stream is then unusable). */
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
