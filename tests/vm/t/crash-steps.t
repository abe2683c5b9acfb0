#!/bin/bash
# Crash injection at every step of the move protocol: for each step, a
# cutover is held there by the module's test hook (crash_hold), the guest
# is stopped hard (sysrq b: no sync, the page cache is lost) and booted
# again on the same disks; the pool is mounted (recovery runs) and every
# file must have exactly one lower copy, on the tier the step implies
# (the source before the journal COMMIT, the destination after it), with
# its content, OID, st_ino, owner and mode; nothing staged, no open
# transaction in the journal, and the pool moves the file again.
#
# Each step runs twice: ext4 -> xfs with nothing synced but what the
# protocol syncs, and xfs -> ext4 after a syncfs of tier 0 only (the tier
# with the journal durable, the other one not).  Tiers: ext4 on disk0
# (tier 0) and xfs on disk1 (tier 1), made afresh for each case.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/crash-lib.sh"

steps=(plan commit rename switch dirsync unlink before-done after-done)
# SMOOTHFS_T_CRASH_STEPS="after-done ...": only these steps.
[ -z "${SMOOTHFS_T_CRASH_STEPS:-}" ] || read -r -a steps <<<"$SMOOTHFS_T_CRASH_STEPS"
# SMOOTHFS_T_CRASH_DIRS="demote" or "promote": one of the two cases per step
# (make check splits them between its two kernels).
dirs=" ${SMOOTHFS_T_CRASH_DIRS:-demote promote} "
cases=()
for s in "${steps[@]}"; do
	[[ $dirs != *" demote "* ]] || cases+=("$s demote none")
	[[ $dirs != *" promote "* ]] || cases+=("$s promote tier0")
done
ncases=${#cases[@]}
per_setup=2
per_check=8
phase=$(vm_phase)
state=$(vm_state)
param=/sys/module/smoothfs/parameters/crash_hold
[ "$phase" != 1 ] || plan $((ncases * (per_setup + per_check)))

files=(victim a/b/bystander-0 a/bystander-1 top)

# Phase p checks case p-1 after its reboot, then sets up case p and stops.
if [ "$phase" -gt 1 ]; then
	read -r step dir sync <<<"${cases[$((phase - 2))]}"
	c="$step/$dir/sync $sync"
	src=$(cat "$state/src") dst=$(cat "$state/dst")
	want=$dst
	[ "$step" != plan ] || want=$src
	dmesg -c >/dev/null
	run_ok "$c: the pool mounts after the hard stop (recovery)" -- crash_pool old
	out=$(crash_check "$state/manifest")
	ok $? "$c: every file once on the lower tiers, content/OID/st_ino/owner/mode as recorded"
	[ -z "$out" ] || echo "$out"
	is "$(where victim)" "$want" "$c: the moved file is on tier $want only"
	is "$(staged)" 0 "$c: nothing left in .smoothfs/stage"
	is "$(journal_size)" 0 "$c: no open transaction in the journal"
	is "$(ls "$crash_mnt" | tr '\n' ' ')" "a top victim " "$c: the root lists each name once"
	back=$((1 - want))
	run_ok "$c: the file moves again (to tier $back)" -- \
		"$mt" move "$crash_mnt/victim" "$back" 1000
	cmp -s "$state/victim.data" "$crash_mnt/victim" && cmp -s "$state/victim.data" "${tiers[$back]}/victim" &&
		[ "$(where victim)" = "$back" ] && [ "$(staged)" = 0 ]
	ok $? "$c: and is intact on tier $back only"
	crash_umount
fi

[ "$phase" -le "$ncases" ] || exit 0

read -r step dir sync <<<"${cases[$((phase - 1))]}"
c="$step/$dir/sync $sync"
if [ "$dir" = demote ]; then src=0 dst=1; else src=1 dst=0; fi
echo "$src" >"$state/src"
echo "$dst" >"$state/dst"
crash_pool new || { echo "Bail out! cannot make the pool"; exit 1; }
mkdir -p "$crash_mnt/a/b"
head -c 3000000 /dev/urandom >"$state/victim.data"
cp "$state/victim.data" "$crash_mnt/victim"
chown 1000:1001 "$crash_mnt/victim"
chmod 640 "$crash_mnt/victim"
setfattr -n user.tag -v "$step" "$crash_mnt/victim"
for f in a/b/bystander-0 a/bystander-1 top; do
	head -c $((RANDOM * 7)) /dev/urandom >"$crash_mnt/$f"
done
seq=1
if [ "$src" = 1 ]; then
	"$mt" move "$crash_mnt/victim" 1 "$seq" || echo "# cannot put the file on tier 1"
	seq=$((seq + 1))
fi
crash_manifest "$state/manifest" "${files[@]}"
sync
dmesg -c >/dev/null
echo "$step" >"$param"
"$mt" move "$crash_mnt/victim" "$dst" "$((seq + 1))" >/dev/null 2>&1 &
wait_dmesg "cutover held at step $step (test hook)" 30
ok $? "$c: the cutover is held at step $step"
if [ "$sync" = tier0 ]; then
	sync -f /c0/.smoothfs
fi
ok $? "$c: synced $sync; stopping the guest hard"
vm_crash_reboot $((phase + 1))
