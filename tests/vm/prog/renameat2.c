// SPDX-License-Identifier: GPL-2.0-only
/*
 * renameat2: rename(2) with flags from the shell, for the VM tests
 * (coreutils 9.1's mv has no --exchange or --no-copy).
 *
 *   renameat2 none|noreplace|exchange|whiteout FROM TO
 *
 * Exit status 0 on success; on failure 1 with strerror on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		unsigned int flags;
	} modes[] = {
		{ "none", 0 },
		{ "noreplace", RENAME_NOREPLACE },
		{ "exchange", RENAME_EXCHANGE },
		{ "whiteout", RENAME_WHITEOUT },
	};
	size_t i;

	if (argc != 4) {
		fprintf(stderr, "usage: renameat2 none|noreplace|exchange|whiteout FROM TO\n");
		return 2;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(argv[1], modes[i].name))
			continue;
		if (renameat2(AT_FDCWD, argv[2], AT_FDCWD, argv[3], modes[i].flags)) {
			fprintf(stderr, "renameat2: %s\n", strerror(errno));
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "renameat2: unknown mode %s\n", argv[1]);
	return 2;
}
