/* Print every smoothfs event, one line each.  Build:
 *   cc -o watch-events watch-events.c $(pkg-config --cflags --libs smoothfs)
 * Run as root (subscribing to events needs CAP_SYS_ADMIN). */
#include <stdio.h>
#include <string.h>
#include <smoothfs/smoothfs.h>

int main(void)
{
	smoothfs_client *c = NULL;
	struct smoothfs_event *ev;
	char pool[SMOOTHFS_UUID_STRING_MAX];
	int r;

	r = smoothfs_client_open(&c);
	if (r == SMOOTHFS_ERR_NOT_LOADED) {
		fprintf(stderr, "smoothfs module not loaded\n");
		return 1;
	}
	if (r >= 0)
		r = smoothfs_subscribe(c);
	while (r >= 0 || r == -ENOBUFS || r == -EBADMSG) {
		if (r == -ENOBUFS)
			fprintf(stderr, "events lost; a daemon would resynchronise now\n");
		r = smoothfs_receive(c, -1, &ev);
		if (r < 0)
			continue;	/* -EBADMSG: that one was malformed; go on */
		smoothfs_uuid_to_string(&ev->pool_uuid, pool);
		printf("pool %s: event %u", pool, ev->type);
		if (ev->type == SMOOTHFS_EVENT_HEAT_SAMPLE)
			printf(", %zu heat records", ev->n_heat_samples);
		printf("\n");
		smoothfs_event_free(ev);
	}
	fprintf(stderr, "smoothfs: %s\n", c ? smoothfs_client_last_error(c) : strerror(-r));
	smoothfs_client_close(c);
	return 1;
}
