// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The smoothfs mounts in a mountinfo file; see mount-table.h.
 */
#include <ctype.h>
#include <stdio.h>

#include "mount-table.h"
#include "util.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* The uuid= among comma-separated @opts; false when there is none. */
static bool options_uuid(char *opts, smoothfs_uuid_t *ret)
{
	char *save = NULL;

	for (char *tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "uuid=", 5) != 0)
			continue;
		for (char *c = tok + 5; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		return smoothfs_uuid_from_string(tok + 5, ret) == 0;
	}
	return false;
}

/*
 * One mountinfo line, "id parent dev root mountpoint opts... - fstype
 * source superopts": the pool and mountpoint of a smoothfs mount, in
 * place in @line.  False for any other line.
 */
static bool parse_line(char *line, smoothfs_uuid_t *uuid, char **mountpoint)
{
	char *fields[5], *sep, *save = NULL, *tok;
	size_t n = 0;

	line[strcspn(line, "\n")] = '\0';
	sep = strstr(line, " - ");
	if (!sep)
		return false;
	*sep = '\0';
	for (tok = strtok_r(line, " ", &save); tok && n < ELEMENTSOF(fields);
	     tok = strtok_r(NULL, " ", &save))
		fields[n++] = tok;
	if (n < ELEMENTSOF(fields))
		return false;
	save = NULL;
	tok = strtok_r(sep + 3, " ", &save);
	if (!tok || !streq(tok, SMOOTHFS_FS_TYPE) || !strtok_r(NULL, " ", &save))
		return false;
	tok = strtok_r(NULL, " ", &save);
	if (!tok || !options_uuid(tok, uuid))
		return false;
	unescape(fields[4]);
	*mountpoint = fields[4];
	return true;
}

MountTable *mount_table_free(MountTable *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		free(t->entries[i].mountpoint);
	free(t->entries);
	free(t);
	return NULL;
}

static void mount_table_freep(MountTable **t)
{
	mount_table_free(*t);
}

static void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

const char *mount_table_find(const MountTable *t, const smoothfs_uuid_t *uuid)
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(&t->entries[i].uuid, uuid, sizeof(*uuid)) == 0)
			return t->entries[i].mountpoint;
	return NULL;
}

int mount_table_read(const char *mountinfo, MountTable **ret)
{
	_cleanup_(mount_table_freep) MountTable *t = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, line_cap = 0;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	f = fopen(mountinfo ?: "/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &line_cap, f) > 0) {
		smoothfs_uuid_t uuid;
		char *mountpoint;

		if (!parse_line(line, &uuid, &mountpoint) || mount_table_find(t, &uuid))
			continue;
		if (array_reserve(&t->entries, &cap, t->n, sizeof(*t->entries), 8) < 0)
			return -ENOMEM;
		t->entries[t->n].mountpoint = strdup(mountpoint);
		if (!t->entries[t->n].mountpoint)
			return -ENOMEM;
		t->entries[t->n++].uuid = uuid;
	}
	if (ferror(f))
		return -EIO;
	*ret = TAKE_PTR(t);
	return 0;
}
