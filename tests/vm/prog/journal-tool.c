// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal-tool: writes and reads the smoothfs movement journal
 * (<tier0>/.smoothfs/journal) in its on-disk format, independently of the
 * kernel, so the VM tests can set up every crash state by hand.  The
 * format is described in docs/architecture.md ("The movement journal").
 *
 *   journal-tool crc STRING
 *       prints the CRC32C of STRING (8 hex digits)
 *   journal-tool commit FILE SEQ OID-HEX SRC DST PATH [OPTION...]
 *       appends a COMMIT record
 *   journal-tool done FILE SEQ [OPTION...]
 *       appends a DONE record
 *   journal-tool torn FILE SEQ OID-HEX SRC DST PATH BYTES
 *       appends only the first BYTES bytes of a COMMIT record
 *   journal-tool dump FILE
 *       prints one line per record: offset type seq oid src dst crc path
 *
 * OPTIONs make a record bad on purpose: --magic HEX, --version N,
 * --type N, --path-len N (the length field), --nul-at N (a NUL byte at
 * path offset N), --bad-crc (CRC off by one).
 *
 * Exit status 0 on success, 1 with a message on stderr otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JREC_SIZE	4096
#define JREC_MAGIC	0x4c4a4d53u
#define JREC_VERSION	1
#define JREC_COMMIT	1
#define JREC_DONE	2
#define JREC_PATH_OFF	40
#define JREC_PATH_MAX	(JREC_SIZE - JREC_PATH_OFF - 4)
#define OID_LEN		16

struct rec {
	uint32_t magic;
	uint32_t version;
	uint32_t type;
	uint32_t src, dst;
	uint32_t path_len;
	int path_len_set;
	uint64_t seq;
	uint8_t oid[OID_LEN];
	char path[JREC_PATH_MAX + 1];
	size_t len;
	long nul_at;
	int bad_crc;
};

/* CRC32C (Castagnoli, reflected 0x82f63b78), init and final xor ~0. */
static uint32_t crc32c(const void *data, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = data;
	uint32_t crc = ~0u;
	size_t i;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			uint32_t c = i;
			int k;

			for (k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
			table[i] = c;
		}
	}
	for (i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "journal-tool: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("bad number \"%s\"", s);
	return v;
}

static void parse_oid(uint8_t oid[OID_LEN], const char *hex)
{
	int i;

	if (!strncmp(hex, "0x", 2))
		hex += 2;
	if (strlen(hex) != 2 * OID_LEN)
		die("OID \"%s\" is not 32 hex digits", hex);
	for (i = 0; i < OID_LEN; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			die("bad OID \"%s\"", hex);
		oid[i] = b;
	}
}

static void parse_opts(struct rec *r, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "--bad-crc")) {
			r->bad_crc = 1;
			continue;
		}
		if (i + 1 == argc)
			die("option %s needs a value", o);
		if (!strcmp(o, "--magic")) {
			r->magic = num(argv[++i]);
		} else if (!strcmp(o, "--version")) {
			r->version = num(argv[++i]);
		} else if (!strcmp(o, "--type")) {
			r->type = num(argv[++i]);
		} else if (!strcmp(o, "--path-len")) {
			r->path_len = num(argv[++i]);
			r->path_len_set = 1;
		} else if (!strcmp(o, "--nul-at")) {
			r->nul_at = num(argv[++i]);
		} else {
			die("unknown option %s", o);
		}
	}
}

static void encode(const struct rec *r, uint8_t buf[JREC_SIZE])
{
	uint32_t crc;

	memset(buf, 0, JREC_SIZE);
	put32(buf + 0, r->magic);
	put16(buf + 4, r->version);
	buf[6] = r->type;
	buf[7] = r->src;
	buf[8] = r->dst;
	put32(buf + 12, r->path_len_set ? r->path_len : r->len);
	put64(buf + 16, r->seq);
	memcpy(buf + 24, r->oid, OID_LEN);
	memcpy(buf + JREC_PATH_OFF, r->path, r->len);
	if (r->nul_at >= 0 && r->nul_at < JREC_PATH_MAX)
		buf[JREC_PATH_OFF + r->nul_at] = 0;
	crc = crc32c(buf, JREC_SIZE - 4);
	put32(buf + JREC_SIZE - 4, crc + (r->bad_crc ? 1 : 0));
}

static void append(const char *file, const uint8_t *buf, size_t len)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0600);

	if (fd < 0)
		die("cannot open %s", file);
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd) || close(fd))
		die("cannot write %s", file);
}

static void init_rec(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->magic = JREC_MAGIC;
	r->version = JREC_VERSION;
	r->nul_at = -1;
}

static void commit_args(struct rec *r, char **argv)
{
	r->type = JREC_COMMIT;
	r->seq = num(argv[0]);
	parse_oid(r->oid, argv[1]);
	r->src = num(argv[2]);
	r->dst = num(argv[3]);
	r->len = strlen(argv[4]);
	if (r->len > JREC_PATH_MAX)
		die("path \"%s\" too long", argv[4]);
	memcpy(r->path, argv[4], r->len);
}

static int dump(const char *file)
{
	uint8_t buf[JREC_SIZE];
	long long off = 0;
	ssize_t n;
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		die("cannot open %s", file);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		uint32_t len = get32(buf + 12);
		int i;

		if (n != JREC_SIZE) {
			printf("%lld torn %zd\n", off, n);
			break;
		}
		printf("%lld %s %" PRIu64 " ", off,
		       buf[6] == JREC_COMMIT ? "commit" : buf[6] == JREC_DONE ? "done" : "?",
		       get64(buf + 16));
		for (i = 0; i < OID_LEN; i++)
			printf("%02x", buf[24 + i]);
		printf(" %u %u %s %.*s\n", buf[7], buf[8],
		       get32(buf + JREC_SIZE - 4) == crc32c(buf, JREC_SIZE - 4) &&
		       get32(buf) == JREC_MAGIC ? "ok" : "bad",
		       (int)(len > JREC_PATH_MAX ? 0 : len), (char *)buf + JREC_PATH_OFF);
		off += n;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t buf[JREC_SIZE];
	struct rec r;

	init_rec(&r);
	if (argc == 3 && !strcmp(argv[1], "crc")) {
		printf("%08x\n", crc32c(argv[2], strlen(argv[2])));
		return 0;
	}
	if (argc >= 8 && !strcmp(argv[1], "commit")) {
		commit_args(&r, argv + 3);
		parse_opts(&r, argc - 8, argv + 8);
		encode(&r, buf);
		append(argv[2], buf, sizeof(buf));
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "done")) {
		r.type = JREC_DONE;
		r.seq = num(argv[3]);
		parse_opts(&r, argc - 4, argv + 4);
		encode(&r, buf);
		append(argv[2], buf, sizeof(buf));
		return 0;
	}
	if (argc == 9 && !strcmp(argv[1], "torn")) {
		size_t n = num(argv[8]);

		if (n >= JREC_SIZE)
			die("a torn record is shorter than %d bytes", JREC_SIZE);
		commit_args(&r, argv + 3);
		encode(&r, buf);
		append(argv[2], buf, n);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return dump(argv[2]);
	fprintf(stderr, "usage: journal-tool crc STRING | commit FILE SEQ OID SRC DST PATH [OPT...] |\n"
		"       done FILE SEQ [OPT...] | torn FILE SEQ OID SRC DST PATH BYTES | dump FILE\n");
	return 1;
}
