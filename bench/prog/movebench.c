// SPDX-License-Identifier: GPL-2.0-only
/*
 * Movement benchmark helper for bench/ (bench/guest/move.sh).  Linked with
 * the library's objects, so it reaches the mover's internal steps too.
 *
 *   movebench move DEST SEQ PATH...     smoothfs_move_path() each PATH to
 *        tier DEST (transaction sequences SEQ, SEQ+1, ...), then Quiesce
 *        and Reconcile (the timed run ends with every move closed: old
 *        copies gone); prints seconds
 *   movebench move-dir DIR DEST SEQ [JOBS]  the same for every regular
 *        file in DIR (listed first, untimed), JOBS files at once (default
 *        1; each thread with its own client), Quiesce and Reconcile as
 *        above; prints "seconds files"
 *   movebench copy-dir SRCDIR DSTDIR [JOBS]  the baseline with the
 *        mover's copy code: each file copied (data, owner, mode, xattrs,
 *        times), then fsync of the file and of DSTDIR, JOBS files at once
 *        (default 1); prints "seconds files"
 *   movebench profile DIR DEST SEQ      the mover's steps one by one for
 *        every file in DIR, each step timed: prints the total seconds per
 *        step (list-pools plan inspect open copy-data metadata fsync-file
 *        fsync-dir cutover)
 *   movebench pause FILE TIER_A TIER_B N BS IDLE_MS SEQ
 *        a writer thread writes BS bytes at a time in place over the
 *        file's first MiB (through the mount, buffered), timing every
 *        write (CLOCK_MONOTONIC); the main thread alternates IDLE_MS of
 *        no moves with one move (to TIER_B, then back to TIER_A, ...), N
 *        moves, timing its cutover call.  Prints, in microseconds, the
 *        write latency p50/p99/max of writes outside any move, of writes
 *        during the copy, and of writes that overlap a cutover call, and
 *        the cutover calls' p50/max.
 *   movebench fgio read|write FILE SECS BS [MOVEFILE TIER_A TIER_B SEQ]
 *        O_DIRECT sequential BS-byte reads (or in-place writes) over FILE
 *        for SECS seconds; meanwhile, with MOVEFILE, a thread moves it
 *        back and forth (smoothfs_move_path, retried on ESTALE/EBUSY).
 *        Prints "MB/s moves_ok moves_failed".
 *
 * The pause test cuts over with MoveCutover, not ...VerifyWriteSeq: a
 * writer that never stops would fail every verified cutover with ESTALE
 * (as it must: it wrote after the copy).  The gate a writer meets is the
 * same either way (the inode lock, taken before the write_seq check), so
 * the latency is the one a writer sees at any cutover; the content of the
 * file is not the point here (the writer rewrites one MiB in place).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <smoothfs/smoothfs.h>

#include "internal.h"
#include "move.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s) {
		fprintf(stderr, "movebench: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static void client_freep(smoothfs_client **c)
{
	if (*c)
		smoothfs_client_close(*c);
}
#define _cleanup_client_ _cleanup_(client_freep)

static int die(smoothfs_client *c, const char *what, int r)
{
	fprintf(stderr, "movebench: %s: %s (%s)\n", what, strerror(-r),
		c ? smoothfs_client_last_error(c) : "");
	return 1;
}

/* The regular files of @dir, as full paths. */
static int list_dir(const char *dir, char ***ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_type != DT_REG)
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v));

			if (!nv)
				goto nomem;
			v = nv;
		}
		if (asprintf(&v[n], "%s/%s", dir, e->d_name) < 0)
			goto nomem;
		n++;
	}
	closedir(d);
	*ret = v;
	*ret_n = n;
	return 0;
nomem:
	closedir(d);
	while (n)
		free(v[--n]);
	free(v);
	return -ENOMEM;
}

static void free_list(char **v, size_t n)
{
	while (n)
		free(v[--n]);
	free(v);
}

/*
 * Work on a list of files by JOBS threads at once, each taking the next
 * file: the mover (each thread with its own client: a client is not
 * thread-safe) or the per-file copy baseline.
 */
struct batch {
	char *const *files;
	size_t n;
	atomic_size_t next;
	atomic_int failed;
	/* move: to tier @dest, file i with sequence @seq + i */
	uint8_t dest;
	uint64_t seq;
	/* copy: into directory @dst_fd */
	int dst_fd;
};

static void *move_worker(void *arg)
{
	struct batch *b = arg;
	_cleanup_client_ smoothfs_client *c = NULL;
	size_t i;
	int r;

	r = smoothfs_client_open(&c);
	if (r < 0) {
		die(NULL, "client", r);
		atomic_fetch_add(&b->failed, 1);
		return NULL;
	}
	while ((i = atomic_fetch_add(&b->next, 1)) < b->n && !atomic_load(&b->failed)) {
		r = smoothfs_move_path(c, b->files[i], b->dest, b->seq + i, 0);
		if (r < 0) {
			die(c, b->files[i], r);
			atomic_fetch_add(&b->failed, 1);
		}
	}
	return NULL;
}

static void *copy_worker(void *arg)
{
	struct batch *b = arg;
	size_t i;
	int r;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n && !atomic_load(&b->failed)) {
		_cleanup_close_ int src = open(b->files[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
					       O_NOATIME);

		r = src < 0 ? -errno : smoothfs__stage_file(src, b->dst_fd,
							    strrchr(b->files[i], '/') + 1);
		if (r < 0) {
			die(NULL, b->files[i], r);
			atomic_fetch_add(&b->failed, 1);
		}
	}
	return NULL;
}

/*
 * The kernel closes moves (removes the old copies) in batches after their
 * cutovers; a timed run ends once every move is closed, which Quiesce
 * waits for.  Reconcile lets moves start again.
 */
static int close_moves(const char *path)
{
	_cleanup_client_ smoothfs_client *c = NULL;
	_cleanup_close_ int fd = -1;
	smoothfs_uuid_t pool;
	smoothfs_oid_t oid;
	int r;

	r = smoothfs_client_open(&c);
	if (r < 0)
		return die(NULL, "client", r);
	fd = smoothfs__path_object(c, path, &pool, &oid);
	if (fd < 0)
		return die(c, path, fd);
	r = smoothfs_quiesce(c, &pool);
	if (r >= 0)
		r = smoothfs_reconcile(c, &pool, "movebench");
	return r < 0 ? die(c, "quiesce", r) : 0;
}

/* Runs @fn on @jobs threads over @b; 0 if every file went, 1 otherwise. */
static int run_batch(struct batch *b, void *(*fn)(void *), unsigned int jobs)
{
	pthread_t t[64];
	unsigned int k, started = 0;

	if (jobs < 1 || jobs > 64) {
		fprintf(stderr, "movebench: JOBS must be 1..64\n");
		return 2;
	}
	for (k = 0; k < jobs; k++) {
		if (pthread_create(&t[k], NULL, fn, b) != 0) {
			atomic_fetch_add(&b->failed, 1);
			break;
		}
		started++;
	}
	for (k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	return atomic_load(&b->failed) ? 1 : 0;
}

static int cmd_move(int argc, char **argv)
{
	struct batch b = { 0 };
	double t0 = now();
	int rc;

	if (argc < 3)
		return 2;
	b.files = argv + 2;
	b.n = (size_t)argc - 2;
	b.dest = (uint8_t)num(argv[0]);
	b.seq = num(argv[1]);
	rc = run_batch(&b, move_worker, 1);
	if (!rc)
		rc = close_moves(b.files[b.n - 1]);
	if (!rc)
		printf("%.6f\n", now() - t0);
	return rc;
}

static int cmd_move_dir(int argc, char **argv)
{
	struct batch b = { 0 };
	char **files = NULL;
	size_t n = 0;
	double t0;
	int r, rc;

	if (argc != 3 && argc != 4)
		return 2;
	r = list_dir(argv[0], &files, &n);
	if (r < 0)
		return die(NULL, argv[0], r);
	b.files = files;
	b.n = n;
	b.dest = (uint8_t)num(argv[1]);
	b.seq = num(argv[2]);
	t0 = now();
	rc = run_batch(&b, move_worker, argc == 4 ? (unsigned int)num(argv[3]) : 1);
	if (!rc && n)
		rc = close_moves(files[n - 1]);
	if (!rc)
		printf("%.6f %zu\n", now() - t0, n);
	free_list(files, n);
	return rc;
}

/*
 * The baseline with the mover's own copy code and per-file durability:
 * each file of SRCDIR into DSTDIR (data, owner, mode, xattrs, times), its
 * fsync and the directory's fsync, as the mover does it, but without the
 * protocol (no plan, no cutover); JOBS files at once.
 */
static int cmd_copy_dir(int argc, char **argv)
{
	_cleanup_close_ int dst = -1;
	struct batch b = { 0 };
	char **files = NULL;
	size_t n = 0;
	double t0;
	int r, rc;

	if (argc != 2 && argc != 3)
		return 2;
	dst = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst < 0)
		return die(NULL, argv[1], -errno);
	r = list_dir(argv[0], &files, &n);
	if (r < 0)
		return die(NULL, argv[0], r);
	b.files = files;
	b.n = n;
	b.dst_fd = dst;
	t0 = now();
	rc = run_batch(&b, copy_worker, argc == 3 ? (unsigned int)num(argv[2]) : 1);
	if (!rc)
		printf("%.6f %zu\n", now() - t0, n);
	free_list(files, n);
	return rc;
}

/* --- the mover's steps, one by one ---------------------------------------- */

struct target {
	smoothfs_uuid_t pool;
	smoothfs_oid_t oid;
};

enum step { S_LIST, S_PLAN, S_INSPECT, S_OPEN, S_DATA, S_META, S_FSYNC, S_FSYNC_DIR,
	    S_CUTOVER, S_N };
static const char *const step_names[S_N] = {
	"list-pools", "plan", "inspect", "open", "copy-data", "metadata", "fsync-file",
	"fsync-dir", "cutover",
};

/*
 * smoothfs_move_file()'s steps with a clock around each (@t accumulates
 * seconds per step).  @verify: MoveCutoverVerifyWriteSeq; the cutover
 * call alone is also returned in @cut (start, end; ns).
 */
static int move_steps(smoothfs_client *c, const struct target *t, uint8_t dest, uint64_t seq,
		      bool verify, double t_acc[S_N], int64_t cut[2])
{
	struct smoothfs_inspect_result ins = { 0 };
	_cleanup_free_ char *root = NULL;
	_cleanup_close_ int src = -1, dir = -1, dst = -1;
	char name[SMOOTHFS_OID_HEX_MAX];
	double t0 = now(), t1;
	int r;

#define LAP(s) do { t1 = now(); t_acc[s] += t1 - t0; t0 = t1; } while (0)
	r = smoothfs__find_tier_root(c, &t->pool, dest, &root);
	if (r < 0)
		return r;
	LAP(S_LIST);
	r = smoothfs_move_plan(c, &t->pool, &t->oid, dest, seq);
	if (r < 0)
		return r;
	LAP(S_PLAN);
	r = smoothfs_inspect(c, &t->pool, &t->oid, &ins);
	if (r < 0)
		goto abort;
	LAP(S_INSPECT);
	smoothfs_oid_to_hex(&t->oid, name);
	src = smoothfs__open_source(c, &ins, &t->oid);
	dir = smoothfs__open_stage_dir(c, root);
	dst = dir < 0 ? -1 : openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	r = src < 0 || dir < 0 || dst < 0 ? -EIO : 0;
	if (r < 0)
		goto abort;
	LAP(S_OPEN);
	r = smoothfs__copy_data(src, dst, false);
	if (r < 0)
		goto abort;
	LAP(S_DATA);
	r = smoothfs__copy_metadata(src, dst);
	if (r < 0)
		goto abort;
	LAP(S_META);
	r = fsync(dst) < 0 ? -errno : 0;
	if (r < 0)
		goto abort;
	LAP(S_FSYNC);
	r = fsync(dir) < 0 ? -errno : 0;
	if (r < 0)
		goto abort;
	LAP(S_FSYNC_DIR);
	cut[0] = now_ns();
	r = verify && ins.has_write_seq ?
		smoothfs_move_cutover_verify_write_seq(c, &t->pool, &t->oid, seq, ins.write_seq) :
		smoothfs_move_cutover(c, &t->pool, &t->oid, seq);
	cut[1] = now_ns();
	if (r < 0)
		goto abort;
	LAP(S_CUTOVER);
#undef LAP
	smoothfs_inspect_result_clear(&ins);
	return 0;
abort:
	smoothfs_inspect_result_clear(&ins);
	if (dir >= 0)
		unlinkat(dir, name, 0);
	smoothfs_move_abort(c, &t->pool, &t->oid, seq);
	return r;
}

static int cmd_profile(int argc, char **argv)
{
	_cleanup_client_ smoothfs_client *c = NULL;
	double acc[S_N] = { 0 }, t0, total;
	char **files = NULL;
	size_t n = 0, i;
	int64_t cut[2];
	uint8_t dest;
	uint64_t seq;
	int r, rc = 0, s;

	if (argc != 3)
		return 2;
	dest = (uint8_t)num(argv[1]);
	seq = num(argv[2]);
	r = smoothfs_client_open(&c);
	if (r < 0)
		return die(NULL, "client", r);
	r = list_dir(argv[0], &files, &n);
	if (r < 0)
		return die(NULL, argv[0], r);
	t0 = now();
	for (i = 0; i < n && !rc; i++) {
		struct target t;
		/* The descriptor keeps the inode cached, as smoothfs_move_path() does. */
		int fd = smoothfs__path_object(c, files[i], &t.pool, &t.oid);

		r = fd < 0 ? fd : move_steps(c, &t, dest, seq++, true, acc, cut);
		if (fd >= 0)
			close(fd);
		if (r < 0)
			rc = die(c, files[i], r);
	}
	total = now() - t0;
	free_list(files, n);
	if (rc)
		return rc;
	printf("files %zu total %.6f", n, total);
	for (s = 0; s < S_N; s++)
		printf(" %s %.6f", step_names[s], acc[s]);
	printf("\n");
	return 0;
}

/* --- the writer's pause at cutover ----------------------------------------- */

struct wsample {
	int64_t start, end;
};

struct writer {
	int fd;
	size_t bs;
	atomic_bool stop;
	struct wsample *s;
	size_t n, cap;
	int err;
};

static void *writer_main(void *p)
{
	struct writer *w = p;
	_cleanup_free_ char *buf = malloc(w->bs);
	off_t span = (1 << 20) / (off_t)w->bs * (off_t)w->bs, off = 0;

	if (!buf) {
		w->err = ENOMEM;
		return NULL;
	}
	memset(buf, 'w', w->bs);
	while (!atomic_load(&w->stop)) {
		int64_t a = now_ns();
		ssize_t k = pwrite(w->fd, buf, w->bs, off);
		int64_t b = now_ns();

		if (k != (ssize_t)w->bs) {
			w->err = k < 0 ? errno : EIO;
			return NULL;
		}
		if (w->n == w->cap) {
			struct wsample *ns = realloc(w->s, (w->cap = w->cap ? 2 * w->cap : 65536) *
						     sizeof(*ns));

			if (!ns) {
				w->err = ENOMEM;
				return NULL;
			}
			w->s = ns;
		}
		w->s[w->n++] = (struct wsample){ a, b };
		off = (off + (off_t)w->bs) % span;
	}
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void print_dist(const char *what, int64_t *v, size_t n)
{
	if (!n) {
		printf("%s n 0\n", what);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_i64);
	printf("%s n %zu p50 %.1f p99 %.1f max %.1f\n", what, n, v[n / 2] / 1e3,
	       v[(size_t)((double)(n - 1) * 0.99)] / 1e3, v[n - 1] / 1e3);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmd_pause(int argc, char **argv)
{
	_cleanup_client_ smoothfs_client *c = NULL;
	_cleanup_free_ int64_t *win = NULL, *idle = NULL, *copy = NULL, *cutl = NULL;
	_cleanup_free_ int64_t *cuts = NULL;	/* per move: copy start, cut start, cut end */
	_cleanup_free_ int64_t *stall = NULL, *istall = NULL;
	struct writer w = { .fd = -1 };
	double acc[S_N] = { 0 };
	size_t nmoves, i, j, ni = 0, nc = 0, nw = 0;
	struct target t;
	uint8_t tier[2];
	unsigned int idle_ms;
	uint64_t seq;
	pthread_t th;
	int r, rc = 0;

	if (argc != 7)
		return 2;
	tier[0] = (uint8_t)num(argv[1]);
	tier[1] = (uint8_t)num(argv[2]);
	nmoves = num(argv[3]);
	w.bs = num(argv[4]);
	idle_ms = (unsigned int)num(argv[5]);
	seq = num(argv[6]);
	if (!w.bs || w.bs > (1 << 20) || !nmoves)
		return 2;
	cuts = calloc(nmoves * 3, sizeof(*cuts));
	cutl = calloc(nmoves, sizeof(*cutl));
	if (!cuts || !cutl)
		return die(NULL, "memory", -ENOMEM);
	r = smoothfs_client_open(&c);
	if (r < 0)
		return die(NULL, "client", r);
	r = smoothfs__path_object(c, argv[0], &t.pool, &t.oid);
	if (r < 0)
		return die(c, argv[0], r);
	close(r);	/* the writer's descriptor keeps the inode cached */
	w.fd = open(argv[0], O_WRONLY | O_CLOEXEC);
	if (w.fd < 0)
		return die(NULL, argv[0], -errno);
	r = pthread_create(&th, NULL, writer_main, &w);
	if (r)
		return die(NULL, "thread", -r);
	for (i = 0; i < nmoves; i++) {
		int64_t cut[2];

		sleep_ms(idle_ms);
		cuts[3 * i] = now_ns();
		r = move_steps(c, &t, tier[(i + 1) % 2], seq++, false, acc, cut);
		if (r < 0) {
			rc = die(c, "move", r);
			break;
		}
		cuts[3 * i + 1] = cut[0];
		cuts[3 * i + 2] = cut[1];
		cutl[i] = cut[1] - cut[0];
	}
	sleep_ms(idle_ms);
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	close(w.fd);
	if (w.err)
		rc = die(NULL, "writer", -w.err);
	if (rc) {
		free(w.s);
		return rc;
	}
	nmoves = i;

	/*
	 * A write is "in a cutover" when it overlaps a cutover call, "in a
	 * copy" when it overlaps the rest of a move, "idle" otherwise.
	 */
	win = calloc(w.n, sizeof(*win));
	idle = calloc(w.n, sizeof(*idle));
	copy = calloc(w.n, sizeof(*copy));
	if (w.n && (!win || !idle || !copy)) {
		free(w.s);
		return die(NULL, "memory", -ENOMEM);
	}
	for (i = 0, j = 0; i < w.n; i++) {
		struct wsample *s = &w.s[i];
		int64_t lat = s->end - s->start;

		while (j < nmoves && cuts[3 * j + 2] < s->start)
			j++;
		if (j < nmoves && s->end >= cuts[3 * j + 1] && s->start <= cuts[3 * j + 2])
			win[nw++] = lat;
		else if (j < nmoves && s->end >= cuts[3 * j])
			copy[nc++] = lat;
		else
			idle[ni++] = lat;
	}
	/*
	 * The stall per move: the longest write overlapping its cutover
	 * call, against the longest write in an idle window of the same
	 * length just before the move began.
	 */
	stall = calloc(nmoves + 1, sizeof(*stall));
	istall = calloc(nmoves + 1, sizeof(*istall));
	if (!stall || !istall) {
		free(w.s);
		return die(NULL, "memory", -ENOMEM);
	}
	for (j = 0; j < nmoves; j++) {
		int64_t a = cuts[3 * j + 1], b = cuts[3 * j + 2], ia = cuts[3 * j] - (b - a);

		for (i = 0; i < w.n; i++) {
			struct wsample *s = &w.s[i];
			int64_t lat = s->end - s->start;

			if (s->end >= a && s->start <= b && lat > stall[j])
				stall[j] = lat;
			if (s->start >= ia && s->end < cuts[3 * j] && lat > istall[j])
				istall[j] = lat;
		}
	}
	printf("writes %zu moves %zu bs %zu\n", w.n, nmoves, w.bs);
	print_dist("idle", idle, ni);
	print_dist("copy", copy, nc);
	print_dist("cutover", win, nw);
	print_dist("cutover-call", cutl, nmoves);
	print_dist("stall", stall, nmoves);
	print_dist("idle-stall", istall, nmoves);
	free(w.s);
	return 0;
}

/* --- foreground I/O next to a mover ---------------------------------------- */

struct mover {
	smoothfs_client *c;
	const char *path;
	uint8_t tier[2];
	uint64_t seq;
	atomic_bool stop;
	unsigned long ok, failed;
	int err;
};

static void *mover_main(void *p)
{
	struct mover *m = p;
	int k = 1;

	while (!atomic_load(&m->stop)) {
		int r = smoothfs_move_path(m->c, m->path, m->tier[k], m->seq++, 0);

		if (r == 0) {
			m->ok++;
			k ^= 1;
		} else if (r == -ESTALE || r == -EBUSY) {
			m->failed++;
		} else {
			fprintf(stderr, "movebench: mover: %s (%s)\n", strerror(-r),
				smoothfs_client_last_error(m->c));
			m->err = -r;
			return NULL;
		}
	}
	return NULL;
}

static int cmd_fgio(int argc, char **argv)
{
	_cleanup_client_ smoothfs_client *c = NULL;
	_cleanup_close_ int fd = -1;
	struct mover m = { 0 };
	bool writing, moving = argc == 8;
	double secs, t0, t;
	size_t bs;
	uint64_t bytes = 0;
	off_t size, off = 0;
	struct stat st;
	void *buf;
	pthread_t th;
	int r;

	if (argc != 4 && argc != 8)
		return 2;
	writing = !strcmp(argv[0], "write");
	if (!writing && strcmp(argv[0], "read"))
		return 2;
	secs = (double)num(argv[2]);
	bs = num(argv[3]);
	fd = open(argv[1], (writing ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return die(NULL, argv[1], -errno);
	size = st.st_size / (off_t)bs * (off_t)bs;
	if (!bs || size == 0)
		return 2;
	if (posix_memalign(&buf, 4096, bs))
		return die(NULL, "memory", -ENOMEM);
	memset(buf, 'f', bs);
	if (moving) {
		r = smoothfs_client_open(&c);
		if (r < 0) {
			free(buf);
			return die(NULL, "client", r);
		}
		m.c = c;
		m.path = argv[4];
		m.tier[0] = (uint8_t)num(argv[5]);
		m.tier[1] = (uint8_t)num(argv[6]);
		m.seq = num(argv[7]);
		r = pthread_create(&th, NULL, mover_main, &m);
		if (r) {
			free(buf);
			return die(NULL, "thread", -r);
		}
	}
	t0 = now();
	do {
		ssize_t k = writing ? pwrite(fd, buf, bs, off) : pread(fd, buf, bs, off);

		if (k < 0) {
			r = -errno;
			break;
		}
		r = 0;
		bytes += (uint64_t)k;
		off = (off + (off_t)bs) % size;
	} while ((t = now() - t0) < secs);
	t = now() - t0;
	if (moving) {
		atomic_store(&m.stop, true);
		pthread_join(th, NULL);
	}
	free(buf);
	if (r < 0)
		return die(NULL, argv[1], r);
	if (m.err)
		return die(NULL, "mover", -m.err);
	printf("%.2f %lu %lu\n", (double)bytes / t / 1e6, m.ok, m.failed);
	return 0;
}

int main(int argc, char **argv)
{
	int r = 2;

	if (argc >= 2 && !strcmp(argv[1], "move"))
		r = cmd_move(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "move-dir"))
		r = cmd_move_dir(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "copy-dir"))
		r = cmd_copy_dir(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "profile"))
		r = cmd_profile(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "pause"))
		r = cmd_pause(argc - 2, argv + 2);
	else if (argc >= 2 && !strcmp(argv[1], "fgio"))
		r = cmd_fgio(argc - 2, argv + 2);
	if (r == 2)
		fprintf(stderr, "usage: see bench/prog/movebench.c\n");
	return r;
}
