#!/bin/bash
# Directories with copies on several tiers: their identity (OID, st_ino,
# d_ino, pin) does not change when a faster tier gets a copy, when the
# dentry is reclaimed or across a remount, whatever OIDs adopted copies
# carry; and their mtime/ctime follow a change made on any tier.
# Three tmpfs tiers; no disks needed.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 25

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4d01
mnt=/mnt/pool
mkdir -p /t0 /t1 /t2 "$mnt"
mount -t tmpfs -o size=16m tmpfs /t0
mount -t tmpfs -o size=16m tmpfs /t1
mount -t tmpfs -o size=16m tmpfs /t2

oid() { getfattr -e hex -n trusted.smoothfs.oid --absolute-names "$1" 2>/dev/null |
	sed -n 's/^trusted.smoothfs.oid=//p'; }
# d_ino of NAME as readdir of DIR reports it.
d_ino() { python3 -c 'import os,sys
print(next(e.inode() for e in os.scandir(sys.argv[1]) if e.name == sys.argv[2]))' "$1" "$2"; }
ctime_ns() { python3 -c 'import os,sys; print(os.stat(sys.argv[1]).st_ctime_ns)' "$1"; }
drop() { sync; echo 2 >/proc/sys/vm/drop_caches; }
mnt_pool() { mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1:/t2" none "$mnt"; }

# Adopted trees: deep/sub only on tier 2; dup on tiers 0 and 1 with
# different OIDs; old on tiers 0 and 1, the OID only on tier 1 (a copy
# made by an older module); pinned only on tier 2.
mkdir -p /t2/deep/sub /t0/dup /t1/dup /t0/old /t1/old /t2/pinned
setfattr -n trusted.smoothfs.oid -v 0x0190000000007000800000000000d0a0 /t0/dup
setfattr -n trusted.smoothfs.oid -v 0x0190000000007000800000000000d0a1 /t1/dup
setfattr -n trusted.smoothfs.oid -v 0x0190000000007000800000000000c01d /t1/old
load_smoothfs
mnt_pool

ino=$(stat -c %i "$mnt/deep")
sub_ino=$(stat -c %i "$mnt/deep/sub")
deep_oid=$(oid /t2/deep)
echo x >"$mnt/deep/sub/f"
[ -f /t0/deep/sub/f ] && [ -d /t2/deep/sub ]
ok $? "a file created in a tier-2 directory lands on tier 0, the directory gets a copy there"
is "$(oid /t0/deep)" "$deep_oid" "the new copy carries the directory's OID"
is "$(oid /t0/deep/sub)" "$(oid /t2/deep/sub)" "and so does every materialised parent"
is "$(stat -c %i "$mnt/deep")" "$ino" "st_ino right after materialising"
drop
is "$(stat -c %i "$mnt/deep")" "$ino" "st_ino after drop_caches (lookup now finds tier 0 first)"
is "$(stat -c %i "$mnt/deep/sub")" "$sub_ino" "st_ino of the child directory after drop_caches"
is "$(oid "$mnt/deep")" "$deep_oid" "trusted.smoothfs.oid through the mount is unchanged"
drop
is "$(d_ino "$mnt" deep)" "$ino" "readdir's d_ino equals st_ino"
is "$(oid /t0/deep)" "$deep_oid" "nothing re-minted the tier-0 copy's OID"

# Adopted copies with different OIDs: the fastest one's, every time.
dup_ino=$(stat -c %i "$mnt/dup")
is "$(oid "$mnt/dup")" 0x0190000000007000800000000000d0a0 "copies with different OIDs: the fastest tier's wins"
drop
is "$(stat -c %i "$mnt/dup")" "$dup_ino" "and does not flip after drop_caches"
drop
is "$(d_ino "$mnt" dup)" "$dup_ino" "readdir agrees"
is "$(oid /t1/dup)" 0x0190000000007000800000000000d0a1 "the slower copy keeps its own OID"

# A copy without an OID next to one with: the existing OID, never a new one.
drop
is "$(d_ino "$mnt" old)" "$(stat -c %i "$mnt/old")" "a copy without an OID: d_ino equals st_ino"
is "$(oid "$mnt/old")" 0x0190000000007000800000000000c01d "the OID a slower copy carries is the directory's"
is "$(oid /t0/old)" 0x0190000000007000800000000000c01d "and the copy without one is given it"

# Pins go to every copy.
setfattr -n trusted.smoothfs.pin -v pin_hot "$mnt/pinned"
touch "$mnt/pinned/f"
is "$(getfattr -n trusted.smoothfs.pin --only-values /t0/pinned 2>/dev/null)" pin_hot \
	"a materialised copy carries the directory's pin"
setfattr -n trusted.smoothfs.pin -v pin_cold "$mnt/pinned"
is "$(getfattr -n trusted.smoothfs.pin --only-values /t0/pinned 2>/dev/null) $(getfattr -n trusted.smoothfs.pin --only-values /t2/pinned 2>/dev/null)" \
	"pin_cold pin_cold" "a pin set later reaches every copy"

umount "$mnt"
echo 3 >/proc/sys/vm/drop_caches
mnt_pool
is "$(stat -c %i "$mnt/deep") $(stat -c %i "$mnt/deep/sub") $(stat -c %i "$mnt/dup")" \
	"$ino $sub_ino $dup_ino" "st_ino of directories survives unmount and mount"
is "$(getfattr -n trusted.smoothfs.pin --only-values "$mnt/pinned" 2>/dev/null)" pin_cold \
	"and so does the pin"

# mtime/ctime: a change on a tier other than the canonical one.  Fill
# tier 0 (behind the pool's back, in its hidden directory) so new files
# spill to tier 1; arch exists on tiers 0 and 1 with old times.
mkdir -p /t0/arch /t1/arch /t0/.smoothfs
touch -d 2001-01-01 /t0/arch /t1/arch
dd if=/dev/zero of=/t0/.smoothfs/fill bs=64k status=none 2>/dev/null
sleep 1.2	# free space is cached for a second
t_old=$(stat -c %Y "$mnt/arch")
touch -d 2001-01-01 /t0/arch /t1/arch
c_old=$(ctime_ns "$mnt/arch")
sleep 0.1
echo y >"$mnt/arch/spilled"
[ -f /t1/arch/spilled ] && [ ! -e /t0/arch/spilled ]
ok $? "the new file spilled to tier 1"
t_new=$(stat -c %Y "$mnt/arch")
[ "$t_new" -gt "$(date -d 2001-01-02 +%s)" ]
ok $? "the directory's mtime advanced ($t_old -> $t_new)"
[ "$(ctime_ns "$mnt/arch")" -gt "$c_old" ]
ok $? "and its ctime"
touch -d 2001-01-01 /t0/arch /t1/arch
rm "$mnt/arch/spilled"
[ "$(stat -c %Y "$mnt/arch")" -gt "$(date -d 2001-01-02 +%s)" ]
ok $? "removing a name on tier 1 advances the mtime too"

umount "$mnt"
umount /t0 /t1 /t2
run_ok "the module unloads" -- rmmod smoothfs
