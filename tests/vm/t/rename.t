#!/bin/bash
# Hard links and rename across tiers on three tmpfs tiers (the steps are
# in tests/vm/rename-lib.sh).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/rename-lib.sh"

plan $((RENAME_PER_ROUND + 1))

mkdir -p /t0 /t1 /t2 "$mnt"
load_smoothfs
mount -t tmpfs tmpfs /t0
mount -t tmpfs tmpfs /t1
mount -t tmpfs tmpfs /t2
round tmpfs
umount /t0 /t1 /t2
run_ok "the module unloads" -- rmmod smoothfs
