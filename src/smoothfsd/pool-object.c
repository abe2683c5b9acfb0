// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * org.smoothfs1.Pool objects: a fallback vtable under /org/smoothfs1/pool
 * with a node enumerator, so every pool is an object without a slot of
 * its own.  Handlers validate every argument, then ask polkit (see
 * polkit.h: a handler may run twice for one call), then act.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "caller.h"
#include "engine.h"
#include "errors.h"
#include "events.h"
#include "move-job.h"
#include "log.h"
#include "options.h"
#include "pool-object.h"

static const char *const pool_state_names[] = {
	[POOL_UNMOUNTED] = "unmounted",
	[POOL_MOUNTED] = "mounted",
	[POOL_QUIESCED] = "quiesced",
	[POOL_DEGRADED] = "degraded",
};

const char *pool_state_to_string(enum pool_state s)
{
	return s < ELEMENTSOF(pool_state_names) ? pool_state_names[s] : "unmounted";
}

/* --- lifetime ------------------------------------------------------------ */

int pool_new(Manager *m, const char *name, const smoothfs_uuid_t *uuid, const char *mountpoint,
	     const char *unit_path, char *const *tiers, Pool **ret)
{
	size_t n = strv_length(tiers);
	Pool *p;
	int r;

	r = smoothfs_validate_pool_name(name);
	if (r < 0)
		return r;
	if (n > SMOOTHFS_MAX_TIERS)
		return -E2BIG;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->manager = m;
	p->uuid = *uuid;
	p->state = POOL_UNMOUNTED;
	policy_init(&p->policy);
	p->name = strdup(name);
	p->mountpoint = strdup(mountpoint ? mountpoint : "");
	p->unit_path = strdup(unit_path ? unit_path : "");
	p->tiers = calloc(n + 1, sizeof(char *));
	if (!p->name || !p->mountpoint || !p->unit_path || !p->tiers)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		p->tiers[i] = strdup(tiers[i]);
		if (!p->tiers[i])
			goto oom;
	}
	r = sd_bus_path_encode(SMOOTHFSD_POOL_PREFIX, name, &p->object_path);
	if (r < 0)
		goto fail;
	*ret = p;
	return 0;
oom:
	r = -ENOMEM;
fail:
	pool_free(p);
	return r;
}

Pool *pool_free(Pool *p)
{
	if (!p)
		return NULL;
	engine_pool_detach(p);
	free(p->name);
	free(p->object_path);
	free(p->mountpoint);
	free(p->unit_path);
	strv_free(p->tiers);
	free(p);
	return NULL;
}

int pool_add(Manager *m, Pool *p)
{
	Pool **tail = &m->pools;

	if (m->n_pools >= SMOOTHFSD_POOLS_MAX)
		return -EBUSY;
	while (*tail)
		tail = &(*tail)->next;
	*tail = p;
	m->n_pools++;
	if (m->bus)
		(void)sd_bus_emit_object_added(m->bus, p->object_path);
	log_pool(LOG_INFO, 0, p->name, "pool added (%s)", pool_state_to_string(p->state));
	return 0;
}

void pool_remove(Pool *p)
{
	Manager *m = p->manager;

	for (Pool **q = &m->pools; *q; q = &(*q)->next) {
		if (*q == p) {
			*q = p->next;
			m->n_pools--;
			break;
		}
	}
	if (m->bus)
		(void)sd_bus_emit_object_removed(m->bus, p->object_path);
	log_pool(LOG_INFO, 0, p->name, "pool removed");
	pool_free(p);
}

int pool_save(Pool *p)
{
	char uuid[SMOOTHFS_UUID_STRING_MAX];
	struct store_pool sp = {
		.name = p->name,
		.uuid = uuid,
		.mountpoint = p->mountpoint,
		.unit_path = p->unit_path,
		.tiers = p->tiers,
	};

	smoothfs_uuid_to_string(&p->uuid, uuid);
	return store_pool_save(p->manager->store, &sp);
}

void pool_load_state(Pool *p)
{
	_cleanup_strv_free_ char **keys = NULL;
	_cleanup_strv_free_ char **values = NULL;
	struct store_move_counters c;

	if (store_policy_get(p->manager->store, p->name, &keys, &values) >= 0)
		policy_from_strings(&p->policy, keys, values);
	if (store_move_counters(p->manager->store, p->name, &c) >= 0) {
		p->moves_completed = c.completed;
		p->moves_failed = c.failed;
		p->bytes_moved = c.bytes;
	}
}

void pool_changed(Pool *p, const char *prop, ...)
{
	const char *names[16];
	size_t n = 0;
	va_list ap;

	va_start(ap, prop);
	for (const char *s = prop; s && n < ELEMENTSOF(names) - 1; s = va_arg(ap, const char *))
		names[n++] = s;
	va_end(ap);
	names[n] = NULL;
	if (p->manager->bus)
		(void)sd_bus_emit_properties_changed_strv(p->manager->bus, p->object_path,
							  SMOOTHFSD_POOL_IFACE, (char **)names);
}

void pool_set_state(Pool *p, enum pool_state s)
{
	if (p->state == s)
		return;
	log_pool(LOG_INFO, 0, p->name, "%s -> %s", pool_state_to_string(p->state),
		 pool_state_to_string(s));
	p->state = s;
	pool_changed(p, "State", NULL);
	engine_pool_state_changed(p->manager, p);
}

/* --- paths ------------------------------------------------------------------ */

/*
 * @path relative to the mountpoint of @p ("." for the mountpoint), from
 * the string alone: absolute, short enough and under the mountpoint.
 */
static int pool_relative_path(Pool *p, const char *path, const char **ret_rel, sd_bus_error *e)
{
	const char *rel;
	size_t mlen;

	if (path[0] != '/')
		return smoothfs_error(e, -EINVAL, "path \"%.64s\" is not absolute", path);
	if (strlen(path) >= PATH_MAX)
		return smoothfs_error(e, -ENAMETOOLONG, "path is longer than %d bytes", PATH_MAX - 1);
	/* A call can come before the mount table's change is dispatched. */
	if (!*p->mountpoint)
		(void)pool_refresh_mountpoint(p);
	mlen = strlen(p->mountpoint);
	if (mlen == 0)
		return smoothfs_error(e, -ENOENT, "pool %s has no known mountpoint", p->name);
	if (strncmp(path, p->mountpoint, mlen) != 0 || (path[mlen] != '/' && path[mlen] != '\0'))
		return smoothfs_error(e, -EXDEV, "path \"%.64s\" is outside pool %s (%s)", path,
				      p->name, p->mountpoint);
	rel = path + mlen;
	while (*rel == '/')
		rel++;
	*ret_rel = *rel ? rel : ".";
	return 0;
}

int pool_open_path(Pool *p, const char *path, const struct caller_identity *as, int *ret_fd,
		   char **ret_rel, sd_bus_error *e)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		/* Not out of the pool, nor into a mount inside it. */
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int dfd = -1, pfd = -1;
	struct caller_saved saved;
	const char *rel;
	char proc[64];
	struct stat st;
	int fd, r;

	r = pool_relative_path(p, path, &rel, e);
	if (r < 0)
		return r;
	if (as) {
		r = caller_become(as, &saved);
		if (r < 0)
			return smoothfs_error(e, r, "cannot take the caller's identity: %s",
					      strerror(-r));
	}
	/* The whole walk, the mountpoint's own path included, as the caller. */
	dfd = open(p->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
	} else {
		pfd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
		r = pfd < 0 ? -errno : 0;
	}
	if (as)
		caller_restore(&saved);
	if (dfd < 0)
		return smoothfs_error(e, r, "cannot open the mountpoint of pool %s: %s", p->name,
				      strerror(-r));
	if (r < 0) {
		if (r == -EXDEV)
			return smoothfs_error(e, r, "path \"%.64s\" leaves pool %s", path, p->name);
		if (r == -ELOOP)
			return smoothfs_error(e, r, "path \"%.64s\" is or passes a symlink", path);
		if (r == -ENOENT)
			return smoothfs_error(e, r, "path \"%.64s\" does not exist", path);
		return smoothfs_error(e, r, "cannot open \"%.64s\": %s", path, strerror(-r));
	}
	if (fstat(pfd, &st) < 0)
		return smoothfs_error(e, -errno, "cannot stat \"%.64s\": %m", path);
	if (S_ISLNK(st.st_mode))
		return smoothfs_error(e, -ELOOP, "path \"%.64s\" is a symlink", path);
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return smoothfs_error(e, -EINVAL, "path \"%.64s\" is not a file or directory", path);
	/*
	 * Reopen for reading (xattrs need a real file description), as the
	 * daemon: a caller who may look the file up may inspect it.
	 */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		  (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return smoothfs_error(e, -errno, "cannot open \"%.64s\": %m", path);
	if (ret_rel) {
		*ret_rel = strdup(rel);
		if (!*ret_rel) {
			close(fd);
			return smoothfs_error(e, -ENOMEM, "out of memory");
		}
	}
	*ret_fd = fd;
	return 0;
}

/* The file is on a mounted smoothfs, and the kernel client is there. */
static int require_mounted(Pool *p, int fd, sd_bus_error *e)
{
	struct statfs sfs;

	if (!p->manager->client)
		return smoothfs_error(e, SMOOTHFS_ERR_NOT_LOADED,
				      "the smoothfs kernel module is not loaded");
	if (p->state == POOL_UNMOUNTED)
		return smoothfs_error(e, -EIO, "pool %s is not mounted", p->name);
	if (fd >= 0 && (fstatfs(fd, &sfs) < 0 || sfs.f_type != SMOOTHFS_SUPER_MAGIC))
		return smoothfs_error(e, -EIO, "pool %s is not mounted at %s", p->name,
				      p->mountpoint);
	return 0;
}

static int read_oid(int fd, smoothfs_oid_t *ret, sd_bus_error *e)
{
	ssize_t n = fgetxattr(fd, SMOOTHFS_XATTR_OID, ret->bytes, sizeof(ret->bytes));

	if (n < 0)
		return smoothfs_error(e, -errno, "cannot read the object id: %m");
	if (n != SMOOTHFS_OID_LEN)
		return smoothfs_error(e, -EBADMSG, "object id of unexpected length %zd", n);
	return 0;
}

static int kernel_error(Pool *p, sd_bus_error *e, int r, const char *what)
{
	const char *why = p->manager->client ? smoothfs_client_last_error(p->manager->client) : "";

	return smoothfs_error(e, r, "%s on pool %s: %s", what, p->name,
			      why && *why ? why : strerror(-r));
}

/* --- methods ------------------------------------------------------------------ */

static int method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	Pool *p = userdata;
	Manager *m = p->manager;
	struct auth_options o = {};
	struct smoothfs_managed_pool mp = {};
	char err[256] = "";
	int r;

	(void)sd_bus_message_rewind(msg, true);
	r = bus_read_options(msg, auth_option_handler, &o, e);
	if (r < 0)
		return r;
	if (!*p->unit_path)
		return smoothfs_error(e, -EIO, "pool %s was not created by smoothfsd (no unit); "
				      "unmount it by hand", p->name);
	r = polkit_verify(&m->polkit, msg, SMOOTHFS_ACTION_MANAGE_POOLS,
			  polkit_interactive(msg, o.no_user_interaction), e);
	if (r <= 0)
		return r < 0 ? r : 1;

	r = manager_require_systemd(m, e);
	if (r < 0)
		return r;
	mp.name = p->name;
	mp.uuid = p->uuid;
	mp.tiers = p->tiers;
	mp.n_tiers = strv_length(p->tiers);
	mp.mountpoint = p->mountpoint;
	mp.unit_path = p->unit_path;
	r = smoothfs_destroy_managed_pool(&mp, err, sizeof(err));
	if (r < 0)
		return smoothfs_error(e, r, "cannot destroy pool %s: %s", p->name, err);
	r = store_pool_delete(m->store, p->name);
	if (r < 0)
		log_pool(LOG_WARNING, r, p->name, "cannot forget the pool in the database");
	log_pool(LOG_NOTICE, 0, p->name, "destroyed (tier data left in place)");
	pool_remove(p);
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_quiesce(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	Pool *p = userdata;
	struct auth_options o = {};
	int r;

	(void)sd_bus_message_rewind(msg, true);
	r = bus_read_options(msg, auth_option_handler, &o, e);
	if (r < 0)
		return r;
	r = polkit_verify(&p->manager->polkit, msg, SMOOTHFS_ACTION_MANAGE_MOVEMENT,
			  polkit_interactive(msg, o.no_user_interaction), e);
	if (r <= 0)
		return r < 0 ? r : 1;
	r = require_mounted(p, -1, e);
	if (r < 0)
		return r;
	r = smoothfs_quiesce(p->manager->client, &p->uuid);
	if (r < 0)
		return kernel_error(p, e, r, "quiesce");
	pool_set_state(p, POOL_QUIESCED);
	return sd_bus_reply_method_return(msg, NULL);
}

/*
 * Tiers that faulted stay so until they pass the kernel's probe (statfs,
 * their path, a durable write): a failing one faults again.
 */
static void pool_reprobe_faulted(Pool *p)
{
	for (unsigned int rank = 0; rank < 32; rank++) {
		int r;

		if (!(p->faulted_tiers & (1U << rank)))
			continue;
		r = smoothfs_reprobe(p->manager->client, &p->uuid, (uint8_t)rank);
		if (r < 0) {
			log_pool(LOG_WARNING, 0, p->name, "tier %u still fails its probe: %s", rank,
				 strerror(-r));
			continue;
		}
		p->faulted_tiers &= ~(1U << rank);
		log_pool(LOG_NOTICE, 0, p->name, "tier %u passed its probe", rank);
	}
}

static int method_reconcile(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	Pool *p = userdata;
	struct auth_options o = {};
	const char *reason;
	int r;

	(void)sd_bus_message_rewind(msg, true);
	r = sd_bus_message_read(msg, "s", &reason);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "malformed arguments");
	if (strlen(reason) > SMOOTHFS_RECONCILE_REASON_MAX)
		return smoothfs_error(e, -EINVAL, "reason is longer than %d bytes",
				      SMOOTHFS_RECONCILE_REASON_MAX);
	for (const char *c = reason; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return smoothfs_error(e, -EINVAL, "reason contains a control character");
	r = bus_read_options(msg, auth_option_handler, &o, e);
	if (r < 0)
		return r;
	r = polkit_verify(&p->manager->polkit, msg, SMOOTHFS_ACTION_MANAGE_MOVEMENT,
			  polkit_interactive(msg, o.no_user_interaction), e);
	if (r <= 0)
		return r < 0 ? r : 1;
	r = require_mounted(p, -1, e);
	if (r < 0)
		return r;
	r = smoothfs_reconcile(p->manager->client, &p->uuid, *reason ? reason : NULL);
	if (r < 0)
		return kernel_error(p, e, r, "reconcile");
	pool_reprobe_faulted(p);
	pool_set_state(p, p->faulted_tiers ? POOL_DEGRADED : POOL_MOUNTED);
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_inspect(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct smoothfs_inspect_result ins = {};
	_cleanup_(caller_identity_clear) struct caller_identity caller = {};
	char hex[SMOOTHFS_OID_HEX_MAX];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *rel = NULL;
	Pool *p = userdata;
	smoothfs_oid_t oid;
	const char *path, *state, *pin;
	double heat = 0;
	int r;

	r = sd_bus_message_read(msg, "s", &path);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "malformed arguments");
	/* A read open to everyone: only what the caller may look up (as us: no switch). */
	r = caller_identity_get(msg, &caller, e);
	if (r < 0)
		return r;
	r = pool_open_path(p, path, caller.uid == geteuid() ? NULL : &caller, &fd, &rel, e);
	if (r < 0)
		return r;
	r = require_mounted(p, fd, e);
	if (r < 0)
		return r;
	r = read_oid(fd, &oid, e);
	if (r < 0)
		return r;
	r = smoothfs_inspect(p->manager->client, &p->uuid, &oid, &ins);
	if (r < 0)
		return kernel_error(p, e, r, "inspect");
	smoothfs_oid_to_hex(&oid, hex);
	(void)engine_object_heat(p->manager, p, &oid, &heat);
	state = smoothfs_movement_state_to_string(ins.movement_state) ?: "unknown";
	pin = smoothfs_pin_state_to_string(ins.pin_state) ?: "unknown";

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "a{sv}", 9,
					  "oid", "s", hex,
					  "tier", "y", ins.current_tier,
					  "intended_tier", "y", ins.intended_tier,
					  "state", "s", state,
					  "pin", "s", pin,
					  "heat", "d", heat,
					  "write_seq", "t", ins.has_write_seq ? ins.write_seq : 0,
					  "generation", "u", ins.generation,
					  "path", "s", ins.rel_path ? ins.rel_path : rel);
	smoothfs_inspect_result_clear(&ins);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

struct move_options {
	struct auth_options auth;
	bool force;
};

static int move_option_handler(const char *key, const char *sig, sd_bus_message *m, void *userdata,
			       sd_bus_error *e)
{
	struct move_options *o = userdata;

	if (streq(key, "force"))
		return option_read_bool(key, sig, m, &o->force, e);
	return auth_option_handler(key, sig, m, &o->auth, e);
}

static int method_move(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	char hex[SMOOTHFS_OID_HEX_MAX];
	struct move_options o = {};
	_cleanup_close_ int fd = -1;
	Pool *p = userdata;
	Manager *m = p->manager;
	struct smoothfs_inspect_result ins = {};
	struct move_request req;
	smoothfs_oid_t oid;
	const char *path, *rel;
	struct stat st;
	uint64_t seq;
	uint8_t tier;
	int r, from;

	(void)sd_bus_message_rewind(msg, true);
	r = sd_bus_message_read(msg, "sy", &path, &tier);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "malformed arguments");
	r = bus_read_options(msg, move_option_handler, &o, e);
	if (r < 0)
		return r;
	if (tier >= strv_length(p->tiers))
		return smoothfs_error(e, -EINVAL, "pool %s has no tier %u (tiers 0..%zu)", p->name,
				      tier, strv_length(p->tiers) - 1);
	r = pool_relative_path(p, path, &rel, e);
	if (r < 0)
		return r;
	/* Authorised before the path is looked up: nothing leaks to others. */
	r = polkit_verify(&m->polkit, msg, SMOOTHFS_ACTION_MANAGE_MOVEMENT,
			  polkit_interactive(msg, o.auth.no_user_interaction), e);
	if (r <= 0)
		return r < 0 ? r : 1;
	r = pool_open_path(p, path, NULL, &fd, NULL, e);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return smoothfs_error(e, -errno, "cannot stat \"%.64s\": %m", path);
	if (!S_ISREG(st.st_mode))
		return smoothfs_error(e, -EISDIR, "only regular files move, not \"%.64s\"", path);
	r = require_mounted(p, fd, e);
	if (r < 0)
		return r;
	r = read_oid(fd, &oid, e);
	if (r < 0)
		return r;
	smoothfs_oid_to_hex(&oid, hex);
	from = -1;
	if (smoothfs_inspect(m->client, &p->uuid, &oid, &ins) >= 0) {
		from = ins.current_tier;
		smoothfs_inspect_result_clear(&ins);
	}
	r = store_move_begin(m->store, p->name, hex, rel, from, tier, (uint64_t)st.st_size, &seq);
	if (r < 0)
		return smoothfs_error(e, r, "cannot log the move");
	log_full(LOG_INFO, 0, p->name, hex, "move of %s to tier %u (seq %llu)", path, tier,
		 (unsigned long long)seq);
	req = (struct move_request){
		.oid = oid,
		.tier = tier,
		/* The caller learns of the move once it is over, old copy gone. */
		.flags = SMOOTHFS_MOVE_WAIT_CLOSED | (o.force ? SMOOTHFS_MOVE_FORCE : 0),
		.seq = seq,
		.size = (uint64_t)st.st_size,
	};
	r = move_job_start(p, msg, TAKE_FD(fd), &req, e);
	if (r < 0) {
		(void)store_move_update(m->store, p->name, seq, "failed", true, e->message);
		return r;
	}
	return 1;	/* the job replies */
}

static int method_pin(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	char hex[SMOOTHFS_OID_HEX_MAX];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *rel = NULL;
	Pool *p = userdata;
	enum smoothfs_pin_state ps;
	smoothfs_oid_t oid;
	const char *path, *pin, *unused;
	int r;

	(void)sd_bus_message_rewind(msg, true);
	r = sd_bus_message_read(msg, "ss", &path, &pin);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "malformed arguments");
	if (smoothfs_pin_state_from_string(pin, &ps) < 0)
		return smoothfs_error(e, -EINVAL, "unknown pin \"%.32s\" (none, %s, %s, %s, %s)", pin,
				      SMOOTHFS_PIN_NAME_HOT, SMOOTHFS_PIN_NAME_COLD,
				      SMOOTHFS_PIN_NAME_LEASE, SMOOTHFS_PIN_NAME_LUN);
	if (ps == SMOOTHFS_PIN_HARDLINK)
		return smoothfs_error(e, -EINVAL, "%s is set by the kernel, not by callers",
				      SMOOTHFS_PIN_NAME_HARDLINK);
	r = pool_relative_path(p, path, &unused, e);
	if (r < 0)
		return r;
	r = polkit_verify(&p->manager->polkit, msg, SMOOTHFS_ACTION_MANAGE_MOVEMENT,
			  polkit_interactive(msg, false), e);
	if (r <= 0)
		return r < 0 ? r : 1;
	r = pool_open_path(p, path, NULL, &fd, &rel, e);
	if (r < 0)
		return r;
	r = require_mounted(p, fd, e);
	if (r < 0)
		return r;
	r = read_oid(fd, &oid, e);
	if (r < 0)
		return r;
	if (fsetxattr(fd, SMOOTHFS_XATTR_PIN, pin, strlen(pin), 0) < 0)
		return smoothfs_error(e, -errno, "cannot pin \"%.64s\": %m", path);
	smoothfs_oid_to_hex(&oid, hex);
	(void)store_object_set_pin(p->manager->store, p->name, hex, rel, pin);
	log_full(LOG_INFO, 0, p->name, hex, "%s is now %s", path, pin);
	return sd_bus_reply_method_return(msg, NULL);
}

struct policy_options {
	struct auth_options auth;
	struct smoothfsd_policy policy;
	unsigned int n_keys;
};

static int policy_option_handler(const char *key, const char *sig, sd_bus_message *m,
				 void *userdata, sd_bus_error *e)
{
	struct policy_options *o = userdata;

	if (streq(key, SMOOTHFSD_OPTION_NO_USER_INTERACTION))
		return auth_option_handler(key, sig, m, &o->auth, e);
	o->n_keys++;
	return policy_apply_option(&o->policy, key, sig, m, e);
}

static int method_set_policy(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	_cleanup_strv_free_ char **keys = NULL;
	_cleanup_strv_free_ char **values = NULL;
	Pool *p = userdata;
	struct policy_options o = { .policy = p->policy };
	int r;

	(void)sd_bus_message_rewind(msg, true);
	r = bus_read_options(msg, policy_option_handler, &o, e);
	if (r < 0)
		return r;
	r = policy_check(&o.policy, e);
	if (r < 0)
		return r;
	r = polkit_verify(&p->manager->polkit, msg, SMOOTHFS_ACTION_MANAGE_MOVEMENT,
			  polkit_interactive(msg, o.auth.no_user_interaction), e);
	if (r <= 0)
		return r < 0 ? r : 1;
	r = policy_to_strings(&o.policy, &keys, &values);
	if (r < 0)
		return smoothfs_error(e, r, "out of memory");
	r = store_policy_set(p->manager->store, p->name, keys, values, strv_length(keys));
	if (r < 0)
		return smoothfs_error(e, r, "cannot store the policy");
	p->policy = o.policy;
	log_pool(LOG_INFO, 0, p->name, "policy changed (%u keys)", o.n_keys);
	engine_policy_changed(p->manager, p);
	pool_changed(p, "Policy", NULL);
	return sd_bus_reply_method_return(msg, NULL);
}

static int plan_option_handler(const char *key, const char *sig, sd_bus_message *m, void *userdata,
			       sd_bus_error *e)
{
	uint32_t *limit = userdata;

	if (!streq(key, "limit"))
		return option_unknown(key, e);
	if (!streq(sig, "u"))
		return smoothfs_error(e, -EINVAL, "option \"limit\" must be u, not %s", sig);
	return sd_bus_message_read_basic(m, 'u', limit) < 0 ?
	       smoothfs_error(e, -EINVAL, "malformed limit") : 0;
}

static int method_plan_moves(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct engine_planned_move *moves = NULL;
	Pool *p = userdata;
	uint32_t limit = 0;
	size_t n = 0;
	int r;

	r = bus_read_options(msg, plan_option_handler, &limit, e);
	if (r < 0)
		return r;
	r = engine_plan_moves(p->manager, p, limit, &moves, &n);
	if (r < 0)
		return smoothfs_error(e, r, "planning failed");
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(syyts)");
	for (size_t i = 0; r >= 0 && i < n && (!limit || i < limit); i++)
		r = sd_bus_message_append(reply, "(syyts)", moves[i].path, moves[i].from_tier,
					  moves[i].to_tier, moves[i].size,
					  moves[i].reason ? moves[i].reason : "");
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	engine_planned_moves_free(moves, n);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/* --- properties -------------------------------------------------------------------- */

static int property_get_uuid(sd_bus *bus, const char *path, const char *interface,
			     const char *property, sd_bus_message *reply, void *userdata,
			     sd_bus_error *error)
{
	char s[SMOOTHFS_UUID_STRING_MAX];
	Pool *p = userdata;

	smoothfs_uuid_to_string(&p->uuid, s);
	return sd_bus_message_append(reply, "s", s);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface,
			      const char *property, sd_bus_message *reply, void *userdata,
			      sd_bus_error *error)
{
	Pool *p = userdata;

	return sd_bus_message_append(reply, "s", pool_state_to_string(p->state));
}

static int property_get_tiers(sd_bus *bus, const char *path, const char *interface,
			      const char *property, sd_bus_message *reply, void *userdata,
			      sd_bus_error *error)
{
	Pool *p = userdata;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(ystt)");
	for (size_t i = 0; r >= 0 && p->tiers[i]; i++) {
		struct statvfs sv;
		uint64_t size = 0, avail = 0;

		if (statvfs(p->tiers[i], &sv) == 0) {
			size = (uint64_t)sv.f_blocks * sv.f_frsize;
			avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		}
		r = sd_bus_message_append(reply, "(ystt)", (uint8_t)i, p->tiers[i], size, avail);
	}
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

static int property_get_policy(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	Pool *p = userdata;

	return policy_append(reply, &p->policy);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

const sd_bus_vtable pool_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Name", "s", NULL, offsetof(Pool, name), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("UUID", "s", property_get_uuid, 0, EMITS),
	SD_BUS_PROPERTY("Mountpoint", "s", NULL, offsetof(Pool, mountpoint), EMITS),
	SD_BUS_PROPERTY("UnitPath", "s", NULL, offsetof(Pool, unit_path), EMITS),
	SD_BUS_PROPERTY("State", "s", property_get_state, 0, EMITS),
	SD_BUS_PROPERTY("Tiers", "a(ystt)", property_get_tiers, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
	SD_BUS_PROPERTY("Policy", "a{sv}", property_get_policy, 0, EMITS),
	SD_BUS_PROPERTY("MovesCompleted", "t", NULL, offsetof(Pool, moves_completed), EMITS),
	SD_BUS_PROPERTY("MovesFailed", "t", NULL, offsetof(Pool, moves_failed), EMITS),
	SD_BUS_PROPERTY("BytesMoved", "t", NULL, offsetof(Pool, bytes_moved), EMITS),
	SD_BUS_PROPERTY("SpillCount", "t", NULL, offsetof(Pool, spill_count), EMITS),
	SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT,
				method_destroy, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Quiesce", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT,
				method_quiesce, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Reconcile", SD_BUS_ARGS("s", reason, "a{sv}", options),
				SD_BUS_NO_RESULT, method_reconcile, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Inspect", SD_BUS_ARGS("s", path), SD_BUS_RESULT("a{sv}", info),
				method_inspect, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Move", SD_BUS_ARGS("s", path, "y", tier, "a{sv}", options),
				SD_BUS_RESULT("t", seq), method_move, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Pin", SD_BUS_ARGS("s", path, "s", pin), SD_BUS_NO_RESULT,
				method_pin, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("SetPolicy", SD_BUS_ARGS("a{sv}", options), SD_BUS_NO_RESULT,
				method_set_policy, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("PlanMoves", SD_BUS_ARGS("a{sv}", options),
				SD_BUS_RESULT("a(syyts)", moves), method_plan_moves,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_ARGS("MoveStateChanged", SD_BUS_ARGS("s", oid, "s", state, "t", seq), 0),
	SD_BUS_SIGNAL_WITH_ARGS("TierFault", SD_BUS_ARGS("y", rank), 0),
	SD_BUS_SIGNAL_WITH_ARGS("Spill", SD_BUS_ARGS("s", oid, "y", from, "y", to, "t", size), 0),
	SD_BUS_VTABLE_END
};

/* --- object tree ----------------------------------------------------------------------- */

int pool_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		     void **found, sd_bus_error *error)
{
	Manager *m = userdata;
	_cleanup_free_ char *name = NULL;
	int r;

	r = sd_bus_path_decode(path, SMOOTHFSD_POOL_PREFIX, &name);
	if (r <= 0)
		return 0;
	for (Pool *p = m->pools; p; p = p->next) {
		if (streq(p->name, name)) {
			*found = p;
			return 1;
		}
	}
	return 0;
}

int pool_node_enumerator(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
			 sd_bus_error *error)
{
	Manager *m = userdata;
	char **v;
	size_t i = 0;

	v = calloc(m->n_pools + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (Pool *p = m->pools; p; p = p->next) {
		v[i] = strdup(p->object_path);
		if (!v[i])
			return strv_free(v), -ENOMEM;
		i++;
	}
	*nodes = v;
	return 0;
}
