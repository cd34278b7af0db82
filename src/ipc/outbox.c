#include "ipc/outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* An emptied outbox keeps a buffer up to this size for the next replies;
 * a bigger one (a long LIST) is given back. */
#define OUTBOX_KEEP (64u * 1024u)
#define OUTBOX_FIRST (4u * 1024u)

void xm_outbox_init(struct xm_outbox *box, size_t max_bytes)
{
    memset(box, 0, sizeof(*box));
    box->max_bytes = max_bytes;
}

static void close_fds(struct xm_outbox_fds *f)
{
    for (uint32_t i = 0; i < f->count; i++)
        close(f->fds[i]);
    f->count = 0;
}

void xm_outbox_finish(struct xm_outbox *box)
{
    for (size_t i = 0; i < box->fd_messages; i++)
        close_fds(&box->fds[i]);
    free(box->bytes);
    xm_outbox_init(box, box->max_bytes);
}

/* Makes room for size more bytes at the tail. */
static bool make_room(struct xm_outbox *box, size_t size)
{
    size_t waiting = xm_outbox_size(box), capacity;
    uint8_t *grown;

    if (box->capacity - box->tail >= size)
        return true;
    /* Slide what waits to the front when that frees at least as much as it
     * moves, so appending stays linear. */
    if (box->head > 0 && box->head >= waiting) {
        memmove(box->bytes, box->bytes + box->head, waiting);
        box->head = 0;
        box->tail = waiting;
        if (box->capacity - box->tail >= size)
            return true;
    }
    capacity = box->capacity ? box->capacity : OUTBOX_FIRST;
    while (capacity - box->tail < size)
        capacity *= 2;
    grown = realloc(box->bytes, capacity);
    if (!grown)
        return false;
    box->bytes = grown;
    box->capacity = capacity;
    return true;
}

int xm_outbox_queue(struct xm_outbox *box, uint16_t opcode, const void *body, uint32_t body_size,
                    const char *name, uint32_t name_len, const int *fds, uint32_t fd_count)
{
    struct xm_wire_header header = {opcode, 0, body_size + (name ? name_len : 0)};
    size_t size = sizeof(header) + header.size;
    int dups[XM_WIRE_MAX_FDS];
    uint32_t duped;

    if (fd_count > XM_WIRE_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    if (size > box->max_bytes - xm_outbox_size(box) ||
        (fd_count && box->fd_messages == XM_OUTBOX_MAX_FD_MESSAGES)) {
        errno = ENOBUFS;
        return -1;
    }
    if (!make_room(box, size)) {
        errno = ENOMEM;
        return -1;
    }
    for (duped = 0; duped < fd_count; duped++) {
        dups[duped] = fcntl(fds[duped], F_DUPFD_CLOEXEC, 0);
        if (dups[duped] < 0) {
            int err = errno;

            while (duped-- > 0)
                close(dups[duped]);
            errno = err;
            return -1;
        }
    }
    if (fd_count) {
        struct xm_outbox_fds *f = &box->fds[box->fd_messages++];

        f->start = box->head_offset + xm_outbox_size(box);
        f->end = f->start + size;
        memcpy(f->fds, dups, sizeof(int) * fd_count);
        f->count = fd_count;
    }
    memcpy(box->bytes + box->tail, &header, sizeof(header));
    if (body_size)
        memcpy(box->bytes + box->tail + sizeof(header), body, body_size);
    if (name && name_len)
        memcpy(box->bytes + box->tail + sizeof(header) + body_size, name, name_len);
    box->tail += size;
    return 0;
}

int xm_outbox_flush(struct xm_outbox *box, int fd)
{
    while (xm_outbox_pending(box)) {
        union {
            char buf[CMSG_SPACE(sizeof(int) * XM_WIRE_MAX_FDS)];
            struct cmsghdr align;
        } control;
        struct xm_outbox_fds *next = box->fd_messages ? &box->fds[0] : NULL;
        struct iovec iov = {box->bytes + box->head, xm_outbox_size(box)};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n;

        if (next && next->start == box->head_offset) {
            /* That message alone, its fds with its first byte. */
            struct cmsghdr *c;

            iov.iov_len = (size_t)(next->end - next->start);
            memset(&control, 0, sizeof(control));
            msg.msg_control = control.buf;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * next->count);
            c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * next->count);
            memcpy(CMSG_DATA(c), next->fds, sizeof(int) * next->count);
        } else if (next && next->start - box->head_offset < iov.iov_len) {
            /* Up to the next message with fds, which goes on its own. */
            iov.iov_len = (size_t)(next->start - box->head_offset);
        }
        n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) {
            if (n == 0)
                errno = EPIPE;
            return -1;
        }
        /* The fds went with the first byte: the peer has its own now. */
        if (msg.msg_controllen) {
            close_fds(next);
            box->fd_messages--;
            memmove(box->fds, box->fds + 1, box->fd_messages * sizeof(box->fds[0]));
        }
        box->head += (size_t)n;
        box->head_offset += (uint64_t)n;
    }
    box->head = box->tail = 0;
    if (box->capacity > OUTBOX_KEEP) {
        free(box->bytes);
        box->bytes = NULL;
        box->capacity = 0;
    }
    return 0;
}
