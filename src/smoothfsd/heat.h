/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Heat: how much an object is used, as an exponentially decayed score.
 *
 * A score is kept together with the time it was last brought up to date,
 * and decay is applied by elapsed time whenever it is read or added to, so
 * an object nobody touches cools without any periodic work per object.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <smoothfs/smoothfs.h>

/* How activity turns into heat and how fast it fades. */
struct heat_params {
	double half_life_s;	/* score halves after this much idle time */
	double open_weight;	/* heat of one open */
	double byte_weight;	/* heat of one MiB read or written */
};

void heat_params_default(struct heat_params *p);
int heat_params_validate(const struct heat_params *p);

struct heat_score {
	double value;		/* as of ts_ns */
	uint64_t ts_ns;		/* CLOCK_REALTIME */
};

/* The score as of now_ns (never increases with time). */
double heat_score_at(const struct heat_score *h, uint64_t now_ns, double half_life_s);
/* Decays the score to now_ns, then adds amount.  Old samples decay first. */
void heat_score_add(struct heat_score *h, uint64_t now_ns, double amount, double half_life_s);
/* The heat one kernel sample is worth. */
double heat_sample_amount(const struct heat_params *p, uint32_t opens, uint64_t read_bytes,
			  uint64_t write_bytes);

/* An object the daemon knows the heat of. */
struct heat_object {
	smoothfs_oid_t oid;
	struct heat_score score;
	uint64_t last_move_ns;	/* when the daemon last moved it; 0: never */
	bool used;		/* slot occupied */
};

/*
 * Objects by OID, open addressing with linear probing; grows at 1/2 load.
 * The table owns no other memory than its slots.
 */
struct heat_table {
	struct heat_object *slots;
	size_t n_slots;		/* power of two, or 0 */
	size_t n_used;
};

void heat_table_init(struct heat_table *t);
void heat_table_done(struct heat_table *t);
struct heat_object *heat_table_find(const struct heat_table *t, const smoothfs_oid_t *oid);
/* The object's entry, created with a zero score if missing; NULL on ENOMEM. */
struct heat_object *heat_table_get(struct heat_table *t, const smoothfs_oid_t *oid);
int heat_table_remove(struct heat_table *t, const smoothfs_oid_t *oid);
/*
 * Forgets the objects whose heat as of @now_ns has decayed below @min_heat
 * and that have not moved since @moved_since_ns: a file removed from the
 * pool leaves the table this way, and the table holds the files in use,
 * not every file ever seen.  The number forgotten goes to *ret_removed.
 * -ENOMEM leaves the table as it was.
 */
int heat_table_prune(struct heat_table *t, uint64_t now_ns, double half_life_s,
		     double min_heat, uint64_t moved_since_ns, size_t *ret_removed);
/* Applies one kernel heat sample; -ENOMEM when the table cannot grow. */
int heat_table_apply(struct heat_table *t, const struct heat_params *p,
		     const struct smoothfs_heat_sample *s, uint64_t now_ns);
