// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zipfread: a read workload with Zipf popularity over files DIR/f0000 ..,
 * for the end-to-end policy benchmark (bench/guest/tiering.sh).
 *
 *   zipfread DIR NFILES ALPHA SEED SECONDS
 *	reads whole files for SECONDS with O_DIRECT (every read reaches a
 *	tier's disk), choosing by Zipf(ALPHA) over a popularity order that
 *	SEED shuffles (another seed moves the hot set); before each read it
 *	asks the file's tier (trusted.smoothfs.tier) and prints, at the end,
 *	"reads N bytes T0 T1 T2": the bytes each tier served.
 *   zipfread --optimal NFILES ALPHA K
 *	prints the share of reads the K most popular files take: what a
 *	fast tier holding K of the files serves at best.
 *   zipfread --placement DIR NFILES
 *	prints "files T0 T1 T2": how many of the files each tier holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MAX_TIERS 3
#define CHUNK (1 << 20)

static double *zipf_cdf(unsigned int n, double alpha)
{
	double *cdf = malloc(n * sizeof(*cdf)), sum = 0;

	if (!cdf)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		sum += cdf[i] = 1.0 / pow(i + 1, alpha);
	for (unsigned int i = 0; i < n; i++)
		cdf[i] = (i ? cdf[i - 1] : 0) + cdf[i] / sum;
	cdf[n - 1] = 1.0;	/* no rounding gap at the top */
	return cdf;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned int zipf_rank(const double *cdf, unsigned int n, uint64_t *s)
{
	double u = (xorshift(s) >> 11) * 0x1.0p-53;
	unsigned int lo = 0, hi = n - 1;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads PATH whole with O_DIRECT; returns the bytes read or -errno. */
static long long read_whole(const char *path, void *buf)
{
	long long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, CHUNK)) > 0)
		total += n;
	if (n < 0)
		total = -errno;
	close(fd);
	return total;
}

static int parse_uint(const char *s, unsigned int min, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > 1000000)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_alpha(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return end != s && !*end && *out > 0 && *out < 10 ? 0 : -EINVAL;
}

/* The tier of PATH (trusted.smoothfs.tier, one byte), or -errno. */
static int tier_of(const char *path)
{
	unsigned char tier;
	ssize_t n = getxattr(path, "trusted.smoothfs.tier", &tier, 1);

	if (n < 0)
		return -errno;
	return n == 1 && tier < MAX_TIERS ? tier : -ERANGE;
}

/* The tier of DIR/fNNNN, its path left in PATH; -1 after saying why. */
static int file_tier(const char *dir, unsigned int f, char *path, size_t size)
{
	int tier;

	snprintf(path, size, "%s/f%04u", dir, f);
	tier = tier_of(path);
	if (tier < 0) {
		fprintf(stderr, "zipfread: %s: no tier: %s\n", path, strerror(-tier));
		return -1;
	}
	return tier;
}

static int placement(int argc, char **argv)
{
	unsigned int n, files[MAX_TIERS] = { 0 };
	char path[4096];

	if (argc != 4 || parse_uint(argv[3], 1, &n)) {
		fprintf(stderr, "usage: zipfread --placement DIR NFILES\n");
		return 2;
	}
	for (unsigned int f = 0; f < n; f++) {
		int tier = file_tier(argv[2], f, path, sizeof(path));

		if (tier < 0)
			return 1;
		files[tier]++;
	}
	printf("files %u %u %u\n", files[0], files[1], files[2]);
	return 0;
}

static int optimal(int argc, char **argv)
{
	unsigned int n, k;
	double alpha, *cdf;

	if (argc != 5 || parse_uint(argv[2], 1, &n) || parse_alpha(argv[3], &alpha) ||
	    parse_uint(argv[4], 0, &k) || k > n) {
		fprintf(stderr, "usage: zipfread --optimal NFILES ALPHA K (K <= NFILES)\n");
		return 2;
	}
	cdf = zipf_cdf(n, alpha);
	if (!cdf)
		return 1;
	printf("%.4f\n", k ? cdf[k - 1] : 0.0);
	free(cdf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int n, seed, secs, *perm;
	unsigned long long reads = 0, bytes[MAX_TIERS] = { 0 };
	double alpha, *cdf, end;
	uint64_t rng;
	void *buf;
	char path[4096];

	if (argc > 1 && !strcmp(argv[1], "--optimal"))
		return optimal(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "--placement"))
		return placement(argc, argv);
	if (argc != 6 || parse_uint(argv[2], 1, &n) || parse_alpha(argv[3], &alpha) ||
	    parse_uint(argv[4], 1, &seed) || parse_uint(argv[5], 1, &secs)) {
		fprintf(stderr, "usage: zipfread DIR NFILES ALPHA SEED SECONDS\n");
		return 2;
	}
	cdf = zipf_cdf(n, alpha);
	perm = malloc(n * sizeof(*perm));
	if (!cdf || !perm || posix_memalign(&buf, 4096, CHUNK)) {
		fprintf(stderr, "zipfread: out of memory\n");
		return 1;
	}
	/* The popularity order: rank r is file perm[r]. */
	rng = 0x9e3779b97f4a7c15ULL * seed;
	for (unsigned int i = 0; i < n; i++)
		perm[i] = i;
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = xorshift(&rng) % (i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (end = now_s() + secs; now_s() < end;) {
		int tier = file_tier(argv[1], perm[zipf_rank(cdf, n, &rng)], path, sizeof(path));
		long long got;

		if (tier < 0)
			return 1;
		got = read_whole(path, buf);
		if (got < 0) {
			fprintf(stderr, "zipfread: %s: %s\n", path, strerror((int)-got));
			return 1;
		}
		bytes[tier] += (unsigned long long)got;
		reads++;
	}
	printf("reads %llu bytes %llu %llu %llu\n", reads, bytes[0], bytes[1], bytes[2]);
	free(buf);
	free(perm);
	free(cdf);
	return 0;
}
