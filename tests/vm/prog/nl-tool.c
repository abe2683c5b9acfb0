// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A small command-line front end to libsmoothfs for the VM tests:
 *
 *   nl-tool list                     one line per mounted pool
 *   nl-tool inspect UUID OID-HEX     key=value lines
 *   nl-tool events COUNT TIMEOUT-MS [TYPE,...]
 *                                    subscribe, print "subscribed", then
 *                                    one line per event until COUNT (0:
 *                                    until no event for TIMEOUT-MS, then
 *                                    "quiet"); a heat sample is followed
 *                                    by one "heat ..." line per record.
 *                                    With TYPEs (event ids), other events
 *                                    are skipped and not counted.  An
 *                                    overflow of the socket (-ENOBUFS)
 *                                    prints "overrun" and goes on.
 *                                    NL_TOOL_RCVBUF=BYTES shrinks the
 *                                    receive buffer, NL_TOOL_DELAY_MS=N
 *                                    sleeps after each event: a slow
 *                                    listener, for the tests.
 *
 * Exit status: 0, or 1 with the library's reason on stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <smoothfs/smoothfs.h>

static int fail(smoothfs_client *c, const char *what, int r)
{
	fprintf(stderr, "%s: %d (%s)\n", what, r, c ? smoothfs_client_last_error(c) : strerror(-r));
	return 1;
}

static int cmd_list(smoothfs_client *c)
{
	struct smoothfs_pool_info *p;
	char uuid[SMOOTHFS_UUID_STRING_MAX];
	size_t n;
	int r = smoothfs_list_pools(c, &p, &n);

	if (r < 0)
		return fail(c, "list_pools", r);
	for (size_t i = 0; i < n; i++) {
		smoothfs_uuid_to_string(&p[i].uuid, uuid);
		printf("%s %s spill=%d", uuid, p[i].name, p[i].any_spill_since_mount);
		for (size_t t = 0; t < p[i].n_tiers; t++)
			printf(" %u:%s", p[i].tiers[t].rank, p[i].tiers[t].path);
		printf("\n");
	}
	smoothfs_pool_info_free(p, n);
	return 0;
}

static int cmd_inspect(smoothfs_client *c, const char *uuid_s, const char *oid_s)
{
	struct smoothfs_inspect_result res;
	smoothfs_uuid_t uuid;
	smoothfs_oid_t oid;
	int r;

	if (smoothfs_uuid_from_string(uuid_s, &uuid) < 0 || smoothfs_oid_from_hex(oid_s, &oid) < 0)
		return fail(NULL, "bad uuid or oid", -EINVAL);
	r = smoothfs_inspect(c, &uuid, &oid, &res);
	if (r < 0)
		return fail(c, "inspect", r);
	printf("tier=%u\nintended=%u\nstate=%s\npin=%s\ngeneration=%u\nhas_write_seq=%d\n"
	       "rel_path=%s\ntier_path=%s\nwrite_seq=%" PRIu64 "\nseq=%" PRIu64 "\n",
	       res.current_tier, res.intended_tier,
	       smoothfs_movement_state_to_string(res.movement_state),
	       smoothfs_pin_state_to_string(res.pin_state), res.generation, res.has_write_seq,
	       res.rel_path ? res.rel_path : "", res.current_tier_path ? res.current_tier_path : "",
	       res.write_seq, res.transaction_seq);
	smoothfs_inspect_result_clear(&res);
	return 0;
}

/* Whether event @type is in the comma-separated list @types (NULL: all). */
static int wanted(const char *types, unsigned int type)
{
	char *end;

	while (types && *types) {
		if (strtoul(types, &end, 10) == type && end != types)
			return 1;
		types = *end ? end + 1 : end;
	}
	return !types;
}

static int cmd_events(smoothfs_client *c, int count, int timeout_ms, const char *types)
{
	char uuid[SMOOTHFS_UUID_STRING_MAX], oid[SMOOTHFS_OID_HEX_MAX];
	struct smoothfs_event *ev;
	const char *rcvbuf = getenv("NL_TOOL_RCVBUF"), *delay = getenv("NL_TOOL_DELAY_MS");
	struct timespec pause = { 0 };
	int r = smoothfs_subscribe(c);

	if (r < 0)
		return fail(c, "subscribe", r);
	if (rcvbuf && setsockopt(smoothfs_event_fd(c), SOL_SOCKET, SO_RCVBUF,
				 &(int){ atoi(rcvbuf) }, sizeof(int)) < 0)
		return fail(NULL, "NL_TOOL_RCVBUF", -errno);
	if (delay) {
		pause.tv_sec = atoi(delay) / 1000;
		pause.tv_nsec = (long)(atoi(delay) % 1000) * 1000000;
	}
	printf("subscribed\n");
	fflush(stdout);
	for (int seen = 0; count == 0 || seen < count; seen++) {
		r = smoothfs_receive(c, timeout_ms, &ev);
		if (r == -ETIMEDOUT && count == 0) {
			printf("quiet\n");
			return 0;
		}
		if (r == -ENOBUFS) {
			printf("overrun\n");
			seen--;
			continue;
		}
		if (r < 0)
			return fail(c, "receive", r);
		if (!wanted(types, ev->type)) {
			smoothfs_event_free(ev);
			seen--;
			continue;
		}
		smoothfs_uuid_to_string(&ev->pool_uuid, uuid);
		printf("event=%u pool=%s", ev->type, uuid);
		if (ev->pool_name)
			printf(" name=%s", ev->pool_name);
		if (ev->type == SMOOTHFS_EVENT_MOUNT_READY)
			printf(" tiers=%zu", ev->n_tiers);
		if (ev->type == SMOOTHFS_EVENT_SPILL) {
			smoothfs_oid_to_hex(&ev->spill.oid, oid);
			printf(" oid=%s from=%u to=%u", oid, ev->spill.source_tier, ev->spill.dest_tier);
		}
		if (ev->type == SMOOTHFS_EVENT_TIER_FAULT)
			printf(" fsid=%08x tier=%u", ev->fsid, ev->tier.tier_rank);
		if (ev->type == SMOOTHFS_EVENT_MOVE_STATE) {
			smoothfs_oid_to_hex(&ev->move.oid, oid);
			printf(" oid=%s state=%s seq=%" PRIu64, oid,
			       smoothfs_movement_state_to_string(ev->move.new_state),
			       ev->move.transaction_seq);
		}
		if (ev->type == SMOOTHFS_EVENT_HEAT_SAMPLE)
			printf(" records=%zu", ev->n_heat_samples);
		printf("\n");
		for (size_t i = 0; i < ev->n_heat_samples; i++) {
			const struct smoothfs_heat_sample *h = &ev->heat_samples[i];

			smoothfs_oid_to_hex(&h->oid, oid);
			printf("heat oid=%s opens=%" PRIu32 " read=%" PRIu64 " write=%" PRIu64
			       " last_ns=%" PRIu64 " window_ns=%" PRIu64 "\n",
			       oid, h->open_count_delta, h->read_bytes_delta, h->write_bytes_delta,
			       h->last_access_ns, h->sample_window_ns);
		}
		fflush(stdout);
		smoothfs_event_free(ev);
		if (delay)
			nanosleep(&pause, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	smoothfs_client *c;
	int r;

	r = smoothfs_client_open(&c);
	if (r < 0)
		return fail(NULL, "open", r);
	if (argc == 2 && !strcmp(argv[1], "list"))
		r = cmd_list(c);
	else if (argc == 4 && !strcmp(argv[1], "inspect"))
		r = cmd_inspect(c, argv[2], argv[3]);
	else if ((argc == 4 || argc == 5) && !strcmp(argv[1], "events"))
		r = cmd_events(c, atoi(argv[2]), atoi(argv[3]), argc == 5 ? argv[4] : NULL);
	else
		r = fail(NULL, "usage: nl-tool list | inspect UUID OID | events N MS [TYPE,...]", -EINVAL);
	smoothfs_client_close(c);
	return r;
}
