// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smoothfsd planner: promotion of the hottest objects up to the target
 * fill, hysteresis, demotion only to make room or above the high
 * watermark, pins, minimum residency, offline tiers, budgets (a promotion
 * and its room-making demotions all or nothing), quiet hours, bad input,
 * and invariants over random pools.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

#define MIB (1ULL << 20)
#define SEC 1000000000ULL
#define NOW (1000000 * SEC)

struct pool {
	struct planner_policy pol;
	struct planner_tier tiers[SMOOTHFS_MAX_TIERS];
	size_t n_tiers;
	struct planner_object obj[256];
	size_t n;
};

/* Two tiers: 10 MiB fast (target 8 MiB, high 9 MiB), 1 GiB slow. */
static void pool_init(struct pool *p)
{
	memset(p, 0, sizeof(*p));
	planner_policy_default(&p->pol);
	p->pol.min_residency_s = 60;
	p->n_tiers = 2;
	p->tiers[0] = (struct planner_tier){ .capacity_bytes = 10 * MIB, .online = true };
	p->tiers[1] = (struct planner_tier){ .capacity_bytes = 1024 * MIB, .online = true };
}

static size_t add(struct pool *p, uint8_t tier, double heat, uint64_t size)
{
	size_t i = p->n++;

	p->obj[i] = (struct planner_object){ .tier = tier, .heat = heat, .size_bytes = size };
	memcpy(p->obj[i].oid.bytes, &i, sizeof(i));
	p->tiers[tier].used_bytes += size;
	return i;
}

static int plan(struct pool *p, struct planner_plan *out, int hour)
{
	struct planner_input in = {
		.policy = &p->pol, .tiers = p->tiers, .n_tiers = p->n_tiers,
		.objects = p->obj, .n_objects = p->n, .now_ns = NOW, .local_minute = hour * 60,
	};

	return planner_plan(&in, out);
}

static const struct planner_move *move_of(const struct planner_plan *pl, size_t obj)
{
	for (size_t k = 0; k < pl->n_moves; k++)
		if (pl->moves[k].object == obj)
			return &pl->moves[k];
	return NULL;
}

static void test_policy_validate(void **state)
{
	struct planner_policy p;
	const char *why = NULL;

	planner_policy_default(&p);
	assert_int_equal(planner_policy_validate(&p, &why), 0);
	assert_null(why);
	p.high_watermark_pct = p.target_fill_pct;
	assert_int_equal(planner_policy_validate(&p, &why), 0);
	p.high_watermark_pct = p.target_fill_pct - 1;
	assert_int_equal(planner_policy_validate(&p, &why), -EINVAL);
	assert_non_null(strstr(why, "high_watermark_pct"));
	planner_policy_default(&p);
	p.hysteresis = NAN;
	assert_int_equal(planner_policy_validate(&p, &why), -EINVAL);
	planner_policy_default(&p);
	p.max_moves = 0;
	assert_int_equal(planner_policy_validate(&p, &why), -EINVAL);
	planner_policy_default(&p);
	p.low_watermark_pct = p.target_fill_pct + 1;
	assert_int_equal(planner_policy_validate(&p, &why), -EINVAL);
	assert_non_null(strstr(why, "low_watermark_pct"));
	planner_policy_default(&p);
	p.quiet_start_min = 22 * 60;
	assert_int_equal(planner_policy_validate(&p, &why), -EINVAL);
	assert_non_null(strstr(why, "quiet"));
	p.quiet_end_min = 24 * 60;
	assert_int_equal(planner_policy_validate(&p, &why), -EINVAL);
	p.quiet_end_min = 6 * 60 + 30;
	assert_int_equal(planner_policy_validate(&p, &why), 0);
	assert_true(planner_quiet_now(&p, 23 * 60));
	assert_true(planner_quiet_now(&p, 0));
	assert_true(planner_quiet_now(&p, 6 * 60 + 29));
	assert_false(planner_quiet_now(&p, 6 * 60 + 30));
	assert_false(planner_quiet_now(&p, 12 * 60));
}

static void test_promotes_hottest_to_target(void **state)
{
	struct planner_plan pl;
	struct pool p;
	double last = INFINITY;

	pool_init(&p);
	for (int i = 0; i < 20; i++)
		add(&p, 1, i, MIB);
	assert_int_equal(plan(&p, &pl, 12), 0);
	/* 8 MiB of target fill: the eight hottest, hottest first. */
	assert_int_equal(pl.n_moves, 8);
	assert_int_equal(pl.bytes, 8 * MIB);
	for (size_t k = 0; k < pl.n_moves; k++) {
		const struct planner_move *m = &pl.moves[k];

		assert_int_equal(m->from, 1);
		assert_int_equal(m->to, 0);
		assert_int_equal(m->reason, PLANNER_PROMOTE);
		assert_true(p.obj[m->object].heat >= 12);
		assert_true(p.obj[m->object].heat < last);
		last = p.obj[m->object].heat;
	}
	assert_string_equal(planner_reason_to_string(PLANNER_PROMOTE), "promote");
	planner_plan_free(&pl);
}

static void test_hysteresis_and_room(void **state)
{
	struct planner_plan pl;
	struct pool p;
	size_t resident[8], b;

	pool_init(&p);
	p.pol.hysteresis = 0.5;
	for (int i = 0; i < 8; i++)
		resident[i] = add(&p, 0, 10 + i, MIB);
	/* 12 is hotter than the coldest resident, but not by half again. */
	b = add(&p, 1, 12, MIB);
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 0);
	planner_plan_free(&pl);

	p.obj[b].heat = 16;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 2);
	/* The room is made first, by the coldest resident. */
	assert_int_equal(pl.moves[0].object, resident[0]);
	assert_int_equal(pl.moves[0].reason, PLANNER_DEMOTE);
	assert_int_equal(pl.moves[0].to, 1);
	assert_int_equal(pl.moves[1].object, b);
	assert_int_equal(pl.moves[1].reason, PLANNER_PROMOTE);
	planner_plan_free(&pl);
}

static void test_no_promotion_without_heat(void **state)
{
	struct planner_plan pl;
	struct pool p;

	pool_init(&p);
	/* Adopted files nobody has touched: the fast tier has room, still no copy. */
	for (int i = 0; i < 4; i++)
		add(&p, 1, 0, MIB);
	add(&p, 1, 0.5, MIB);
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 1);
	assert_int_equal(pl.moves[0].object, 4);
	planner_plan_free(&pl);
}

static void test_no_demotion_without_need(void **state)
{
	struct planner_plan pl;
	struct pool p;

	pool_init(&p);
	/* Cold objects on the fast tier, hot ones below: but room for all. */
	add(&p, 0, 0.1, MIB);
	add(&p, 0, 0.2, MIB);
	add(&p, 1, 50, MIB);
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 1);
	assert_int_equal(pl.moves[0].object, 2);
	planner_plan_free(&pl);
}

static void test_watermark(void **state)
{
	struct planner_plan pl;
	struct pool p;
	size_t cold, warm;

	pool_init(&p);
	p.tiers[0].used_bytes = 7 * MIB;	/* files the daemon does not track */
	cold = add(&p, 0, 1, 2 * MIB);
	warm = add(&p, 0, 5, MIB);
	/* 10 MiB used of 10: above 90%; shedding the coldest reaches the target. */
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 1);
	assert_int_equal(pl.moves[0].object, cold);
	assert_int_equal(pl.moves[0].reason, PLANNER_WATERMARK);
	assert_int_equal(pl.moves[0].to, 1);
	planner_plan_free(&pl);
	/* Half a MiB more: the warm one goes too, colder first. */
	p.tiers[0].used_bytes += MIB / 2;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 2);
	assert_int_equal(pl.moves[0].object, cold);
	assert_int_equal(pl.moves[1].object, warm);
	assert_int_equal(pl.moves[1].reason, PLANNER_WATERMARK);
	planner_plan_free(&pl);
	/*
	 * A lower low watermark sheds no further than the ideal placement:
	 * at 10 MiB the target has room for the warm object, so it stays.
	 */
	p.tiers[0].used_bytes -= MIB / 2;
	p.pol.low_watermark_pct = 70;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 1);
	assert_int_equal(pl.moves[0].object, cold);
	planner_plan_free(&pl);
	/* At 10.5 MiB the ideal has no room left for it: it goes too. */
	p.tiers[0].used_bytes += MIB / 2;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 2);
	planner_plan_free(&pl);
	p.pol.low_watermark_pct = 80;
	/* At 89%, below the high watermark, nothing moves. */
	p.tiers[0].used_bytes = 8 * MIB + 9 * MIB / 10;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 0);
	planner_plan_free(&pl);
}

static void test_pins(void **state)
{
	struct planner_plan pl;
	struct pool p;
	size_t hot_pin, cold_pin, lease, link;

	pool_init(&p);
	for (int i = 0; i < 8; i++)
		add(&p, 1, 100 + i, MIB);
	hot_pin = add(&p, 1, 0, MIB);
	p.obj[hot_pin].pin = SMOOTHFS_PIN_HOT;
	cold_pin = add(&p, 0, 1000, MIB);
	p.obj[cold_pin].pin = SMOOTHFS_PIN_COLD;
	lease = add(&p, 0, 0, MIB);
	p.obj[lease].pin = SMOOTHFS_PIN_LEASE;
	link = add(&p, 1, 5000, MIB);
	p.obj[link].pin = SMOOTHFS_PIN_HARDLINK;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_non_null(move_of(&pl, hot_pin));
	assert_int_equal(move_of(&pl, hot_pin)->reason, PLANNER_PIN);
	assert_int_equal(move_of(&pl, hot_pin)->to, 0);
	assert_non_null(move_of(&pl, cold_pin));
	assert_int_equal(move_of(&pl, cold_pin)->to, 1);
	assert_null(move_of(&pl, lease));
	assert_null(move_of(&pl, link));
	/* pin_hot + lease take 2 of the 8 MiB: six of the hottest follow. */
	assert_int_equal(pl.n_moves, 2 + 6);
	planner_plan_free(&pl);
}

static void test_min_residency_and_offline(void **state)
{
	struct planner_plan pl;
	struct pool p;
	size_t recent, old;

	pool_init(&p);
	recent = add(&p, 1, 100, MIB);
	p.obj[recent].last_move_ns = NOW - 30 * SEC;
	old = add(&p, 1, 50, MIB);
	p.obj[old].last_move_ns = NOW - 61 * SEC;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_null(move_of(&pl, recent));
	assert_non_null(move_of(&pl, old));
	planner_plan_free(&pl);

	p.tiers[0].online = false;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 0);
	planner_plan_free(&pl);
	p.tiers[0].online = true;
	p.tiers[1].online = false;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 0);
	planner_plan_free(&pl);
}

static void test_budgets_all_or_nothing(void **state)
{
	struct planner_plan pl;
	struct pool p;

	pool_init(&p);
	for (int i = 0; i < 8; i++)
		add(&p, 0, 1, MIB);
	add(&p, 1, 100, MIB);
	/* The promotion needs a demotion: two moves, or none. */
	p.pol.max_moves = 1;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 0);
	planner_plan_free(&pl);
	p.pol.max_moves = 2;
	p.pol.max_bytes = MIB;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 0);
	planner_plan_free(&pl);
	p.pol.max_bytes = 2 * MIB;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 2);
	planner_plan_free(&pl);
}

static void test_quiet_hours(void **state)
{
	struct planner_plan pl;
	struct pool p;

	pool_init(&p);
	add(&p, 1, 100, MIB);
	p.pol.quiet_start_min = 9 * 60;
	p.pol.quiet_end_min = 17 * 60;
	assert_int_equal(plan(&p, &pl, 12), 0);
	assert_int_equal(pl.n_moves, 0);
	assert_int_equal(plan(&p, &pl, 18), 0);
	assert_int_equal(pl.n_moves, 1);
	planner_plan_free(&pl);
}

static void test_bad_input(void **state)
{
	struct planner_plan pl = { .n_moves = 99 };
	struct pool p;

	pool_init(&p);
	add(&p, 1, 1, MIB);
	p.obj[0].tier = 2;
	assert_int_equal(plan(&p, &pl, 12), -EINVAL);
	assert_int_equal(pl.n_moves, 0);
	assert_null(pl.moves);
	p.obj[0].tier = 1;
	p.obj[0].heat = NAN;
	assert_int_equal(plan(&p, &pl, 12), -EINVAL);
	p.obj[0].heat = -1;
	assert_int_equal(plan(&p, &pl, 12), -EINVAL);
	p.obj[0].heat = 1;
	assert_int_equal(plan(&p, &pl, 24), -EINVAL);	/* minute 1440 */
	p.n_tiers = 0;
	assert_int_equal(plan(&p, &pl, 12), -EINVAL);
	p.n_tiers = SMOOTHFS_MAX_TIERS + 1;
	assert_int_equal(plan(&p, &pl, 12), -EINVAL);
	p.n_tiers = 2;
	p.pol.target_fill_pct = 0;
	assert_int_equal(plan(&p, &pl, 12), -EINVAL);
	assert_int_equal(planner_plan(NULL, &pl), -EINVAL);
}

/* Invariants over random pools of three tiers. */
static void test_random_invariants(void **state)
{
	unsigned int seed = 12345;

	for (int round = 0; round < 300; round++) {
		struct planner_plan pl;
		struct pool p;
		uint64_t used[3];
		bool seen[256] = { false };

		pool_init(&p);
		p.n_tiers = 3;
		p.tiers[0].capacity_bytes = (1 + rand_r(&seed) % 40) * MIB;
		p.tiers[1].capacity_bytes = (1 + rand_r(&seed) % 80) * MIB;
		p.tiers[2].capacity_bytes = 4096 * MIB;
		p.tiers[2].online = true;
		p.pol.max_moves = 1 + rand_r(&seed) % 50;
		p.pol.hysteresis = (rand_r(&seed) % 100) / 50.0;
		for (int i = 0, n = rand_r(&seed) % 200; i < n; i++) {
			size_t o = add(&p, rand_r(&seed) % 3, rand_r(&seed) % 1000,
				       (1 + rand_r(&seed) % 3) * MIB / 2);

			p.obj[o].pin = rand_r(&seed) % 10 == 0 ? rand_r(&seed) % 6 : 0;
		}
		for (int t = 0; t < 3; t++)
			used[t] = p.tiers[t].used_bytes;
		assert_int_equal(plan(&p, &pl, 12), 0);
		assert_true(pl.n_moves <= p.pol.max_moves);
		assert_true(pl.bytes <= p.pol.max_bytes);
		for (size_t k = 0; k < pl.n_moves; k++) {
			const struct planner_move *m = &pl.moves[k];
			const struct planner_object *o = &p.obj[m->object];

			assert_false(seen[m->object]);
			seen[m->object] = true;
			assert_int_equal(m->from, o->tier);
			assert_int_not_equal(m->to, m->from);
			assert_true(m->to < 3);
			assert_true(o->pin == SMOOTHFS_PIN_NONE || o->pin == SMOOTHFS_PIN_HOT ||
				    o->pin == SMOOTHFS_PIN_COLD);
			used[m->from] -= o->size_bytes;
			used[m->to] += o->size_bytes;
			/* Each move has room when those before it are done. */
			if (m->to < m->from)
				assert_true(used[m->to] <= p.tiers[m->to].capacity_bytes / 100 *
							    p.pol.target_fill_pct + MIB);
			else
				assert_true(used[m->to] <= p.tiers[m->to].capacity_bytes / 100 *
							    p.pol.high_watermark_pct + MIB);
		}
		planner_plan_free(&pl);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_validate),
		cmocka_unit_test(test_promotes_hottest_to_target),
		cmocka_unit_test(test_hysteresis_and_room),
		cmocka_unit_test(test_no_promotion_without_heat),
		cmocka_unit_test(test_no_demotion_without_need),
		cmocka_unit_test(test_watermark),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_min_residency_and_offline),
		cmocka_unit_test(test_budgets_all_or_nothing),
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_random_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
