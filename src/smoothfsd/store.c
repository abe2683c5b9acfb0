// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SQLite state; see store.h.
 *
 * Migrations are a list: migrations[i] takes a database from schema
 * version i to i + 1, inside one transaction together with the version
 * bump, so a crash leaves the old version or the new one.  Append to the
 * list; never edit a released step.
 */
#include <stdio.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "util.h"

struct Store {
	sqlite3 *db;
};

static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE pools ("
	"  name TEXT PRIMARY KEY,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  mountpoint TEXT NOT NULL,"
	"  unit_path TEXT NOT NULL DEFAULT '',"
	"  tiers TEXT NOT NULL,"
	"  created_usec INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE objects ("
	"  oid TEXT NOT NULL,"
	"  pool TEXT NOT NULL,"
	"  path TEXT,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  tier INTEGER,"
	"  heat REAL NOT NULL DEFAULT 0,"
	"  heat_ts INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (pool, oid));"
	"CREATE TABLE moves ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  pool TEXT NOT NULL,"
	"  oid TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  from_tier INTEGER,"
	"  to_tier INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  started_usec INTEGER NOT NULL DEFAULT 0,"
	"  finished_usec INTEGER);",

	/* 1 -> 2: pins, policy, spill counts, errors in the move log */
	"ALTER TABLE objects ADD COLUMN pin TEXT NOT NULL DEFAULT 'none';"
	"ALTER TABLE pools ADD COLUMN spill_count INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE moves ADD COLUMN error TEXT;"
	"CREATE INDEX moves_pool_seq ON moves (pool, seq);"
	"CREATE TABLE policy ("
	"  pool TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (pool, key));",

	/* 2 -> 3: the path a move was asked for, to find the file after a restart */
	"ALTER TABLE moves ADD COLUMN path TEXT;",
};

int store_schema_latest(void)
{
	return (int)ELEMENTSOF(migrations);
}

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_FORMAT:
		return -EBADMSG;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_TOOBIG:
		return -E2BIG;
	default:
		return -EIO;
	}
}

static int store_fail(Store *s, int rc, const char *what)
{
	int r = sqlite_errno(rc);

	log_debug("store: %s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return r < 0 ? r : -EIO;
}

static int exec(Store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(s, rc, sql);
}

static void finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(finalizep)

static int prepare(Store *s, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(s, rc, sql);
}

/* Runs a statement without rows to the end. */
static int step_done(Store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, sqlite3_sql(st));
}

static int read_version(Store *s, int *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
	if (r < 0)
		return r;
	r = prepare(s, "SELECT MAX(version) FROM schema_version", &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, "schema_version");
	*ret = sqlite3_column_int(st, 0);
	return 0;
}

static int migrate(Store *s)
{
	int version = 0, r;

	r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = read_version(s, &version);
	if (r < 0)
		goto rollback;
	if (version > store_schema_latest()) {
		log_warning("store: schema version %d is newer than this daemon's %d",
			    version, store_schema_latest());
		r = -EPROTO;
		goto rollback;
	}
	for (; version < store_schema_latest(); version++) {
		char sql[96];

		r = exec(s, migrations[version]);
		if (r < 0)
			goto rollback;
		snprintf(sql, sizeof(sql), "DELETE FROM schema_version; "
			 "INSERT INTO schema_version VALUES (%d)", version + 1);
		r = exec(s, sql);
		if (r < 0)
			goto rollback;
		log_debug("store: migrated to schema version %d", version + 1);
	}
	return exec(s, "COMMIT");
rollback:
	(void)exec(s, "ROLLBACK");
	return r;
}

int store_open(const char *path, Store **ret)
{
	Store *s;
	int rc, r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = store_fail(s, rc, path);
		goto fail;
	}
	(void)sqlite3_busy_timeout(s->db, 5000);
	(void)sqlite3_extended_result_codes(s->db, 0);
	r = exec(s, "PRAGMA journal_mode=WAL");
	if (r < 0)
		goto fail;
	r = exec(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON");
	if (r < 0)
		goto fail;
	r = migrate(s);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	store_close(s);
	return r;
}

Store *store_close(Store *s)
{
	if (!s)
		return NULL;
	sqlite3_close(s->db);
	free(s);
	return NULL;
}

int store_schema_version(Store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, "SELECT MAX(version) FROM schema_version", &st);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return -EIO;
	return sqlite3_column_int(st, 0);
}

int store_journal_mode(Store *s, char *buf, size_t len)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, "PRAGMA journal_mode", &st);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return -EIO;
	snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	return 0;
}

/* --- pools ------------------------------------------------------------- */

static char *join_tiers(char *const *tiers)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; tiers && tiers[i]; i++)
		len += strlen(tiers[i]) + 1;
	s = p = malloc(len);
	if (!s)
		return NULL;
	for (size_t i = 0; tiers && tiers[i]; i++)
		p += sprintf(p, "%s%s", i ? "\n" : "", tiers[i]);
	*p = '\0';
	return s;
}

static char **split_tiers(const char *s)
{
	size_t n = 1;
	char **v;

	for (const char *c = s; *c; c++)
		n += *c == '\n';
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		v[i] = strndup(s, len);
		if (!v[i])
			return strv_free(v);
		s += len + (nl ? 1 : 0);
	}
	return v;
}

int store_pool_save(Store *s, const struct store_pool *p)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *tiers = join_tiers(p->tiers);
	int r;

	if (!tiers)
		return -ENOMEM;
	r = prepare(s, "INSERT INTO pools (name, uuid, mountpoint, unit_path, tiers, created_usec) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(name) DO UPDATE SET "
		    "uuid = ?2, mountpoint = ?3, unit_path = ?4, tiers = ?5", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->mountpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->unit_path ? p->unit_path : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, tiers, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)now_usec(CLOCK_REALTIME));
	return step_done(s, st);
}

/* Runs each of @sql with ?1 bound to @pool (inside the caller's transaction). */
static int exec_for_pool(Store *s, const char *const *sql, size_t n, const char *pool)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;
		int r;

		r = prepare(s, sql[i], &st);
		if (r < 0)
			return r;
		sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
		r = step_done(s, st);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_pool_delete(Store *s, const char *name)
{
	static const char *const sql[] = {
		"DELETE FROM objects WHERE pool = ?1",
		"DELETE FROM policy WHERE pool = ?1",
		"DELETE FROM pools WHERE name = ?1",
	};
	int r;

	r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = exec_for_pool(s, sql, ELEMENTSOF(sql), name);
	if (r < 0) {
		(void)exec(s, "ROLLBACK");
		return r;
	}
	return exec(s, "COMMIT");
}

void store_pool_clear(struct store_pool *p)
{
	free(p->name);
	free(p->uuid);
	free(p->mountpoint);
	free(p->unit_path);
	strv_free(p->tiers);
	memset(p, 0, sizeof(*p));
}

void store_pool_free_array(struct store_pool *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		store_pool_clear(&p[i]);
	free(p);
}

static char *column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t ? (const char *)t : "");
}

int store_pool_list(Store *s, struct store_pool **ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_pool *v = NULL;
	size_t n = 0;
	int r, rc;

	r = prepare(s, "SELECT name, uuid, mountpoint, unit_path, tiers, spill_count "
		    "FROM pools ORDER BY name", &st);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_pool *nv = realloc(v, (n + 1) * sizeof(*v));
		struct store_pool *p;

		if (!nv) {
			r = -ENOMEM;
			goto fail;
		}
		v = nv;
		p = &v[n++];
		memset(p, 0, sizeof(*p));
		p->name = column_strdup(st, 0);
		p->uuid = column_strdup(st, 1);
		p->mountpoint = column_strdup(st, 2);
		p->unit_path = column_strdup(st, 3);
		p->tiers = split_tiers((const char *)sqlite3_column_text(st, 4) ?: "");
		p->spill_count = (uint64_t)sqlite3_column_int64(st, 5);
		if (!p->name || !p->uuid || !p->mountpoint || !p->unit_path || !p->tiers) {
			r = -ENOMEM;
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(s, rc, "pools");
		goto fail;
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	store_pool_free_array(v, n);
	return r;
}

int store_pool_add_spill(Store *s, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, "UPDATE pools SET spill_count = spill_count + 1 WHERE name = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return step_done(s, st);
}

/* --- policy -------------------------------------------------------------- */

int store_policy_set(Store *s, const char *pool, char *const *keys, char *const *values,
		     size_t n)
{
	int r;

	r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;

		r = prepare(s, "INSERT OR REPLACE INTO policy (pool, key, value) "
			    "VALUES (?1, ?2, ?3)", &st);
		if (r < 0)
			goto rollback;
		sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, keys[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, values[i], -1, SQLITE_STATIC);
		r = step_done(s, st);
		if (r < 0)
			goto rollback;
	}
	return exec(s, "COMMIT");
rollback:
	(void)exec(s, "ROLLBACK");
	return r;
}

int store_policy_get(Store *s, const char *pool, char ***ret_keys, char ***ret_values)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_strv_free_ char **keys = NULL;
	_cleanup_strv_free_ char **values = NULL;
	size_t n = 0;
	int r, rc;

	r = prepare(s, "SELECT key, value FROM policy WHERE pool = ?1 ORDER BY key", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	keys = calloc(1, sizeof(char *));
	values = calloc(1, sizeof(char *));
	if (!keys || !values)
		return -ENOMEM;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **nk = realloc(keys, (n + 2) * sizeof(char *));

		if (!nk)
			return -ENOMEM;
		keys = nk;
		keys[n] = keys[n + 1] = NULL;
		nk = realloc(values, (n + 2) * sizeof(char *));
		if (!nk)
			return -ENOMEM;
		values = nk;
		values[n] = values[n + 1] = NULL;
		keys[n] = column_strdup(st, 0);
		values[n] = column_strdup(st, 1);
		n++;
		if (!keys[n - 1] || !values[n - 1])
			return -ENOMEM;
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "policy");
	*ret_keys = TAKE_PTR(keys);
	*ret_values = TAKE_PTR(values);
	return 0;
}

/* --- moves ----------------------------------------------------------------- */

/* The next sequence of @pool; inside the caller's write transaction. */
static int next_seq(Store *s, const char *pool, uint64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	uint64_t seq, now;
	int r;

	r = prepare(s, "SELECT COALESCE(MAX(seq), 0) FROM moves WHERE pool = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_fail(s, SQLITE_ERROR, "moves");
	seq = (uint64_t)sqlite3_column_int64(st, 0) + 1;
	now = now_usec(CLOCK_REALTIME);
	*ret = seq > now ? seq : now;
	return 0;
}

static int insert_move(Store *s, const char *pool, const char *oid, const char *path,
		       uint64_t seq, int from_tier, int to_tier, uint64_t size)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, "INSERT INTO moves (pool, oid, seq, from_tier, to_tier, state, size, "
		    "started_usec, path) VALUES (?1, ?2, ?3, ?4, ?5, 'planned', ?6, ?7, ?8)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, oid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
	if (from_tier >= 0)
		sqlite3_bind_int(st, 4, from_tier);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int(st, 5, to_tier);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)now_usec(CLOCK_REALTIME));
	if (path)
		sqlite3_bind_text(st, 8, path, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	return step_done(s, st);
}

int store_move_begin(Store *s, const char *pool, const char *oid, const char *path,
		     int from_tier, int to_tier, uint64_t size, uint64_t *ret_seq)
{
	uint64_t seq = 0;
	int r;

	/*
	 * MAX(seq) is read and the row written under the database's write
	 * lock: no other connection can read the same MAX in between.
	 */
	r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = next_seq(s, pool, &seq);
	if (r >= 0)
		r = insert_move(s, pool, oid, path, seq, from_tier, to_tier, size);
	if (r >= 0)
		r = exec(s, "COMMIT");
	if (r < 0) {
		(void)exec(s, "ROLLBACK");
		return r;
	}
	*ret_seq = seq;
	return 0;
}

int store_move_update(Store *s, const char *pool, uint64_t seq, const char *state, int final,
		      const char *error)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, "UPDATE moves SET state = ?3, error = COALESCE(?4, error), "
		    "finished_usec = CASE WHEN ?5 THEN ?6 ELSE finished_usec END "
		    "WHERE pool = ?1 AND seq = ?2", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	if (error)
		sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int(st, 5, !!final);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)now_usec(CLOCK_REALTIME));
	return step_done(s, st);
}

int store_move_counters(Store *s, const char *pool, struct store_move_counters *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, "SELECT "
		    "COALESCE(SUM(state = 'done'), 0), "
		    "COALESCE(SUM(state IN ('failed', 'aborted')), 0), "
		    "COALESCE(SUM(CASE WHEN state = 'done' THEN size ELSE 0 END), 0) "
		    "FROM moves WHERE pool = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_fail(s, SQLITE_ERROR, "moves");
	ret->completed = (uint64_t)sqlite3_column_int64(st, 0);
	ret->failed = (uint64_t)sqlite3_column_int64(st, 1);
	ret->bytes = (uint64_t)sqlite3_column_int64(st, 2);
	return 0;
}

int store_move_open_count(Store *s, const char *pool, uint64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, "SELECT COUNT(*) FROM moves WHERE pool = ?1 AND finished_usec IS NULL",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return store_fail(s, SQLITE_ERROR, "moves");
	*ret = (uint64_t)sqlite3_column_int64(st, 0);
	return 0;
}

void store_open_moves_free(struct store_open_move *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

int store_move_list_open(Store *s, const char *pool, struct store_open_move **ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_open_move *v = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	r = prepare(s, "SELECT oid, seq, to_tier, path, size FROM moves "
		    "WHERE pool = ?1 AND finished_usec IS NULL ORDER BY id", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *oid = (const char *)sqlite3_column_text(st, 0);

		r = array_reserve(&v, &cap, n, sizeof(*v), 16);
		if (r < 0)
			goto fail;
		snprintf(v[n].oid, sizeof(v[n].oid), "%s", oid ? oid : "");
		v[n].seq = (uint64_t)sqlite3_column_int64(st, 1);
		v[n].to_tier = sqlite3_column_int(st, 2);
		v[n].size = (uint64_t)sqlite3_column_int64(st, 4);
		v[n].path = NULL;
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			v[n].path = column_strdup(st, 3);
			if (!v[n].path) {
				r = -ENOMEM;
				goto fail;
			}
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = store_fail(s, rc, "moves");
		goto fail;
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	store_open_moves_free(v, n);
	return r;
}

/* --- objects ----------------------------------------------------------------- */

int store_object_set_heat(Store *s, const char *pool, const char *oid, double heat,
			  uint64_t heat_ts)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, "INSERT INTO objects (pool, oid, heat, heat_ts) VALUES (?1, ?2, ?3, ?4) "
		    "ON CONFLICT(pool, oid) DO UPDATE SET heat = ?3, heat_ts = ?4", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, oid, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, heat);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)heat_ts);
	return step_done(s, st);
}

int store_object_get_heat(Store *s, const char *pool, const char *oid, double *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(s, "SELECT heat FROM objects WHERE pool = ?1 AND oid = ?2", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, oid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, "objects");
	*ret = sqlite3_column_double(st, 0);
	return 0;
}

int store_heat_save(Store *s, const char *pool, const struct store_heat *rows, size_t n)
{
	static const char *const clear[] = {
		"DELETE FROM objects WHERE pool = ?1 AND pin = 'none' AND path IS NULL",
		"UPDATE objects SET heat = 0, heat_ts = 0 WHERE pool = ?1",
	};
	_cleanup_stmt_ sqlite3_stmt *ins = NULL;
	int r;

	r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = exec_for_pool(s, clear, ELEMENTSOF(clear), pool);
	if (r < 0)
		goto rollback;
	r = prepare(s, "INSERT INTO objects (pool, oid, heat, heat_ts) VALUES (?1, ?2, ?3, ?4) "
		    "ON CONFLICT(pool, oid) DO UPDATE SET heat = ?3, heat_ts = ?4", &ins);
	if (r < 0)
		goto rollback;
	sqlite3_bind_text(ins, 1, pool, -1, SQLITE_STATIC);
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(ins, 2, rows[i].oid, -1, SQLITE_STATIC);
		sqlite3_bind_double(ins, 3, rows[i].heat);
		sqlite3_bind_int64(ins, 4, (sqlite3_int64)rows[i].ts_ns);
		r = step_done(s, ins);
		if (r < 0)
			goto rollback;
		sqlite3_reset(ins);
	}
	return exec(s, "COMMIT");
rollback:
	(void)exec(s, "ROLLBACK");
	return r;
}

int store_heat_load(Store *s, const char *pool, struct store_heat **ret, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ struct store_heat *v = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	r = prepare(s, "SELECT oid, heat, heat_ts FROM objects "
		    "WHERE pool = ?1 AND heat > 0 ORDER BY heat DESC", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *oid = (const char *)sqlite3_column_text(st, 0);

		/* Anything but an OID is not ours: skip it. */
		if (!oid || strlen(oid) != sizeof(v->oid) - 1)
			continue;
		if (array_reserve(&v, &cap, n, sizeof(*v), 64) < 0)
			return -ENOMEM;
		memcpy(v[n].oid, oid, sizeof(v[n].oid));
		v[n].heat = sqlite3_column_double(st, 1);
		v[n].ts_ns = (uint64_t)sqlite3_column_int64(st, 2);
		n++;
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "objects");
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int store_object_set_pin(Store *s, const char *pool, const char *oid, const char *path,
			 const char *pin)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s, "INSERT INTO objects (pool, oid, path, pin) VALUES (?1, ?2, ?3, ?4) "
		    "ON CONFLICT(pool, oid) DO UPDATE SET path = ?3, pin = ?4", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, oid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, pin, -1, SQLITE_STATIC);
	return step_done(s, st);
}
