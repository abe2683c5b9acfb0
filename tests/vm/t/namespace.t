#!/bin/bash
# Changing the namespace: create, mkdir, mknod, symlink, unlink, rmdir;
# placement on the fastest tier with room, directories materialised on
# demand with the right owner and mode, spill to slower tiers, ENOSPC
# only when every tier is full.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 28

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b
mnt=/mnt/pool
mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs -o size=8m tmpfs /t0
mount -t tmpfs -o size=64m tmpfs /t1
mkdir -p /t1/archive && chown 1000:1000 /t1/archive && chmod 2775 /t1/archive
echo old >/t1/archive/old.txt
mkdir -p /t0/both /t1/both
load_smoothfs
mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
chmod 1777 "$mnt"

echo hello >"$mnt/new.txt"
[ -f /t0/new.txt ] && [ ! -e /t1/new.txt ]
ok $? "a new file goes to the fastest tier"
is "$(getfattr -n trusted.smoothfs.oid --only-values /t0/new.txt | wc -c)" 16 \
	"a new file has its OID on the tier from the start"
is "$(cat "$mnt/new.txt")" hello "and reads back"

setpriv --reuid=1000 --regid=1000 --clear-groups sh -c "umask 027; echo x >$mnt/mine.txt"
is "$(stat -c '%u:%g %a' /t0/mine.txt)" "1000:1000 640" "a new file belongs to its creator, umask applied"

setpriv --reuid=1000 --regid=1000 --clear-groups sh -c "echo y >$mnt/archive/fresh.txt"
ok $? "a user creates a file in a directory that exists only on a slower tier"
[ -f /t0/archive/fresh.txt ]
ok $? "the file goes to the fastest tier"
is "$(stat -c '%u:%g %a' /t0/archive)" "1000:1000 2775" "the directory was materialised with its owner and mode"
is "$(ls "$mnt/archive" | tr '\n' ' ')" "fresh.txt old.txt " "both copies of the directory are listed"
is "$(stat -c %g /t0/archive/fresh.txt)" 1000 "setgid directories pass their group on"
chmod 2770 "$mnt/archive" && chown 1001:1000 "$mnt/archive"
is "$(stat -c '%u:%g %a' /t0/archive /t1/archive | tr '\n' ' ')" "1001:1000 2770 1001:1000 2770 " \
	"chmod and chown of a directory reach its copy on every tier"
chown 1000:1000 "$mnt/archive" && chmod 2775 "$mnt/archive"

mkdir -p "$mnt/a/b/c"
[ -d /t0/a/b/c ]
ok $? "mkdir -p creates the tree on the fastest tier"
ln -s new.txt "$mnt/link"
is "$(readlink /t0/link)" new.txt "symlink"
mkfifo "$mnt/fifo"
[ -p /t0/fifo ]
ok $? "mknod (fifo)"

! touch "$mnt/.smoothfs" 2>/dev/null
ok $? ".smoothfs cannot be created at the top"
is "$(ls -A /t0/.smoothfs | tr '\n' ' ')" "journal stage " "and nothing appeared on the tier"

rm "$mnt/new.txt"
[ ! -e /t0/new.txt ] && [ ! -e "$mnt/new.txt" ]
ok $? "unlink removes the file from its tier"
rm "$mnt/archive/old.txt"
[ ! -e /t1/archive/old.txt ]
ok $? "unlink of a file on a slower tier"
echo again >"$mnt/new.txt"
is "$(cat "$mnt/new.txt")" again "a name can be reused after unlink"

! rmdir "$mnt/archive" 2>/dev/null
ok $? "rmdir refuses a directory with entries on any tier"
rm "$mnt/archive/fresh.txt"
run_ok "rmdir of a directory with copies on two tiers" -- rmdir "$mnt/archive"
[ ! -e /t0/archive ] && [ ! -e /t1/archive ]
ok $? "every copy is gone"
run_ok "rmdir of an empty directory on both tiers" -- rmdir "$mnt/both"
rmdir "$mnt/a/b/c" "$mnt/a/b" "$mnt/a"
ok $? "rmdir of a tree"

# Fill the fast tier past its reserve (5%): new files spill to the slow
# tier.  Placement reads free space at most once a second, so create one
# file a second, each smaller than the reserve.
umount "$mnt"
umount /t0 && mount -t tmpfs -o size=512k tmpfs /t0
mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
n=0 spilled=0 failed=0
while [ $n -lt 40 ]; do
	dd if=/dev/zero of="$mnt/fill$n" bs=16k count=1 status=none 2>/dev/null ||
		failed=$((failed + 1))
	[ -e "/t1/fill$n" ] && spilled=$((spilled + 1))
	n=$((n + 1))
	sleep 1.05
done
[ "$spilled" -gt 0 ] && [ "$spilled" -lt 40 ]
ok $? "new files spill to the slow tier once the fast one reaches its reserve ($spilled of 40)"
is "$failed" 0 "no write failed while a tier had room"
avail=$(df --output=avail -k /t0 | tail -1 | tr -dc 0-9)
[ "$avail" -ge 8 ]
ok $? "the fast tier kept (most of) its reserve for existing files (${avail}k free)"

# Every tier full: ENOSPC.
i=0
while dd if=/dev/zero of="$mnt/big$i" bs=1M count=4 status=none 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 40 ] || break
done
out=$(dd if=/dev/zero of="$mnt/one-more" bs=1M count=1 2>&1)
printf '%s' "$out" | grep -q "No space left on device"
ok $? "ENOSPC once every tier is full"

umount "$mnt"
umount /t0 /t1
run_ok "the module unloads" -- rmmod smoothfs
