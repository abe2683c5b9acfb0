#!/bin/bash
# vm-timeout: 600
# A tier's disk fails under a pool that smoothfsd manages (issue 9.2):
# tier 1 is ext4 on a device-mapper disk whose sectors under one file,
# then all of them, are switched to the "error" target.
# Reads of its files fail with EIO, the kernel's TIER_FAULT reaches the
# daemon and the Pool's State becomes "degraded" over D-Bus; tier 0 keeps
# serving; a Move that reads from the failing tier fails and rolls back
# (nothing staged, the file where it was, counted in MovesFailed).  When
# the disk is back, Reconcile probes the tier and the pool is "mounted"
# again, its files read and move.  With the whole disk failing, a move
# onto the tier fails cleanly too, and the pool stays degraded (ext4 went
# read-only: the probe's write fails).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 25

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a6c
mnt=/mnt/smoothfs/faulty
obj=/org/smoothfs1/pool/faulty
pif=org.smoothfs1.Pool
bc() { busctl --system --timeout=120 "$@"; }
state() { bc get-property org.smoothfs1 $obj $pif State 2>&1; }
# wait_state STATE: up to 60 s for the pool to reach it.
wait_state() {
	local i
	for i in $(seq 120); do [ "$(state)" = "s \"$1\"" ] && return 0; sleep 0.5; done
	return 1
}
staged() { find /t0/.smoothfs/stage -type f | wc -l; }
export DM_DISABLE_UDEV=1
sectors=131072	# 64 MiB
# dm_table LINE...: the device's new table (--nolockfs: no freeze, which
# would write back to a failing disk).
dm_table() {
	dmsetup suspend --nolockfs --noudevsync smfault &&
		printf '%s\n' "$@" | dmsetup reload --noudevsync smfault &&
		dmsetup resume --noudevsync smfault
}

modprobe dm_mod
disk=$(vm_disk disk0)
dmsetup create --noudevsync smfault --table "0 $sectors linear $disk 0" &&
	mkfs.ext4 -q -F /dev/mapper/smfault && mkdir -p /t0 /t1 "$mnt" &&
	mount -t tmpfs -o size=64m tmpfs /t0 && mkdir /t0/hot &&
	mount -o noatime,errors=continue /dev/mapper/smfault /t1 &&
	head -c 1048576 /dev/urandom >/t1/cold && echo cold2 >/t1/cold2 && sync
ok $? "tier 1: ext4 on a device-mapper disk over $disk, with a file"
sum=$(md5sum </t1/cold)
# Where the file's data is on the disk, in sectors (one extent: 1 MiB,
# just written).
read -r first last < <(filefrag -b512 -e /t1/cold | awk -F'[:. ]+' '/^ *0:/ { print $5, $6 }')
bad=$first
nbad=$((last - first + 1))

load_smoothfs
install_bus_policy
start_smoothfsd /run/smoothfsd-fault.db /run/smoothfsd-fault.log
ok $? "smoothfsd runs"
pid=$smoothfsd_pid
# Mounted by hand, with 5 s between the superblock (EventMountReady) and
# its entry in the mount table: the daemon learns the mountpoint from the
# mount table's change (CI once saw mount(8) lose this race).
"$SMOOTHFS_BUILD/vm-progs/mount-late" smoothfs "pool=faulty,uuid=$uuid,tiers=/t0:/t1" \
	"$mnt" 5000 &
late=$!
wait_state mounted
ok $? "the daemon shows the pool mounted ($(state))"
pool_mountpoint() { bc get-property org.smoothfs1 $obj $pif Mountpoint 2>&1; }
is "$(pool_mountpoint)" 's ""' "before it is attached, the mountpoint is unknown"
wait "$late"
ok $? "mount-late attached it at $mnt"
for i in $(seq 20); do [ "$(pool_mountpoint)" = "s \"$mnt\"" ] && break; sleep 0.5; done
is "$(pool_mountpoint)" "s \"$mnt\"" "then the daemon knows where"
echo hot >"$mnt/hot/file"
# The names stay in memory: a lookup in the root would also search tier 1.
exec 3<"$mnt/cold" 4<"$mnt/cold2" 5<"$mnt/hot/file"
failed=$(bc get-property org.smoothfs1 $obj $pif MovesFailed | cut -d' ' -f2)

# --- bad sectors ------------------------------------------------------------
# The sectors of the file's data fail, as on a disk going bad; the
# filesystem's own blocks still work (a whole failing disk makes ext4
# abort its journal and go read-only, see below).
dm_table "0 $bad linear $disk 0" "$bad $nbad error" \
	"$((bad + nbad)) $((sectors - bad - nbad)) linear $disk $((bad + nbad))"
ok $? "sectors $bad-$((bad + nbad - 1)) (the file's data) now fail"
echo 3 >/proc/sys/vm/drop_caches
run_fails "Input/output error" "a file on tier 1 fails with EIO" -- cat "$mnt/cold"
wait_state degraded
ok $? "the TIER_FAULT reached the daemon: State is degraded ($(state))"
grep -q "tier 1 faulted" /run/smoothfsd-fault.log
ok $? "and it logged the fault"

out=$(bc call org.smoothfs1 $obj $pif Move 'sya{sv}' "$mnt/cold" 0 0 2>&1)
ok $((!$?)) "a Move reading from the failing tier fails ($out)"
[ ! -e /t0/cold ] && [ "$(staged)" = 0 ]
ok $? "and rolls back: nothing on tier 0, nothing staged"
is "$(bc get-property org.smoothfs1 $obj $pif MovesFailed)" "t $((failed + 1))" "it counts as failed"
echo more >>"$mnt/hot/file" && echo new >"$mnt/hot/new"
is "$(cat "$mnt/hot/file" "$mnt/hot/new" | tr '\n' ' ')" "hot more new " "tier 0 keeps serving"

# --- the disk comes back -----------------------------------------------------
dm_table "0 $sectors linear $disk 0"
ok $? "the disk works again"
out=$(bc call org.smoothfs1 $obj $pif Reconcile 'sa{sv}' "disk replaced" 0 2>&1)
ok $? "Reconcile ($out)"
is "$(state)" 's "mounted"' "the tier passed its probe: State is mounted"
is "$(md5sum <"$mnt/cold")" "$sum" "the file on tier 1 reads, intact"
out=$(bc call org.smoothfs1 $obj $pif Move 'sya{sv}' "$mnt/cold" 0 0 2>&1)
ok $? "and moves to tier 0 ($out)"
is "$(md5sum <"$mnt/cold") $(md5sum </t0/cold)" "$sum $sum" "intact on tier 0"

# --- the whole disk fails ------------------------------------------------------
dm_table "0 $sectors error"
out=$(bc call org.smoothfs1 $obj $pif Move 'sya{sv}' "$mnt/hot/file" 1 0 2>&1)
ok $((!$?)) "a Move onto the failing tier fails ($out)"
is "$(cat "$mnt/hot/file" | tr '\n' ' ')$(cat /t0/hot/file | tr '\n' ' ')" "hot more hot more " \
	"the file stays on tier 0, intact"
# The mover wrote to tier 1 itself, which the kernel does not see; the
# next read through the pool does.
run_fails "Input/output error" "a read of another file on tier 1 fails" -- cat "$mnt/cold2"
wait_state degraded
ok $? "State is degraded"
bc call org.smoothfs1 $obj $pif Reconcile 'sa{sv}' "not yet" 0 >/dev/null 2>&1
is "$(state)" 's "degraded"' "Reconcile while the disk fails: still degraded"

exec 3<&- 4<&- 5<&-
kill "$pid"
wait "$pid" 2>/dev/null
umount "$mnt"
dm_table "0 $sectors linear $disk 0"
umount /t1 2>/dev/null || umount -l /t1
umount /t0
dmsetup remove --noudevsync smfault 2>/dev/null
sed 's/^/# daemon: /' /run/smoothfsd-fault.log | grep -iE "fault|probe|degraded|move" | tail -n 20
