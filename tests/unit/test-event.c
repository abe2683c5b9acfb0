// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * smoothfs_decode_event() and the attribute validation under it, on
 * messages crafted byte by byte: every event type, good and bad
 * (truncated at every offset, lying lengths, wrong-sized integers and
 * ids, strings without NUL, unknown attributes and events, heat blobs of
 * every interesting length, TIERS nests of every shape).
 *
 * Every buffer handed to the decoder is a heap copy of exactly the length
 * given, so ASan catches any read past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "netlink.h"

#define FAMILY 0x1c

/* --- a tiny message builder ---------------------------------------------- */

#include "nlmsg-builder.h"

/* One generic netlink message: nlmsghdr + genlmsghdr. */
static void mb_init(struct mb *m, uint16_t type, uint8_t cmd)
{
	mb_reset(m);
	mb_genl(m, type, 0, 0, cmd);
}

/* Sets nlmsg_len to what was built. */
static size_t mb_finish(struct mb *m)
{
	mb_end(m);
	return m->len;
}

/* decode_event() on an exact-size heap copy of the first len bytes. */
static int decode(const void *buf, size_t len, struct smoothfs_event **ret)
{
	void *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	r = smoothfs_decode_event(copy, len, ret);
	free(copy);
	return r;
}

static struct smoothfs_event *const SENTINEL = (struct smoothfs_event *)0x5a5a;

/* The whole message must fail with -EBADMSG, leaving *ret alone. */
static void assert_bad(const struct mb *m)
{
	struct smoothfs_event *ev = SENTINEL;

	assert_int_equal(decode(m->b, m->len, &ev), -EBADMSG);
	assert_ptr_equal(ev, SENTINEL);
}

/* --- fixtures --------------------------------------------------------------- */

static const uint8_t POOL[16] = { 0x01, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0x7e, 0x5f,
				  0x8a, 0x9b, 0x0c, 0x1d, 0x2e, 0x3f, 0x4a, 0x5b };
static const uint8_t OID[16] = { 0x01, 0x92, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x42 };

/*
 * The TIERS nest: n entries, entry i has rank ranks[i] (given out of order
 * on purpose), caps 1 << i, path "/tier<rank>".
 */
static void put_tiers(struct mb *m, size_t n, const uint8_t *ranks)
{
	mb_nest_start(m, SMOOTHFS_ATTR_TIERS);
	for (size_t i = 0; i < n; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/tier%u", ranks[i]);
		mb_nest_start(m, (uint16_t)(i + 1));
		mb_u8(m, SMOOTHFS_ATTR_TIER_RANK, ranks[i]);
		mb_u32(m, SMOOTHFS_ATTR_TIER_CAPS, 1U << ranks[i]);
		mb_str(m, SMOOTHFS_ATTR_TIER_PATH, path);
		mb_nest_end(m);
	}
	mb_nest_end(m);
}

/*
 * Builds a good message of each event type, leaving out attribute type
 * `skip` (0: none) and replacing attribute type `bad` by `bad_len` bytes
 * of 0x77 (0: none).
 */
static void build_event(struct mb *m, uint8_t type, uint16_t skip, uint16_t bad, uint16_t bad_len)
{
	static const uint8_t ranks[] = { 1, 0 };
	uint8_t junk[256];

	memset(junk, 0x77, sizeof(junk));
	mb_init(m, FAMILY, type);

#define PUT(attr, stmt)								\
	do {									\
		if ((attr) == bad)						\
			mb_attr(m, attr, junk, bad_len);			\
		else if ((attr) != skip)					\
			stmt;							\
	} while (0)

	PUT(SMOOTHFS_ATTR_POOL_UUID, mb_attr(m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16));
	switch (type) {
	case SMOOTHFS_EVENT_MOUNT_READY:
		PUT(SMOOTHFS_ATTR_POOL_NAME, mb_str(m, SMOOTHFS_ATTR_POOL_NAME, "tank"));
		PUT(SMOOTHFS_ATTR_FSID, mb_u32(m, SMOOTHFS_ATTR_FSID, 0xdeadbeef));
		PUT(SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, mb_u8(m, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, 1));
		PUT(SMOOTHFS_ATTR_TIERS, put_tiers(m, 2, ranks));
		break;
	case SMOOTHFS_EVENT_HEAT_SAMPLE:
		/* Two records: see check_heat_records(). */
		if (SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB == bad) {
			mb_attr(m, SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB, junk, bad_len);
		} else if (SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB != skip) {
			uint8_t blob[2 * SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE];

			for (size_t i = 0; i < sizeof(blob); i++)
				blob[i] = (uint8_t)i;
			mb_attr(m, SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB, blob, sizeof(blob));
		}
		break;
	case SMOOTHFS_EVENT_MOVE_STATE:
		PUT(SMOOTHFS_ATTR_OBJECT_ID, mb_attr(m, SMOOTHFS_ATTR_OBJECT_ID, OID, 16));
		PUT(SMOOTHFS_ATTR_MOVEMENT_STATE, mb_u8(m, SMOOTHFS_ATTR_MOVEMENT_STATE, SMOOTHFS_MS_SWITCHED));
		PUT(SMOOTHFS_ATTR_TRANSACTION_SEQ,
		    mb_u64(m, SMOOTHFS_ATTR_TRANSACTION_SEQ, UINT64_C(0x0102030405060708)));
		break;
	case SMOOTHFS_EVENT_TIER_FAULT:
		PUT(SMOOTHFS_ATTR_POOL_NAME, mb_str(m, SMOOTHFS_ATTR_POOL_NAME, "tank"));
		PUT(SMOOTHFS_ATTR_FSID, mb_u32(m, SMOOTHFS_ATTR_FSID, 7));
		PUT(SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, mb_u8(m, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, 0));
		PUT(SMOOTHFS_ATTR_TIER_RANK, mb_u8(m, SMOOTHFS_ATTR_TIER_RANK, 2));
		break;
	case SMOOTHFS_EVENT_SPILL:
		PUT(SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, mb_u8(m, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, 1));
		PUT(SMOOTHFS_ATTR_OBJECT_ID, mb_attr(m, SMOOTHFS_ATTR_OBJECT_ID, OID, 16));
		PUT(SMOOTHFS_ATTR_CURRENT_TIER, mb_u8(m, SMOOTHFS_ATTR_CURRENT_TIER, 0));
		PUT(SMOOTHFS_ATTR_INTENDED_TIER, mb_u8(m, SMOOTHFS_ATTR_INTENDED_TIER, 1));
		PUT(SMOOTHFS_ATTR_SIZE_BYTES, mb_u64(m, SMOOTHFS_ATTR_SIZE_BYTES, UINT64_C(1) << 40));
		break;
	case SMOOTHFS_EVENT_POOL_UNMOUNTED:
		PUT(SMOOTHFS_ATTR_POOL_NAME, mb_str(m, SMOOTHFS_ATTR_POOL_NAME, "tank"));
		break;
	default:
		break;
	}
#undef PUT
	mb_finish(m);
}

static const uint8_t event_types[] = {
	SMOOTHFS_EVENT_MOUNT_READY, SMOOTHFS_EVENT_HEAT_SAMPLE, SMOOTHFS_EVENT_MOVE_STATE,
	SMOOTHFS_EVENT_TIER_FAULT, SMOOTHFS_EVENT_SPILL, SMOOTHFS_EVENT_POOL_UNMOUNTED,
};

/* Which attributes each event sends in build_event(), and which it needs. */
struct attr_role {
	uint16_t type;
	bool required;
};

static size_t roles_of(uint8_t type, struct attr_role *out)
{
	size_t n = 0;

#define R(a, req) out[n++] = (struct attr_role){ SMOOTHFS_ATTR_##a, req }
	R(POOL_UUID, true);
	switch (type) {
	case SMOOTHFS_EVENT_MOUNT_READY:
		R(POOL_NAME, true); R(FSID, true); R(ANY_SPILL_SINCE_MOUNT, false); R(TIERS, true);
		break;
	case SMOOTHFS_EVENT_HEAT_SAMPLE:
		R(HEAT_SAMPLE_BLOB, true);
		break;
	case SMOOTHFS_EVENT_MOVE_STATE:
		R(OBJECT_ID, true); R(MOVEMENT_STATE, true); R(TRANSACTION_SEQ, true);
		break;
	case SMOOTHFS_EVENT_TIER_FAULT:
		R(POOL_NAME, false); R(FSID, false); R(ANY_SPILL_SINCE_MOUNT, false); R(TIER_RANK, true);
		break;
	case SMOOTHFS_EVENT_SPILL:
		R(ANY_SPILL_SINCE_MOUNT, false); R(OBJECT_ID, true); R(CURRENT_TIER, true);
		R(INTENDED_TIER, true); R(SIZE_BYTES, true);
		break;
	case SMOOTHFS_EVENT_POOL_UNMOUNTED:
		R(POOL_NAME, false);
		break;
	default:
		break;
	}
#undef R
	return n;
}

/* The lengths an attribute type must not have (besides its own). */
static size_t bad_lengths(uint16_t type, uint16_t *out)
{
	static const uint16_t u8[] = { 0, 2, 4, 8 };
	static const uint16_t u32[] = { 0, 1, 3, 5, 8 };
	static const uint16_t u64[] = { 0, 4, 7, 9, 16 };
	static const uint16_t id16[] = { 0, 8, 15, 17, 32 };
	static const uint16_t str[] = { 0, 1, 5 };	/* 0x77 bytes: no NUL */
	static const uint16_t heat[] = { 1, 55, 57, 111 };
	const uint16_t *l;
	size_t n;

	switch (type) {
	case SMOOTHFS_ATTR_TIER_RANK:
	case SMOOTHFS_ATTR_MOVEMENT_STATE:
	case SMOOTHFS_ATTR_CURRENT_TIER:
	case SMOOTHFS_ATTR_INTENDED_TIER:
	case SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT:
		l = u8, n = ELEMENTSOF(u8);
		break;
	case SMOOTHFS_ATTR_FSID:
		l = u32, n = ELEMENTSOF(u32);
		break;
	case SMOOTHFS_ATTR_TRANSACTION_SEQ:
	case SMOOTHFS_ATTR_SIZE_BYTES:
		l = u64, n = ELEMENTSOF(u64);
		break;
	case SMOOTHFS_ATTR_POOL_UUID:
	case SMOOTHFS_ATTR_OBJECT_ID:
		l = id16, n = ELEMENTSOF(id16);
		break;
	case SMOOTHFS_ATTR_POOL_NAME:
		l = str, n = ELEMENTSOF(str);
		break;
	case SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB:
		l = heat, n = ELEMENTSOF(heat);
		break;
	case SMOOTHFS_ATTR_TIERS:
		/* 0x77 junk is not a valid nest; an empty nest has no tier. */
		{
			static const uint16_t nest[] = { 0, 1, 4, 8 };

			l = nest, n = ELEMENTSOF(nest);
		}
		break;
	default:
		return 0;
	}
	memcpy(out, l, n * sizeof(*l));
	return n;
}

/* --- good events -------------------------------------------------------- */

static void check_heat_records(const struct smoothfs_event *ev)
{
	assert_int_equal(ev->n_heat_samples, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct smoothfs_heat_sample *s = &ev->heat_samples[i];
		uint8_t b = (uint8_t)(i * SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE);

		/* Bytes b, b+1, ...: the record's fields read little-endian. */
		for (size_t j = 0; j < 16; j++)
			assert_int_equal(s->oid.bytes[j], (uint8_t)(b + j));
#define LE(off, n) ({								\
		uint64_t _v = 0;						\
		for (int _k = (n) - 1; _k >= 0; _k--)				\
			_v = _v << 8 | (uint8_t)(b + (off) + _k);		\
		_v; })
		assert_int_equal(s->open_count_delta, LE(16, 4));
		assert_int_equal(s->read_bytes_delta, LE(24, 8));
		assert_int_equal(s->write_bytes_delta, LE(32, 8));
		assert_int_equal(s->last_access_ns, LE(40, 8));
		assert_int_equal(s->sample_window_ns, LE(48, 8));
#undef LE
	}
	/* Spot check, by hand: record 0's open_count_delta is bytes 16..19. */
	assert_int_equal(ev->heat_samples[0].open_count_delta, 0x13121110);
}

static void check_good(const struct smoothfs_event *ev, uint8_t type)
{
	assert_int_equal(ev->type, type);
	assert_memory_equal(ev->pool_uuid.bytes, POOL, 16);
	switch (type) {
	case SMOOTHFS_EVENT_MOUNT_READY:
		assert_string_equal(ev->pool_name, "tank");
		assert_int_equal(ev->fsid, 0xdeadbeef);
		assert_true(ev->any_spill_since_mount);
		assert_int_equal(ev->n_tiers, 2);
		/* Sent rank 1 first: returned by rank. */
		for (uint8_t i = 0; i < 2; i++) {
			char path[32];

			snprintf(path, sizeof(path), "/tier%u", i);
			assert_int_equal(ev->tiers[i].rank, i);
			assert_int_equal(ev->tiers[i].caps, 1U << i);
			assert_string_equal(ev->tiers[i].path, path);
		}
		break;
	case SMOOTHFS_EVENT_HEAT_SAMPLE:
		assert_null(ev->pool_name);
		check_heat_records(ev);
		break;
	case SMOOTHFS_EVENT_MOVE_STATE:
		assert_memory_equal(ev->move.oid.bytes, OID, 16);
		assert_int_equal(ev->move.new_state, SMOOTHFS_MS_SWITCHED);
		assert_true(ev->move.transaction_seq == UINT64_C(0x0102030405060708));
		break;
	case SMOOTHFS_EVENT_TIER_FAULT:
		assert_string_equal(ev->pool_name, "tank");
		assert_int_equal(ev->fsid, 7);
		assert_false(ev->any_spill_since_mount);
		assert_int_equal(ev->tier.tier_rank, 2);
		break;
	case SMOOTHFS_EVENT_SPILL:
		assert_true(ev->any_spill_since_mount);
		assert_memory_equal(ev->spill.oid.bytes, OID, 16);
		assert_int_equal(ev->spill.source_tier, 0);
		assert_int_equal(ev->spill.dest_tier, 1);
		assert_true(ev->spill.size_bytes == UINT64_C(1) << 40);
		break;
	case SMOOTHFS_EVENT_POOL_UNMOUNTED:
		assert_string_equal(ev->pool_name, "tank");
		break;
	default:
		fail();
	}
	if (type != SMOOTHFS_EVENT_MOUNT_READY) {
		assert_int_equal(ev->n_tiers, 0);
		assert_null(ev->tiers);
	}
	if (type != SMOOTHFS_EVENT_HEAT_SAMPLE) {
		assert_int_equal(ev->n_heat_samples, 0);
		assert_null(ev->heat_samples);
	}
}

static void test_good_events(void **state)
{
	for (size_t t = 0; t < ELEMENTSOF(event_types); t++) {
		struct smoothfs_event *ev = NULL;
		struct mb m;

		build_event(&m, event_types[t], 0, 0, 0);
		assert_int_equal(decode(m.b, m.len, &ev), 1);
		assert_non_null(ev);
		check_good(ev, event_types[t]);
		smoothfs_event_free(ev);
	}
}

/* Unaligned buffers: every read must be a memcpy (UBSan would tell). */
static void test_unaligned(void **state)
{
	for (size_t t = 0; t < ELEMENTSOF(event_types); t++) {
		struct smoothfs_event *ev = NULL;
		uint8_t *buf;
		struct mb m;

		build_event(&m, event_types[t], 0, 0, 0);
		buf = malloc(m.len + 3);
		assert_non_null(buf);
		for (size_t off = 1; off <= 3; off++) {
			memcpy(buf + off, m.b, m.len);
			assert_int_equal(smoothfs_decode_event(buf + off, m.len, &ev), 1);
			check_good(ev, event_types[t]);
			smoothfs_event_free(ev);
		}
		free(buf);
	}
}

/* --- truncation and lying lengths ------------------------------------------ */

static void test_truncated_every_offset(void **state)
{
	for (size_t t = 0; t < ELEMENTSOF(event_types); t++) {
		struct mb m;

		build_event(&m, event_types[t], 0, 0, 0);
		/* The buffer is cut, nlmsg_len still says the whole message. */
		for (size_t len = 0; len < m.len; len++) {
			struct smoothfs_event *ev = SENTINEL;

			assert_int_equal(decode(m.b, len, &ev), -EBADMSG);
			assert_ptr_equal(ev, SENTINEL);
		}
	}
}

/*
 * The message cut and nlmsg_len saying so: cut inside an attribute it is
 * -EBADMSG; cut between attributes it may be a good event without the
 * later (optional) attributes, or -EBADMSG for a missing required one.
 */
static void test_truncated_consistent_len(void **state)
{
	for (size_t t = 0; t < ELEMENTSOF(event_types); t++) {
		struct mb m;
		size_t full;

		build_event(&m, event_types[t], 0, 0, 0);
		full = m.len;
		for (size_t len = 0; len < full; len++) {
			struct smoothfs_event *ev = NULL;
			uint32_t l32 = (uint32_t)len;
			int r;

			if (len >= 4)
				memcpy(m.b, &l32, 4);
			r = decode(m.b, len, &ev);
			assert_true(r == -EBADMSG || r == 1);
			if (len < NLMSG_HDRLEN + GENL_HDRLEN)
				assert_int_equal(r, -EBADMSG);
			if (r == 1)
				smoothfs_event_free(ev);
			else
				assert_null(ev);
		}
	}
}

static void test_nlmsg_len_lies(void **state)
{
	struct smoothfs_event *ev = SENTINEL;
	struct mb m;
	uint32_t l;

	build_event(&m, SMOOTHFS_EVENT_MOVE_STATE, 0, 0, 0);
	/* Longer than the buffer. */
	l = (uint32_t)m.len + 1;
	memcpy(m.b, &l, 4);
	assert_bad(&m);
	l = UINT32_MAX;
	memcpy(m.b, &l, 4);
	assert_bad(&m);
	/* Shorter than the headers. */
	for (l = 0; l < NLMSG_HDRLEN + GENL_HDRLEN; l++) {
		memcpy(m.b, &l, 4);
		assert_bad(&m);
	}
	/* Trailing bytes after nlmsg_len are not part of the message. */
	build_event(&m, SMOOTHFS_EVENT_MOVE_STATE, 0, 0, 0);
	memset(m.b + m.len, 0xff, 7);
	assert_int_equal(decode(m.b, m.len + 7, &ev), 1);
	check_good(ev, SMOOTHFS_EVENT_MOVE_STATE);
	smoothfs_event_free(ev);

	assert_int_equal(smoothfs_decode_event(NULL, 0, &ev), -EBADMSG);
	assert_int_equal(smoothfs_decode_event(m.b, m.len, NULL), -EINVAL);
}

static void test_oversized_attr_len(void **state)
{
	static const uint8_t ms = SMOOTHFS_MS_PLACED;

	for (uint16_t extra = 1; extra <= 64; extra++) {
		struct mb m;

		mb_init(&m, FAMILY, SMOOTHFS_EVENT_MOVE_STATE);
		mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
		mb_attr(&m, SMOOTHFS_ATTR_OBJECT_ID, OID, 16);
		mb_u64(&m, SMOOTHFS_ATTR_TRANSACTION_SEQ, 1);
		/* Last attribute says it is longer than what is left. */
		mb_attr_raw(&m, SMOOTHFS_ATTR_MOVEMENT_STATE, (uint16_t)(NLA_HDRLEN + 1 + extra), &ms, 1);
		mb_finish(&m);
		assert_bad(&m);
	}
	/* nla_len below the header size (an endless loop for a naive walker). */
	for (uint16_t l = 0; l < NLA_HDRLEN; l++) {
		struct mb m;

		mb_init(&m, FAMILY, SMOOTHFS_EVENT_MOVE_STATE);
		mb_attr_raw(&m, SMOOTHFS_ATTR_POOL_UUID, l, POOL, 16);
		mb_finish(&m);
		assert_bad(&m);
	}
	/* 0xffff inside a nest. */
	{
		struct mb m;
		uint8_t junk[8] = {};

		mb_init(&m, FAMILY, SMOOTHFS_EVENT_MOUNT_READY);
		mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
		mb_str(&m, SMOOTHFS_ATTR_POOL_NAME, "tank");
		mb_u32(&m, SMOOTHFS_ATTR_FSID, 1);
		mb_nest_start(&m, SMOOTHFS_ATTR_TIERS);
		mb_attr_raw(&m, 1, 0xffff, junk, sizeof(junk));
		mb_nest_end(&m);
		mb_finish(&m);
		assert_bad(&m);
	}
	/* 1-3 stray bytes after the last attribute: a truncated header. */
	for (size_t stray = 1; stray < NLA_HDRLEN; stray++) {
		struct mb m;
		uint8_t z[3] = {};

		build_event(&m, SMOOTHFS_EVENT_POOL_UNMOUNTED, 0, 0, 0);
		mb_put(&m, z, stray);
		mb_finish(&m);
		assert_bad(&m);
	}
}

/* --- attribute validation -------------------------------------------------- */

static void test_wrong_lengths(void **state)
{
	for (size_t t = 0; t < ELEMENTSOF(event_types); t++) {
		struct attr_role roles[16];
		size_t nroles = roles_of(event_types[t], roles);

		for (size_t i = 0; i < nroles; i++) {
			uint16_t lens[8];
			size_t nl = bad_lengths(roles[i].type, lens);

			assert_true(nl > 0);
			for (size_t j = 0; j < nl; j++) {
				struct mb m;

				build_event(&m, event_types[t], 0, roles[i].type, lens[j]);
				if (roles[i].type == SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB && lens[j] == 0)
					continue;	/* zero records is fine */
				assert_bad(&m);
			}
		}
	}
}

/* A wrong-sized attribute is rejected even when this event does not use it. */
static void test_wrong_length_unused_attr(void **state)
{
	struct mb m;

	mb_init(&m, FAMILY, SMOOTHFS_EVENT_POOL_UNMOUNTED);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_u8(&m, SMOOTHFS_ATTR_GENERATION, 1);	/* a u32 */
	mb_finish(&m);
	assert_bad(&m);
}

static void test_missing_attrs(void **state)
{
	for (size_t t = 0; t < ELEMENTSOF(event_types); t++) {
		struct attr_role roles[16];
		size_t nroles = roles_of(event_types[t], roles);

		for (size_t i = 0; i < nroles; i++) {
			struct smoothfs_event *ev = SENTINEL;
			struct mb m;
			int r;

			build_event(&m, event_types[t], roles[i].type, 0, 0);
			r = decode(m.b, m.len, &ev);
			if (roles[i].required) {
				assert_int_equal(r, -EBADMSG);
				assert_ptr_equal(ev, SENTINEL);
				continue;
			}
			assert_int_equal(r, 1);
			assert_int_equal(ev->type, event_types[t]);
			switch (roles[i].type) {
			case SMOOTHFS_ATTR_POOL_NAME:
				assert_null(ev->pool_name);
				break;
			case SMOOTHFS_ATTR_FSID:
				assert_int_equal(ev->fsid, 0);
				break;
			case SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT:
				assert_false(ev->any_spill_since_mount);
				break;
			default:
				fail();
			}
			smoothfs_event_free(ev);
		}
	}
}

static void test_strings(void **state)
{
	struct smoothfs_event *ev = NULL;
	char name[SMOOTHFS_POOL_NAME_MAX + 2];
	struct mb m;

	/* "tank" without its NUL. */
	mb_init(&m, FAMILY, SMOOTHFS_EVENT_POOL_UNMOUNTED);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_NAME, "tank", 4);
	mb_finish(&m);
	assert_bad(&m);

	/* An empty string is one NUL byte; no byte at all is no string. */
	mb_init(&m, FAMILY, SMOOTHFS_EVENT_POOL_UNMOUNTED);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_NAME, "", 1);
	mb_finish(&m);
	assert_int_equal(decode(m.b, m.len, &ev), 1);
	assert_string_equal(ev->pool_name, "");
	smoothfs_event_free(ev);

	/* NUL inside, junk after: the string ends at the NUL. */
	mb_init(&m, FAMILY, SMOOTHFS_EVENT_POOL_UNMOUNTED);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_NAME, "ab\0cd", 5);
	mb_finish(&m);
	assert_int_equal(decode(m.b, m.len, &ev), 1);
	assert_string_equal(ev->pool_name, "ab");
	smoothfs_event_free(ev);

	/* 63 characters is the longest pool name, 64 too long. */
	memset(name, 'a', sizeof(name));
	name[SMOOTHFS_POOL_NAME_MAX] = '\0';
	mb_init(&m, FAMILY, SMOOTHFS_EVENT_POOL_UNMOUNTED);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_str(&m, SMOOTHFS_ATTR_POOL_NAME, name);
	mb_finish(&m);
	assert_int_equal(decode(m.b, m.len, &ev), 1);
	assert_int_equal(strlen(ev->pool_name), SMOOTHFS_POOL_NAME_MAX);
	smoothfs_event_free(ev);
	name[SMOOTHFS_POOL_NAME_MAX] = 'a';
	name[SMOOTHFS_POOL_NAME_MAX + 1] = '\0';
	mb_init(&m, FAMILY, SMOOTHFS_EVENT_POOL_UNMOUNTED);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_str(&m, SMOOTHFS_ATTR_POOL_NAME, name);
	mb_finish(&m);
	assert_bad(&m);

	/* A tier path without NUL, inside the nest. */
	mb_init(&m, FAMILY, SMOOTHFS_EVENT_MOUNT_READY);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_str(&m, SMOOTHFS_ATTR_POOL_NAME, "tank");
	mb_u32(&m, SMOOTHFS_ATTR_FSID, 1);
	mb_nest_start(&m, SMOOTHFS_ATTR_TIERS);
	mb_nest_start(&m, 1);
	mb_u8(&m, SMOOTHFS_ATTR_TIER_RANK, 0);
	mb_attr(&m, SMOOTHFS_ATTR_TIER_PATH, "/t0", 3);
	mb_nest_end(&m);
	mb_nest_end(&m);
	mb_finish(&m);
	assert_bad(&m);
}

static void test_unknown_attrs_skipped(void **state)
{
	static const uint8_t junk[5] = { 1, 2, 3, 4, 5 };

	for (size_t t = 0; t < ELEMENTSOF(event_types); t++) {
		struct smoothfs_event *ev = NULL;
		struct mb m, with;

		build_event(&m, event_types[t], 0, 0, 0);
		/* Unknown types before and after, PAD of odd sizes, a future attribute. */
		mb_init(&with, FAMILY, event_types[t]);
		mb_attr(&with, 0, junk, 5);
		mb_attr(&with, SMOOTHFS_ATTR_PAD, junk, 0);
		mb_put(&with, m.b + NLMSG_HDRLEN + GENL_HDRLEN, m.len - NLMSG_HDRLEN - GENL_HDRLEN);
		mb_attr(&with, SMOOTHFS_ATTR_PAD, junk, 3);
		mb_attr(&with, SMOOTHFS_ATTR_MAX + 1, junk, 5);
		mb_attr(&with, 0x3fff, junk, 1);
		mb_attr(&with, 0x7fff | NLA_F_NESTED, junk, 2);
		mb_finish(&with);
		assert_int_equal(decode(with.b, with.len, &ev), 1);
		check_good(ev, event_types[t]);
		smoothfs_event_free(ev);
	}
}

static void test_duplicate_last_wins(void **state)
{
	struct smoothfs_event *ev = NULL;
	struct mb m;

	mb_init(&m, FAMILY, SMOOTHFS_EVENT_TIER_FAULT);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_u8(&m, SMOOTHFS_ATTR_TIER_RANK, 1);
	mb_u8(&m, SMOOTHFS_ATTR_TIER_RANK, 3);
	mb_finish(&m);
	assert_int_equal(decode(m.b, m.len, &ev), 1);
	assert_int_equal(ev->tier.tier_rank, 3);
	smoothfs_event_free(ev);
}

static void test_unknown_event_type(void **state)
{
	static const uint8_t types[] = {
		SMOOTHFS_CMD_UNSPEC, SMOOTHFS_CMD_MOVE_PLAN, SMOOTHFS_CMD_INSPECT,
		SMOOTHFS_CMD_MOVE_CUTOVER, SMOOTHFS_CMD_MOVE_ABORT, SMOOTHFS_CMD_LIST_POOLS,
		SMOOTHFS_CMD_MAX + 1, 200, 255,
	};

	for (size_t i = 0; i < ELEMENTSOF(types); i++) {
		struct smoothfs_event *ev = SENTINEL;
		struct mb m;

		/* Any attributes, even ones an event would reject. */
		mb_init(&m, FAMILY, types[i]);
		mb_u8(&m, SMOOTHFS_ATTR_POOL_UUID, 1);
		mb_finish(&m);
		assert_int_equal(decode(m.b, m.len, &ev), 0);
		assert_null(ev);
	}
}

/* --- heat blob ------------------------------------------------------------------ */

static void test_heat_blob_lengths(void **state)
{
	static const struct {
		size_t len;
		int r;
	} cases[] = {
		{ 0, 1 }, { 56, 1 }, { 112, 1 }, { 55, -EBADMSG }, { 57, -EBADMSG },
		{ 1, -EBADMSG }, { 111, -EBADMSG }, { 113, -EBADMSG }, { 56 * 100, 1 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct smoothfs_event *ev = SENTINEL;
		uint8_t *blob = calloc(1, cases[i].len + 1);
		struct mb m;

		assert_non_null(blob);
		for (size_t j = 0; j < cases[i].len; j++)
			blob[j] = (uint8_t)(j * 7);
		mb_init(&m, FAMILY, SMOOTHFS_EVENT_HEAT_SAMPLE);
		mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
		mb_attr(&m, SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB, blob, cases[i].len);
		mb_finish(&m);
		assert_int_equal(decode(m.b, m.len, &ev), cases[i].r);
		if (cases[i].r == 1) {
			size_t n = cases[i].len / 56;

			assert_int_equal(ev->n_heat_samples, n);
			if (n == 0)
				assert_null(ev->heat_samples);
			for (size_t k = 0; k < n; k++) {
				const uint8_t *rec = blob + k * 56;
				uint64_t w = 0;

				assert_memory_equal(ev->heat_samples[k].oid.bytes, rec, 16);
				for (int b = 7; b >= 0; b--)
					w = w << 8 | rec[32 + b];
				assert_true(ev->heat_samples[k].write_bytes_delta == w);
			}
			smoothfs_event_free(ev);
		} else {
			assert_ptr_equal(ev, SENTINEL);
		}
		free(blob);
	}
}

/* A record with known values, little-endian whatever the host. */
static void test_heat_record_values(void **state)
{
	uint8_t rec[56] = {};
	struct smoothfs_event *ev = NULL;
	struct mb m;

	memcpy(rec, OID, 16);
	rec[16] = 0x01, rec[17] = 0x02;				/* open_count_delta 0x0201 */
	rec[20] = 0xff;						/* reserved: ignored */
	rec[24] = 0x10, rec[31] = 0x80;				/* read 0x8000000000000010 */
	rec[32] = 0x01;						/* write 1 */
	rec[40 + 4] = 0x01;					/* last_access 1 << 32 */
	rec[48] = 0x00, rec[49] = 0xca, rec[50] = 0x9a, rec[51] = 0x3b;	/* window 1e9 */
	mb_init(&m, FAMILY, SMOOTHFS_EVENT_HEAT_SAMPLE);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_attr(&m, SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB, rec, sizeof(rec));
	mb_finish(&m);
	assert_int_equal(decode(m.b, m.len, &ev), 1);
	assert_int_equal(ev->n_heat_samples, 1);
	assert_memory_equal(ev->heat_samples[0].oid.bytes, OID, 16);
	assert_int_equal(ev->heat_samples[0].open_count_delta, 0x0201);
	assert_true(ev->heat_samples[0].read_bytes_delta == UINT64_C(0x8000000000000010));
	assert_true(ev->heat_samples[0].write_bytes_delta == 1);
	assert_true(ev->heat_samples[0].last_access_ns == UINT64_C(1) << 32);
	assert_true(ev->heat_samples[0].sample_window_ns == UINT64_C(1000000000));
	smoothfs_event_free(ev);
}

/* --- TIERS nest -------------------------------------------------------------------- */

static void mount_ready_with_tiers(struct mb *m, size_t n, const uint8_t *ranks)
{
	mb_init(m, FAMILY, SMOOTHFS_EVENT_MOUNT_READY);
	mb_attr(m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_str(m, SMOOTHFS_ATTR_POOL_NAME, "tank");
	mb_u32(m, SMOOTHFS_ATTR_FSID, 1);
	put_tiers(m, n, ranks);
	mb_finish(m);
}

static void test_tiers(void **state)
{
	static const uint8_t eight[] = { 7, 6, 5, 4, 3, 2, 1, 0 };
	static const uint8_t nine[] = { 0, 1, 2, 3, 4, 5, 6, 7, 0 };
	static const uint8_t dup[] = { 0, 1, 1 };
	static const uint8_t rank8[] = { 0, 8 };
	struct smoothfs_event *ev = NULL;
	struct mb m;

	mount_ready_with_tiers(&m, 8, eight);
	assert_int_equal(decode(m.b, m.len, &ev), 1);
	assert_int_equal(ev->n_tiers, 8);
	for (uint8_t i = 0; i < 8; i++) {
		assert_int_equal(ev->tiers[i].rank, i);
		assert_int_equal(ev->tiers[i].caps, 1U << i);
	}
	smoothfs_event_free(ev);

	mount_ready_with_tiers(&m, 9, nine);
	assert_bad(&m);
	mount_ready_with_tiers(&m, 0, NULL);
	assert_bad(&m);
	mount_ready_with_tiers(&m, 3, dup);
	assert_bad(&m);
	mount_ready_with_tiers(&m, 2, rank8);
	assert_bad(&m);

	/* An entry without rank, one without path, one without caps (0). */
	for (int which = 0; which < 3; which++) {
		mb_init(&m, FAMILY, SMOOTHFS_EVENT_MOUNT_READY);
		mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
		mb_str(&m, SMOOTHFS_ATTR_POOL_NAME, "tank");
		mb_u32(&m, SMOOTHFS_ATTR_FSID, 1);
		mb_nest_start(&m, SMOOTHFS_ATTR_TIERS);
		mb_nest_start(&m, 1);
		if (which != 0)
			mb_u8(&m, SMOOTHFS_ATTR_TIER_RANK, 0);
		if (which != 1)
			mb_str(&m, SMOOTHFS_ATTR_TIER_PATH, "/t0");
		if (which != 2)
			mb_u32(&m, SMOOTHFS_ATTR_TIER_CAPS, 3);
		mb_nest_end(&m);
		mb_nest_end(&m);
		mb_finish(&m);
		if (which < 2) {
			assert_bad(&m);
		} else {
			assert_int_equal(decode(m.b, m.len, &ev), 1);
			assert_int_equal(ev->n_tiers, 1);
			assert_int_equal(ev->tiers[0].caps, 0);
			assert_string_equal(ev->tiers[0].path, "/t0");
			smoothfs_event_free(ev);
		}
	}

	/* A wrong-sized attribute inside an entry. */
	mb_init(&m, FAMILY, SMOOTHFS_EVENT_MOUNT_READY);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_str(&m, SMOOTHFS_ATTR_POOL_NAME, "tank");
	mb_u32(&m, SMOOTHFS_ATTR_FSID, 1);
	mb_nest_start(&m, SMOOTHFS_ATTR_TIERS);
	mb_nest_start(&m, 1);
	mb_u32(&m, SMOOTHFS_ATTR_TIER_RANK, 0);
	mb_str(&m, SMOOTHFS_ATTR_TIER_PATH, "/t0");
	mb_nest_end(&m);
	mb_nest_end(&m);
	mb_finish(&m);
	assert_bad(&m);

	/* A nest entry that is not a nest (raw bytes). */
	mb_init(&m, FAMILY, SMOOTHFS_EVENT_MOUNT_READY);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL, 16);
	mb_str(&m, SMOOTHFS_ATTR_POOL_NAME, "tank");
	mb_u32(&m, SMOOTHFS_ATTR_FSID, 1);
	mb_nest_start(&m, SMOOTHFS_ATTR_TIERS);
	mb_attr(&m, 1, "xyz", 3);
	mb_nest_end(&m);
	mb_finish(&m);
	assert_bad(&m);
}

/* --- random mutation (a poor man's fuzzer; libFuzzer runs the real one) --- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_mutations(void **state)
{
	unsigned int counts[3] = {};

	for (int iter = 0; iter < 30000; iter++) {
		uint8_t type = event_types[rnd() % ELEMENTSOF(event_types)];
		struct smoothfs_event *ev = NULL;
		struct mb m;
		size_t len;
		int r, flips = 1 + rnd() % 4;

		build_event(&m, type, 0, 0, 0);
		len = m.len;
		for (int f = 0; f < flips; f++) {
			size_t at = NLMSG_HDRLEN + rnd() % (len - NLMSG_HDRLEN);

			m.b[at] = (uint8_t)rnd();
		}
		if (rnd() % 4 == 0)
			len = rnd() % (len + 1);
		r = decode(m.b, len, &ev);
		assert_true(r == -EBADMSG || r == 0 || r == 1);
		counts[r + 1 > 0 ? r + 1 : 0]++;
		if (r == 1) {
			/* Whatever was decoded is consistent. */
			assert_true(ev->n_tiers <= SMOOTHFS_MAX_TIERS);
			for (size_t i = 0; i < ev->n_tiers; i++)
				assert_non_null(ev->tiers[i].path);
			smoothfs_event_free(ev);
		}
	}
	/* All three outcomes happen, or the mutation does not bite. */
	assert_true(counts[0] > 0 && counts[1] > 0 && counts[2] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_events),
		cmocka_unit_test(test_unaligned),
		cmocka_unit_test(test_truncated_every_offset),
		cmocka_unit_test(test_truncated_consistent_len),
		cmocka_unit_test(test_nlmsg_len_lies),
		cmocka_unit_test(test_oversized_attr_len),
		cmocka_unit_test(test_wrong_lengths),
		cmocka_unit_test(test_wrong_length_unused_attr),
		cmocka_unit_test(test_missing_attrs),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_unknown_attrs_skipped),
		cmocka_unit_test(test_duplicate_last_wins),
		cmocka_unit_test(test_unknown_event_type),
		cmocka_unit_test(test_heat_blob_lengths),
		cmocka_unit_test(test_heat_record_values),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
