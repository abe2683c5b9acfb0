#!/bin/bash
# The regular-file data path through the mount on tmpfs tiers: mmap
# coherency both ways, splice and sendfile, fallocate (plain, keep-size,
# punch hole), SEEK_DATA/SEEK_HOLE, copy_file_range within a tier, across
# tiers and across pools, reflink and dedupe (refused like the tier),
# O_DIRECT where the lower can do it (6.12 tmpfs) and EINVAL where it
# cannot (6.1 tmpfs), libaio and io_uring (fio with verification, then
# verified again on the tier), the fileattr ioctls, file locks, inotify
# and fanotify.  Results are checked on the lower tiers, not only through
# the mount.  The checks are in tests/vm/prog/datapath-suite.sh, the
# helper program in tests/vm/prog/datapath.py; datapath-disks.t runs the
# same on xfs and ext4.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/prog/datapath-suite.sh"

plan $((DATAPATH_PER_POOL + 2))

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60
uuid2=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a61
load_smoothfs

# tmpfs tiers
mkdir -p /a0 /a1 /b0 /mnt/a /mnt/b
mount -t tmpfs -o size=64m tmpfs /a0
mount -t tmpfs -o size=64m tmpfs /a1
mount -t tmpfs -o size=16m tmpfs /b0
head -c 200003 /dev/urandom >/a1/farsrc
: >/a1/far.dat
: >/a1/dio1
mount -t smoothfs -o "pool=dpa,uuid=$uuid,tiers=/a0:/a1" none /mnt/a
mount -t smoothfs -o "pool=dpb,uuid=$uuid2,tiers=/b0" none /mnt/b
suite tmpfs /mnt/a /a0 /a1

echo data >/b0/other
run_ok "copy_file_range into another pool is EXDEV" -- dp copy-range /mnt/a/src /mnt/b/x EXDEV
[ -e /b0/x ] && [ ! -s /b0/x ]
ok $? "and nothing was copied"
umount /mnt/a /mnt/b
