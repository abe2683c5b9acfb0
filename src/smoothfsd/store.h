/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's state in SQLite (WAL): managed pools, per-object heat,
 * the movement log and per-pool policy.  The database never holds the
 * only copy of anything that matters: deleting it loses history and
 * heat, and the daemon rebuilds the rest from the kernel.
 *
 * All functions return 0 or a negative errno; -EBADMSG means the file is
 * not a usable database, -EPROTO that its schema is newer than this
 * daemon knows.
 */
#ifndef SMOOTHFSD_STORE_H
#define SMOOTHFSD_STORE_H

#include <stddef.h>
#include <stdint.h>

#define SMOOTHFSD_DEFAULT_DB "/var/lib/smoothfs/smoothfsd.db"

typedef struct Store Store;

struct store_pool {
	char *name;
	char *uuid;		/* canonical string */
	char *mountpoint;
	char *unit_path;	/* "" when the pool is not managed by us */
	char **tiers;		/* NULL-terminated */
	uint64_t spill_count;
};

struct store_move_counters {
	uint64_t completed;
	uint64_t failed;
	uint64_t bytes;
};

/* The schema version this daemon writes. */
int store_schema_latest(void);

int store_open(const char *path, Store **ret);
Store *store_close(Store *s);
int store_schema_version(Store *s);
/* "wal" when the journal mode is WAL (for tests). */
int store_journal_mode(Store *s, char *buf, size_t len);

int store_pool_save(Store *s, const struct store_pool *p);
/* Forgets a pool with its objects and policy; the move log stays. */
int store_pool_delete(Store *s, const char *name);
int store_pool_list(Store *s, struct store_pool **ret, size_t *ret_n);
void store_pool_clear(struct store_pool *p);
void store_pool_free_array(struct store_pool *p, size_t n);
int store_pool_add_spill(Store *s, const char *name);

/* Replaces the given keys of @pool's policy, all or nothing. */
int store_policy_set(Store *s, const char *pool, char *const *keys, char *const *values,
		     size_t n);
/* All keys and values of @pool (NULL-terminated, parallel). */
int store_policy_get(Store *s, const char *pool, char ***ret_keys, char ***ret_values);

/*
 * Logs a new move of @pool (state "planned") under a new transaction
 * sequence, *@ret_seq: larger than every one logged and than the wall
 * clock in microseconds, so it stays unique when the database was
 * deleted.  The sequence is chosen and the row written in one IMMEDIATE
 * transaction, so callers on other connections (threads, processes) never
 * get the same one.  @path: the file's path relative to the mountpoint,
 * or NULL; @from_tier -1 when unknown.
 */
int store_move_begin(Store *s, const char *pool, const char *oid, const char *path,
		     int from_tier, int to_tier, uint64_t size, uint64_t *ret_seq);
/* @final sets the finish time; @error may be NULL. */
int store_move_update(Store *s, const char *pool, uint64_t seq, const char *state, int final,
		      const char *error);
int store_move_counters(Store *s, const char *pool, struct store_move_counters *ret);
/* The number of moves logged for @pool that have not finished. */
int store_move_open_count(Store *s, const char *pool, uint64_t *ret);

struct store_open_move {
	char oid[33];		/* hex */
	uint64_t seq;
	int to_tier;
	uint64_t size;
	char *path;		/* relative to the mountpoint; NULL if not logged */
};

/*
 * The moves of @pool that never finished (a crash, a kill -9), oldest
 * first; free with store_open_moves_free().
 */
int store_move_list_open(Store *s, const char *pool, struct store_open_move **ret, size_t *ret_n);
void store_open_moves_free(struct store_open_move *v, size_t n);

int store_object_set_heat(Store *s, const char *pool, const char *oid, double heat,
			  uint64_t heat_ts);
int store_object_get_heat(Store *s, const char *pool, const char *oid, double *ret);
/* One object's heat as the engine keeps it: the score as of ts_ns (CLOCK_REALTIME). */
struct store_heat {
	char oid[33];		/* hex */
	double heat;
	uint64_t ts_ns;
};

/*
 * Replaces @pool's persisted heat with @rows, in one transaction: objects
 * not in @rows keep their pins but lose their heat.
 */
int store_heat_save(Store *s, const char *pool, const struct store_heat *rows, size_t n);
/* @pool's persisted heat, hottest first; free(*ret). */
int store_heat_load(Store *s, const char *pool, struct store_heat **ret, size_t *ret_n);

int store_object_set_pin(Store *s, const char *pool, const char *oid, const char *path,
			 const char *pin);

#endif /* SMOOTHFSD_STORE_H */
