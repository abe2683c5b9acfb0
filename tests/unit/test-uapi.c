// SPDX-License-Identifier: GPL-2.0-only
/*
 * include/uapi/linux/smoothfs.h against the reference contract: every
 * constant in tests/unit/seed-contract.txt must have a C counterpart with
 * the same value, and every C counterpart listed here must be in the seed.
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

#include <linux/smoothfs.h>

_Static_assert(sizeof(struct smoothfs_heat_sample_record) == SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE,
	       "heat record is 56 bytes on the wire");

struct expect {
	const char *seed_name;
	long value;           /* numbers, and the wire byte of states and pins */
	const char *string;   /* string constants; NULL for numbers */
	bool seen;
};

#define NUM(seed, c) { seed, (long) (c), NULL, false }
#define STR(seed, c) { seed, 0, c, false }

static struct expect table[] = {
	STR("GenlFamilyName", SMOOTHFS_GENL_FAMILY_NAME),
	NUM("GenlFamilyVersion", SMOOTHFS_GENL_FAMILY_VERSION),
	STR("GenlMcastGroup", SMOOTHFS_GENL_MCAST_GROUP),
	NUM("OIDLen", SMOOTHFS_OID_LEN),
	NUM("HeatSampleRecordSize", SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE),

	NUM("CmdUnspec", SMOOTHFS_CMD_UNSPEC),
	NUM("CmdRegisterPool", SMOOTHFS_CMD_REGISTER_POOL),
	NUM("CmdPolicyPush", SMOOTHFS_CMD_POLICY_PUSH),
	NUM("CmdMovePlan", SMOOTHFS_CMD_MOVE_PLAN),
	NUM("CmdTierDown", SMOOTHFS_CMD_TIER_DOWN),
	NUM("CmdReconcile", SMOOTHFS_CMD_RECONCILE),
	NUM("CmdQuiesce", SMOOTHFS_CMD_QUIESCE),
	NUM("CmdInspect", SMOOTHFS_CMD_INSPECT),
	NUM("CmdReprobe", SMOOTHFS_CMD_REPROBE),
	NUM("EventMountReady", SMOOTHFS_EVENT_MOUNT_READY),
	NUM("EventHeatSample", SMOOTHFS_EVENT_HEAT_SAMPLE),
	NUM("EventMoveState", SMOOTHFS_EVENT_MOVE_STATE),
	NUM("EventTierFault", SMOOTHFS_EVENT_TIER_FAULT),
	NUM("CmdMoveCutover", SMOOTHFS_CMD_MOVE_CUTOVER),
	NUM("CmdRevokeMappings", SMOOTHFS_CMD_REVOKE_MAPPINGS),
	NUM("EventSpill", SMOOTHFS_EVENT_SPILL),

	NUM("AttrUnspec", SMOOTHFS_ATTR_UNSPEC),
	NUM("AttrPoolUUID", SMOOTHFS_ATTR_POOL_UUID),
	NUM("AttrPoolName", SMOOTHFS_ATTR_POOL_NAME),
	NUM("AttrFSID", SMOOTHFS_ATTR_FSID),
	NUM("AttrTierRank", SMOOTHFS_ATTR_TIER_RANK),
	NUM("AttrTierCaps", SMOOTHFS_ATTR_TIER_CAPS),
	NUM("AttrTierPath", SMOOTHFS_ATTR_TIER_PATH),
	NUM("AttrTierID", SMOOTHFS_ATTR_TIER_ID),
	NUM("AttrObjectID", SMOOTHFS_ATTR_OBJECT_ID),
	NUM("AttrGeneration", SMOOTHFS_ATTR_GENERATION),
	NUM("AttrMovementState", SMOOTHFS_ATTR_MOVEMENT_STATE),
	NUM("AttrCurrentTier", SMOOTHFS_ATTR_CURRENT_TIER),
	NUM("AttrIntendedTier", SMOOTHFS_ATTR_INTENDED_TIER),
	NUM("AttrTransactionSeq", SMOOTHFS_ATTR_TRANSACTION_SEQ),
	NUM("AttrPinState", SMOOTHFS_ATTR_PIN_STATE),
	NUM("AttrHeatSampleBlob", SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB),
	NUM("AttrCheckpointSeq", SMOOTHFS_ATTR_CHECKPOINT_SEQ),
	NUM("AttrReconcileReason", SMOOTHFS_ATTR_RECONCILE_REASON),
	NUM("AttrTiers", SMOOTHFS_ATTR_TIERS),
	NUM("AttrRelPath", SMOOTHFS_ATTR_REL_PATH),
	NUM("AttrForce", SMOOTHFS_ATTR_FORCE),
	NUM("AttrSizeBytes", SMOOTHFS_ATTR_SIZE_BYTES),
	NUM("AttrAnySpillSinceMount", SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT),
	NUM("AttrWriteSeq", SMOOTHFS_ATTR_WRITE_SEQ),
	NUM("AttrRangeStaged", SMOOTHFS_ATTR_RANGE_STAGED),

	NUM("StatePlaced", SMOOTHFS_MS_PLACED),
	NUM("StatePlanAccepted", SMOOTHFS_MS_PLAN_ACCEPTED),
	NUM("StateDestinationReserved", SMOOTHFS_MS_DESTINATION_RESERVED),
	NUM("StateCopyInProgress", SMOOTHFS_MS_COPY_IN_PROGRESS),
	NUM("StateCopyComplete", SMOOTHFS_MS_COPY_COMPLETE),
	NUM("StateCopyVerified", SMOOTHFS_MS_COPY_VERIFIED),
	NUM("StateCutoverInProgress", SMOOTHFS_MS_CUTOVER_IN_PROGRESS),
	NUM("StateSwitched", SMOOTHFS_MS_SWITCHED),
	NUM("StateCleanupInProgress", SMOOTHFS_MS_CLEANUP_IN_PROGRESS),
	NUM("StateCleanupComplete", SMOOTHFS_MS_CLEANUP_COMPLETE),
	NUM("StateFailed", SMOOTHFS_MS_FAILED),
	NUM("StateStale", SMOOTHFS_MS_STALE),

	NUM("PinNone", SMOOTHFS_PIN_NONE),
	NUM("PinHot", SMOOTHFS_PIN_HOT),
	NUM("PinCold", SMOOTHFS_PIN_COLD),
	NUM("PinHardlink", SMOOTHFS_PIN_HARDLINK),
	NUM("PinLease", SMOOTHFS_PIN_LEASE),
	NUM("PinLUN", SMOOTHFS_PIN_LUN),
};

static struct expect *lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].seed_name, name) == 0)
			return &table[i];
	return NULL;
}

/* Enumerations (states, pins) are numbered by position within their block. */
static void check_line(char *line, const char **last_type, long *position)
{
	char name[64], type[64], value[128];
	struct expect *e;

	if (sscanf(line, "%63s %63s = %127[^\n]", name, type, value) == 3) {
		/* "Name type = value" */
	} else if (sscanf(line, "%63s = %127[^\n]", name, value) == 2) {
		type[0] = '\0';
	} else {
		fail_msg("unparsable seed line: %s", line);
	}

	e = lookup(name);
	if (!e)
		fail_msg("seed constant %s has no C counterpart in the test table", name);
	e->seen = true;

	if (strcmp(type, "MovementState") == 0 || strcmp(type, "PinState") == 0) {
		if (!*last_type || strcmp(*last_type, type) != 0)
			*position = 0;
		*last_type = strcmp(type, "PinState") == 0 ? "PinState" : "MovementState";
		if (e->value != *position)
			fail_msg("%s: wire value %ld, seed position %ld", name, e->value, *position);
		(*position)++;
	} else if (value[0] == '"') {
		size_t len = strlen(value);

		assert_true(len >= 2 && value[len - 1] == '"');
		value[len - 1] = '\0';
		assert_non_null(e->string);
		if (strcmp(e->string, value + 1) != 0)
			fail_msg("%s: header \"%s\", seed \"%s\"", name, e->string, value + 1);
	} else {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 0);
		assert_true(errno == 0 && *end == '\0');
		assert_null(e->string);
		if (e->value != v)
			fail_msg("%s: header %ld, seed %ld", name, e->value, v);
	}
}

static void test_seed_values(void **state)
{
	const char *path = getenv("SEED_CONTRACT");
	const char *last_type = NULL;
	char line[512];
	long position = 0;
	unsigned lines = 0;
	FILE *f;

	(void) state;
	assert_non_null(path);
	f = fopen(path, "re");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		check_line(line, &last_type, &position);
		lines++;
	}
	fclose(f);

	assert_int_equal(lines, sizeof(table) / sizeof(table[0]));
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!table[i].seen)
			fail_msg("%s is in the test table but not in the seed", table[i].seed_name);
}

static void test_heat_record_layout(void **state)
{
	(void) state;
	assert_int_equal(offsetof(struct smoothfs_heat_sample_record, oid), 0);
	assert_int_equal(offsetof(struct smoothfs_heat_sample_record, open_count_delta), 16);
	assert_int_equal(offsetof(struct smoothfs_heat_sample_record, reserved), 20);
	assert_int_equal(offsetof(struct smoothfs_heat_sample_record, read_bytes_delta), 24);
	assert_int_equal(offsetof(struct smoothfs_heat_sample_record, write_bytes_delta), 32);
	assert_int_equal(offsetof(struct smoothfs_heat_sample_record, last_access_ns), 40);
	assert_int_equal(offsetof(struct smoothfs_heat_sample_record, sample_window_ns), 48);
	assert_int_equal(sizeof(struct smoothfs_heat_sample_record), 56);
}

static void test_extensions_append_only(void **state)
{
	(void) state;
	/* Extensions start right after the reference's last id. */
	assert_int_equal(SMOOTHFS_CMD_MOVE_ABORT, SMOOTHFS_EVENT_SPILL + 1);
	assert_int_equal(SMOOTHFS_ATTR_PAD, SMOOTHFS_ATTR_RANGE_STAGED + 1);
	assert_int_equal(SMOOTHFS_CMD_MAX, __SMOOTHFS_CMD_MAX - 1);
	assert_int_equal(SMOOTHFS_ATTR_MAX, __SMOOTHFS_ATTR_MAX - 1);
	assert_int_equal(__SMOOTHFS_MS_COUNT, 12);
	assert_int_equal(__SMOOTHFS_PIN_COUNT, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_values),
		cmocka_unit_test(test_heat_record_layout),
		cmocka_unit_test(test_extensions_append_only),
	};

	return cmocka_run_group_tests_name("uapi", tests, NULL, NULL);
}
