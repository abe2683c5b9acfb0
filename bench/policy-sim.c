// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy-sim: replays synthetic access traces through smoothfsd's real heat
 * and planner code and reports the fast tier's hit ratio against an LRU
 * cache of the same capacity and the static-optimal placement (the objects
 * with the highest true access probability, known to an oracle).
 *
 *   policy-sim [-n objects] [-c fast-tier-objects | -p fast-tier-percent]
 *              [-a accesses-per-interval]
 *              [-i intervals] [-s seed] [-H half-life-in-intervals] [-y hysteresis]
 *              [-t series-file]
 *
 * Every object has the same size, so a hit ratio by accesses is also one
 * by bytes.  The planner's decisions take effect at the end of each
 * interval, as the daemon's do; LRU reacts on every access, which favours
 * it after a shift of the hot set.  Deterministic for a given seed.
 *
 * -t writes every interval's hit ratios (warm-up included) as
 * tab-separated "trace interval optimal lru-cache lru-mover smoothfs"
 * lines, for bench/plot.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heat.h"
#include "planner.h"

#define OBJ_SIZE (1ULL << 20)
#define INTERVAL_NS (3600ULL * 1000000000ULL)	/* the daemon's default interval */

struct rng {
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)	/* xoshiro256** */
{
	uint64_t result = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;

	r->s[2] ^= r->s[0];
	r->s[3] ^= r->s[1];
	r->s[1] ^= r->s[2];
	r->s[0] ^= r->s[3];
	r->s[2] ^= t;
	r->s[3] = rotl(r->s[3], 45);
	return result;
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {	/* splitmix64 */
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = z ^ (z >> 31);
	}
}

static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

struct sim_config {
	size_t n;		/* objects */
	size_t cap;		/* fast-tier capacity, objects */
	size_t per_interval;	/* accesses */
	unsigned int intervals;
	uint64_t seed;
	double half_life_intervals;
	double hysteresis;
	FILE *series;		/* per-interval hit ratios, or NULL */
};

enum trace_kind { TRACE_ZIPF, TRACE_SHIFT, TRACE_SCAN };

struct scenario {
	const char *name;
	enum trace_kind kind;
	double alpha;
	unsigned int shift_every;	/* TRACE_SHIFT: intervals per hot set */
};

/* Zipf over ranks: cdf[k] = P(rank <= k). */
static double *zipf_cdf(size_t n, double alpha)
{
	double *cdf = malloc(n * sizeof(*cdf)), sum = 0;

	if (!cdf)
		return NULL;
	for (size_t k = 0; k < n; k++)
		cdf[k] = (sum += pow((double)(k + 1), -alpha));
	for (size_t k = 0; k < n; k++)
		cdf[k] /= sum;
	return cdf;
}

static size_t zipf_rank(const double *cdf, size_t n, struct rng *r)
{
	double u = rng_unit(r);
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void shuffle(size_t *a, size_t n, struct rng *r)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_next(r) % i, t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* LRU over object ids: a doubly linked list through arrays. */
struct lru {
	size_t *prev, *next;
	bool *in;
	size_t head, tail, size, cap, none;
};

static int lru_init(struct lru *l, size_t n, size_t cap)
{
	*l = (struct lru){ .cap = cap, .none = n, .head = n, .tail = n };
	l->prev = malloc(n * sizeof(size_t));
	l->next = malloc(n * sizeof(size_t));
	l->in = calloc(n, sizeof(bool));
	return l->prev && l->next && l->in ? 0 : -ENOMEM;
}

static void lru_free(struct lru *l)
{
	free(l->prev);
	free(l->next);
	free(l->in);
}

static void lru_unlink(struct lru *l, size_t x)
{
	if (l->prev[x] != l->none)
		l->next[l->prev[x]] = l->next[x];
	else
		l->head = l->next[x];
	if (l->next[x] != l->none)
		l->prev[l->next[x]] = l->prev[x];
	else
		l->tail = l->prev[x];
}

static bool lru_access(struct lru *l, size_t x)
{
	bool hit = l->in[x];

	if (hit) {
		lru_unlink(l, x);
	} else if (l->size == l->cap) {
		size_t victim = l->tail;

		lru_unlink(l, victim);
		l->in[victim] = false;
	} else {
		l->size++;
	}
	l->in[x] = true;
	l->prev[x] = l->none;
	l->next[x] = l->head;
	if (l->head != l->none)
		l->prev[l->head] = x;
	l->head = x;
	if (l->tail == l->none)
		l->tail = x;
	return hit;
}

struct result {
	double opt, lru, lru_mover, planner;	/* lru: per access; lru_mover: per interval */
	double lru_moves_per_interval;	/* hit ratios over the measured intervals */
	double worst_gap;		/* opt - planner, worst converged interval */
	unsigned int recovery;		/* intervals after a shift to within 2 points */
	double moves_per_interval;
};

static int run(const struct sim_config *cfg, const struct scenario *sc, struct result *res)
{
	struct planner_policy pol;
	struct heat_params hp;
	struct rng rng;
	struct lru lru, order;
	bool *mover_fast = calloc(cfg->n, sizeof(bool));
	double *cdf = zipf_cdf(cfg->n, sc->alpha);
	size_t *perm = malloc(cfg->n * sizeof(size_t));
	struct heat_score *heat = calloc(cfg->n, sizeof(*heat));
	struct planner_object *obj = calloc(cfg->n, sizeof(*obj));
	uint64_t now = INTERVAL_NS, total = 0;
	uint64_t hits_opt = 0, hits_lru = 0, hits_mover = 0, hits_pl = 0;
	uint64_t moves = 0, lru_misses = 0;
	unsigned int warmup = cfg->intervals / 3, since_shift = 0, recovered_after = 0;
	unsigned int shifts = 0, recovered_worst = 0;
	int r = -ENOMEM;

	*res = (struct result){ 0 };
	if (!cdf || !perm || !heat || !obj || !mover_fast ||
	    lru_init(&lru, cfg->n, cfg->cap) < 0 || lru_init(&order, cfg->n, cfg->n) < 0)
		goto out;
	rng_seed(&rng, cfg->seed);
	heat_params_default(&hp);
	hp.half_life_s = cfg->half_life_intervals * (double)INTERVAL_NS / 1e9;
	planner_policy_default(&pol);
	pol.hysteresis = cfg->hysteresis;
	pol.min_residency_s = 0;
	pol.max_moves = (unsigned int)(2 * cfg->cap);	/* a full swap of the fast tier */
	pol.max_bytes = 2 * cfg->cap * OBJ_SIZE;
	for (size_t i = 0; i < cfg->n; i++) {
		perm[i] = i;
		obj[i].size_bytes = OBJ_SIZE;
		obj[i].tier = 1;	/* everything starts on the slow tier */
		memcpy(obj[i].oid.bytes, &i, sizeof(i));
	}
	shuffle(perm, cfg->n, &rng);
	res->worst_gap = 0;

	for (unsigned int iv = 0; iv < cfg->intervals; iv++) {
		struct planner_tier tiers[2] = {
			{ .capacity_bytes = (cfg->cap * OBJ_SIZE * 100 + pol.target_fill_pct - 1) /
					    pol.target_fill_pct, .online = true },
			{ .capacity_bytes = cfg->n * OBJ_SIZE * 4, .online = true },
		};
		struct planner_input in = {
			.policy = &pol, .tiers = tiers, .n_tiers = 2, .objects = obj,
			.n_objects = cfg->n, .local_minute = 12 * 60,
		};
		struct planner_plan plan;
		uint64_t ih = 0, io = 0, il = 0, im = 0, it = 0;
		bool scan = sc->kind == TRACE_SCAN && iv % 4 == 3;

		if (sc->kind == TRACE_SHIFT && iv > 0 && iv % sc->shift_every == 0) {
			shuffle(perm, cfg->n, &rng);
			since_shift = 0;
			recovered_after = 0;
			/* Recovery counts only for shifts inside the measured part. */
			shifts += iv >= warmup;
		}
		for (size_t a = 0; a < cfg->per_interval; a++) {
			size_t rank = zipf_rank(cdf, cfg->n, &rng), x = perm[rank];
			uint64_t t = now + (INTERVAL_NS * a) / cfg->per_interval;

			/* A scan reads every object once, spread through the interval. */
			if (scan && a % 2 == 1) {
				x = (a / 2) % cfg->n;
				rank = cfg->n;	/* not part of the popularity */
			}
			it++;
			io += rank < cfg->cap;
			il += lru_access(&lru, x);
			im += mover_fast[x];
			lru_access(&order, x);
			ih += obj[x].tier == 0;
			heat_score_add(&heat[x], t, hp.open_weight, hp.half_life_s);
		}
		now += INTERVAL_NS;
		/* The LRU mover: the most recently used objects, placed once per interval. */
		memset(mover_fast, 0, cfg->n * sizeof(bool));
		for (size_t x = order.head, k = 0; x != order.none && k < cfg->cap;
		     x = order.next[x], k++)
			mover_fast[x] = true;
		if (iv >= warmup) {
			double gap = (double)io / it - (double)ih / it;

			total += it;
			hits_opt += io;
			hits_lru += il;
			hits_mover += im;
			lru_misses += it - il;
			hits_pl += ih;
			if (sc->kind != TRACE_SHIFT || since_shift >= 3)
				res->worst_gap = fmax(res->worst_gap, gap);
			/* Intervals from the shift (1 = the shift's own) to within 2 points. */
			if (sc->kind == TRACE_SHIFT && shifts && !recovered_after && gap <= 0.02) {
				recovered_after = since_shift + 1;
				if (recovered_after > recovered_worst)
					recovered_worst = recovered_after;
			}
		}
		if (cfg->series)
			fprintf(cfg->series, "%s\t%u\t%.4f\t%.4f\t%.4f\t%.4f\n", sc->name, iv,
				(double)io / it, (double)il / it, (double)im / it, (double)ih / it);
		since_shift++;
		/* The planner sees the heat as of the end of the interval. */
		for (size_t i = 0; i < cfg->n; i++) {
			obj[i].heat = heat_score_at(&heat[i], now, hp.half_life_s);
			tiers[obj[i].tier].used_bytes += obj[i].size_bytes;
		}
		in.now_ns = now;
		r = planner_plan(&in, &plan);
		if (r < 0)
			goto out;
		for (size_t k = 0; k < plan.n_moves; k++) {
			obj[plan.moves[k].object].tier = plan.moves[k].to;
			obj[plan.moves[k].object].last_move_ns = now;
		}
		moves += plan.n_moves;
		planner_plan_free(&plan);
	}
	res->opt = (double)hits_opt / total;
	res->lru = (double)hits_lru / total;
	res->lru_mover = (double)hits_mover / total;
	res->lru_moves_per_interval = (double)lru_misses / (cfg->intervals - warmup);
	res->planner = (double)hits_pl / total;
	res->recovery = recovered_worst;
	res->moves_per_interval = (double)moves / cfg->intervals;
	r = 0;
out:
	lru_free(&lru);
	lru_free(&order);
	free(mover_fast);
	free(cdf);
	free(perm);
	free(heat);
	free(obj);
	return r;
}

static const struct scenario scenarios[] = {
	{ "zipf-0.7", TRACE_ZIPF, 0.7, 0 },
	{ "zipf-0.9", TRACE_ZIPF, 0.9, 0 },
	{ "zipf-1.0", TRACE_ZIPF, 1.0, 0 },
	{ "zipf-1.2", TRACE_ZIPF, 1.2, 0 },
	{ "shift-0.9", TRACE_SHIFT, 0.9, 10 },
	{ "shift-1.2", TRACE_SHIFT, 1.2, 10 },
	{ "scan-0.9", TRACE_SCAN, 0.9, 0 },
};

int main(int argc, char **argv)
{
	struct sim_config cfg = {
		.n = 20000, .cap = 2000, .per_interval = 200000, .intervals = 40,
		.seed = 1, .half_life_intervals = 0.5, .hysteresis = 0.5,
	};
	long pct = -1;
	const char *series = NULL;
	int opt, fails = 0;

	while ((opt = getopt(argc, argv, "n:c:p:a:i:s:H:y:t:")) != -1) {
		switch (opt) {
		case 'n': cfg.n = strtoul(optarg, NULL, 0); break;
		case 'c': cfg.cap = strtoul(optarg, NULL, 0); break;
		case 'p': pct = strtol(optarg, NULL, 0); break;
		case 'a': cfg.per_interval = strtoul(optarg, NULL, 0); break;
		case 'i': cfg.intervals = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); break;
		case 'H': cfg.half_life_intervals = strtod(optarg, NULL); break;
		case 'y': cfg.hysteresis = strtod(optarg, NULL); break;
		case 't': series = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-n N] [-c CAP | -p PERCENT] [-a ACCESSES] [-i INTERVALS] "
				"[-s SEED] [-H HALF_LIFE] [-y HYSTERESIS] [-t SERIES]\n", argv[0]);
			return 2;
		}
	}
	if (pct >= 1 && pct <= 99)
		cfg.cap = cfg.n * (size_t)pct / 100;
	else if (pct != -1)
		cfg.cap = 0;	/* refused below */
	if (cfg.n < 2 || cfg.cap < 1 || cfg.cap >= cfg.n || cfg.per_interval < 1 ||
	    cfg.intervals < 6 || !(cfg.half_life_intervals > 0) || !(cfg.hysteresis >= 0)) {
		fprintf(stderr, "policy-sim: bad parameters\n");
		return 2;
	}
	if (series) {
		cfg.series = fopen(series, "we");
		if (!cfg.series) {
			fprintf(stderr, "policy-sim: %s: %s\n", series, strerror(errno));
			return 1;
		}
	}
	printf("objects %zu, fast tier %zu objects, %zu accesses per interval, %u intervals, "
	       "half-life %.2f intervals, hysteresis %.2f, seed %llu\n\n",
	       cfg.n, cfg.cap, cfg.per_interval, cfg.intervals, cfg.half_life_intervals,
	       cfg.hysteresis, (unsigned long long)cfg.seed);
	printf("| trace | static-optimal | LRU cache (moves/interval) | LRU mover | smoothfs "
	       "(moves/interval) | gap to optimal, worst interval | recovery, intervals | "
	       "verdict |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (size_t s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++) {
		const struct scenario *sc = &scenarios[s];
		struct result res;
		bool ok;

		if (run(&cfg, sc, &res) < 0) {
			fprintf(stderr, "policy-sim: %s: out of memory\n", sc->name);
			return 1;
		}
		ok = res.planner >= res.lru_mover && res.worst_gap <= 0.02 &&
		     (sc->kind != TRACE_SHIFT || (res.recovery && res.recovery <= 3));
		fails += !ok;
		printf("| %s | %.3f | %.3f (%.0f) | %.3f | %.3f (%.0f) | %.3f | ", sc->name,
		       res.opt, res.lru, res.lru_moves_per_interval, res.lru_mover, res.planner,
		       res.moves_per_interval, res.worst_gap);
		if (sc->kind == TRACE_SHIFT)
			printf("%u | %s |\n", res.recovery, ok ? "met" : "MISSED");
		else
			printf("- | %s |\n", ok ? "met" : "MISSED");
	}
	if (cfg.series && fclose(cfg.series) != 0) {
		fprintf(stderr, "policy-sim: %s: %s\n", series, strerror(errno));
		return 1;
	}
	return fails ? 1 : 0;
}
