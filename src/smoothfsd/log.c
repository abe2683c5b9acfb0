// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Structured logging; see log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include <systemd/sd-journal.h>

#include "log.h"

static bool log_to_journal;
static int log_max_level = LOG_INFO;

/* $JOURNAL_STREAM is "dev:ino" of the journal stream systemd gave stderr. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(void)
{
	const char *e = getenv("SMOOTHFSD_LOG");

	if (e && streq(e, "journal"))
		log_to_journal = true;
	else if (e && streq(e, "stderr"))
		log_to_journal = false;
	else
		log_to_journal = stderr_is_journal();
	e = getenv("SMOOTHFSD_DEBUG");
	if (e && *e && !streq(e, "0"))
		log_max_level = LOG_DEBUG;
}

void log_set_max_level(int level)
{
	log_max_level = level;
}

int log_full(int prio, int r, const char *pool, const char *oid, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int saved = errno;

	if (prio > log_max_level)
		return r;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (log_to_journal) {
		(void)sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", prio,
				      "SYSLOG_IDENTIFIER=smoothfsd",
				      "SMOOTHFS_POOL=%s", pool ? pool : "",
				      "SMOOTHFS_OID=%s", oid ? oid : "",
				      "ERRNO=%i", r < 0 ? -r : 0, NULL);
	} else {
		fprintf(stderr, "smoothfsd: %s%s%s%s%s%s\n",
			pool ? "[" : "", pool ? pool : "", pool ? "] " : "", msg,
			r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
	}
	errno = saved;
	return r;
}
