/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test hook: hold a cutover at a chosen step of the move protocol, so
 * that a crash test can stop the machine hard exactly there.
 */
#ifndef _SMOOTHFS_CRASHPOINT_H
#define _SMOOTHFS_CRASHPOINT_H

/* The steps of a cutover, in protocol order (see crashpoint.c). */
enum smoothfs_crashpoint {
	SMOOTHFS_CP_NONE,
	SMOOTHFS_CP_PLAN,		/* planned, staged copy written, before the cutover */
	SMOOTHFS_CP_COMMIT,		/* after the fsync'd journal COMMIT */
	SMOOTHFS_CP_RENAME,		/* after the rename into place */
	SMOOTHFS_CP_DIRSYNC,		/* after the fsync of the destination directory */
	SMOOTHFS_CP_SWITCH,		/* after the inode switch */
	SMOOTHFS_CP_UNLINK,		/* after the unlink of the source */
	SMOOTHFS_CP_BEFORE_DONE,	/* just before the journal DONE */
	SMOOTHFS_CP_AFTER_DONE,		/* after the journal DONE (and compaction) */
	SMOOTHFS_CP_COUNT
};

void smoothfs_crashpoint(enum smoothfs_crashpoint step);

#endif /* _SMOOTHFS_CRASHPOINT_H */
