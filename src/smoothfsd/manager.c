// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * org.smoothfs1.Manager at /org/smoothfs1, and the daemon's state.
 */
#include <limits.h>

#include "engine.h"
#include "errors.h"
#include "events.h"
#include "log.h"
#include "options.h"
#include "pool-object.h"

#ifndef SMOOTHFSD_VERSION
#define SMOOTHFSD_VERSION "unknown"
#endif

int manager_new(const struct manager_config *config, Manager **ret)
{
	Manager *m;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->config = *config;
	m->polkit.no_privileged_shortcut = config->no_privileged_shortcut;
	r = sd_event_default(&m->event);
	if (r < 0)
		goto fail;
	r = store_open(config->db_path ? config->db_path : SMOOTHFSD_DEFAULT_DB, &m->store);
	if (r < 0) {
		log_error_errno(r, "cannot open the database %s",
				config->db_path ? config->db_path : SMOOTHFSD_DEFAULT_DB);
		goto fail;
	}
	*ret = m;
	return 0;
fail:
	manager_free(m);
	return r;
}

Manager *manager_free(Manager *m)
{
	if (!m)
		return NULL;
	events_stop(m);
	polkit_registry_clear(&m->polkit);
	while (m->pools) {
		Pool *p = m->pools;

		m->pools = p->next;
		pool_free(p);
	}
	sd_bus_flush_close_unref(m->bus);
	store_close(m->store);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}

Pool *manager_find_pool_by_uuid(Manager *m, const smoothfs_uuid_t *uuid)
{
	for (Pool *p = m->pools; p; p = p->next)
		if (!memcmp(&p->uuid, uuid, sizeof(*uuid)))
			return p;
	return NULL;
}

Pool *manager_find_pool(Manager *m, const char *name_or_uuid)
{
	smoothfs_uuid_t u;

	for (Pool *p = m->pools; p; p = p->next)
		if (streq(p->name, name_or_uuid))
			return p;
	if (smoothfs_uuid_from_string(name_or_uuid, &u) == 0)
		return manager_find_pool_by_uuid(m, &u);
	return NULL;
}

/*
 * Creating and destroying pools goes through systemd (the library's
 * managed-pool helpers); without it they would get half way.  -EHOSTDOWN
 * with @e set when systemd is not on the bus.
 */
int manager_require_systemd(Manager *m, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r, has = 0;

	if (!m->bus)
		return smoothfs_error(e, -EHOSTDOWN, "not connected to the system bus");
	r = sd_bus_call_method(m->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s",
			       "org.freedesktop.systemd1");
	if (r >= 0)
		r = sd_bus_message_read(reply, "b", &has);
	if (r < 0 || !has)
		return smoothfs_error(e, -EHOSTDOWN,
				      "systemd is not running on the system bus; pools are "
				      "created and destroyed through it");
	return 0;
}

/* --- methods ------------------------------------------------------------ */

struct create_options {
	struct auth_options auth;
	const char *uuid;
	const char *mount_base;
	struct smoothfsd_policy policy;
};

static int create_option_handler(const char *key, const char *sig, sd_bus_message *m,
				 void *userdata, sd_bus_error *e)
{
	struct create_options *o = userdata;

	if (streq(key, "uuid"))
		return option_read_string(key, sig, m, &o->uuid, e);
	if (streq(key, "mount_base"))
		return option_read_string(key, sig, m, &o->mount_base, e);
	if (streq(key, SMOOTHFSD_OPTION_NO_USER_INTERACTION))
		return auth_option_handler(key, sig, m, &o->auth, e);
	return policy_apply_option(&o->policy, key, sig, m, e);
}

/* Reads "as" of at most SMOOTHFS_MAX_TIERS entries (pointers into @msg). */
static int read_tiers(sd_bus_message *msg, const char *tiers[], size_t *ret_n, sd_bus_error *e)
{
	size_t n = 0;
	int r;

	r = sd_bus_message_enter_container(msg, 'a', "s");
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "malformed tier list");
	for (;;) {
		const char *t;

		r = sd_bus_message_read_basic(msg, 's', &t);
		if (r < 0)
			return smoothfs_error(e, -EINVAL, "malformed tier list");
		if (r == 0)
			break;
		if (n >= SMOOTHFS_MAX_TIERS)
			return smoothfs_error(e, -E2BIG, "more than %d tiers", SMOOTHFS_MAX_TIERS);
		tiers[n++] = t;
	}
	r = sd_bus_message_exit_container(msg);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "malformed tier list");
	*ret_n = n;
	return 0;
}

static int method_create_pool(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	struct smoothfs_managed_pool *mp = NULL;
	_cleanup_free_ char *mountpoint = NULL;
	_cleanup_strv_free_ char **keys = NULL;
	_cleanup_strv_free_ char **values = NULL;
	const char *tiers[SMOOTHFS_MAX_TIERS + 1] = {};
	struct create_options o = {};
	struct smoothfs_create_pool_request req = {};
	Manager *m = userdata;
	const char *name;
	char err[256] = "";
	size_t n = 0;
	Pool *p;
	int r;

	policy_init(&o.policy);
	(void)sd_bus_message_rewind(msg, true);
	r = sd_bus_message_read(msg, "s", &name);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "malformed arguments");
	r = read_tiers(msg, tiers, &n, e);
	if (r < 0)
		return r;
	r = bus_read_options(msg, create_option_handler, &o, e);
	if (r < 0)
		return r;
	if (smoothfs_validate_pool_name(name) < 0)
		return smoothfs_error(e, -EINVAL, "invalid pool name \"%.64s\" "
				      "(^[a-z0-9][a-z0-9._-]{0,62}$)", name);
	r = smoothfs_validate_tiers(tiers, n, err, sizeof(err));
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "invalid tiers: %s", err);
	if (o.uuid) {
		r = smoothfs_uuid_from_string(o.uuid, &req.uuid);
		if (r < 0)
			return smoothfs_error(e, -EINVAL, "invalid uuid \"%.40s\"", o.uuid);
		if (!smoothfs_uuid_is_null(&req.uuid) && manager_find_pool_by_uuid(m, &req.uuid))
			return smoothfs_error(e, -EEXIST, "a pool with uuid %s exists", o.uuid);
	}
	if (o.mount_base && (o.mount_base[0] != '/' || strlen(o.mount_base) >= PATH_MAX))
		return smoothfs_error(e, -EINVAL, "mount_base must be an absolute path");
	r = smoothfs_mountpoint_for_pool(o.mount_base ? o.mount_base : m->config.mount_base, name,
					 &mountpoint);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "invalid mount_base");
	r = policy_check(&o.policy, e);
	if (r < 0)
		return r;
	if (manager_find_pool(m, name))
		return smoothfs_error(e, -EEXIST, "pool %s exists", name);
	if (m->n_pools >= SMOOTHFSD_POOLS_MAX)
		return smoothfs_error(e, -EBUSY, "too many pools (%d)", SMOOTHFSD_POOLS_MAX);

	r = polkit_verify(&m->polkit, msg, SMOOTHFS_ACTION_MANAGE_POOLS,
			  polkit_interactive(msg, o.auth.no_user_interaction), e);
	if (r <= 0)
		return r < 0 ? r : 1;

	r = manager_require_systemd(m, e);
	if (r < 0)
		return r;
	req.name = name;
	req.tiers = tiers;
	req.n_tiers = n;
	req.mount_base = o.mount_base ? o.mount_base : m->config.mount_base;
	req.unit_dir = m->config.unit_dir;
	log_pool(LOG_INFO, 0, name, "creating pool with %zu tiers", n);
	r = smoothfs_create_managed_pool(&req, &mp, err, sizeof(err));
	if (r < 0) {
		log_pool(LOG_WARNING, r, name, "cannot create the pool: %s", err);
		return smoothfs_error(e, r, "cannot create pool %s: %s", name, err);
	}
	r = pool_new(m, mp->name, &mp->uuid, mp->mountpoint, mp->unit_path, mp->tiers, &p);
	smoothfs_managed_pool_free(mp);
	if (r < 0)
		return smoothfs_error(e, r, "pool %s is mounted but cannot be tracked", name);
	p->policy = o.policy;
	p->state = POOL_MOUNTED;
	r = pool_save(p);
	if (r >= 0)
		r = policy_to_strings(&p->policy, &keys, &values);
	if (r >= 0)
		r = store_policy_set(m->store, p->name, keys, values, strv_length(keys));
	if (r < 0)
		log_pool(LOG_WARNING, r, name, "cannot record the pool in the database");
	r = pool_add(m, p);
	if (r < 0) {
		pool_free(p);
		return smoothfs_error(e, r, "pool %s is mounted but cannot be tracked", name);
	}
	engine_policy_changed(m, p);
	return sd_bus_reply_method_return(msg, "o", p->object_path);
}

static int method_get_pool(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	smoothfs_uuid_t u;
	Manager *m = userdata;
	const char *s;
	Pool *p;
	int r;

	r = sd_bus_message_read(msg, "s", &s);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "malformed arguments");
	if (smoothfs_validate_pool_name(s) < 0 && smoothfs_uuid_from_string(s, &u) < 0)
		return smoothfs_error(e, -EINVAL, "\"%.64s\" is neither a pool name nor a UUID", s);
	p = manager_find_pool(m, s);
	if (!p)
		return smoothfs_error(e, -ENOENT, "no pool %s", s);
	return sd_bus_reply_method_return(msg, "o", p->object_path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int method_list_pools(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ const char **paths = NULL;
	Manager *m = userdata;
	size_t n = 0;
	int r;

	paths = calloc(m->n_pools + 1, sizeof(char *));
	if (!paths)
		return -ENOMEM;
	for (Pool *p = m->pools; p; p = p->next)
		paths[n++] = p->object_path;
	qsort(paths, n, sizeof(char *), cmp_str);
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "o");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append_basic(reply, 'o', paths[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
				const char *property, sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", SMOOTHFSD_VERSION);
}

static int property_get_loaded(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	Manager *m = userdata;

	return sd_bus_message_append(reply, "b", m->client != NULL);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("KernelModuleLoaded", "b", property_get_loaded, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_ARGS("CreatePool",
				SD_BUS_ARGS("s", name, "as", tiers, "a{sv}", options),
				SD_BUS_RESULT("o", pool), method_create_pool,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetPool", SD_BUS_ARGS("s", name_or_uuid),
				SD_BUS_RESULT("o", pool), method_get_pool,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ListPools", SD_BUS_NO_ARGS, SD_BUS_RESULT("ao", pools),
				method_list_pools, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END
};

int manager_attach_bus(Manager *m, sd_bus *bus)
{
	int r;

	m->bus = sd_bus_ref(bus);
	r = sd_bus_add_object_vtable(bus, NULL, SMOOTHFSD_OBJECT_ROOT, SMOOTHFSD_MANAGER_IFACE,
				     manager_vtable, m);
	if (r < 0)
		return log_error_errno(r, "cannot add the Manager object");
	r = sd_bus_add_fallback_vtable(bus, NULL, SMOOTHFSD_POOL_PREFIX, SMOOTHFSD_POOL_IFACE,
				       pool_vtable, pool_object_find, m);
	if (r < 0)
		return log_error_errno(r, "cannot add the pool objects");
	r = sd_bus_add_node_enumerator(bus, NULL, SMOOTHFSD_POOL_PREFIX, pool_node_enumerator, m);
	if (r < 0)
		return log_error_errno(r, "cannot add the pool enumerator");
	r = sd_bus_add_object_manager(bus, NULL, SMOOTHFSD_OBJECT_ROOT);
	if (r < 0)
		return log_error_errno(r, "cannot add the object manager");
	return 0;
}

void manager_module_changed(Manager *m)
{
	if (m->bus)
		(void)sd_bus_emit_properties_changed(m->bus, SMOOTHFSD_OBJECT_ROOT,
						     SMOOTHFSD_MANAGER_IFACE, "KernelModuleLoaded",
						     NULL);
}

int manager_load(Manager *m)
{
	struct store_pool *sp = NULL;
	size_t n = 0;
	int r;

	r = store_pool_list(m->store, &sp, &n);
	if (r < 0)
		return log_error_errno(r, "cannot read pools from the database");
	for (size_t i = 0; i < n; i++) {
		smoothfs_uuid_t u;
		Pool *p;

		if (smoothfs_uuid_from_string(sp[i].uuid, &u) < 0 ||
		    smoothfs_validate_pool_name(sp[i].name) < 0 ||
		    strv_length(sp[i].tiers) > SMOOTHFS_MAX_TIERS || manager_find_pool(m, sp[i].name)) {
			log_warning("store: skipping bad pool record \"%.64s\"", sp[i].name);
			continue;
		}
		r = pool_new(m, sp[i].name, &u, sp[i].mountpoint, sp[i].unit_path, sp[i].tiers, &p);
		if (r < 0) {
			log_pool(LOG_WARNING, r, sp[i].name, "cannot load the pool");
			continue;
		}
		p->spill_count = sp[i].spill_count;
		pool_load_state(p);
		if (pool_add(m, p) < 0)
			pool_free(p);
	}
	store_pool_free_array(sp, n);
	return events_start(m);
}
