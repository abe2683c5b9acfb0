// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress: concurrent namespace and data traffic on a smoothfs mount, with
 * an exact record of what every file must contain, for tests/vm/t/stress.t.
 *
 *   stress run MNT SECONDS WORKERS RENAME MANIFEST_DIR
 *       WORKERS processes for SECONDS: create, append, overwrite (truncate
 *       and rewrite, or rewrite in place), read back, rename (RENAME=1;
 *       within and across the shared directories), unlink, and mkdir and
 *       rmdir of the shared directories MNT/s0..s7 (EEXIST, ENOTEMPTY,
 *       ENOENT from the races are expected).  File names are unique per
 *       worker (w<id>-<n>), so only directories are shared.  Each worker
 *       writes its manifest to MANIFEST_DIR/w<id>: one line per file,
 *       "RELPATH ID KEY GEN LEN".  A file's content is a function of
 *       (worker, key, generation) and the offset, so LEN and GEN say all.
 *
 *   stress verify MNT MANIFEST_DIR TIER...
 *       every manifest file exists through MNT with exactly its content;
 *       no other regular file exists in MNT; st_ino is unique; every file
 *       is on exactly one tier, with the same content there; no file on a
 *       tier is missing from MNT (and from the manifests).
 *
 * Exit status 0 when all is well; 1 with one line per problem otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NDIRS 8
#define MAXFILES 48
#define MAXLEN (256 * 1024)
#define MAXPROBLEMS 50

static const char *mnt;
static char buf[MAXLEN], rbuf[MAXLEN + 1];

/* --- content ---------------------------------------------------------- */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Bytes [off, off+len) of the content of (id, key, gen) into out. */
static void content(char *out, int id, long key, unsigned int gen, long off, long len)
{
	uint64_t seed = splitmix(((uint64_t)id << 48) ^ ((uint64_t)key << 16) ^ gen);
	long i;

	for (i = 0; i < len; i++) {
		long pos = off + i;
		uint64_t w = splitmix(seed + (uint64_t)(pos / 8));

		out[i] = (char)(w >> (8 * (pos % 8)));
	}
}

/* --- workers ------------------------------------------------------------ */

struct wfile {
	int dir;
	long name;	/* w<id>-<name> */
	long key;	/* content key, kept across renames */
	unsigned int gen;
	long len;
};

struct worker {
	int id;
	unsigned int rename;
	uint64_t rng;
	long next_name;
	int n;
	struct wfile f[MAXFILES];
	long ops[10];
};

enum { OP_CREATE, OP_APPEND, OP_TRUNC, OP_INPLACE, OP_READ, OP_RENAME, OP_UNLINK,
	OP_MKDIR, OP_RMDIR, OP_NR };
static const char *const op_names[OP_NR] = {
	"create", "append", "truncate+rewrite", "rewrite-in-place", "read",
	"rename", "unlink", "mkdir", "rmdir",
};

static unsigned int rnd(struct worker *w, unsigned int n)
{
	w->rng = splitmix(w->rng);
	return (unsigned int)(w->rng >> 33) % n;
}

static void dpath(char *p, size_t sz, int dir)
{
	snprintf(p, sz, "%s/s%d", mnt, dir);
}

static void fpath(char *p, size_t sz, int id, int dir, long name)
{
	snprintf(p, sz, "%s/s%d/w%d-%ld", mnt, dir, id, name);
}

/* One write per message, so that the workers' lines do not interleave. */
#define fail(w, fmt, ...) do { \
	char msg_[8192]; \
	int len_ = snprintf(msg_, sizeof(msg_), "worker %d: " fmt "\n", (w)->id, __VA_ARGS__); \
	if (write(2, msg_, len_ < (int)sizeof(msg_) ? len_ : (int)sizeof(msg_) - 1) < 0) \
		exit(3); \
	exit(1); \
} while (0)

/* Write len bytes of gen's content at off; on ENOSPC return the bytes written. */
static long write_content(struct worker *w, int fd, struct wfile *f, unsigned int gen,
			  long off, long len, const char *p)
{
	long done = 0;

	content(buf, w->id, f->key, gen, off, len);
	while (done < len) {
		ssize_t r = pwrite(fd, buf + done, len - done, off + done);

		if (r < 0 && errno == ENOSPC)
			break;
		if (r < 0)
			fail(w, "write %s: %s", p, strerror(errno));
		if (r == 0)
			fail(w, "write %s: %s", p, "wrote nothing");
		done += r;
	}
	return done;
}

static long file_size(struct worker *w, int fd, const char *p)
{
	struct stat st;

	if (fstat(fd, &st))
		fail(w, "fstat %s: %s", p, strerror(errno));
	return st.st_size;
}

static void op_create(struct worker *w)
{
	struct wfile *f = &w->f[w->n];
	char p[4096];
	int fd = -1, tries;

	f->dir = rnd(w, NDIRS);
	f->name = w->next_name++;
	f->key = f->name;
	f->gen = 0;
	fpath(p, sizeof(p), w->id, f->dir, f->name);
	for (tries = 0; tries < 20 && fd < 0; tries++) {
		char d[4096];

		dpath(d, sizeof(d), f->dir);
		if (mkdir(d, 0755) && errno != EEXIST)
			fail(w, "mkdir %s: %s", d, strerror(errno));
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 && errno != ENOENT)	/* ENOENT: the directory went */
			fail(w, "create %s: %s", p, strerror(errno));
	}
	if (fd < 0)
		fail(w, "create %s: %s", p, "the directory kept vanishing");
	w->n++;
	f->len = write_content(w, fd, f, 0, 0, rnd(w, 64 * 1024), p);
	if (close(fd))
		fail(w, "close %s: %s", p, strerror(errno));
}

static int open_own(struct worker *w, struct wfile *f, int flags, char *p, size_t sz)
{
	int fd;

	fpath(p, sz, w->id, f->dir, f->name);
	fd = open(p, flags);
	if (fd < 0)
		fail(w, "open %s: %s", p, strerror(errno));
	return fd;
}

static void op_write(struct worker *w, struct wfile *f, int op)
{
	char p[4096];
	long len, done;
	int fd;

	fd = open_own(w, f, O_WRONLY, p, sizeof(p));
	switch (op) {
	case OP_APPEND:
		len = 1 + rnd(w, 32 * 1024);
		if (f->len + len > MAXLEN)
			len = MAXLEN - f->len;
		done = write_content(w, fd, f, f->gen, f->len, len, p);
		if (done < len)		/* ENOSPC: what landed is still right */
			f->len = file_size(w, fd, p);
		else
			f->len += len;
		break;
	case OP_TRUNC:
		if (ftruncate(fd, 0))
			fail(w, "truncate %s: %s", p, strerror(errno));
		f->gen++;
		len = rnd(w, 128 * 1024);
		done = write_content(w, fd, f, f->gen, 0, len, p);
		f->len = done < len ? file_size(w, fd, p) : len;
		break;
	default:	/* in place: the blocks exist, no ENOSPC expected */
		done = write_content(w, fd, f, f->gen + 1, 0, f->len, p);
		if (done < f->len)
			fail(w, "rewrite in place %s: %s", p, "ENOSPC");
		f->gen++;
		break;
	}
	if (close(fd))
		fail(w, "close %s: %s", p, strerror(errno));
}

/* Compare a file with its expected content; NULL when equal. */
static const char *check_content(int fd, int id, const struct wfile *f)
{
	static char why[128];
	long got = 0;
	ssize_t r;

	while ((r = read(fd, rbuf + got, sizeof(rbuf) - got)) > 0)
		got += r;
	if (r < 0) {
		snprintf(why, sizeof(why), "read: %s", strerror(errno));
		return why;
	}
	if (got != f->len) {
		snprintf(why, sizeof(why), "%ld bytes, expected %ld", got, f->len);
		return why;
	}
	content(buf, id, f->key, f->gen, 0, f->len);
	if (memcmp(buf, rbuf, f->len)) {
		snprintf(why, sizeof(why), "content differs (generation %u)", f->gen);
		return why;
	}
	return NULL;
}

static void op_read(struct worker *w, struct wfile *f)
{
	char p[4096];
	const char *why;
	int fd = open_own(w, f, O_RDONLY, p, sizeof(p));

	why = check_content(fd, w->id, f);
	if (why)
		fail(w, "read back %s: %s", p, why);
	close(fd);
}

static void op_rename(struct worker *w, struct wfile *f)
{
	char from[4096], to[4096], d[4096];
	int dir = rnd(w, 3) ? (int)rnd(w, NDIRS) : f->dir, tries;
	long name = w->next_name++;

	fpath(from, sizeof(from), w->id, f->dir, f->name);
	fpath(to, sizeof(to), w->id, dir, name);
	for (tries = 0; tries < 20; tries++) {
		dpath(d, sizeof(d), dir);
		if (mkdir(d, 0755) && errno != EEXIST)
			fail(w, "mkdir %s: %s", d, strerror(errno));
		if (rename(from, to) == 0) {
			f->dir = dir;
			f->name = name;
			return;
		}
		if (errno != ENOENT)
			fail(w, "rename %s %s: %s", from, to, strerror(errno));
		if (access(from, F_OK))
			fail(w, "rename %s %s: the source vanished", from, to);
	}
	fail(w, "rename %s %s: the directory kept vanishing", from, to);
}

static void op_unlink(struct worker *w, int i)
{
	char p[4096];

	fpath(p, sizeof(p), w->id, w->f[i].dir, w->f[i].name);
	if (unlink(p))
		fail(w, "unlink %s: %s", p, strerror(errno));
	w->f[i] = w->f[--w->n];
}

static void op_dir(struct worker *w, int op)
{
	char d[4096];

	dpath(d, sizeof(d), rnd(w, NDIRS));
	if (op == OP_MKDIR) {
		if (mkdir(d, 0755) && errno != EEXIST)
			fail(w, "mkdir %s: %s", d, strerror(errno));
	} else if (rmdir(d) && errno != ENOTEMPTY && errno != ENOENT && errno != EEXIST) {
		fail(w, "rmdir %s: %s", d, strerror(errno));
	}
}

static void worker_run(struct worker *w, time_t end, const char *mdir)
{
	static const int weight[OP_NR] = { 20, 15, 8, 7, 20, 10, 10, 5, 5 };
	char p[4096];
	FILE *m;
	int i;

	while (time(NULL) < end) {
		unsigned int x = rnd(w, 100);
		int op = 0;

		while (x >= (unsigned int)weight[op]) {
			x -= weight[op];
			op++;
		}
		if (op == OP_CREATE && w->n == MAXFILES)
			op = OP_UNLINK;
		if (op == OP_RENAME && !w->rename)
			op = OP_READ;
		if (w->n == 0 && op != OP_MKDIR && op != OP_RMDIR)
			op = OP_CREATE;
		i = w->n ? (int)rnd(w, w->n) : 0;
		switch (op) {
		case OP_CREATE: op_create(w); break;
		case OP_APPEND:
		case OP_TRUNC:
		case OP_INPLACE: op_write(w, &w->f[i], op); break;
		case OP_READ: op_read(w, &w->f[i]); break;
		case OP_RENAME: op_rename(w, &w->f[i]); break;
		case OP_UNLINK: op_unlink(w, i); break;
		default: op_dir(w, op); break;
		}
		w->ops[op]++;
	}

	snprintf(p, sizeof(p), "%s/w%d", mdir, w->id);
	m = fopen(p, "w");
	if (!m)
		fail(w, "manifest %s: %s", p, strerror(errno));
	for (i = 0; i < w->n; i++)
		fprintf(m, "s%d/w%d-%ld %d %ld %u %ld\n", w->f[i].dir, w->id, w->f[i].name,
			w->id, w->f[i].key, w->f[i].gen, w->f[i].len);
	if (fclose(m))
		fail(w, "manifest %s: %s", p, strerror(errno));
	printf("worker %d: %d files;", w->id, w->n);
	for (i = 0; i < OP_NR; i++)
		printf(" %s %ld", op_names[i], w->ops[i]);
	printf("\n");
}

static int cmd_run(char **argv)
{
	int seconds = atoi(argv[1]), workers = atoi(argv[2]), i, bad = 0, status;
	unsigned int rename_on = atoi(argv[3]);
	time_t end = time(NULL) + seconds;

	mnt = argv[0];
	if (seconds <= 0 || workers <= 0 || workers > 64)
		return 2;
	fflush(stdout);
	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			static struct worker w;

			w.id = i;
			w.rename = rename_on;
			w.rng = splitmix(0x5eed0000 + i);
			worker_run(&w, end, argv[4]);
			fflush(stdout);
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad = 1;
	return bad;
}

/* --- verification ------------------------------------------------------- */

struct mentry {
	char path[64];
	struct wfile f;
	int id;
	int seen_mnt;
	int tiers;
};

static struct mentry *ents;
static size_t nents;
static int problems;
static ino_t *inos;
static size_t ninos, cap_inos;
static int cur_tier;	/* -1: the mount */
static const char *walk_root;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
	va_list ap;

	if (++problems > MAXPROBLEMS)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int ment_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mentry *)a)->path, ((const struct mentry *)b)->path);
}

static int load_manifests(const char *mdir)
{
	char p[4096], line[256];
	int w;

	for (w = 0; w < 64; w++) {
		FILE *m;

		snprintf(p, sizeof(p), "%s/w%d", mdir, w);
		m = fopen(p, "r");
		if (!m)
			continue;
		while (fgets(line, sizeof(line), m)) {
			struct mentry *e;

			ents = realloc(ents, (nents + 1) * sizeof(*ents));
			if (!ents)
				return -1;
			e = &ents[nents];
			memset(e, 0, sizeof(*e));
			if (sscanf(line, "%63s %d %ld %u %ld", e->path, &e->id, &e->f.key,
				   &e->f.gen, &e->f.len) != 5) {
				problem("manifest %s: bad line %s", p, line);
				continue;
			}
			nents++;
		}
		fclose(m);
	}
	qsort(ents, nents, sizeof(*ents), ment_cmp);
	return 0;
}

static struct mentry *ment_find(const char *rel)
{
	struct mentry key;

	if (strlen(rel) >= sizeof(key.path))
		return NULL;
	strcpy(key.path, rel);
	return bsearch(&key, ents, nents, sizeof(*ents), ment_cmp);
}

static int walk(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *rel = path + strlen(walk_root);
	struct mentry *e;
	const char *why;
	int fd;

	while (*rel == '/')
		rel++;
	if (ftw->level == 1 && strcmp(rel, ".smoothfs") == 0)
		return cur_tier >= 0 ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
	if (type == FTW_D || type == FTW_DP)
		return FTW_CONTINUE;
	if (type != FTW_F) {
		problem("%s: not a regular file or directory (type %d)", path, type);
		return FTW_CONTINUE;
	}
	e = ment_find(rel);
	if (!e) {
		problem(cur_tier < 0 ? "%s: in the mount but in no manifest" :
			"%s: on a tier but in no manifest (so not expected in the mount)", path);
		return FTW_CONTINUE;
	}
	if (cur_tier < 0) {
		e->seen_mnt++;
		if (ninos == cap_inos) {
			cap_inos = cap_inos ? 2 * cap_inos : 1024;
			inos = realloc(inos, cap_inos * sizeof(*inos));
			if (!inos)
				return FTW_STOP;
		}
		inos[ninos++] = st->st_ino;
	} else {
		e->tiers++;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		problem("%s: open: %s", path, strerror(errno));
		return FTW_CONTINUE;
	}
	why = check_content(fd, e->id, &e->f);
	close(fd);
	if (why)
		problem("%s: %s", path, why);
	return FTW_CONTINUE;
}

static int ino_cmp(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_verify(int argc, char **argv)
{
	size_t i;
	int t;

	if (load_manifests(argv[1]))
		return 1;
	walk_root = argv[0];
	cur_tier = -1;
	if (nftw(walk_root, walk, 64, FTW_PHYS | FTW_ACTIONRETVAL))
		problem("walking %s: %s", walk_root, strerror(errno));
	for (t = 2; t < argc; t++) {
		walk_root = argv[t];
		cur_tier = t - 2;
		if (nftw(walk_root, walk, 64, FTW_PHYS | FTW_ACTIONRETVAL))
			problem("walking %s: %s", walk_root, strerror(errno));
	}
	for (i = 0; i < nents; i++) {
		if (ents[i].seen_mnt != 1)
			problem("%s: seen %d times in the mount", ents[i].path, ents[i].seen_mnt);
		if (argc > 2 && ents[i].tiers != 1)
			problem("%s: on %d tiers", ents[i].path, ents[i].tiers);
	}
	qsort(inos, ninos, sizeof(*inos), ino_cmp);
	for (i = 1; i < ninos; i++)
		if (inos[i] == inos[i - 1])
			problem("st_ino %lu is shared by several files", (unsigned long)inos[i]);
	printf("verified %zu files, %d problems\n", nents, problems);
	return problems ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && strcmp(argv[1], "run") == 0)
		return cmd_run(argv + 2);
	if (argc >= 4 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 2, argv + 2);
	fprintf(stderr, "usage: stress run MNT SECONDS WORKERS RENAME MANIFEST_DIR\n"
		"       stress verify MNT MANIFEST_DIR [TIER...]\n");
	return 2;
}
