// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The movement planner.
 *
 * 1. Ideal placement: tier by tier from the fastest, the hottest objects
 *    fill the tier up to its target fill.  Residents of a tier count their
 *    heat times (1 + hysteresis) there, so two objects of nearly equal heat
 *    do not swap places every interval.  Pinned objects and objects that
 *    moved less than min_residency ago are placed first, where they must be.
 *    An object with no heat at all is never promoted.
 * 2. Moves, tier by tier from the fastest: a tier above its high watermark
 *    sheds its coldest objects down to the low watermark; then pinned and hot objects
 *    are promoted into it, each making room by demoting the coldest
 *    residents that belong lower.  Nothing is demoted just because it is
 *    colder than ideal while there is room: demotion costs I/O and buys
 *    nothing until the space is wanted.
 * 3. Budgets: a promotion and the demotions that make its room are taken
 *    together or not at all, within the byte and move budgets.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"
#include "util.h"

#define PLANNER_MAX_TIERS SMOOTHFS_MAX_TIERS
#define NSEC_PER_SEC 1000000000ULL

void planner_policy_default(struct planner_policy *p)
{
	*p = (struct planner_policy){
		.target_fill_pct = 80,
		.high_watermark_pct = 90,
		.low_watermark_pct = 80,
		.hysteresis = 0.5,
		.min_residency_s = 3600,
		.max_bytes = 8ULL << 30,
		.max_moves = 256,
		.quiet_start_min = -1,
		.quiet_end_min = -1,
	};
}

int planner_policy_validate(const struct planner_policy *p, const char **why)
{
	const char *w = NULL;

	if (p->target_fill_pct < 1 || p->target_fill_pct > 100)
		w = "target_fill_pct must be 1-100";
	else if (p->high_watermark_pct < p->target_fill_pct || p->high_watermark_pct > 100)
		w = "high_watermark_pct must be target_fill_pct to 100";
	else if (p->low_watermark_pct > p->target_fill_pct)
		w = "low_watermark_pct must be at most target_fill_pct";
	else if (!isfinite(p->hysteresis) || p->hysteresis < 0 || p->hysteresis > 10)
		w = "hysteresis must be 0-10";
	else if (p->min_residency_s > 365ULL * 86400)
		w = "min_residency_s must be at most a year";
	else if (p->max_bytes == 0)
		w = "max_bytes must be positive";
	else if (p->max_moves == 0 || p->max_moves > 100000)
		w = "max_moves must be 1-100000";
	else if ((p->quiet_start_min < 0) != (p->quiet_end_min < 0))
		w = "quiet hours need both a start and an end";
	else if (p->quiet_start_min >= 24 * 60 || p->quiet_end_min >= 24 * 60 ||
		 p->quiet_start_min < -1 || p->quiet_end_min < -1)
		w = "quiet hours must be 0-1439 minutes after midnight";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

bool planner_quiet_now(const struct planner_policy *p, int local_minute)
{
	int s = p->quiet_start_min, e = p->quiet_end_min;

	if (s < 0 || s == e)
		return false;
	if (s < e)
		return local_minute >= s && local_minute < e;
	return local_minute >= s || local_minute < e;	/* across midnight */
}

const char *planner_reason_to_string(enum planner_reason r)
{
	switch (r) {
	case PLANNER_PROMOTE:
		return "promote";
	case PLANNER_DEMOTE:
		return "demote";
	case PLANNER_WATERMARK:
		return "watermark";
	case PLANNER_PIN:
		return "pin";
	}
	return "unknown";
}

/* What the plan will have done to the tiers, and how far each victim list is used. */
struct projection {
	uint64_t used[PLANNER_MAX_TIERS];
	size_t victim_pos[PLANNER_MAX_TIERS];
	uint64_t bytes;
	size_t n_moves;
};

struct planner {
	const struct planner_input *in;
	const struct planner_object *obj;
	size_t n_tiers;
	uint64_t target[PLANNER_MAX_TIERS];
	uint64_t high[PLANNER_MAX_TIERS];
	uint64_t low[PLANNER_MAX_TIERS];
	uint8_t *ideal;		/* per object */
	bool *fixed;		/* cannot move in this plan */
	bool *planned;		/* has a move in the plan */
	size_t *victims[PLANNER_MAX_TIERS];	/* residents, coldest first */
	size_t n_victims[PLANNER_MAX_TIERS];
	struct projection proj;
	struct planner_move *moves;
	size_t moves_cap;
};

static int by_heat_asc(const void *a, const void *b, void *arg)
{
	const struct planner_object *o = arg;
	double x = o[*(const size_t *)a].heat, y = o[*(const size_t *)b].heat;

	if (x != y)
		return x < y ? -1 : 1;
	/* Equal heat: smaller first, so cheap moves come first. */
	if (o[*(const size_t *)a].size_bytes != o[*(const size_t *)b].size_bytes)
		return o[*(const size_t *)a].size_bytes < o[*(const size_t *)b].size_bytes ? -1 : 1;
	return memcmp(&o[*(const size_t *)a].oid, &o[*(const size_t *)b].oid, sizeof(o->oid));
}

static int by_heat_desc(const void *a, const void *b, void *arg)
{
	return by_heat_asc(b, a, arg);
}

struct ranked {
	size_t i;
	double key;
};

static int by_key_desc(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static uint64_t pct_of(uint64_t bytes, unsigned int pct)
{
	/* No overflow for any capacity a u64 can hold. */
	return bytes / 100 * pct + bytes % 100 * pct / 100;
}

static int first_online(const struct planner *p)
{
	for (size_t t = 0; t < p->n_tiers; t++)
		if (p->in->tiers[t].online)
			return (int)t;
	return -1;
}

static int last_online(const struct planner *p)
{
	for (size_t t = p->n_tiers; t-- > 0;)
		if (p->in->tiers[t].online)
			return (int)t;
	return -1;
}

/* Where a pin wants its object, or -1 when the pin does not choose a tier. */
static int pinned_tier(const struct planner *p, const struct planner_object *o)
{
	if (o->pin == SMOOTHFS_PIN_HOT)
		return first_online(p);
	if (o->pin == SMOOTHFS_PIN_COLD)
		return last_online(p);
	return -1;
}

static bool must_stay(const struct planner *p, const struct planner_object *o)
{
	const struct planner_policy *pol = p->in->policy;

	if (!p->in->tiers[o->tier].online)
		return true;
	if (o->pin == SMOOTHFS_PIN_HARDLINK || o->pin == SMOOTHFS_PIN_LEASE ||
	    o->pin == SMOOTHFS_PIN_LUN || o->pin >= __SMOOTHFS_PIN_COUNT)
		return true;
	return o->last_move_ns && p->in->now_ns > o->last_move_ns &&
	       (p->in->now_ns - o->last_move_ns) / NSEC_PER_SEC < pol->min_residency_s;
}

static void take_room(uint64_t *room, uint64_t size)
{
	*room = *room > size ? *room - size : 0;
}

/* Step 1: the ideal tier of every object. */
static int place_ideally(struct planner *p)
{
	const struct planner_object *obj = p->obj;
	size_t n = p->in->n_objects, i, t;
	uint64_t room[PLANNER_MAX_TIERS], known[PLANNER_MAX_TIERS] = { 0 };
	bool *placed = calloc(n ? n : 1, sizeof(*placed));
	struct ranked *rank = calloc(n ? n : 1, sizeof(*rank));
	int last = last_online(p);

	if (!placed || !rank) {
		free(placed);
		free(rank);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		known[obj[i].tier] += obj[i].size_bytes;
	/* Room for known objects: the target minus what the daemon does not track. */
	for (t = 0; t < p->n_tiers; t++) {
		uint64_t used = p->in->tiers[t].used_bytes;
		uint64_t untracked = used > known[t] ? used - known[t] : 0;
		uint64_t limit = (int)t == last ? p->high[t] : p->target[t];

		room[t] = limit > untracked ? limit - untracked : 0;
	}
	for (i = 0; i < n; i++) {
		int pt = pinned_tier(p, &obj[i]);

		if (p->fixed[i] || pt < 0)
			continue;
		p->ideal[i] = (uint8_t)pt;
		placed[i] = true;
		take_room(&room[pt], obj[i].size_bytes);
	}
	for (i = 0; i < n; i++) {
		if (!p->fixed[i])
			continue;
		p->ideal[i] = obj[i].tier;
		placed[i] = true;
		take_room(&room[obj[i].tier], obj[i].size_bytes);
	}
	for (t = 0; t < p->n_tiers; t++) {
		size_t m = 0;

		if (!p->in->tiers[t].online)
			continue;
		for (i = 0; i < n; i++) {
			/* Unused objects are not worth a copy up, however much room. */
			if (placed[i] || (obj[i].heat <= 0 && t < obj[i].tier))
				continue;
			rank[m].i = i;
			rank[m].key = obj[i].heat * (obj[i].tier == t ? 1 + p->in->policy->hysteresis : 1);
			m++;
		}
		qsort(rank, m, sizeof(*rank), by_key_desc);
		for (size_t k = 0; k < m; k++) {
			i = rank[k].i;
			if (obj[i].size_bytes > room[t])
				continue;
			room[t] -= obj[i].size_bytes;
			p->ideal[i] = (uint8_t)t;
			placed[i] = true;
		}
	}
	/* What fits nowhere stays where it is. */
	for (i = 0; i < n; i++)
		if (!placed[i])
			p->ideal[i] = obj[i].tier;
	free(placed);
	free(rank);
	return 0;
}

static int build_victim_lists(struct planner *p)
{
	size_t n = p->in->n_objects;

	for (size_t i = 0; i < n; i++) {
		size_t t = p->obj[i].tier;

		if (p->fixed[i] || p->ideal[i] <= t)
			continue;
		if (!p->victims[t]) {
			p->victims[t] = malloc(n * sizeof(size_t));
			if (!p->victims[t])
				return -ENOMEM;
		}
		p->victims[t][p->n_victims[t]++] = i;
	}
	for (size_t t = 0; t < p->n_tiers; t++)
		if (p->n_victims[t])
			qsort_r(p->victims[t], p->n_victims[t], sizeof(size_t), by_heat_asc,
				(void *)p->obj);
	return 0;
}

static bool within_budget(const struct planner *p, const struct projection *pr)
{
	return pr->n_moves <= p->in->policy->max_moves && pr->bytes <= p->in->policy->max_bytes;
}

/* A slower tier with room for @size, preferring @want; -1 if none. */
static int demotion_target(const struct planner *p, const struct projection *pr, size_t from,
			   size_t want, uint64_t size)
{
	for (size_t t = want; t < p->n_tiers; t++)
		if (p->in->tiers[t].online && pr->used[t] + size <= p->high[t])
			return (int)t;
	for (size_t t = want; t-- > from + 1;)
		if (p->in->tiers[t].online && pr->used[t] + size <= p->high[t])
			return (int)t;
	return -1;
}

static int add_move(struct planner *p, struct projection *pr, size_t i, size_t to,
		    enum planner_reason why)
{
	const struct planner_object *o = &p->obj[i];

	if (array_reserve(&p->moves, &p->moves_cap, pr->n_moves, sizeof(*p->moves), 64) < 0)
		return -ENOMEM;
	p->moves[pr->n_moves++] = (struct planner_move){
		.object = i, .from = o->tier, .to = (uint8_t)to,
		.size_bytes = o->size_bytes, .reason = why,
	};
	pr->used[o->tier] -= o->size_bytes < pr->used[o->tier] ? o->size_bytes : pr->used[o->tier];
	pr->used[to] += o->size_bytes;
	pr->bytes += o->size_bytes;
	return 0;
}

/*
 * Demotes the coldest residents of @t that belong lower until @t holds at
 * most @limit bytes.  Returns 1 when it got there, 0 when it ran out of
 * victims or room below, negative errno.
 */
static int shed(struct planner *p, struct projection *pr, size_t t, uint64_t limit,
		enum planner_reason why)
{
	while (pr->used[t] > limit) {
		size_t i;
		int to, r;

		if (pr->victim_pos[t] >= p->n_victims[t])
			return 0;
		i = p->victims[t][pr->victim_pos[t]++];
		if (p->planned[i])
			continue;
		to = demotion_target(p, pr, t, p->ideal[i], p->obj[i].size_bytes);
		if (to < 0)
			continue;
		r = add_move(p, pr, i, (size_t)to, why);
		if (r < 0)
			return r;
	}
	return 1;
}

/* Marks the moves from @first on as planned: they are in the plan for good. */
static void commit(struct planner *p, const struct projection *pr)
{
	for (size_t k = p->proj.n_moves; k < pr->n_moves; k++)
		p->planned[p->moves[k].object] = true;
	p->proj = *pr;
}

/* Promotes (or pins) @i into @t with the room it needs, all or nothing. */
static int bring_in(struct planner *p, size_t i, size_t t, enum planner_reason why)
{
	struct projection pr = p->proj;
	uint64_t size = p->obj[i].size_bytes;
	uint64_t limit = p->target[t] > size ? p->target[t] - size : 0;
	int r;

	r = shed(p, &pr, t, limit, PLANNER_DEMOTE);
	if (r <= 0)
		return r;
	r = add_move(p, &pr, i, t, why);
	if (r < 0)
		return r;
	if (within_budget(p, &pr))
		commit(p, &pr);
	return 0;
}

static int plan_tier(struct planner *p, size_t t, size_t *order)
{
	size_t n = p->in->n_objects, m = 0;
	int r;

	if (!p->in->tiers[t].online)
		return 0;
	if (p->proj.used[t] > p->high[t]) {
		struct projection pr = p->proj;

		r = shed(p, &pr, t, p->low[t], PLANNER_WATERMARK);
		if (r < 0)
			return r;
		/* Whatever part of the shedding fits the budget is worth doing. */
		while (pr.n_moves > p->proj.n_moves && !within_budget(p, &pr)) {
			const struct planner_move *mv = &p->moves[--pr.n_moves];

			pr.used[mv->to] -= mv->size_bytes;
			pr.used[mv->from] += mv->size_bytes;
			pr.bytes -= mv->size_bytes;
		}
		commit(p, &pr);
	}
	for (size_t i = 0; i < n; i++)
		if (!p->fixed[i] && !p->planned[i] && p->ideal[i] == t && p->obj[i].tier != t)
			order[m++] = i;
	qsort_r(order, m, sizeof(*order), by_heat_desc, (void *)p->obj);
	/* Pins first: they are the operator's word. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < m; k++) {
			size_t i = order[k];
			bool pinned = pinned_tier(p, &p->obj[i]) == (int)t;

			if (pinned != (pass == 0) || p->planned[i])
				continue;
			if (!pinned && p->obj[i].tier < t)
				continue;	/* demotions happen only to make room */
			r = bring_in(p, i, t, pinned ? PLANNER_PIN : PLANNER_PROMOTE);
			if (r < 0)
				return r;
			if (p->proj.n_moves >= p->in->policy->max_moves)
				return 0;
		}
	}
	return 0;
}

static int validate_input(const struct planner_input *in)
{
	if (!in || !in->policy || !in->tiers || (in->n_objects && !in->objects))
		return -EINVAL;
	if (in->n_tiers < 1 || in->n_tiers > PLANNER_MAX_TIERS)
		return -EINVAL;
	if (in->local_minute < 0 || in->local_minute >= 24 * 60)
		return -EINVAL;
	if (planner_policy_validate(in->policy, NULL) < 0)
		return -EINVAL;
	for (size_t i = 0; i < in->n_objects; i++)
		if (in->objects[i].tier >= in->n_tiers || !isfinite(in->objects[i].heat) ||
		    in->objects[i].heat < 0)
			return -EINVAL;
	return 0;
}

int planner_plan(const struct planner_input *in, struct planner_plan *ret)
{
	struct planner p = { .in = in };
	size_t *order = NULL, n;
	int r;

	if (!ret)
		return -EINVAL;
	*ret = (struct planner_plan){ 0 };
	r = validate_input(in);
	if (r < 0)
		return r;
	if (planner_quiet_now(in->policy, in->local_minute))
		return 0;
	n = in->n_objects;
	p.obj = in->objects;
	p.n_tiers = in->n_tiers;
	for (size_t t = 0; t < p.n_tiers; t++) {
		p.target[t] = pct_of(in->tiers[t].capacity_bytes, in->policy->target_fill_pct);
		p.high[t] = pct_of(in->tiers[t].capacity_bytes, in->policy->high_watermark_pct);
		p.low[t] = pct_of(in->tiers[t].capacity_bytes, in->policy->low_watermark_pct);
		p.proj.used[t] = in->tiers[t].used_bytes;
	}
	p.ideal = calloc(n ? n : 1, sizeof(*p.ideal));
	p.fixed = calloc(n ? n : 1, sizeof(*p.fixed));
	p.planned = calloc(n ? n : 1, sizeof(*p.planned));
	order = calloc(n ? n : 1, sizeof(*order));
	r = -ENOMEM;
	if (!p.ideal || !p.fixed || !p.planned || !order)
		goto out;
	for (size_t i = 0; i < n; i++)
		p.fixed[i] = must_stay(&p, &p.obj[i]);
	r = place_ideally(&p);
	if (r < 0)
		goto out;
	r = build_victim_lists(&p);
	if (r < 0)
		goto out;
	for (size_t t = 0; t < p.n_tiers && r >= 0; t++)
		r = plan_tier(&p, t, order);
	/* Pinned objects bound for a slower tier than their own. */
	for (size_t i = 0; i < n && r >= 0; i++) {
		struct projection pr = p.proj;
		int pt = pinned_tier(&p, &p.obj[i]);

		if (pt <= (int)p.obj[i].tier || p.fixed[i] || p.planned[i])
			continue;
		if (pr.used[pt] + p.obj[i].size_bytes > p.high[pt])
			continue;
		r = add_move(&p, &pr, i, (size_t)pt, PLANNER_PIN);
		if (r >= 0 && within_budget(&p, &pr))
			commit(&p, &pr);
	}
	if (r < 0)
		goto out;
	ret->moves = p.moves;
	ret->n_moves = p.proj.n_moves;
	ret->bytes = p.proj.bytes;
	p.moves = NULL;
out:
	free(p.moves);
	free(p.ideal);
	free(p.fixed);
	free(p.planned);
	free(order);
	for (size_t t = 0; t < PLANNER_MAX_TIERS; t++)
		free(p.victims[t]);
	return r;
}

void planner_plan_free(struct planner_plan *p)
{
	free(p->moves);
	*p = (struct planner_plan){ 0 };
}
