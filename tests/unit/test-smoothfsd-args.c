// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smoothfsd's argument checks without a bus: option dictionaries built
 * as real sd-bus messages (unknown keys, wrong types, repeats, too many
 * entries), policy keys and their ranges, the errno -> D-Bus error
 * mapping, paths resolved beneath a pool's mountpoint (.., symlinks,
 * prefixes, special files), mountinfo parsing, and kernel events applied
 * to pools and the store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/fsuid.h>
#include <sys/stat.h>

#include "caller.h"
#include "errors.h"
#include "events.h"
#include "mount-table.h"
#include "options.h"
#include "policy.h"
#include "pool-object.h"
#include "util.h"

/* --- messages ------------------------------------------------------------ */

static sd_bus *bus;
static int fds[2];

static int bus_setup(void **state)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	assert_int_equal(sd_bus_new(&bus), 0);
	assert_int_equal(sd_bus_set_fd(bus, fds[0], fds[0]), 0);
	assert_int_equal(sd_bus_start(bus), 0);
	return 0;
}

static int bus_teardown(void **state)
{
	bus = sd_bus_close_unref(bus);
	close(fds[1]);
	return 0;
}

/* A sealed method call whose body is an a{sv} built by @fill, ready to read. */
static sd_bus_message *dict(void (*fill)(sd_bus_message *m))
{
	sd_bus_message *m = NULL;

	assert_int_equal(sd_bus_message_new_method_call(bus, &m, "org.smoothfs1", "/x",
							"org.smoothfs1.Pool", "SetPolicy"), 0);
	assert_int_equal(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
	fill(m);
	assert_int_equal(sd_bus_message_close_container(m), 0);
	assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
	assert_true(sd_bus_message_rewind(m, true) >= 0);
	return m;
}

static void fill_empty(sd_bus_message *m)
{
}

static void fill_auth(sd_bus_message *m)
{
	assert_true(sd_bus_message_append(m, "{sv}", "auth.no_user_interaction", "b", 1) >= 0);
}

static void fill_auth_wrong_type(sd_bus_message *m)
{
	assert_true(sd_bus_message_append(m, "{sv}", "auth.no_user_interaction", "s", "yes") >= 0);
}

static void fill_unknown(sd_bus_message *m)
{
	assert_true(sd_bus_message_append(m, "{sv}", "auth.no_user_interactio", "b", 1) >= 0);
}

static void fill_repeat(sd_bus_message *m)
{
	fill_auth(m);
	fill_auth(m);
}

static void fill_many(sd_bus_message *m)
{
	for (int i = 0; i <= SMOOTHFSD_OPTIONS_MAX; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		assert_true(sd_bus_message_append(m, "{sv}", k, "b", 1) >= 0);
	}
}

static void fill_policy(sd_bus_message *m)
{
	assert_true(sd_bus_message_append(m, "{sv}", "target_fill", "y", 60) >= 0);
	assert_true(sd_bus_message_append(m, "{sv}", "quiet_hours", "s", "01:00-05:00") >= 0);
	assert_true(sd_bus_message_append(m, "{sv}", "max_bytes_per_sec", "t",
					  (uint64_t)1 << 40) >= 0);
	assert_true(sd_bus_message_append(m, "{sv}", "enabled", "b", 0) >= 0);
}

static void fill_policy_range(sd_bus_message *m)
{
	assert_true(sd_bus_message_append(m, "{sv}", "max_concurrent", "u", 65) >= 0);
}

static void fill_policy_type(sd_bus_message *m)
{
	assert_true(sd_bus_message_append(m, "{sv}", "interval_sec", "t", (uint64_t)60) >= 0);
}

static void fill_policy_quiet(sd_bus_message *m)
{
	assert_true(sd_bus_message_append(m, "{sv}", "quiet_hours", "s", "01:00-05:0x") >= 0);
}

static void fill_policy_nested(sd_bus_message *m)
{
	assert_true(sd_bus_message_append(m, "{sv}", "target_fill", "ay", 1, 60) >= 0);
}

static int read_auth(void (*fill)(sd_bus_message *m), struct auth_options *o, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = dict(fill);

	return bus_read_options(m, auth_option_handler, o, e);
}

static int accept_any(const char *key, const char *sig, sd_bus_message *m, void *userdata,
		      sd_bus_error *e)
{
	return option_read_bool(key, sig, m, userdata, e);
}

static void test_options(void **state)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct auth_options o = {};

	assert_int_equal(read_auth(fill_empty, &o, &e), 0);
	assert_false(o.no_user_interaction);
	assert_int_equal(read_auth(fill_auth, &o, &e), 0);
	assert_true(o.no_user_interaction);

	o.no_user_interaction = false;
	assert_int_equal(read_auth(fill_auth_wrong_type, &o, &e), -EINVAL);
	assert_string_equal(e.name, SMOOTHFS_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.message, "boolean"));
	sd_bus_error_free(&e);
	assert_int_equal(read_auth(fill_unknown, &o, &e), -EINVAL);
	assert_non_null(strstr(e.message, "unknown option"));
	sd_bus_error_free(&e);
	assert_int_equal(read_auth(fill_repeat, &o, &e), -EINVAL);
	assert_non_null(strstr(e.message, "twice"));
	sd_bus_error_free(&e);
	/* unknown keys fail first; a handler that takes any key meets the cap */
	assert_int_equal(read_auth(fill_many, &o, &e), -EINVAL);
	sd_bus_error_free(&e);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = dict(fill_many);
		bool seen = false;

		assert_int_equal(bus_read_options(m, accept_any, &seen, &e), -E2BIG);
		assert_string_equal(e.name, SMOOTHFS_ERROR_INVALID_ARGUMENT);
		sd_bus_error_free(&e);
	}
}

static int policy_handler(const char *key, const char *sig, sd_bus_message *m, void *userdata,
			  sd_bus_error *e)
{
	return policy_apply_option(userdata, key, sig, m, e);
}

static int read_policy(void (*fill)(sd_bus_message *m), struct smoothfsd_policy *p,
		       sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = dict(fill);

	return bus_read_options(m, policy_handler, p, e);
}

static void test_policy(void **state)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct smoothfsd_policy p, orig;

	policy_init(&p);
	assert_int_equal(policy_check(&p, &e), 0);
	assert_int_equal(read_policy(fill_policy, &p, &e), 0);
	assert_int_equal(p.target_fill, 60);
	assert_true(p.quiet_hours);
	assert_int_equal(p.quiet_start_min, 60);
	assert_int_equal(p.quiet_end_min, 300);
	assert_int_equal(p.max_bytes_per_sec, (uint64_t)1 << 40);
	assert_false(p.enabled);

	orig = p;
	assert_int_equal(read_policy(fill_policy_range, &p, &e), -ERANGE);
	assert_string_equal(e.name, SMOOTHFS_ERROR_INVALID_ARGUMENT);
	sd_bus_error_free(&e);
	assert_int_equal(read_policy(fill_policy_type, &p, &e), -EINVAL);
	sd_bus_error_free(&e);
	assert_int_equal(read_policy(fill_policy_quiet, &p, &e), -EINVAL);
	sd_bus_error_free(&e);
	assert_int_equal(read_policy(fill_policy_nested, &p, &e), -EINVAL);
	sd_bus_error_free(&e);
	assert_int_equal(p.max_concurrent, orig.max_concurrent);
	assert_int_equal(p.interval_sec, orig.interval_sec);

	p.low_watermark = p.high_watermark;
	assert_int_equal(policy_check(&p, &e), -EINVAL);
	sd_bus_error_free(&e);
	p = orig;
	p.target_fill = p.high_watermark + 1;
	assert_int_equal(policy_check(&p, &e), -EINVAL);
	sd_bus_error_free(&e);
	assert_true(policy_key_known("high_watermark"));
	assert_false(policy_key_known("auth.no_user_interaction"));
}

/* --- errors ------------------------------------------------------------------ */

static void test_errors(void **state)
{
	static const struct {
		int err;
		const char *name;
	} map[] = {
		{ EINVAL, SMOOTHFS_ERROR_INVALID_ARGUMENT },
		{ E2BIG, SMOOTHFS_ERROR_INVALID_ARGUMENT },
		{ ERANGE, SMOOTHFS_ERROR_INVALID_ARGUMENT },
		{ EXDEV, SMOOTHFS_ERROR_INVALID_ARGUMENT },
		{ ELOOP, SMOOTHFS_ERROR_INVALID_ARGUMENT },
		{ ENAMETOOLONG, SMOOTHFS_ERROR_INVALID_ARGUMENT },
		{ ENOENT, SMOOTHFS_ERROR_NOT_FOUND },
		{ EEXIST, SMOOTHFS_ERROR_ALREADY_EXISTS },
		{ EBUSY, SMOOTHFS_ERROR_BUSY },
		{ ESTALE, SMOOTHFS_ERROR_BUSY },
		{ EALREADY, SMOOTHFS_ERROR_BUSY },
		{ ENOPKG, SMOOTHFS_ERROR_NOT_LOADED },
		{ EACCES, SD_BUS_ERROR_ACCESS_DENIED },
		{ EPERM, SD_BUS_ERROR_ACCESS_DENIED },
		{ EIO, SMOOTHFS_ERROR_FAILED },
		{ ENOSPC, SMOOTHFS_ERROR_FAILED },
		{ EHOSTDOWN, SMOOTHFS_ERROR_FAILED },
	};
	sd_bus_error e = SD_BUS_ERROR_NULL;

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		assert_string_equal(smoothfs_error_name(-map[i].err), map[i].name);
	assert_int_equal(smoothfs_error(&e, -ENOENT, "no pool %s", "x"), -ENOENT);
	assert_string_equal(e.name, SMOOTHFS_ERROR_NOT_FOUND);
	assert_string_equal(e.message, "no pool x");
	sd_bus_error_free(&e);
	/*
	 * A caller's string cut inside a character ("\xe2\x98" of U+2603),
	 * and bytes that are never UTF-8, become '?': the message stays
	 * sendable (sd-bus refuses invalid UTF-8 and the call would hang).
	 */
	assert_int_equal(smoothfs_error(&e, -EINVAL, "pin \"%.7s\"", "snow \xe2\x98\x83"), -EINVAL);
	assert_string_equal(e.message, "pin \"snow ??\"");
	sd_bus_error_free(&e);
	{
		static const struct {
			const char *in, *out;
		} cases[] = {
			{ "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x92\xbe", "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x92\xbe" },
			{ "\xc0\xaf", "??" },			/* overlong '/' */
			{ "\xed\xa0\x80", "???" },		/* a surrogate */
			{ "\xf4\x90\x80\x80", "????" },	/* beyond U+10FFFF */
			{ "\xff\xfe x", "?? x" },
			{ "a\xe2", "a?" },			/* cut at the end */
		};
		char buf[32];

		for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
			snprintf(buf, sizeof(buf), "%s", cases[i].in);
			utf8_make_valid(buf);
			assert_string_equal(buf, cases[i].out);
		}
	}
	/* success is never reported as an error */
	assert_int_equal(smoothfs_error(&e, 0, "odd"), -EIO);
	assert_string_equal(e.name, SMOOTHFS_ERROR_FAILED);
	sd_bus_error_free(&e);
	/* the map names round-trip to errno for clients */
	assert_true(sd_bus_error_add_map(smoothfs_error_map) >= 0);
	sd_bus_error_set(&e, SMOOTHFS_ERROR_NOT_LOADED, "x");
	assert_int_equal(sd_bus_error_get_errno(&e), ENOPKG);
	sd_bus_error_free(&e);
}

/* --- paths ------------------------------------------------------------------------ */

static char dir[] = "/tmp/smoothfsd-args.XXXXXX";

static int dir_setup(void **state)
{
	char p[PATH_MAX];

	assert_non_null(mkdtemp(strcpy(dir, "/tmp/smoothfsd-args.XXXXXX")));
#define MK(fmt, ...) (snprintf(p, sizeof(p), fmt, dir, ##__VA_ARGS__), p)
	assert_int_equal(mkdir(MK("%s/mnt"), 0755), 0);
	assert_int_equal(mkdir(MK("%s/mnt/tank"), 0755), 0);
	assert_int_equal(mkdir(MK("%s/mnt/tankx"), 0755), 0);
	assert_int_equal(mkdir(MK("%s/mnt/tank/d"), 0755), 0);
	close(open(MK("%s/mnt/tank/d/f"), O_CREAT | O_WRONLY, 0644));
	close(open(MK("%s/mnt/tankx/f"), O_CREAT | O_WRONLY, 0644));
	close(open(MK("%s/secret"), O_CREAT | O_WRONLY, 0600));
	assert_int_equal(symlink("/etc", MK("%s/mnt/tank/abs")), 0);
	assert_int_equal(symlink("../../secret", MK("%s/mnt/tank/up")), 0);
	assert_int_equal(symlink("d/f", MK("%s/mnt/tank/rel")), 0);
	assert_int_equal(symlink("d", MK("%s/mnt/tank/reldir")), 0);
	assert_int_equal(mkfifo(MK("%s/mnt/tank/fifo"), 0644), 0);
#undef MK
	return 0;
}

static int dir_teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int open_as(Pool *p, const struct caller_identity *as, const char *sub, char **rel)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char path[PATH_MAX * 2];
	int fd = -1, r;

	if (sub[0] == '/' || !sub[0])
		snprintf(path, sizeof(path), "%s", sub);
	else
		snprintf(path, sizeof(path), "%s/mnt/%s", dir, sub);
	r = pool_open_path(p, path, as, &fd, rel, &e);
	if (r < 0) {
		assert_int_equal(fd, -1);
		assert_true(sd_bus_error_is_set(&e));
	} else {
		close(fd);
	}
	sd_bus_error_free(&e);
	return r;
}

static int open_in(Pool *p, const char *sub, char **rel)
{
	return open_as(p, NULL, sub, rel);
}

static void test_paths(void **state)
{
	char *tiers[] = { "/srv/a", NULL };
	smoothfs_uuid_t u = {};
	char mnt[PATH_MAX], big[PATH_MAX + 10];
	char *rel = NULL;
	Pool *p = NULL;

	snprintf(mnt, sizeof(mnt), "%s/mnt/tank", dir);
	assert_int_equal(pool_new(NULL, "tank", &u, mnt, "", tiers, &p), 0);
	assert_string_equal(p->object_path, "/org/smoothfs1/pool/tank");

	assert_int_equal(open_in(p, "tank/d/f", &rel), 0);
	assert_string_equal(rel, "d/f");
	free(rel);
	assert_int_equal(open_in(p, "tank", &rel), 0);
	assert_string_equal(rel, ".");
	free(rel);
	assert_int_equal(open_in(p, "tank/d/../d/f", NULL), 0);
	assert_int_equal(open_in(p, "tank/reldir/f", NULL), 0);	/* symlink staying inside */

	assert_int_equal(open_in(p, "tank/../tankx/f", NULL), -EXDEV);
	assert_int_equal(open_in(p, "tank/d/../../../secret", NULL), -EXDEV);
	assert_int_equal(open_in(p, "tank/up", NULL), -ELOOP);		/* final symlink */
	assert_int_equal(open_in(p, "tank/abs/passwd", NULL), -EXDEV);
	assert_int_equal(open_in(p, "tank/rel", NULL), -ELOOP);
	assert_int_equal(open_in(p, "tankx/f", NULL), -EXDEV);
	assert_int_equal(open_in(p, "/etc/passwd", NULL), -EXDEV);
	assert_int_equal(open_in(p, "relative", NULL), -EXDEV);
	assert_int_equal(open_in(p, "", NULL), -EINVAL);
	assert_int_equal(open_in(p, "tank/missing", NULL), -ENOENT);
	assert_int_equal(open_in(p, "tank/fifo", NULL), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(open_in(p, big, NULL), -ENAMETOOLONG);

	free(p->mountpoint);
	p->mountpoint = strdup("");
	assert_int_equal(open_in(p, "tank/d/f", NULL), -ENOENT);
	pool_free(p);
}

/*
 * Paths walked as an unprivileged caller stop where that caller may not
 * search, group membership counts, and the thread is root again after.
 */
static void test_paths_as_caller(void **state)
{
	char *tiers[] = { "/srv/a", NULL };
	gid_t club = 4242, before[64], after[64];
	struct caller_identity nobody = { .uid = 65534, .gid = 65534 };
	struct caller_identity member = { .uid = 65534, .gid = 65534, .groups = &club,
					  .n_groups = 1 };
	char mnt[PATH_MAX], p[PATH_MAX];
	smoothfs_uuid_t u = {};
	int n_before, n_after;
	Pool *pool = NULL;

	if (geteuid() != 0)
		skip();
	snprintf(mnt, sizeof(mnt), "%s/mnt/tank", dir);
	assert_int_equal(pool_new(NULL, "tank", &u, mnt, "", tiers, &pool), 0);
#define MK(fmt, ...) (snprintf(p, sizeof(p), fmt, dir, ##__VA_ARGS__), p)
	assert_int_equal(mkdir(MK("%s/mnt/tank/private"), 0700), 0);
	close(open(MK("%s/mnt/tank/private/f"), O_CREAT | O_WRONLY, 0644));
	assert_int_equal(mkdir(MK("%s/mnt/tank/club"), 0750), 0);
	assert_int_equal(chown(p, 0, club), 0);
	close(open(MK("%s/mnt/tank/club/f"), O_CREAT | O_WRONLY, 0644));
#undef MK
	n_before = getgroups(64, before);

	/* The mountpoint's own path is walked as the caller too (mkdtemp: 0700). */
	assert_int_equal(open_as(pool, &nobody, "tank/d/f", NULL), -EACCES);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(open_as(pool, &nobody, "tank/d/f", NULL), 0);
	assert_int_equal(open_as(pool, &nobody, "tank/private/f", NULL), -EACCES);
	assert_int_equal(open_as(pool, &nobody, "tank/private/missing", NULL), -EACCES);
	assert_int_equal(open_as(pool, &nobody, "tank/club/f", NULL), -EACCES);
	assert_int_equal(open_as(pool, &member, "tank/club/f", NULL), 0);
	assert_int_equal(open_as(pool, &member, "tank/private/f", NULL), -EACCES);
	/* The file itself need not be readable by the caller, only reachable. */
	snprintf(p, sizeof(p), "%s/mnt/tank/d/root-only", dir);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(open_as(pool, &nobody, "tank/d/root-only", NULL), 0);

	/* Root again, with its own groups. */
	assert_int_equal(setfsuid((uid_t)-1), 0);
	assert_int_equal(setfsgid((gid_t)-1), 0);
	n_after = getgroups(64, after);
	assert_int_equal(n_after, n_before);
	assert_memory_equal(after, before, sizeof(gid_t) * (n_before > 0 ? n_before : 0));
	assert_int_equal(open_in(pool, "tank/private/f", NULL), 0);
	pool_free(pool);
}

/* --- mountinfo and events -------------------------------------------------------------- */

static void test_mountinfo(void **state)
{
	smoothfs_uuid_t u, other;
	MountTable *t = NULL;
	char path[300];
	FILE *f;

	assert_int_equal(smoothfs_uuid_from_string("6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01", &u), 0);
	assert_int_equal(smoothfs_uuid_from_string("6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e02", &other),
			 0);
	snprintf(path, sizeof(path), "%s/mountinfo", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"40 22 0:50 / /mnt/other rw - smoothfs none rw,pool=o,"
		"uuid=6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e03\n"
		"41 22 0:51 / /mnt/my\\040pool rw shared:5 - smoothfs none rw,pool=tank,"
		"uuid=6B1F3A52-8F0E-4C43-9A38-0C3C1A2D9E01\n"
		"garbage line\n");
	fclose(f);
	assert_int_equal(mount_table_read(path, &t), 0);
	assert_string_equal(mount_table_find(t, &u), "/mnt/my pool");
	assert_null(mount_table_find(t, &other));
	mount_table_free(t);
	assert_int_equal(mount_table_read("/nonexistent/mountinfo", &t), -ENOENT);
}

/* One read of the table serves every pool; a bind mount keeps the first. */
static void test_mount_table(void **state)
{
	smoothfs_uuid_t u1, u2, u3;
	MountTable *t = NULL;
	char path[300];
	FILE *f;

	assert_int_equal(smoothfs_uuid_from_string("6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01", &u1), 0);
	assert_int_equal(smoothfs_uuid_from_string("6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e02", &u2), 0);
	assert_int_equal(smoothfs_uuid_from_string("6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e03", &u3), 0);
	snprintf(path, sizeof(path), "%s/mountinfo-table", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"40 22 0:50 / /srv/a rw - smoothfs none rw,pool=a,"
		"uuid=6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01\n"
		"41 22 0:51 / /srv/b rw - smoothfs none rw,uuid=6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e02,"
		"pool=b\n"
		"42 22 0:50 /sub /srv/a-bind rw - smoothfs none rw,pool=a,"
		"uuid=6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01\n"
		/* not smoothfs, however it is spelt */
		"43 22 0:52 / /srv/c rw - ext4 /dev/sdb uuid=6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e03\n"
		"44 22 0:53 / /srv/d rw - smoothfs none rw,pool=d,uuid=not-a-uuid\n"
		"45 22 0:54 / /srv/e rw - smoothfs none rw,pool=e\n"
		"46 22 /srv/f - smoothfs none rw,uuid=6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e03\n"
		"47 22 0:56 / /srv/g rw - smoothfs\n");
	fclose(f);
	assert_int_equal(mount_table_read(path, &t), 0);
	assert_int_equal(t->n, 2);
	assert_string_equal(mount_table_find(t, &u1), "/srv/a");
	assert_string_equal(mount_table_find(t, &u2), "/srv/b");
	assert_null(mount_table_find(t, &u3));
	mount_table_free(t);

	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(mount_table_read(path, &t), 0);
	assert_int_equal(t->n, 0);
	assert_null(mount_table_find(t, &u1));
	mount_table_free(t);
	assert_null(mount_table_free(NULL));
}

static void test_events(void **state)
{
	struct manager_config config = {};
	struct smoothfs_tier tiers[2] = { { .rank = 0, .path = "/srv/fast" },
					  { .rank = 1, .path = "/srv/slow" } };
	struct smoothfs_event ev = {};
	char db[300], path[300];
	Manager m = {};
	Pool *p;
	FILE *f;

	snprintf(db, sizeof(db), "%s/events.db", dir);
	snprintf(path, sizeof(path), "%s/mountinfo2", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "41 22 0:51 / /mnt/smoothfs/tank rw - smoothfs none rw,pool=tank,"
		"uuid=6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01\n");
	fclose(f);
	config.mountinfo = path;
	config.unit_dir = dir;
	m.config = config;
	{
		char unit[300];

		/* created through the service, but the database forgot it */
		snprintf(unit, sizeof(unit), "%s/mnt-smoothfs-tank.mount", dir);
		close(open(unit, O_CREAT | O_WRONLY, 0644));
	}
	assert_int_equal(store_open(db, &m.store), 0);

	/* a pool mounted by hand appears */
	ev.type = SMOOTHFS_EVENT_MOUNT_READY;
	assert_int_equal(smoothfs_uuid_from_string("6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01",
						   &ev.pool_uuid), 0);
	ev.pool_name = "tank";
	ev.tiers = tiers;
	ev.n_tiers = 2;
	events_dispatch(&m, &ev);
	assert_int_equal(m.n_pools, 1);
	p = m.pools;
	assert_string_equal(p->name, "tank");
	assert_string_equal(p->mountpoint, "/mnt/smoothfs/tank");
	assert_non_null(strstr(p->unit_path, "/mnt-smoothfs-tank.mount"));
	assert_int_equal(p->state, POOL_MOUNTED);
	assert_int_equal(strv_length(p->tiers), 2);
	assert_string_equal(p->tiers[1], "/srv/slow");

	/* again: no second pool */
	events_dispatch(&m, &ev);
	assert_int_equal(m.n_pools, 1);

	memset(&ev.spill, 0, sizeof(ev.spill));
	ev.type = SMOOTHFS_EVENT_SPILL;
	ev.spill.source_tier = 0;
	ev.spill.dest_tier = 1;
	ev.spill.size_bytes = 10;
	events_dispatch(&m, &ev);
	assert_int_equal(p->spill_count, 1);

	ev.type = SMOOTHFS_EVENT_TIER_FAULT;
	ev.tier.tier_rank = 1;
	events_dispatch(&m, &ev);
	assert_int_equal(p->state, POOL_DEGRADED);
	assert_int_equal(p->faulted_tiers, 2);

	ev.type = SMOOTHFS_EVENT_TIER_FAULT;
	ev.tier.tier_rank = 200;		/* out of range: signal only */
	events_dispatch(&m, &ev);
	assert_int_equal(p->faulted_tiers, 2);

	ev.type = SMOOTHFS_EVENT_POOL_UNMOUNTED;
	events_dispatch(&m, &ev);
	assert_int_equal(p->state, POOL_UNMOUNTED);
	assert_int_equal(p->faulted_tiers, 0);

	/* events of unknown pools change nothing */
	ev.type = SMOOTHFS_EVENT_SPILL;
	ev.pool_uuid.bytes[0] ^= 0xff;
	events_dispatch(&m, &ev);
	assert_int_equal(p->spill_count, 1);

	/* a MOUNT_READY without a name for an unknown pool is ignored */
	ev.type = SMOOTHFS_EVENT_MOUNT_READY;
	ev.pool_name = NULL;
	events_dispatch(&m, &ev);
	assert_int_equal(m.n_pools, 1);

	/* a pool mounted by hand: no unit */
	ev.pool_name = "hand";
	ev.pool_uuid.bytes[1] ^= 0xff;
	events_dispatch(&m, &ev);
	assert_int_equal(m.n_pools, 2);
	assert_string_equal(m.pools->next->unit_path, "");
	assert_string_equal(m.pools->next->mountpoint, "");
	/* not attached yet when its MOUNT_READY came: found once it is */
	assert_false(pool_refresh_mountpoint(m.pools->next));
	{
		char u[SMOOTHFS_UUID_STRING_MAX];

		smoothfs_uuid_to_string(&ev.pool_uuid, u);
		f = fopen(path, "a");
		assert_non_null(f);
		fprintf(f, "42 22 0:52 / /mnt/hand rw - smoothfs none rw,pool=hand,uuid=%s\n", u);
		fclose(f);
	}
	assert_true(pool_refresh_mountpoint(m.pools->next));
	assert_string_equal(m.pools->next->mountpoint, "/mnt/hand");
	/* an unmounted pool keeps the mountpoint it had */
	assert_false(pool_refresh_mountpoint(m.pools));

	/* too many tiers */
	ev.pool_name = "big";
	ev.n_tiers = SMOOTHFS_MAX_TIERS + 1;
	events_dispatch(&m, &ev);
	assert_int_equal(m.n_pools, 2);

	while (m.pools) {
		p = m.pools;
		m.pools = p->next;
		pool_free(p);
	}
	store_close(m.store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_options, bus_setup, bus_teardown),
		cmocka_unit_test_setup_teardown(test_policy, bus_setup, bus_teardown),
		cmocka_unit_test(test_errors),
		cmocka_unit_test_setup_teardown(test_paths, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_paths_as_caller, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_mountinfo, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_mount_table, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_events, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
