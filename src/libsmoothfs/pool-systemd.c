/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Managed pools, the systemd part: create and destroy a pool's mount unit
 * through systemd's D-Bus API (org.freedesktop.systemd1.Manager on the
 * system bus), never by running systemctl.
 *
 * Create does, in order: validate and render (nothing touched yet), open
 * the bus, refuse a unit that exists, create the mountpoint, write the
 * unit atomically, enable it, reload, start it and wait for the job.  A
 * failure at any step undoes the steps before it, in reverse.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "internal.h"

#define SD_DEST		"org.freedesktop.systemd1"
#define SD_PATH		"/org/freedesktop/systemd1"
#define SD_MANAGER	"org.freedesktop.systemd1.Manager"
#define SD_UNIT		"org.freedesktop.systemd1.Unit"
#define SD_MOUNT	"org.freedesktop.systemd1.Mount"

/* Longest unit name systemd loads (UNIT_NAME_MAX, with the NUL). */
#define SD_UNIT_NAME_MAX	256

/* Bound on a reload, and on a start or stop job (TCG boots are slow). */
#define METHOD_TIMEOUT_USEC	(90ULL * 1000000ULL)
#define JOB_TIMEOUT_USEC	(90ULL * 1000000ULL)

/* Directories mkdir_p() made, outermost first, so undo can rmdir them. */
#define MAX_CREATED_DIRS 64

struct created_dirs {
	size_t n;
	char *path[MAX_CREATED_DIRS];
};

static void created_dirs_clear(struct created_dirs *d)
{
	while (d->n)
		free(d->path[--d->n]);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

/* Append "; what" to a message already in err (a secondary failure). */
_printf_(3, 4) static void append_error(char *err, size_t errlen, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!err || errlen == 0)
		return;
	len = strnlen(err, errlen);
	if (len + 3 >= errlen)
		return;
	memcpy(err + len, "; ", 3);
	len += 2;
	va_start(ap, fmt);
	vsnprintf(err + len, errlen - len, fmt, ap);
	va_end(ap);
}

/*
 * systemd's own error names, which libsystemd does not map to errno (it
 * knows only the org.freedesktop.DBus.Error ones); registering a map
 * with sd_bus_error_add_map() would be process-global state.
 */
static int systemd_error_errno(const sd_bus_error *e)
{
	static const struct {
		const char *name;
		int err;
	} map[] = {
		{ "org.freedesktop.systemd1.NoSuchUnit", ENOENT },
		{ "org.freedesktop.systemd1.NoSuchJob", ENOENT },
		{ "org.freedesktop.systemd1.UnitMasked", ERFKILL },
		{ "org.freedesktop.systemd1.OnlyByDependency", EINVAL },
		{ "org.freedesktop.systemd1.TransactionIsDestructive", EDEADLK },
		{ "org.freedesktop.systemd1.TransactionJobsConflicting", EDEADLK },
		{ "org.freedesktop.systemd1.TransactionOrderIsCyclic", EDEADLK },
		{ "org.freedesktop.systemd1.ShuttingDown", ECANCELED },
		{ "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", EACCES },
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (sd_bus_error_has_name(e, map[i].name))
			return map[i].err;
	return sd_bus_error_get_errno(e);
}

/* A D-Bus failure as a negative errno, with systemd's message in err. */
static int bus_fail(char *err, size_t errlen, int r, const sd_bus_error *e, const char *what)
{
	if (e && sd_bus_error_is_set(e)) {
		int n = systemd_error_errno(e);

		if (n > 0)
			r = -n;
		return smoothfs__error(err, errlen, r < 0 ? r : -EIO, "%s: %s",
				       what, e->message ? e->message : e->name);
	}
	return smoothfs__error(err, errlen, r < 0 ? r : -EIO, "%s: %s", what, strerror(r < 0 ? -r : EIO));
}

static int open_bus(sd_bus **ret, char *err, size_t errlen)
{
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_open_system(&bus);
	if (r < 0)
		return smoothfs__error(err, errlen, r, "cannot connect to the system bus: %s",
				       strerror(-r));
	r = sd_bus_set_method_call_timeout(bus, METHOD_TIMEOUT_USEC);
	if (r < 0) {
		sd_bus_flush_close_unref(bus);
		return smoothfs__error(err, errlen, r, "sd_bus_set_method_call_timeout: %s",
				       strerror(-r));
	}
	*ret = bus;
	return 0;
}

static int manager_reload(sd_bus *bus, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	/* systemd replies once the reload is complete. */
	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Reload", &e, NULL, "");
	if (r < 0)
		r = bus_fail(err, errlen, r, &e, "reloading systemd");
	sd_bus_error_free(&e);
	return r < 0 ? r : 0;
}

/* EnableUnitFiles / DisableUnitFiles with one unit. */
static int unit_file_call(sd_bus *bus, const char *unit, bool enable, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	char what[PATH_MAX + 32];
	int r;

	snprintf(what, sizeof(what), "%s %s", enable ? "enabling" : "disabling", unit);
	r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
					   enable ? "EnableUnitFiles" : "DisableUnitFiles");
	if (r < 0)
		goto fail;
	r = sd_bus_message_append(m, "asb", 1, unit, false);
	if (r < 0)
		goto fail;
	if (enable) {
		/* force: replace a stale symlink of ours */
		r = sd_bus_message_append(m, "b", true);
		if (r < 0)
			goto fail;
	}
	r = sd_bus_call(bus, m, 0, &e, &reply);
fail:
	if (r < 0)
		r = bus_fail(err, errlen, r, &e, what);
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	return r < 0 ? r : 0;
}

/* --- Jobs ------------------------------------------------------------------ */

struct job_wait {
	const char *job;	/* object path of the job waited for */
	bool done;
	char result[32];
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct job_wait *w = userdata;
	const char *path, *unit, *result;
	uint32_t id;

	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (w->job && strcmp(path, w->job) == 0) {
		snprintf(w->result, sizeof(w->result), "%s", result);
		w->done = true;
	}
	return 0;
}

/* A job result other than "done" as an errno. */
static int job_result_errno(const char *result)
{
	static const struct {
		const char *result;
		int err;
	} map[] = {
		{ "canceled", -ECANCELED },
		{ "timeout", -ETIMEDOUT },
		{ "dependency", -ENOLINK },
		{ "invalid", -EINVAL },
		{ "unsupported", -EOPNOTSUPP },
	};

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (strcmp(result, map[i].result) == 0)
			return map[i].err;
	return -EIO;	/* "failed", "skipped", "collected", "once", ... */
}

/* The unit's ActiveState and its Mount.Result, for a message. */
static void unit_state(sd_bus *bus, const char *unit, char *buf, size_t len)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *obj = NULL, *active = NULL, *result = NULL;

	snprintf(buf, len, "state unknown");
	if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &obj) < 0)
		return;
	if (sd_bus_get_property_string(bus, SD_DEST, obj, SD_UNIT, "ActiveState", &e, &active) < 0)
		goto out;
	if (sd_bus_get_property_string(bus, SD_DEST, obj, SD_MOUNT, "Result", &e, &result) < 0)
		goto out;
	snprintf(buf, len, "ActiveState=%s, Result=%s", active, result);
out:
	sd_bus_error_free(&e);
}

/*
 * StartUnit or StopUnit (mode "replace") and wait for the job.
 * *ret_queued tells whether systemd accepted the job.  A stop of a unit
 * systemd does not know is success when missing_ok.
 */
static int run_job(sd_bus *bus, const char *method, const char *unit, bool missing_ok,
		   bool *ret_queued, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus_slot *slot = NULL;
	struct job_wait w = { 0 };
	const bool start = strcmp(method, "StartUnit") == 0;
	const char *verb = start ? "starting" : "stopping";
	char what[PATH_MAX + 32];
	uint64_t deadline;
	int r;

	if (ret_queued)
		*ret_queued = false;
	snprintf(what, sizeof(what), "%s %s", verb, unit);

	/*
	 * Match before the call: the JobRemoved signal may arrive while
	 * sd_bus_call() waits, and is then queued, not lost.
	 */
	r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
				on_job_removed, &w);
	if (r < 0) {
		r = bus_fail(err, errlen, r, NULL, "subscribing to JobRemoved");
		goto out;
	}
	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e, NULL, "");
	if (r < 0 && !sd_bus_error_has_name(&e, "org.freedesktop.systemd1.AlreadySubscribed")) {
		r = bus_fail(err, errlen, r, &e, "subscribing to systemd");
		goto out;
	}
	sd_bus_error_free(&e);

	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, method, &e, &reply,
			       "ss", unit, "replace");
	if (r < 0) {
		if (missing_ok && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) {
			r = 0;
			goto out;
		}
		r = bus_fail(err, errlen, r, &e, what);
		goto out;
	}
	r = sd_bus_message_read(reply, "o", &w.job);
	if (r < 0) {
		r = bus_fail(err, errlen, r, NULL, what);
		goto out;
	}
	if (ret_queued)
		*ret_queued = true;

	deadline = now_usec() + JOB_TIMEOUT_USEC;
	while (!w.done) {
		uint64_t now;

		r = sd_bus_process(bus, NULL);
		if (r < 0) {
			r = bus_fail(err, errlen, r, NULL, what);
			goto out;
		}
		if (r > 0)
			continue;
		now = now_usec();
		if (now >= deadline) {
			r = smoothfs__error(err, errlen, -ETIMEDOUT,
					    "%s: the job did not finish within %llu s", what,
					    JOB_TIMEOUT_USEC / 1000000ULL);
			goto out;
		}
		r = sd_bus_wait(bus, deadline - now);
		if (r < 0) {
			r = bus_fail(err, errlen, r, NULL, what);
			goto out;
		}
	}

	if (strcmp(w.result, "done") == 0) {
		r = 0;
	} else {
		char state[128];

		unit_state(bus, unit, state, sizeof(state));
		r = smoothfs__error(err, errlen, job_result_errno(w.result),
				    "%s failed: job result '%s' (%s); see journalctl -u %s",
				    what, w.result, state, unit);
	}
out:
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	sd_bus_slot_unref(slot);
	return r;
}

/* Forget a failed unit, so that nothing of it stays in memory. */
static void reset_failed(sd_bus *bus, const char *unit)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;

	(void)sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", &e, NULL,
				 "s", unit);
	sd_bus_error_free(&e);
}

/* -EEXIST unless systemd has no unit of that name anywhere. */
static int check_unit_unknown(sd_bus *bus, const char *unit, char *err, size_t errlen)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	_cleanup_free_ char *load = NULL;
	const char *obj;
	int r;

	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &e, &reply, "s", unit);
	if (r < 0) {
		r = bus_fail(err, errlen, r, &e, "looking up the unit");
		goto out;
	}
	r = sd_bus_message_read(reply, "o", &obj);
	if (r >= 0)
		r = sd_bus_get_property_string(bus, SD_DEST, obj, SD_UNIT, "LoadState", &e, &load);
	if (r < 0) {
		r = bus_fail(err, errlen, r, &e, "looking up the unit");
		goto out;
	}
	if (strcmp(load, "not-found") != 0)
		r = smoothfs__error(err, errlen, -EEXIST,
				    "systemd already has a unit %s (LoadState=%s)", unit, load);
out:
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	return r < 0 ? r : 0;
}

/* --- Files ----------------------------------------------------------------- */

/*
 * mkdir -p, 0755.  Directories made are recorded (outermost first);
 * *existed tells whether path itself was there.
 */
static int mkdir_p(const char *path, struct created_dirs *made, bool *existed,
		   char *err, size_t errlen)
{
	_cleanup_free_ char *buf = strdup(path);
	struct stat st;
	char *p;

	if (!buf)
		return -ENOMEM;
	*existed = stat(path, &st) == 0;
	if (*existed) {
		if (!S_ISDIR(st.st_mode))
			return smoothfs__error(err, errlen, -ENOTDIR,
					       "mountpoint %s exists and is not a directory", path);
		return 0;
	}
	for (p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == 0) {
			if (made->n == MAX_CREATED_DIRS)
				return smoothfs__error(err, errlen, -ENAMETOOLONG,
						       "mountpoint %s: too many directories to create", path);
			made->path[made->n] = strdup(buf);
			if (!made->path[made->n]) {
				rmdir(buf);
				return -ENOMEM;
			}
			made->n++;
		} else if (errno != EEXIST) {
			return smoothfs__error(err, errlen, -errno, "cannot create %s: %m", buf);
		} else if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode)) {
			return smoothfs__error(err, errlen, -ENOTDIR, "%s is not a directory", buf);
		}
		if (c == '\0')
			return 0;
		*p = c;
	}
}

/* Remove, innermost first, the directories mkdir_p() made. */
static int undo_mkdir(struct created_dirs *made, char *err, size_t errlen)
{
	int r = 0;

	while (made->n) {
		char *d = made->path[--made->n];

		if (rmdir(d) < 0 && r == 0) {
			r = -errno;
			append_error(err, errlen, "could not remove %s: %s", d, strerror(-r));
		}
		free(d);
	}
	return r;
}

/*
 * Write the unit: a temporary file in the same directory, fsync'd, then
 * renamed into place without replacing anything, then the directory
 * fsync'd.  -EEXIST if the unit appeared meanwhile.
 */
static int write_unit(const char *dir, const char *name, const char *text,
		      char *err, size_t errlen)
{
	_cleanup_close_ int dfd = -EBADF, fd = -EBADF;
	char tmp[64];
	size_t len = strlen(text), off = 0;
	int r;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return smoothfs__error(err, errlen, -errno, "cannot open %s: %m", dir);
	for (unsigned int attempt = 0;; attempt++) {
		uint8_t rnd[8];
		smoothfs_uuid_t u;

		smoothfs_uuid_generate(&u);
		memcpy(rnd, u.bytes, sizeof(rnd));
		snprintf(tmp, sizeof(tmp), ".#smoothfs-%02x%02x%02x%02x%02x%02x%02x%02x",
			 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0)
			break;
		if (errno != EEXIST || attempt == 16)
			return smoothfs__error(err, errlen, -errno, "cannot create a file in %s: %m", dir);
	}
	/* The mode must not depend on the umask. */
	if (fchmod(fd, 0644) < 0) {
		r = smoothfs__error(err, errlen, -errno, "chmod %s/%s: %m", dir, tmp);
		goto fail;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = smoothfs__error(err, errlen, -errno, "writing %s/%s: %m", dir, tmp);
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		r = smoothfs__error(err, errlen, -errno, "fsync %s/%s: %m", dir, tmp);
		goto fail;
	}
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) < 0) {
		if (errno != EINVAL && errno != ENOSYS) {
			r = smoothfs__error(err, errlen, -errno, "cannot create %s/%s: %m", dir, name);
			goto fail;
		}
		/* No RENAME_NOREPLACE here: a hard link refuses to replace too. */
		if (linkat(dfd, tmp, dfd, name, 0) < 0) {
			r = smoothfs__error(err, errlen, -errno, "cannot create %s/%s: %m", dir, name);
			goto fail;
		}
		unlinkat(dfd, tmp, 0);
	}
	if (fsync(dfd) < 0)
		return smoothfs__error(err, errlen, -errno, "fsync %s: %m", dir);
	return 0;
fail:
	unlinkat(dfd, tmp, 0);
	return r;
}

/* --- Create and destroy ------------------------------------------------- */

/* The managed pool a request describes, before anything is touched. */
static int pool_from_request(const struct smoothfs_create_pool_request *req,
			     struct smoothfs_managed_pool **ret, char **ret_unit,
			     char *err, size_t errlen)
{
	struct smoothfs_managed_pool *p;
	_cleanup_free_ char *unit = NULL;
	const char *dir = req->unit_dir && *req->unit_dir ? req->unit_dir : SMOOTHFS_SYSTEMD_UNIT_DIR;
	int r;

	if (smoothfs_validate_pool_name(req->name) < 0)
		return smoothfs__error(err, errlen, -EINVAL,
				       "invalid pool name: it must match ^[a-z0-9][a-z0-9._-]{0,62}$");
	r = smoothfs_validate_tiers(req->tiers, req->n_tiers, err, errlen);
	if (r < 0)
		return r;
	if (dir[0] != '/')
		return smoothfs__error(err, errlen, -EINVAL, "the unit directory %s is not absolute", dir);

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->name = strdup(req->name);
	p->tiers = calloc(req->n_tiers, sizeof(*p->tiers));
	if (!p->name || !p->tiers)
		goto oom;
	for (; p->n_tiers < req->n_tiers; p->n_tiers++) {
		p->tiers[p->n_tiers] = strdup(req->tiers[p->n_tiers]);
		if (!p->tiers[p->n_tiers])
			goto oom;
	}
	p->uuid = req->uuid;
	if (smoothfs_uuid_is_null(&p->uuid))
		smoothfs_uuid_generate(&p->uuid);

	r = smoothfs_mountpoint_for_pool(req->mount_base, req->name, &p->mountpoint);
	if (r < 0) {
		smoothfs__error(err, errlen, r,
				"invalid mount base \"%s\": it must be an absolute path without \"..\"",
				req->mount_base ? req->mount_base : "");
		goto fail;
	}
	r = smoothfs_unit_filename_for(p->mountpoint, &unit);
	if (r < 0) {
		smoothfs__error(err, errlen, r, "mountpoint %s has no systemd unit name", p->mountpoint);
		goto fail;
	}
	if (strlen(unit) >= SD_UNIT_NAME_MAX) {
		r = smoothfs__error(err, errlen, -ENAMETOOLONG,
				    "mountpoint %s: its unit name is longer than systemd allows",
				    p->mountpoint);
		goto fail;
	}
	if (asprintf(&p->unit_path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", unit) < 0) {
		p->unit_path = NULL;
		goto oom;
	}
	*ret = p;
	*ret_unit = TAKE_PTR(unit);
	return 0;
oom:
	r = -ENOMEM;
fail:
	smoothfs_managed_pool_free(p);
	return r;
}

int smoothfs_create_managed_pool(const struct smoothfs_create_pool_request *req,
				 struct smoothfs_managed_pool **ret, char *err, size_t errlen)
{
	struct smoothfs_managed_pool *p = NULL;
	struct created_dirs made = { 0 };
	sd_bus *bus = NULL;
	_cleanup_free_ char *unit = NULL, *text = NULL, *dir = NULL;
	bool existed = false, written = false, enabled = false, started = false;
	struct stat st;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!req || !ret)
		return smoothfs__error(err, errlen, -EINVAL, "no request given");

	/* Everything that can be checked without touching anything. */
	r = pool_from_request(req, &p, &unit, err, errlen);
	if (r < 0)
		return r;
	r = smoothfs_render_mount_unit(p, &text, err, errlen);
	if (r < 0)
		goto out;
	dir = strndup(p->unit_path, strlen(p->unit_path) - strlen(unit) - 1);
	if (dir && !*dir) {
		free(dir);
		dir = strdup("/");
	}
	if (!dir) {
		r = -ENOMEM;
		goto out;
	}
	if (lstat(p->unit_path, &st) == 0) {
		r = smoothfs__error(err, errlen, -EEXIST, "the unit file %s already exists",
				    p->unit_path);
		goto out;
	}
	r = open_bus(&bus, err, errlen);
	if (r < 0)
		goto out;
	r = check_unit_unknown(bus, unit, err, errlen);
	if (r < 0)
		goto out;

	/* From here on, every step is undone on failure. */
	r = mkdir_p(p->mountpoint, &made, &existed, err, errlen);
	if (r < 0)
		goto undo;
	r = write_unit(dir, unit, text, err, errlen);
	if (r < 0)
		goto undo;
	written = true;
	r = unit_file_call(bus, unit, true, err, errlen);
	if (r < 0)
		goto undo;
	enabled = true;
	r = manager_reload(bus, err, errlen);
	if (r < 0)
		goto undo;
	r = run_job(bus, "StartUnit", unit, false, &started, err, errlen);
	if (r < 0)
		goto undo;

	*ret = TAKE_PTR(p);
	goto out;

undo:
	if (started) {
		char ignore[256];

		if (run_job(bus, "StopUnit", unit, true, NULL, ignore, sizeof(ignore)) < 0)
			append_error(err, errlen, "undo: %s", ignore);
	}
	if (enabled) {
		char ignore[256];

		if (unit_file_call(bus, unit, false, ignore, sizeof(ignore)) < 0)
			append_error(err, errlen, "undo: %s", ignore);
	}
	if (written) {
		if (unlink(p->unit_path) < 0 && errno != ENOENT)
			append_error(err, errlen, "undo: cannot remove %s: %m", p->unit_path);
		else {
			_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (dfd >= 0)
				fsync(dfd);
		}
		{
			char ignore[256];

			if (manager_reload(bus, ignore, sizeof(ignore)) < 0)
				append_error(err, errlen, "undo: %s", ignore);
		}
	}
	if (started)
		reset_failed(bus, unit);
	/* Only directories this call made; a mountpoint that existed stays. */
	undo_mkdir(&made, err, errlen);
out:
	created_dirs_clear(&made);
	smoothfs_managed_pool_free(p);
	if (bus)
		sd_bus_flush_close_unref(bus);
	return r;
}

int smoothfs_destroy_managed_pool(const struct smoothfs_managed_pool *p, char *err, size_t errlen)
{
	_cleanup_free_ char *expect = NULL;
	sd_bus *bus = NULL;
	const char *unit, *slash;
	char more[512];
	int r, first = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!p || !p->unit_path || p->unit_path[0] != '/')
		return smoothfs__error(err, errlen, -EINVAL, "no unit path given");
	slash = strrchr(p->unit_path, '/');
	unit = slash + 1;

	/* Refuse to stop and remove a unit that is not this pool's. */
	if (!p->mountpoint)
		return smoothfs__error(err, errlen, -EINVAL, "no mountpoint given");
	r = smoothfs_unit_filename_for(p->mountpoint, &expect);
	if (r < 0)
		return smoothfs__error(err, errlen, r, "mountpoint %s has no systemd unit name",
				       p->mountpoint);
	if (strcmp(expect, unit) != 0 || strcmp(unit, "-.mount") == 0)
		return smoothfs__error(err, errlen, -EINVAL,
				       "unit path %s does not belong to mountpoint %s (expected %s)",
				       p->unit_path, p->mountpoint, expect);

	r = open_bus(&bus, err, errlen);
	if (r < 0)
		return r;

	/* Every step runs; the first failure is the one reported. */
	r = run_job(bus, "StopUnit", unit, true, NULL, err, errlen);
	if (r < 0)
		first = r;

	r = unit_file_call(bus, unit, false, more, sizeof(more));
	/* A unit file that is already gone has nothing to disable. */
	if (r < 0 && r != -ENOENT) {
		if (!first)
			first = smoothfs__error(err, errlen, r, "%s", more);
		else
			append_error(err, errlen, "%s", more);
	}

	if (unlink(p->unit_path) < 0 && errno != ENOENT) {
		r = -errno;
		if (!first)
			first = smoothfs__error(err, errlen, r, "cannot remove %s: %s",
						p->unit_path, strerror(-r));
		else
			append_error(err, errlen, "cannot remove %s: %s", p->unit_path, strerror(-r));
	}

	r = manager_reload(bus, more, sizeof(more));
	if (r < 0) {
		if (!first)
			first = smoothfs__error(err, errlen, r, "%s", more);
		else
			append_error(err, errlen, "%s", more);
	}
	reset_failed(bus, unit);

	sd_bus_flush_close_unref(bus);
	return first;
}
