/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsmoothfs: the client library of smoothfs.
 *
 * Conventions, throughout:
 *  - functions return 0 (or a documented non-negative value) on success
 *    and a negative errno on failure; they never exit or abort;
 *  - out-parameters (ret, ret_*) are written only on success;
 *  - strings and arrays handed out are owned by the caller and freed with
 *    the matching *_free() function (or free() where documented);
 *  - a client is safe to use from several threads (calls are serialised),
 *    and there is no global mutable state;
 *  - where a function takes "char *err, size_t errlen", a human-readable
 *    reason for a failure is written there (if err is not NULL).
 *
 * The wire protocol (family, commands, attributes, enum values) is the
 * uapi header included below, shared with the kernel module.
 */
#ifndef SMOOTHFS_SMOOTHFS_H
#define SMOOTHFS_SMOOTHFS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/smoothfs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- Constants (the ones the uapi header does not carry) ----------------- */

#define SMOOTHFS_DEFAULT_MOUNT_BASE	"/mnt/smoothfs"
#define SMOOTHFS_SYSTEMD_UNIT_DIR	"/etc/systemd/system"

/*
 * smoothfs_client_open() fails with this when the "smoothfs" genetlink
 * family does not exist, i.e. the kernel module is not loaded (the
 * reference contract's ErrNotLoaded).  No other call returns it.
 */
#define SMOOTHFS_ERR_NOT_LOADED		(-ENOPKG)

/* Longest strings the library formats, including the NUL. */
#define SMOOTHFS_UUID_STRING_MAX	37	/* 8-4-4-4-12, lower case */
#define SMOOTHFS_OID_HEX_MAX		33	/* 32 lower-case hex digits */

/* --- Identifiers ------------------------------------------------------- */

typedef struct smoothfs_uuid {
	uint8_t bytes[SMOOTHFS_UUID_LEN];
} smoothfs_uuid_t;

typedef struct smoothfs_oid {
	uint8_t bytes[SMOOTHFS_OID_LEN];
} smoothfs_oid_t;

/* Canonical lower-case form; -EINVAL for anything else (nil UUID allowed). */
int smoothfs_uuid_from_string(const char *s, smoothfs_uuid_t *ret);
void smoothfs_uuid_to_string(const smoothfs_uuid_t *u, char buf[SMOOTHFS_UUID_STRING_MAX]);
bool smoothfs_uuid_is_null(const smoothfs_uuid_t *u);
/* A new random (version 4) UUID. */
int smoothfs_uuid_generate(smoothfs_uuid_t *ret);

/* 32 hex digits (either case) <-> OID. */
int smoothfs_oid_from_hex(const char *s, smoothfs_oid_t *ret);
void smoothfs_oid_to_hex(const smoothfs_oid_t *oid, char buf[SMOOTHFS_OID_HEX_MAX]);

/* --- States ------------------------------------------------------------ */

/*
 * The contract's strings: "placed", "plan_accepted", ..., "stale" and
 * "none", "pin_hot", ..., "pin_lun".  *_to_string() returns NULL for a
 * value outside the enum (e.g. a wire byte from a newer kernel);
 * *_from_string() returns -EINVAL for an unknown string.
 */
const char *smoothfs_movement_state_to_string(enum smoothfs_movement_state s);
int smoothfs_movement_state_from_string(const char *s, enum smoothfs_movement_state *ret);
const char *smoothfs_pin_state_to_string(enum smoothfs_pin_state p);
int smoothfs_pin_state_from_string(const char *s, enum smoothfs_pin_state *ret);

/* --- Client: commands to the kernel module ------------------------------- */

typedef struct smoothfs_client smoothfs_client;

/*
 * Opens a generic-netlink command socket and resolves the family.
 * SMOOTHFS_ERR_NOT_LOADED when the module is not loaded.
 */
int smoothfs_client_open(smoothfs_client **ret);
/* Closes both sockets and frees the client; NULL is fine.  Returns NULL. */
smoothfs_client *smoothfs_client_close(smoothfs_client *c);

/*
 * Why the last failed call on this client failed: the kernel's extack
 * message when it sent one, otherwise a description of the errno ("" if
 * this thread has had no failure on it).  Kept per client and per thread:
 * the string is valid until the next call on the client from this thread.
 */
const char *smoothfs_client_last_error(smoothfs_client *c);

struct smoothfs_inspect_result {
	smoothfs_oid_t oid;
	uint8_t current_tier;
	uint8_t intended_tier;
	enum smoothfs_movement_state movement_state;
	enum smoothfs_pin_state pin_state;
	uint32_t generation;
	uint64_t write_seq;
	bool has_write_seq;
	bool range_staged;
	uint64_t transaction_seq;
	char *rel_path;			/* path inside the pool; NULL if not sent */
	char *current_tier_path;	/* root of the current tier; NULL if not sent */
};

int smoothfs_inspect(smoothfs_client *c, const smoothfs_uuid_t *pool,
		     const smoothfs_oid_t *oid, struct smoothfs_inspect_result *ret);
/* Frees the strings of a result filled by smoothfs_inspect(). */
void smoothfs_inspect_result_clear(struct smoothfs_inspect_result *r);

int smoothfs_move_plan(smoothfs_client *c, const smoothfs_uuid_t *pool,
		       const smoothfs_oid_t *oid, uint8_t dest_tier, uint64_t seq);
int smoothfs_move_plan_force(smoothfs_client *c, const smoothfs_uuid_t *pool,
			     const smoothfs_oid_t *oid, uint8_t dest_tier, uint64_t seq,
			     bool force);
int smoothfs_move_cutover(smoothfs_client *c, const smoothfs_uuid_t *pool,
			  const smoothfs_oid_t *oid, uint64_t seq);
int smoothfs_move_cutover_verify_write_seq(smoothfs_client *c, const smoothfs_uuid_t *pool,
					   const smoothfs_oid_t *oid, uint64_t seq,
					   uint64_t write_seq);
int smoothfs_move_abort(smoothfs_client *c, const smoothfs_uuid_t *pool,
			const smoothfs_oid_t *oid, uint64_t seq);
int smoothfs_quiesce(smoothfs_client *c, const smoothfs_uuid_t *pool);
/* reason may be NULL; at most SMOOTHFS_RECONCILE_REASON_MAX bytes. */
int smoothfs_reconcile(smoothfs_client *c, const smoothfs_uuid_t *pool, const char *reason);
int smoothfs_revoke_mappings(smoothfs_client *c, const smoothfs_uuid_t *pool,
			     const smoothfs_oid_t *oid);
int smoothfs_tier_down(smoothfs_client *c, const smoothfs_uuid_t *pool, uint8_t rank);
int smoothfs_reprobe(smoothfs_client *c, const smoothfs_uuid_t *pool, uint8_t rank);

/* Flags of smoothfs_move_file(). */
#define SMOOTHFS_MOVE_FORCE	(1U << 0)	/* MovePlanForce: overrides pin_lease only */
/*
 * Return once the move is closed (the file placed, its old copy gone)
 * rather than once it is committed and switched: the kernel closes moves
 * in batches, after their cutovers.  For tools and tests; a mover of
 * many files leaves it off.
 */
#define SMOOTHFS_MOVE_WAIT_CLOSED	(1U << 1)

/*
 * Moves one file of a mounted pool to tier @dest_tier, the whole protocol:
 * MovePlan, Inspect, a copy into <dest tier>/.smoothfs/stage/<oid hex>
 * (reflinked when both tiers share a filesystem, sparse-aware, with owner,
 * mode, timestamps and every xattr, ACLs and the OID included), fsync,
 * then MoveCutoverVerifyWriteSeq; MoveAbort on any failure after the plan.
 * @seq: the transaction sequence, unique within the pool.  Returns 0 once
 * the file is on @dest_tier, durably (the old copy goes soon after, or
 * before the return with SMOOTHFS_MOVE_WAIT_CLOSED); the kernel's errno
 * otherwise (EBUSY, EALREADY,
 * ESTALE when the file was written during the copy, ...), with the reason
 * in smoothfs_client_last_error().  Needs root (the lower tiers).
 */
int smoothfs_move_file(smoothfs_client *c, const smoothfs_uuid_t *pool,
		       const smoothfs_oid_t *oid, uint8_t dest_tier, uint64_t seq,
		       unsigned int flags);

/*
 * smoothfs_move_file() for the file at @path on a mounted pool: the file
 * is held open (O_PATH) for the whole move, so the kernel keeps its
 * inode; the pool is the mount's uuid= option (/proc/self/mountinfo),
 * the object id the file's trusted.smoothfs.oid.  -EINVAL if @path is not
 * a regular file on a smoothfs mount.
 */
int smoothfs_move_path(smoothfs_client *c, const char *path, uint8_t dest_tier, uint64_t seq,
		       unsigned int flags);

struct smoothfs_tier {
	uint8_t rank;
	uint32_t caps;			/* SMOOTHFS_TIER_CAP_* */
	char *path;
};

struct smoothfs_pool_info {
	smoothfs_uuid_t uuid;
	char *name;
	uint32_t fsid;
	bool any_spill_since_mount;
	size_t n_tiers;
	struct smoothfs_tier *tiers;	/* by rank */
};

/* The pools mounted now (the SMOOTHFS_CMD_LIST_POOLS dump). */
int smoothfs_list_pools(smoothfs_client *c, struct smoothfs_pool_info **ret, size_t *ret_n);
void smoothfs_pool_info_free(struct smoothfs_pool_info *pools, size_t n);

/* --- Events --------------------------------------------------------------- */

struct smoothfs_heat_sample {
	smoothfs_oid_t oid;
	uint32_t open_count_delta;
	uint64_t read_bytes_delta;
	uint64_t write_bytes_delta;
	uint64_t last_access_ns;
	uint64_t sample_window_ns;
};

struct smoothfs_move_state_event {
	smoothfs_oid_t oid;
	enum smoothfs_movement_state new_state;	/* may be outside the enum */
	uint64_t transaction_seq;
};

struct smoothfs_tier_fault_event {
	uint8_t tier_rank;
};

struct smoothfs_spill_event {
	smoothfs_oid_t oid;
	uint8_t source_tier;
	uint8_t dest_tier;
	uint64_t size_bytes;
};

/*
 * The tagged union of multicast messages.  type is the SMOOTHFS_EVENT_*
 * command; the member named after it is valid (mount_ready: pool_name,
 * fsid and tiers; heat_sample: heat_samples; move_state: move;
 * tier_fault: tier; spill: spill; pool_unmounted: the common fields).
 */
struct smoothfs_event {
	uint8_t type;
	smoothfs_uuid_t pool_uuid;
	char *pool_name;		/* NULL when not sent */
	uint32_t fsid;
	bool any_spill_since_mount;

	size_t n_tiers;
	struct smoothfs_tier *tiers;

	size_t n_heat_samples;
	struct smoothfs_heat_sample *heat_samples;

	struct smoothfs_move_state_event move;
	struct smoothfs_tier_fault_event tier;
	struct smoothfs_spill_event spill;
};

/*
 * Joins the "events" multicast group on a second socket, so events never
 * interleave with command replies.  Needs CAP_SYS_ADMIN (-EPERM otherwise).
 * Subscribing again is a no-op.
 */
int smoothfs_subscribe(smoothfs_client *c);

/*
 * The event socket's file descriptor (for poll, epoll, sd-event): it
 * polls readable when smoothfs_receive() has something to return.  One
 * datagram may carry several events, queued in the client: once it polls
 * readable, call smoothfs_receive(c, 0, ...) until -EAGAIN.
 * -EBADF before smoothfs_subscribe().
 */
int smoothfs_event_fd(smoothfs_client *c);

/*
 * The next event: 0 and *ret (free it with smoothfs_event_free()).
 * timeout_ms < 0 waits, 0 polls (-EAGAIN when there is none), > 0 waits
 * at most that long (-ETIMEDOUT).  Unknown event types and attributes are
 * skipped; a malformed event is -EBADMSG in its place (the next call goes
 * on with the following one).  -EBADF before smoothfs_subscribe().
 * -ENOBUFS means the socket overflowed and the kernel dropped events:
 * resynchronise (smoothfs_list_pools(), smoothfs_inspect()) and carry on;
 * the subscription stays.  Heat samples are not lost that way: the kernel
 * sends a refused one again once the backlog has been read.
 */
int smoothfs_receive(smoothfs_client *c, int timeout_ms, struct smoothfs_event **ret);

/*
 * Decodes one generic netlink message (struct nlmsghdr, genlmsghdr and
 * attributes, len bytes).  Returns 1 and an event, 0 and *ret = NULL for
 * a well-formed message that is not a known event, or a negative errno
 * (-EBADMSG) for a malformed one.  Pure: no socket is involved.
 */
int smoothfs_decode_event(const void *msg, size_t len, struct smoothfs_event **ret);
void smoothfs_event_free(struct smoothfs_event *ev);

/* --- Managed pools -------------------------------------------------------- */

/* ^[a-z0-9][a-z0-9._-]{0,62}$, else -EINVAL. */
int smoothfs_validate_pool_name(const char *name);

/*
 * At least one and at most SMOOTHFS_MAX_TIERS tiers; each absolute, free
 * of newline, NUL, ',' and ':', an existing directory; no two the same
 * directory after resolving symlinks; none inside another.
 */
int smoothfs_validate_tiers(const char *const *tiers, size_t n, char *err, size_t errlen);

/* base/name, base defaulting to SMOOTHFS_DEFAULT_MOUNT_BASE (malloc'd). */
int smoothfs_mountpoint_for_pool(const char *base, const char *name, char **ret);

/*
 * The systemd mount unit name for a path, byte-identical to
 * `systemd-escape --path --suffix=mount PATH` (malloc'd).
 */
int smoothfs_unit_filename_for(const char *path, char **ret);

struct smoothfs_managed_pool {
	char *name;
	smoothfs_uuid_t uuid;
	size_t n_tiers;
	char **tiers;
	char *mountpoint;
	char *unit_path;
};

void smoothfs_managed_pool_free(struct smoothfs_managed_pool *p);

/* The .mount unit for a pool (malloc'd); re-validates name and tiers. */
int smoothfs_render_mount_unit(const struct smoothfs_managed_pool *p, char **ret,
			       char *err, size_t errlen);

/* {"name":...,"uuid":...,"tiers":[...],"mountpoint":...,"unit_path":...} */
int smoothfs_managed_pool_to_json(const struct smoothfs_managed_pool *p, char **ret);

struct smoothfs_create_pool_request {
	const char *name;
	smoothfs_uuid_t uuid;		/* nil: generate one */
	const char *const *tiers;
	size_t n_tiers;
	const char *mount_base;		/* NULL: SMOOTHFS_DEFAULT_MOUNT_BASE */
	const char *unit_dir;		/* NULL: SMOOTHFS_SYSTEMD_UNIT_DIR */
};

/*
 * Validates, writes the mount unit atomically, and through systemd's
 * D-Bus API reloads, enables and starts it, waiting for the mount job.
 * On any failure everything done is undone (a mountpoint that existed
 * before is left alone).  Needs root and a running systemd.
 */
int smoothfs_create_managed_pool(const struct smoothfs_create_pool_request *req,
				 struct smoothfs_managed_pool **ret, char *err, size_t errlen);

/*
 * Stops and disables the unit, removes it and reloads systemd.  The
 * mountpoint and the data on the tiers are never touched.
 */
int smoothfs_destroy_managed_pool(const struct smoothfs_managed_pool *p, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* SMOOTHFS_SMOOTHFS_H */
