/*
 * libFuzzer harness for the broker's wire protocol parser
 * (src/ipc/protocol.c), the only code that reads bytes a peer chose.
 *
 * The input is a byte stream as a client would send it: the harness parses
 * message after message, the way the broker does, and checks what a
 * successful parse promises (the size consumed fits the input, a name is
 * in bounds, has no NUL and its stated length, a message declares at most
 * XM_WIRE_MAX_FDS fds). Build with
 * -DEXTMEM_BUILD_FUZZ=ON and clang (scripts/fuzz-protocol.sh); without
 * libFuzzer, fuzz/replay_main.c runs the same function over the corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xm_message m;

    while (size > 0) {
        long taken = xm_protocol_parse(data, size, &m);

        if (taken <= 0)
            break;
        if ((size_t)taken > size || (size_t)taken < sizeof(struct xm_wire_header) ||
            (size_t)taken > sizeof(struct xm_wire_header) + XM_WIRE_MAX_BODY)
            abort();
        if (m.name) {
            const uint8_t *name = (const uint8_t *)m.name;

            if (name < data || name + m.name_len > data + taken || m.name_len == 0 ||
                m.name_len > XM_WIRE_MAX_NAME || memchr(m.name, '\0', m.name_len))
                abort();
        }
        if (xm_protocol_fd_count(&m) > XM_WIRE_MAX_FDS)
            abort();
        (void)xm_wire_error_name(m.opcode == XM_OP_ERROR ? m.u.error.code : 0);
        data += taken;
        size -= (size_t)taken;
    }
    return 0;
}
