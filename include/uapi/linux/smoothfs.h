/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * smoothfs: the user/kernel contract of the tiered stacking filesystem.
 *
 * This one header is compiled into the kernel module and into userspace
 * (libsmoothfs, smoothfsd, tests).  Wire values are frozen: commands and
 * attributes are append-only, an id is never reused or renumbered, and an
 * incompatible change takes a new family version.  Values 0-15 (commands)
 * and 0-24 (attributes) are those of the public reference contract.
 *
 * Integers in attributes are in host byte order, as in every genetlink
 * family.  Structures carried inside binary attributes are little-endian.
 */
#ifndef _UAPI_LINUX_SMOOTHFS_H
#define _UAPI_LINUX_SMOOTHFS_H

#include <linux/types.h>

#define SMOOTHFS_GENL_FAMILY_NAME	"smoothfs"
#define SMOOTHFS_GENL_FAMILY_VERSION	1
#define SMOOTHFS_GENL_MCAST_GROUP	"events"

#define SMOOTHFS_FS_TYPE		"smoothfs"
#define SMOOTHFS_SUPER_MAGIC		0x534d4f46	/* "SMOF" */

/* Object ids (UUIDv7) and pool UUIDs are 16 raw bytes on the wire. */
#define SMOOTHFS_OID_LEN		16
#define SMOOTHFS_UUID_LEN		16

#define SMOOTHFS_MAX_TIERS		8
/* Longest pool name, without the terminating NUL. */
#define SMOOTHFS_POOL_NAME_MAX		63
#define SMOOTHFS_RECONCILE_REASON_MAX	255

/* Lower-filesystem xattrs owned by smoothfs. */
#define SMOOTHFS_XATTR_PREFIX		"trusted.smoothfs."
#define SMOOTHFS_XATTR_OID		SMOOTHFS_XATTR_PREFIX "oid"
#define SMOOTHFS_XATTR_TIER		SMOOTHFS_XATTR_PREFIX "tier"
#define SMOOTHFS_XATTR_FILEID		SMOOTHFS_XATTR_PREFIX "fileid"
#define SMOOTHFS_XATTR_PIN		SMOOTHFS_XATTR_PREFIX "pin"

/* Pool metadata directory, present on every tier and hidden by the mount. */
#define SMOOTHFS_META_DIR		".smoothfs"
/* A move stages its copy as <dest tier>/SMOOTHFS_STAGE_DIR/<oid hex>. */
#define SMOOTHFS_STAGE_DIR		SMOOTHFS_META_DIR "/stage"

enum smoothfs_cmd {
	SMOOTHFS_CMD_UNSPEC		= 0,
	SMOOTHFS_CMD_REGISTER_POOL	= 1,
	SMOOTHFS_CMD_POLICY_PUSH	= 2,
	SMOOTHFS_CMD_MOVE_PLAN		= 3,
	SMOOTHFS_CMD_TIER_DOWN		= 4,
	SMOOTHFS_CMD_RECONCILE		= 5,
	SMOOTHFS_CMD_QUIESCE		= 6,
	SMOOTHFS_CMD_INSPECT		= 7,
	SMOOTHFS_CMD_REPROBE		= 8,
	SMOOTHFS_EVENT_MOUNT_READY	= 9,
	SMOOTHFS_EVENT_HEAT_SAMPLE	= 10,
	SMOOTHFS_EVENT_MOVE_STATE	= 11,
	SMOOTHFS_EVENT_TIER_FAULT	= 12,
	SMOOTHFS_CMD_MOVE_CUTOVER	= 13,
	SMOOTHFS_CMD_REVOKE_MAPPINGS	= 14,
	SMOOTHFS_EVENT_SPILL		= 15,

	/* Extensions: append only. */
	SMOOTHFS_CMD_MOVE_ABORT		= 16,
	SMOOTHFS_CMD_LIST_POOLS		= 17,
	SMOOTHFS_EVENT_POOL_UNMOUNTED	= 18,

	__SMOOTHFS_CMD_MAX,
};
#define SMOOTHFS_CMD_MAX (__SMOOTHFS_CMD_MAX - 1)

enum smoothfs_attr {
	SMOOTHFS_ATTR_UNSPEC			= 0,
	SMOOTHFS_ATTR_POOL_UUID			= 1,	/* binary, 16 bytes */
	SMOOTHFS_ATTR_POOL_NAME			= 2,	/* string */
	SMOOTHFS_ATTR_FSID			= 3,	/* u32 */
	SMOOTHFS_ATTR_TIER_RANK			= 4,	/* u8 */
	SMOOTHFS_ATTR_TIER_CAPS			= 5,	/* u32, SMOOTHFS_TIER_CAP_* */
	SMOOTHFS_ATTR_TIER_PATH			= 6,	/* string */
	SMOOTHFS_ATTR_TIER_ID			= 7,	/* string */
	SMOOTHFS_ATTR_OBJECT_ID			= 8,	/* binary, 16 bytes */
	SMOOTHFS_ATTR_GENERATION		= 9,	/* u32 */
	SMOOTHFS_ATTR_MOVEMENT_STATE		= 10,	/* u8, enum smoothfs_movement_state */
	SMOOTHFS_ATTR_CURRENT_TIER		= 11,	/* u8 */
	SMOOTHFS_ATTR_INTENDED_TIER		= 12,	/* u8 */
	SMOOTHFS_ATTR_TRANSACTION_SEQ		= 13,	/* u64 */
	SMOOTHFS_ATTR_PIN_STATE			= 14,	/* u8, enum smoothfs_pin_state */
	SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB		= 15,	/* n x struct smoothfs_heat_sample_record */
	SMOOTHFS_ATTR_CHECKPOINT_SEQ		= 16,	/* u64 */
	SMOOTHFS_ATTR_RECONCILE_REASON		= 17,	/* string */
	SMOOTHFS_ATTR_TIERS			= 18,	/* nested: one nest per tier */
	SMOOTHFS_ATTR_REL_PATH			= 19,	/* string */
	SMOOTHFS_ATTR_FORCE			= 20,	/* u8 (flag) */
	SMOOTHFS_ATTR_SIZE_BYTES		= 21,	/* u64 */
	SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT	= 22,	/* u8 (flag) */
	SMOOTHFS_ATTR_WRITE_SEQ			= 23,	/* u64 */
	SMOOTHFS_ATTR_RANGE_STAGED		= 24,	/* u8 (flag) */

	/* Extensions: append only. */
	SMOOTHFS_ATTR_PAD			= 25,	/* padding for 64-bit values */

	__SMOOTHFS_ATTR_MAX,
};
#define SMOOTHFS_ATTR_MAX (__SMOOTHFS_ATTR_MAX - 1)

/*
 * Values of SMOOTHFS_ATTR_MOVEMENT_STATE.  The string names ("placed",
 * "plan_accepted", ...) are part of the contract too; see libsmoothfs.
 */
enum smoothfs_movement_state {
	SMOOTHFS_MS_PLACED		= 0,
	SMOOTHFS_MS_PLAN_ACCEPTED	= 1,
	SMOOTHFS_MS_DESTINATION_RESERVED = 2,
	SMOOTHFS_MS_COPY_IN_PROGRESS	= 3,
	SMOOTHFS_MS_COPY_COMPLETE	= 4,
	SMOOTHFS_MS_COPY_VERIFIED	= 5,
	SMOOTHFS_MS_CUTOVER_IN_PROGRESS	= 6,
	SMOOTHFS_MS_SWITCHED		= 7,
	SMOOTHFS_MS_CLEANUP_IN_PROGRESS	= 8,
	SMOOTHFS_MS_CLEANUP_COMPLETE	= 9,
	SMOOTHFS_MS_FAILED		= 10,
	SMOOTHFS_MS_STALE		= 11,
	__SMOOTHFS_MS_COUNT,
};

/* Values of SMOOTHFS_ATTR_PIN_STATE and of the trusted.smoothfs.pin xattr. */
enum smoothfs_pin_state {
	SMOOTHFS_PIN_NONE		= 0,
	SMOOTHFS_PIN_HOT		= 1,
	SMOOTHFS_PIN_COLD		= 2,
	SMOOTHFS_PIN_HARDLINK		= 3,
	SMOOTHFS_PIN_LEASE		= 4,
	SMOOTHFS_PIN_LUN		= 5,
	__SMOOTHFS_PIN_COUNT,
};

/*
 * The names of the pin states: the value of the trusted.smoothfs.pin
 * xattr (without a NUL) and their text form in userspace.
 */
#define SMOOTHFS_PIN_NAME_NONE		"none"
#define SMOOTHFS_PIN_NAME_HOT		"pin_hot"
#define SMOOTHFS_PIN_NAME_COLD		"pin_cold"
#define SMOOTHFS_PIN_NAME_HARDLINK	"pin_hardlink"
#define SMOOTHFS_PIN_NAME_LEASE		"pin_lease"
#define SMOOTHFS_PIN_NAME_LUN		"pin_lun"

/* Bits of SMOOTHFS_ATTR_TIER_CAPS: what the tier's lower filesystem offers. */
#define SMOOTHFS_TIER_CAP_XATTR_USER	(1U << 0)
#define SMOOTHFS_TIER_CAP_XATTR_TRUSTED	(1U << 1)
#define SMOOTHFS_TIER_CAP_POSIX_ACL	(1U << 2)
#define SMOOTHFS_TIER_CAP_DIRECT_IO	(1U << 3)
#define SMOOTHFS_TIER_CAP_REFLINK	(1U << 4)
#define SMOOTHFS_TIER_CAP_TMPFILE	(1U << 5)

/*
 * One record of SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB; the blob is an array of
 * them, so its length is a multiple of SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE.
 * Deltas cover sample_window_ns ending at the time of the event.
 */
struct smoothfs_heat_sample_record {
	__u8	oid[SMOOTHFS_OID_LEN];
	__le32	open_count_delta;	/* opens in the window (an event count) */
	__le32	reserved;		/* zero */
	__le64	read_bytes_delta;
	__le64	write_bytes_delta;
	__le64	last_access_ns;		/* CLOCK_REALTIME of the last access */
	__le64	sample_window_ns;
};

#define SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE 56

#endif /* _UAPI_LINUX_SMOOTHFS_H */
