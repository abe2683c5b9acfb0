// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: smoothfs_decode_event() on arbitrary bytes.  It must
 * never crash, leak or read out of bounds, and a decoded event must be
 * internally consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smoothfs/smoothfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smoothfs_event *ev = NULL;
	/* A copy of exactly size bytes, so ASan sees any overread. */
	uint8_t *buf = malloc(size ? size : 1);
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = smoothfs_decode_event(buf, size, &ev);
	if (r > 0) {
		if (!ev)
			abort();
		if (ev->n_tiers > SMOOTHFS_MAX_TIERS)
			abort();
		for (size_t i = 0; i < ev->n_tiers; i++)
			if (ev->tiers[i].path)
				(void)strlen(ev->tiers[i].path);
		if (ev->pool_name)
			(void)strlen(ev->pool_name);
		for (size_t i = 0; i < ev->n_heat_samples; i++)
			(void)ev->heat_samples[i].sample_window_ns;
		smoothfs_event_free(ev);
	} else if (ev) {
		abort();
	}
	free(buf);
	return 0;
}
