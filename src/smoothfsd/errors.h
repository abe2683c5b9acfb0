/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * org.smoothfs1.Error.*: the daemon's D-Bus errors and their mapping
 * from negative errno values.
 */
#ifndef SMOOTHFSD_ERRORS_H
#define SMOOTHFSD_ERRORS_H

#include <systemd/sd-bus.h>

#include "util.h"

#define SMOOTHFS_ERROR_INVALID_ARGUMENT	"org.smoothfs1.Error.InvalidArgument"
#define SMOOTHFS_ERROR_NOT_FOUND	"org.smoothfs1.Error.NotFound"
#define SMOOTHFS_ERROR_ALREADY_EXISTS	"org.smoothfs1.Error.AlreadyExists"
#define SMOOTHFS_ERROR_BUSY		"org.smoothfs1.Error.Busy"
#define SMOOTHFS_ERROR_NOT_LOADED	"org.smoothfs1.Error.NotLoaded"
#define SMOOTHFS_ERROR_FAILED		"org.smoothfs1.Error.Failed"

extern const sd_bus_error_map smoothfs_error_map[];

/* The D-Bus error name for a negative errno (never NULL). */
const char *smoothfs_error_name(int r);

/*
 * Sets @e to the error of @r (negative errno) with a formatted message
 * and returns @r, so method handlers can "return smoothfs_error(e, r, ...)".
 * EACCES/EPERM map to org.freedesktop.DBus.Error.AccessDenied.
 */
_printf_(3, 4) int smoothfs_error(sd_bus_error *e, int r, const char *fmt, ...);

/* Replaces each byte of @s that is not part of valid UTF-8 by '?'. */
void utf8_make_valid(char *s);

#endif /* SMOOTHFSD_ERRORS_H */
