// SPDX-License-Identifier: GPL-2.0-only
/*
 * The managed-pool helpers of libsmoothfs that need no systemd: pool
 * names, tier lists (over real temporary directories), mountpoints, unit
 * names (against the real systemd-escape and against expected strings),
 * the rendered unit (against golden files, and systemd-analyze verify)
 * and the JSON form; plus the argument checks of create and destroy that
 * fail before the bus is touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

/* --- helpers -------------------------------------------------------------- */

/*
 * Run argv (no shell), capturing stdout and stderr.  Returns the exit
 * status, or -1 if it could not run or was killed.
 */
static int run_capture(char *const argv[], char **out, char **errout)
{
	int opipe[2], epipe[2], status;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	FILE *o, *e;
	size_t osz = 0, esz = 0;
	char *obuf = NULL, *ebuf = NULL;
	int fds[2];

	if (pipe2(opipe, O_CLOEXEC) < 0 || pipe2(epipe, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, opipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(opipe[0]), close(opipe[1]), close(epipe[0]), close(epipe[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(opipe[1]);
	close(epipe[1]);

	/* Outputs are small: read stdout to the end, then stderr. */
	o = open_memstream(&obuf, &osz);
	e = open_memstream(&ebuf, &esz);
	fds[0] = opipe[0];
	fds[1] = epipe[0];
	for (int i = 0; i < 2; i++) {
		char buf[4096];
		ssize_t n;

		while ((n = read(fds[i], buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, i ? e : o);
		close(fds[i]);
	}
	fclose(o);
	fclose(e);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		free(obuf);
		free(ebuf);
		return -1;
	}
	if (out)
		*out = obuf;
	else
		free(obuf);
	if (errout)
		*errout = ebuf;
	else
		free(ebuf);
	return WEXITSTATUS(status);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t sz = 0;
	FILE *m;
	int c;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &sz);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* s with every "@DIR@" replaced by dir (malloc'd). */
static char *subst(const char *s, const char *dir)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *m = open_memstream(&buf, &sz);

	while (*s) {
		if (strncmp(s, "@DIR@", 5) == 0) {
			fputs(dir, m);
			s += 5;
		} else {
			fputc(*s++, m);
		}
	}
	fclose(m);
	return buf;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh temporary directory with subdirectories. */
struct tmp {
	char dir[64];
};

static char *tpath(const struct tmp *t, const char *rel)
{
	char *s;

	assert_true(asprintf(&s, "%s/%s", t->dir, rel) > 0);
	return s;
}

static void tmp_setup(struct tmp *t, const char *const *dirs)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/smoothfs-test-pool-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	for (; dirs && *dirs; dirs++) {
		char *p = tpath(t, *dirs);

		assert_int_equal(mkdir(p, 0755), 0);
		free(p);
	}
}

/* --- pool names ---------------------------------------------------------- */

static void test_pool_names(void **state)
{
	char n63[64], n64[65];
	static const char *const good[] = {
		"a", "0", "tank", "media.2_x-y", "a-", "a.", "a_", "9lives", "a..b", "z0._-",
	};
	static const char *const bad[] = {
		"", "Tank", "tAnk", ".tank", "_tank", "-tank", "tank/a", "tank a", "tank:a",
		"tank,a", "t\xc3\xa9", "tank\n", "../x", "a\tb", "A",
	};

	memset(n63, 'a', 63);
	n63[63] = '\0';
	memset(n64, 'b', 64);
	n64[64] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		print_message("good %s\n", good[i]);
		assert_int_equal(smoothfs_validate_pool_name(good[i]), 0);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_int_equal(smoothfs_validate_pool_name(bad[i]), -EINVAL);
	assert_int_equal(smoothfs_validate_pool_name(n63), 0);
	assert_int_equal(smoothfs_validate_pool_name(n64), -EINVAL);
	assert_int_equal(smoothfs_validate_pool_name(NULL), -EINVAL);
}

/* --- tiers ------------------------------------------------------------------ */

static void expect_tiers(const char *const *tiers, size_t n, int want, const char *msg_part)
{
	char err[512] = "untouched";
	int r = smoothfs_validate_tiers(tiers, n, err, sizeof(err));

	print_message("tiers n=%zu -> %d (%s)\n", n, r, err);
	assert_int_equal(r, want);
	if (want == 0)
		assert_string_equal(err, "untouched");
	else if (msg_part)
		assert_non_null(strstr(err, msg_part));
}

static void test_validate_tiers(void **state)
{
	static const char *const dirs[] = { "ssd", "hdd", "ssd/inner", "t0", "t1", "t2", "t3",
					    "t4", "t5", "t6", "t7", "t8", NULL };
	struct tmp t;
	char *ssd, *hdd, *inner, *file, *link, *missing, *slash_ssd, *dots;
	char *many[9];
	char ebuf[8];

	tmp_setup(&t, dirs);
	ssd = tpath(&t, "ssd");
	hdd = tpath(&t, "hdd");
	inner = tpath(&t, "ssd/inner");
	file = tpath(&t, "file");
	link = tpath(&t, "link");
	missing = tpath(&t, "missing");
	slash_ssd = tpath(&t, "ssd/");
	dots = tpath(&t, "hdd/../ssd");
	write_file(file, "x");
	assert_int_equal(symlink(ssd, link), 0);
	for (int i = 0; i < 9; i++) {
		char rel[16];

		snprintf(rel, sizeof(rel), "t%d", i);
		many[i] = tpath(&t, rel);
	}

	{
		const char *v[] = { ssd };
		expect_tiers(v, 1, 0, NULL);
	}
	{
		const char *v[] = { ssd, hdd };
		expect_tiers(v, 2, 0, NULL);
	}
	expect_tiers((const char *const *)many, 8, 0, NULL);
	expect_tiers((const char *const *)many, 9, -E2BIG, "9 tiers");
	expect_tiers((const char *const *)many, 0, -EINVAL, "no tiers");
	expect_tiers(NULL, 0, -EINVAL, "no tiers");
	expect_tiers(NULL, 1, -EINVAL, NULL);
	{
		const char *v[] = { ssd, missing };
		expect_tiers(v, 2, -ENOENT, "tier 1");
		expect_tiers(v, 2, -ENOENT, "does not exist");
	}
	{
		const char *v[] = { file };
		expect_tiers(v, 1, -ENOTDIR, "is not a directory");
	}
	{
		const char *v[] = { "relative/dir" };
		expect_tiers(v, 1, -EINVAL, "not an absolute path");
	}
	{
		const char *v[] = { ssd, "" };
		expect_tiers(v, 2, -EINVAL, "tier 1 is empty");
	}
	{
		const char *v[] = { ssd, NULL };
		expect_tiers(v, 2, -EINVAL, "tier 1 is empty");
	}
	{
		const char *v[] = { "/tmp/a,b" };
		expect_tiers(v, 1, -EINVAL, "','");
	}
	{
		const char *v[] = { "/tmp/a:b" };
		expect_tiers(v, 1, -EINVAL, "':'");
	}
	{
		const char *v[] = { "/tmp/a\nb" };
		/* the message shows the newline escaped */
		expect_tiers(v, 1, -EINVAL, "\"/tmp/a\\x0ab\"");
	}
	{
		const char *v[] = { ssd, link };
		expect_tiers(v, 2, -EEXIST, "same directory");
	}
	{
		const char *v[] = { ssd, ssd };
		expect_tiers(v, 2, -EEXIST, "tiers 0");
	}
	{
		const char *v[] = { ssd, slash_ssd };
		expect_tiers(v, 2, -EEXIST, NULL);
	}
	{
		const char *v[] = { hdd, dots };
		expect_tiers(v, 2, 0, NULL);
	}
	{
		const char *v[] = { ssd, inner };
		expect_tiers(v, 2, -EINVAL, "tier 1");
		expect_tiers(v, 2, -EINVAL, "is inside tier 0");
	}
	{
		const char *v[] = { inner, hdd, link };
		expect_tiers(v, 3, -EINVAL, "tier 0");
	}
	{
		const char *v[] = { "/", ssd };
		expect_tiers(v, 2, -EINVAL, "tier 1");
	}
	/* Syntax is checked before existence. */
	{
		const char *v[] = { missing, "/x:y" };
		expect_tiers(v, 2, -EINVAL, NULL);
	}
	/* No buffer, or a tiny one, is fine. */
	{
		const char *v[] = { missing };
		assert_int_equal(smoothfs_validate_tiers(v, 1, NULL, 0), -ENOENT);
		assert_int_equal(smoothfs_validate_tiers(v, 1, ebuf, sizeof(ebuf)), -ENOENT);
		assert_true(strlen(ebuf) < sizeof(ebuf));
	}

	for (int i = 0; i < 9; i++)
		free(many[i]);
	free(ssd), free(hdd), free(inner), free(file), free(link), free(missing);
	free(slash_ssd), free(dots);
	rm_rf(t.dir);
}

/* --- mountpoints --------------------------------------------------------- */

static void test_mountpoint_for_pool(void **state)
{
	static const struct {
		const char *base, *name, *want;	/* want NULL: -EINVAL */
	} table[] = {
		{ NULL, "tank", "/mnt/smoothfs/tank" },
		{ "", "tank", "/mnt/smoothfs/tank" },
		{ "/srv", "tank", "/srv/tank" },
		{ "/srv/", "tank", "/srv/tank" },
		{ "/srv///", "a.b", "/srv/a.b" },
		{ "/srv//pools/./", "tank", "/srv/pools/tank" },
		{ "/", "tank", "/tank" },
		{ "//", "tank", "/tank" },
		{ "/with space", "tank", "/with space/tank" },
		{ "srv", "tank", NULL },
		{ "./srv", "tank", NULL },
		{ "/srv/../etc", "tank", NULL },
		{ "/srv", "Tank", NULL },
		{ "/srv", "", NULL },
		{ "/srv", NULL, NULL },
		{ "/srv", "a/b", NULL },
	};

	for (size_t i = 0; i < ELEMENTSOF(table); i++) {
		char *mp = (char *)"untouched";
		int r = smoothfs_mountpoint_for_pool(table[i].base, table[i].name, &mp);

		print_message("%s + %s -> %d %s\n", table[i].base, table[i].name, r, mp);
		if (table[i].want) {
			assert_int_equal(r, 0);
			assert_string_equal(mp, table[i].want);
			free(mp);
		} else {
			assert_int_equal(r, -EINVAL);
			assert_string_equal(mp, "untouched");
		}
	}
	assert_int_equal(smoothfs_mountpoint_for_pool(NULL, "tank", NULL), -EINVAL);
}

/* --- unit names ------------------------------------------------------------- */

struct escape_case {
	const char *path;
	const char *want;	/* NULL: -EINVAL */
	bool relative;		/* systemd-escape only warns; we refuse */
};

static const struct escape_case escape_cases[] = {
	{ "/", "-.mount", false },
	{ "//", "-.mount", false },
	{ "/.", "-.mount", false },
	{ "/./", "-.mount", false },
	{ "//././/", "-.mount", false },
	{ "/mnt/smoothfs/tank", "mnt-smoothfs-tank.mount", false },
	{ "/mnt/smoothfs/tank/", "mnt-smoothfs-tank.mount", false },
	{ "/mnt//smoothfs///tank//", "mnt-smoothfs-tank.mount", false },
	{ "/mnt/./smoothfs/./tank/.", "mnt-smoothfs-tank.mount", false },
	{ "/mnt/.tierd-backing/media/HDD", "mnt-.tierd\\x2dbacking-media-HDD.mount", false },
	{ "/.hidden", "\\x2ehidden.mount", false },
	{ "/.hidden/.x", "\\x2ehidden-.x.mount", false },
	{ "/./.hidden", "\\x2ehidden.mount", false },
	{ "/..a", "\\x2e.a.mount", false },
	{ "/...", "\\x2e...mount", false },
	{ "/a/...", "a-....mount", false },
	{ "/a/b.", "a-b..mount", false },
	{ "/a b", "a\\x20b.mount", false },
	{ "/srv/My Disk/x", "srv-My\\x20Disk-x.mount", false },
	{ "/-", "\\x2d.mount", false },
	{ "/a-b", "a\\x2db.mount", false },
	{ "/a\\b", "a\\x5cb.mount", false },
	{ "/a:b_c.d", "a:b_c.d.mount", false },
	{ "/a%b", "a\\x25b.mount", false },
	{ "/a$b", "a\\x24b.mount", false },
	{ "/~user", "\\x7euser.mount", false },
	{ "/caf\xc3\xa9", "caf\\xc3\\xa9.mount", false },
	{ "/\xff\x80", "\\xff\\x80.mount", false },
	{ "/a\nb", "a\\x0ab.mount", false },
	{ "/a\tb", "a\\x09b.mount", false },
	{ "/\x01\x7f", "\\x01\\x7f.mount", false },
	{ "/a'b\"c", "a\\x27b\\x22c.mount", false },
	{ "/A/Z/09", "A-Z-09.mount", false },
	{ "/a+b=c@d", "a\\x2bb\\x3dc\\x40d.mount", false },
	{ "/..", NULL, false },
	{ "/../a", NULL, false },
	{ "/a/..", NULL, false },
	{ "/a/../b", NULL, false },
	{ "/a/b/..", NULL, false },
	{ "/a/../", NULL, false },
	{ "", NULL, true },
	{ "a/b", NULL, true },
	{ "./a", NULL, true },
	{ ".", NULL, true },
	{ "relative", NULL, true },
};

static void check_escape(const char *path, const char *want, bool relative)
{
	char *got = (char *)"untouched", *out = NULL, *errout = NULL;
	char *argv[] = { (char *)"systemd-escape", (char *)"--path", (char *)"--suffix=mount",
			 (char *)"--", (char *)path, NULL };
	int r, status;

	r = smoothfs_unit_filename_for(path, &got);
	status = run_capture(argv, &out, &errout);
	/* systemd-escape is part of the systemd package (tools/deps). */
	if (status < 0)
		fail_msg("cannot run systemd-escape");
	print_message("%.60s -> %d %.60s | systemd-escape %d %.60s", path, r,
		      r == 0 ? got : "-", status, out);
	if (want) {
		assert_int_equal(r, 0);
		assert_string_equal(got, want);
		/* byte-identical to systemd-escape, newline aside */
		assert_int_equal(status, 0);
		assert_true(strlen(out) > 0 && out[strlen(out) - 1] == '\n');
		out[strlen(out) - 1] = '\0';
		assert_string_equal(got, out);
		free(got);
	} else {
		assert_int_equal(r, -EINVAL);
		assert_string_equal(got, "untouched");
		if (relative) {
			/*
			 * The one deviation: systemd-escape warns about a
			 * relative path but escapes it (all but ".").
			 */
			assert_non_null(strstr(errout, "Input"));
		} else {
			assert_int_not_equal(status, 0);
		}
	}
	free(out);
	free(errout);
}

static void test_unit_filename_for(void **state)
{
	char comp255[256], comp256[257], *path, *want, *o;
	size_t len;

	for (size_t i = 0; i < ELEMENTSOF(escape_cases); i++)
		check_escape(escape_cases[i].path, escape_cases[i].want, escape_cases[i].relative);
	assert_int_equal(smoothfs_unit_filename_for(NULL, &o), -EINVAL);
	assert_int_equal(smoothfs_unit_filename_for("/a", NULL), -EINVAL);

	/* NAME_MAX: a 255-byte component escapes, a 256-byte one does not. */
	memset(comp255, 'a', 255);
	comp255[255] = '\0';
	memset(comp256, 'b', 256);
	comp256[256] = '\0';
	assert_true(asprintf(&path, "/%s", comp255) > 0);
	assert_true(asprintf(&want, "%s.mount", comp255) > 0);
	check_escape(path, want, false);
	free(path), free(want);
	assert_true(asprintf(&path, "/x/%s/y", comp256) > 0);
	check_escape(path, NULL, false);
	free(path);

	/* PATH_MAX: after simplification 4095 bytes escape, 4096 do not. */
	path = malloc(8192);
	assert_non_null(path);
	for (size_t target = 4094; target <= 4097; target++) {
		len = 0;
		while (target - len > 256) {
			path[len++] = '/';
			memset(path + len, 'c', 200);
			len += 200;
		}
		path[len++] = '/';
		memset(path + len, 'd', target - len);
		len = target;
		path[len] = '\0';
		assert_int_equal(strlen(path), target);
		if (target < 4096) {
			want = strdup(path + 1);
			for (char *c = want; *c; c++)
				if (*c == '/')
					*c = '-';
			assert_true(asprintf(&o, "%s.mount", want) > 0);
			check_escape(path, o, false);
			free(want);
			/* Redundant slashes do not count. */
			memcpy(path + len, "//.", 4);
			check_escape(path, o, false);
			free(o);
			path[len] = '\0';
		} else {
			check_escape(path, NULL, false);
		}
	}
	free(path);
}

/* --- the mount unit -------------------------------------------------------- */

static const smoothfs_uuid_t uuid_a = { {
	0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x49, 0x78, 0x86, 0x95, 0xa4, 0xb3, 0xc2, 0xd1, 0xe0, 0xf9,
} };
static const smoothfs_uuid_t uuid_b = { {
	0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 1,
} };

/* Render p, compare with the golden file (after @DIR@), verify with systemd-analyze. */
static void check_golden(const struct smoothfs_managed_pool *p, const char *golden,
			 const struct tmp *t)
{
	const char *tests_dir = getenv("TESTS_DIR");
	char *gpath, *raw, *want, *got = NULL, *unit = NULL, *upath, *out = NULL, *errout = NULL;
	char err[512] = "";
	int r;

	assert_non_null(tests_dir);
	assert_true(asprintf(&gpath, "%s/golden/%s", tests_dir, golden) > 0);
	raw = read_file(gpath);
	if (!raw)
		fail_msg("cannot read %s", gpath);
	want = subst(raw, t->dir);

	r = smoothfs_render_mount_unit(p, &got, err, sizeof(err));
	if (r < 0)
		fail_msg("render: %d %s", r, err);
	if (strcmp(got, want) != 0) {
		print_message("--- got\n%s--- want (%s)\n%s---\n", got, gpath, want);
		fail_msg("rendered unit differs from %s", gpath);
	}

	/* systemd's own parser finds nothing wrong with it. */
	assert_int_equal(smoothfs_unit_filename_for(p->mountpoint, &unit), 0);
	assert_true(asprintf(&upath, "%s/%s", t->dir, unit) > 0);
	write_file(upath, got);
	{
		char *argv[] = { (char *)"systemd-analyze", (char *)"verify", (char *)"--man=no",
				 upath, NULL };
		int status = run_capture(argv, &out, &errout);

		if (status < 0)
			fail_msg("cannot run systemd-analyze");
		print_message("systemd-analyze verify: %d %s%s", status, out, errout);
		assert_int_equal(status, 0);
		assert_string_equal(errout, "");
	}
	unlink(upath);
	free(gpath), free(raw), free(want), free(got), free(unit), free(upath);
	free(out), free(errout);
}

static void test_render_golden(void **state)
{
	static const char *const dirs[] = { "ssd", "hdd one", "100% it's", "caf\xc3\xa9", NULL };
	struct tmp t;
	char *tiers[4];
	struct smoothfs_managed_pool p = { 0 };

	tmp_setup(&t, dirs);
	for (int i = 0; i < 4; i++)
		tiers[i] = tpath(&t, dirs[i]);

	p.name = (char *)"tank";
	p.uuid = uuid_a;
	p.tiers = tiers;
	p.n_tiers = 1;
	p.mountpoint = (char *)"/mnt/smoothfs/tank";
	check_golden(&p, "render-default.mount", &t);

	p.name = (char *)"media.2_x-y";
	p.uuid = uuid_b;
	p.n_tiers = 4;
	p.mountpoint = tpath(&t, "mnt base/media.2_x-y");
	check_golden(&p, "render-awkward.mount", &t);
	free(p.mountpoint);

	for (int i = 0; i < 4; i++)
		free(tiers[i]);
	rm_rf(t.dir);
}

static void expect_render(const struct smoothfs_managed_pool *p, int want, const char *msg_part)
{
	char err[512] = "", *got = (char *)"untouched";
	int r = smoothfs_render_mount_unit(p, &got, err, sizeof(err));

	print_message("render -> %d (%s)\n", r, err);
	assert_int_equal(r, want);
	assert_string_equal(got, "untouched");
	if (msg_part)
		assert_non_null(strstr(err, msg_part));
}

static void test_render_bad(void **state)
{
	static const char *const dirs[] = { "ssd", "hdd", "back\\slash", "trail ", "quo\"te",
					    "mnt", "mnt/tier", NULL };
	struct tmp t;
	char *tiers[2], *bad_tier[1], *mp, *s;
	struct smoothfs_managed_pool p = { 0 };

	tmp_setup(&t, dirs);
	tiers[0] = tpath(&t, "ssd");
	tiers[1] = tpath(&t, "hdd");
	mp = tpath(&t, "mnt/tank");
	p.name = (char *)"tank";
	p.uuid = uuid_a;
	p.tiers = tiers;
	p.n_tiers = 2;
	p.mountpoint = mp;

	/* the base case renders */
	assert_int_equal(smoothfs_render_mount_unit(&p, &s, NULL, 0), 0);
	free(s);

	expect_render(NULL, -EINVAL, NULL);
	p.name = (char *)"Tank";
	expect_render(&p, -EINVAL, "invalid pool name");
	p.name = NULL;
	expect_render(&p, -EINVAL, "invalid pool name");
	p.name = (char *)"tank";

	p.uuid = (smoothfs_uuid_t){ { 0 } };
	expect_render(&p, -EINVAL, "nil");
	p.uuid = uuid_a;

	p.n_tiers = 0;
	expect_render(&p, -EINVAL, "no tiers");
	p.n_tiers = 2;

	/* tiers are re-validated, existence included */
	rmdir(tiers[1]);
	expect_render(&p, -ENOENT, "tier 1");
	assert_int_equal(mkdir(tiers[1], 0755), 0);

	/* what a unit file cannot hold */
	p.tiers = bad_tier;
	p.n_tiers = 1;
	bad_tier[0] = tpath(&t, "back\\slash");
	expect_render(&p, -EINVAL, "backslash");
	free(bad_tier[0]);
	bad_tier[0] = tpath(&t, "trail ");
	expect_render(&p, -EINVAL, "trailing space");
	free(bad_tier[0]);
	bad_tier[0] = tpath(&t, "quo\"te");
	expect_render(&p, -EINVAL, "double quote");
	free(bad_tier[0]);
	p.tiers = tiers;
	p.n_tiers = 2;

	/* the mountpoint */
	p.mountpoint = NULL;
	expect_render(&p, -EINVAL, "mountpoint");
	p.mountpoint = (char *)"relative/tank";
	expect_render(&p, -EINVAL, "not an absolute path");
	p.mountpoint = (char *)"/mnt//smoothfs/tank";
	expect_render(&p, -EINVAL, "not a normalized");
	p.mountpoint = (char *)"/mnt/smoothfs/tank/";
	expect_render(&p, -EINVAL, "not a normalized");
	p.mountpoint = (char *)"/mnt/../tank";
	expect_render(&p, -EINVAL, "not a normalized");
	p.mountpoint = (char *)"/";
	expect_render(&p, -EINVAL, "not a normalized");
	p.mountpoint = (char *)"/mnt/a\nb";
	expect_render(&p, -EINVAL, "control character");
	p.mountpoint = tiers[0];
	expect_render(&p, -EINVAL, "lies in tier 0");
	p.mountpoint = tpath(&t, "hdd/x/y");
	expect_render(&p, -EINVAL, "lies in tier 1");
	free(p.mountpoint);
	/* a tier under the mountpoint would be hidden by the mount */
	p.mountpoint = tpath(&t, "mnt");
	free(tiers[1]);
	tiers[1] = tpath(&t, "mnt/tier");
	expect_render(&p, -EINVAL, "lies under the mountpoint");
	free(p.mountpoint);

	free(tiers[0]), free(tiers[1]), free(mp);
	rm_rf(t.dir);
}

/* --- JSON ------------------------------------------------------------------ */

static void test_json(void **state)
{
	char *tiers[] = { (char *)"/srv/ssd", (char *)"/srv/q\"b\\s/\x01\x1f\x7f caf\xc3\xa9\n\t" };
	struct smoothfs_managed_pool p = {
		.name = (char *)"tank",
		.uuid = uuid_a,
		.n_tiers = 2,
		.tiers = tiers,
		.mountpoint = (char *)"/mnt/smoothfs/tank",
		.unit_path = (char *)"/etc/systemd/system/mnt-smoothfs-tank.mount",
	};
	char *json = (char *)"untouched";

	assert_int_equal(smoothfs_managed_pool_to_json(&p, &json), 0);
	assert_string_equal(json,
		"{\"name\":\"tank\",\"uuid\":\"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\","
		"\"tiers\":[\"/srv/ssd\",\"/srv/q\\\"b\\\\s/\\u0001\\u001f\x7f caf\xc3\xa9\\u000a\\u0009\"],"
		"\"mountpoint\":\"/mnt/smoothfs/tank\","
		"\"unit_path\":\"/etc/systemd/system/mnt-smoothfs-tank.mount\"}");
	free(json);

	/* missing strings are null, no tiers an empty array */
	p.name = NULL;
	p.n_tiers = 0;
	p.tiers = NULL;
	p.unit_path = NULL;
	assert_int_equal(smoothfs_managed_pool_to_json(&p, &json), 0);
	assert_string_equal(json,
		"{\"name\":null,\"uuid\":\"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\","
		"\"tiers\":[],\"mountpoint\":\"/mnt/smoothfs/tank\",\"unit_path\":null}");
	free(json);

	json = (char *)"untouched";
	assert_int_equal(smoothfs_managed_pool_to_json(NULL, &json), -EINVAL);
	p.n_tiers = 1;
	assert_int_equal(smoothfs_managed_pool_to_json(&p, &json), -EINVAL);
	assert_string_equal(json, "untouched");
	assert_int_equal(smoothfs_managed_pool_to_json(&p, NULL), -EINVAL);
}

static void test_pool_free(void **state)
{
	struct smoothfs_managed_pool *p = calloc(1, sizeof(*p));

	smoothfs_managed_pool_free(NULL);
	assert_non_null(p);
	p->name = strdup("tank");
	p->n_tiers = 2;
	p->tiers = calloc(2, sizeof(char *));
	p->tiers[0] = strdup("/a");
	p->tiers[1] = strdup("/b");
	p->mountpoint = strdup("/mnt/smoothfs/tank");
	/* unit_path NULL */
	smoothfs_managed_pool_free(p);	/* ASan finds a leak or a bad free */
}

/* --- create / destroy: what fails before the bus ---------------------------- */

static void test_create_destroy_bad_input(void **state)
{
	static const char *const dirs[] = { "ssd", "units", NULL };
	struct tmp t;
	char err[512], *ssd, *units, *mp_base, *missing;
	struct smoothfs_create_pool_request req = { 0 };
	struct smoothfs_managed_pool *ret = (struct smoothfs_managed_pool *)&req, d = { 0 };
	const char *tiers[1];
	int r;

	tmp_setup(&t, dirs);
	ssd = tpath(&t, "ssd");
	units = tpath(&t, "units");
	mp_base = tpath(&t, "mnt");
	missing = tpath(&t, "missing");
	tiers[0] = ssd;
	req.tiers = tiers;
	req.n_tiers = 1;
	req.mount_base = mp_base;
	req.unit_dir = units;

	assert_int_equal(smoothfs_create_managed_pool(NULL, &ret, err, sizeof(err)), -EINVAL);
	req.name = "Bad";
	r = smoothfs_create_managed_pool(&req, &ret, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, "pool name"));
	req.name = "tank";
	tiers[0] = missing;
	r = smoothfs_create_managed_pool(&req, &ret, err, sizeof(err));
	assert_int_equal(r, -ENOENT);
	assert_non_null(strstr(err, "does not exist"));
	tiers[0] = ssd;
	req.mount_base = "relative";
	r = smoothfs_create_managed_pool(&req, &ret, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, "mount base"));
	/* the mountpoint inside a tier */
	req.mount_base = ssd;
	r = smoothfs_create_managed_pool(&req, &ret, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, "lies in tier 0"));
	req.mount_base = mp_base;
	req.unit_dir = "relative/units";
	r = smoothfs_create_managed_pool(&req, &ret, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	req.unit_dir = units;
	/* an existing unit file is refused and left alone */
	{
		char *unit = NULL, *mp = NULL, *upath, *content;

		assert_int_equal(smoothfs_mountpoint_for_pool(mp_base, "tank", &mp), 0);
		assert_int_equal(smoothfs_unit_filename_for(mp, &unit), 0);
		assert_true(asprintf(&upath, "%s/%s", units, unit) > 0);
		write_file(upath, "mine\n");
		r = smoothfs_create_managed_pool(&req, &ret, err, sizeof(err));
		assert_int_equal(r, -EEXIST);
		assert_non_null(strstr(err, "already exists"));
		content = read_file(upath);
		assert_string_equal(content, "mine\n");
		free(content), free(upath), free(unit), free(mp);
	}
	/* nothing was created: no mountpoint, nothing in the unit dir but ours */
	{
		struct stat st;

		assert_int_equal(stat(mp_base, &st), -1);
		assert_int_equal(errno, ENOENT);
	}
	assert_ptr_equal(ret, (struct smoothfs_managed_pool *)&req);

	/* destroy refuses a unit that is not the mountpoint's */
	assert_int_equal(smoothfs_destroy_managed_pool(NULL, err, sizeof(err)), -EINVAL);
	d.mountpoint = (char *)"/mnt/smoothfs/tank";
	d.unit_path = (char *)"/etc/systemd/system/sshd.service";
	assert_int_equal(smoothfs_destroy_managed_pool(&d, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not belong"));
	d.mountpoint = (char *)"/";
	d.unit_path = (char *)"/etc/systemd/system/-.mount";
	assert_int_equal(smoothfs_destroy_managed_pool(&d, err, sizeof(err)), -EINVAL);
	d.mountpoint = NULL;
	d.unit_path = (char *)"/etc/systemd/system/mnt-smoothfs-tank.mount";
	assert_int_equal(smoothfs_destroy_managed_pool(&d, err, sizeof(err)), -EINVAL);
	d.mountpoint = (char *)"/mnt/smoothfs/tank";
	d.unit_path = (char *)"mnt-smoothfs-tank.mount";
	assert_int_equal(smoothfs_destroy_managed_pool(&d, err, sizeof(err)), -EINVAL);

	free(ssd), free(units), free(mp_base), free(missing);
	rm_rf(t.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_names),
		cmocka_unit_test(test_validate_tiers),
		cmocka_unit_test(test_mountpoint_for_pool),
		cmocka_unit_test(test_unit_filename_for),
		cmocka_unit_test(test_render_golden),
		cmocka_unit_test(test_render_bad),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_pool_free),
		cmocka_unit_test(test_create_destroy_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
