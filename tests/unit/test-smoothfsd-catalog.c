// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smoothfsd catalog: a walk of a directory tree standing in for a mounted
 * pool, objects named by trusted.smoothfs.* xattrs set by hand (root
 * only: skipped otherwise).  The meta directory is skipped, files without
 * a usable OID, tier or pin are counted and skipped, hard links give one
 * entry, the size limit is refused, lookups by OID find paths.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "catalog.h"

struct fixture {
	char root[PATH_MAX];
};

static void mkfile(const char *root, const char *rel, size_t size, const void *oid,
		   size_t oid_len, int tier, const char *pin)
{
	char path[PATH_MAX];
	uint8_t t = (uint8_t)tier;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (oid)
		assert_int_equal(fsetxattr(fd, SMOOTHFS_XATTR_OID, oid, oid_len, 0), 0);
	if (tier >= 0)
		assert_int_equal(fsetxattr(fd, SMOOTHFS_XATTR_TIER, &t, 1, 0), 0);
	if (pin)
		assert_int_equal(fsetxattr(fd, SMOOTHFS_XATTR_PIN, pin, strlen(pin), 0), 0);
	close(fd);
}

static void oid_n(smoothfs_oid_t *oid, uint8_t n)
{
	memset(oid, 0, sizeof(*oid));
	oid->bytes[0] = 0x01;
	oid->bytes[15] = n;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[PATH_MAX + 32];
	smoothfs_oid_t oid;

	if (geteuid() != 0) {
		free(f);
		return 0;	/* trusted.* xattrs need CAP_SYS_ADMIN */
	}
	snprintf(f->root, sizeof(f->root), "/tmp/smoothfsd-catalog-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(path, sizeof(path), "%s/dir", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/.smoothfs", f->root);
	assert_int_equal(mkdir(path, 0700), 0);
	oid_n(&oid, 3);
	mkfile(f->root, "a", 100, &oid, sizeof(oid), 0, NULL);
	oid_n(&oid, 1);
	mkfile(f->root, "dir/b", 4096, &oid, sizeof(oid), 2, "pin_cold");
	oid_n(&oid, 2);
	mkfile(f->root, ".smoothfs/staged", 1, &oid, sizeof(oid), 0, NULL);	/* skipped */
	mkfile(f->root, "dir/no-oid", 1, NULL, 0, 0, NULL);
	mkfile(f->root, "dir/short-oid", 1, &oid, 8, 0, NULL);
	oid_n(&oid, 4);
	mkfile(f->root, "dir/bad-tier", 1, &oid, sizeof(oid), 3, NULL);
	oid_n(&oid, 5);
	mkfile(f->root, "dir/bad-pin", 1, &oid, sizeof(oid), 1, "pin_sometimes");
	/* A hard link of a: the same object under a second name. */
	snprintf(path, sizeof(path), "%s/a", f->root);
	{
		char link_path[PATH_MAX + 32];

		snprintf(link_path, sizeof(link_path), "%s/dir/a-link", f->root);
		assert_int_equal(link(path, link_path), 0);
	}
	snprintf(path, sizeof(path), "%s/dir/symlink", f->root);
	assert_int_equal(symlink("a", path), 0);
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f)
		nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void test_scan(void **state)
{
	struct fixture *f = *state;
	const struct catalog_entry *e;
	struct catalog c;
	smoothfs_oid_t oid;

	if (!f)
		skip();
	assert_int_equal(catalog_scan(f->root, 3, 100, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.skipped, 4);
	/* Sorted by OID. */
	oid_n(&oid, 1);
	assert_memory_equal(&c.entries[0].oid, &oid, sizeof(oid));
	e = catalog_find(&c, &oid);
	assert_non_null(e);
	assert_string_equal(e->path, "dir/b");
	assert_int_equal(e->size_bytes, 4096);
	assert_int_equal(e->tier, 2);
	assert_int_equal(e->pin, SMOOTHFS_PIN_COLD);
	oid_n(&oid, 3);
	e = catalog_find(&c, &oid);
	assert_non_null(e);
	assert_true(!strcmp(e->path, "a") || !strcmp(e->path, "dir/a-link"));
	assert_int_equal(e->tier, 0);
	assert_int_equal(e->pin, SMOOTHFS_PIN_NONE);
	oid_n(&oid, 2);
	assert_null(catalog_find(&c, &oid));
	catalog_clear(&c);
	assert_int_equal(c.n, 0);

	/* With only two tiers, dir/b's tier 2 is not a tier of the pool. */
	assert_int_equal(catalog_scan(f->root, 2, 100, &c), 0);
	assert_int_equal(c.n, 1);
	catalog_clear(&c);
}

static void test_limits_and_bad_input(void **state)
{
	struct fixture *f = *state;
	struct catalog c = { .n = 7 };
	char trailing[PATH_MAX + 2];

	if (!f)
		skip();
	assert_int_equal(catalog_scan(f->root, 3, 1, &c), -E2BIG);
	assert_int_equal(c.n, 0);
	assert_null(c.entries);
	assert_int_equal(catalog_scan("relative", 3, 100, &c), -EINVAL);
	assert_int_equal(catalog_scan(f->root, 0, 100, &c), -EINVAL);
	assert_int_equal(catalog_scan(f->root, SMOOTHFS_MAX_TIERS + 1, 100, &c), -EINVAL);
	assert_int_equal(catalog_scan("/nonexistent-smoothfs-pool", 3, 100, &c), -ENOENT);
	/* A trailing slash on the mountpoint gives the same relative paths. */
	snprintf(trailing, sizeof(trailing), "%s/", f->root);
	assert_int_equal(catalog_scan(trailing, 3, 100, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.entries[0].path, "dir/b");
	catalog_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_and_bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
