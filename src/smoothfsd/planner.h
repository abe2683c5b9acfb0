/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The movement planner: which objects should move between the tiers of one
 * pool now.  Pure logic over a snapshot (no I/O, no clock, no globals), so
 * the daemon, PlanMoves (a dry run) and the policy simulator run the same
 * code on the same input and get the same answer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <smoothfs/smoothfs.h>

struct planner_policy {
	unsigned int target_fill_pct;	/* fill a faster tier with hot data up to this */
	unsigned int high_watermark_pct; /* above this, demote the coldest ... */
	unsigned int low_watermark_pct;	/* ... down to this (at most target_fill_pct), */
					/* never below what the ideal placement keeps */
	double hysteresis;		/* a resident counts (1 + this) times its heat */
	uint64_t min_residency_s;	/* an object that moved stays put this long */
	uint64_t max_bytes;		/* byte budget of one plan (rate x interval) */
	unsigned int max_moves;		/* moves in one plan (concurrency budget) */
	int quiet_start_min;		/* no moves in [start, end), minutes after */
	int quiet_end_min;		/*  local midnight; -1 for both: none */
};

void planner_policy_default(struct planner_policy *p);
/* 0, or -EINVAL with what is wrong in *why (static text). */
int planner_policy_validate(const struct planner_policy *p, const char **why);
bool planner_quiet_now(const struct planner_policy *p, int local_minute);

struct planner_tier {
	uint64_t capacity_bytes;
	uint64_t used_bytes;	/* everything on the tier, known objects or not */
	bool online;
};

struct planner_object {
	smoothfs_oid_t oid;
	uint64_t size_bytes;
	double heat;		/* decayed to the planning time */
	uint64_t last_move_ns;	/* 0: never moved */
	uint8_t tier;
	uint8_t pin;		/* enum smoothfs_pin_state */
};

enum planner_reason {
	PLANNER_PROMOTE,	/* hot enough for a faster tier */
	PLANNER_DEMOTE,		/* makes room for a hotter object */
	PLANNER_WATERMARK,	/* its tier is above the high watermark */
	PLANNER_PIN,		/* pin_hot / pin_cold asks for another tier */
};

const char *planner_reason_to_string(enum planner_reason r);

struct planner_move {
	size_t object;		/* index into the input objects */
	uint8_t from;
	uint8_t to;
	uint64_t size_bytes;
	enum planner_reason reason;
};

struct planner_input {
	const struct planner_policy *policy;
	const struct planner_tier *tiers;
	size_t n_tiers;
	const struct planner_object *objects;
	size_t n_objects;
	uint64_t now_ns;
	int local_minute;	/* 0-1439 after local midnight, for quiet hours */
};

struct planner_plan {
	struct planner_move *moves;	/* in the order to run them */
	size_t n_moves;
	uint64_t bytes;
};

/*
 * Plans the moves of one interval.  Moves are ordered so that each one has
 * room on its destination when the ones before it have completed.  Returns
 * 0, -EINVAL for bad input or -ENOMEM.
 */
int planner_plan(const struct planner_input *in, struct planner_plan *ret);
void planner_plan_free(struct planner_plan *p);
