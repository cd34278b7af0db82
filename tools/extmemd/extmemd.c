/*
 * extmemd: the broker that makes extmem's shared objects visible across
 * processes (docs/ARCHITECTURE.md, "Across processes").
 *
 * It plays the part the Windows kernel plays for D3D11 sharing: it keeps
 * the global KMT table and the name namespace, holds each exported
 * object's memory fd as the system-wide owner, and counts every process's
 * references. A client's references die with its connection, so a process
 * killed with SIGKILL leaks nothing; an object dies with its last
 * reference, and its KMT value and name with it.
 *
 * One thread, one poll() loop. Peers must run as our uid (SO_PEERCRED).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/hash_map.h"
#include "core/kmt_value.h"
#include "ipc/connection.h"
#include "ipc/outbox.h"
#include "ipc/protocol.h"

/* Replies queued for one client and not yet read: a LIST of 10,000
 * objects is about 2.5 MB (more with long names). A client over this
 * stopped reading and is dropped. */
#define CLIENT_OUTBOX_MAX_BYTES (16u * 1024u * 1024u)

struct client;

/* One process's references on one object, and its holds on the object's
 * name (NAME, or the CLAIM of a named grant; each given back by UNNAME). */
struct holder {
    struct client *client;
    uint32_t count;
    uint32_t name_holds;
    struct holder *next;
};

struct object {
    uint64_t id;
    uint32_t kind;
    int fd;
    int sync_fd;           /* the keyed mutex's page, or -1 */
    dev_t dev;             /* the memory's file: merges re-registrations of a memfd */
    ino_t ino;
    struct xm_hash_chain memory_link; /* in broker.memories (memfds only); hash 0: not linked */
    struct xm_wire_desc desc;
    uint32_t kmt;          /* 0: none */
    char *name;            /* NULL: none */
    uint32_t name_access;
    struct holder *holders;
    uint32_t grants;       /* unclaimed DuplicateHandle grants, each a reference */
    uint32_t named_grants; /* ... of which hold the name too */
    struct xm_hash_chain name_link; /* in broker.names while named */
};

/* A DuplicateHandle into process target_pid, waiting for its CLAIM. */
struct grant {
    uint32_t handle;
    pid_t target_pid;
    int pidfd;             /* readable once the target is gone */
    uint32_t access;
    bool holds_name;       /* a handle of the named NT object: the name lives while it waits */
    struct object *object;
};

struct client {
    struct xm_connection conn;
    struct xm_outbox out;  /* replies the socket has not taken yet */
    const char *dropped;   /* why the broker ends this client, or NULL */
    pid_t pid;
    uid_t uid;
    bool greeted;
};

struct broker {
    int listen_fd;
    int lock_fd;
    int reserve_fd;        /* /dev/null, given up to turn a peer away when fds run out */
    char socket_path[256];
    bool owns_socket_path;
    int idle_exit_s;       /* < 0: never */
    bool verbose;

    struct client **clients;
    size_t client_count, client_capacity;

    struct xm_hash_map objects;  /* id -> object */
    struct xm_hash_map kmts;     /* kmt -> object */
    struct xm_hash_map names;    /* name hash -> chain of object.name_link */
    struct xm_hash_map grants;   /* handle -> grant */
    struct xm_hash_map memories; /* hash of (dev, inode) -> chain of object.memory_link */
    size_t object_count;
};

static volatile sig_atomic_t stop_requested;

static void log_msg(const struct broker *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_msg(const struct broker *b, const char *fmt, ...)
{
    va_list ap;

    if (!b->verbose)
        return;
    va_start(ap, fmt);
    fprintf(stderr, "extmemd: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static uint32_t random_u32(void)
{
    uint32_t r;

    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (uint32_t)rand() ^ (uint32_t)time(NULL);
    return r;
}

static uint64_t random_id(void)
{
    uint64_t r = 0;

    while (!r) {
        if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
            r = ((uint64_t)random_u32() << 32) | random_u32();
    }
    return r;
}

static uint32_t fresh_kmt(struct broker *b)
{
    uint32_t value;

    do
        value = xm_kmt_from_random(random_u32());
    while (xm_hash_map_get(&b->kmts, value));
    return value;
}

/* The KMT value a registration gets: the one it asks for (a client
 * re-registering after a broker restart keeps its value) when that is
 * well-formed and free, a fresh one otherwise. */
static uint32_t kmt_for(struct broker *b, uint32_t wanted)
{
    return xm_kmt_is_well_formed(wanted) && !xm_hash_map_get(&b->kmts, wanted) ? wanted : fresh_kmt(b);
}

/* ---- objects and references --------------------------------------------- */

static struct object *find_name(struct broker *b, const char *name)
{
    uint64_t hash = xm_hash_bytes(name, strlen(name));

    for (struct xm_hash_chain *link = xm_hash_chain_first(&b->names, hash); link; link = link->next) {
        struct object *o = xm_hash_chain_entry(link, struct object, name_link);

        if (strcmp(o->name, name) == 0)
            return o;
    }
    return NULL;
}

static bool link_name(struct broker *b, struct object *o)
{
    o->name_link.hash = xm_hash_bytes(o->name, strlen(o->name));
    return xm_hash_chain_link(&b->names, &o->name_link);
}

static void drop_name(struct broker *b, struct object *o)
{
    if (!o->name)
        return;
    xm_hash_chain_unlink(&b->names, &o->name_link);
    log_msg(b, "object %016llx loses name \"%s\"", (unsigned long long)o->id, o->name);
    free(o->name);
    o->name = NULL;
}

/* Only a regular file (a memfd) names its memory by inode: a GPU export
 * (the cuda backend's VMM fd) is an open of /dev/nvidiactl, the same inode
 * for every allocation, so those are never looked up here. */
static uint64_t memory_hash(dev_t dev, ino_t ino)
{
    const uint64_t key[2] = {(uint64_t)dev, (uint64_t)ino};

    return xm_hash_bytes(key, sizeof(key));
}

static struct object *find_memory(struct broker *b, dev_t dev, ino_t ino)
{
    for (struct xm_hash_chain *link = xm_hash_chain_first(&b->memories, memory_hash(dev, ino)); link;
         link = link->next) {
        struct object *o = xm_hash_chain_entry(link, struct object, memory_link);

        if (o->dev == dev && o->ino == ino)
            return o;
    }
    return NULL;
}

static bool link_memory(struct broker *b, struct object *o)
{
    o->memory_link.hash = memory_hash(o->dev, o->ino);
    if (xm_hash_chain_link(&b->memories, &o->memory_link))
        return true;
    o->memory_link.hash = 0;
    return false;
}

static void unlink_memory(struct broker *b, struct object *o)
{
    if (o->memory_link.hash)
        xm_hash_chain_unlink(&b->memories, &o->memory_link);
    o->memory_link.hash = 0;
}

/* Whether two registrations describe the same resource. The backend name
 * compares as a string: what follows its NUL means nothing. */
static bool same_desc(const struct xm_wire_desc *a, const struct xm_wire_desc *b)
{
    _Static_assert(offsetof(struct xm_wire_desc, backend) == 12 * sizeof(uint32_t) + sizeof(uint64_t),
                   "struct xm_wire_desc has no padding before its backend name");
    return memcmp(a, b, offsetof(struct xm_wire_desc, backend)) == 0 && strcmp(a->backend, b->backend) == 0;
}

static uint32_t total_refs(const struct object *o)
{
    uint32_t n = o->grants;

    for (const struct holder *h = o->holders; h; h = h->next)
        n += h->count;
    return n;
}

/* Whether anyone holds the object's name. */
static bool name_is_held(const struct object *o)
{
    if (o->named_grants)
        return true;
    for (const struct holder *h = o->holders; h; h = h->next)
        if (h->name_holds)
            return true;
    return false;
}

/* A name nobody holds any more dies (its object may live on). */
static void drop_name_if_unheld(struct broker *b, struct object *o)
{
    if (o->name && !name_is_held(o))
        drop_name(b, o);
}

/* Frees an object with no reference left: its KMT value and name go with
 * it. Returns whether it did. */
static bool destroy_if_unreferenced(struct broker *b, struct object *o)
{
    if (o->holders || o->grants)
        return false;
    log_msg(b, "object %016llx dies", (unsigned long long)o->id);
    xm_hash_map_remove(&b->objects, o->id);
    if (o->kmt)
        xm_hash_map_remove(&b->kmts, o->kmt);
    drop_name(b, o);
    unlink_memory(b, o);
    close(o->fd);
    if (o->sync_fd >= 0)
        close(o->sync_fd);
    free(o);
    b->object_count--;
    return true;
}

static struct holder *find_holder(struct object *o, const struct client *c)
{
    for (struct holder *h = o->holders; h; h = h->next)
        if (h->client == c)
            return h;
    return NULL;
}

static bool add_ref(struct object *o, struct client *c)
{
    struct holder *h = find_holder(o, c);

    if (h) {
        h->count++;
        return true;
    }
    h = calloc(1, sizeof(*h));
    if (!h)
        return false;
    h->client = c;
    h->count = 1;
    h->next = o->holders;
    o->holders = h;
    return true;
}

/* Drops `count` references of c (all of them when count is 0). */
static bool drop_refs(struct broker *b, struct object *o, struct client *c, uint32_t count)
{
    struct holder **link = &o->holders;

    for (; *link; link = &(*link)->next) {
        struct holder *h = *link;

        if (h->client != c)
            continue;
        if (count && h->count > count) {
            h->count -= count;
            return true;
        }
        *link = h->next;
        free(h);
        /* A process's holds on the name go with its last reference. */
        if (!destroy_if_unreferenced(b, o))
            drop_name_if_unheld(b, o);
        return true;
    }
    return false;
}

static void drop_grant(struct broker *b, struct grant *g, bool keep_reference)
{
    struct object *o = g->object;

    xm_hash_map_remove(&b->grants, g->handle);
    close(g->pidfd);
    if (g->holds_name)
        o->named_grants--;
    free(g);
    o->grants--;
    if (!keep_reference && !destroy_if_unreferenced(b, o))
        drop_name_if_unheld(b, o);
}

/* ---- replies --------------------------------------------------------------
 * Replies are queued (the client's outbox) and written as the socket takes
 * them, so a client that stops reading stalls nobody else. One that cannot
 * be queued (the client left too much unread, or the broker is out of
 * memory or fds) ends the client: -1, as when its socket breaks. */

/* Queues a message with dups of fds[0, fd_count): the message stays
 * valid even if the object the fds belong to dies before it is sent. */
static int queue_reply(struct client *c, uint16_t opcode, const void *body, uint32_t size, const char *name,
                       uint32_t name_len, const int *fds, uint32_t fd_count)
{
    if (xm_outbox_queue(&c->out, opcode, body, size, name, name_len, fds, fd_count) == 0)
        return 0;
    c->dropped = errno == ENOBUFS ? "it leaves its replies unread" : "no memory or fds for its reply";
    return -1;
}

static int reply(struct client *c, uint16_t opcode, const void *body, uint32_t size, int fd)
{
    return queue_reply(c, opcode, body, size, NULL, 0, &fd, fd >= 0 ? 1 : 0);
}

static int reply_error(struct client *c, enum xm_wire_error code)
{
    struct xm_wire_error_body body = {code, 0};

    return reply(c, XM_OP_ERROR, &body, sizeof(body), -1);
}

static int reply_ok(struct client *c)
{
    return reply(c, XM_OP_OK, NULL, 0, -1);
}

/* Queues OBJECT with dups of the object's fds. */
static int reply_object(struct client *c, const struct object *o, uint32_t access, uint32_t flags)
{
    struct xm_wire_object body = {0};

    body.id = o->id;
    body.kind = o->kind;
    body.kmt = o->kmt;
    body.access = access;
    body.flags = flags;
    body.desc = o->desc;
    body.fd_count = o->sync_fd >= 0 ? 2 : 1;
    return queue_reply(c, XM_OP_OBJECT, &body, sizeof(body), NULL, 0, (const int[]){o->fd, o->sync_fd},
                       body.fd_count);
}

static int send_entry(struct client *c, const struct object *o)
{
    struct xm_wire_list_entry e = {0};
    uint32_t name_len = o->name ? (uint32_t)strlen(o->name) : 0;

    e.id = o->id;
    e.kind = o->kind;
    e.kmt = o->kmt;
    e.access = o->name ? o->name_access : XM_WIRE_ACCESS_ALL;
    e.total_refs = total_refs(o);
    e.grants = o->grants;
    e.desc = o->desc;
    for (const struct holder *h = o->holders; h && e.ref_count < XM_WIRE_LIST_MAX_REFS; h = h->next) {
        e.ref_pid[e.ref_count] = (uint32_t)h->client->pid;
        e.ref_count_of[e.ref_count] = h->count;
        e.ref_count++;
    }
    e.name_len = name_len;
    return queue_reply(c, XM_OP_LIST_ENTRY, &e, sizeof(e), o->name, name_len, NULL, 0);
}

/* ---- handlers --------------------------------------------------------------
 * Each returns what reply() returned: -1 means the client is gone. */

/* A registration of memory that object o already has: the same resource,
 * which the client now holds too, or else a registration to refuse (one
 * memory is one object, of one kind and one description). */
static int merge_registration(struct broker *b, struct client *c, struct object *o, const struct xm_wire_register *r)
{
    struct xm_wire_registered out = {0};

    if (o->kind != r->kind || !same_desc(&o->desc, &r->desc))
        return reply_error(c, XM_WIRE_ERR_MISMATCH);
    /* The KMT value first: a registration that asked for one and cannot
     * have it fails whole, as a new object's does. */
    if (r->want_kmt && !o->kmt) {
        uint32_t kmt = kmt_for(b, r->kmt);

        if (!xm_hash_map_insert(&b->kmts, kmt, o))
            return reply_error(c, XM_WIRE_ERR_NO_MEMORY);
        o->kmt = kmt;
    }
    if (!add_ref(o, c))
        return reply_error(c, XM_WIRE_ERR_NO_MEMORY);
    log_msg(b, "pid %d registers object %016llx again", (int)c->pid, (unsigned long long)o->id);
    out.id = o->id;
    out.kmt = o->kmt;
    return reply(c, XM_OP_REGISTERED, &out, sizeof(out), -1);
}

static int handle_register(struct broker *b, struct client *c, const struct xm_message *m, int fd)
{
    const struct xm_wire_register *r = &m->u.reg;
    struct xm_wire_registered out = {0};
    struct object *o = NULL, *same;
    struct stat st, sync_st;
    int ret, sync_fd = r->fd_count == 2 ? xm_connection_take_fd(&c->conn) : -1;

    /* Memory is a file (a memfd, a GPU export): never a socket, whose
     * passing would let a peer keep its own connection open through us.
     * A keyed mutex's page is a memfd. */
    if (fd < 0 || fstat(fd, &st) != 0 || S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode) || S_ISFIFO(st.st_mode) ||
        !r->desc.alloc_size || (S_ISREG(st.st_mode) && (uint64_t)st.st_size < r->desc.alloc_size) ||
        (r->fd_count == 2 && (sync_fd < 0 || fstat(sync_fd, &sync_st) != 0 || !S_ISREG(sync_st.st_mode)))) {
        ret = reply_error(c, XM_WIRE_ERR_BAD_FD);
        goto done;
    }
    /* A client re-registering after a broker restart: the same memory may
     * already be here, registered by another holder. */
    same = S_ISREG(st.st_mode) ? find_memory(b, st.st_dev, st.st_ino) : NULL;
    if (same) {
        ret = merge_registration(b, c, same, r);
        goto done;
    }
    o = calloc(1, sizeof(*o));
    if (!o) {
        ret = reply_error(c, XM_WIRE_ERR_NO_MEMORY);
        goto done;
    }
    o->kind = r->kind;
    o->fd = fd;
    o->sync_fd = sync_fd;
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    o->desc = r->desc;
    do
        o->id = random_id();
    while (xm_hash_map_get(&b->objects, o->id));
    if (r->want_kmt)
        o->kmt = kmt_for(b, r->kmt);
    if (!xm_hash_map_insert(&b->objects, o->id, o)) {
        ret = reply_error(c, XM_WIRE_ERR_NO_MEMORY);
        goto done;
    }
    if ((o->kmt && !xm_hash_map_insert(&b->kmts, o->kmt, o)) || (S_ISREG(st.st_mode) && !link_memory(b, o)) ||
        !add_ref(o, c)) {
        xm_hash_map_remove(&b->objects, o->id);
        if (o->kmt)
            xm_hash_map_remove(&b->kmts, o->kmt);
        unlink_memory(b, o);
        ret = reply_error(c, XM_WIRE_ERR_NO_MEMORY);
        goto done;
    }
    b->object_count++;
    fd = -1;
    sync_fd = -1;
    log_msg(b, "pid %d registers object %016llx kmt 0x%x", (int)c->pid, (unsigned long long)o->id, o->kmt);
    out.id = o->id;
    out.kmt = o->kmt;
    o = NULL;
    ret = reply(c, XM_OP_REGISTERED, &out, sizeof(out), -1);
done:
    if (fd >= 0)
        close(fd);
    if (sync_fd >= 0)
        close(sync_fd);
    free(o);
    return ret;
}

static int handle_name(struct broker *b, struct client *c, const struct xm_message *m)
{
    struct object *o = xm_hash_map_get(&b->objects, m->u.name.id);
    struct holder *h = o ? find_holder(o, c) : NULL;
    struct object *owner;

    if (!h)
        return reply_error(c, XM_WIRE_ERR_NOT_REFERENCED);
    owner = find_name(b, m->name);
    if (owner == o) {
        h->name_holds++;
        return reply_ok(c);
    }
    if (owner || o->name)
        return reply_error(c, XM_WIRE_ERR_NAME_EXISTS);
    o->name = strdup(m->name);
    if (!o->name)
        return reply_error(c, XM_WIRE_ERR_NO_MEMORY);
    if (!link_name(b, o)) {
        free(o->name);
        o->name = NULL;
        return reply_error(c, XM_WIRE_ERR_NO_MEMORY);
    }
    o->name_access = m->u.name.access;
    h->name_holds++;
    log_msg(b, "pid %d names object %016llx \"%s\"", (int)c->pid, (unsigned long long)o->id, o->name);
    return reply_ok(c);
}

static int handle_unname(struct broker *b, struct client *c, const struct xm_message *m)
{
    struct object *o = xm_hash_map_get(&b->objects, m->u.id.id);
    struct holder *h = o ? find_holder(o, c) : NULL;

    if (!h)
        return reply_error(c, XM_WIRE_ERR_NOT_REFERENCED);
    if (h->name_holds)
        h->name_holds--;
    drop_name_if_unheld(b, o);
    return reply_ok(c);
}

/* Gives the client a reference on o and sends it. */
static int open_object(struct client *c, struct object *o, uint32_t kind, uint32_t access)
{
    if (o->kind != kind)
        return reply_error(c, XM_WIRE_ERR_WRONG_KIND);
    if (!add_ref(o, c))
        return reply_error(c, XM_WIRE_ERR_NO_MEMORY);
    return reply_object(c, o, access, 0);
}

static int handle_open_kmt(struct broker *b, struct client *c, const struct xm_message *m)
{
    struct object *o = xm_hash_map_get(&b->kmts, m->u.open_kmt.kmt);

    if (!o)
        return reply_error(c, XM_WIRE_ERR_NOT_FOUND);
    return open_object(c, o, m->u.open_kmt.kind, XM_WIRE_ACCESS_ALL);
}

static int handle_open_name(struct broker *b, struct client *c, const struct xm_message *m)
{
    struct object *o = find_name(b, m->name);

    if (!o)
        return reply_error(c, XM_WIRE_ERR_NOT_FOUND);
    return open_object(c, o, m->u.open_name.kind, o->name_access);
}

static int handle_ref(struct broker *b, struct client *c, const struct xm_message *m, bool add)
{
    struct object *o = xm_hash_map_get(&b->objects, m->u.id.id);

    if (!o)
        return reply_error(c, XM_WIRE_ERR_NOT_FOUND);
    if (add)
        return add_ref(o, c) ? reply_ok(c) : reply_error(c, XM_WIRE_ERR_NO_MEMORY);
    return drop_refs(b, o, c, 1) ? reply_ok(c) : reply_error(c, XM_WIRE_ERR_NOT_REFERENCED);
}

static int handle_duplicate(struct broker *b, struct client *c, const struct xm_message *m)
{
    const struct xm_wire_duplicate *d = &m->u.duplicate;
    struct object *o = xm_hash_map_get(&b->objects, d->id);
    struct xm_wire_duplicated out = {0};
    struct grant *g = NULL;
    int pidfd = -1, ret;

    if (!o || !find_holder(o, c)) {
        ret = reply_error(c, XM_WIRE_ERR_NOT_REFERENCED);
        goto done;
    }
    pidfd = (int)syscall(SYS_pidfd_open, (pid_t)d->target_pid, 0);
    if (pidfd < 0) {
        ret = reply_error(c, errno == ESRCH || errno == EINVAL ? XM_WIRE_ERR_NO_PROCESS : XM_WIRE_ERR_NO_MEMORY);
        goto done;
    }
    g = calloc(1, sizeof(*g));
    if (!g) {
        ret = reply_error(c, XM_WIRE_ERR_NO_MEMORY);
        goto done;
    }
    do
        g->handle = XM_REMOTE_HANDLE_BIT | (random_u32() & XM_REMOTE_HANDLE_MASK);
    while ((g->handle & XM_REMOTE_HANDLE_MASK) == 0 || xm_hash_map_get(&b->grants, g->handle));
    g->target_pid = (pid_t)d->target_pid;
    g->pidfd = pidfd;
    g->access = d->access;
    g->object = o;
    g->holds_name = o->name && (d->flags & XM_WIRE_DUPLICATE_NAMED);
    if (!xm_hash_map_insert(&b->grants, g->handle, g)) {
        ret = reply_error(c, XM_WIRE_ERR_NO_MEMORY);
        goto done;
    }
    o->grants++;
    if (g->holds_name)
        o->named_grants++;
    pidfd = -1;
    out.handle = g->handle;
    g = NULL;
    log_msg(b, "pid %d duplicates object %016llx into pid %u as 0x%x", (int)c->pid, (unsigned long long)o->id,
            d->target_pid, out.handle);
    ret = reply(c, XM_OP_DUPLICATED, &out, sizeof(out), -1);
done:
    if (pidfd >= 0)
        close(pidfd);
    free(g);
    return ret;
}

static int handle_claim(struct broker *b, struct client *c, const struct xm_message *m)
{
    struct grant *g = xm_hash_map_get(&b->grants, m->u.claim.handle);
    struct object *o;
    uint32_t access, flags;

    /* Only the process the handle was duplicated into may claim it. */
    if (!g || g->target_pid != c->pid)
        return reply_error(c, XM_WIRE_ERR_NOT_FOUND);
    o = g->object;
    access = g->access;
    if (!add_ref(o, c))
        return reply_error(c, XM_WIRE_ERR_NO_MEMORY);
    /* The grant's hold on the name becomes the claimer's. */
    flags = g->holds_name ? XM_WIRE_OBJECT_HOLDS_NAME : 0;
    if (g->holds_name)
        find_holder(o, c)->name_holds++;
    drop_grant(b, g, true);
    return reply_object(c, o, access, flags);
}

static int handle_list(struct broker *b, struct client *c)
{
    for (size_t i = 0; i < b->objects.capacity; i++) {
        struct object *o = b->objects.entries[i].key ? b->objects.entries[i].value : NULL;

        if (o && send_entry(c, o) != 0)
            return -1;
    }
    return reply(c, XM_OP_LIST_END, NULL, 0, -1);
}

static int handle_message(struct broker *b, struct client *c, const struct xm_message *m)
{
    if (!c->greeted) {
        struct xm_wire_hello hello = {XM_PROTOCOL_VERSION, 0};

        if (m->opcode != XM_OP_HELLO || m->u.hello.version != XM_PROTOCOL_VERSION) {
            reply_error(c, m->opcode == XM_OP_HELLO ? XM_WIRE_ERR_VERSION : XM_WIRE_ERR_MALFORMED);
            return -1;
        }
        c->greeted = true;
        return reply(c, XM_OP_HELLO_REPLY, &hello, sizeof(hello), -1);
    }
    switch (m->opcode) {
    /* Only REGISTER takes fds: no other message declares any, so the
     * connection closed those that came with one. */
    case XM_OP_REGISTER: return handle_register(b, c, m, xm_connection_take_fd(&c->conn));
    case XM_OP_NAME: return handle_name(b, c, m);
    case XM_OP_UNNAME: return handle_unname(b, c, m);
    case XM_OP_OPEN_KMT: return handle_open_kmt(b, c, m);
    case XM_OP_OPEN_NAME: return handle_open_name(b, c, m);
    case XM_OP_REF: return handle_ref(b, c, m, true);
    case XM_OP_UNREF: return handle_ref(b, c, m, false);
    case XM_OP_DUPLICATE: return handle_duplicate(b, c, m);
    case XM_OP_CLAIM: return handle_claim(b, c, m);
    case XM_OP_LIST: return handle_list(b, c);
    case XM_OP_INFO_KMT: {
        struct object *o = xm_hash_map_get(&b->kmts, m->u.info_kmt.kmt);

        return o ? send_entry(c, o) : reply_error(c, XM_WIRE_ERR_NOT_FOUND);
    }
    case XM_OP_INFO_NAME: {
        struct object *o = find_name(b, m->name);

        return o ? send_entry(c, o) : reply_error(c, XM_WIRE_ERR_NOT_FOUND);
    }
    default:
        /* A reply opcode sent to the broker, or HELLO twice. */
        reply_error(c, XM_WIRE_ERR_MALFORMED);
        return -1;
    }
}

/* ---- clients -------------------------------------------------------------- */

static void remove_client(struct broker *b, size_t index)
{
    struct client *c = b->clients[index];

    log_msg(b, "pid %d disconnects%s%s", (int)c->pid, c->dropped ? ": dropped, " : "", c->dropped ? c->dropped : "");
    /* Every reference the process held dies with it. */
    for (size_t i = 0; i < b->objects.capacity; i++) {
        struct object *o = b->objects.entries[i].key ? b->objects.entries[i].value : NULL;

        if (o && drop_refs(b, o, c, 0))
            i--; /* backward-shift deletion may have moved another entry into slot i */
    }
    /* A last error reply (VERSION, MALFORMED) goes out if the socket takes it. */
    xm_outbox_flush(&c->out, c->conn.fd);
    xm_outbox_finish(&c->out);
    xm_connection_finish(&c->conn);
    free(c);
    b->clients[index] = b->clients[--b->client_count];
}

static void accept_client(struct broker *b)
{
    struct client *c;
    pid_t pid;
    uid_t uid;
    int fd;

    fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE) && b->reserve_fd >= 0) {
        /* Out of fds (one per live object, one per client): turn the peer
         * away rather than leave it pending, where poll() would report it
         * again at once, for ever. The reserve fd makes room to do so. */
        close(b->reserve_fd);
        fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            close(fd);
        b->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        log_msg(b, "out of file descriptors: a connection was turned away");
        return;
    }
    if (fd < 0)
        return;
    if (xm_connection_peer(fd, &pid, &uid) != 0 || uid != getuid()) {
        log_msg(b, "refusing a peer of uid %u", (unsigned)uid);
        close(fd);
        return;
    }
    if (b->client_count == b->client_capacity) {
        size_t capacity = b->client_capacity ? b->client_capacity * 2 : 16;
        struct client **clients = realloc(b->clients, capacity * sizeof(*clients));

        if (!clients) {
            close(fd);
            return;
        }
        b->clients = clients;
        b->client_capacity = capacity;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    xm_connection_init(&c->conn, fd);
    xm_outbox_init(&c->out, CLIENT_OUTBOX_MAX_BYTES);
    c->pid = pid;
    c->uid = uid;
    b->clients[b->client_count++] = c;
    log_msg(b, "pid %d connects", (int)pid);
}

/* Reads what a client sent and answers every whole message.
 * Returns false when the client must go. */
static bool serve_client(struct broker *b, struct client *c)
{
    struct xm_message m;
    long n = xm_connection_fill(&c->conn, true);
    int parsed;

    if (n == 0 || (n < 0 && errno != EAGAIN))
        return false;
    while ((parsed = xm_connection_next(&c->conn, &m)) == 1)
        if (handle_message(b, c, &m) != 0)
            return false;
    if (parsed < 0) {
        log_msg(b, "pid %d sent a malformed message", (int)c->pid);
        reply_error(c, XM_WIRE_ERR_MALFORMED);
        return false;
    }
    return xm_outbox_flush(&c->out, c->conn.fd) == 0;
}

/* ---- the listening socket ------------------------------------------------- */

static int listen_from_systemd(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

    if (!pid || !fds || strtol(pid, NULL, 10) != getpid() || strtol(fds, NULL, 10) < 1)
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    fcntl(3, F_SETFD, FD_CLOEXEC);
    return 3; /* SD_LISTEN_FDS_START */
}

/* Returns the listening fd; 1 with *already when another broker owns the
 * directory; -1 on failure (message printed). */
static int listen_on_socket(struct broker *b, bool *already)
{
    char dir[200], why[256], lock_path[256];
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    *already = false;
    if (xm_ipc_runtime_dir(dir, sizeof(dir), true, why, sizeof(why)) != 0) {
        fprintf(stderr, "extmemd: %s\n", why);
        return -1;
    }
    snprintf(lock_path, sizeof(lock_path), "%s/" XM_IPC_LOCK_NAME, dir);
    snprintf(b->socket_path, sizeof(b->socket_path), "%s/" XM_IPC_SOCKET_NAME, dir);
    b->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (b->lock_fd < 0) {
        fprintf(stderr, "extmemd: %s: %s\n", lock_path, strerror(errno));
        return -1;
    }
    /* The lock is the broker's identity: whoever holds it owns the socket
     * path, so a stale socket left by a killed broker can be replaced. */
    if (flock(b->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        *already = true;
        return -1;
    }
    if (strlen(b->socket_path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "extmemd: %s: the path is too long for a Unix socket\n", b->socket_path);
        return -1;
    }
    unlink(b->socket_path);
    memcpy(addr.sun_path, b->socket_path, strlen(b->socket_path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 128) != 0) {
        fprintf(stderr, "extmemd: %s: %s\n", b->socket_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    b->owns_socket_path = true;
    return fd;
}

/* The broker holds an fd per live object (two with a keyed mutex) and one
 * per client: take the hard limit rather than the usual 1024. */
static void raise_fd_limit(void)
{
    struct rlimit limit;

    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* The process a grant was made for is gone: nobody can claim it. */
static void drop_dead_target(struct broker *b, uint32_t handle, int pidfd)
{
    struct grant *g = xm_hash_map_get(&b->grants, handle);

    if (g && g->pidfd == pidfd) {
        log_msg(b, "pid %d exited before claiming 0x%x", (int)g->target_pid, handle);
        drop_grant(b, g, false);
    }
}

static int run(struct broker *b)
{
    struct pollfd *fds = NULL;
    uint32_t *grant_of = NULL; /* grant handle of each pidfd entry of fds */
    size_t fds_capacity = 0;
    struct timespec idle_since;
    bool idle = false;

    for (;;) {
        size_t count = 1 + b->client_count + b->grants.count, n = 0, clients = b->client_count;
        int timeout = -1, ready;

        if (stop_requested)
            break;
        if (count > fds_capacity) {
            struct pollfd *grown = realloc(fds, count * 2 * sizeof(*fds));
            uint32_t *grown_grants;

            if (grown)
                fds = grown;
            grown_grants = grown ? realloc(grant_of, count * 2 * sizeof(*grant_of)) : NULL;
            if (!grown_grants) {
                free(fds);
                free(grant_of);
                return 1;
            }
            grant_of = grown_grants;
            fds_capacity = count * 2;
        }
        fds[n++] = (struct pollfd){b->listen_fd, POLLIN, 0};
        for (size_t i = 0; i < b->client_count; i++) {
            struct client *c = b->clients[i];

            fds[n++] = (struct pollfd){c->conn.fd, POLLIN | (xm_outbox_pending(&c->out) ? POLLOUT : 0), 0};
        }
        for (size_t i = 0; i < b->grants.capacity; i++)
            if (b->grants.entries[i].key) {
                grant_of[n] = (uint32_t)b->grants.entries[i].key;
                fds[n++] = (struct pollfd){((struct grant *)b->grants.entries[i].value)->pidfd, POLLIN, 0};
            }

        if (b->idle_exit_s >= 0 && b->client_count == 0 && b->object_count == 0) {
            struct timespec now;

            clock_gettime(CLOCK_MONOTONIC, &now);
            if (!idle) {
                idle = true;
                idle_since = now;
            }
            timeout = b->idle_exit_s * 1000 - (int)((now.tv_sec - idle_since.tv_sec) * 1000 +
                                                    (now.tv_nsec - idle_since.tv_nsec) / 1000000);
            if (timeout <= 0)
                break;
        } else {
            idle = false;
        }
        ready = poll(fds, n, timeout);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            break;
        /* Clients first, from the end, so removal does not shift the
         * entries still to visit; fds[1 + i] is client i. */
        for (size_t i = clients; i-- > 0;) {
            struct client *c = b->clients[i];
            short revents = fds[1 + i].revents;
            bool keep = true;

            if (revents & POLLOUT)
                keep = xm_outbox_flush(&c->out, c->conn.fd) == 0;
            if (keep && (revents & ~POLLOUT))
                keep = serve_client(b, c);
            if (!keep)
                remove_client(b, i);
        }
        for (size_t i = 1 + clients; i < n; i++)
            if (fds[i].revents)
                drop_dead_target(b, grant_of[i], fds[i].fd);
        if (fds[0].revents & POLLIN)
            accept_client(b);
    }
    free(fds);
    free(grant_of);
    return 0;
}

static void shutdown_broker(struct broker *b)
{
    while (b->client_count)
        remove_client(b, b->client_count - 1);
    for (size_t i = 0; i < b->grants.capacity; i++) {
        struct grant *g = b->grants.entries[i].key ? b->grants.entries[i].value : NULL;

        if (g) {
            drop_grant(b, g, false);
            i--;
        }
    }
    free(b->clients);
    xm_hash_map_finish(&b->objects);
    xm_hash_map_finish(&b->kmts);
    xm_hash_map_finish(&b->names);
    xm_hash_map_finish(&b->grants);
    xm_hash_map_finish(&b->memories);
    if (b->owns_socket_path)
        unlink(b->socket_path);
    if (b->listen_fd >= 0)
        close(b->listen_fd);
    if (b->lock_fd >= 0)
        close(b->lock_fd);
    if (b->reserve_fd >= 0)
        close(b->reserve_fd);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: extmemd [--foreground] [--idle-exit SECONDS] [--verbose]\n"
            "\n"
            "The extmem broker: shares D3D11 resources exported with extmem across the\n"
            "processes of one user (KMT handles, names, DuplicateHandle).\n"
            "\n"
            "  --foreground        stay attached to the terminal (default: detach once listening)\n"
            "  --idle-exit SECONDS exit that long after the last client and object are gone\n"
            "  --verbose           log connections and objects to stderr\n"
            "\n"
            "Socket: $XDG_RUNTIME_DIR/extmem/broker.sock, or /tmp/extmem-$UID/broker.sock.\n"
            "Under systemd socket activation (LISTEN_FDS) it serves the socket it is given.\n"
            "Programs linked with extmem start it themselves when they first share across\n"
            "processes; EXTMEM_BROKER=off keeps them from doing so.\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"foreground", no_argument, NULL, 'f'},
        {"idle-exit", required_argument, NULL, 'i'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct broker b = {.listen_fd = -1, .lock_fd = -1, .reserve_fd = -1, .idle_exit_s = -1};
    bool foreground = false, already;
    struct sigaction sa = {0};
    int opt, ready_pipe[2] = {-1, -1}, status;

    while ((opt = getopt_long(argc, argv, "fi:vh", options, NULL)) != -1) {
        switch (opt) {
        case 'f': foreground = true; break;
        case 'i': b.idle_exit_s = atoi(optarg); break;
        case 'v': b.verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    b.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    /* Detach first and listen in the detached process: a peer's
     * SO_PEERCRED then names the broker itself. The starter waits until the
     * socket is up, so whoever started us can connect as soon as we return. */
    if (!foreground) {
        pid_t child;

        if (pipe2(ready_pipe, O_CLOEXEC) != 0)
            return 1;
        child = fork();
        if (child < 0)
            return 1;
        if (child > 0) {
            char byte;

            close(ready_pipe[1]);
            return read(ready_pipe[0], &byte, 1) == 1 ? 0 : 1;
        }
        close(ready_pipe[0]);
        setsid();
    }
    b.listen_fd = listen_from_systemd();
    if (b.listen_fd < 0) {
        b.listen_fd = listen_on_socket(&b, &already);
        if (b.listen_fd < 0) {
            shutdown_broker(&b);
            if (already && ready_pipe[1] >= 0 && write(ready_pipe[1], "", 1) != 1)
                return 1;
            return already ? 0 : 1; /* another broker serves this directory */
        }
    }
    if (!foreground) {
        if (!b.verbose) {
            int null = open("/dev/null", O_RDWR | O_CLOEXEC);

            if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
                close(null);
            }
        }
        if (write(ready_pipe[1], "", 1) != 1)
            return 1;
        close(ready_pipe[1]);
    }
    log_msg(&b, "listening (pid %d)", (int)getpid());
    status = run(&b);
    log_msg(&b, "exiting");
    shutdown_broker(&b);
    return status;
}
