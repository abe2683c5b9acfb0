// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Policy keys; see policy.h.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "errors.h"
#include "log.h"
#include "options.h"
#include "policy.h"

enum policy_type { PT_BOOL, PT_BYTE, PT_U32, PT_U64, PT_QUIET };

static const struct policy_key {
	const char *key;
	enum policy_type type;
	size_t offset;
	uint64_t min, max;
} policy_keys[] = {
	{ "enabled", PT_BOOL, offsetof(struct smoothfsd_policy, enabled), 0, 1 },
	{ "interval_sec", PT_U32, offsetof(struct smoothfsd_policy, interval_sec), 10, 86400 },
	{ "target_fill", PT_BYTE, offsetof(struct smoothfsd_policy, target_fill), 1, 100 },
	{ "high_watermark", PT_BYTE, offsetof(struct smoothfsd_policy, high_watermark), 1, 100 },
	{ "low_watermark", PT_BYTE, offsetof(struct smoothfsd_policy, low_watermark), 0, 99 },
	{ "min_residency_sec", PT_U32, offsetof(struct smoothfsd_policy, min_residency_sec),
	  0, 30 * 86400 },
	{ "max_bytes_per_sec", PT_U64, offsetof(struct smoothfsd_policy, max_bytes_per_sec),
	  0, UINT64_MAX },
	{ "max_concurrent", PT_U32, offsetof(struct smoothfsd_policy, max_concurrent), 1, 64 },
	{ "quiet_hours", PT_QUIET, 0, 0, 0 },
};

static const char type_sig[] = { [PT_BOOL] = 'b', [PT_BYTE] = 'y', [PT_U32] = 'u',
				 [PT_U64] = 't', [PT_QUIET] = 's' };

void policy_init(struct smoothfsd_policy *p)
{
	*p = (struct smoothfsd_policy) {
		.enabled = true,
		.interval_sec = 300,
		.target_fill = 80,
		.high_watermark = 90,
		.low_watermark = 75,
		.min_residency_sec = 3600,
		.max_bytes_per_sec = 0,
		.max_concurrent = 2,
	};
}

static const struct policy_key *find_key(const char *key)
{
	for (size_t i = 0; i < ELEMENTSOF(policy_keys); i++)
		if (streq(policy_keys[i].key, key))
			return &policy_keys[i];
	return NULL;
}

bool policy_key_known(const char *key)
{
	return find_key(key) != NULL;
}

static uint64_t get_value(const struct smoothfsd_policy *p, const struct policy_key *k)
{
	const char *base = (const char *)p + k->offset;

	switch (k->type) {
	case PT_BOOL:
		return *(const bool *)base;
	case PT_BYTE:
		return *(const uint8_t *)base;
	case PT_U32:
		return *(const uint32_t *)base;
	case PT_U64:
		return *(const uint64_t *)base;
	default:
		return 0;
	}
}

static void set_value(struct smoothfsd_policy *p, const struct policy_key *k, uint64_t v)
{
	char *base = (char *)p + k->offset;

	switch (k->type) {
	case PT_BOOL:
		*(bool *)base = v;
		break;
	case PT_BYTE:
		*(uint8_t *)base = (uint8_t)v;
		break;
	case PT_U32:
		*(uint32_t *)base = (uint32_t)v;
		break;
	case PT_U64:
		*(uint64_t *)base = v;
		break;
	default:
		break;
	}
}

/* "" or "HH:MM-HH:MM"; -EINVAL otherwise. */
static int parse_quiet(struct smoothfsd_policy *p, const char *s)
{
	unsigned int h1, m1, h2, m2;
	int end = 0;

	if (!*s) {
		p->quiet_hours = false;
		p->quiet_start_min = p->quiet_end_min = 0;
		return 0;
	}
	if (strlen(s) != 11 || sscanf(s, "%2u:%2u-%2u:%2u%n", &h1, &m1, &h2, &m2, &end) != 4 ||
	    end != 11 || h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59 || (h1 == h2 && m1 == m2))
		return -EINVAL;
	for (int i = 0; i < 11; i++)
		if (i != 2 && i != 5 && i != 8 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	p->quiet_hours = true;
	p->quiet_start_min = (uint16_t)(h1 * 60 + m1);
	p->quiet_end_min = (uint16_t)(h2 * 60 + m2);
	return 0;
}

static void format_quiet(const struct smoothfsd_policy *p, char buf[16])
{
	if (!p->quiet_hours)
		buf[0] = '\0';
	else
		snprintf(buf, 16, "%02u:%02u-%02u:%02u", p->quiet_start_min / 60,
			 p->quiet_start_min % 60, p->quiet_end_min / 60, p->quiet_end_min % 60);
}

int policy_apply_option(struct smoothfsd_policy *p, const char *key, const char *sig,
			sd_bus_message *m, sd_bus_error *e)
{
	const struct policy_key *k = find_key(key);
	union {
		int b;
		uint8_t y;
		uint32_t u;
		uint64_t t;
		const char *s;
	} v;
	uint64_t val;
	int r;

	if (!k)
		return option_unknown(key, e);
	if (strlen(sig) != 1 || sig[0] != type_sig[k->type])
		return smoothfs_error(e, -EINVAL, "policy key \"%s\" must have type %c, not %s",
				      key, type_sig[k->type], sig);
	r = sd_bus_message_read_basic(m, sig[0], &v);
	if (r < 0)
		return smoothfs_error(e, -EINVAL, "policy key \"%s\": %s", key, strerror(-r));
	switch (k->type) {
	case PT_QUIET:
		if (parse_quiet(p, v.s) < 0)
			return smoothfs_error(e, -EINVAL,
					      "quiet_hours must be \"\" or \"HH:MM-HH:MM\", not \"%.32s\"",
					      v.s);
		return 0;
	case PT_BOOL:
		val = !!v.b;
		break;
	case PT_BYTE:
		val = v.y;
		break;
	case PT_U32:
		val = v.u;
		break;
	default:
		val = v.t;
		break;
	}
	if (val < k->min || val > k->max)
		return smoothfs_error(e, -ERANGE, "policy key \"%s\" must be in %" PRIu64
				      "..%" PRIu64 ", not %" PRIu64, key, k->min, k->max, val);
	set_value(p, k, val);
	return 0;
}

int policy_check(const struct smoothfsd_policy *p, sd_bus_error *e)
{
	if (p->low_watermark >= p->high_watermark)
		return smoothfs_error(e, -EINVAL, "low_watermark (%u) must be below high_watermark (%u)",
				      p->low_watermark, p->high_watermark);
	if (p->target_fill > p->high_watermark)
		return smoothfs_error(e, -EINVAL, "target_fill (%u) must not exceed high_watermark (%u)",
				      p->target_fill, p->high_watermark);
	return 0;
}

int policy_to_strings(const struct smoothfsd_policy *p, char ***ret_keys, char ***ret_values)
{
	size_t n = ELEMENTSOF(policy_keys);
	_cleanup_strv_free_ char **keys = calloc(n + 1, sizeof(char *));
	_cleanup_strv_free_ char **values = calloc(n + 1, sizeof(char *));

	if (!keys || !values)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct policy_key *k = &policy_keys[i];
		char buf[32];

		if (k->type == PT_QUIET)
			format_quiet(p, buf);
		else
			snprintf(buf, sizeof(buf), "%" PRIu64, get_value(p, k));
		keys[i] = strdup(k->key);
		values[i] = strdup(buf);
		if (!keys[i] || !values[i])
			return -ENOMEM;
	}
	*ret_keys = TAKE_PTR(keys);
	*ret_values = TAKE_PTR(values);
	return 0;
}

void policy_from_strings(struct smoothfsd_policy *p, char *const *keys, char *const *values)
{
	struct smoothfsd_policy n = *p;

	for (size_t i = 0; keys && keys[i] && values[i]; i++) {
		const struct policy_key *k = find_key(keys[i]);
		unsigned long long v;
		char *end;

		if (!k) {
			log_warning("store: ignoring unknown policy key \"%s\"", keys[i]);
			continue;
		}
		if (k->type == PT_QUIET) {
			if (parse_quiet(&n, values[i]) < 0)
				log_warning("store: ignoring bad quiet_hours \"%s\"", values[i]);
			continue;
		}
		errno = 0;
		v = strtoull(values[i], &end, 10);
		if (errno || end == values[i] || *end || values[i][0] == '-' || v < k->min ||
		    v > k->max) {
			log_warning("store: ignoring bad value \"%s\" of policy key %s", values[i],
				    keys[i]);
			continue;
		}
		set_value(&n, k, v);
	}
	if (policy_check(&n, NULL) < 0) {
		log_warning("store: stored policy is inconsistent, keeping the defaults");
		return;
	}
	*p = n;
}

int policy_append(sd_bus_message *reply, const struct smoothfsd_policy *p)
{
	int r;

	r = sd_bus_message_open_container(reply, 'a', "{sv}");
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(policy_keys); i++) {
		const struct policy_key *k = &policy_keys[i];
		uint64_t v = get_value(p, k);
		char buf[16];

		switch (k->type) {
		case PT_BOOL:
			r = sd_bus_message_append(reply, "{sv}", k->key, "b", (int)v);
			break;
		case PT_BYTE:
			r = sd_bus_message_append(reply, "{sv}", k->key, "y", (uint8_t)v);
			break;
		case PT_U32:
			r = sd_bus_message_append(reply, "{sv}", k->key, "u", (uint32_t)v);
			break;
		case PT_U64:
			r = sd_bus_message_append(reply, "{sv}", k->key, "t", v);
			break;
		case PT_QUIET:
			format_quiet(p, buf);
			r = sd_bus_message_append(reply, "{sv}", k->key, "s", buf);
			break;
		}
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}
