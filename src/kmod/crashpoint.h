/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test hook: hold a cutover at a chosen step of the move protocol, so
 * that a crash test can stop the machine hard exactly there.
 */
#ifndef _SMOOTHFS_CRASHPOINT_H
#define _SMOOTHFS_CRASHPOINT_H

/*
 * The steps of a move (see crashpoint.c): the cutover's, then the
 * close's (close.c), which come after the switch.
 */
enum smoothfs_crashpoint {
	SMOOTHFS_CP_NONE,
	SMOOTHFS_CP_PLAN,		/* planned, staged copy written, before the cutover */
	SMOOTHFS_CP_COMMIT,		/* after the fsync'd journal COMMIT */
	SMOOTHFS_CP_RENAME,		/* after the rename into place */
	SMOOTHFS_CP_DIRSYNC,		/* close: after the fsync of the destination directory */
	SMOOTHFS_CP_SWITCH,		/* after the inode switch */
	SMOOTHFS_CP_UNLINK,		/* close: after the unlink of the source and its fsync */
	SMOOTHFS_CP_BEFORE_DONE,	/* just before the journal DONE */
	SMOOTHFS_CP_AFTER_DONE,		/* after the journal DONE (and compaction) */
	SMOOTHFS_CP_COUNT
};

void smoothfs_crashpoint(enum smoothfs_crashpoint step);

#endif /* _SMOOTHFS_CRASHPOINT_H */
