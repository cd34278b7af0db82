/*
 * The map under every table (core/hash_map.h): keys that collide, removal
 * that shifts entries back, and the chains that name tables (the library's
 * and the broker's) keep of entries whose hashes are equal.
 */
#include <stdint.h>

#include "core/hash_map.h"
#include "harness.h"

struct named {
    int id;
    struct xm_hash_chain link;
};

static int ids_under(const struct xm_hash_map *map, uint64_t hash)
{
    int mask = 0;

    for (struct xm_hash_chain *link = xm_hash_chain_first(map, hash); link; link = link->next)
        mask |= 1 << xm_hash_chain_entry(link, struct named, link)->id;
    return mask;
}

XM_TEST(test_hash_map_keeps_every_key_through_growth_and_removal)
{
    struct xm_hash_map map;
    static int values[1000];

    xm_hash_map_init(&map);
    for (uint64_t key = 1; key <= 1000; key++)
        XM_ASSERT(xm_hash_map_insert(&map, key, &values[key - 1]));
    for (uint64_t key = 2; key <= 1000; key += 2)
        XM_ASSERT_PTR_EQ(xm_hash_map_remove(&map, key), &values[key - 1]);
    XM_ASSERT_EQ(map.count, 500);
    for (uint64_t key = 1; key <= 1000; key++)
        XM_ASSERT_PTR_EQ(xm_hash_map_get(&map, key), key % 2 ? &values[key - 1] : NULL);
    XM_ASSERT_NULL(xm_hash_map_remove(&map, 2));
    XM_ASSERT_NULL(xm_hash_map_get(&map, 0));
    xm_hash_map_finish(&map);
}

XM_TEST(test_hash_chain_finds_every_entry_of_a_shared_hash)
{
    struct named a = {.id = 0}, b = {.id = 1}, c = {.id = 2}, other = {.id = 3};
    struct xm_hash_map map;

    xm_hash_map_init(&map);
    a.link.hash = b.link.hash = c.link.hash = 42;
    other.link.hash = 43;
    XM_ASSERT(xm_hash_chain_link(&map, &a.link));
    XM_ASSERT(xm_hash_chain_link(&map, &b.link));
    XM_ASSERT(xm_hash_chain_link(&map, &c.link));
    XM_ASSERT(xm_hash_chain_link(&map, &other.link));
    XM_ASSERT_EQ(ids_under(&map, 42), 0x7);
    XM_ASSERT_EQ(ids_under(&map, 43), 0x8);
    XM_ASSERT_EQ(ids_under(&map, 44), 0);
    xm_hash_map_finish(&map);
}

XM_TEST(test_hash_chain_unlinks_the_head_the_middle_and_the_last_entry)
{
    struct named a = {.id = 0}, b = {.id = 1}, c = {.id = 2};
    struct xm_hash_map map;

    xm_hash_map_init(&map);
    a.link.hash = b.link.hash = c.link.hash = 7;
    XM_ASSERT(xm_hash_chain_link(&map, &a.link));
    XM_ASSERT(xm_hash_chain_link(&map, &b.link));
    XM_ASSERT(xm_hash_chain_link(&map, &c.link)); /* the chain: a, c, b */
    xm_hash_chain_unlink(&map, &c.link); /* the middle */
    XM_ASSERT_EQ(ids_under(&map, 7), 0x3);
    xm_hash_chain_unlink(&map, &a.link); /* the head: b takes its slot */
    XM_ASSERT_EQ(ids_under(&map, 7), 0x2);
    XM_ASSERT_EQ(map.count, 1);
    xm_hash_chain_unlink(&map, &b.link); /* the last */
    XM_ASSERT_EQ(ids_under(&map, 7), 0);
    XM_ASSERT_EQ(map.count, 0);
    xm_hash_map_finish(&map);
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_hash_map_keeps_every_key_through_growth_and_removal)
    XM_TEST_ENTRY(test_hash_chain_finds_every_entry_of_a_shared_hash)
    XM_TEST_ENTRY(test_hash_chain_unlinks_the_head_the_middle_and_the_last_entry))
