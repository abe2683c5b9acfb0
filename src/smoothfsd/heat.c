// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Decayed heat scores and the table of objects that have them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "heat.h"

#define NSEC_PER_SEC 1000000000.0
#define HEAT_TABLE_MIN_SLOTS 1024

void heat_params_default(struct heat_params *p)
{
	*p = (struct heat_params){
		.half_life_s = 1800.0,	/* half the default planner interval */
		.open_weight = 1.0,
		.byte_weight = 1.0 / 16,	/* 16 MiB of I/O count as one open */
	};
}

int heat_params_validate(const struct heat_params *p)
{
	if (!isfinite(p->half_life_s) || p->half_life_s < 1.0 || p->half_life_s > 365 * 86400.0)
		return -EINVAL;
	if (!isfinite(p->open_weight) || p->open_weight < 0 || p->open_weight > 1e6)
		return -EINVAL;
	if (!isfinite(p->byte_weight) || p->byte_weight < 0 || p->byte_weight > 1e6)
		return -EINVAL;
	return 0;
}

double heat_score_at(const struct heat_score *h, uint64_t now_ns, double half_life_s)
{
	double dt;

	/* A sample stamped in the future (clock step) is not decayed. */
	if (now_ns <= h->ts_ns)
		return h->value;
	dt = (double)(now_ns - h->ts_ns) / NSEC_PER_SEC;
	return h->value * exp2(-dt / half_life_s);
}

void heat_score_add(struct heat_score *h, uint64_t now_ns, double amount, double half_life_s)
{
	/* Activity older than the score is decayed to the score's time. */
	if (now_ns < h->ts_ns) {
		double dt = (double)(h->ts_ns - now_ns) / NSEC_PER_SEC;

		h->value += amount * exp2(-dt / half_life_s);
		return;
	}
	h->value = heat_score_at(h, now_ns, half_life_s) + amount;
	h->ts_ns = now_ns;
}

double heat_sample_amount(const struct heat_params *p, uint32_t opens, uint64_t read_bytes,
			  uint64_t write_bytes)
{
	double mib = ((double)read_bytes + (double)write_bytes) / (1024.0 * 1024.0);

	return p->open_weight * opens + p->byte_weight * mib;
}

/* UUIDv7 OIDs start with a timestamp: mix all of the bytes. */
static size_t oid_hash(const smoothfs_oid_t *oid)
{
	uint64_t a, b;

	memcpy(&a, oid->bytes, sizeof(a));
	memcpy(&b, oid->bytes + 8, sizeof(b));
	a ^= b * 0x9e3779b97f4a7c15ULL;
	a ^= a >> 29;
	a *= 0xbf58476d1ce4e5b9ULL;
	a ^= a >> 32;
	return (size_t)a;
}

void heat_table_init(struct heat_table *t)
{
	*t = (struct heat_table){ 0 };
}

void heat_table_done(struct heat_table *t)
{
	free(t->slots);
	heat_table_init(t);
}

static struct heat_object *slot_for(const struct heat_table *t, const smoothfs_oid_t *oid)
{
	size_t mask = t->n_slots - 1, i;

	for (i = oid_hash(oid) & mask;; i = (i + 1) & mask) {
		struct heat_object *o = &t->slots[i];

		/* The load factor stays below 1/2, so an empty slot exists. */
		if (!o->used || memcmp(&o->oid, oid, sizeof(*oid)) == 0)
			return o;
	}
}

struct heat_object *heat_table_find(const struct heat_table *t, const smoothfs_oid_t *oid)
{
	struct heat_object *o;

	if (t->n_slots == 0)
		return NULL;
	o = slot_for(t, oid);
	return o->used ? o : NULL;
}

static int heat_table_grow(struct heat_table *t)
{
	struct heat_table bigger = { 0 };
	size_t i;

	bigger.n_slots = t->n_slots ? t->n_slots * 2 : HEAT_TABLE_MIN_SLOTS;
	if (bigger.n_slots < t->n_slots)
		return -ENOMEM;
	bigger.slots = calloc(bigger.n_slots, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (i = 0; i < t->n_slots; i++)
		if (t->slots[i].used)
			*slot_for(&bigger, &t->slots[i].oid) = t->slots[i];
	bigger.n_used = t->n_used;
	free(t->slots);
	*t = bigger;
	return 0;
}

struct heat_object *heat_table_get(struct heat_table *t, const smoothfs_oid_t *oid)
{
	struct heat_object *o = heat_table_find(t, oid);

	if (o)
		return o;
	if ((t->n_used + 1) * 2 > t->n_slots && heat_table_grow(t) < 0)
		return NULL;
	o = slot_for(t, oid);
	*o = (struct heat_object){ .oid = *oid, .used = true };
	t->n_used++;
	return o;
}

int heat_table_remove(struct heat_table *t, const smoothfs_oid_t *oid)
{
	size_t mask = t->n_slots - 1, hole, i;
	struct heat_object *o = heat_table_find(t, oid);

	if (!o)
		return -ENOENT;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	hole = (size_t)(o - t->slots);
	t->slots[hole].used = false;
	for (i = (hole + 1) & mask; t->slots[i].used; i = (i + 1) & mask) {
		size_t home = oid_hash(&t->slots[i].oid) & mask;

		/* Move i into the hole unless its home lies cyclically in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->slots[hole] = t->slots[i];
			t->slots[i].used = false;
			hole = i;
		}
	}
	t->n_used--;
	return 0;
}

/*
 * Whether @o still tells the planner anything: heat above @min_heat, or a
 * move recent enough that its minimum residency may still hold.
 */
static bool heat_object_worth_keeping(const struct heat_object *o, uint64_t now_ns,
				      double half_life_s, double min_heat,
				      uint64_t moved_since_ns)
{
	if (o->last_move_ns && o->last_move_ns >= moved_since_ns)
		return true;
	return heat_score_at(&o->score, now_ns, half_life_s) >= min_heat;
}

int heat_table_prune(struct heat_table *t, uint64_t now_ns, double half_life_s,
		     double min_heat, uint64_t moved_since_ns, size_t *ret_removed)
{
	struct heat_table kept = { 0 };
	size_t i, n_kept = 0;

	for (i = 0; i < t->n_slots; i++)
		if (t->slots[i].used &&
		    heat_object_worth_keeping(&t->slots[i], now_ns, half_life_s, min_heat,
					      moved_since_ns))
			n_kept++;
	if (ret_removed)
		*ret_removed = t->n_used - n_kept;
	if (n_kept == t->n_used)
		return 0;
	/* Rebuilt at the size the survivors need, so that memory shrinks too. */
	if (n_kept) {
		kept.n_slots = HEAT_TABLE_MIN_SLOTS;
		while (kept.n_slots < 2 * n_kept + 2)
			kept.n_slots *= 2;
		kept.slots = calloc(kept.n_slots, sizeof(*kept.slots));
		if (!kept.slots)
			return -ENOMEM;
		for (i = 0; i < t->n_slots; i++)
			if (t->slots[i].used &&
			    heat_object_worth_keeping(&t->slots[i], now_ns, half_life_s, min_heat,
						      moved_since_ns))
				*slot_for(&kept, &t->slots[i].oid) = t->slots[i];
		kept.n_used = n_kept;
	}
	free(t->slots);
	*t = kept;
	return 0;
}

int heat_table_apply(struct heat_table *t, const struct heat_params *p,
		     const struct smoothfs_heat_sample *s, uint64_t now_ns)
{
	struct heat_object *o = heat_table_get(t, &s->oid);
	uint64_t at = s->last_access_ns ? s->last_access_ns : now_ns;

	if (!o)
		return -ENOMEM;
	/* Activity counts from when it happened, but never from the future. */
	if (at > now_ns)
		at = now_ns;
	heat_score_add(&o->score, at, heat_sample_amount(p, s->open_count_delta,
							 s->read_bytes_delta,
							 s->write_bytes_delta),
		       p->half_life_s);
	return 0;
}
