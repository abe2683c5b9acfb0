// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The movement engine of one pool: heat from the kernel's samples, and a
 * worker thread that, once per policy interval, catalogs the pool, plans
 * with planner.c and moves files with the library's mover at idle I/O
 * priority, up to max_concurrent at once (dispatch.c): the plan's
 * demotions first, then, once they are all over, the rest.
 *
 * Threads: the event loop owns the Pool and the bus; the worker owns its
 * own netlink client and database connection, and so does each helper
 * thread it starts to run moves beside it for one phase of a plan.  They
 * share, under engine_pool.lock, the heat table, the last catalog, the
 * policy, the plan's next move and byte budget, and the counters the
 * movers hand back (an eventfd wakes the event loop to publish them).  A
 * pool that goes away detaches its worker, which joins its helpers and
 * frees the shared part when it exits: the event loop never waits for a
 * move.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/ioprio.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>

#include "catalog.h"
#include "dispatch.h"
#include "engine.h"
#include "heat.h"
#include "log.h"
#include "planner.h"
#include "pool-object.h"
#include "store.h"
#include "util.h"

/* A catalog larger than this is refused rather than eating the machine. */
#define ENGINE_MAX_OBJECTS (16U << 20)
/* Moves in one plan; the byte budget and the interval bound it first. */
#define ENGINE_MAX_MOVES 100000U
/* Heat below this is not worth a row in the database (a few half-lives idle). */
#define ENGINE_HEAT_SAVE_MIN 1e-3

struct engine_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	/* Under lock. */
	bool stop;		/* the worker must exit */
	bool detached;		/* the worker frees this when it exits */
	bool wake;		/* plan now (policy changed) */
	struct smoothfsd_policy policy;
	struct heat_params heat_params;
	struct heat_table heat;
	struct catalog catalog;	/* the last scan */
	bool scanned;
	uint64_t done, failed, bytes;	/* not yet published */
	/* Set at attach, read-only after. */
	char *pool_name;
	smoothfs_uuid_t uuid;
	char *mountpoint;
	char **tiers;
	unsigned int n_tiers;
	char *db_path;
	int notify_fd;
	/* Event loop only. */
	sd_event_source *notify_source;
};

static char **strv_copy(char *const *v)
{
	size_t n = strv_length(v);
	char **c = calloc(n + 1, sizeof(*c));

	for (size_t i = 0; c && i < n; i++)
		if (!(c[i] = strdup(v[i])))
			c = strv_free(c);
	return c;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void heat_params_for(const struct smoothfsd_policy *pol, struct heat_params *hp)
{
	heat_params_default(hp);
	/* Half the interval: see docs/benchmarks.md (the policy simulator). */
	hp->half_life_s = pol->interval_sec / 2.0 < 1 ? 1 : pol->interval_sec / 2.0;
}

static void planner_policy_for(const struct smoothfsd_policy *pol, struct planner_policy *pp)
{
	planner_policy_default(pp);
	pp->target_fill_pct = pol->target_fill;
	pp->high_watermark_pct = pol->high_watermark;
	pp->low_watermark_pct = pol->low_watermark < pol->target_fill ?
				pol->low_watermark : pol->target_fill;
	pp->min_residency_s = pol->min_residency_sec;
	pp->max_bytes = pol->max_bytes_per_sec ?
			pol->max_bytes_per_sec * (uint64_t)pol->interval_sec : UINT64_MAX;
	pp->max_moves = ENGINE_MAX_MOVES;
	if (pol->quiet_hours) {
		pp->quiet_start_min = pol->quiet_start_min;
		pp->quiet_end_min = pol->quiet_end_min;
	}
}

static int local_minute_now(void)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return tm.tm_hour * 60 + tm.tm_min;
}

static void engine_pool_free(struct engine_pool *ep)
{
	if (!ep)
		return;
	heat_table_done(&ep->heat);
	catalog_clear(&ep->catalog);
	free(ep->pool_name);
	free(ep->mountpoint);
	strv_free(ep->tiers);
	free(ep->db_path);
	if (ep->notify_fd >= 0)
		close(ep->notify_fd);
	pthread_mutex_destroy(&ep->lock);
	pthread_cond_destroy(&ep->cond);
	free(ep);
}

/* --- the planning input ----------------------------------------------------- */

static void tiers_now(const struct engine_pool *ep, struct planner_tier *tiers)
{
	for (unsigned int t = 0; t < ep->n_tiers; t++) {
		struct statvfs sv;

		tiers[t] = (struct planner_tier){ 0 };
		if (statvfs(ep->tiers[t], &sv) < 0 || sv.f_blocks == 0)
			continue;	/* offline: nothing moves to or from it */
		tiers[t].capacity_bytes = (uint64_t)sv.f_blocks * sv.f_frsize;
		/* Reserved blocks count as used: the mover cannot use them either. */
		tiers[t].used_bytes = (uint64_t)(sv.f_blocks - sv.f_bavail) * sv.f_frsize;
		tiers[t].online = true;
	}
}

/* Planner objects from the catalog with the heat as of @now; under lock. */
static int objects_now(struct engine_pool *ep, uint64_t now, struct planner_object **ret)
{
	struct planner_object *obj = calloc(ep->catalog.n ? ep->catalog.n : 1, sizeof(*obj));

	if (!obj)
		return -ENOMEM;
	for (size_t i = 0; i < ep->catalog.n; i++) {
		const struct catalog_entry *e = &ep->catalog.entries[i];
		const struct heat_object *h = heat_table_find(&ep->heat, &e->oid);

		obj[i] = (struct planner_object){
			.oid = e->oid, .size_bytes = e->size_bytes, .tier = e->tier, .pin = e->pin,
			.heat = h ? heat_score_at(&h->score, now, ep->heat_params.half_life_s) : 0,
			.last_move_ns = h ? h->last_move_ns : 0,
		};
	}
	*ret = obj;
	return 0;
}

/* Plans against the last catalog; the caller frees *objects and *plan. */
static int plan_now(struct engine_pool *ep, const struct smoothfsd_policy *pol,
		    struct planner_object **objects, struct planner_plan *plan)
{
	struct planner_tier tiers[SMOOTHFS_MAX_TIERS];
	struct planner_policy pp;
	struct planner_input in = {
		.policy = &pp, .tiers = tiers, .n_tiers = ep->n_tiers,
		.now_ns = realtime_ns(), .local_minute = local_minute_now(),
	};
	int r;

	planner_policy_for(pol, &pp);
	tiers_now(ep, tiers);
	pthread_mutex_lock(&ep->lock);
	r = objects_now(ep, in.now_ns, objects);
	in.n_objects = ep->catalog.n;
	pthread_mutex_unlock(&ep->lock);
	if (r < 0)
		return r;
	in.objects = *objects;
	r = planner_plan(&in, plan);
	if (r < 0) {
		free(*objects);
		*objects = NULL;
	}
	return r;
}

static int rescan(struct engine_pool *ep)
{
	struct catalog c;
	int r;

	r = catalog_scan(ep->mountpoint, ep->n_tiers, ENGINE_MAX_OBJECTS, &c);
	if (r < 0)
		return log_pool(LOG_WARNING, r, ep->pool_name, "cataloging %s: %s", ep->mountpoint,
				strerror(-r));
	if (c.skipped)
		log_pool(LOG_NOTICE, 0, ep->pool_name, "%zu files without a usable object id skipped",
			 c.skipped);
	pthread_mutex_lock(&ep->lock);
	catalog_clear(&ep->catalog);
	ep->catalog = c;
	ep->scanned = true;
	pthread_mutex_unlock(&ep->lock);
	return 0;
}

/* --- the movers --------------------------------------------------------------- */

struct worker {
	struct engine_pool *ep;
	smoothfs_client *client;
	Store *store;
};

/* One plan being run, shared by its movers. */
struct plan_run {
	struct engine_pool *ep;
	const struct planner_plan *plan;
	const struct planner_object *objects;
	/* Set while no helper runs, read-only during a phase. */
	const size_t *order;	/* the phase's moves: indices into plan->moves */
	size_t n;
	/* Under ep->lock. */
	size_t next;		/* the next of order[] to hand out */
	struct pacer pacer;	/* max_bytes_per_sec over all movers and phases */
};

/* A thread that runs moves: the worker itself, or a helper for one phase. */
struct mover {
	struct plan_run *run;
	smoothfs_client *client;	/* its own: a client is not thread-safe */
	Store *store;			/* its own: connections are not shared */
	pthread_t thread;
};

static void notify(struct engine_pool *ep)
{
	uint64_t one = 1;

	(void)!write(ep->notify_fd, &one, sizeof(one));
}

/* The plan in progress is over: exit, disabled, or a new policy to plan with. */
static bool stopping_locked(struct engine_pool *ep)
{
	return ep->stop || ep->wake || !ep->policy.enabled;
}

static bool stopping(struct engine_pool *ep)
{
	bool stop;

	pthread_mutex_lock(&ep->lock);
	stop = stopping_locked(ep);
	pthread_mutex_unlock(&ep->lock);
	return stop;
}

/* Moves yield the disks to everything else; the calling thread only. */
static void idle_io_priority(void)
{
	(void)syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
		      IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0));
}

/* Sleeps until @due_ns (CLOCK_REALTIME, 0: now); false if the plan ended meanwhile. */
static bool pace(struct engine_pool *ep, uint64_t due_ns)
{
	struct timespec until = {
		.tv_sec = (time_t)(due_ns / 1000000000ULL),
		.tv_nsec = (long)(due_ns % 1000000000ULL),
	};
	bool over;

	pthread_mutex_lock(&ep->lock);
	while (!(over = stopping_locked(ep)) && realtime_ns() < due_ns)
		(void)pthread_cond_timedwait(&ep->cond, &ep->lock, &until);
	pthread_mutex_unlock(&ep->lock);
	return !over;
}

static int move_one(struct mover *m, const struct planner_object *o,
		    const struct planner_move *mv, const char *rel)
{
	struct engine_pool *ep = m->run->ep;
	char hex[SMOOTHFS_OID_HEX_MAX];
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	smoothfs_oid_t found;
	uint64_t seq;
	int r;

	if (asprintf(&path, "%s/%s", ep->mountpoint, rel) < 0)
		return -ENOMEM;
	/* Held open for the whole move: the kernel moves objects that are in use. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME | O_NONBLOCK);
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fgetxattr(fd, SMOOTHFS_XATTR_OID, &found, sizeof(found)) != (ssize_t)sizeof(found) ||
	    memcmp(&found, &o->oid, sizeof(found)) != 0)
		return -ESTALE;	/* renamed or replaced since the scan */

	smoothfs_oid_to_hex(&o->oid, hex);
	/* The store picks the seq: unique among the movers and Pool.Move. */
	r = store_move_begin(m->store, ep->pool_name, hex, rel, mv->from, mv->to, mv->size_bytes,
			     &seq);
	if (r < 0)
		return r;
	/*
	 * A pin_hot/pin_cold file may be planned as a pin, a promotion or a
	 * demotion; the kernel lets FORCE move it only where its pin wants it.
	 */
	r = smoothfs_move_file(m->client, &ep->uuid, &o->oid, mv->to, seq,
			       o->pin == SMOOTHFS_PIN_HOT || o->pin == SMOOTHFS_PIN_COLD ?
			       SMOOTHFS_MOVE_FORCE : 0);
	(void)store_move_update(m->store, ep->pool_name, seq, r < 0 ? "failed" : "done", 1,
				r < 0 ? smoothfs_client_last_error(m->client) : NULL);
	if (r < 0)
		return log_full(LOG_WARNING, r, ep->pool_name, hex, "%s %s: tier %u -> %u: %s",
				planner_reason_to_string(mv->reason), rel, mv->from, mv->to,
				smoothfs_client_last_error(m->client));
	log_full(LOG_INFO, 0, ep->pool_name, hex, "%s %s: tier %u -> %u, %" PRIu64 " bytes",
		 planner_reason_to_string(mv->reason), rel, mv->from, mv->to, mv->size_bytes);
	return 0;
}

/* The minimum residency counts from now for @oid (under ep->lock). */
static void mark_moved_locked(struct engine_pool *ep, const smoothfs_oid_t *oid)
{
	struct heat_object *h = heat_table_get(&ep->heat, oid);

	if (h)
		h->last_move_ns = realtime_ns();
}

/* Takes the phase's moves one by one until there are none or the plan is over. */
static void run_moves(struct mover *m)
{
	struct plan_run *run = m->run;
	struct engine_pool *ep = run->ep;

	for (;;) {
		const struct planner_move *mv;
		const struct planner_object *o;
		_cleanup_free_ char *rel = NULL;
		const struct catalog_entry *e;
		uint64_t due = 0;
		int r;

		pthread_mutex_lock(&ep->lock);
		if (stopping_locked(ep) || run->next >= run->n) {
			pthread_mutex_unlock(&ep->lock);
			return;
		}
		mv = &run->plan->moves[run->order[run->next++]];
		o = &run->objects[mv->object];
		e = catalog_find(&ep->catalog, &o->oid);
		rel = e ? strdup(e->path) : NULL;
		if (rel)
			due = pacer_reserve(&run->pacer, mv->size_bytes);
		pthread_mutex_unlock(&ep->lock);
		if (!rel)
			continue;
		if (!pace(ep, due))
			return;
		r = move_one(m, o, mv, rel);
		pthread_mutex_lock(&ep->lock);
		if (r < 0) {
			ep->failed++;
			pacer_refund(&run->pacer, mv->size_bytes);
		} else {
			mark_moved_locked(ep, &o->oid);
			ep->done++;
			ep->bytes += mv->size_bytes;
		}
		pthread_mutex_unlock(&ep->lock);
		notify(ep);
	}
}

static void *helper_main(void *arg)
{
	struct mover *m = arg;
	struct engine_pool *ep = m->run->ep;
	int r;

	idle_io_priority();
	r = smoothfs_client_open(&m->client);
	if (r >= 0)
		r = store_open(ep->db_path, &m->store);
	if (r >= 0)
		run_moves(m);
	else
		log_pool(LOG_WARNING, r, ep->pool_name, "engine: a mover cannot start: %s",
			 strerror(-r));
	m->client = smoothfs_client_close(m->client);
	m->store = store_close(m->store);
	return NULL;
}

/*
 * Runs @n moves of @order with up to @max_concurrent movers: the worker and
 * helper threads that live for this phase only.  Joining them is the wait
 * between the phases, and nothing outlives a plan when the pool goes away;
 * plans come once per interval (10 s at least), so a netlink client and a
 * database connection per helper and phase cost little.
 */
static void run_phase(struct worker *w, struct plan_run *run, const size_t *order, size_t n,
		      unsigned int max_concurrent)
{
	struct mover self = { .run = run, .client = w->client, .store = w->store };
	unsigned int n_helpers, started = 0;
	_cleanup_free_ struct mover *helpers = NULL;

	if (!n)
		return;
	run->order = order;
	run->n = n;
	run->next = 0;
	n_helpers = dispatch_movers(max_concurrent, n) - 1;
	if (n_helpers)
		helpers = calloc(n_helpers, sizeof(*helpers));
	for (; helpers && started < n_helpers; started++) {
		helpers[started].run = run;
		if (pthread_create(&helpers[started].thread, NULL, helper_main,
				   &helpers[started]) != 0)
			break;
	}
	if (started < n_helpers)
		log_pool(LOG_WARNING, 0, run->ep->pool_name, "engine: %u of %u movers started",
			 started + 1, n_helpers + 1);
	run_moves(&self);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(helpers[i].thread, NULL);
}

static void run_plan(struct worker *w, const struct smoothfsd_policy *pol)
{
	struct engine_pool *ep = w->ep;
	struct planner_object *objects = NULL;
	_cleanup_free_ size_t *order = NULL;
	struct planner_plan plan;
	struct plan_run run;
	size_t first;
	int r;

	if (rescan(ep) < 0)
		return;
	r = plan_now(ep, pol, &objects, &plan);
	if (r < 0) {
		log_pool(LOG_WARNING, r, ep->pool_name, "planning: %s", strerror(-r));
		return;
	}
	if (plan.n_moves)
		log_pool(LOG_INFO, 0, ep->pool_name, "plan: %zu moves, %" PRIu64 " bytes",
			 plan.n_moves, plan.bytes);
	order = calloc(plan.n_moves ? plan.n_moves : 1, sizeof(*order));
	if (!order) {
		log_pool(LOG_WARNING, -ENOMEM, ep->pool_name, "planning: %s", strerror(ENOMEM));
		goto out;
	}
	run = (struct plan_run){ .ep = ep, .plan = &plan, .objects = objects };
	pacer_init(&run.pacer, realtime_ns(), pol->max_bytes_per_sec);
	/*
	 * Up to max_concurrent moves at once: the kernel runs them in
	 * parallel and commits their journal records together.  Demotions
	 * first, all of them over before the promotions that need their room
	 * start.
	 */
	first = dispatch_phases(plan.moves, plan.n_moves, order);
	run_phase(w, &run, order, first, pol->max_concurrent);
	if (!stopping(ep))
		run_phase(w, &run, order + first, plan.n_moves - first, pol->max_concurrent);
out:
	planner_plan_free(&plan);
	free(objects);
}

/*
 * Forgets the heat of files idle for a few half-lives and not moved within
 * their minimum residency: what they would add to a plan is nothing, and a
 * removed file never sends another sample, so without this the table
 * would keep every file the pool ever had.
 */
static void prune_heat(struct engine_pool *ep, const struct smoothfsd_policy *pol)
{
	uint64_t now = realtime_ns();
	uint64_t residency_ns = (uint64_t)pol->min_residency_sec * 1000000000ULL;
	size_t removed = 0;
	int r;

	pthread_mutex_lock(&ep->lock);
	r = heat_table_prune(&ep->heat, now, ep->heat_params.half_life_s, ENGINE_HEAT_SAVE_MIN,
			     now > residency_ns ? now - residency_ns : 0, &removed);
	pthread_mutex_unlock(&ep->lock);
	if (r < 0)
		log_pool(LOG_WARNING, r, ep->pool_name, "engine: pruning the heat table: %s",
			 strerror(-r));
	else if (removed)
		log_pool(LOG_DEBUG, 0, ep->pool_name, "engine: forgot the heat of %zu idle files",
			 removed);
}

/* The heat table into the database, so that a restart does not forget it. */
static void save_heat(struct engine_pool *ep, Store *store)
{
	_cleanup_free_ struct store_heat *rows = NULL;
	uint64_t now = realtime_ns();
	size_t n = 0;
	int r;

	pthread_mutex_lock(&ep->lock);
	rows = calloc(ep->heat.n_used ? ep->heat.n_used : 1, sizeof(*rows));
	for (size_t i = 0; rows && i < ep->heat.n_slots; i++) {
		const struct heat_object *h = &ep->heat.slots[i];
		double v;

		if (!h->used)
			continue;
		v = heat_score_at(&h->score, now, ep->heat_params.half_life_s);
		if (v < ENGINE_HEAT_SAVE_MIN)
			continue;
		smoothfs_oid_to_hex(&h->oid, rows[n].oid);
		rows[n].heat = v;
		rows[n].ts_ns = now;
		n++;
	}
	pthread_mutex_unlock(&ep->lock);
	if (!rows)
		return;
	r = store_heat_save(store, ep->pool_name, rows, n);
	if (r < 0)
		log_pool(LOG_WARNING, r, ep->pool_name, "engine: saving heat: %s", strerror(-r));
}

/* The heat the last run saved (event loop, before the worker starts). */
static void load_heat(Manager *m, struct engine_pool *ep)
{
	_cleanup_free_ struct store_heat *rows = NULL;
	size_t n = 0, loaded = 0;

	if (!m->store || store_heat_load(m->store, ep->pool_name, &rows, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct heat_object *h;
		smoothfs_oid_t oid;

		if (smoothfs_oid_from_hex(rows[i].oid, &oid) < 0 || !(rows[i].heat > 0))
			continue;
		h = heat_table_get(&ep->heat, &oid);
		if (!h)
			break;
		h->score.value = rows[i].heat;
		h->score.ts_ns = rows[i].ts_ns;
		loaded++;
	}
	if (loaded)
		log_pool(LOG_INFO, 0, ep->pool_name, "engine: heat of %zu files from the last run",
			 loaded);
}

static void *worker_main(void *arg)
{
	struct worker w = { .ep = arg };
	struct engine_pool *ep = w.ep;
	struct smoothfsd_policy pol;
	bool detached;
	int r;

	idle_io_priority();
	r = store_open(ep->db_path, &w.store);
	if (r < 0)
		log_pool(LOG_ERR, r, ep->pool_name, "engine: opening %s: %s", ep->db_path,
			 strerror(-r));
	pthread_mutex_lock(&ep->lock);
	while (!ep->stop) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ep->policy.interval_sec;
		while (!ep->stop && !ep->wake &&
		       pthread_cond_timedwait(&ep->cond, &ep->lock, &until) == 0)
			;
		if (ep->stop)
			break;
		ep->wake = false;
		pol = ep->policy;
		pthread_mutex_unlock(&ep->lock);
		if (!w.client && smoothfs_client_open(&w.client) < 0)
			w.client = NULL;
		prune_heat(ep, &pol);
		if (w.store)
			save_heat(ep, w.store);
		if (pol.enabled && w.client && w.store)
			run_plan(&w, &pol);
		pthread_mutex_lock(&ep->lock);
	}
	detached = ep->detached;
	pthread_mutex_unlock(&ep->lock);
	smoothfs_client_close(w.client);
	store_close(w.store);
	if (detached)
		engine_pool_free(ep);
	return NULL;
}

/* --- the event loop side ------------------------------------------------------ */

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Pool *p = userdata;
	struct engine_pool *ep = p->engine;
	uint64_t n, done, failed, bytes;

	(void)!read(fd, &n, sizeof(n));
	pthread_mutex_lock(&ep->lock);
	done = ep->done;
	failed = ep->failed;
	bytes = ep->bytes;
	ep->done = ep->failed = ep->bytes = 0;
	pthread_mutex_unlock(&ep->lock);
	if (!done && !failed)
		return 0;
	p->moves_completed += done;
	p->moves_failed += failed;
	p->bytes_moved += bytes;
	pool_changed(p, "MovesCompleted", "MovesFailed", "BytesMoved", NULL);
	return 0;
}

static bool engine_wanted(const Pool *p)
{
	return (p->state == POOL_MOUNTED || p->state == POOL_DEGRADED) && p->mountpoint &&
	       p->mountpoint[0] == '/' && p->tiers && p->tiers[0];
}

int engine_pool_attach(Manager *m, Pool *p)
{
	struct engine_pool *ep;
	int r;

	if (p->engine || !engine_wanted(p))
		return 0;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->notify_fd = -1;
	pthread_mutex_init(&ep->lock, NULL);
	pthread_cond_init(&ep->cond, NULL);
	heat_table_init(&ep->heat);
	ep->policy = p->policy;
	heat_params_for(&p->policy, &ep->heat_params);
	ep->uuid = p->uuid;
	ep->pool_name = strdup(p->name);
	ep->mountpoint = strdup(p->mountpoint);
	ep->tiers = strv_copy(p->tiers);
	ep->n_tiers = (unsigned int)strv_length(p->tiers);
	ep->db_path = strdup(m->config.db_path ? m->config.db_path : SMOOTHFSD_DEFAULT_DB);
	ep->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r = -ENOMEM;
	if (!ep->pool_name || !ep->mountpoint || !ep->tiers || !ep->db_path)
		goto fail;
	r = -EINVAL;
	if (ep->n_tiers > SMOOTHFS_MAX_TIERS)
		goto fail;
	r = ep->notify_fd < 0 ? -errno : 0;
	if (r < 0)
		goto fail;
	r = sd_event_add_io(m->event, &ep->notify_source, ep->notify_fd, EPOLLIN, on_notify, p);
	if (r < 0)
		goto fail;
	load_heat(m, ep);
	p->engine = ep;
	r = -pthread_create(&ep->thread, NULL, worker_main, ep);
	if (r < 0) {
		p->engine = NULL;
		ep->notify_source = sd_event_source_disable_unref(ep->notify_source);
		goto fail;
	}
	log_pool(LOG_DEBUG, 0, p->name, "engine started (every %u s)", p->policy.interval_sec);
	return 0;
fail:
	engine_pool_free(ep);
	return log_pool(LOG_ERR, r, p->name, "cannot start the engine");
}

void engine_pool_detach(Pool *p)
{
	struct engine_pool *ep = p->engine;

	if (!ep)
		return;
	/* At shutdown too: the worker may not get to it before the process exits. */
	if (p->manager->store)
		save_heat(ep, p->manager->store);
	p->engine = NULL;
	ep->notify_source = sd_event_source_disable_unref(ep->notify_source);
	pthread_mutex_lock(&ep->lock);
	ep->stop = true;
	ep->detached = true;
	pthread_cond_broadcast(&ep->cond);
	pthread_mutex_unlock(&ep->lock);
	/* The worker frees ep when its current move (if any) is over. */
	pthread_detach(ep->thread);
}

void engine_pool_state_changed(Manager *m, Pool *p)
{
	if (engine_wanted(p))
		(void)engine_pool_attach(m, p);
	else
		engine_pool_detach(p);
}

/* --- engine.h ------------------------------------------------------------------- */

void engine_heat_samples(Manager *m, Pool *p, const struct smoothfs_heat_sample *samples,
			 size_t n, uint64_t now_usec)
{
	struct engine_pool *ep;
	size_t lost = 0;

	(void)engine_pool_attach(m, p);
	ep = p->engine;
	if (!ep)
		return;
	pthread_mutex_lock(&ep->lock);
	for (size_t i = 0; i < n; i++)
		if (heat_table_apply(&ep->heat, &ep->heat_params, &samples[i], now_usec * 1000) < 0)
			lost++;
	pthread_mutex_unlock(&ep->lock);
	if (lost)
		log_pool(LOG_WARNING, -ENOMEM, p->name, "%zu heat samples dropped", lost);
}

int engine_object_heat(Manager *m, Pool *p, const smoothfs_oid_t *oid, double *ret)
{
	struct engine_pool *ep = p->engine;
	const struct heat_object *h;
	int r = -ENOENT;

	if (!ep)
		return -ENOENT;
	pthread_mutex_lock(&ep->lock);
	h = heat_table_find(&ep->heat, oid);
	if (h) {
		*ret = heat_score_at(&h->score, realtime_ns(), ep->heat_params.half_life_s);
		r = 0;
	}
	pthread_mutex_unlock(&ep->lock);
	return r;
}

int engine_plan_moves(Manager *m, Pool *p, unsigned int limit,
		      struct engine_planned_move **ret, size_t *ret_n)
{
	struct engine_planned_move *out = NULL;
	struct planner_object *objects = NULL;
	struct engine_pool *ep;
	struct planner_plan plan;
	bool scanned;
	size_t n = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	(void)engine_pool_attach(m, p);
	ep = p->engine;
	if (!ep)
		return 0;	/* not mounted: nothing would move */
	pthread_mutex_lock(&ep->lock);
	scanned = ep->scanned;
	pthread_mutex_unlock(&ep->lock);
	/* Before the worker's first round, the dry run catalogs the pool itself. */
	if (!scanned) {
		r = rescan(ep);
		if (r < 0)
			return r;
	}
	r = plan_now(ep, &p->policy, &objects, &plan);
	if (r < 0)
		return r;
	n = limit && plan.n_moves > limit ? limit : plan.n_moves;
	out = calloc(n ? n : 1, sizeof(*out));
	r = out ? 0 : -ENOMEM;
	pthread_mutex_lock(&ep->lock);
	for (size_t k = 0; k < n && r >= 0; k++) {
		const struct planner_move *mv = &plan.moves[k];
		const struct catalog_entry *e = catalog_find(&ep->catalog, &objects[mv->object].oid);

		out[k].from_tier = mv->from;
		out[k].to_tier = mv->to;
		out[k].size = mv->size_bytes;
		if (!e || asprintf(&out[k].path, "%s/%s", ep->mountpoint, e->path) < 0) {
			out[k].path = NULL;
			r = -ENOMEM;
		} else if (!(out[k].reason = strdup(planner_reason_to_string(mv->reason)))) {
			r = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&ep->lock);
	planner_plan_free(&plan);
	free(objects);
	if (r < 0) {
		engine_planned_moves_free(out, n);
		return r;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

void engine_planned_moves_free(struct engine_planned_move *moves, size_t n)
{
	for (size_t i = 0; moves && i < n; i++) {
		free(moves[i].path);
		free(moves[i].reason);
	}
	free(moves);
}

void engine_policy_changed(Manager *m, Pool *p)
{
	struct engine_pool *ep;

	(void)engine_pool_attach(m, p);
	ep = p->engine;
	if (!ep)
		return;
	pthread_mutex_lock(&ep->lock);
	ep->policy = p->policy;
	heat_params_for(&p->policy, &ep->heat_params);
	ep->wake = true;
	pthread_cond_broadcast(&ep->cond);
	pthread_mutex_unlock(&ep->lock);
}

void engine_object_moved(Pool *p, const smoothfs_oid_t *oid)
{
	struct engine_pool *ep = p->engine;

	if (!ep)
		return;
	pthread_mutex_lock(&ep->lock);
	mark_moved_locked(ep, oid);
	pthread_mutex_unlock(&ep->lock);
}
