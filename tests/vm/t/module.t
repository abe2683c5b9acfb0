#!/bin/bash
# The module loads, registers the filesystem type and the generic netlink
# family with its multicast group, rejects bad mount options precisely,
# and unloads cleanly (twice, so a leak or a missed unregister shows).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 24

mnt=$(mktemp -d)
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b

# mount_fails OPTIONS DMESG-TEXT DESCRIPTION
mount_fails() {
	local out status
	dmesg -c >/dev/null
	out=$(mount -t smoothfs -o "$1" none "$mnt" 2>&1)
	status=$?
	if [ "$status" -ne 0 ] && dmesg | grep -qF -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "# mount exit $status: $out"
		dmesg | sed 's/^/# dmesg: /'
	fi
	mountpoint -q "$mnt" && umount "$mnt"
}

# A test before this one may have left the module loaded.
unload_smoothfs
for round in 1 2; do
	run_ok "insmod (round $round)" -- insmod "$SMOOTHFS_KO"
	grep -qP '^nodev\tsmoothfs$' /proc/filesystems
	ok $? "smoothfs is a registered nodev filesystem (round $round)"
	fam=$(genl ctrl get name smoothfs 2>&1)
	printf '%s\n' "$fam" | grep -q 'Version: 0x1'
	ok $? "genetlink family smoothfs, version 1 (round $round)"
	printf '%s\n' "$fam" | grep -qE "name: events\\s*$"
	ok $? "multicast group events (round $round)"
	run_ok "rmmod (round $round)" -- rmmod smoothfs
done

! genl ctrl get name smoothfs >/dev/null 2>&1
ok $? "family is gone after rmmod"
! grep -qw smoothfs /proc/filesystems
ok $? "filesystem type is gone after rmmod"

insmod "$SMOOTHFS_KO"
mount_fails "uuid=$uuid,tiers=/tmp" "missing required option pool=" "missing pool"
mount_fails "pool=tank,tiers=/tmp" "missing required option uuid=" "missing uuid"
mount_fails "pool=tank,uuid=$uuid" "missing required option tiers=" "missing tiers"
mount_fails "pool=Tank,uuid=$uuid,tiers=/tmp" 'invalid pool name "Tank"' "upper-case pool name"
mount_fails "pool=-x,uuid=$uuid,tiers=/tmp" 'invalid pool name "-x"' "pool name starting with '-'"
mount_fails "pool=tank,uuid=not-a-uuid,tiers=/tmp" 'invalid uuid "not-a-uuid"' "malformed uuid"
mount_fails "pool=tank,uuid=00000000-0000-0000-0000-000000000000,tiers=/tmp" "invalid uuid" "nil uuid"
mount_fails "pool=tank,uuid=$uuid,tiers=/a:/b:/c:/d:/e:/f:/g:/h:/i" "more than 8 tiers" "nine tiers"
mount_fails "pool=tank,uuid=$uuid,tiers=/a:relative" 'tier 1: "relative" is not an absolute path' "relative tier path"
mount_fails "pool=tank,pool=tank2,uuid=$uuid,tiers=/tmp" "pool given twice" "pool given twice"
mount_fails "pool=tank,uuid=$uuid,tiers=/tmp,colour=blue" "Unknown parameter 'colour'" "unknown option"

out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/tmp" none "$mnt" 2>&1)
status=$?
[ "$status" -ne 0 ] && ! mountpoint -q "$mnt"
ok $? "an unprivileged user cannot mount"
rmmod smoothfs
rmdir "$mnt"
