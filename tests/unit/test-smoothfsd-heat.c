// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smoothfsd heat: decay by elapsed time, samples out of order, parameter
 * validation, and the OID table under growth and deletion.
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

#include "heat.h"

#define SEC 1000000000ULL

static void test_decay_by_time(void **state)
{
	struct heat_score h = { 0 };

	heat_score_add(&h, 100 * SEC, 8.0, 10.0);
	assert_true(fabs(heat_score_at(&h, 100 * SEC, 10.0) - 8.0) < 1e-9);
	assert_true(fabs(heat_score_at(&h, 130 * SEC, 10.0) - 1.0) < 1e-9);
	/* Reading does not change the score; adding decays first. */
	heat_score_add(&h, 110 * SEC, 1.0, 10.0);
	assert_true(fabs(heat_score_at(&h, 110 * SEC, 10.0) - 5.0) < 1e-9);
	assert_int_equal(h.ts_ns, 110 * SEC);
	/* A clock that went backwards does not heat the object up. */
	assert_true(fabs(heat_score_at(&h, 50 * SEC, 10.0) - 5.0) < 1e-9);
}

static void test_late_sample_decays_to_score_time(void **state)
{
	struct heat_score h = { 0 };

	heat_score_add(&h, 200 * SEC, 1.0, 10.0);
	/* Activity from 10 s (one half-life) before the score's time. */
	heat_score_add(&h, 190 * SEC, 4.0, 10.0);
	assert_int_equal(h.ts_ns, 200 * SEC);
	assert_true(fabs(h.value - 3.0) < 1e-9);
}

static void test_sample_amount(void **state)
{
	struct heat_params p = { .half_life_s = 60, .open_weight = 2.0, .byte_weight = 0.5 };

	assert_true(fabs(heat_sample_amount(&p, 3, 1 << 20, 3 << 20) - 8.0) < 1e-9);
	assert_true(heat_sample_amount(&p, 0, 0, 0) == 0);
}

static void test_params_validate(void **state)
{
	struct heat_params p;

	heat_params_default(&p);
	assert_int_equal(heat_params_validate(&p), 0);
	p.half_life_s = 0;
	assert_int_equal(heat_params_validate(&p), -EINVAL);
	p.half_life_s = NAN;
	assert_int_equal(heat_params_validate(&p), -EINVAL);
	heat_params_default(&p);
	p.open_weight = -1;
	assert_int_equal(heat_params_validate(&p), -EINVAL);
	heat_params_default(&p);
	p.byte_weight = INFINITY;
	assert_int_equal(heat_params_validate(&p), -EINVAL);
}

static void oid_of(unsigned int i, smoothfs_oid_t *oid)
{
	/* UUIDv7-like: a shared timestamp prefix, varying tail. */
	memset(oid, 0x01, sizeof(*oid));
	memcpy(oid->bytes + 10, &i, sizeof(i));
}

static void test_table_grow_find_remove(void **state)
{
	const unsigned int n = 20000;
	struct heat_table t;
	smoothfs_oid_t oid;
	unsigned int i;

	heat_table_init(&t);
	oid_of(1, &oid);
	assert_null(heat_table_find(&t, &oid));
	assert_int_equal(heat_table_remove(&t, &oid), -ENOENT);
	for (i = 0; i < n; i++) {
		struct heat_object *o;

		oid_of(i, &oid);
		o = heat_table_get(&t, &oid);
		assert_non_null(o);
		o->score.value = i;
	}
	assert_int_equal(t.n_used, n);
	assert_true(t.n_slots >= 2 * n);
	for (i = 0; i < n; i += 2) {
		oid_of(i, &oid);
		assert_int_equal(heat_table_remove(&t, &oid), 0);
	}
	assert_int_equal(t.n_used, n / 2);
	for (i = 0; i < n; i++) {
		struct heat_object *o;

		oid_of(i, &oid);
		o = heat_table_find(&t, &oid);
		if (i % 2 == 0) {
			assert_null(o);
		} else {
			assert_non_null(o);
			assert_true(o->score.value == i);
		}
	}
	/* Getting an existing object returns it, not a fresh entry. */
	oid_of(7, &oid);
	assert_true(heat_table_get(&t, &oid)->score.value == 7);
	assert_int_equal(t.n_used, n / 2);
	heat_table_done(&t);
	assert_int_equal(t.n_slots, 0);
}

/* Idle, unmoved objects leave the table; hot or recently moved ones stay. */
static void test_table_prune(void **state)
{
	const uint64_t sec = 1000000000ULL, now = 100000 * sec;
	const unsigned int n = 5000;
	struct heat_table t;
	smoothfs_oid_t oid;
	size_t removed = 99;
	unsigned int i;

	heat_table_init(&t);
	assert_int_equal(heat_table_prune(&t, now, 60.0, 1e-3, 0, &removed), 0);
	assert_int_equal(removed, 0);
	for (i = 0; i < n; i++) {
		struct heat_object *o;

		oid_of(i, &oid);
		o = heat_table_get(&t, &oid);
		assert_non_null(o);
		/* Every third hot now; the others one open 20 half-lives ago. */
		o->score.value = 1.0;
		o->score.ts_ns = i % 3 == 0 ? now : now - 1200 * sec;
		/* Of the idle ones, every fifth moved 10 s ago, every seventh long ago. */
		if (i % 5 == 0)
			o->last_move_ns = now - 10 * sec;
		else if (i % 7 == 0)
			o->last_move_ns = now - 5000 * sec;
	}
	assert_int_equal(heat_table_prune(&t, now, 60.0, 1e-3, now - 3600 * sec, &removed), 0);
	for (i = 0; i < n; i++) {
		bool keep = i % 3 == 0 || i % 5 == 0;
		struct heat_object *o;

		oid_of(i, &oid);
		o = heat_table_find(&t, &oid);
		if (!keep) {
			assert_null(o);
			continue;
		}
		assert_non_null(o);
		assert_true(o->score.value == 1.0);
	}
	assert_int_equal(t.n_used + removed, n);
	/* The table shrank to what the survivors need. */
	assert_true(t.n_slots < 4 * t.n_used + 1024);
	/* A second prune finds nothing more to forget; a late one forgets all. */
	assert_int_equal(heat_table_prune(&t, now, 60.0, 1e-3, now - 3600 * sec, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(heat_table_prune(&t, now + 100000 * sec, 60.0, 1e-3, now, &removed), 0);
	assert_int_equal(removed, (n + 2) / 3 + n / 5 - (n + 14) / 15);
	assert_int_equal(t.n_used, 0);
	/* The empty table still works. */
	oid_of(1, &oid);
	assert_null(heat_table_find(&t, &oid));
	assert_non_null(heat_table_get(&t, &oid));
	heat_table_done(&t);
}

static void test_table_apply(void **state)
{
	struct heat_params p = { .half_life_s = 10, .open_weight = 1, .byte_weight = 1 };
	struct smoothfs_heat_sample s = {
		.open_count_delta = 2, .read_bytes_delta = 1 << 20,
		.last_access_ns = 90 * SEC,
	};
	struct heat_table t;
	struct heat_object *o;

	heat_table_init(&t);
	oid_of(42, &s.oid);
	assert_int_equal(heat_table_apply(&t, &p, &s, 100 * SEC), 0);
	o = heat_table_find(&t, &s.oid);
	assert_non_null(o);
	assert_int_equal(o->score.ts_ns, 90 * SEC);
	assert_true(fabs(heat_score_at(&o->score, 100 * SEC, p.half_life_s) - 1.5) < 1e-9);
	/* A sample stamped in the future counts from now. */
	s.last_access_ns = 500 * SEC;
	assert_int_equal(heat_table_apply(&t, &p, &s, 100 * SEC), 0);
	assert_int_equal(o->score.ts_ns, 100 * SEC);
	assert_true(fabs(o->score.value - 4.5) < 1e-9);
	heat_table_done(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decay_by_time),
		cmocka_unit_test(test_late_sample_decays_to_score_time),
		cmocka_unit_test(test_sample_amount),
		cmocka_unit_test(test_params_validate),
		cmocka_unit_test(test_table_grow_find_remove),
		cmocka_unit_test(test_table_prune),
		cmocka_unit_test(test_table_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
