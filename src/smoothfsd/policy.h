/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A pool's movement policy: the keys SetPolicy and CreatePool accept,
 * their D-Bus types, ranges and defaults.  The planner reads struct
 * smoothfsd_policy; the store keeps the keys as text.
 */
#ifndef SMOOTHFSD_POLICY_H
#define SMOOTHFSD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

struct smoothfsd_policy {
	bool enabled;			/* "enabled" b */
	uint32_t interval_sec;		/* "interval_sec" u, planner period */
	uint8_t target_fill;		/* "target_fill" y, % of a faster tier to fill */
	uint8_t high_watermark;		/* "high_watermark" y, % that starts demotion */
	uint8_t low_watermark;		/* "low_watermark" y, % demotion stops at */
	uint32_t min_residency_sec;	/* "min_residency_sec" u */
	uint64_t max_bytes_per_sec;	/* "max_bytes_per_sec" t, 0 = unlimited */
	uint32_t max_concurrent;	/* "max_concurrent" u */
	/* "quiet_hours" s: "" or "HH:MM-HH:MM" (local time, may wrap midnight) */
	uint16_t quiet_start_min;	/* minutes after midnight */
	uint16_t quiet_end_min;
	bool quiet_hours;
};

void policy_init(struct smoothfsd_policy *p);

/* Whether @key names a policy key. */
bool policy_key_known(const char *key);

/*
 * Applies one policy key read from an option dictionary (see options.h):
 * 0 or -EINVAL with @e set (wrong type, out of range, unknown key).
 */
int policy_apply_option(struct smoothfsd_policy *p, const char *key, const char *sig,
			sd_bus_message *m, sd_bus_error *e);
/* Checks the keys against each other (low < high, target <= high). */
int policy_check(const struct smoothfsd_policy *p, sd_bus_error *e);

/* Every key as text, NULL-terminated parallel vectors (malloc'd). */
int policy_to_strings(const struct smoothfsd_policy *p, char ***ret_keys, char ***ret_values);
/* Applies stored text; bad or unknown entries are skipped with a warning. */
void policy_from_strings(struct smoothfsd_policy *p, char *const *keys, char *const *values);

/* Appends the a{sv} of the Policy property. */
int policy_append(sd_bus_message *reply, const struct smoothfsd_policy *p);

#endif /* SMOOTHFSD_POLICY_H */
