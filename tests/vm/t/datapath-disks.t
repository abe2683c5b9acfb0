#!/bin/bash
# The regular-file data path through the mount on real tiers: xfs with
# reflink on disk0 as tier 0, ext4 on disk1 as tier 1 (the harness's
# default disks suffice).  The same checks as datapath.t, plus reflink,
# FIEMAP and dedupe sharing extents on xfs, and O_DIRECT on both.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/prog/datapath-suite.sh"

plan "$DATAPATH_PER_POOL"

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a62
load_smoothfs
mkdir -p /x /e /mnt/d
modprobe -a ext4 xfs
mkfs.xfs -q -f -m reflink=1 "$(vm_disk disk0)" && mount "$(vm_disk disk0)" /x
mkfs.ext4 -q -F "$(vm_disk disk1)" && mount "$(vm_disk disk1)" /e && rmdir /e/lost+found
head -c 200003 /dev/urandom >/e/farsrc
: >/e/far.dat
: >/e/dio1
mount -t smoothfs -o "pool=dpd,uuid=$uuid,tiers=/x:/e" none /mnt/d
suite disks /mnt/d /x /e
umount /mnt/d /x /e
