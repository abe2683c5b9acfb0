// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: smoothfs_unit_filename_for() on arbitrary strings.  It
 * must never crash, and what it accepts must come out as a valid mount
 * unit name: only [A-Za-z0-9:_.\\-] characters, ending in ".mount".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smoothfs/smoothfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1), *unit = NULL;

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	if (smoothfs_unit_filename_for(path, &unit) == 0) {
		size_t len = strlen(unit);

		if (len < 6 || strcmp(unit + len - 6, ".mount") != 0)
			abort();
		for (const char *p = unit; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.\\-", *p))
				abort();
		free(unit);
	}
	free(path);
	return 0;
}
