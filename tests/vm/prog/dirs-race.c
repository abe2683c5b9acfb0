// SPDX-License-Identifier: GPL-2.0-only
/*
 * dirs-race: directory races for tests/vm/t/dirs-race.t.
 *
 *   dirs-race opendir DIR SECONDS
 *	Three processes open and list DIR/d0..d7 (opendir + getdents) in a
 *	loop while three others mkdir, rmdir, rename one over another
 *	(empty target), exchange them and create and remove a file in
 *	them, for SECONDS.
 *
 *   dirs-race materialize DIR SECONDS NTREES FASTDIR
 *	DIR/rI/A for I < NTREES exist on a slow tier only, with x/y/z
 *	below; FASTDIR is DIR's place on the fastest tier.  SECONDS are
 *	cut into NTREES slots; in slot I two processes rename rI/A to rI/B
 *	and back until the chain has a copy on the fast tier, while two
 *	others create a file in rI/{A,B}/x/y/z, which makes smoothfs
 *	materialise the chain there.  The renames stop once it has been
 *	materialised, so a copy made under a stale name is not renamed
 *	again.  Prints the number of files created.
 *
 * Errors that the races make expected (ENOENT, EEXIST, ENOTEMPTY, EBUSY)
 * are ignored; any other makes the program fail (exit 1).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NDIRS 8

static const char *top, *fast;
static time_t deadline;
static struct timespec start;
static unsigned int slot_ms;

/* The slot we are in, or -1 once time is up. */
static int slot(unsigned int ntrees)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
	return ms / slot_ms < ntrees ? (int)(ms / slot_ms) : -1;
}

static int fast_copy(int i)
{
	char a[4096], b[4096];

	snprintf(a, sizeof(a), "%s/r%d/A/x/y/z", fast, i);
	snprintf(b, sizeof(b), "%s/r%d/B/x/y/z", fast, i);
	return !access(a, F_OK) || !access(b, F_OK);
}

static int expected(int err)
{
	return err == ENOENT || err == EEXIST || err == ENOTEMPTY || err == EBUSY ||
	       err == ENOTDIR || err == EISDIR;
}

static void fail(const char *what, const char *path)
{
	char msg[512];
	int n;

	n = snprintf(msg, sizeof(msg), "dirs-race: %s %s: %s\n", what, path, strerror(errno));
	if (write(2, msg, n) < 0)
		_exit(1);
	_exit(1);
}

static void dir_path(char *buf, size_t len, unsigned int i)
{
	snprintf(buf, len, "%s/d%u", top, i % NDIRS);
}

static void lister(unsigned int seed)
{
	char path[4096], buf[8192];
	unsigned long n = 0;

	while (time(NULL) < deadline) {
		long got;
		int fd;

		dir_path(path, sizeof(path), rand_r(&seed));
		fd = open(path, O_RDONLY | O_DIRECTORY);
		if (fd < 0) {
			if (expected(errno))
				continue;
			fail("open", path);
		}
		do {
			got = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		} while (got > 0);
		if (got < 0 && !expected(errno))
			fail("getdents64", path);
		close(fd);
		n++;
	}
	_exit(n ? 0 : 1);
}

static void mutator(unsigned int seed)
{
	char a[4096], b[4096], f[4200];

	while (time(NULL) < deadline) {
		unsigned int op = rand_r(&seed) % 6;
		int ret = 0;

		dir_path(a, sizeof(a), rand_r(&seed));
		dir_path(b, sizeof(b), rand_r(&seed));
		switch (op) {
		case 0:
		case 1:
			ret = mkdir(a, 0755);
			break;
		case 2:
			ret = rmdir(a);
			break;
		case 3:
			ret = rename(a, b);	/* over an empty directory */
			break;
		case 4:
			ret = syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
			break;
		case 5:
			snprintf(f, sizeof(f), "%s/f", a);
			ret = mknod(f, S_IFREG | 0644, 0);
			if (!ret)
				ret = unlink(f);
			break;
		}
		if (ret && !expected(errno) && !(errno == EINVAL && op >= 3))
			fail("mutate", a);
	}
	_exit(0);
}

static void renamer(unsigned int ntrees)
{
	char a[4096], b[4096];
	int i;

	while ((i = slot(ntrees)) >= 0) {
		if (fast_copy(i)) {
			usleep(2000);	/* wait for the next slot */
			continue;
		}
		snprintf(a, sizeof(a), "%s/r%d/A", top, i);
		snprintf(b, sizeof(b), "%s/r%d/B", top, i);
		if (rename(a, b) && !expected(errno))
			fail("rename", a);
		if (rename(b, a) && !expected(errno))
			fail("rename", b);
	}
	_exit(0);
}

static void creator(unsigned int ntrees, unsigned int id, int out)
{
	unsigned long made = 0;
	unsigned int k = 0;
	char path[4096];
	int i, done = -1;

	while ((i = slot(ntrees)) >= 0) {
		int fd;

		if (i == done) {
			usleep(2000);
			continue;
		}
		snprintf(path, sizeof(path), "%s/r%d/%c/x/y/z/f%u.%u", top, i,
			 (k & 1) ? 'B' : 'A', id, k);
		k++;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0) {
			if (expected(errno))
				continue;
			fail("create", path);
		}
		close(fd);
		made++;
		done = i;
	}
	if (write(out, &made, sizeof(made)) != sizeof(made))
		_exit(1);
	_exit(0);
}

static int wait_all(unsigned int n)
{
	int status, ret = 0;

	while (n--) {
		if (wait(&status) < 0)
			return 1;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc < 4) {
		fprintf(stderr, "usage: dirs-race opendir DIR SECONDS | materialize DIR SECONDS NTREES FASTDIR\n");
		return 2;
	}
	top = argv[2];
	deadline = time(NULL) + atoi(argv[3]);

	if (!strcmp(argv[1], "opendir")) {
		for (i = 0; i < 6; i++) {
			pid_t pid = fork();

			if (pid < 0)
				return 1;
			if (!pid) {
				if (i < 3)
					lister(i + 1);
				mutator(i + 1);
			}
		}
		return wait_all(6);
	}
	if (!strcmp(argv[1], "materialize") && argc == 6) {
		unsigned int ntrees = atoi(argv[4]);
		unsigned long total = 0, made;
		int fds[2], ret;

		fast = argv[5];
		if (!ntrees || pipe(fds))
			return 2;
		slot_ms = atoi(argv[3]) * 1000 / ntrees;
		if (!slot_ms)
			return 2;
		clock_gettime(CLOCK_MONOTONIC, &start);
		for (i = 0; i < 4; i++) {
			pid_t pid = fork();

			if (pid < 0)
				return 1;
			if (!pid) {
				close(fds[0]);
				if (i < 2)
					renamer(ntrees);
				creator(ntrees, i, fds[1]);
			}
		}
		close(fds[1]);
		ret = wait_all(4);
		while (read(fds[0], &made, sizeof(made)) == sizeof(made))
			total += made;
		printf("%lu\n", total);
		return ret;
	}
	fprintf(stderr, "dirs-race: unknown mode %s\n", argv[1]);
	return 2;
}
