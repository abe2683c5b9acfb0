// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The D-Bus caller's filesystem identity (see caller.h).
 */
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caller.h"
#include "errors.h"
#include "util.h"

int caller_identity_get(sd_bus_message *call, struct caller_identity *ret, sd_bus_error *e)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	const gid_t *gids = NULL;
	uid_t uid;
	gid_t gid;
	int r, n;

	/*
	 * dbus-daemon 1.14 vouches for the uid; the groups are read from
	 * /proc/<pid>/status (AUGMENT).  Without them the walk is done
	 * with fewer rights, never more.
	 */
	r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID |
				      SD_BUS_CREDS_SUPPLEMENTARY_GIDS | SD_BUS_CREDS_AUGMENT,
				      &creds);
	if (r < 0)
		return smoothfs_error(e, r, "cannot identify the caller: %s", strerror(-r));
	r = sd_bus_creds_get_euid(creds, &uid);
	if (r < 0)
		return smoothfs_error(e, r, "cannot identify the caller's user: %s", strerror(-r));
	r = sd_bus_creds_get_egid(creds, &gid);
	if (r < 0)
		return smoothfs_error(e, r, "cannot identify the caller's group: %s",
				      strerror(-r));
	n = sd_bus_creds_get_supplementary_gids(creds, &gids);
	if (n < 0)
		n = 0;
	if (n > CALLER_GROUPS_MAX)
		return smoothfs_error(e, -E2BIG, "the caller is in %d groups (at most %d)", n,
				      CALLER_GROUPS_MAX);

	*ret = (struct caller_identity){ .uid = uid, .gid = gid };
	if (n > 0) {
		ret->groups = malloc(sizeof(gid_t) * (size_t)n);
		if (!ret->groups)
			return smoothfs_error(e, -ENOMEM, "out of memory");
		memcpy(ret->groups, gids, sizeof(gid_t) * (size_t)n);
		ret->n_groups = (size_t)n;
	}
	return 0;
}

void caller_identity_clear(struct caller_identity *id)
{
	free(id->groups);
	*id = (struct caller_identity){};
}

/* setfsuid() reports the previous value, never an error: ask again. */
static int set_fsuid(uid_t uid)
{
	setfsuid(uid);
	return (uid_t)setfsuid((uid_t)-1) == uid ? 0 : -EPERM;
}

static int set_fsgid(gid_t gid)
{
	setfsgid(gid);
	return (gid_t)setfsgid((gid_t)-1) == gid ? 0 : -EPERM;
}

static int thread_setgroups(size_t n, const gid_t *groups)
{
	return syscall(SYS_setgroups, n, groups) < 0 ? -errno : 0;
}

int caller_become(const struct caller_identity *id, struct caller_saved *saved)
{
	int n, r;

	*saved = (struct caller_saved){
		.fsuid = (uid_t)setfsuid((uid_t)-1),
		.fsgid = (gid_t)setfsgid((gid_t)-1),
	};
	n = getgroups(0, NULL);
	if (n < 0)
		return -errno;
	if (n > 0) {
		saved->groups = malloc(sizeof(gid_t) * (size_t)n);
		if (!saved->groups)
			return -ENOMEM;
		n = getgroups(n, saved->groups);
		if (n < 0) {
			r = -errno;
			goto fail_free;
		}
	}
	saved->n_groups = n;

	/* Groups and gid first: changing them needs CAP_SETGID, kept after fsuid. */
	r = thread_setgroups(id->n_groups, id->groups);
	if (r < 0)
		goto fail_free;
	r = set_fsgid(id->gid);
	if (r < 0)
		goto fail_groups;
	r = set_fsuid(id->uid);
	if (r < 0)
		goto fail_gid;
	return 0;

fail_gid:
	(void)set_fsgid(saved->fsgid);
fail_groups:
	(void)thread_setgroups((size_t)saved->n_groups, saved->groups);
fail_free:
	free(saved->groups);
	saved->groups = NULL;
	return r;
}

void caller_restore(struct caller_saved *saved)
{
	if (set_fsuid(saved->fsuid) < 0 || set_fsgid(saved->fsgid) < 0 ||
	    thread_setgroups((size_t)saved->n_groups, saved->groups) < 0)
		abort();
	free(saved->groups);
	saved->groups = NULL;
}
