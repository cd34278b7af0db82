/*
 * What a KMT value (IDXGIResource::GetSharedHandle) looks like. The
 * library's KMT table (core/handle_table.c) and the broker's
 * (tools/extmemd) make and check values by these rules, so they must be
 * the same rules: bit 31 clear, bit 30 set, the low two bits 10, and 28
 * random bits between. NT handle values are multiples of 4 below bit 30
 * (the broker's DuplicateHandle range, ipc/protocol.h, included), so the
 * two spaces never meet: CloseHandle on a KMT value is always an error.
 */
#ifndef EXTMEM_CORE_KMT_VALUE_H
#define EXTMEM_CORE_KMT_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#define XM_KMT_SHAPE_MASK 0xc0000003u  /* the bits every KMT value has the same */
#define XM_KMT_SHAPE 0x40000002u       /* their values */
#define XM_KMT_RANDOM_MASK 0x3ffffffcu /* the bits that tell values apart */

/* Whether value has KMT shape (it may still name nothing). */
static inline bool xm_kmt_is_well_formed(uint32_t value)
{
    return (value & XM_KMT_SHAPE_MASK) == XM_KMT_SHAPE;
}

/* The KMT value made from 32 random bits. */
static inline uint32_t xm_kmt_from_random(uint32_t random)
{
    return XM_KMT_SHAPE | (random & XM_KMT_RANDOM_MASK);
}

#endif
