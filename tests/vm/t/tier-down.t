#!/bin/bash
# TierDown and Reprobe (tmpfs tiers): files on an offline tier fail fast
# with EIO (open, and read/write through a descriptor opened before), their
# names still list and stat; files on the other tier keep working; new
# files avoid the offline tier; moves to or from it are refused; Reprobe
# brings it back only when its path still leads to the tier's root and it
# takes a durable write.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 25

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a73
mnt=/mnt/td
mt=$SMOOTHFS_BUILD/vm-progs/move-tool
mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs tmpfs /t0
mount -t tmpfs tmpfs /t1
load_smoothfs
mount -t smoothfs -o "pool=td,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
oidhex() { getfattr -n trusted.smoothfs.oid -e hex "$1" 2>/dev/null | sed -n 's/^trusted.smoothfs.oid=0x//p'; }

echo fast >"$mnt/a"
echo slow >"$mnt/b"
"$mt" move "$mnt/b" 1 1
[ -f /t0/a ] && [ -f /t1/b ]
ok $? "a is on tier 0, b on tier 1"
exec 8>>"$mnt/b"
exec 7<"$mnt/b"

run_ok "TierDown tier 1" -- "$mt" tier-down "$uuid" 1
run_fails "Input/output error" "opening a file on the offline tier: EIO" -- cat "$mnt/b"
run_fails "I/O error" "writing through a descriptor opened before: EIO" -- \
	sh -c 'echo more >&8'
run_fails "Input/output error" "reading through a descriptor opened before: EIO" -- \
	sh -c 'cat <&7'
is "$(ls "$mnt" | tr '\n' ' ')" "a b " "its name still lists"
is "$(stat -c %s "$mnt/b")" 5 "and stats"
is "$(cat "$mnt/a")" fast "a file on the other tier reads"
run_fails "Input/output error" "a move from the offline tier: EIO" -- "$mt" move "$mnt/b" 0 2
run_fails "Input/output error" "a move to the offline tier: EIO" -- "$mt" move "$mnt/a" 1 3
run_fails "Invalid argument" "TierDown of a tier the pool does not have: EINVAL" -- \
	"$mt" tier-down "$uuid" 5

run_ok "Reprobe tier 1" -- "$mt" reprobe "$uuid" 1
is "$(cat "$mnt/b")" slow "back online, b reads"
run_ok "TierDown tier 0" -- "$mt" tier-down "$uuid" 0
echo new >"$mnt/n"
[ -f /t1/n ] && [ ! -e /t0/n ]
ok $? "a new file avoids the offline tier 0"

# Reprobe checks that the tier's path still leads to its root.
mount -t tmpfs tmpfs /t0
run_fails "Input/output error" "Reprobe while another filesystem hides the tier: EIO" -- \
	"$mt" reprobe "$uuid" 0
run_fails "Input/output error" "the tier stays offline" -- cat "$mnt/a"
umount /t0
run_ok "Reprobe once the tier is reachable again" -- "$mt" reprobe "$uuid" 0
is "$(cat "$mnt/a") $(cat "$mnt/n")" "fast new" "both tiers work"
run_ok "and the files move again" -- "$mt" move "$mnt/a" 1 4

exec 7<&- 8>&-

# Reprobe writes: a tier whose filesystem went read-only (as ext4 does
# after an error) does not come back, though statfs still answers.
run_ok "TierDown tier 1" -- "$mt" tier-down "$uuid" 1
mount -o remount,ro /t1
run_fails "Input/output error" "Reprobe of a read-only tier: EIO" -- "$mt" reprobe "$uuid" 1
mount -o remount,rw /t1
run_ok "Reprobe once it is writable again" -- "$mt" reprobe "$uuid" 1
[ -f /t1/.smoothfs/probe ]
ok $? "the probe's file is in the tier's .smoothfs"
is "$(cat "$mnt/a")" fast "and tier 1's files read"

umount "$mnt"
umount /t0 /t1
