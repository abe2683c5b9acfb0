#!/bin/bash
# The smoothfs demonstration, run in the VM by `make demo`.
#
# Today it shows the module loading on a Debian kernel and registering the
# smoothfs filesystem type and its control interface; it grows into a full
# tiering demonstration (a pool on real disks, files moving between tiers
# while in use) as the filesystem lands.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

say() { printf '# %s\n' "$@"; }

plan 4
say "Kernel $(uname -r) in QEMU, loading $(basename "$SMOOTHFS_KO")"
run_ok "smoothfs.ko loads" -- insmod "$SMOOTHFS_KO"
say "$(dmesg | grep -m1 'smoothfs: version')"

say "" "Filesystem types the kernel now knows (smoothfs among them):"
grep -P '\tsmoothfs$' /proc/filesystems | sed 's/^/#   /'
grep -qP '\tsmoothfs$' /proc/filesystems
ok $? "the smoothfs filesystem type is registered"

say "" "The control interface, a generic netlink family, as the daemon sees it:"
genl ctrl get name smoothfs | sed 's/^/#   /'
genl ctrl get name smoothfs >/dev/null 2>&1
ok $? "the smoothfs generic netlink family is registered"

run_ok "smoothfs.ko unloads" -- rmmod smoothfs
