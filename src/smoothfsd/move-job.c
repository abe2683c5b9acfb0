// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pool.Move on a thread: see move-job.h.
 *
 * The thread only moves (its own netlink client, no bus, no database);
 * an eventfd hands the result back to the event loop, which logs it in
 * the store, updates the pool's counters and replies.  The pool may be
 * gone by then: the job finds it again by UUID.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine.h"
#include "errors.h"
#include "log.h"
#include "move-job.h"
#include "pool-object.h"
#include "store.h"
#include "util.h"

struct move_job {
	Manager *manager;
	sd_bus_message *msg;
	sd_event_source *done_source;
	int done_fd;		/* eventfd: the thread has finished */
	int file_fd;
	pthread_t thread;
	smoothfs_uuid_t uuid;
	char *pool_name;
	struct move_request req;
	/* Written by the thread before it signals done_fd. */
	int result;
	char *why;
};

static void move_job_free(struct move_job *j)
{
	if (!j)
		return;
	sd_event_source_disable_unref(j->done_source);
	if (j->done_fd >= 0)
		close(j->done_fd);
	if (j->file_fd >= 0)
		close(j->file_fd);
	sd_bus_message_unref(j->msg);
	free(j->pool_name);
	free(j->why);
	free(j);
}

static void *move_job_thread(void *arg)
{
	struct move_job *j = arg;
	smoothfs_client *client = NULL;
	uint64_t one = 1;
	int r;

	r = smoothfs_client_open(&client);
	if (r >= 0) {
		r = smoothfs_move_file(client, &j->uuid, &j->req.oid, j->req.tier, j->req.seq,
				       j->req.flags);
		if (r < 0)
			j->why = strdup(smoothfs_client_last_error(client));
		smoothfs_client_close(client);
	}
	j->result = r;
	(void)!write(j->done_fd, &one, sizeof(one));
	return NULL;
}

static int move_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct move_job *j = userdata;
	Manager *m = j->manager;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	char hex[SMOOTHFS_OID_HEX_MAX];
	const char *why;
	Pool *p;

	(void)s;
	(void)fd;
	(void)revents;
	pthread_join(j->thread, NULL);
	m->n_move_jobs--;
	smoothfs_oid_to_hex(&j->req.oid, hex);
	why = j->why && *j->why ? j->why : strerror(-j->result);
	(void)store_move_update(m->store, j->pool_name, j->req.seq,
				j->result < 0 ? "failed" : "done", true,
				j->result < 0 ? why : NULL);
	p = manager_find_pool_by_uuid(m, &j->uuid);
	if (j->result < 0) {
		log_full(LOG_WARNING, j->result, j->pool_name, hex, "move failed: %s", why);
		if (p) {
			p->moves_failed++;
			pool_changed(p, "MovesFailed", NULL);
		}
		smoothfs_error(&e, j->result, "move on pool %s: %s", j->pool_name, why);
		(void)sd_bus_reply_method_error(j->msg, &e);
	} else {
		log_full(LOG_INFO, 0, j->pool_name, hex, "moved to tier %u (seq %llu)",
			 j->req.tier, (unsigned long long)j->req.seq);
		if (p) {
			p->moves_completed++;
			p->bytes_moved += j->req.size;
			pool_changed(p, "MovesCompleted", "BytesMoved", NULL);
			engine_object_moved(p, &j->req.oid);
		}
		(void)sd_bus_reply_method_return(j->msg, "t", j->req.seq);
	}
	move_job_free(j);
	return 0;
}

int move_job_start(Pool *p, sd_bus_message *msg, int file_fd, const struct move_request *req,
		   sd_bus_error *e)
{
	Manager *m = p->manager;
	struct move_job *j;
	int r;

	if (m->n_move_jobs >= MOVE_JOBS_MAX) {
		close(file_fd);
		return smoothfs_error(e, -EBUSY, "%u moves are in flight already; try again later",
				      MOVE_JOBS_MAX);
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		close(file_fd);
		return smoothfs_error(e, -ENOMEM, "out of memory");
	}
	j->manager = m;
	j->file_fd = file_fd;
	j->uuid = p->uuid;
	j->req = *req;
	j->msg = sd_bus_message_ref(msg);
	j->pool_name = strdup(p->name);
	j->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!j->pool_name || j->done_fd < 0) {
		r = j->done_fd < 0 ? -errno : -ENOMEM;
		move_job_free(j);
		return smoothfs_error(e, r, "cannot start the move: %s", strerror(-r));
	}
	r = sd_event_add_io(m->event, &j->done_source, j->done_fd, EPOLLIN, move_job_done, j);
	if (r < 0) {
		move_job_free(j);
		return smoothfs_error(e, r, "cannot start the move: %s", strerror(-r));
	}
	/*
	 * The minimum residency holds from before the cutover: a plan made
	 * between the cutover and move_job_done() would see the file on its
	 * new tier with no move on record and send it straight back.
	 */
	engine_object_moved(p, &req->oid);
	r = -pthread_create(&j->thread, NULL, move_job_thread, j);
	if (r < 0) {
		move_job_free(j);
		return smoothfs_error(e, r, "cannot start the move: %s", strerror(-r));
	}
	m->n_move_jobs++;
	return 0;
}
