#include "ipc/protocol.h"

#include <string.h>

/* Fixed body size of each opcode, and whether a name follows it. */
struct opcode_shape {
    uint16_t opcode;
    uint32_t fixed;
    int has_name; /* 0: none, 1: required, 2: optional */
};

static const struct opcode_shape shapes[] = {
    {XM_OP_HELLO, sizeof(struct xm_wire_hello), 0},
    {XM_OP_REGISTER, sizeof(struct xm_wire_register), 0},
    {XM_OP_NAME, sizeof(struct xm_wire_name), 1},
    {XM_OP_UNNAME, sizeof(struct xm_wire_id), 0},
    {XM_OP_OPEN_KMT, sizeof(struct xm_wire_open_kmt), 0},
    {XM_OP_OPEN_NAME, sizeof(struct xm_wire_open_name), 1},
    {XM_OP_REF, sizeof(struct xm_wire_id), 0},
    {XM_OP_UNREF, sizeof(struct xm_wire_id), 0},
    {XM_OP_DUPLICATE, sizeof(struct xm_wire_duplicate), 0},
    {XM_OP_CLAIM, sizeof(struct xm_wire_claim), 0},
    {XM_OP_LIST, 0, 0},
    {XM_OP_INFO_KMT, sizeof(struct xm_wire_info_kmt), 0},
    {XM_OP_INFO_NAME, sizeof(struct xm_wire_open_name), 1},
    {XM_OP_OK, 0, 0},
    {XM_OP_ERROR, sizeof(struct xm_wire_error_body), 0},
    {XM_OP_HELLO_REPLY, sizeof(struct xm_wire_hello), 0},
    {XM_OP_REGISTERED, sizeof(struct xm_wire_registered), 0},
    {XM_OP_OBJECT, sizeof(struct xm_wire_object), 0},
    {XM_OP_DUPLICATED, sizeof(struct xm_wire_duplicated), 0},
    {XM_OP_LIST_ENTRY, sizeof(struct xm_wire_list_entry), 2},
    {XM_OP_LIST_END, 0, 0},
};

static const struct opcode_shape *find_shape(uint16_t opcode)
{
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        if (shapes[i].opcode == opcode)
            return &shapes[i];
    return NULL;
}

uint32_t xm_protocol_fd_count(const struct xm_message *m)
{
    switch (m->opcode) {
    case XM_OP_REGISTER: return m->u.reg.fd_count;
    case XM_OP_OBJECT: return m->u.object.fd_count;
    default: return 0;
    }
}

/* The name length field of a message with a name, from its fixed body. */
static uint32_t name_length_of(const struct xm_message *m)
{
    switch (m->opcode) {
    case XM_OP_NAME: return m->u.name.name_len;
    case XM_OP_OPEN_NAME:
    case XM_OP_INFO_NAME: return m->u.open_name.name_len;
    case XM_OP_LIST_ENTRY: return m->u.list_entry.name_len;
    default: return 0;
    }
}

static int backend_is_terminated(const struct xm_wire_desc *desc)
{
    return memchr(desc->backend, '\0', sizeof(desc->backend)) != NULL;
}

/* Checks what the sizes cannot: enum ranges and terminated strings. */
static int fields_are_valid(const struct xm_message *m)
{
    switch (m->opcode) {
    case XM_OP_REGISTER:
        return (m->u.reg.kind == XM_WIRE_KIND_RESOURCE || m->u.reg.kind == XM_WIRE_KIND_FENCE) &&
               m->u.reg.want_kmt <= 1 && (m->u.reg.fd_count == 1 || m->u.reg.fd_count == 2) &&
               backend_is_terminated(&m->u.reg.desc);
    case XM_OP_NAME:
        return m->u.name.access && !(m->u.name.access & ~XM_WIRE_ACCESS_ALL) && m->u.name.id;
    case XM_OP_DUPLICATE:
        return m->u.duplicate.access && !(m->u.duplicate.access & ~XM_WIRE_ACCESS_ALL) && m->u.duplicate.id &&
               m->u.duplicate.target_pid && !(m->u.duplicate.flags & ~XM_WIRE_DUPLICATE_NAMED) &&
               !m->u.duplicate.reserved;
    case XM_OP_OBJECT:
        return (m->u.object.fd_count == 1 || m->u.object.fd_count == 2) && backend_is_terminated(&m->u.object.desc) &&
               !(m->u.object.flags & ~XM_WIRE_OBJECT_HOLDS_NAME) && !m->u.object.reserved;
    case XM_OP_LIST_ENTRY:
        return backend_is_terminated(&m->u.list_entry.desc) &&
               m->u.list_entry.ref_count <= XM_WIRE_LIST_MAX_REFS;
    default:
        return 1;
    }
}

long xm_protocol_parse(const uint8_t *buf, size_t len, struct xm_message *out)
{
    const struct opcode_shape *shape;
    struct xm_wire_header header;
    uint32_t name_len;

    if (len < sizeof(header))
        return 0;
    memcpy(&header, buf, sizeof(header));
    shape = find_shape(header.opcode);
    if (!shape || header.reserved || header.size > XM_WIRE_MAX_BODY || header.size < shape->fixed ||
        (!shape->has_name && header.size != shape->fixed))
        return -1;
    if (len - sizeof(header) < header.size)
        return 0;

    memset(out, 0, sizeof(*out));
    out->opcode = header.opcode;
    memcpy(&out->u, buf + sizeof(header), shape->fixed);
    if (shape->has_name) {
        name_len = name_length_of(out);
        if ((name_len == 0 && shape->has_name == 1) || name_len > XM_WIRE_MAX_NAME ||
            header.size - shape->fixed != name_len)
            return -1;
        out->name = (const char *)buf + sizeof(header) + shape->fixed;
        out->name_len = name_len;
        /* A NUL inside a name would let two names compare equal in C. */
        if (memchr(out->name, '\0', name_len))
            return -1;
        if (name_len == 0)
            out->name = NULL;
    }
    if (!fields_are_valid(out))
        return -1;
    return (long)(sizeof(header) + header.size);
}

const char *xm_wire_error_name(uint32_t code)
{
    switch (code) {
    case XM_WIRE_ERR_MALFORMED: return "MALFORMED";
    case XM_WIRE_ERR_VERSION: return "VERSION";
    case XM_WIRE_ERR_NOT_FOUND: return "NOT_FOUND";
    case XM_WIRE_ERR_WRONG_KIND: return "WRONG_KIND";
    case XM_WIRE_ERR_NAME_EXISTS: return "NAME_EXISTS";
    case XM_WIRE_ERR_NO_MEMORY: return "NO_MEMORY";
    case XM_WIRE_ERR_BAD_FD: return "BAD_FD";
    case XM_WIRE_ERR_ACCESS: return "ACCESS";
    case XM_WIRE_ERR_NO_PROCESS: return "NO_PROCESS";
    case XM_WIRE_ERR_NOT_REFERENCED: return "NOT_REFERENCED";
    case XM_WIRE_ERR_MISMATCH: return "MISMATCH";
    default: return "UNKNOWN";
    }
}
