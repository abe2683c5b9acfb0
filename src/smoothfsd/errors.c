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

int smoothfs_error(sd_bus_error *e, int r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r >= 0)
		r = -EIO;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)sd_bus_error_set(e, smoothfs_error_name(r), msg);
	return r;
}
