// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsmoothfs's netlink client against the real module, in the VM.
 * Prints TAP (plan at the end); tests/vm/t/client.t runs one phase at a
 * time around insmod/rmmod:
 *
 *   client-check notloaded   the module is not loaded
 *   client-check loaded      loaded, as root
 *   client-check unpriv      loaded, as an unprivileged user
 *   client-check rmmod       open and subscribed across rmmod smoothfs
 *
 * No pool is mounted in these phases: inspect fails with -ENOENT ("no such
 * pool"), and so does every other command that names a pool (movement,
 * quiesce, reconcile, tier control); list_pools succeeds with none.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <smoothfs/smoothfs.h>

static int n_tests, n_failed;

static __attribute__((format(printf, 2, 3))) bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - ", cond ? "" : "not ", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const smoothfs_uuid_t POOL = { { 0x01, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0x7e, 0x5f,
					 0x8a, 0x9b, 0x0c, 0x1d, 0x2e, 0x3f, 0x4a, 0x5b } };
static const smoothfs_oid_t OID = { { 0x01, 0x92, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x42 } };

static int do_inspect(smoothfs_client *c)
{
	struct smoothfs_inspect_result r;
	int ret = smoothfs_inspect(c, &POOL, &OID, &r);

	if (ret == 0)
		smoothfs_inspect_result_clear(&r);
	return ret;
}

static int do_move_plan(smoothfs_client *c)
{
	return smoothfs_move_plan(c, &POOL, &OID, 1, 42);
}

static int do_move_plan_force(smoothfs_client *c)
{
	return smoothfs_move_plan_force(c, &POOL, &OID, 1, 42, true);
}

static int do_move_cutover(smoothfs_client *c)
{
	return smoothfs_move_cutover(c, &POOL, &OID, 42);
}

static int do_move_cutover_verify(smoothfs_client *c)
{
	return smoothfs_move_cutover_verify_write_seq(c, &POOL, &OID, 42, 7);
}

static int do_move_abort(smoothfs_client *c)
{
	return smoothfs_move_abort(c, &POOL, &OID, 42);
}

static int do_quiesce(smoothfs_client *c)
{
	return smoothfs_quiesce(c, &POOL);
}

static int do_reconcile(smoothfs_client *c)
{
	return smoothfs_reconcile(c, &POOL, "vm test");
}

static int do_revoke(smoothfs_client *c)
{
	return smoothfs_revoke_mappings(c, &POOL, &OID);
}

static int do_tier_down(smoothfs_client *c)
{
	return smoothfs_tier_down(c, &POOL, 1);
}

static int do_reprobe(smoothfs_client *c)
{
	return smoothfs_reprobe(c, &POOL, 1);
}

static int do_list_pools(smoothfs_client *c)
{
	struct smoothfs_pool_info *p = NULL;
	size_t n = 0;
	int r = smoothfs_list_pools(c, &p, &n);

	if (r == 0)
		smoothfs_pool_info_free(p, n);
	return r;
}

/* What each command gets from the kernel with no pool mounted. */
static const struct {
	const char *name;
	int (*fn)(smoothfs_client *c);
	int expect;
} commands[] = {
	{ "inspect", do_inspect, -ENOENT },
	{ "move_plan", do_move_plan, -ENOENT },
	{ "move_plan_force", do_move_plan_force, -ENOENT },
	{ "move_cutover", do_move_cutover, -ENOENT },
	{ "move_cutover_verify_write_seq", do_move_cutover_verify, -ENOENT },
	{ "move_abort", do_move_abort, -ENOENT },
	{ "quiesce", do_quiesce, -ENOENT },
	{ "reconcile", do_reconcile, -ENOENT },
	{ "revoke_mappings", do_revoke, -ENOENT },
	{ "tier_down", do_tier_down, -ENOENT },
	{ "reprobe", do_reprobe, -ENOENT },
	{ "list_pools", do_list_pools, 0 },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Every command fails cleanly (a negative errno and a reason) or succeeds. */
static void check_commands(smoothfs_client *c, bool exact)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		int r = commands[i].fn(c);
		const char *e = smoothfs_client_last_error(c);

		if (commands[i].expect < 0)
			ok(r < 0 && e && e[0], "%s fails with a negative errno and a last error",
			   commands[i].name);
		else
			ok(r == 0, "%s succeeds", commands[i].name);
		diag("%s: %d, \"%s\"", commands[i].name, r, e ? e : "(null)");
		if (exact)
			ok(r == commands[i].expect, "%s: %d from the kernel", commands[i].name,
			   commands[i].expect);
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct hammer {
	smoothfs_client *c;
	int bad;
};

static void *hammer(void *p)
{
	struct hammer *h = p;

	for (int i = 0; i < 100; i++) {
		int r = (i % 2) ? do_inspect(h->c) : do_list_pools(h->c);

		if (r != ((i % 2) ? -ENOENT : 0))
			h->bad++;
	}
	return NULL;
}

static void phase_notloaded(void)
{
	smoothfs_client *c = (smoothfs_client *)0x1;
	int r = smoothfs_client_open(&c);

	ok(r == SMOOTHFS_ERR_NOT_LOADED, "open without the module: SMOOTHFS_ERR_NOT_LOADED (got %d)", r);
	ok(c == (smoothfs_client *)0x1, "open without the module leaves *ret alone");
	ok(smoothfs_quiesce(NULL, &POOL) == -EINVAL, "a NULL client is -EINVAL");
}

static void phase_loaded(void)
{
	char reason[SMOOTHFS_RECONCILE_REASON_MAX + 2];
	struct smoothfs_event *ev = NULL;
	smoothfs_client *c = NULL, *c2 = NULL;
	struct smoothfs_inspect_result ir;
	struct hammer h[4];
	pthread_t t[4];
	int r, fd;
	int64_t t0;

	r = smoothfs_client_open(&c);
	if (!ok(r == 0 && c, "open with the module loaded (got %d)", r))
		return;
	ok(strcmp(smoothfs_client_last_error(c), "") == 0, "no last error before any failure");
	ok(smoothfs_event_fd(c) == -EBADF, "event_fd is -EBADF before subscribe");
	ok(smoothfs_receive(c, 0, &ev) == -EBADF, "receive is -EBADF before subscribe");

	check_commands(c, true);

	/* Validation: -EINVAL, where any request would have got -ENOENT (no pool). */
	ok(smoothfs_inspect(c, NULL, &OID, &ir) == -EINVAL &&
	   strstr(smoothfs_client_last_error(c), "NULL"), "inspect with a NULL pool: -EINVAL, no round trip");
	ok(smoothfs_move_plan(c, &POOL, NULL, 1, 1) == -EINVAL, "move_plan with a NULL oid: -EINVAL");
	ok(smoothfs_inspect(c, &POOL, &OID, NULL) == -EINVAL, "inspect with a NULL result: -EINVAL");
	ok(smoothfs_quiesce(c, NULL) == -EINVAL, "quiesce with a NULL pool: -EINVAL");
	memset(reason, 'r', sizeof(reason));
	reason[sizeof(reason) - 1] = '\0';
	ok(smoothfs_reconcile(c, &POOL, reason) == -EINVAL &&
	   strstr(smoothfs_client_last_error(c), "longer than"),
	   "reconcile with a 256-byte reason: -EINVAL, no round trip");
	reason[SMOOTHFS_RECONCILE_REASON_MAX] = '\0';
	ok(smoothfs_reconcile(c, &POOL, reason) == -ENOENT, "a 255-byte reason reaches the kernel");
	ok(smoothfs_tier_down(c, &POOL, SMOOTHFS_MAX_TIERS) == -EINVAL, "tier_down rank 8: -EINVAL");
	ok(smoothfs_list_pools(c, NULL, NULL) == -EINVAL, "list_pools with NULL results: -EINVAL");

	/* Many requests in a row stay in step. */
	r = 0;
	for (int i = 0; i < 300; i++)
		r |= i % 3 == 0 ? do_list_pools(c) != 0 : do_quiesce(c) != -ENOENT;
	ok(r == 0, "300 requests in a row, every reply in step");

	r = smoothfs_subscribe(c);
	ok(r == 0, "subscribe as root (got %d: %s)", r, r ? smoothfs_client_last_error(c) : "");
	fd = smoothfs_event_fd(c);
	ok(fd >= 0, "event_fd after subscribe (got %d)", fd);
	ok(smoothfs_subscribe(c) == 0 && smoothfs_event_fd(c) == fd, "subscribing again changes nothing");

	ok(smoothfs_receive(c, 0, &ev) == -EAGAIN && ev == NULL, "receive, timeout 0: -EAGAIN");
	t0 = now_ms();
	r = smoothfs_receive(c, 200, &ev);
	t0 = now_ms() - t0;
	ok(r == -ETIMEDOUT && ev == NULL, "receive, 200 ms: -ETIMEDOUT (got %d)", r);
	ok(t0 >= 190 && t0 < 5000, "receive waited about 200 ms (%lld ms)", (long long)t0);

	/* The command socket is unaffected by the subscription. */
	ok(do_inspect(c) == -ENOENT, "commands after subscribe still get their own replies");

	/* Threads share the client. */
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ c, 0 };
		pthread_create(&t[i], NULL, hammer, &h[i]);
	}
	r = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		r += h[i].bad;
	}
	ok(r == 0, "4 threads x 100 requests on one client: all as expected (%d not)", r);

	/* A second client alongside. */
	r = smoothfs_client_open(&c2);
	ok(r == 0 && do_quiesce(c2) == -ENOENT, "a second client works alongside");
	ok(smoothfs_client_close(c2) == NULL, "close the second client");
	ok(do_quiesce(c) == -ENOENT, "the first client still works");
	ok(smoothfs_receive(c, 0, &ev) == -EAGAIN, "still no event");

	ok(smoothfs_client_close(c) == NULL, "close returns NULL");
}

static void phase_unpriv(void)
{
	struct smoothfs_event *ev = NULL;
	smoothfs_client *c = NULL;
	const char *e;
	int r;

	r = smoothfs_client_open(&c);
	if (!ok(r == 0 && c, "an unprivileged user can open (got %d)", r))
		return;
	r = smoothfs_subscribe(c);
	e = smoothfs_client_last_error(c);
	ok(r == -EPERM, "subscribe without CAP_SYS_ADMIN: -EPERM (got %d)", r);
	ok(strstr(e, "CAP_SYS_ADMIN") != NULL, "the last error says why: \"%s\"", e);
	ok(smoothfs_event_fd(c) == -EBADF, "no event fd after the failed subscribe");
	ok(smoothfs_receive(c, 0, &ev) == -EBADF, "receive is -EBADF after the failed subscribe");
	check_commands(c, false);
	ok(do_inspect(c) == -EPERM, "inspect needs CAP_NET_ADMIN: -EPERM");
	ok(smoothfs_client_close(c) == NULL, "close");
}

static void phase_rmmod(void)
{
	struct smoothfs_event *ev = NULL;
	smoothfs_client *c = NULL, *c2 = (smoothfs_client *)0x1;
	int r;

	r = smoothfs_client_open(&c);
	if (!ok(r == 0 && c, "open (got %d)", r))
		return;
	ok(smoothfs_subscribe(c) == 0, "subscribe");
	ok(do_quiesce(c) == -ENOENT, "a command before rmmod");

	r = system("rmmod smoothfs");
	ok(r == 0, "rmmod smoothfs with a client open and subscribed (status %d)", r);

	r = do_quiesce(c);
	ok(r < 0 && smoothfs_client_last_error(c)[0],
	   "a command on the old client fails cleanly (%d: %s)", r, smoothfs_client_last_error(c));
	r = smoothfs_receive(c, 0, &ev);
	ok(r < 0 && ev == NULL, "receive on the old subscription fails cleanly (%d)", r);
	r = smoothfs_receive(c, 100, &ev);
	ok(r < 0 && ev == NULL, "receive with a timeout too (%d)", r);
	ok(smoothfs_client_close(c) == NULL, "close after rmmod");

	r = smoothfs_client_open(&c2);
	ok(r == SMOOTHFS_ERR_NOT_LOADED && c2 == (smoothfs_client *)0x1,
	   "a new open after rmmod: SMOOTHFS_ERR_NOT_LOADED (got %d)", r);
}

int main(int argc, char **argv)
{
	const char *phase = argc > 1 ? argv[1] : "";

	if (strcmp(phase, "notloaded") == 0)
		phase_notloaded();
	else if (strcmp(phase, "loaded") == 0)
		phase_loaded();
	else if (strcmp(phase, "unpriv") == 0)
		phase_unpriv();
	else if (strcmp(phase, "rmmod") == 0)
		phase_rmmod();
	else {
		fprintf(stderr, "usage: %s notloaded|loaded|unpriv|rmmod\n", argv[0]);
		return 2;
	}
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
