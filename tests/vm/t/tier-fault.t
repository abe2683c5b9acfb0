#!/bin/bash
# Tier faults: tier 1 is ext4 on a device-mapper disk that is switched to
# the "error" target under a mounted pool.  Reads of a file on it fail
# with EIO and send TIER_FAULT events for tier 1, at most one a second
# however many errors there are; every error is counted in sysfs; tier 0
# keeps working.  Uses the harness's virtio disk disk0.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 15

tool=$SMOOTHFS_BUILD/vm-progs/nl-tool
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b
mnt=/mnt/pool
sys=/sys/fs/smoothfs/$uuid
events=/tmp/fault-events
export DM_DISABLE_UDEV=1
sectors=131072	# 64 MiB

modprobe dm_mod
disk=$(vm_disk disk0)
run_ok "a linear device-mapper disk over $disk" -- \
	dmsetup create --noudevsync smfault --table "0 $sectors linear $disk 0"
mkfs.ext4 -q -F /dev/mapper/smfault
mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs -o size=64m tmpfs /t0
mkdir /t0/hot	# only on tier 0: names in it are not looked up on tier 1
mount -o noatime,errors=continue /dev/mapper/smfault /t1
head -c 1048576 /dev/urandom >/t1/cold
sync
load_smoothfs

$tool events 0 600000 >"$events" 2>&1 &
evpid=$!
for _ in $(seq 100); do grep -q subscribed "$events" && break; sleep 0.1; done
mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
is "$(cat "$mnt/cold" | wc -c)" 1048576 "a file on tier 1 reads while the disk works"
is "$(cat "$sys/tier_faults")" 0 "no fault yet"

# Keep the dentries and inodes of the file and of a directory that is
# only on tier 0 in memory (a lookup in the root would search tier 1 and
# fail), then fail the disk and drop the page cache: the next reads go to
# the disk.
exec 3<"$mnt/cold" 5<"$mnt/hot"
dmsetup suspend --noudevsync smfault &&
	dmsetup reload --noudevsync smfault --table "0 $sectors error" &&
	dmsetup resume --noudevsync smfault
ok $? "the disk now fails every I/O"
echo 3 >/proc/sys/vm/drop_caches

start=$(date +%s%N)
eio=0
for _ in $(seq 20); do
	out=$(cat "$mnt/cold" 2>&1 >/dev/null)
	printf '%s' "$out" | grep -q "Input/output error" && eio=$((eio + 1))
done
secs=$((($(date +%s%N) - start + 999999999) / 1000000000))
is "$eio" 20 "20 reads fail with EIO (in ${secs}s)"
sleep 1
faults=$(cat "$sys/tier_faults")
held=$(cat "$sys/tier_faults_suppressed")
sent=$(grep -c '^event=12 ' "$events")
is "$faults" 20 "tier_faults counts every error"
[ "$sent" -ge 1 ] && [ "$sent" -le $((secs + 1)) ]
ok $? "rate-limited: $sent events for 20 errors in ${secs}s"
is "$((sent + held))" "$faults" "tier_faults_suppressed counts the errors without an event ($held)"
fsid=$(grep -m1 '^event=12 ' "$events" | sed -n 's/.* fsid=\([0-9a-f]*\) .*/\1/p')
grep -q "^event=12 pool=$uuid name=tank fsid=[0-9a-f]\{8\} tier=1$" "$events"
ok $? "TIER_FAULT names the pool, its fsid ($fsid) and tier 1"
is "$(grep -c '^event=12 .* tier=0$' "$events")" 0 "no fault on tier 0"

sleep 1.2
before=$sent
! cat "$mnt/cold" >/dev/null 2>&1
ok $? "another read fails"
sleep 0.5
is "$(grep -c '^event=12 ' "$events")" $((before + 1)) "a second later, a new error sends a new event"

echo hot >"$mnt/hot/new"
is "$(cat /t0/hot/new)" hot "tier 0 keeps working"
is "$(cat "$sys/tier_faults")" 21 "a successful write is no fault"

exec 3<&- 5<&-
umount "$mnt"
kill "$evpid"
wait "$evpid" 2>/dev/null
sed -n '/^event=/p' "$events" | sed 's/^/# /'
umount /t1 2>/dev/null
umount /t0
dmsetup remove --noudevsync smfault
run_ok "the module unloads" -- rmmod smoothfs
