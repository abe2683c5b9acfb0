/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How the engine hands one plan's moves to its movers: the order of the
 * phases, how many movers, and the byte rate they share.  Pure logic (no
 * threads, no clock, no locks: the engine holds its own), so the unit
 * tests check it directly.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "planner.h"

/*
 * The order to run @n @moves in, as indices into @moves written to @order
 * (room for @n): every move to a slower tier, then the rest, each phase in
 * plan order.  Returns the length of the first phase.  The second must not
 * start before the first is over: the planner counts on the room the
 * demotions free for the promotions.  (The reverse, a demotion counting on
 * room a promotion frees on a slower tier, now waits for the second phase:
 * that tier may pass its high watermark for a while, and a move that finds
 * no room fails and is planned again.)
 */
size_t dispatch_phases(const struct planner_move *moves, size_t n, size_t *order);

/* Movers for a phase of @n moves: @max_concurrent (at least 1), at most @n. */
unsigned int dispatch_movers(unsigned int max_concurrent, size_t n);

/*
 * One byte rate over all movers of a plan.  A move reserves its bytes
 * when it is handed out and starts once the bytes reserved before it would
 * have moved at the rate since the plan started, so the moves in flight
 * together stay within it; a failed move gives its bytes back.
 */
struct pacer {
	uint64_t started_ns;
	uint64_t bytes;			/* reserved */
	uint64_t max_bytes_per_sec;	/* 0: no limit */
};

void pacer_init(struct pacer *p, uint64_t now_ns, uint64_t max_bytes_per_sec);
/* Reserves @size bytes; returns when the move may start (0: at once). */
uint64_t pacer_reserve(struct pacer *p, uint64_t size);
void pacer_refund(struct pacer *p, uint64_t size);
