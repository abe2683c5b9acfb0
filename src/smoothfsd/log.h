/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Structured logging: to the journal (with SMOOTHFS_POOL= and friends as
 * fields) when stderr is connected to it or SMOOTHFSD_LOG=journal, else
 * one line per message on stderr (tests, foreground runs).
 */
#ifndef SMOOTHFSD_LOG_H
#define SMOOTHFSD_LOG_H

#include <syslog.h>

#include "util.h"

void log_setup(void);
void log_set_max_level(int level);

/*
 * Logs at @prio with an optional pool name (field SMOOTHFS_POOL) and
 * object id (SMOOTHFS_OID); returns @r, so callers can
 * "return log_pool(LOG_ERR, r, pool, NULL, ...)".
 */
_printf_(5, 6) int log_full(int prio, int r, const char *pool, const char *oid,
			    const char *fmt, ...);

#define log_debug(...) log_full(LOG_DEBUG, 0, NULL, NULL, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, 0, NULL, NULL, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, 0, NULL, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, NULL, NULL, __VA_ARGS__)
#define log_error_errno(r, ...) log_full(LOG_ERR, (r), NULL, NULL, __VA_ARGS__)
#define log_warning_errno(r, ...) log_full(LOG_WARNING, (r), NULL, NULL, __VA_ARGS__)
#define log_pool(prio, r, pool, ...) log_full((prio), (r), (pool), NULL, __VA_ARGS__)

#endif /* SMOOTHFSD_LOG_H */
