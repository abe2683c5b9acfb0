// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smoothfsd: the org.smoothfs1 system service.  See smoothfsd(8).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "errors.h"
#include "log.h"
#include "manager.h"

static void help(void)
{
	printf("smoothfsd [OPTIONS]\n\n"
	       "The smoothfs tiering service (org.smoothfs1 on the system bus).\n\n"
	       "  -h --help               show this help\n"
	       "     --version            show the version\n"
	       "     --database=PATH      SQLite state (default %s, or $SMOOTHFSD_DB)\n"
	       "     --unit-dir=DIR       where mount units are written (default %s)\n"
	       "     --mount-base=DIR     default parent of pool mountpoints (default %s)\n"
	       "     --polkit-for-root    ask polkit for privileged callers too (tests)\n",
	       SMOOTHFSD_DEFAULT_DB, SMOOTHFS_SYSTEMD_UNIT_DIR, SMOOTHFS_DEFAULT_MOUNT_BASE);
}

static int parse_argv(int argc, char *argv[], struct manager_config *c)
{
	enum { ARG_VERSION = 0x100, ARG_DATABASE, ARG_UNIT_DIR, ARG_MOUNT_BASE, ARG_POLKIT_ROOT };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "database", required_argument, NULL, ARG_DATABASE },
		{ "unit-dir", required_argument, NULL, ARG_UNIT_DIR },
		{ "mount-base", required_argument, NULL, ARG_MOUNT_BASE },
		{ "polkit-for-root", no_argument, NULL, ARG_POLKIT_ROOT },
		{}
	};
	int c_;

	c->db_path = secure_getenv("SMOOTHFSD_DB");
	while ((c_ = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c_) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("smoothfsd %s\n", SMOOTHFSD_VERSION);
			return 0;
		case ARG_DATABASE:
			c->db_path = optarg;
			break;
		case ARG_UNIT_DIR:
			if (optarg[0] != '/')
				return log_error_errno(-EINVAL, "--unit-dir needs an absolute path");
			c->unit_dir = optarg;
			break;
		case ARG_MOUNT_BASE:
			if (optarg[0] != '/')
				return log_error_errno(-EINVAL, "--mount-base needs an absolute path");
			c->mount_base = optarg;
			break;
		case ARG_POLKIT_ROOT:
			c->no_privileged_shortcut = true;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc)
		return log_error_errno(-EINVAL, "unexpected argument \"%s\"", argv[optind]);
	return 1;
}

static int run(int argc, char *argv[])
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct manager_config config = {};
	Manager *m = NULL;
	sigset_t ss;
	int r;

	log_setup();
	r = parse_argv(argc, argv, &config);
	if (r <= 0)
		return r;

	/* sd-event takes SIGTERM and SIGINT through a signalfd. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
		return log_error_errno(-errno, "sigprocmask");

	r = manager_new(&config, &m);
	if (r < 0)
		return r;
	r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
	if (r < 0) {
		log_error_errno(r, "cannot watch signals");
		goto out;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		log_error_errno(r, "cannot connect to the system bus");
		goto out;
	}
	r = manager_attach_bus(m, bus);
	if (r < 0)
		goto out;
	r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0) {
		log_error_errno(r, "cannot attach the bus to the event loop");
		goto out;
	}
	r = manager_load(m);
	if (r < 0)
		goto out;
	/* The name last: clients see the service only once its state is there. */
	r = sd_bus_request_name(bus, SMOOTHFSD_BUS_NAME, 0);
	if (r < 0) {
		log_error_errno(r, "cannot own %s", SMOOTHFSD_BUS_NAME);
		goto out;
	}
	(void)sd_notify(false, "READY=1\nSTATUS=Serving " SMOOTHFSD_BUS_NAME);
	log_info("serving %s, version %s, %u pool(s)", SMOOTHFSD_BUS_NAME, SMOOTHFSD_VERSION,
		 m->n_pools);

	r = sd_event_loop(m->event);
	if (r < 0)
		log_error_errno(r, "event loop failed");
	(void)sd_notify(false, "STOPPING=1");
	log_info("stopping");
out:
	manager_free(m);
	return r;
}

int main(int argc, char *argv[])
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
