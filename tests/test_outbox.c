/*
 * The broker's reply queue (src/ipc/outbox.h) against the reading side
 * (src/ipc/connection.h): every message arrives whole and in order, with
 * exactly its own fds, however the socket splits the writes; the queue
 * owns its fds until they are sent and keeps to its bounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "ipc/connection.h"
#include "ipc/outbox.h"
#include "ipc/protocol.h"
#include "ipc_util.h"

static int memfd_of(size_t size)
{
    int fd = memfd_create("xm-outbox", MFD_CLOEXEC);

    XM_ASSERT(fd >= 0);
    XM_ASSERT_EQ(ftruncate(fd, (off_t)size), 0);
    return fd;
}

static ino_t inode_of(int fd)
{
    struct stat st;

    XM_ASSERT_EQ(fstat(fd, &st), 0);
    return st.st_ino;
}

static void queue_object(struct xm_outbox *box, uint64_t id, const int *fds, uint32_t fd_count)
{
    struct xm_wire_object body = {0};

    body.id = id;
    body.kind = XM_WIRE_KIND_RESOURCE;
    body.fd_count = fd_count;
    XM_ASSERT_EQ(xm_outbox_queue(box, XM_OP_OBJECT, &body, sizeof(body), NULL, 0, fds, fd_count), 0);
}

static void queue_entry(struct xm_outbox *box, uint64_t id, const char *name)
{
    struct xm_wire_list_entry body = {0};

    body.id = id;
    body.name_len = (uint32_t)strlen(name);
    XM_ASSERT_EQ(xm_outbox_queue(box, XM_OP_LIST_ENTRY, &body, sizeof(body), name, body.name_len, NULL, 0), 0);
}

#define OBJECTS 30
#define ENTRIES_BEFORE_EACH 5

/* A small send buffer splits the writes anywhere; the reader reads in
 * between, so reads end anywhere too. */
XM_TEST(test_outbox_sends_every_message_whole_with_its_own_fds)
{
    int sockets[2], small = 4096, memory[OBJECTS], page[OBJECTS], before = xm_ipc_fd_count();
    ino_t memory_inode[OBJECTS], page_inode[OBJECTS];
    static struct xm_connection reader;
    struct xm_outbox box;
    struct xm_message m;
    uint64_t next_id = 1;
    char name[128];
    int objects = 0, entries = 0, parsed;

    XM_ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
    XM_ASSERT_EQ(setsockopt(sockets[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    xm_outbox_init(&box, 1u << 20);
    for (int i = 0; i < OBJECTS; i++) {
        for (int j = 0; j < ENTRIES_BEFORE_EACH; j++) {
            snprintf(name, sizeof(name), "entry %d.%d %.*s", i, j, (i * 7 + j * 13) % 90, 
                     "................................................................................................");
            queue_entry(&box, next_id++, name);
        }
        memory[i] = memfd_of(4096);
        page[i] = memfd_of(64);
        memory_inode[i] = inode_of(memory[i]);
        page_inode[i] = inode_of(page[i]);
        queue_object(&box, next_id++, (const int[]){memory[i], page[i]}, i % 2 ? 2 : 1);
        /* The queue holds its own: the message outlives ours. */
        close(memory[i]);
        close(page[i]);
    }

    xm_connection_init(&reader, sockets[1]);
    for (int rounds = 0; objects < OBJECTS && rounds < 100000; rounds++) {
        XM_ASSERT_EQ(xm_outbox_flush(&box, sockets[0]), 0);
        if (xm_connection_fill(&reader, true) < 0) {
            XM_ASSERT_EQ(errno, EAGAIN);
            continue;
        }
        while ((parsed = xm_connection_next(&reader, &m)) == 1) {
            uint64_t id = m.opcode == XM_OP_OBJECT ? m.u.object.id : m.u.list_entry.id;

            XM_ASSERT_EQ(id, (uint64_t)(objects + entries + 1)); /* whole and in order */
            if (m.opcode == XM_OP_LIST_ENTRY) {
                XM_ASSERT_EQ(xm_connection_take_fd(&reader), -1);
                entries++;
                continue;
            }
            XM_ASSERT_EQ(m.opcode, XM_OP_OBJECT);
            for (uint32_t k = 0; k < m.u.object.fd_count; k++) {
                int fd = xm_connection_take_fd(&reader);

                XM_ASSERT_MSG(fd >= 0, "object %d lacks fd %u", objects, k);
                XM_ASSERT_EQ(inode_of(fd), k ? page_inode[objects] : memory_inode[objects]);
                close(fd);
            }
            XM_ASSERT_EQ(xm_connection_take_fd(&reader), -1);
            objects++;
        }
        XM_ASSERT_EQ(parsed, 0);
    }
    XM_ASSERT_EQ(objects, OBJECTS);
    XM_ASSERT_EQ(entries, OBJECTS * ENTRIES_BEFORE_EACH);
    XM_ASSERT(!xm_outbox_pending(&box));
    xm_outbox_finish(&box);
    xm_connection_finish(&reader);
    close(sockets[0]);
    XM_ASSERT_EQ(xm_ipc_fd_count(), before); /* every dup went with its message */
}

XM_TEST(test_outbox_refuses_a_message_past_its_bounds)
{
    int memfd = memfd_of(4096), before = xm_ipc_fd_count();
    struct xm_outbox box;
    size_t size;

    /* Bytes: OK is 8 bytes; a 100-byte budget takes 12 of them. */
    xm_outbox_init(&box, 100);
    for (int i = 0; i < 12; i++)
        XM_ASSERT_EQ(xm_outbox_queue(&box, XM_OP_OK, NULL, 0, NULL, 0, NULL, 0), 0);
    size = xm_outbox_size(&box);
    XM_ASSERT_EQ(xm_outbox_queue(&box, XM_OP_OK, NULL, 0, NULL, 0, NULL, 0), -1);
    XM_ASSERT_EQ(errno, ENOBUFS);
    XM_ASSERT_EQ(xm_outbox_size(&box), size); /* nothing half-queued */
    xm_outbox_finish(&box);

    /* Messages with fds: the queue owns a dup of each until it is sent. */
    xm_outbox_init(&box, 1u << 20);
    for (int i = 0; i < XM_OUTBOX_MAX_FD_MESSAGES; i++)
        queue_object(&box, (uint64_t)i + 1, &memfd, 1);
    XM_ASSERT_EQ(xm_ipc_fd_count(), before + XM_OUTBOX_MAX_FD_MESSAGES);
    size = xm_outbox_size(&box);
    XM_ASSERT_EQ(xm_outbox_queue(&box, XM_OP_OBJECT, &(struct xm_wire_object){.fd_count = 1},
                                 sizeof(struct xm_wire_object), NULL, 0, &memfd, 1),
                 -1);
    XM_ASSERT_EQ(errno, ENOBUFS);
    XM_ASSERT_EQ(xm_outbox_size(&box), size);
    XM_ASSERT_EQ(xm_ipc_fd_count(), before + XM_OUTBOX_MAX_FD_MESSAGES);
    /* Without fds a message still fits. */
    XM_ASSERT_EQ(xm_outbox_queue(&box, XM_OP_OK, NULL, 0, NULL, 0, NULL, 0), 0);
    /* Never sent: finishing closes them. */
    xm_outbox_finish(&box);
    XM_ASSERT_EQ(xm_ipc_fd_count(), before);
    close(memfd);
}

XM_TEST(test_outbox_reports_a_peer_that_is_gone)
{
    struct xm_outbox box;
    int sockets[2], memfd = memfd_of(4096), before;

    XM_ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
    before = xm_ipc_fd_count();
    xm_outbox_init(&box, 1u << 20);
    queue_object(&box, 1, &memfd, 1);
    close(sockets[1]);
    XM_ASSERT_EQ(xm_outbox_flush(&box, sockets[0]), -1);
    XM_ASSERT_EQ(errno, EPIPE);
    xm_outbox_finish(&box);
    XM_ASSERT_EQ(xm_ipc_fd_count(), before - 1);
    close(sockets[0]);
    close(memfd);
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_outbox_sends_every_message_whole_with_its_own_fds)
    XM_TEST_ENTRY(test_outbox_refuses_a_message_past_its_bounds)
    XM_TEST_ENTRY(test_outbox_reports_a_peer_that_is_gone))
