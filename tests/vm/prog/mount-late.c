// SPDX-License-Identifier: GPL-2.0-only
/*
 * mount-late: mount with the new mount API, waiting between creating the
 * superblock and attaching it, for the VM tests.
 *
 *   mount-late FSTYPE OPTIONS TARGET DELAY_MS
 *
 * fill_super (and smoothfs's EventMountReady) runs at FSCONFIG_CMD_CREATE;
 * the mount enters the mount table only at move_mount().  mount(8) does
 * both at once, so listeners racing the two see this window rarely; here
 * it is DELAY_MS long.  OPTIONS is "key=value,..." as for mount -o.
 * Exit status 0 on success; on failure 1 with the step and strerror.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "mount-late: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct timespec delay;
	char *opts, *opt, *save = NULL;
	long ms;
	int fs, mnt;

	if (argc != 5 || (ms = strtol(argv[4], NULL, 10)) < 0) {
		fprintf(stderr, "usage: mount-late FSTYPE OPTIONS TARGET DELAY_MS\n");
		return 2;
	}
	fs = fsopen(argv[1], FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail("fsopen");
	opts = strdup(argv[2]);
	if (!opts)
		return fail("strdup");
	for (opt = strtok_r(opts, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *value = strchr(opt, '=');

		if (value)
			*value++ = '\0';
		if (fsconfig(fs, value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, opt, value, 0) < 0)
			return fail(opt);
	}
	free(opts);
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail("FSCONFIG_CMD_CREATE");
	delay.tv_sec = ms / 1000;
	delay.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&delay, NULL);
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		return fail("fsmount");
	if (move_mount(mnt, "", AT_FDCWD, argv[3], MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return fail("move_mount");
	return 0;
}
