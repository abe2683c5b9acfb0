// SPDX-License-Identifier: GPL-2.0-only
/*
 * Metadata benchmark helper for bench/: times one phase over N files
 * named f0000000... in DIR and prints the elapsed seconds.
 *
 *   metabench create DIR N [SIZE [FIRST]]  create files (SIZE bytes each)
 *   metabench stat DIR N [FIRST]            lstat each file
 *   metabench unlink DIR N [FIRST]          unlink each file
 *   metabench readdir DIR EXPECT            getdents64 until the end; fails
 *                                           unless EXPECT entries (without
 *                                           . and ..) were returned
 *
 * Any failed system call fails the run: a benchmark that silently skips
 * files measures nothing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0)
		errx(2, "bad number: %s", s);
	return v;
}

static void name(char *buf, size_t len, const char *dir, long i)
{
	snprintf(buf, len, "%s/f%07ld", dir, i);
}

int main(int argc, char **argv)
{
	static char data[65536] __attribute__((aligned(8)));
	char path[4096];
	const char *op, *dir;
	long n, i, first = 0, size = 0;
	double t0, t1;

	if (argc < 4)
		errx(2, "usage: metabench create|stat|unlink|readdir DIR N [...]");
	op = argv[1];
	dir = argv[2];
	n = num(argv[3]);

	if (strcmp(op, "create") == 0) {
		if (argc > 4)
			size = num(argv[4]);
		if (argc > 5)
			first = num(argv[5]);
		if (size > (long)sizeof(data))
			errx(2, "size at most %zu", sizeof(data));
		memset(data, 'x', sizeof(data));
		t0 = now();
		for (i = first; i < first + n; i++) {
			int fd;

			name(path, sizeof(path), dir, i);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd < 0)
				err(1, "create %s", path);
			if (size && write(fd, data, size) != size)
				err(1, "write %s", path);
			if (close(fd))
				err(1, "close %s", path);
		}
		t1 = now();
	} else if (strcmp(op, "stat") == 0 || strcmp(op, "unlink") == 0) {
		int is_stat = op[0] == 's';

		if (argc > 4)
			first = num(argv[4]);
		t0 = now();
		for (i = first; i < first + n; i++) {
			struct stat st;

			name(path, sizeof(path), dir, i);
			if (is_stat ? lstat(path, &st) : unlink(path))
				err(1, "%s %s", op, path);
		}
		t1 = now();
	} else if (strcmp(op, "readdir") == 0) {
		long count = 0;
		int fd;

		t0 = now();
		fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			err(1, "open %s", dir);
		for (;;) {
			long got = syscall(SYS_getdents64, fd, data, sizeof(data));
			long off = 0;

			if (got < 0)
				err(1, "getdents64 %s", dir);
			if (got == 0)
				break;
			while (off < got) {
				struct dirent64 *d = (struct dirent64 *)(data + off);

				if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
					count++;
				off += d->d_reclen;
			}
		}
		close(fd);
		t1 = now();
		if (count != n)
			errx(1, "readdir %s: %ld entries, expected %ld", dir, count, n);
	} else {
		errx(2, "unknown operation %s", op);
	}
	printf("%.6f\n", t1 - t0);
	return 0;
}
