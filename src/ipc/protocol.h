/*
 * The wire protocol between the library and the broker (extmemd).
 *
 * A message is a header followed by `size` bytes of body; every field is
 * a fixed-width integer in the host's byte order (both ends run on the
 * same host). A message that carries file descriptors sends them with
 * SCM_RIGHTS on the sendmsg() that writes the message's first byte, and
 * that sendmsg() writes no byte of another message; the receiver gives
 * each message the fds that came inside its bytes (ipc/connection.h).
 * Only REGISTER and OBJECT carry fds, as many as their fd_count says
 * (xm_protocol_fd_count); fds beyond that, or sent with any other
 * message, are closed on receipt. The client speaks first (HELLO),
 * then every request gets exactly one reply, in order, except LIST, whose
 * reply is a run of LIST_ENTRY messages closed by LIST_END. The broker
 * queues replies and writes them as the client reads (ipc/outbox.h); a
 * client that leaves too much unread is disconnected, its references
 * with it.
 *
 * Versioning: HELLO carries XM_PROTOCOL_VERSION; a broker that speaks
 * another version answers ERROR(XM_WIRE_ERR_VERSION) and hangs up.
 * Any change to a struct below bumps the version.
 *
 * The parser (xm_protocol_parse) checks sizes, string lengths and enum
 * ranges, so the daemon's handlers only see well-formed messages.
 */
#ifndef EXTMEM_IPC_PROTOCOL_H
#define EXTMEM_IPC_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

/* 2: a keyed mutex's page travels with its resource; 3: fences travel, and
 * a duplicated handle holds its object's name (DUPLICATE and OBJECT flags) */
#define XM_PROTOCOL_VERSION 3u

/* The largest body any message may have. A name holds at most MAX_PATH
 * (260) characters, each at most 4 bytes of UTF-8. */
#define XM_WIRE_MAX_BODY 4096u
#define XM_WIRE_MAX_NAME 1040u   /* bytes of UTF-8, no terminator on the wire */
#define XM_WIRE_BACKEND_LEN 16u  /* NUL-padded backend name */
#define XM_WIRE_MAX_FDS 2u       /* the most fds one message declares */

/* DuplicateHandle into another process gives the target a handle value
 * from this range: bit 29 set, a multiple of 4, below the KMT space (bit 30)
 * and disjoint from local NT handle values (core/handle_table.c keeps those
 * below XM_REMOTE_HANDLE_BIT). */
#define XM_REMOTE_HANDLE_BIT 0x20000000u
#define XM_REMOTE_HANDLE_MASK 0x1ffffffcu

enum xm_wire_opcode {
    /* client -> broker */
    XM_OP_HELLO = 1,
    XM_OP_REGISTER = 2,
    XM_OP_NAME = 3,
    XM_OP_UNNAME = 4,
    XM_OP_OPEN_KMT = 5,
    XM_OP_OPEN_NAME = 6,
    XM_OP_REF = 7,
    XM_OP_UNREF = 8,
    XM_OP_DUPLICATE = 9,
    XM_OP_CLAIM = 10,
    XM_OP_LIST = 11,
    XM_OP_INFO_KMT = 12,
    XM_OP_INFO_NAME = 13,

    /* broker -> client */
    XM_OP_OK = 64,
    XM_OP_ERROR = 65,
    XM_OP_HELLO_REPLY = 66,
    XM_OP_REGISTERED = 67,
    XM_OP_OBJECT = 68,
    XM_OP_DUPLICATED = 69,
    XM_OP_LIST_ENTRY = 70,
    XM_OP_LIST_END = 71,
};

/* Why a request failed (XM_OP_ERROR). */
enum xm_wire_error {
    XM_WIRE_ERR_MALFORMED = 1,      /* the broker hangs up after it */
    XM_WIRE_ERR_VERSION = 2,        /* the broker hangs up after it */
    XM_WIRE_ERR_NOT_FOUND = 3,      /* no live object has this id / value / name / grant */
    XM_WIRE_ERR_WRONG_KIND = 4,     /* it names an object of another kind */
    XM_WIRE_ERR_NAME_EXISTS = 5,    /* the name belongs to another live object */
    XM_WIRE_ERR_NO_MEMORY = 6,
    XM_WIRE_ERR_BAD_FD = 7,         /* REGISTER came without a usable fd */
    XM_WIRE_ERR_ACCESS = 8,         /* asks for more access than the source grants */
    XM_WIRE_ERR_NO_PROCESS = 9,     /* DUPLICATE: the target pid is not a live peer's process */
    XM_WIRE_ERR_NOT_REFERENCED = 10, /* the client holds no reference on that id */
    XM_WIRE_ERR_MISMATCH = 11,      /* REGISTER: that memory is registered already, as
                                     * another kind or with another description */
};

/* Object kinds, as core/object.h numbers them. */
#define XM_WIRE_KIND_RESOURCE 1u
#define XM_WIRE_KIND_FENCE 2u

/* Access rights, as core/handle_table.h numbers them. */
#define XM_WIRE_ACCESS_READ 0x1u
#define XM_WIRE_ACCESS_WRITE 0x2u
#define XM_WIRE_ACCESS_ALL 0x3u

struct xm_wire_header {
    uint16_t opcode;
    uint16_t reserved; /* 0 */
    uint32_t size;     /* bytes of body that follow */
};

/* A resource's description: struct xm_resource_desc field by field, plus
 * the allocation's size and the backend that made it. */
struct xm_wire_desc {
    uint32_t dimension, format, width, height, depth, mip_levels, array_size;
    uint32_t usage, bind_flags, cpu_access_flags, misc_flags, structure_byte_stride;
    uint64_t alloc_size;
    char backend[XM_WIRE_BACKEND_LEN];
};

struct xm_wire_hello {
    uint32_t version;
    uint32_t reserved;
};

/* REGISTER: fds: the object's memory, then, when fd_count is 2, the page
 * of its keyed mutex (the broker keeps both while the object lives). The
 * memory must be a file (not a socket, directory or pipe) of at least
 * alloc_size bytes, the page a regular file (a memfd); fewer fds than
 * fd_count, or another kind of fd, is ERROR(BAD_FD).
 * kmt: 0 for none, else the value the client proposes; the broker
 * keeps it when no live object has it and else picks a fresh random one.
 * When another live object has the same memory (a memfd of the same
 * device and inode: a client re-registering after a broker restart) and
 * the same kind and description, the broker adds a reference to it
 * instead (kmt is then only used when that object has no value yet); of
 * another kind or description, it refuses: ERROR(MISMATCH). Other fds
 * (the cuda backend's VMM fds all share one inode) are never merged.
 * Reply: REGISTERED. */
struct xm_wire_register {
    uint32_t kind;
    uint32_t want_kmt;  /* 0 or 1 */
    uint32_t kmt;       /* proposed value, or 0 */
    uint32_t fd_count;  /* 1: memory; 2: memory + keyed-mutex page */
    struct xm_wire_desc desc;
};

struct xm_wire_registered {
    uint64_t id;
    uint32_t kmt;       /* the value the object has now, 0 if none */
    uint32_t reserved;
};

/* NAME: gives object `id` a name (UTF-8, name_len bytes follow the struct),
 * and the client one hold on it. A name lives while its object does and
 * someone holds it: the clients that named it or claimed a named grant
 * (each until its UNNAME), and named grants not yet claimed (Windows: a
 * name lives while any handle to its NT object is open, in any process).
 * Reply: OK or ERROR(NAME_EXISTS). Naming again with the same name is OK
 * (and another hold). */
struct xm_wire_name {
    uint64_t id;
    uint32_t access;
    uint32_t name_len;
    /* char name[name_len]; */
};

/* UNNAME (gives back one hold on the name), REF, UNREF: reply OK or ERROR. */
struct xm_wire_id {
    uint64_t id;
};

/* OPEN_KMT: adds a reference for the client. Reply: OBJECT. */
struct xm_wire_open_kmt {
    uint32_t kmt;
    uint32_t kind;
};

/* OPEN_NAME, INFO_NAME: name_len bytes of UTF-8 follow. OPEN_NAME adds a
 * reference. Reply: OBJECT (INFO_NAME: LIST_ENTRY). */
struct xm_wire_open_name {
    uint32_t kind;
    uint32_t name_len;
    /* char name[name_len]; */
};

/* OBJECT: fds: the object's memory (a fence: its page), then (fd_count
 * 2) its keyed mutex's page; new descriptors the client owns. The client
 * now holds one more reference on `id`, and with XM_WIRE_OBJECT_HOLDS_NAME
 * (a CLAIM of a named grant) one hold on its name, which UNNAME gives back. */
struct xm_wire_object {
    uint64_t id;
    uint32_t kind;
    uint32_t kmt;
    uint32_t access;    /* rights of the name or grant; ALL for a KMT value */
    uint32_t fd_count;  /* 1 or 2, as REGISTER's */
    uint32_t flags;     /* XM_WIRE_OBJECT_* */
    uint32_t reserved;  /* 0 */
    struct xm_wire_desc desc;
};

#define XM_WIRE_OBJECT_HOLDS_NAME 0x1u

/* DUPLICATE: grants process target_pid (which must be connected, or
 * connect later) a handle to object `id` with `access`. The sender must
 * hold a reference on `id`. The grant holds a reference until claimed, or
 * until the target's process is gone; with XM_WIRE_DUPLICATE_NAMED (the
 * handle is one of the named NT object) it holds the object's name too,
 * and the claimer then does, as a holder of NAME does. Reply: DUPLICATED. */
struct xm_wire_duplicate {
    uint64_t id;
    uint32_t target_pid;
    uint32_t access;
    uint32_t flags;     /* XM_WIRE_DUPLICATE_* */
    uint32_t reserved;  /* 0 */
};

#define XM_WIRE_DUPLICATE_NAMED 0x1u

struct xm_wire_duplicated {
    uint32_t handle;    /* XM_REMOTE_HANDLE_BIT set */
    uint32_t reserved;
};

/* CLAIM: the target of a DUPLICATE takes its grant; the grant's reference
 * becomes the client's. Reply: OBJECT. */
struct xm_wire_claim {
    uint32_t handle;
    uint32_t reserved;
};

/* INFO_KMT: reply LIST_ENTRY. */
struct xm_wire_info_kmt {
    uint32_t kmt;
    uint32_t reserved;
};

#define XM_WIRE_LIST_MAX_REFS 16u

/* LIST_ENTRY: one live object, with up to XM_WIRE_LIST_MAX_REFS holders;
 * name_len bytes of UTF-8 name follow. */
struct xm_wire_list_entry {
    uint64_t id;
    uint32_t kind;
    uint32_t kmt;
    uint32_t access;
    uint32_t ref_count;     /* holders listed below (the rest are counted in total_refs) */
    uint32_t total_refs;    /* references over all clients and pending grants */
    uint32_t grants;        /* DuplicateHandle grants not yet claimed */
    struct xm_wire_desc desc;
    uint32_t ref_pid[XM_WIRE_LIST_MAX_REFS];
    uint32_t ref_count_of[XM_WIRE_LIST_MAX_REFS];
    uint32_t name_len;
    uint32_t reserved;
    /* char name[name_len]; */
};

struct xm_wire_error_body {
    uint32_t code;          /* enum xm_wire_error */
    uint32_t reserved;
};

/* A parsed message: the header, the fixed body and, where the message has
 * one, its name (points into the buffer parsed; not NUL-terminated). */
struct xm_message {
    uint16_t opcode;
    union {
        struct xm_wire_hello hello;
        struct xm_wire_register reg;
        struct xm_wire_registered registered;
        struct xm_wire_name name;
        struct xm_wire_id id;
        struct xm_wire_open_kmt open_kmt;
        struct xm_wire_open_name open_name;
        struct xm_wire_object object;
        struct xm_wire_duplicate duplicate;
        struct xm_wire_duplicated duplicated;
        struct xm_wire_claim claim;
        struct xm_wire_info_kmt info_kmt;
        struct xm_wire_list_entry list_entry;
        struct xm_wire_error_body error;
    } u;
    const char *name;
    uint32_t name_len;
};

/*
 * Parses the first message of buf[0, len).
 * Returns the bytes it took (header + body) with *out filled, 0 when buf
 * holds only part of a message (read more), or -1 when the bytes can never
 * become a valid message (unknown opcode, wrong body size, oversized body,
 * bad string length, reserved fields set): the peer is broken or hostile.
 */
long xm_protocol_parse(const uint8_t *buf, size_t len, struct xm_message *out);

/* How many fds a message declares: REGISTER's and OBJECT's fd_count (at
 * most XM_WIRE_MAX_FDS), 0 for every other message. */
uint32_t xm_protocol_fd_count(const struct xm_message *m);

/* A name for an error code, for messages ("NOT_FOUND"). */
const char *xm_wire_error_name(uint32_t code);

#endif
