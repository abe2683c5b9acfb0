/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Identifiers and state names: the parts of the contract that are pure
 * data.
 */
#include <string.h>

#include <uuid/uuid.h>

#include "internal.h"

static const char *const movement_state_names[__SMOOTHFS_MS_COUNT] = {
	[SMOOTHFS_MS_PLACED] = "placed",
	[SMOOTHFS_MS_PLAN_ACCEPTED] = "plan_accepted",
	[SMOOTHFS_MS_DESTINATION_RESERVED] = "destination_reserved",
	[SMOOTHFS_MS_COPY_IN_PROGRESS] = "copy_in_progress",
	[SMOOTHFS_MS_COPY_COMPLETE] = "copy_complete",
	[SMOOTHFS_MS_COPY_VERIFIED] = "copy_verified",
	[SMOOTHFS_MS_CUTOVER_IN_PROGRESS] = "cutover_in_progress",
	[SMOOTHFS_MS_SWITCHED] = "switched",
	[SMOOTHFS_MS_CLEANUP_IN_PROGRESS] = "cleanup_in_progress",
	[SMOOTHFS_MS_CLEANUP_COMPLETE] = "cleanup_complete",
	[SMOOTHFS_MS_FAILED] = "failed",
	[SMOOTHFS_MS_STALE] = "stale",
};

static const char *const pin_state_names[__SMOOTHFS_PIN_COUNT] = {
	[SMOOTHFS_PIN_NONE] = SMOOTHFS_PIN_NAME_NONE,
	[SMOOTHFS_PIN_HOT] = SMOOTHFS_PIN_NAME_HOT,
	[SMOOTHFS_PIN_COLD] = SMOOTHFS_PIN_NAME_COLD,
	[SMOOTHFS_PIN_HARDLINK] = SMOOTHFS_PIN_NAME_HARDLINK,
	[SMOOTHFS_PIN_LEASE] = SMOOTHFS_PIN_NAME_LEASE,
	[SMOOTHFS_PIN_LUN] = SMOOTHFS_PIN_NAME_LUN,
};

/* Index of s in names[], or -EINVAL. */
static int name_lookup(const char *const *names, size_t n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

const char *smoothfs_movement_state_to_string(enum smoothfs_movement_state s)
{
	/* Compare as unsigned: a wire byte may hold any value. */
	if ((unsigned int)s >= ELEMENTSOF(movement_state_names))
		return NULL;
	return movement_state_names[s];
}

int smoothfs_movement_state_from_string(const char *s, enum smoothfs_movement_state *ret)
{
	int i = name_lookup(movement_state_names, ELEMENTSOF(movement_state_names), s);

	if (i < 0)
		return i;
	*ret = (enum smoothfs_movement_state)i;
	return 0;
}

const char *smoothfs_pin_state_to_string(enum smoothfs_pin_state p)
{
	if ((unsigned int)p >= ELEMENTSOF(pin_state_names))
		return NULL;
	return pin_state_names[p];
}

int smoothfs_pin_state_from_string(const char *s, enum smoothfs_pin_state *ret)
{
	int i = name_lookup(pin_state_names, ELEMENTSOF(pin_state_names), s);

	if (i < 0)
		return i;
	*ret = (enum smoothfs_pin_state)i;
	return 0;
}

int smoothfs_uuid_from_string(const char *s, smoothfs_uuid_t *ret)
{
	uuid_t u;

	/* libuuid accepts upper case; the canonical form is lower case. */
	if (!s || strlen(s) != SMOOTHFS_UUID_STRING_MAX - 1)
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			return -EINVAL;
	if (uuid_parse(s, u) < 0)
		return -EINVAL;
	memcpy(ret->bytes, u, sizeof(ret->bytes));
	return 0;
}

void smoothfs_uuid_to_string(const smoothfs_uuid_t *u, char buf[SMOOTHFS_UUID_STRING_MAX])
{
	uuid_unparse_lower(u->bytes, buf);
}

bool smoothfs_uuid_is_null(const smoothfs_uuid_t *u)
{
	return uuid_is_null(u->bytes);
}

int smoothfs_uuid_generate(smoothfs_uuid_t *ret)
{
	uuid_t u;

	uuid_generate_random(u);
	memcpy(ret->bytes, u, sizeof(ret->bytes));
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int smoothfs_oid_from_hex(const char *s, smoothfs_oid_t *ret)
{
	smoothfs_oid_t oid;

	if (!s || strlen(s) != 2 * SMOOTHFS_OID_LEN)
		return -EINVAL;
	for (size_t i = 0; i < SMOOTHFS_OID_LEN; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		oid.bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	*ret = oid;
	return 0;
}

void smoothfs_oid_to_hex(const smoothfs_oid_t *oid, char buf[SMOOTHFS_OID_HEX_MAX])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < SMOOTHFS_OID_LEN; i++) {
		buf[2 * i] = digits[oid->bytes[i] >> 4];
		buf[2 * i + 1] = digits[oid->bytes[i] & 0xf];
	}
	buf[2 * SMOOTHFS_OID_LEN] = '\0';
}

int smoothfs__error(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}
