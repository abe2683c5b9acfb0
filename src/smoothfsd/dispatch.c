// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine's dispatch arithmetic; see dispatch.h.
 */
#include "dispatch.h"

#define NSEC_PER_SEC 1000000000ULL

size_t dispatch_phases(const struct planner_move *moves, size_t n, size_t *order)
{
	size_t first, k = 0;

	for (size_t i = 0; i < n; i++)
		if (moves[i].to > moves[i].from)
			order[k++] = i;
	first = k;
	for (size_t i = 0; i < n; i++)
		if (moves[i].to <= moves[i].from)
			order[k++] = i;
	return first;
}

unsigned int dispatch_movers(unsigned int max_concurrent, size_t n)
{
	unsigned int m = max_concurrent ? max_concurrent : 1;

	return n < m ? (unsigned int)n : m;
}

void pacer_init(struct pacer *p, uint64_t now_ns, uint64_t max_bytes_per_sec)
{
	*p = (struct pacer){ .started_ns = now_ns, .max_bytes_per_sec = max_bytes_per_sec };
}

uint64_t pacer_reserve(struct pacer *p, uint64_t size)
{
	uint64_t before = p->bytes, rate = p->max_bytes_per_sec;
	unsigned __int128 due;

	p->bytes += size;
	if (!rate)
		return 0;
	/* In 128 bits: any byte count times 1e9 fits, and any rate is allowed. */
	due = p->started_ns + (unsigned __int128)before * NSEC_PER_SEC / rate;
	return due > UINT64_MAX ? UINT64_MAX : (uint64_t)due;
}

void pacer_refund(struct pacer *p, uint64_t size)
{
	p->bytes = p->bytes > size ? p->bytes - size : 0;
}
