#!/bin/bash
# Fixes from a review of the kernel module, one section each:
#  1. create and its OID xattr under one write access to the lower mount:
#     creates racing fsfreeze/thaw of an ext4 tier (disk0) never hang;
#  2. pwritev2(RWF_APPEND) appends (and RWF_NOAPPEND on 6.12 does not);
#  3. a malformed OID on one entry or an unreadable tier (disk1 behind a
#     device-mapper "error" target) leaves that out of a listing, and the
#     rest is listed;
#  4. the tier's append-only and immutable flags hold through the mount,
#     even when set on the tier after the inode was cached;
#  5. netlink lists only completely mounted pools; EBUSY for a second
#     mount of a UUID or name;
#  6. a directory rename over an empty directory that fails on a later
#     tier (ENOSPC: no inode left to make the new parent there) leaves the
#     old target as it was.
# Uses the harness's default virtio disks disk0 and disk1.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 41

tool=$SMOOTHFS_BUILD/vm-progs/nl-tool
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a70
uuid2=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a71
mnt=/mnt/pool
sys=/sys/fs/smoothfs/$uuid
export DM_DISABLE_UDEV=1
mkdir -p /f0 /f1 /t0 /t1 /r0 /r1 "$mnt" /mnt/other
modprobe -a ext4 dm_mod
load_smoothfs

oid_of() {
	getfattr --absolute-names -e hex -n trusted.smoothfs.oid "$1" 2>/dev/null |
		sed -n 's/^trusted.smoothfs.oid=0x//p'
}

# errno name of a mount(2) with these options on /mnt/other, or "ok".
sys_mount() {
	python3 - "$1" <<-'EOF'
	import ctypes, errno, sys
	libc = ctypes.CDLL(None, use_errno=True)
	r = libc.mount(b"none", b"/mnt/other", b"smoothfs", 0, sys.argv[1].encode())
	print("ok" if r == 0 else errno.errorcode[ctypes.get_errno()])
	EOF
}

# --- 1. create against fsfreeze of the tier --------------------------------
mkfs.ext4 -q -F "$(vm_disk disk0)" && mount "$(vm_disk disk0)" /f0 && rmdir /f0/lost+found
mount -t tmpfs tmpfs /f1
mount -t smoothfs -o "pool=freeze,uuid=$uuid,tiers=/f0:/f1" none "$mnt"
echo a >"$mnt/a"
[ "$(cat /f0/a)" = a ] && [ "$(oid_of /f0/a | wc -c)" -eq 33 ]
ok $? "a create lands on the ext4 tier with its OID"

fsfreeze -f /f0
(echo b >"$mnt/b") &
cpid=$!
sleep 2
[ ! -e /f0/b ] && kill -0 "$cpid" 2>/dev/null
ok $? "a create waits while the tier is frozen"
fsfreeze -u /f0
wait "$cpid"
[ "$(cat /f0/b)" = b ] && [ "$(oid_of /f0/b | wc -c)" -eq 33 ]
ok $? "after the thaw the create completes, with its OID"

# Creates in a loop while the tier is frozen and thawed again and again.
# With the OID written under a second write access, a freeze that starts
# between the two waits for the create, which waits for the freeze.
mkdir "$mnt/race"
(for i in $(seq 400); do echo "$i" >"$mnt/race/f$i" || exit 1; done) &
cpid=$!
hung=0
for _ in $(seq 25); do
	fsfreeze -f /f0 &
	fpid=$!
	for _ in $(seq 300); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$fpid" 2>/dev/null; then
		hung=1
		break
	fi
	sleep 0.05
	fsfreeze -u /f0
	kill -0 "$cpid" 2>/dev/null || break
done
is "$hung" 0 "fsfreeze of the tier never hangs behind a create"
if [ "$hung" = 1 ]; then
	echo "Bail out! the tier is deadlocked in freeze"
	exit 1
fi
for _ in $(seq 600); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
wait "$cpid"
ok $? "400 creates raced with freezes and thaws, and all completed"
n=0
for f in /f0/race/f*; do [ "$(oid_of "$f" | wc -c)" -eq 33 ] && n=$((n + 1)); done
is "$n" 400 "every raced file is on the tier with an OID"

# --- 2. RWF_APPEND -----------------------------------------------------------
printf head >"$mnt/app"
python3 - "$mnt/app" <<-'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.pwritev(fd, [b"tail"], 0, os.RWF_APPEND)
os.close(fd)
EOF
is "$(cat /f0/app)" headtail "pwritev2(RWF_APPEND) at offset 0 appends on the tier"
if uname -r | grep -q '^6\.12'; then
	python3 - "$mnt/app" <<-'EOF'
	import os, sys
	fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
	os.pwritev(fd, [b"HE"], 0, 0x20)  # RWF_NOAPPEND
	os.close(fd)
	EOF
	is "$(cat /f0/app)" HEadtail "pwritev2(RWF_NOAPPEND) on an O_APPEND file writes at the offset"
else
	ok 0 "# SKIP RWF_NOAPPEND needs 6.9 or later"
fi

# --- 4. append-only and immutable set on the tier ---------------------------
echo data >"$mnt/log"
cat "$mnt/log" >/dev/null	# the inode is cached now
chattr +a /f0/log
run_fails "Operation not permitted" "truncating open of an append-only tier file: EPERM" -- \
	sh -c "printf x >'$mnt/log'"
run_fails "Operation not permitted" "write open without O_APPEND: EPERM" -- \
	python3 -c "import os; os.open('$mnt/log', os.O_WRONLY)"
run_fails "Operation not permitted" "truncate(2): EPERM" -- truncate -s 0 "$mnt/log"
echo more >>"$mnt/log"
is "$(cat /f0/log | tr '\n' ' ')" "data more " "appending works, and nothing else changed the file"
lsattr "$mnt/log" 2>/dev/null | cut -d' ' -f1 | grep -q a
ok $? "lsattr through the mount shows append-only"
chattr -a /f0/log && chattr +i /f0/log
run_fails "Operation not permitted" "immutable: an append is refused" -- sh -c "echo x >>'$mnt/log'"
run_fails "Operation not permitted" "immutable: unlink is refused" -- rm -f "$mnt/log"
is "$(cat /f0/log | tr '\n' ' ')" "data more " "the immutable file is unchanged"
# A flag cleared on the tier shows after the next stat (getattr copies
# the flags); the VFS checks our inode's before ->open is reached.
chattr -i /f0/log
stat "$mnt/log" >/dev/null
echo x >>"$mnt/log"
is "$(tail -n 1 /f0/log)" x "without the flag it is writable again"
echo h >"$mnt/h1" && ln "$mnt/h1" "$mnt/h2" && ln /f0/h1 /f0/h3
is "$(stat -c %h "$mnt/h1") $(stat -c %h "$mnt/h2")" "3 3" "the link count follows the tier"

umount "$mnt"
umount /f0 /f1

# --- 3. listing with a bad entry and with an unreadable tier -----------------
sectors=131072	# 64 MiB
disk=$(vm_disk disk1)
dmsetup create --noudevsync smreview --table "0 $sectors linear $disk 0"
mkfs.ext4 -q -F /dev/mapper/smreview
mount -t tmpfs tmpfs /t0
mount -o noatime,errors=continue /dev/mapper/smreview /t1 && rmdir /t1/lost+found
mkdir -p /t0/share /t1/share /t0/d
echo x >/t0/share/x
echo y >/t1/share/y
sync
mount -t smoothfs -o "pool=listing,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
echo a >"$mnt/d/a" && echo b >"$mnt/d/b"
touch /t0/d/bad && setfattr -n trusted.smoothfs.oid -v 0x0102 /t0/d/bad
dmesg -c >/dev/null
out=$(ls "$mnt/d" 2>&1)
is "$? $(echo $out)" "0 a b" "a malformed OID leaves that entry out; the rest is listed"
dmesg | grep -q "bad left out of the listing"
ok $? "the left-out entry is logged"
run_fails "Structure needs cleaning" "the entry itself: EUCLEAN" -- stat "$mnt/d/bad"

is "$(ls "$mnt/share" | tr '\n' ' ')" "x y " "a directory on both tiers lists both"
exec 6<"$mnt/share"
faults=$(cat "$sys/tier_faults")
# A freeze checkpoints the journal, so the directory's blocks can leave
# the cache and the listing has to read the failed disk.
fsfreeze -f /t1 && fsfreeze -u /t1
dmsetup suspend --noudevsync smreview &&
	dmsetup reload --noudevsync smreview --table "0 $sectors error" &&
	dmsetup resume --noudevsync smreview
echo 3 >/proc/sys/vm/drop_caches
out=$(ls "$mnt/share" 2>&1)
is "$? $(echo $out)" "0 x" "with tier 1 failing, the listing has tier 0's entries"
[ "$(cat "$sys/tier_faults")" -gt "$faults" ]
ok $? "the failing tier is reported as a tier fault"
exec 6<&-
# A tier's copy removed behind the pool's back: ENOENT from that tier.
mkdir -p /t0/gone && echo g >/t0/gone/g
umount "$mnt"
umount /t1 2>/dev/null
dmsetup remove --noudevsync smreview
mount -t tmpfs tmpfs /t1
mkdir -p /t1/gone && echo h >/t1/gone/h
mount -t smoothfs -o "pool=listing,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
is "$(ls "$mnt/gone" | tr '\n' ' ')" "g h " "a directory on both tiers"
exec 6<"$mnt/gone"
rm /t1/gone/h && rmdir /t1/gone
out=$(ls "$mnt/gone" 2>&1)
is "$? $(echo $out)" "0 g" "its copy on tier 1 removed on the tier: tier 0's entries are listed"
exec 6<&-
umount "$mnt"
umount /t1
umount /t0

# --- 5. the registry ------------------------------------------------------------
mount -t tmpfs tmpfs /t0
mount -t tmpfs tmpfs /t1
is "$(sys_mount "pool=bad,uuid=$uuid,tiers=/t0:/nonexistent")" ENOENT "a mount with a missing tier fails"
is "$($tool list)" "" "and leaves no pool behind"
mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0" none "$mnt"
is "$(sys_mount "pool=tank2,uuid=$uuid,tiers=/t1")" EBUSY "a second mount of the UUID: EBUSY"
is "$(sys_mount "pool=tank,uuid=$uuid2,tiers=/t1")" EBUSY "a second mount of the name: EBUSY"
is "$($tool list)" "$uuid tank spill=0 0:/t0" "only the mounted pool is listed"
umount "$mnt"
# Lists during mounts and unmounts: a pool shows only with all its tiers.
(for _ in $(seq 200); do $tool list; done) >/tmp/lists 2>&1 &
lpid=$!
for _ in $(seq 20); do
	mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1" none "$mnt" && umount "$mnt"
done
wait "$lpid"
grep -v -x -e "$uuid tank spill=0 0:/t0 1:/t1" -e "" /tmp/lists | head -n 3 >/tmp/odd
is "$(cat /tmp/odd)" "" "lists during 20 mounts show the pool complete or not at all"
is "$($tool list)" "" "no pool after the last unmount"
umount /t0 /t1

# --- 6. rename over an empty directory fails on a later tier -----------------------
mount -t tmpfs -o size=64m tmpfs /r0
mount -t tmpfs -o size=64m,nr_inodes=32 tmpfs /r1
mkdir -p /r0/X /r1/X /r0/D/Y /r1/fill
echo zero >/r0/X/a
echo one >/r1/X/b
chmod 0712 /r0/D/Y
for i in $(seq 64); do touch "/r1/fill/f$i" 2>/dev/null || break; done
! mkdir /r1/probe 2>/dev/null
ok $? "tier 1 has no inode left"
mount -t smoothfs -o "pool=ren,uuid=$uuid,tiers=/r0:/r1" none "$mnt"
ino=$(stat -c %i "$mnt/D/Y")
oid=$(oid_of /r0/D/Y)
out=$(python3 -c "import os; os.rename('$mnt/X', '$mnt/D/Y')" 2>&1)
printf '%s' "$out" | grep -q "No space left on device"
ok $? "renaming X (on both tiers) over D/Y (tier 0) fails: ENOSPC making D on tier 1"
[ -d "$mnt/D/Y" ] && [ "$(stat -c '%i %a' "$mnt/D/Y")" = "$ino 712" ] &&
	[ "$(oid_of /r0/D/Y)" = "$oid" ] && [ -z "$(ls -A /r0/D/Y)" ]
ok $? "the old target is still there: same inode, mode and OID"
is "$(cat "$mnt/X/a" "$mnt/X/b" | tr '\n' ' ')" "zero one " "the source is back under its name"
is "$(ls -A /r0/X | tr '\n' ' ')|$(ls -A /r1/X | tr '\n' ' ')" "a |b " "on both tiers"
rm "/r1/fill/f1"
python3 -c "import os; os.rename('$mnt/X', '$mnt/D/Y')"
ok $? "with an inode free the rename succeeds"
[ ! -e "$mnt/X" ] && [ ! -e /r0/X ] && [ ! -e /r1/X ] &&
	[ "$(cat "$mnt/D/Y/a" "$mnt/D/Y/b" | tr '\n' ' ')" = "zero one " ]
ok $? "the directory is renamed on both tiers, nothing left at the old name"
umount "$mnt"
umount /r0 /r1

run_ok "the module unloads" -- rmmod smoothfs
