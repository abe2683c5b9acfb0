// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smoothfsd's SQLite store: a fresh database in WAL mode, migration of a
 * database written with schema version 1 (rows kept, new columns with
 * their defaults), refusal of a newer schema and of a file that is not a
 * database (both left untouched), reopening, every table's helpers, and
 * move sequences unique across connections logging moves at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "policy.h"
#include "store.h"
#include "util.h"

static char dir[] = "/tmp/smoothfsd-store.XXXXXX";
static char db[256];

static int setup(void **state)
{
	assert_non_null(mkdtemp(strcpy(dir, "/tmp/smoothfsd-store.XXXXXX")));
	snprintf(db, sizeof(db), "%s/state.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Runs SQL on the database directly, as another program would. */
static void raw_exec(const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static int raw_int(const char *sql)
{
	sqlite3_stmt *st;
	sqlite3 *h;
	int v;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void test_fresh_wal(void **state)
{
	char mode[16], path[300];
	Store *s = NULL;
	struct stat st;

	assert_int_equal(store_open(db, &s), 0);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_true(store_schema_latest() >= 2);
	assert_int_equal(store_journal_mode(s, mode, sizeof(mode)), 0);
	assert_string_equal(mode, "wal");
	assert_int_equal(store_object_set_heat(s, "p", "00", 1.5, 7), 0);
	snprintf(path, sizeof(path), "%s-wal", db);
	assert_int_equal(stat(path, &st), 0);
	store_close(s);
	/* Opening again is a no-op migration. */
	assert_int_equal(store_open(db, &s), 0);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	store_close(s);
	assert_int_equal(raw_int("SELECT COUNT(*) FROM schema_version"), 1);
}

/* The tables exactly as schema version 1 created them. */
static const char schema_v1[] =
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES (1);"
	"CREATE TABLE pools (name TEXT PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,"
	"  mountpoint TEXT NOT NULL, unit_path TEXT NOT NULL DEFAULT '', tiers TEXT NOT NULL,"
	"  created_usec INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE objects (oid TEXT NOT NULL, pool TEXT NOT NULL, path TEXT,"
	"  size INTEGER NOT NULL DEFAULT 0, tier INTEGER, heat REAL NOT NULL DEFAULT 0,"
	"  heat_ts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (pool, oid));"
	"CREATE TABLE moves (id INTEGER PRIMARY KEY AUTOINCREMENT, pool TEXT NOT NULL,"
	"  oid TEXT NOT NULL, seq INTEGER NOT NULL, from_tier INTEGER, to_tier INTEGER NOT NULL,"
	"  state TEXT NOT NULL, size INTEGER NOT NULL DEFAULT 0,"
	"  started_usec INTEGER NOT NULL DEFAULT 0, finished_usec INTEGER);"
	"INSERT INTO pools (name, uuid, mountpoint, unit_path, tiers) VALUES"
	"  ('tank', '6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01', '/mnt/smoothfs/tank',"
	"   '/etc/systemd/system/mnt-smoothfs-tank.mount', '/srv/a\n/srv/b');"
	"INSERT INTO objects (oid, pool, heat, heat_ts) VALUES ('0a', 'tank', 42.0, 9);"
	"INSERT INTO moves (pool, oid, seq, from_tier, to_tier, state, size, finished_usec)"
	"  VALUES ('tank', '0a', 5, 1, 0, 'done', 4096, 10);"
	"INSERT INTO moves (pool, oid, seq, from_tier, to_tier, state, size)"
	"  VALUES ('tank', '0b', 6, 0, 1, 'planned', 7);";

static void test_migrate_from_v1(void **state)
{
	struct store_pool *pools = NULL;
	struct store_move_counters c;
	Store *s = NULL;
	size_t n = 0;
	double heat;
	uint64_t seq;

	raw_exec(schema_v1);
	assert_int_equal(store_open(db, &s), 0);
	assert_int_equal(store_schema_version(s), store_schema_latest());

	assert_int_equal(store_pool_list(s, &pools, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pools[0].name, "tank");
	assert_string_equal(pools[0].uuid, "6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01");
	assert_int_equal(strv_length(pools[0].tiers), 2);
	assert_string_equal(pools[0].tiers[1], "/srv/b");
	assert_int_equal(pools[0].spill_count, 0);
	store_pool_free_array(pools, n);

	assert_int_equal(store_object_get_heat(s, "tank", "0a", &heat), 0);
	assert_true(heat == 42.0);
	assert_int_equal(store_move_counters(s, "tank", &c), 0);
	assert_int_equal(c.completed, 1);
	assert_int_equal(c.bytes, 4096);
	{
		struct store_open_move *om = NULL;
		size_t n_open = 0;

		/* version 3's path: none for a move logged before it */
		assert_int_equal(store_move_list_open(s, "tank", &om, &n_open), 0);
		assert_int_equal(n_open, 1);
		assert_string_equal(om[0].oid, "0b");
		assert_int_equal(om[0].to_tier, 1);
		assert_int_equal(om[0].size, 7);
		assert_null(om[0].path);
		store_open_moves_free(om, n_open);
	}
	assert_int_equal(store_move_begin(s, "tank", "0c", "c", 0, 1, 3, &seq), 0);
	assert_true(seq > 6);
	/* version 2's additions work on the migrated data */
	assert_int_equal(store_object_set_pin(s, "tank", "0a", "f", "pin_hot"), 0);
	assert_int_equal(store_pool_add_spill(s, "tank"), 0);
	store_close(s);
	assert_int_equal(raw_int("SELECT COUNT(*) FROM objects WHERE pin = 'pin_hot'"), 1);
	assert_int_equal(raw_int("SELECT spill_count FROM pools"), 1);
	assert_int_equal(raw_int("SELECT MAX(version) FROM schema_version"),
			 store_schema_latest());
}

static void test_newer_schema_refused(void **state)
{
	Store *s = NULL;

	raw_exec("CREATE TABLE schema_version (version INTEGER NOT NULL);"
		 "INSERT INTO schema_version VALUES (99);"
		 "CREATE TABLE future (x INTEGER);");
	assert_int_equal(store_open(db, &s), -EPROTO);
	assert_null(s);
	assert_int_equal(raw_int("SELECT MAX(version) FROM schema_version"), 99);
	assert_int_equal(raw_int("SELECT COUNT(*) FROM sqlite_master WHERE name = 'pools'"), 0);
}

static void test_not_a_database(void **state)
{
	static const char junk[] = "this is not an SQLite database, not at all.............";
	char back[sizeof(junk)] = "";
	Store *s = NULL;
	FILE *f;

	f = fopen(db, "w");
	assert_non_null(f);
	fwrite(junk, 1, sizeof(junk) - 1, f);
	fclose(f);
	assert_int_equal(store_open(db, &s), -EBADMSG);
	f = fopen(db, "r");
	assert_non_null(f);
	assert_int_equal(fread(back, 1, sizeof(back) - 1, f), sizeof(junk) - 1);
	fclose(f);
	assert_string_equal(back, junk);
}

static void test_unwritable(void **state)
{
	Store *s = NULL;
	char path[300];

	snprintf(path, sizeof(path), "%s/missing-dir/state.db", dir);
	assert_true(store_open(path, &s) < 0);
	assert_null(s);
}

static void test_pools_policy_moves(void **state)
{
	char *tiers[] = { "/srv/a", "/srv/b", "/srv/c", NULL };
	struct store_pool p = {
		.name = "tank", .uuid = "6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01",
		.mountpoint = "/mnt/t", .unit_path = "", .tiers = tiers,
	};
	char *keys[] = { "target_fill", "enabled" };
	char *values[] = { "50", "0" };
	_cleanup_strv_free_ char **k = NULL, **v = NULL;
	struct store_pool *pools = NULL;
	struct store_move_counters c;
	uint64_t seq, seq2, seq3, open_n;
	Store *s = NULL;
	size_t n = 0;

	assert_int_equal(store_open(db, &s), 0);
	assert_int_equal(store_pool_save(s, &p), 0);
	p.mountpoint = "/mnt/u";
	assert_int_equal(store_pool_save(s, &p), 0);	/* update, not a second row */
	assert_int_equal(store_policy_set(s, "tank", keys, values, 2), 0);

	assert_int_equal(store_move_begin(s, "tank", "0a", "dir/a b", 1, 0, 100, &seq), 0);
	assert_true(seq >= now_usec(CLOCK_REALTIME) - 60000000ULL);
	assert_int_equal(store_move_open_count(s, "tank", &open_n), 0);
	assert_int_equal(open_n, 1);
	{
		struct store_open_move *om = NULL;
		size_t n_open = 0;

		assert_int_equal(store_move_list_open(s, "tank", &om, &n_open), 0);
		assert_int_equal(n_open, 1);
		assert_string_equal(om[0].oid, "0a");
		assert_int_equal(om[0].seq, seq);
		assert_int_equal(om[0].to_tier, 0);
		assert_int_equal(om[0].size, 100);
		assert_string_equal(om[0].path, "dir/a b");
		store_open_moves_free(om, n_open);
	}
	assert_int_equal(store_move_update(s, "tank", seq, "copying", 0, NULL), 0);
	assert_int_equal(store_move_open_count(s, "tank", &open_n), 0);
	assert_int_equal(open_n, 1);
	assert_int_equal(store_move_update(s, "tank", seq, "done", 1, NULL), 0);
	assert_int_equal(store_move_begin(s, "tank", "0b", NULL, 0, 1, 7, &seq2), 0);
	assert_true(seq2 > seq);
	assert_int_equal(store_move_update(s, "tank", seq2, "failed", 1, "ESTALE"), 0);
	assert_int_equal(store_move_begin(s, "tank", "0c", "c", 0, 1, 9, &seq3), 0);
	assert_true(seq3 > seq2);
	assert_int_equal(store_move_update(s, "tank", seq3, "aborted", 1, "restart"), 0);
	store_close(s);

	/* everything is there after reopening */
	assert_int_equal(store_open(db, &s), 0);
	assert_int_equal(store_pool_list(s, &pools, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pools[0].mountpoint, "/mnt/u");
	assert_int_equal(strv_length(pools[0].tiers), 3);
	assert_string_equal(pools[0].tiers[2], "/srv/c");
	store_pool_free_array(pools, n);
	assert_int_equal(store_policy_get(s, "tank", &k, &v), 0);
	assert_int_equal(strv_length(k), 2);
	assert_string_equal(k[0], "enabled");
	assert_string_equal(v[0], "0");
	assert_int_equal(store_move_counters(s, "tank", &c), 0);
	assert_int_equal(c.completed, 1);
	assert_int_equal(c.failed, 2);		/* failed and aborted */
	assert_int_equal(c.bytes, 100);
	assert_int_equal(store_move_open_count(s, "tank", &open_n), 0);
	assert_int_equal(open_n, 0);

	/* deleting forgets pool and policy but keeps the move log */
	assert_int_equal(store_pool_delete(s, "tank"), 0);
	assert_int_equal(store_pool_list(s, &pools, &n), 0);
	assert_int_equal(n, 0);
	store_pool_free_array(pools, n);
	strv_free(k);
	strv_free(v);
	k = v = NULL;
	assert_int_equal(store_policy_get(s, "tank", &k, &v), 0);
	assert_int_equal(strv_length(k), 0);
	assert_int_equal(store_move_counters(s, "tank", &c), 0);
	assert_int_equal(c.completed, 1);
	store_close(s);
}

#define SEQ_THREADS 4
#define SEQ_MOVES 50

struct seq_thread {
	pthread_barrier_t *start;
	uint64_t seq[SEQ_MOVES];
	int r;
};

/* One connection logging moves as fast as it can (no cmocka asserts off the main thread). */
static void *seq_thread_main(void *arg)
{
	struct seq_thread *t = arg;
	Store *s = NULL;

	t->r = store_open(db, &s);
	pthread_barrier_wait(t->start);
	for (size_t i = 0; i < SEQ_MOVES && t->r >= 0; i++)
		t->r = store_move_begin(s, "tank", "0a", "a", 1, 0, 1, &t->seq[i]);
	store_close(s);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Moves logged at once on separate connections (the engine's movers,
 * Pool.Move on the event loop) never share a sequence.  A logged seq ahead
 * of the clock makes MAX(seq) + 1 decide, as after many moves in one
 * microsecond: a read of MAX apart from the insert would hand it out twice.
 */
static void test_move_seq_concurrent(void **state)
{
	static struct seq_thread t[SEQ_THREADS];
	uint64_t all[SEQ_THREADS * SEQ_MOVES], ahead = now_usec(CLOCK_REALTIME) + 3600000000ULL;
	pthread_t th[SEQ_THREADS];
	pthread_barrier_t start;
	char sql[200];
	Store *s = NULL;

	assert_int_equal(store_open(db, &s), 0);
	store_close(s);
	snprintf(sql, sizeof(sql), "INSERT INTO moves (pool, oid, seq, to_tier, state) "
		 "VALUES ('tank', '00', %" PRIu64 ", 0, 'done')", ahead);
	raw_exec(sql);
	assert_int_equal(pthread_barrier_init(&start, NULL, SEQ_THREADS), 0);
	for (size_t i = 0; i < SEQ_THREADS; i++) {
		t[i] = (struct seq_thread){ .start = &start };
		assert_int_equal(pthread_create(&th[i], NULL, seq_thread_main, &t[i]), 0);
	}
	for (size_t i = 0; i < SEQ_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&start);
	for (size_t i = 0; i < SEQ_THREADS; i++) {
		assert_int_equal(t[i].r, 0);
		for (size_t k = 0; k < SEQ_MOVES; k++) {
			/* increasing within one connection, beyond what was logged */
			assert_true(t[i].seq[k] > (k ? t[i].seq[k - 1] : ahead));
			all[i * SEQ_MOVES + k] = t[i].seq[k];
		}
	}
	qsort(all, ELEMENTSOF(all), sizeof(all[0]), cmp_u64);
	for (size_t k = 1; k < ELEMENTSOF(all); k++)
		assert_true(all[k] > all[k - 1]);
	assert_int_equal(raw_int("SELECT COUNT(DISTINCT seq) FROM moves WHERE pool = 'tank'"),
			 SEQ_THREADS * SEQ_MOVES + 1);
}

/* A heat snapshot replaces the last one; pins outlive it; junk rows are skipped. */
static void test_heat_snapshot(void **state)
{
	struct store_heat rows[3] = {
		{ .oid = "0190a1b2c3d47e5f8a9b0c1d2e3f4a01", .heat = 2.5, .ts_ns = 100 },
		{ .oid = "0190a1b2c3d47e5f8a9b0c1d2e3f4a02", .heat = 7.0, .ts_ns = 100 },
		{ .oid = "0190a1b2c3d47e5f8a9b0c1d2e3f4a03", .heat = 1.0, .ts_ns = 100 },
	};
	struct store_heat *got = NULL;
	size_t n = 9;
	double heat;
	Store *s = NULL;

	(void)state;
	assert_int_equal(store_open(db, &s), 0);
	assert_int_equal(store_heat_load(s, "tank", &got, &n), 0);
	assert_int_equal(n, 0);
	free(got);
	assert_int_equal(store_object_set_pin(s, "tank", rows[2].oid, "/a", "pin_hot"), 0);
	assert_int_equal(store_heat_save(s, "tank", rows, 3), 0);
	assert_int_equal(store_heat_save(s, "other", rows, 1), 0);
	assert_int_equal(store_heat_load(s, "tank", &got, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(got[0].oid, rows[1].oid);	/* hottest first */
	assert_true(got[0].heat == 7.0);
	assert_int_equal(got[0].ts_ns, 100);
	assert_string_equal(got[2].oid, rows[2].oid);
	free(got);

	/* The next snapshot forgets what cooled off, but not the pin. */
	rows[1].heat = 3.0;
	assert_int_equal(store_heat_save(s, "tank", &rows[1], 1), 0);
	assert_int_equal(store_heat_load(s, "tank", &got, &n), 0);
	assert_int_equal(n, 1);
	assert_true(got[0].heat == 3.0);
	free(got);
	assert_int_equal(raw_int("SELECT COUNT(*) FROM objects WHERE pool = 'tank'"), 2);
	assert_int_equal(raw_int("SELECT COUNT(*) FROM objects WHERE pin = 'pin_hot'"), 1);
	assert_int_equal(store_object_get_heat(s, "tank", rows[2].oid, &heat), 0);
	assert_true(heat == 0);
	/* Other pools are untouched. */
	assert_int_equal(store_heat_load(s, "other", &got, &n), 0);
	assert_int_equal(n, 1);
	free(got);

	/* A row that is no OID (a hand-edited database) is skipped. */
	assert_int_equal(store_object_set_heat(s, "tank", "zz", 9.0, 1), 0);
	assert_int_equal(store_heat_load(s, "tank", &got, &n), 0);
	assert_int_equal(n, 1);
	free(got);
	store_close(s);
}

static void test_duplicate_uuid(void **state)
{
	char *tiers[] = { "/srv/a", NULL };
	struct store_pool a = { .name = "a", .uuid = "6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01",
				.mountpoint = "/m/a", .unit_path = "", .tiers = tiers };
	struct store_pool b = a;
	Store *s = NULL;

	b.name = "b";
	assert_int_equal(store_open(db, &s), 0);
	assert_int_equal(store_pool_save(s, &a), 0);
	assert_int_equal(store_pool_save(s, &b), -EEXIST);
	store_close(s);
}

static void test_stored_policy_checked(void **state)
{
	char *keys[] = { "target_fill", "bogus", "interval_sec", "max_concurrent", "quiet_hours",
			 "high_watermark", NULL };
	char *values[] = { "70", "1", "-5", "9999", "22:00-06:30", "85", NULL };
	char *bad_keys[] = { "low_watermark", NULL };
	char *bad_values[] = { "95", NULL };
	struct smoothfsd_policy p;
	_cleanup_strv_free_ char **k = NULL, **v = NULL;

	policy_init(&p);
	policy_from_strings(&p, keys, values);
	assert_int_equal(p.target_fill, 70);
	assert_int_equal(p.high_watermark, 85);
	assert_int_equal(p.interval_sec, 300);		/* "-5" ignored */
	assert_int_equal(p.max_concurrent, 2);		/* out of range ignored */
	assert_true(p.quiet_hours);
	assert_int_equal(p.quiet_start_min, 22 * 60);
	assert_int_equal(p.quiet_end_min, 6 * 60 + 30);

	/* a consistent set or nothing: low above high keeps what was there */
	policy_from_strings(&p, bad_keys, bad_values);
	assert_int_equal(p.low_watermark, 75);

	/* text round trip */
	assert_int_equal(policy_to_strings(&p, &k, &v), 0);
	{
		_cleanup_strv_free_ char **k2 = NULL, **v2 = NULL;
		struct smoothfsd_policy q;

		policy_init(&q);
		policy_from_strings(&q, k, v);
		assert_int_equal(policy_to_strings(&q, &k2, &v2), 0);
		for (size_t i = 0; k[i]; i++) {
			assert_string_equal(k[i], k2[i]);
			assert_string_equal(v[i], v2[i]);
		}
		assert_int_equal(q.quiet_end_min, 6 * 60 + 30);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pools_policy_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_uuid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heat_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_seq_concurrent, setup, teardown),
		cmocka_unit_test(test_stored_policy_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
