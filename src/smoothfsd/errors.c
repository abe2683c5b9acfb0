// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * errno -> org.smoothfs1.Error.*; see errors.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "errors.h"

/* Name -> errno for clients linking the daemon's code (sd_bus_error_add_map). */
const sd_bus_error_map smoothfs_error_map[] = {
	SD_BUS_ERROR_MAP(SMOOTHFS_ERROR_INVALID_ARGUMENT, EINVAL),
	SD_BUS_ERROR_MAP(SMOOTHFS_ERROR_NOT_FOUND, ENOENT),
	SD_BUS_ERROR_MAP(SMOOTHFS_ERROR_ALREADY_EXISTS, EEXIST),
	SD_BUS_ERROR_MAP(SMOOTHFS_ERROR_BUSY, EBUSY),
	SD_BUS_ERROR_MAP(SMOOTHFS_ERROR_NOT_LOADED, ENOPKG),
	SD_BUS_ERROR_MAP(SMOOTHFS_ERROR_FAILED, EIO),
	SD_BUS_ERROR_MAP_END
};

const char *smoothfs_error_name(int r)
{
	switch (-r) {
	case EINVAL:
	case E2BIG:
	case ERANGE:
	case ENAMETOOLONG:
	case EXDEV:
	case ELOOP:
	case ENOTDIR:
	case EISDIR:
	case EDOM:
		return SMOOTHFS_ERROR_INVALID_ARGUMENT;
	case ENOENT:
	case ENXIO:
	case ESRCH:
	case ENODATA:
		return SMOOTHFS_ERROR_NOT_FOUND;
	case EEXIST:
		return SMOOTHFS_ERROR_ALREADY_EXISTS;
	case EBUSY:
	case EALREADY:
	case EAGAIN:
	case ESTALE:
	case EINPROGRESS:
	case ETXTBSY:
		return SMOOTHFS_ERROR_BUSY;
	case ENOPKG:
		return SMOOTHFS_ERROR_NOT_LOADED;
	case EACCES:
	case EPERM:
		return SD_BUS_ERROR_ACCESS_DENIED;
	default:
		return SMOOTHFS_ERROR_FAILED;
	}
}

/* Length of the valid UTF-8 sequence at @s (RFC 3629), or 0. */
static size_t utf8_valid_length(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;	/* beyond U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void utf8_make_valid(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = utf8_valid_length(p);

		if (n) {
			p += n;
		} else {
			*p++ = '?';
		}
	}
}

int smoothfs_error(sd_bus_error *e, int r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r >= 0)
		r = -EIO;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/*
	 * Callers quote caller-supplied strings cut to a length ("%.64s"), and
	 * the buffer cuts too: a cut inside a character would make the
	 * message invalid UTF-8, which sd-bus refuses to send, and the call
	 * would never be answered.
	 */
	utf8_make_valid(msg);
	(void)sd_bus_error_set(e, smoothfs_error_name(r), msg);
	return r;
}
