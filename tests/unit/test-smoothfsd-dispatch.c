// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smoothfsd dispatch: a plan split into its demotions and the rest, in
 * plan order, on fixed and random plans; the number of movers; the byte
 * rate shared by all movers (reservations, refunds, no overflow).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "util.h"

#define SEC 1000000000ULL
#define MAX_MOVES 200

static struct planner_move mv(uint8_t from, uint8_t to)
{
	return (struct planner_move){ .from = from, .to = to, .size_bytes = 1 };
}

/* What any split must be: a permutation, demotions first, plan order kept in each phase. */
static void check_phases(const struct planner_move *moves, size_t n, const size_t *order,
			 size_t first)
{
	bool seen[MAX_MOVES] = { false };

	assert_true(n <= MAX_MOVES && first <= n);
	for (size_t k = 0; k < n; k++) {
		assert_true(order[k] < n);
		assert_false(seen[order[k]]);
		seen[order[k]] = true;
		if (k < first)
			assert_true(moves[order[k]].to > moves[order[k]].from);
		else
			assert_true(moves[order[k]].to <= moves[order[k]].from);
		if (k && k != first)
			assert_true(order[k] > order[k - 1]);
	}
}

static void test_phases(void **state)
{
	/* As the planner writes them: tier 0's room, then its promotions, then tier 1's, pins. */
	const struct planner_move moves[] = {
		mv(0, 1), mv(1, 0), mv(0, 2), mv(2, 0), mv(1, 2), mv(2, 1), mv(0, 2),
	};
	const size_t want[] = { 0, 2, 4, 6, 1, 3, 5 };
	size_t order[ELEMENTSOF(moves)], first;

	first = dispatch_phases(moves, ELEMENTSOF(moves), order);
	assert_int_equal(first, 4);
	assert_memory_equal(order, want, sizeof(want));
	check_phases(moves, ELEMENTSOF(moves), order, first);

	/* Only promotions, only demotions, nothing. */
	assert_int_equal(dispatch_phases(&moves[1], 1, order), 0);
	assert_int_equal(order[0], 0);
	assert_int_equal(dispatch_phases(moves, 1, order), 1);
	assert_int_equal(order[0], 0);
	assert_int_equal(dispatch_phases(moves, 0, order), 0);
}

static void test_phases_random(void **state)
{
	struct planner_move moves[MAX_MOVES];
	size_t order[MAX_MOVES];

	srand(7);
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)rand() % ELEMENTSOF(moves), first;

		for (size_t i = 0; i < n; i++) {
			uint8_t from = (uint8_t)(rand() % SMOOTHFS_MAX_TIERS), to;

			do
				to = (uint8_t)(rand() % SMOOTHFS_MAX_TIERS);
			while (to == from);
			moves[i] = mv(from, to);
		}
		first = dispatch_phases(moves, n, order);
		check_phases(moves, n, order, first);
	}
}

static void test_movers(void **state)
{
	assert_int_equal(dispatch_movers(0, 5), 1);	/* never none while there is work */
	assert_int_equal(dispatch_movers(1, 5), 1);
	assert_int_equal(dispatch_movers(2, 5), 2);
	assert_int_equal(dispatch_movers(64, 3), 3);	/* no idle movers */
	assert_int_equal(dispatch_movers(4, 0), 0);
}

static void test_pacer(void **state)
{
	struct pacer p;

	/* No limit: everything at once, bytes still counted. */
	pacer_init(&p, 1000 * SEC, 0);
	assert_int_equal(pacer_reserve(&p, 1 << 30), 0);
	assert_int_equal(pacer_reserve(&p, 1 << 30), 0);
	assert_int_equal(p.bytes, 2ULL << 30);

	/* 100 B/s: each move waits for the bytes handed out before it. */
	pacer_init(&p, 1000 * SEC, 100);
	assert_int_equal(pacer_reserve(&p, 50), 1000 * SEC);
	assert_int_equal(pacer_reserve(&p, 100), 1000 * SEC + SEC / 2);
	assert_int_equal(pacer_reserve(&p, 10), 1000 * SEC + 3 * SEC / 2);
	/* The 100 bytes failed: the next move need not wait for them. */
	pacer_refund(&p, 100);
	assert_int_equal(pacer_reserve(&p, 1), 1000 * SEC + 6 * SEC / 10);
	assert_int_equal(p.bytes, 61);
	pacer_refund(&p, 1000);
	assert_int_equal(p.bytes, 0);

	/* Any rate, any byte count: no overflow, and a due time past the end saturates. */
	pacer_init(&p, SEC, UINT64_MAX);
	pacer_reserve(&p, UINT64_MAX / 2);
	assert_int_equal(pacer_reserve(&p, 1), SEC + SEC / 2 - 1);
	pacer_init(&p, SEC, 3000000000ULL);
	pacer_reserve(&p, 1500000000ULL);
	assert_int_equal(pacer_reserve(&p, 1), SEC + SEC / 2);
	pacer_init(&p, UINT64_MAX - 10, 1);
	pacer_reserve(&p, 100);
	assert_int_equal(pacer_reserve(&p, 1), UINT64_MAX);
}

/*
 * However the reservations of several movers interleave, the k-th move
 * starts when the bytes before it would have moved at the rate: by any
 * time t, the moves started hold at most rate * (t - start) bytes plus the
 * last one's.
 */
static void test_pacer_budget(void **state)
{
	const uint64_t rate = 1000000, start = 5 * SEC;
	uint64_t total = 0, due;
	unsigned __int128 before;
	struct pacer p;

	srand(11);
	pacer_init(&p, start, rate);
	for (int k = 0; k < 10000; k++) {
		uint64_t size = (uint64_t)rand() % (4 * rate);

		due = pacer_reserve(&p, size);
		assert_true(due >= start);
		/* bytes before this move <= rate * elapsed, to the nanosecond */
		before = (unsigned __int128)total * SEC;
		assert_true((unsigned __int128)(due - start) * rate <= before);
		assert_true((unsigned __int128)(due - start + 1) * rate > before);
		total += size;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_phases_random),
		cmocka_unit_test(test_movers),
		cmocka_unit_test(test_pacer),
		cmocka_unit_test(test_pacer_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
