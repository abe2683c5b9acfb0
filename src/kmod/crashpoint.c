// SPDX-License-Identifier: GPL-2.0-only
/*
 * Crash injection for the tests: the module parameter crash_hold (0600,
 * empty by default) names one step of the cutover.  The next cutover to
 * reach that step logs
 *
 *   smoothfs: cutover held at step <name> (test hook)
 *
 * and sleeps there (killable, at most crash_hold_max seconds) so that
 * the test can stop the machine hard (sysrq b) in exactly that state.
 * The steps of a move's close run in a worker (close.c), which no signal
 * reaches: any write of the parameter releases a held step.  The hook is
 * one-shot: it disarms itself when it fires, so concurrent cutovers
 * pass.  Writing an unknown name fails with EINVAL and changes nothing;
 * "" or "none" disarms it.
 *
 * Off, the cost of a step is one atomic read.
 */
#include <linux/atomic.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/wait.h>

#include "crashpoint.h"

/* The names of the steps, as written to the parameter. */
static const char *const smoothfs_cp_names[SMOOTHFS_CP_COUNT] = {
	[SMOOTHFS_CP_NONE]		= "none",
	[SMOOTHFS_CP_PLAN]		= "plan",
	[SMOOTHFS_CP_COMMIT]		= "commit",
	[SMOOTHFS_CP_RENAME]		= "rename",
	[SMOOTHFS_CP_DIRSYNC]		= "dirsync",
	[SMOOTHFS_CP_SWITCH]		= "switch",
	[SMOOTHFS_CP_UNLINK]		= "unlink",
	[SMOOTHFS_CP_BEFORE_DONE]	= "before-done",
	[SMOOTHFS_CP_AFTER_DONE]	= "after-done",
};

static atomic_t smoothfs_cp_armed = ATOMIC_INIT(SMOOTHFS_CP_NONE);
/* Bumped by every write of the parameter: it releases a held step. */
static atomic_t smoothfs_cp_release = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(smoothfs_cp_wait);

static unsigned int crash_hold_max = 120;
module_param(crash_hold_max, uint, 0600);
MODULE_PARM_DESC(crash_hold_max, "Test hook: longest hold of a cutover at crash_hold (s, max 600)");

static int smoothfs_cp_set(const char *val, const struct kernel_param *kp)
{
	size_t len = strcspn(val, "\n");
	int i, step = -1;

	if (len == 0)
		step = SMOOTHFS_CP_NONE;
	for (i = 0; step < 0 && i < SMOOTHFS_CP_COUNT; i++)
		if (strlen(smoothfs_cp_names[i]) == len && !strncmp(val, smoothfs_cp_names[i], len))
			step = i;
	if (step < 0)
		return -EINVAL;
	atomic_set(&smoothfs_cp_armed, step);
	atomic_inc(&smoothfs_cp_release);
	wake_up_all(&smoothfs_cp_wait);
	return 0;
}

static int smoothfs_cp_get(char *buf, const struct kernel_param *kp)
{
	int step = atomic_read(&smoothfs_cp_armed);

	return sysfs_emit(buf, "%s\n", smoothfs_cp_names[step]);
}

static const struct kernel_param_ops smoothfs_cp_ops = {
	.set = smoothfs_cp_set,
	.get = smoothfs_cp_get,
};

module_param_cb(crash_hold, &smoothfs_cp_ops, NULL, 0600);
MODULE_PARM_DESC(crash_hold,
		 "Test hook: hold the next cutover at this step (none, plan, commit, rename, dirsync, switch, unlink, before-done, after-done)");

/*
 * A step of a move: if the hook is armed for @step, disarm it, log and
 * sleep.  The caller may hold the smoothfs inode lock, or (a close) the
 * closer's run_lock, but no spinlock.
 */
void smoothfs_crashpoint(enum smoothfs_crashpoint step)
{
	unsigned int secs;
	int release;

	if (likely(atomic_read(&smoothfs_cp_armed) != step))
		return;
	if (atomic_cmpxchg(&smoothfs_cp_armed, step, SMOOTHFS_CP_NONE) != step)
		return;		/* another cutover took it */
	secs = min(READ_ONCE(crash_hold_max), 600U);
	release = atomic_read(&smoothfs_cp_release);
	pr_warn("cutover held at step %s (test hook)\n", smoothfs_cp_names[step]);
	/* A close's hold runs in a worker, which no signal reaches. */
	wait_event_killable_timeout(smoothfs_cp_wait,
				    atomic_read(&smoothfs_cp_release) != release, secs * HZ);
	pr_warn("cutover released from step %s (test hook)\n", smoothfs_cp_names[step]);
}
