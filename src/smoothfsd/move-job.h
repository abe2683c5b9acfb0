/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pool.Move: the copy of one file runs on a thread of its own, so that the
 * event loop keeps serving the bus while gigabytes move; the method's reply
 * goes out when the move ends.
 */
#ifndef SMOOTHFSD_MOVE_JOB_H
#define SMOOTHFSD_MOVE_JOB_H

#include <stdint.h>
#include <systemd/sd-bus.h>

#include <smoothfs/smoothfs.h>

#include "manager.h"

/* Explicit moves in flight at once; more get -EBUSY. */
#define MOVE_JOBS_MAX 8

struct move_request {
	smoothfs_oid_t oid;
	uint8_t tier;
	unsigned int flags;	/* SMOOTHFS_MOVE_* */
	uint64_t seq;		/* logged in the store already */
	uint64_t size;
};

/*
 * Starts the move and keeps @msg to reply to; takes @file_fd (the file,
 * held open for the whole move like the engine does) in every case.
 * Returns 0 once started, or a negative errno with @e set.
 */
int move_job_start(Pool *p, sd_bus_message *msg, int file_fd, const struct move_request *req,
		   sd_bus_error *e);

#endif /* SMOOTHFSD_MOVE_JOB_H */
