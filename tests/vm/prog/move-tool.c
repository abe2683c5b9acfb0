// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The movement commands of libsmoothfs for the VM tests (move.t,
 * move-disks.t):
 *
 *   move-tool plan UUID OID-HEX DEST SEQ [force]
 *   move-tool cutover UUID OID-HEX SEQ [WRITE_SEQ]
 *   move-tool abort UUID OID-HEX SEQ
 *   move-tool revoke UUID OID-HEX
 *   move-tool quiesce UUID
 *   move-tool reconcile UUID
 *   move-tool tier-down UUID RANK
 *   move-tool reprobe UUID RANK
 *   move-tool move PATH DEST SEQ [force] [async]
 *        smoothfs_move_path(), waiting for the move's close unless "async"
 *        (SMOOTHFS_MOVE_WAIT_CLOSED)
 *   move-tool splice-stuck FILE MS            a writer stuck in the file:
 *        splice(2) from an empty pipe into FILE (at its end); after MS
 *        milliseconds one byte "Z" goes into the pipe and the splice ends.
 *        Prints "splicing" when it starts and "spliced N" at the end.
 *
 * Exit status: 0, or 1 with "error: <strerror> (<the library's reason>)"
 * on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <smoothfs/smoothfs.h>

static int fail(smoothfs_client *c, int r)
{
	fprintf(stderr, "error: %s (%s)\n", strerror(-r), c ? smoothfs_client_last_error(c) : "");
	return 1;
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s) {
		fprintf(stderr, "error: bad number %s\n", s);
		exit(2);
	}
	return v;
}

struct stuck {
	int wfd;
	unsigned int ms;
};

static void *release(void *p)
{
	struct stuck *s = p;
	struct timespec ts = { s->ms / 1000, (s->ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	if (write(s->wfd, "Z", 1) != 1)
		perror("write");
	close(s->wfd);
	return NULL;
}

static int splice_stuck(const char *path, unsigned int ms)
{
	struct stuck s = { .ms = ms };
	int p[2], fd;
	pthread_t t;
	loff_t off;
	ssize_t n;

	fd = open(path, O_WRONLY);
	if (fd < 0 || pipe(p) < 0) {
		perror(path);
		return 1;
	}
	off = lseek(fd, 0, SEEK_END);
	s.wfd = p[1];
	if (pthread_create(&t, NULL, release, &s)) {
		perror("pthread_create");
		return 1;
	}
	printf("splicing\n");
	fflush(stdout);
	n = splice(p[0], NULL, fd, &off, 1, 0);
	pthread_join(t, NULL);
	if (n < 0) {
		perror("splice");
		return 1;
	}
	printf("spliced %zd\n", n);
	close(fd);
	return 0;
}

/* "force" and "async", in any order; -1 for anything else. */
static int move_flags(int argc, char **argv)
{
	unsigned int flags = SMOOTHFS_MOVE_WAIT_CLOSED;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "force"))
			flags |= SMOOTHFS_MOVE_FORCE;
		else if (!strcmp(argv[i], "async"))
			flags &= ~SMOOTHFS_MOVE_WAIT_CLOSED;
		else
			return -1;
	}
	return flags;
}

/* A cutover, then an Inspect: it returns once the move is closed. */
static int cutover(smoothfs_client *c, const smoothfs_uuid_t *uuid, const smoothfs_oid_t *oid,
		   uint64_t seq, const char *write_seq)
{
	struct smoothfs_inspect_result ins = { 0 };
	int r;

	if (write_seq)
		r = smoothfs_move_cutover_verify_write_seq(c, uuid, oid, seq, num(write_seq));
	else
		r = smoothfs_move_cutover(c, uuid, oid, seq);
	if (r < 0)
		return r;
	r = smoothfs_inspect(c, uuid, oid, &ins);
	smoothfs_inspect_result_clear(&ins);
	return r;
}

int main(int argc, char **argv)
{
	smoothfs_client *c = NULL;
	smoothfs_uuid_t uuid;
	smoothfs_oid_t oid;
	const char *cmd = argc > 1 ? argv[1] : "";
	int r;

	if (!strcmp(cmd, "splice-stuck") && argc == 4)
		return splice_stuck(argv[2], num(argv[3]));
	if (argc < 3) {
		fprintf(stderr, "usage: see the head of move-tool.c\n");
		return 2;
	}
	r = smoothfs_client_open(&c);
	if (r < 0)
		return fail(NULL, r);
	if (strcmp(cmd, "move") && smoothfs_uuid_from_string(argv[2], &uuid) < 0) {
		fprintf(stderr, "error: bad uuid %s\n", argv[2]);
		return 2;
	}
	if (argc > 3 && strcmp(cmd, "move") && strcmp(cmd, "tier-down") && strcmp(cmd, "reprobe") &&
	    smoothfs_oid_from_hex(argv[3], &oid) < 0) {
		fprintf(stderr, "error: bad oid %s\n", argv[3]);
		return 2;
	}

	if (!strcmp(cmd, "plan") && (argc == 6 || argc == 7))
		r = smoothfs_move_plan_force(c, &uuid, &oid, num(argv[4]), num(argv[5]),
					     argc == 7 && !strcmp(argv[6], "force"));
	else if (!strcmp(cmd, "cutover") && (argc == 5 || argc == 6))
		r = cutover(c, &uuid, &oid, num(argv[4]), argc == 6 ? argv[5] : NULL);
	else if (!strcmp(cmd, "abort") && argc == 5)
		r = smoothfs_move_abort(c, &uuid, &oid, num(argv[4]));
	else if (!strcmp(cmd, "revoke") && argc == 4)
		r = smoothfs_revoke_mappings(c, &uuid, &oid);
	else if (!strcmp(cmd, "quiesce") && argc == 3)
		r = smoothfs_quiesce(c, &uuid);
	else if (!strcmp(cmd, "reconcile") && argc == 3)
		r = smoothfs_reconcile(c, &uuid, "vm test");
	else if (!strcmp(cmd, "tier-down") && argc == 4)
		r = smoothfs_tier_down(c, &uuid, num(argv[3]));
	else if (!strcmp(cmd, "reprobe") && argc == 4)
		r = smoothfs_reprobe(c, &uuid, num(argv[3]));
	else if (!strcmp(cmd, "move") && argc >= 5 && move_flags(argc - 5, argv + 5) >= 0)
		r = smoothfs_move_path(c, argv[2], num(argv[3]), num(argv[4]),
				       move_flags(argc - 5, argv + 5));
	else {
		fprintf(stderr, "usage: see the head of move-tool.c\n");
		r = -EINVAL;
	}
	if (r < 0)
		r = fail(c, r);
	smoothfs_client_close(c);
	return r;
}
