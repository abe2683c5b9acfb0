// SPDX-License-Identifier: GPL-2.0-only
/*
 * pool-tool: the managed-pool helpers of libsmoothfs from the shell, for
 * the VM tests.
 *
 *   pool-tool create NAME TIER... [--base DIR] [--unit-dir DIR] [--uuid UUID]
 *       creates the pool and prints its JSON
 *   pool-tool destroy NAME [--base DIR] [--unit-dir DIR]
 *       destroys the pool whose unit create would have written
 *   pool-tool render NAME UUID TIER... [--base DIR]
 *       prints the mount unit
 *   pool-tool unit-name PATH
 *       prints the unit name of PATH
 *
 * Exit status 0 on success; on failure 1 with "pool-tool: ERRNO-NAME: msg"
 * (e.g. "EINVAL") on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smoothfs/smoothfs.h>

struct args {
	const char *base;
	const char *unit_dir;
	const char *uuid;
	const char *pos[SMOOTHFS_MAX_TIERS + 8];
	size_t n_pos;
};

static int fail(int r, const char *msg)
{
	const char *name = strerrorname_np(-r);

	fprintf(stderr, "pool-tool: %s: %s\n", name ? name : "?",
		msg && *msg ? msg : strerror(-r));
	return 1;
}

static int parse(int argc, char **argv, struct args *a)
{
	for (int i = 0; i < argc; i++) {
		const char **opt = NULL;

		if (strcmp(argv[i], "--base") == 0)
			opt = &a->base;
		else if (strcmp(argv[i], "--unit-dir") == 0)
			opt = &a->unit_dir;
		else if (strcmp(argv[i], "--uuid") == 0)
			opt = &a->uuid;
		if (opt) {
			if (++i == argc)
				return -EINVAL;
			*opt = argv[i];
			continue;
		}
		if (a->n_pos == sizeof(a->pos) / sizeof(a->pos[0]))
			return -E2BIG;
		a->pos[a->n_pos++] = argv[i];
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: pool-tool create NAME TIER... [--base DIR] [--unit-dir DIR] [--uuid UUID]\n"
		"       pool-tool destroy NAME [--base DIR] [--unit-dir DIR]\n"
		"       pool-tool render NAME UUID TIER... [--base DIR]\n"
		"       pool-tool unit-name PATH\n");
	return 2;
}

static int cmd_create(struct args *a)
{
	struct smoothfs_create_pool_request req = { 0 };
	struct smoothfs_managed_pool *p = NULL;
	char err[1024] = "", *json = NULL;
	int r;

	if (a->n_pos < 1)
		return usage();
	req.name = a->pos[0];
	req.tiers = a->pos + 1;
	req.n_tiers = a->n_pos - 1;
	req.mount_base = a->base;
	req.unit_dir = a->unit_dir;
	if (a->uuid && smoothfs_uuid_from_string(a->uuid, &req.uuid) < 0)
		return fail(-EINVAL, "bad --uuid");
	r = smoothfs_create_managed_pool(&req, &p, err, sizeof(err));
	if (r < 0)
		return fail(r, err);
	r = smoothfs_managed_pool_to_json(p, &json);
	smoothfs_managed_pool_free(p);
	if (r < 0)
		return fail(r, NULL);
	printf("%s\n", json);
	free(json);
	return 0;
}

/* The pool create would have made, enough for destroy. */
static int pool_for(struct args *a, struct smoothfs_managed_pool *p, char *unit_path, size_t len)
{
	char *unit = NULL;
	int r;

	r = smoothfs_mountpoint_for_pool(a->base, a->pos[0], &p->mountpoint);
	if (r < 0)
		return r;
	r = smoothfs_unit_filename_for(p->mountpoint, &unit);
	if (r < 0)
		return r;
	snprintf(unit_path, len, "%s/%s", a->unit_dir ? a->unit_dir : SMOOTHFS_SYSTEMD_UNIT_DIR, unit);
	free(unit);
	p->unit_path = unit_path;
	p->name = (char *)a->pos[0];
	return 0;
}

static int cmd_destroy(struct args *a)
{
	struct smoothfs_managed_pool p = { 0 };
	char err[1024] = "", unit_path[8192];
	int r;

	if (a->n_pos != 1)
		return usage();
	r = pool_for(a, &p, unit_path, sizeof(unit_path));
	if (r < 0)
		return fail(r, "bad pool name or base");
	r = smoothfs_destroy_managed_pool(&p, err, sizeof(err));
	free(p.mountpoint);
	if (r < 0)
		return fail(r, err);
	return 0;
}

static int cmd_render(struct args *a)
{
	struct smoothfs_managed_pool p = { 0 };
	char err[1024] = "", unit_path[8192], *text = NULL;
	int r;

	if (a->n_pos < 2)
		return usage();
	if (smoothfs_uuid_from_string(a->pos[1], &p.uuid) < 0)
		return fail(-EINVAL, "bad UUID");
	r = pool_for(a, &p, unit_path, sizeof(unit_path));
	if (r < 0)
		return fail(r, "bad pool name or base");
	p.tiers = (char **)(a->pos + 2);
	p.n_tiers = a->n_pos - 2;
	r = smoothfs_render_mount_unit(&p, &text, err, sizeof(err));
	free(p.mountpoint);
	if (r < 0)
		return fail(r, err);
	fputs(text, stdout);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	char *unit;
	int r;

	if (argc < 2)
		return usage();
	if (parse(argc - 2, argv + 2, &a) < 0)
		return usage();
	if (strcmp(argv[1], "create") == 0)
		return cmd_create(&a);
	if (strcmp(argv[1], "destroy") == 0)
		return cmd_destroy(&a);
	if (strcmp(argv[1], "render") == 0)
		return cmd_render(&a);
	if (strcmp(argv[1], "unit-name") == 0 && a.n_pos == 1) {
		r = smoothfs_unit_filename_for(a.pos[0], &unit);
		if (r < 0)
			return fail(r, NULL);
		printf("%s\n", unit);
		free(unit);
		return 0;
	}
	return usage();
}
