/*
 * extmem: look at what the broker (extmemd) shares, the way ipcs shows
 * SysV objects.
 *
 *   extmem ls             every live shared object
 *   extmem info VALUE     one object, by KMT value (0x4...) or by name
 *
 * It speaks the wire protocol (src/ipc/protocol.h) itself and never starts
 * a broker: no broker running means nothing is shared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <extmem/d3d11.h>

#include "core/format.h"
#include "ipc/connection.h"
#include "ipc/protocol.h"

static struct xm_connection conn = {.fd = -1};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: extmem ls\n"
            "       extmem info KMT-VALUE|NAME\n"
            "\n"
            "Lists the D3D11 resources that processes of this user share across\n"
            "processes through the extmem broker (extmemd):\n"
            "\n"
            "  ls     one line per live object: its id at the broker, kind, KMT value\n"
            "         (from GetSharedHandle), name (from CreateSharedHandle), allocation\n"
            "         size, format and shape, and the processes holding references\n"
            "         (pid:count; 'grant' counts DuplicateHandle values not yet claimed)\n"
            "  info   the same for one object, named by its KMT value (hex, 0x...) or\n"
            "         by its name, with the full description\n"
            "\n"
            "Exit status: 0 on success, 1 when the object is not found, 2 when no broker\n"
            "runs or on a usage error. The broker's socket is\n"
            "$XDG_RUNTIME_DIR/extmem/broker.sock (or /tmp/extmem-$UID/broker.sock).\n");
}

static int connect_broker(void)
{
    struct xm_wire_hello hello = {XM_PROTOCOL_VERSION, 0};
    char dir[200], why[300], path[256];
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    if (xm_ipc_runtime_dir(dir, sizeof(dir), false, why, sizeof(why)) != 0) {
        fprintf(stderr, "extmem: no broker: %s\n", why);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/" XM_IPC_SOCKET_NAME, dir);
    if (strlen(path) >= sizeof(addr.sun_path))
        return -1;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        fprintf(stderr, "extmem: no broker is running at %s (nothing is shared across processes)\n", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    xm_connection_init(&conn, fd);
    if (xm_connection_send(fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1) != 0)
        return -1;
    return 0;
}

/* Reads the next message; 1 on success. */
static int next_message(struct xm_message *m)
{
    for (;;) {
        int parsed = xm_connection_next(&conn, m);

        if (parsed != 0)
            return parsed;
        if (xm_connection_fill(&conn, false) <= 0)
            return -1;
    }
}

static const char *dimension_name(uint32_t dimension)
{
    switch (dimension) {
    case D3D11_RESOURCE_DIMENSION_BUFFER: return "buffer";
    case D3D11_RESOURCE_DIMENSION_TEXTURE1D: return "tex1d";
    case D3D11_RESOURCE_DIMENSION_TEXTURE2D: return "tex2d";
    case D3D11_RESOURCE_DIMENSION_TEXTURE3D: return "tex3d";
    default: return "?";
    }
}

static void print_shape(const struct xm_wire_desc *d, char *out, size_t size)
{
    if (d->dimension == D3D11_RESOURCE_DIMENSION_BUFFER)
        snprintf(out, size, "buffer %u B", d->width);
    else
        snprintf(out, size, "%s %ux%ux%u m%u a%u", dimension_name(d->dimension), d->width, d->height, d->depth,
                 d->mip_levels, d->array_size);
}

static void print_refs(const struct xm_wire_list_entry *e)
{
    uint32_t listed = 0;

    for (uint32_t i = 0; i < e->ref_count; i++) {
        printf(" %u:%u", e->ref_pid[i], e->ref_count_of[i]);
        listed += e->ref_count_of[i];
    }
    if (e->grants)
        printf(" grant:%u", e->grants);
    if (e->total_refs > listed + e->grants)
        printf(" +%u", e->total_refs - listed - e->grants);
    printf("\n");
}

static void print_row(const struct xm_message *m)
{
    const struct xm_wire_list_entry *e = &m->u.list_entry;
    char kmt[16] = "-", shape[64];

    bool fence = e->kind == XM_WIRE_KIND_FENCE;

    if (e->kmt)
        snprintf(kmt, sizeof(kmt), "0x%08x", e->kmt);
    if (fence) /* a fence is its page: a value, no shape */
        snprintf(shape, sizeof(shape), "-");
    else
        print_shape(&e->desc, shape, sizeof(shape));
    printf("%016llx %-8s %-10s %-20s %10llu %-22s %-24s", (unsigned long long)e->id, fence ? "fence" : "resource",
           kmt, m->name ? m->name : "-", (unsigned long long)e->desc.alloc_size,
           fence || e->desc.dimension == D3D11_RESOURCE_DIMENSION_BUFFER ? "-" : xm_format_name(e->desc.format),
           shape);
    print_refs(e);
}

static void print_header(void)
{
    printf("%-16s %-8s %-10s %-20s %10s %-22s %-24s %s\n", "id", "kind", "kmt", "name", "bytes", "format", "shape",
           "refs (pid:count)");
}

static int list(void)
{
    struct xm_message m;
    int count = 0;

    if (connect_broker() != 0)
        return 2;
    if (xm_connection_send(conn.fd, XM_OP_LIST, NULL, 0, NULL, 0, -1) != 0)
        return 2;
    print_header();
    while (next_message(&m) == 1) {
        if (m.opcode == XM_OP_LIST_ENTRY) {
            print_row(&m);
            count++;
        } else if (m.opcode == XM_OP_LIST_END) {
            printf("(%d object%s)\n", count, count == 1 ? "" : "s");
            return 0;
        }
    }
    fprintf(stderr, "extmem: the broker hung up\n");
    return 2;
}

static int info(const char *what)
{
    struct xm_message m;
    char *end;
    unsigned long value;

    if (connect_broker() != 0)
        return 2;
    errno = 0;
    value = strtoul(what, &end, 0);
    if (!errno && *end == '\0' && (what[0] == '0' && (what[1] == 'x' || what[1] == 'X')) && value <= UINT32_MAX) {
        struct xm_wire_info_kmt body = {(uint32_t)value, 0};

        if (xm_connection_send(conn.fd, XM_OP_INFO_KMT, &body, sizeof(body), NULL, 0, -1) != 0)
            return 2;
    } else {
        struct xm_wire_open_name body = {XM_WIRE_KIND_RESOURCE, (uint32_t)strlen(what)};

        if (body.name_len == 0 || body.name_len > XM_WIRE_MAX_NAME) {
            fprintf(stderr, "extmem: a name holds 1 to %u bytes\n", XM_WIRE_MAX_NAME);
            return 2;
        }
        if (xm_connection_send(conn.fd, XM_OP_INFO_NAME, &body, sizeof(body), what, body.name_len, -1) != 0)
            return 2;
    }
    while (next_message(&m) == 1) {
        const struct xm_wire_desc *d = &m.u.list_entry.desc;

        if (m.opcode == XM_OP_HELLO_REPLY)
            continue;
        if (m.opcode == XM_OP_ERROR) {
            fprintf(stderr, "extmem: %s: no live shared object (%s)\n", what, xm_wire_error_name(m.u.error.code));
            return 1;
        }
        if (m.opcode != XM_OP_LIST_ENTRY)
            break;
        print_header();
        print_row(&m);
        printf("\ndimension %s, format %s (%u), %ux%ux%u, %u mip level(s), %u array slice(s)\n",
               dimension_name(d->dimension), d->dimension == D3D11_RESOURCE_DIMENSION_BUFFER ? "-" : xm_format_name(d->format), d->format,
               d->width, d->height, d->depth, d->mip_levels, d->array_size);
        printf("usage %u, bind flags 0x%x, cpu access 0x%x, misc flags 0x%x, allocation %llu bytes on the %s "
               "backend\n", d->usage, d->bind_flags, d->cpu_access_flags, d->misc_flags,
               (unsigned long long)d->alloc_size, d->backend);
        if (m.name)
            printf("name access: %s\n", m.u.list_entry.access == XM_WIRE_ACCESS_READ ? "read" : "read/write");
        return 0;
    }
    fprintf(stderr, "extmem: the broker hung up\n");
    return 2;
}

int main(int argc, char **argv)
{
    int status;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "ls") && argc == 2)
        status = list();
    else if (!strcmp(argv[1], "info") && argc == 3)
        status = info(argv[2]);
    else {
        usage(stderr);
        return 2;
    }
    xm_connection_finish(&conn);
    return status;
}
