#!/bin/bash
# Hard links and rename across tiers on real filesystems: ext4 (disk0),
# xfs (disk1) and ext4 (disk2), from the harness's default four virtio
# disks (the steps are in tests/vm/rename-lib.sh).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/rename-lib.sh"

plan $((RENAME_PER_ROUND + 1))

mkdir -p /t0 /t1 /t2 "$mnt"
load_smoothfs
modprobe -a ext4 xfs
mkfs.ext4 -q -F "$(vm_disk disk0)" && mount "$(vm_disk disk0)" /t0 && rmdir /t0/lost+found
mkfs.xfs -q -f "$(vm_disk disk1)" && mount "$(vm_disk disk1)" /t1
mkfs.ext4 -q -F "$(vm_disk disk2)" && mount "$(vm_disk disk2)" /t2 && rmdir /t2/lost+found
round ext4+xfs+ext4
umount /t0 /t1 /t2
run_ok "the module unloads" -- rmmod smoothfs
