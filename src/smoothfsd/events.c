// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel events on the event loop; see events.h.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <sys/xattr.h>

#include "engine.h"
#include "events.h"
#include "log.h"
#include "mount-table.h"
#include "pool-object.h"

/* Events handled per wakeup before yielding to the bus (no starvation). */
#define EVENTS_PER_WAKEUP 256

/*
 * The unit smoothfsd would have written for a pool mounted at
 * @mountpoint, if it exists: a pool created through the service whose
 * database entry is gone is still destroyable.  "" otherwise.
 */
static char *find_unit(Manager *m, const char *mountpoint)
{
	_cleanup_free_ char *name = NULL;
	char *path = NULL;

	if (!mountpoint || smoothfs_unit_filename_for(mountpoint, &name) < 0)
		return strdup("");
	if (asprintf(&path, "%s/%s", m->config.unit_dir ?: SMOOTHFS_SYSTEMD_UNIT_DIR, name) < 0)
		return NULL;
	if (access(path, F_OK) < 0) {
		free(path);
		return strdup("");
	}
	return path;
}

/*
 * Sets the mountpoint of @p to @mountpoint (taken) if it moved, and
 * restarts its engine, which works on paths under the old one.
 */
static void pool_set_mountpoint(Pool *p, char *mountpoint)
{
	if (!mountpoint || streq(mountpoint, p->mountpoint)) {
		free(mountpoint);
		return;
	}
	log_pool(LOG_INFO, 0, p->name, "mounted at %s", mountpoint);
	free(p->mountpoint);
	p->mountpoint = mountpoint;
	pool_changed(p, "Mountpoint", NULL);
	engine_pool_detach(p);
	engine_pool_state_changed(p->manager, p);
}

/* Takes @p's mountpoint from @t; false when @p is not in it. */
static bool pool_refresh_mountpoint_from(Pool *p, const MountTable *t)
{
	const char *mountpoint;
	char *copy;

	if (p->state == POOL_UNMOUNTED)
		return false;
	mountpoint = mount_table_find(t, &p->uuid);
	if (!mountpoint)
		return false;
	copy = strdup(mountpoint);
	if (!copy)
		return false;
	pool_set_mountpoint(p, copy);
	return true;
}

bool pool_refresh_mountpoint(Pool *p)
{
	MountTable *t = NULL;
	bool found;

	if (p->state == POOL_UNMOUNTED)
		return false;
	if (mount_table_read(p->manager->config.mountinfo, &t) < 0)
		return false;
	found = pool_refresh_mountpoint_from(p, t);
	mount_table_free(t);
	return found;
}

/*
 * A pool the kernel reports: update ours, or add one mounted by hand.
 * Its mountpoint comes from @t (NULL: the table could not be read).
 */
static Pool *pool_seen(Manager *m, const MountTable *t, const smoothfs_uuid_t *uuid,
		       const char *name, const struct smoothfs_tier *tiers, size_t n_tiers)
{
	_cleanup_free_ char *mountpoint = NULL;
	char *paths[SMOOTHFS_MAX_TIERS + 1] = {};
	Pool *p = manager_find_pool_by_uuid(m, uuid);
	int r;

	if (n_tiers > SMOOTHFS_MAX_TIERS) {
		log_warning("kernel: pool %s reports %zu tiers, ignoring it", name ?: "?", n_tiers);
		return NULL;
	}
	for (size_t i = 0; i < n_tiers; i++)
		paths[i] = tiers[i].path;
	if (t && mount_table_find(t, uuid)) {
		mountpoint = strdup(mount_table_find(t, uuid));
		if (!mountpoint)
			return NULL;
	}

	if (!p && name)
		p = manager_find_pool(m, name);
	if (!p) {
		if (!name) {
			log_warning("kernel: a pool without a name, ignoring it");
			return NULL;
		}
		_cleanup_free_ char *unit = find_unit(m, mountpoint);

		r = pool_new(m, name, uuid, mountpoint, unit, paths, &p);
		if (r < 0) {
			log_pool(LOG_WARNING, r, name, "cannot track the mounted pool");
			return NULL;
		}
		p->state = POOL_MOUNTED;
		pool_load_state(p);
		if (pool_add(m, p) < 0) {
			pool_free(p);
			return NULL;
		}
		if (*p->unit_path && pool_save(p) < 0)
			log_pool(LOG_WARNING, 0, p->name, "cannot record the pool in the database");
		return p;
	}
	if (memcmp(&p->uuid, uuid, sizeof(*uuid))) {
		p->uuid = *uuid;
		pool_changed(p, "UUID", NULL);
	}
	pool_set_mountpoint(p, TAKE_PTR(mountpoint));
	if (n_tiers > 0) {
		char **v = calloc(n_tiers + 1, sizeof(char *));
		bool ok = v != NULL;

		for (size_t i = 0; ok && i < n_tiers; i++)
			ok = (v[i] = strdup(paths[i] ? paths[i] : "")) != NULL;
		if (ok) {
			strv_free(p->tiers);
			p->tiers = v;
			pool_changed(p, "Tiers", NULL);
		} else {
			strv_free(v);
		}
	}
	if (p->state == POOL_UNMOUNTED)
		pool_set_state(p, p->faulted_tiers ? POOL_DEGRADED : POOL_MOUNTED);
	return p;
}

static void remove_staged(Pool *p, int tier, const char *oid_hex)
{
	_cleanup_free_ char *path = NULL;

	if (tier < 0 || (size_t)tier >= strv_length(p->tiers))
		return;
	if (asprintf(&path, "%s/%s/%s", p->tiers[tier], SMOOTHFS_STAGE_DIR, oid_hex) < 0)
		return;
	if (unlink(path) < 0 && errno != ENOENT)
		log_full(LOG_WARNING, -errno, p->name, oid_hex, "cannot remove %s: %m", path);
}

/*
 * The tier of the file at @rel under the mountpoint of @p, if that path
 * still names object @oid; -1 otherwise.
 */
static int object_tier_at(Pool *p, const char *rel, const smoothfs_oid_t *oid)
{
	_cleanup_free_ char *path = NULL;
	smoothfs_oid_t found;
	uint8_t tier;

	if (!rel || !*p->mountpoint || asprintf(&path, "%s/%s", p->mountpoint, rel) < 0)
		return -1;
	if (lgetxattr(path, SMOOTHFS_XATTR_OID, &found, sizeof(found)) != (ssize_t)sizeof(found) ||
	    memcmp(&found, oid, sizeof(found)) != 0)
		return -1;
	if (lgetxattr(path, SMOOTHFS_XATTR_TIER, &tier, sizeof(tier)) != (ssize_t)sizeof(tier))
		return -1;
	return tier;
}

/*
 * Moves the log shows open were cut short by a crash or kill of the last
 * run (a Move call runs to its end otherwise).  The kernel still holds
 * them in some state before the cutover: abort each, which returns the
 * file to where it was.  Or it holds none: the move was cut over (the
 * file, looked up by the path the log has, is on the destination) or
 * forgotten with its inode (its staged copy is ours to remove).  Either
 * way the log entry is closed.
 */
static void recover_moves(Manager *m, Pool *p)
{
	struct store_open_move *open_moves = NULL;
	bool completed = false;
	size_t n = 0;
	int r;

	r = store_move_list_open(m->store, p->name, &open_moves, &n);
	if (r < 0) {
		log_pool(LOG_WARNING, r, p->name, "cannot read open moves");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		smoothfs_oid_t oid;
		const char *why = "";

		if (smoothfs_oid_from_hex(open_moves[i].oid, &oid) < 0) {
			(void)store_move_update(m->store, p->name, open_moves[i].seq, "aborted", true,
						"bad object id in the log");
			continue;
		}
		r = smoothfs_move_abort(m->client, &p->uuid, &oid, open_moves[i].seq);
		if (r < 0 && object_tier_at(p, open_moves[i].path, &oid) == open_moves[i].to_tier) {
			log_full(LOG_NOTICE, 0, p->name, open_moves[i].oid,
				 "move %llu was interrupted after its cutover: the file is on tier %d",
				 (unsigned long long)open_moves[i].seq, open_moves[i].to_tier);
			(void)store_move_update(m->store, p->name, open_moves[i].seq, "done", true,
						NULL);
			p->moves_completed++;
			p->bytes_moved += open_moves[i].size;
			completed = true;
			continue;
		}
		if (r < 0) {
			why = smoothfs_client_last_error(m->client);
			/*
			 * The kernel forgot the plan (the file was closed and
			 * evicted when the mover died): the staged copy the
			 * mover was writing is ours to remove.
			 */
			remove_staged(p, open_moves[i].to_tier, open_moves[i].oid);
		}
		log_full(LOG_NOTICE, r, p->name, open_moves[i].oid,
			 "move %llu was interrupted; aborted%s%s",
			 (unsigned long long)open_moves[i].seq, *why ? ": " : "", why);
		(void)store_move_update(m->store, p->name, open_moves[i].seq, "aborted", true,
					"interrupted (daemon restart)");
		p->moves_failed++;
	}
	if (n > 0)
		pool_changed(p, "MovesFailed", completed ? "MovesCompleted" : NULL,
			     completed ? "BytesMoved" : NULL, NULL);
	store_open_moves_free(open_moves, n);
}

int events_resync(Manager *m)
{
	struct smoothfs_pool_info *info = NULL;
	MountTable *t = NULL;
	size_t n = 0;
	int r;

	if (!m->client)
		return 0;
	r = smoothfs_list_pools(m->client, &info, &n);
	if (r < 0)
		return log_error_errno(r, "kernel: cannot list pools: %s",
				       smoothfs_client_last_error(m->client));
	for (Pool *p = m->pools; p; p = p->next) {
		bool mounted = false;

		for (size_t i = 0; i < n && !mounted; i++)
			mounted = !memcmp(&info[i].uuid, &p->uuid, sizeof(p->uuid));
		if (!mounted)
			pool_set_state(p, POOL_UNMOUNTED);
	}
	/* One read of the mount table for all the pools. */
	(void)mount_table_read(m->config.mountinfo, &t);
	for (size_t i = 0; i < n; i++) {
		Pool *p = pool_seen(m, t, &info[i].uuid, info[i].name, info[i].tiers,
				    info[i].n_tiers);

		if (p && info[i].any_spill_since_mount && p->spill_count == 0) {
			p->spill_count = 1;
			pool_changed(p, "SpillCount", NULL);
		}
		if (p && !m->moves_recovered)
			recover_moves(m, p);
	}
	m->moves_recovered = true;
	mount_table_free(t);
	smoothfs_pool_info_free(info, n);
	return 0;
}

static void emit(Pool *p, const char *member, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
	va_list ap;
	int r;

	if (!p->manager->bus)
		return;
	r = sd_bus_message_new_signal(p->manager->bus, &s, p->object_path, SMOOTHFSD_POOL_IFACE,
				      member);
	if (r < 0)
		return;
	va_start(ap, types);
	r = sd_bus_message_appendv(s, types, ap);
	va_end(ap);
	if (r >= 0)
		(void)sd_bus_send(p->manager->bus, s, NULL);
}

void events_dispatch(Manager *m, const struct smoothfs_event *ev)
{
	char hex[SMOOTHFS_OID_HEX_MAX];
	const char *state;
	Pool *p;

	if (ev->type == SMOOTHFS_EVENT_MOUNT_READY) {
		MountTable *t = NULL;

		(void)mount_table_read(m->config.mountinfo, &t);
		(void)pool_seen(m, t, &ev->pool_uuid, ev->pool_name, ev->tiers, ev->n_tiers);
		mount_table_free(t);
		return;
	}
	p = manager_find_pool_by_uuid(m, &ev->pool_uuid);
	if (!p) {
		log_debug("kernel: event %u for an unknown pool", ev->type);
		return;
	}
	switch (ev->type) {
	case SMOOTHFS_EVENT_POOL_UNMOUNTED:
		p->faulted_tiers = 0;
		pool_set_state(p, POOL_UNMOUNTED);
		break;
	case SMOOTHFS_EVENT_HEAT_SAMPLE:
		engine_heat_samples(m, p, ev->heat_samples, ev->n_heat_samples,
				    now_usec(CLOCK_REALTIME));
		break;
	case SMOOTHFS_EVENT_MOVE_STATE:
		smoothfs_oid_to_hex(&ev->move.oid, hex);
		state = smoothfs_movement_state_to_string(ev->move.new_state) ?: "unknown";
		log_full(LOG_DEBUG, 0, p->name, hex, "move %llu: %s",
			 (unsigned long long)ev->move.transaction_seq, state);
		emit(p, "MoveStateChanged", "sst", hex, state, ev->move.transaction_seq);
		break;
	case SMOOTHFS_EVENT_TIER_FAULT:
		log_pool(LOG_WARNING, 0, p->name, "tier %u faulted", ev->tier.tier_rank);
		if (ev->tier.tier_rank < 32)
			p->faulted_tiers |= 1U << ev->tier.tier_rank;
		emit(p, "TierFault", "y", ev->tier.tier_rank);
		if (p->state != POOL_UNMOUNTED)
			pool_set_state(p, POOL_DEGRADED);
		break;
	case SMOOTHFS_EVENT_SPILL:
		smoothfs_oid_to_hex(&ev->spill.oid, hex);
		log_full(LOG_INFO, 0, p->name, hex, "spill from tier %u to %u (%llu bytes)",
			 ev->spill.source_tier, ev->spill.dest_tier,
			 (unsigned long long)ev->spill.size_bytes);
		p->spill_count++;
		(void)store_pool_add_spill(m->store, p->name);
		emit(p, "Spill", "syyt", hex, ev->spill.source_tier, ev->spill.dest_tier,
		     ev->spill.size_bytes);
		pool_changed(p, "SpillCount", NULL);
		break;
	default:
		break;
	}
}

static int on_event_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Manager *m = userdata;

	for (int i = 0; i < EVENTS_PER_WAKEUP; i++) {
		struct smoothfs_event *ev = NULL;
		int r = smoothfs_receive(m->client, 0, &ev);

		if (r == -EAGAIN)
			break;
		if (r == -ENOBUFS) {
			log_warning("kernel: events were lost, resynchronising");
			(void)events_resync(m);
			continue;
		}
		if (r == -EBADMSG) {
			log_warning("kernel: skipping a malformed event");
			continue;
		}
		if (r < 0) {
			log_error_errno(r, "kernel: cannot receive events");
			break;
		}
		events_dispatch(m, ev);
		smoothfs_event_free(ev);
	}
	return 0;
}

/*
 * The mount table changed: a pool mounted by hand is in it only once
 * mount(2) attached it, after its EventMountReady; a pool can move.
 */
static int on_mountinfo(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Manager *m = userdata;
	MountTable *t = NULL;
	int r;

	r = mount_table_read(m->config.mountinfo, &t);
	if (r < 0) {
		log_warning_errno(r, "cannot read the mount table: %m");
		return 0;
	}
	for (Pool *p = m->pools; p; p = p->next)
		(void)pool_refresh_mountpoint_from(p, t);
	mount_table_free(t);
	return 0;
}

static int watch_mountinfo(Manager *m)
{
	int fd, r;

	if (m->config.mountinfo)
		return 0;
	fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_warning_errno(-errno, "cannot watch the mount table: %m");
	r = sd_event_add_io(m->event, &m->mountinfo_io, fd, EPOLLPRI, on_mountinfo, m);
	if (r >= 0)
		r = sd_event_source_set_io_fd_own(m->mountinfo_io, true);
	if (r < 0) {
		m->mountinfo_io = sd_event_source_disable_unref(m->mountinfo_io);
		close(fd);
		return log_warning_errno(r, "cannot watch the mount table: %m");
	}
	return 0;
}

static int client_connect(Manager *m)
{
	int r;

	r = smoothfs_client_open(&m->client);
	if (r < 0)
		return r;
	log_info("kernel: connected to the smoothfs module");
	r = smoothfs_subscribe(m->client);
	if (r < 0) {
		log_warning_errno(r, "kernel: cannot subscribe to events");
	} else {
		r = sd_event_add_io(m->event, &m->event_io, smoothfs_event_fd(m->client), EPOLLIN,
				    on_event_io, m);
		if (r < 0)
			log_warning_errno(r, "kernel: cannot watch events");
	}
	manager_module_changed(m);
	return events_resync(m);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;
	int r;

	r = client_connect(m);
	if (r == SMOOTHFS_ERR_NOT_LOADED || !m->client) {
		r = sd_event_source_set_time_relative(s, SMOOTHFSD_CLIENT_RETRY_SEC * 1000000ULL);
		if (r >= 0)
			r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
		return r;
	}
	m->retry_timer = sd_event_source_disable_unref(m->retry_timer);
	return 0;
}

int events_start(Manager *m)
{
	int r;

	(void)watch_mountinfo(m);
	r = client_connect(m);
	if (r >= 0 && m->client)
		return 0;
	if (r != SMOOTHFS_ERR_NOT_LOADED)
		log_warning_errno(r, "kernel: cannot reach the smoothfs module");
	else
		log_info("kernel: the smoothfs module is not loaded; retrying every %d s",
			 SMOOTHFSD_CLIENT_RETRY_SEC);
	if (!m->client)
		return sd_event_add_time_relative(m->event, &m->retry_timer, CLOCK_MONOTONIC,
						  SMOOTHFSD_CLIENT_RETRY_SEC * 1000000ULL, 0,
						  on_retry, m);
	return 0;
}

void events_stop(Manager *m)
{
	m->event_io = sd_event_source_disable_unref(m->event_io);
	m->mountinfo_io = sd_event_source_disable_unref(m->mountinfo_io);
	m->retry_timer = sd_event_source_disable_unref(m->retry_timer);
	m->client = smoothfs_client_close(m->client);
}
