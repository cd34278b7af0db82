#include "ipc/connection.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void xm_connection_init(struct xm_connection *conn, int fd)
{
    conn->fd = fd;
    conn->in_offset = 0;
    conn->in_len = 0;
    conn->pending_count = 0;
    conn->message_fd_count = 0;
    conn->message_fds_taken = 0;
    conn->name[0] = '\0';
}

static void close_message_fds(struct xm_connection *conn)
{
    for (size_t i = conn->message_fds_taken; i < conn->message_fd_count; i++)
        close(conn->message_fds[i]);
    conn->message_fd_count = 0;
    conn->message_fds_taken = 0;
}

void xm_connection_finish(struct xm_connection *conn)
{
    close_message_fds(conn);
    for (size_t i = 0; i < conn->pending_count; i++)
        close(conn->pending[i].fd);
    conn->pending_count = 0;
    if (conn->fd >= 0)
        close(conn->fd);
    conn->fd = -1;
    conn->in_len = 0;
}

/* Holds the fds a read brought, recorded at `at`; closes them when keep is
 * false or when too many are held. */
static void hold_fds(struct xm_connection *conn, struct msghdr *msg, bool keep, uint64_t at)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        size_t count;
        int *fds;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        fds = (int *)CMSG_DATA(c);
        count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;

            memcpy(&fd, &fds[i], sizeof(fd));
            /* A peer flooding us with fds only loses them. */
            if (keep && conn->pending_count < XM_CONNECTION_MAX_FDS)
                conn->pending[conn->pending_count++] = (struct xm_connection_fd){fd, at};
            else
                close(fd);
        }
    }
}

long xm_connection_fill(struct xm_connection *conn, bool nonblocking)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * XM_CONNECTION_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov = {conn->in + conn->in_len, sizeof(conn->in) - conn->in_len};
    struct msghdr msg = {0};
    ssize_t n;

    if (iov.iov_len == 0) {
        errno = EMSGSIZE;
        return -1;
    }
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    do
        n = recvmsg(conn->fd, &msg, MSG_CMSG_CLOEXEC | (nonblocking ? MSG_DONTWAIT : 0));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    conn->in_len += (size_t)n;
    /* fds come with at least one byte: an end of stream brings none to keep. */
    hold_fds(conn, &msg, n > 0, n > 0 ? conn->in_offset + conn->in_len - 1 : 0);
    return n;
}

int xm_connection_next(struct xm_connection *conn, struct xm_message *out)
{
    long taken = xm_protocol_parse(conn->in, conn->in_len, out);
    uint64_t end;
    uint32_t declared;
    size_t mine = 0;

    if (taken <= 0)
        return (int)taken;
    close_message_fds(conn);
    end = conn->in_offset + (uint64_t)taken;
    declared = xm_protocol_fd_count(out);
    /* The fds recorded inside this message's bytes are its own. */
    while (mine < conn->pending_count && conn->pending[mine].at < end) {
        if (conn->message_fd_count < declared)
            conn->message_fds[conn->message_fd_count++] = conn->pending[mine].fd;
        else
            close(conn->pending[mine].fd);
        mine++;
    }
    memmove(conn->pending, conn->pending + mine, (conn->pending_count - mine) * sizeof(conn->pending[0]));
    conn->pending_count -= mine;
    if (out->name) {
        memcpy(conn->name, out->name, out->name_len);
        conn->name[out->name_len] = '\0';
        out->name = conn->name;
    }
    memmove(conn->in, conn->in + taken, conn->in_len - (size_t)taken);
    conn->in_len -= (size_t)taken;
    conn->in_offset = end;
    return 1;
}

int xm_connection_take_fd(struct xm_connection *conn)
{
    if (conn->message_fds_taken == conn->message_fd_count)
        return -1;
    return conn->message_fds[conn->message_fds_taken++];
}

int xm_connection_send(int fd, uint16_t opcode, const void *body, uint32_t body_size, const char *name,
                       uint32_t name_len, int send_fd)
{
    return xm_connection_send_fds(fd, opcode, body, body_size, name, name_len, &send_fd, 1);
}

int xm_connection_send_fds(int fd, uint16_t opcode, const void *body, uint32_t body_size, const char *name,
                           uint32_t name_len, const int *fds, int fd_count)
{
    struct xm_wire_header header = {opcode, 0, body_size + (name ? name_len : 0)};
    union {
        char buf[CMSG_SPACE(sizeof(int) * XM_CONNECTION_MAX_FDS)];
        struct cmsghdr align;
    } control;
    int passed[XM_CONNECTION_MAX_FDS], passed_count = 0;
    struct iovec iov[3] = {
        {&header, sizeof(header)},
        {(void *)body, body_size},
        {(void *)name, name ? name_len : 0},
    };
    struct msghdr msg = {0};
    size_t left = sizeof(header) + header.size;
    int iov_index = 0;

    msg.msg_iov = iov;
    msg.msg_iovlen = 3;
    for (int i = 0; i < fd_count && passed_count < XM_CONNECTION_MAX_FDS; i++)
        if (fds[i] >= 0)
            passed[passed_count++] = fds[i];
    if (passed_count > 0) {
        struct cmsghdr *c;

        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)passed_count);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)passed_count);
        memcpy(CMSG_DATA(c), passed, sizeof(int) * (size_t)passed_count);
    }
    while (left > 0) {
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        left -= (size_t)n;
        /* The fd went with the first byte; step past what was written. */
        msg.msg_control = NULL;
        msg.msg_controllen = 0;
        while (n > 0 && iov_index < 3) {
            size_t step = (size_t)n < iov[iov_index].iov_len ? (size_t)n : iov[iov_index].iov_len;

            iov[iov_index].iov_base = (char *)iov[iov_index].iov_base + step;
            iov[iov_index].iov_len -= step;
            n -= (ssize_t)step;
            if (iov[iov_index].iov_len == 0)
                iov_index++;
        }
        msg.msg_iov = iov + iov_index;
        msg.msg_iovlen = (size_t)(3 - iov_index);
    }
    return 0;
}

static int check_dir(const char *path, char *why, size_t why_size)
{
    struct stat st;

    if (lstat(path, &st) != 0) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)) {
        snprintf(why, why_size, "%s is not a directory of uid %u with mode 0700 (refusing to use it)", path,
                 (unsigned)getuid());
        errno = EPERM;
        return -1;
    }
    return 0;
}

int xm_ipc_runtime_dir(char *buf, size_t size, bool create, char *why, size_t why_size)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;

    if (xdg && *xdg)
        n = snprintf(buf, size, "%s/extmem", xdg);
    else
        n = snprintf(buf, size, "/tmp/extmem-%u", (unsigned)getuid());
    if (n < 0 || (size_t)n >= size) {
        snprintf(why, why_size, "the runtime directory path is too long");
        errno = ENAMETOOLONG;
        return -1;
    }
    if (create && mkdir(buf, 0700) != 0 && errno != EEXIST) {
        snprintf(why, why_size, "cannot create %s: %s", buf, strerror(errno));
        return -1;
    }
    return check_dir(buf, why, why_size);
}

int xm_connection_peer(int fd, pid_t *pid, uid_t *uid)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    return 0;
}
