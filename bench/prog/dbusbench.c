// SPDX-License-Identifier: GPL-2.0-only
/*
 * D-Bus benchmark helper for bench/ (bench/guest/dbus.sh): one kind of
 * call to org.smoothfs1 on the system bus, back to back (each waits for
 * its reply, as a web UI refreshing a page does), for a number of
 * seconds.
 *
 *   dbusbench KIND SECONDS [POOL]
 *
 * KIND is one of
 *   ping         org.freedesktop.DBus.Peer.Ping to smoothfsd: answered by
 *                sd-bus itself, the round trip through the bus (baseline)
 *   bus-getid    org.freedesktop.DBus.GetId to the bus: the bus alone
 *   version      Get of Manager.Version
 *   pool-getall  GetAll of org.smoothfs1.Pool on POOL's object
 *   list-pools   Manager.ListPools
 *   managed      ObjectManager.GetManagedObjects (every pool's properties)
 *
 * Prints "calls_per_second replies" (replies: the size of the last
 * reply's array, pools for list-pools and managed, else 0).  Any error
 * reply fails the run: a call that fails is not a fast call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#define SERVICE "org.smoothfs1"
#define ROOT "/org/smoothfs1"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The number of elements of the array the reply @m starts with. */
static int count_array(sd_bus_message *m, const char *contents)
{
	int n = 0, r;

	r = sd_bus_message_enter_container(m, 'a', contents);
	if (r < 0)
		return r;
	while ((r = sd_bus_message_skip(m, contents)) > 0)
		n++;
	if (r < 0)
		return r;
	return n;
}

static int call(sd_bus *bus, const char *kind, const char *pool_path, int *ret_n)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r;

	*ret_n = 0;
	if (!strcmp(kind, "ping"))
		r = sd_bus_call_method(bus, SERVICE, ROOT, "org.freedesktop.DBus.Peer", "Ping", &e,
				       &reply, "");
	else if (!strcmp(kind, "bus-getid"))
		r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				       "org.freedesktop.DBus", "GetId", &e, &reply, "");
	else if (!strcmp(kind, "version"))
		r = sd_bus_call_method(bus, SERVICE, ROOT, "org.freedesktop.DBus.Properties", "Get",
				       &e, &reply, "ss", "org.smoothfs1.Manager", "Version");
	else if (!strcmp(kind, "pool-getall"))
		r = sd_bus_call_method(bus, SERVICE, pool_path, "org.freedesktop.DBus.Properties",
				       "GetAll", &e, &reply, "s", "org.smoothfs1.Pool");
	else if (!strcmp(kind, "list-pools")) {
		r = sd_bus_call_method(bus, SERVICE, ROOT, "org.smoothfs1.Manager", "ListPools", &e,
				       &reply, "");
		if (r >= 0)
			r = *ret_n = count_array(reply, "o");
	} else if (!strcmp(kind, "managed")) {
		r = sd_bus_call_method(bus, SERVICE, ROOT, "org.freedesktop.DBus.ObjectManager",
				       "GetManagedObjects", &e, &reply, "");
		if (r >= 0)
			r = *ret_n = count_array(reply, "{oa{sa{sv}}}");
	} else {
		r = -EINVAL;
		sd_bus_error_set_const(&e, "x.Usage", "unknown kind");
	}
	if (r < 0)
		fprintf(stderr, "dbusbench: %s: %s\n", kind, e.message ? e.message : strerror(-r));
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	return r;
}

int main(int argc, char **argv)
{
	char *pool_path = NULL;
	double secs, start, end;
	unsigned long calls = 0;
	sd_bus *bus = NULL;
	int r, n = 0;

	if (argc < 3 || argc > 4 || (secs = strtod(argv[2], NULL)) <= 0) {
		fprintf(stderr, "usage: dbusbench KIND SECONDS [POOL]\n");
		return 2;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "dbusbench: system bus: %s\n", strerror(-r));
		return 1;
	}
	r = sd_bus_path_encode(ROOT "/pool", argc == 4 ? argv[3] : "", &pool_path);
	if (r < 0)
		return 1;
	/* One untimed call: activation and the first lookups are not the rate. */
	if (call(bus, argv[1], pool_path, &n) < 0)
		return 1;
	start = now();
	end = start + secs;
	do {
		if (call(bus, argv[1], pool_path, &n) < 0)
			return 1;
		calls++;
	} while (now() < end);
	printf("%.1f %d\n", (double)calls / (now() - start), n);
	free(pool_path);
	sd_bus_flush_close_unref(bus);
	return 0;
}
