// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Identifiers and state names.  The state strings are checked against the
 * seed contract (tests/unit/seed-contract.txt), in both directions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smoothfs/smoothfs.h"

/* Each "Name MovementState|PinState = "string"" line of the seed, in order. */
static void test_state_strings_match_seed(void **state)
{
	const char *path = getenv("SEED_CONTRACT");
	char line[512], name[64], type[64], value[128];
	unsigned int states = 0, pins = 0;
	FILE *f;

	(void)state;
	assert_non_null(path);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %63s = \"%127[^\"]\"", name, type, value) != 3)
			continue;
		if (strcmp(type, "MovementState") == 0) {
			enum smoothfs_movement_state s;

			assert_string_equal(smoothfs_movement_state_to_string(states), value);
			assert_int_equal(smoothfs_movement_state_from_string(value, &s), 0);
			assert_int_equal(s, states);
			states++;
		} else if (strcmp(type, "PinState") == 0) {
			enum smoothfs_pin_state p;

			assert_string_equal(smoothfs_pin_state_to_string(pins), value);
			assert_int_equal(smoothfs_pin_state_from_string(value, &p), 0);
			assert_int_equal(p, pins);
			pins++;
		}
	}
	fclose(f);
	assert_int_equal(states, __SMOOTHFS_MS_COUNT);
	assert_int_equal(pins, __SMOOTHFS_PIN_COUNT);
}

static void test_unknown_states(void **state)
{
	enum smoothfs_movement_state s = SMOOTHFS_MS_SWITCHED;
	enum smoothfs_pin_state p = SMOOTHFS_PIN_LUN;

	(void)state;
	/* Wire bytes from a newer kernel, and nonsense. */
	assert_null(smoothfs_movement_state_to_string(__SMOOTHFS_MS_COUNT));
	assert_null(smoothfs_movement_state_to_string(255));
	assert_null(smoothfs_movement_state_to_string((enum smoothfs_movement_state)-1));
	assert_null(smoothfs_pin_state_to_string(__SMOOTHFS_PIN_COUNT));
	assert_null(smoothfs_pin_state_to_string((enum smoothfs_pin_state)-1));

	assert_int_equal(smoothfs_movement_state_from_string("Placed", &s), -EINVAL);
	assert_int_equal(smoothfs_movement_state_from_string("", &s), -EINVAL);
	assert_int_equal(smoothfs_movement_state_from_string(NULL, &s), -EINVAL);
	assert_int_equal(smoothfs_pin_state_from_string("hot", &p), -EINVAL);
	assert_int_equal(smoothfs_pin_state_from_string("pin_lun ", &p), -EINVAL);
	/* Failures leave the out-parameter alone. */
	assert_int_equal(s, SMOOTHFS_MS_SWITCHED);
	assert_int_equal(p, SMOOTHFS_PIN_LUN);
}

static void test_uuid(void **state)
{
	const char *canonical = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
	char buf[SMOOTHFS_UUID_STRING_MAX];
	smoothfs_uuid_t u, v;

	(void)state;
	assert_int_equal(smoothfs_uuid_from_string(canonical, &u), 0);
	assert_int_equal(u.bytes[0], 0x01);
	assert_int_equal(u.bytes[15], 0x5b);
	smoothfs_uuid_to_string(&u, buf);
	assert_string_equal(buf, canonical);
	assert_false(smoothfs_uuid_is_null(&u));

	v = u;
	assert_int_equal(smoothfs_uuid_from_string("0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", &v), -EINVAL);
	assert_int_equal(smoothfs_uuid_from_string("0190a1b2c3d47e5f8a9b0c1d2e3f4a5b", &v), -EINVAL);
	assert_int_equal(smoothfs_uuid_from_string("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5", &v), -EINVAL);
	assert_int_equal(smoothfs_uuid_from_string("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5bb", &v), -EINVAL);
	assert_int_equal(smoothfs_uuid_from_string("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4g5b", &v), -EINVAL);
	assert_int_equal(smoothfs_uuid_from_string(NULL, &v), -EINVAL);
	assert_memory_equal(&u, &v, sizeof(u));

	assert_int_equal(smoothfs_uuid_from_string("00000000-0000-0000-0000-000000000000", &v), 0);
	assert_true(smoothfs_uuid_is_null(&v));

	assert_int_equal(smoothfs_uuid_generate(&u), 0);
	assert_int_equal(smoothfs_uuid_generate(&v), 0);
	assert_false(smoothfs_uuid_is_null(&u));
	assert_memory_not_equal(&u, &v, sizeof(u));
	assert_int_equal(u.bytes[6] >> 4, 4);		/* version 4 */
	assert_int_equal(u.bytes[8] & 0xc0, 0x80);	/* RFC 4122 variant */
}

static void test_oid_hex(void **state)
{
	char buf[SMOOTHFS_OID_HEX_MAX];
	smoothfs_oid_t oid, other;

	(void)state;
	assert_int_equal(smoothfs_oid_from_hex("0190A1B2c3d47e5f8a9b0c1d2e3f4a5b", &oid), 0);
	smoothfs_oid_to_hex(&oid, buf);
	assert_string_equal(buf, "0190a1b2c3d47e5f8a9b0c1d2e3f4a5b");

	other = oid;
	assert_int_equal(smoothfs_oid_from_hex("0190a1b2c3d47e5f8a9b0c1d2e3f4a5", &other), -EINVAL);
	assert_int_equal(smoothfs_oid_from_hex("0190a1b2c3d47e5f8a9b0c1d2e3f4a5bb", &other), -EINVAL);
	assert_int_equal(smoothfs_oid_from_hex("0190a1b2c3d47e5f8a9b0c1d2e3f4a5x", &other), -EINVAL);
	assert_int_equal(smoothfs_oid_from_hex("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f", &other), -EINVAL);
	assert_int_equal(smoothfs_oid_from_hex(NULL, &other), -EINVAL);
	assert_memory_equal(&oid, &other, sizeof(oid));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_strings_match_seed),
		cmocka_unit_test(test_unknown_states),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_oid_hex),
	};

	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
