#!/bin/bash
# A cutover that fails after its journal COMMIT, then a hard stop.  The
# staged copy was complete and fsync'd when the COMMIT went to disk, so
# recovery rolls a committed move forward to it; if the rename into
# place then fails (here: a file appears under the target name on the
# destination tier while the cutover is held at the commit step), the
# source stays the file and its writers resume.  Data written and
# fsync'd after that must survive a hard stop: the staged copy has to be
# gone for good, or the move closed on disk, before writers resume, or
# recovery replaces the file by the stale copy.
#
# Promotion xfs (tier 1) -> ext4 (tier 0, the journal and the stage);
# tier 0 is remounted with commit=300 so that nothing reaches its disk
# but what smoothfs fsyncs.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/crash-lib.sh"

phase=$(vm_phase)
state=$(vm_state)
params=/sys/module/smoothfs/parameters

if [ "$phase" = 1 ]; then
	plan 16
	crash_pool new || { echo "Bail out! cannot make the pool"; exit 1; }
	mount -o remount,commit=300 /c0
	ok $? "tier 0 (ext4) commits its journal only when asked"
	head -c 2000000 /dev/urandom >"$crash_mnt/victim"
	head -c 70000 /dev/urandom >"$crash_mnt/bystander"
	run_ok "the file goes to tier 1" -- "$mt" move "$crash_mnt/victim" 1 1
	sync

	dmesg -c >/dev/null
	echo 8 >$params/crash_hold_max
	echo commit >$params/crash_hold
	"$mt" move "$crash_mnt/victim" 0 2 >"$state/move.out" 2>&1 &
	mover=$!
	wait_dmesg "cutover held at step commit (test hook)" 60
	ok $? "the promotion is held after its commit"
	[ -s /c0/.smoothfs/journal ] && [ "$(staged)" = 1 ]
	ok $? "with its record in the journal and its copy staged"
	# The name is taken on tier 0 behind smoothfs's back: the rename fails.
	echo intruder >/c0/victim
	wait "$mover"
	status=$?
	sed 's/^/# /' "$state/move.out"
	[ "$status" != 0 ] && grep -qE "name is taken|File exists" "$state/move.out"
	ok $? "the cutover fails at the rename"
	rm /c0/victim
	is "$(where victim)" 1 "the file is still on tier 1 only"
	is "$(staged)" 0 "and nothing is staged"

	# The writer resumes on the source and fsyncs.
	head -c 300000 /dev/urandom >>"$crash_mnt/victim"
	run_ok "an append is fsync'd" -- python3 -c \
		"import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)" "$crash_mnt/victim"
	crash_manifest "$state/manifest" victim bystander
	ok $? "manifest recorded; stopping the guest hard"
	is "$(stat -c %s "$crash_mnt/victim")" 2300000 "the file has its appended bytes"
	vm_crash_reboot 2
fi


dmesg -c >/dev/null
run_ok "the pool mounts after the hard stop (recovery)" -- crash_pool old
# The intruder was created and removed on tier 0 behind smoothfs's back,
# and only its creation may have reached the disk (with the fsync of the
# stage directory): it is the test's, not the pool's, so it goes.
umount "$crash_mnt"
if [ -e /c0/victim ] && [ -z "$(oidhex /c0/victim)" ]; then
	echo "# the intruder came back ($(stat -c %s /c0/victim) bytes): removed"
	rm /c0/victim
fi
mount -t smoothfs -o "$crash_opts" none "$crash_mnt"
out=$(crash_check "$state/manifest")
ok $? "the fsync'd append survived; each file once, as recorded"
[ -z "$out" ] || echo "$out"
is "$(where victim)" 1 "the file is on tier 1 only"
is "$(staged)" 0 "nothing left in .smoothfs/stage"
is "$(journal_size)" 0 "no open transaction in the journal"
run_ok "the file moves to tier 0 now" -- "$mt" move "$crash_mnt/victim" 0 1000
crash_umount
