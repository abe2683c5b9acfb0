/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Managed pools, the pure part: pool names, tier lists, mountpoints, the
 * systemd unit name of a path, the mount unit and the JSON form of a
 * pool.  Nothing here talks to systemd (pool-systemd.c does); the only
 * system calls are stat() and realpath() on tier paths.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* systemd's limits on what a path may be to be escaped as a unit name. */
#define SD_NAME_MAX	255	/* one path component */
#define SD_PATH_MAX	4096	/* the simplified path, including the NUL */

int smoothfs_validate_pool_name(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len > SMOOTHFS_POOL_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '.' || c == '_' || c == '-'))
			continue;
		return -EINVAL;
	}
	return 0;
}

/*
 * A path made printable for a message: control characters, backslash,
 * double quote and bytes >= 0x7f as \xNN, quoted, truncated to fit.
 */
static const char *quote_path(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = *p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '"';

		if (o + (plain ? 1 : 4) + 5 > len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (plain)
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p);
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

#define QUOTE_MAX 256
#define Q(s, b) quote_path((s), (b), sizeof(b))

/* child lies strictly below parent; both absolute and canonical. */
static bool path_is_below(const char *child, const char *parent)
{
	size_t n = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return strcmp(child, "/") != 0;
	return strncmp(child, parent, n) == 0 && child[n] == '/';
}

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int smoothfs_validate_tiers(const char *const *tiers, size_t n, char *err, size_t errlen)
{
	char q1[QUOTE_MAX], q2[QUOTE_MAX];
	char **real;
	int r = 0;

	if (n == 0)
		return smoothfs__error(err, errlen, -EINVAL, "no tiers given");
	if (n > SMOOTHFS_MAX_TIERS)
		return smoothfs__error(err, errlen, -E2BIG, "%zu tiers given, at most %d allowed",
				       n, SMOOTHFS_MAX_TIERS);
	if (!tiers)
		return smoothfs__error(err, errlen, -EINVAL, "no tiers given");

	/* Syntax first, so a bad list fails the same way whatever exists. */
	for (size_t i = 0; i < n; i++) {
		const char *t = tiers[i];
		const char *bad;

		if (!t || !*t)
			return smoothfs__error(err, errlen, -EINVAL, "tier %zu is empty", i);
		if (t[0] != '/')
			return smoothfs__error(err, errlen, -EINVAL,
					       "tier %zu (%s) is not an absolute path", i, Q(t, q1));
		bad = strpbrk(t, "\n,:");
		if (bad)
			return smoothfs__error(err, errlen, -EINVAL,
					       "tier %zu (%s) contains %s, which a tier path may not",
					       i, Q(t, q1),
					       *bad == '\n' ? "a newline" : *bad == ',' ? "','" : "':'");
	}

	real = calloc(n, sizeof(*real));
	if (!real)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (stat(tiers[i], &st) < 0) {
			r = -errno;	/* before Q(), which may clobber errno */
			if (r == -ENOENT)
				smoothfs__error(err, errlen, r, "tier %zu (%s) does not exist",
						i, Q(tiers[i], q1));
			else
				smoothfs__error(err, errlen, r, "tier %zu (%s): %s",
						i, Q(tiers[i], q1), strerror(-r));
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			r = smoothfs__error(err, errlen, -ENOTDIR, "tier %zu (%s) is not a directory",
					    i, Q(tiers[i], q1));
			goto out;
		}
		real[i] = realpath(tiers[i], NULL);
		if (!real[i]) {
			r = -errno;
			smoothfs__error(err, errlen, r, "tier %zu (%s): cannot resolve: %s",
					i, Q(tiers[i], q1), strerror(-r));
			goto out;
		}
	}

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			if (i == j)
				continue;
			if (j > i && strcmp(real[i], real[j]) == 0) {
				r = smoothfs__error(err, errlen, -EEXIST,
						    "tiers %zu (%s) and %zu (%s) are the same directory",
						    i, Q(tiers[i], q1), j, Q(tiers[j], q2));
				goto out;
			}
			if (path_is_below(real[i], real[j])) {
				r = smoothfs__error(err, errlen, -EINVAL,
						    "tier %zu (%s) is inside tier %zu (%s)",
						    i, Q(tiers[i], q1), j, Q(tiers[j], q2));
				goto out;
			}
		}
out:
	free_strv(real, n);
	return r;
}

/*
 * systemd's path_simplify() followed by its path_is_normalized() check:
 * repeated slashes, "." components and trailing slashes go; a ".."
 * component, a component longer than NAME_MAX or a result of PATH_MAX
 * bytes or more is refused.  path is absolute; the result is "/" or
 * "/a/b" (malloc'd).
 */
static int simplify_path(const char *path, char **ret)
{
	size_t len = strlen(path);
	char *s, *o;

	s = malloc(len + 2);
	if (!s)
		return -ENOMEM;
	o = s;
	for (const char *p = path; *p;) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if ((n == 1 && p[0] == '.')) {
			p = e;
			continue;
		}
		if ((n == 2 && p[0] == '.' && p[1] == '.') || n > SD_NAME_MAX) {
			free(s);
			return -EINVAL;
		}
		*o++ = '/';
		memcpy(o, p, n);
		o += n;
		p = e;
	}
	if (o == s)
		*o++ = '/';
	*o = '\0';
	if ((size_t)(o - s) >= SD_PATH_MAX) {
		free(s);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

int smoothfs_mountpoint_for_pool(const char *base, const char *name, char **ret)
{
	_cleanup_free_ char *simple = NULL;
	char *s;
	int r;

	if (!ret)
		return -EINVAL;
	if (!base || !*base)
		base = SMOOTHFS_DEFAULT_MOUNT_BASE;
	if (smoothfs_validate_pool_name(name) < 0 || base[0] != '/')
		return -EINVAL;
	/* Slashes collapse and "." goes, as systemd will for Where=; ".." is refused. */
	r = simplify_path(base, &simple);
	if (r < 0)
		return r;
	if (asprintf(&s, "%s/%s", strcmp(simple, "/") == 0 ? "" : simple, name) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int smoothfs_unit_filename_for(const char *path, char **ret)
{
	static const char hex[] = "0123456789abcdef";
	static const char suffix[] = ".mount";
	_cleanup_free_ char *simple = NULL;
	const char *p;
	char *s, *o;
	int r;

	/*
	 * systemd-escape only warns about a relative path (and escapes "" as
	 * "-"); a mount unit's path is absolute, so those are refused.
	 */
	if (!path || !ret || path[0] != '/')
		return -EINVAL;
	r = simplify_path(path, &simple);
	if (r < 0)
		return r;

	if (strcmp(simple, "/") == 0) {
		s = strdup("-.mount");
		if (!s)
			return -ENOMEM;
		*ret = s;
		return 0;
	}

	p = simple + 1;
	s = malloc(strlen(p) * 4 + sizeof(suffix));
	if (!s)
		return -ENOMEM;
	o = s;
	for (size_t i = 0; p[i]; i++) {
		unsigned char c = (unsigned char)p[i];
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == ':' || c == '_' ||
			    (c == '.' && i > 0);

		if (c == '/') {
			*o++ = '-';
		} else if (keep) {
			*o++ = (char)c;
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
		}
	}
	memcpy(o, suffix, sizeof(suffix));
	*ret = s;
	return 0;
}

void smoothfs_managed_pool_free(struct smoothfs_managed_pool *p)
{
	if (!p)
		return;
	free(p->name);
	free_strv(p->tiers, p->n_tiers);
	free(p->mountpoint);
	free(p->unit_path);
	free(p);
}

/* --- The mount unit ----------------------------------------------------- */

/*
 * Characters a path may not hold to be written into the unit: systemd's
 * parser would read a trailing backslash as a line continuation, a
 * double quote or backslash changes RequiresMountsFor= word splitting,
 * mount(8) treats '"' in Options= as quoting, and control characters
 * have no faithful spelling in Where= or Options=.  Returns the offending
 * byte's description, or NULL.
 */
static const char *unit_unsafe(const char *path)
{
	size_t len = strlen(path);

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return "a control character";
		if (*p == '\\')
			return "a backslash";
		if (*p == '"')
			return "a double quote";
	}
	/* The value of a setting is stripped of trailing whitespace. */
	if (len > 0 && path[len - 1] == ' ')
		return "a trailing space";
	return NULL;
}

/* A value with systemd specifiers disabled: '%' is written "%%". */
static void put_unit_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '%')
			fputc('%', f);
		fputc(*s, f);
	}
}

/*
 * One RequiresMountsFor= word: quoted when it holds whitespace or a
 * single quote (backslash and double quote are refused before).
 */
static void put_unit_word(FILE *f, const char *s)
{
	bool quote = strpbrk(s, " '") != NULL;

	if (quote)
		fputc('"', f);
	put_unit_value(f, s);
	if (quote)
		fputc('"', f);
}

/*
 * The deepest existing ancestor of path (absolute, simplified) resolved,
 * the rest appended: where a path that need not exist yet really lies.
 */
/* The pool's tiers, separated by sep, each written by put. */
static void put_tier_list(FILE *f, const struct smoothfs_managed_pool *p, char sep,
			  void (*put)(FILE *f, const char *s))
{
	for (size_t i = 0; i < p->n_tiers; i++) {
		if (i)
			fputc(sep, f);
		put(f, p->tiers[i]);
	}
}

static int resolve_partial(const char *path, char **ret)
{
	_cleanup_free_ char *head = strdup(path);
	_cleanup_free_ char *real = NULL;
	const char *rest;
	char *cut, *s;

	if (!head)
		return -ENOMEM;
	while (!(real = realpath(head, NULL))) {
		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		cut = strrchr(head, '/');
		if (!cut)
			return -EINVAL;
		cut[cut == head ? 1 : 0] = '\0';	/* "/" always resolves */
	}
	rest = path + strlen(head);
	while (*rest == '/')
		rest++;
	if (!*rest)
		s = strdup(real);
	else if (asprintf(&s, "%s/%s", strcmp(real, "/") == 0 ? "" : real, rest) < 0)
		s = NULL;
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* The mountpoint may be neither a tier, nor inside one, nor hold one. */
static int check_mountpoint(const struct smoothfs_managed_pool *p, char *err, size_t errlen)
{
	char q1[QUOTE_MAX], q2[QUOTE_MAX];
	_cleanup_free_ char *simple = NULL, *mp = NULL;
	const char *bad;
	int r;

	if (!p->mountpoint || p->mountpoint[0] != '/')
		return smoothfs__error(err, errlen, -EINVAL, "mountpoint %s is not an absolute path",
				       p->mountpoint ? Q(p->mountpoint, q1) : "(none)");
	bad = unit_unsafe(p->mountpoint);
	if (bad)
		return smoothfs__error(err, errlen, -EINVAL,
				       "mountpoint %s contains %s, which a unit file cannot hold",
				       Q(p->mountpoint, q1), bad);
	r = simplify_path(p->mountpoint, &simple);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || strcmp(simple, p->mountpoint) != 0 || strcmp(simple, "/") == 0)
		return smoothfs__error(err, errlen, -EINVAL,
				       "mountpoint %s is not a normalized absolute path below /",
				       Q(p->mountpoint, q1));

	r = resolve_partial(p->mountpoint, &mp);
	if (r < 0)
		return smoothfs__error(err, errlen, r, "mountpoint %s: cannot resolve: %s",
				       Q(p->mountpoint, q1), strerror(-r));
	for (size_t i = 0; i < p->n_tiers; i++) {
		_cleanup_free_ char *t = realpath(p->tiers[i], NULL);

		if (!t) {
			r = -errno;
			return smoothfs__error(err, errlen, r, "tier %zu (%s): cannot resolve: %s",
					       i, Q(p->tiers[i], q1), strerror(-r));
		}
		if (strcmp(t, mp) == 0 || path_is_below(mp, t))
			return smoothfs__error(err, errlen, -EINVAL,
					       "mountpoint %s lies in tier %zu (%s)",
					       Q(p->mountpoint, q1), i, Q(p->tiers[i], q2));
		if (path_is_below(t, mp))
			return smoothfs__error(err, errlen, -EINVAL,
					       "tier %zu (%s) lies under the mountpoint %s",
					       i, Q(p->tiers[i], q1), Q(p->mountpoint, q2));
	}
	return 0;
}

int smoothfs_render_mount_unit(const struct smoothfs_managed_pool *p, char **ret,
			       char *err, size_t errlen)
{
	char q1[QUOTE_MAX], uuid[SMOOTHFS_UUID_STRING_MAX];
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int r;

	if (!p || !ret)
		return smoothfs__error(err, errlen, -EINVAL, "no pool given");
	if (smoothfs_validate_pool_name(p->name) < 0)
		return smoothfs__error(err, errlen, -EINVAL, "invalid pool name %s",
				       p->name ? Q(p->name, q1) : "(none)");
	if (smoothfs_uuid_is_null(&p->uuid))
		return smoothfs__error(err, errlen, -EINVAL, "pool %s: the UUID is nil", p->name);
	r = smoothfs_validate_tiers((const char *const *)p->tiers, p->n_tiers, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->n_tiers; i++) {
		const char *bad = unit_unsafe(p->tiers[i]);

		if (bad)
			return smoothfs__error(err, errlen, -EINVAL,
					       "tier %zu (%s) contains %s, which a unit file cannot hold",
					       i, Q(p->tiers[i], q1), bad);
	}
	r = check_mountpoint(p, err, errlen);
	if (r < 0)
		return r;

	smoothfs_uuid_to_string(&p->uuid, uuid);
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	fprintf(f, "# smoothfs pool %s: generated by libsmoothfs; changes are overwritten.\n"
		"[Unit]\n"
		"Description=smoothfs pool %s\n"
		"Documentation=man:smoothfsd(8)\n"
		"RequiresMountsFor=", p->name, p->name);
	put_tier_list(f, p, ' ', put_unit_word);
	fputs("\nBefore=local-fs.target\n"
	      "\n"
	      "[Mount]\n"
	      "What=none\n"
	      "Where=", f);
	put_unit_value(f, p->mountpoint);
	fprintf(f, "\nType=smoothfs\n"
		"Options=pool=%s,uuid=%s,tiers=", p->name, uuid);
	put_tier_list(f, p, ':', put_unit_value);
	fputs("\n"
	      "\n"
	      "[Install]\n"
	      "WantedBy=local-fs.target\n", f);
	if (fclose(f) != 0 || !buf)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* --- JSON ---------------------------------------------------------------- */

/* A JSON string (or null); bytes >= 0x80 pass through unchanged. */
static void put_json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fputc(*p, f);
		}
	}
	fputc('"', f);
}

int smoothfs_managed_pool_to_json(const struct smoothfs_managed_pool *p, char **ret)
{
	char uuid[SMOOTHFS_UUID_STRING_MAX];
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (!p || !ret || (p->n_tiers && !p->tiers))
		return -EINVAL;
	smoothfs_uuid_to_string(&p->uuid, uuid);
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	fputs("{\"name\":", f);
	put_json_string(f, p->name);
	fputs(",\"uuid\":", f);
	put_json_string(f, uuid);
	fputs(",\"tiers\":[", f);
	for (size_t i = 0; i < p->n_tiers; i++) {
		if (i)
			fputc(',', f);
		put_json_string(f, p->tiers[i]);
	}
	fputs("],\"mountpoint\":", f);
	put_json_string(f, p->mountpoint);
	fputs(",\"unit_path\":", f);
	put_json_string(f, p->unit_path);
	fputc('}', f);
	if (fclose(f) != 0 || !buf)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}
