#!/bin/bash
# vm-timeout: 900
# smoothfsd killed with SIGKILL at every step of a move it runs for
# Pool.Move (issue 9.1): in the middle of its copy, and at each step of
# the kernel's cutover, held there by the module's test hook (crash_hold)
# in the daemon's own move thread, which the kill then wakes with a fatal
# signal pending.  After each kill the daemon is started again on the
# same database: the file reads as recorded (content, OID, st_ino,
# owner, mode), has exactly one lower copy, nothing is left staged, and
# the restarted daemon closed the move in its log: aborted before the
# commit, completed from the commit on.  At the end every file
# moves again, and after an unmount and a mount (journal recovery) all
# are still as recorded with the journal empty.
#
# Tiers: ext4 on disk0 (tier 0, the journal), xfs on disk1; the pool is
# mounted by hand and found by the daemon.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/crash-lib.sh"

steps=(plan commit rename dirsync switch unlink before-done after-done)
plan $((6 + 7 * (${#steps[@]} + 1) + 5))

obj=/org/smoothfs1/pool/crash
pif=org.smoothfs1.Pool
params=/sys/module/smoothfs/parameters
db=/run/smoothfsd-kill.db
log=/run/smoothfsd-kill.log
bc() { busctl --system --timeout=120 "$@"; }
manifest=/run/daemon-kill.manifest

crash_pool new
ok $? "pool on ext4 (tier 0) and xfs (tier 1), mounted by hand"
files=(copy "${steps[@]}")
for f in "${files[@]}"; do
	head -c $((300000 + RANDOM)) /dev/urandom >"$crash_mnt/f-$f" || break
done
# The copy must last long enough to be caught in the middle (TCG copies
# at tens of MB/s at best).
head -c $((384 << 20)) /dev/urandom >"$crash_mnt/f-copy" && sync
ok $? "${#files[@]} files written, one of 384 MiB"
crash_manifest "$manifest" "${files[@]/#/f-}"
ok $? "manifest recorded"

install_bus_policy
start_smoothfsd "$db" "$log"
ok $? "smoothfsd runs"
pid=$smoothfsd_pid
mountpoint_known() {
	[ "$(bc get-property org.smoothfs1 $obj $pif Mountpoint 2>&1)" = "s \"$crash_mnt\"" ]
}
for _ in $(seq 60); do mountpoint_known && break; sleep 0.5; done
mountpoint_known
ok $? "it found the pool at $crash_mnt"
echo 60 >$params/crash_hold_max
ok $? "cutovers are held at most 60 s"

# kill_and_check NAME: kill -9 the daemon (its Move call for f-NAME is
# in flight), restart it, and check f-NAME.
kill_and_check() {
	local name=$1 out
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	wait "$caller" 2>/dev/null
	ok $((!$?)) "$name: smoothfsd killed; the caller gets an error ($(head -c 100 "$caller_out"))"
	closed=$(grep -c "was interrupted" "$log")
	echo none >$params/crash_hold
	start_smoothfsd "$db" "$log"
	ok $? "$name: smoothfsd restarted on the same database"
	pid=$smoothfsd_pid
	for _ in $(seq 60); do mountpoint_known && break; sleep 0.5; done
	# Its look at the move closes it in the kernel too (the old copy goes).
	for _ in $(seq 60); do
		[ "$(grep -c "was interrupted" "$log")" -gt "$closed" ] && break
		sleep 0.5
	done
	out=$(grep "^f-$name " "$manifest" >/run/daemon-kill.one && crash_check /run/daemon-kill.one)
	ok $? "$name: f-$name as recorded, on tier '$(where "f-$name")' only"
	[ -z "$out" ] || echo "$out"
	is "$(staged)" 0 "$name: nothing staged"
	is "$(grep -c "was interrupted" "$log")" $((closed + 1)) \
		"$name: the restarted daemon closed the interrupted move in its log"
	# The kernel forgets a plan once it is cut over: from the commit on,
	# the daemon finds the file on its destination by the logged path.
	case $name in
	copy | plan) want="was interrupted; aborted" ;;
	*) want="was interrupted after its cutover: the file is on tier 1" ;;
	esac
	tail -n 1 < <(grep "was interrupted" "$log") | grep -qF "$want"
	ok $? "$name: and logged it as \"$want\""
}

# --- in the middle of the copy -------------------------------------------------
stage_growing() { [ -n "$(find /c1/.smoothfs/stage -type f -size +1M 2>/dev/null)" ]; }
caller_out=/run/daemon-kill.copy.out
bc call org.smoothfs1 $obj $pif Move 'sya{sv}' "$crash_mnt/f-copy" 1 0 >"$caller_out" 2>&1 &
caller=$!
for _ in $(seq 300); do stage_growing && break; sleep 0.1; done
stage_growing
ok $? "copy: the staged copy is being written"
kill_and_check copy

# --- at each step of the cutover ----------------------------------------------
for s in "${steps[@]}"; do
	dmesg -c >/dev/null
	echo "$s" >$params/crash_hold
	caller_out=/run/daemon-kill.$s.out
	bc call org.smoothfs1 $obj $pif Move 'sya{sv}' "$crash_mnt/f-$s" 1 0 >"$caller_out" 2>&1 &
	caller=$!
	wait_dmesg "cutover held at step $s (test hook)" 60
	ok $? "$s: the daemon's cutover is held there"
	kill_and_check "$s"
done
sed 's/^/# daemon: /' "$log" | grep -E "move|abort|recover" | tail -n 30

# --- afterwards ------------------------------------------------------------------
bad=0
for f in "${files[@]}"; do
	t=$(where "f-$f")
	out=$(bc call org.smoothfs1 $obj $pif Move 'sya{sv}' "$crash_mnt/f-$f" $((1 - t)) 0 2>&1) ||
		{ echo "# f-$f: $out"; bad=1; }
done
ok $bad "every file moves again"
counters() {
	echo "$(bc get-property org.smoothfs1 $obj $pif MovesCompleted MovesFailed | tr '\n' ' ')"
}
# Completed: the 7 cut over before their kill and the 9 just now; failed:
# the 2 aborted.
is "$(counters)" "t 16 t 2 " "MovesCompleted and MovesFailed count them so"
kill "$pid"
wait "$pid" 2>/dev/null
umount "$crash_mnt" && mount -t smoothfs -o "$crash_opts" none "$crash_mnt"
ok $? "unmount and mount again (journal recovery)"
out=$(crash_check "$manifest")
ok $? "every file as recorded, with one lower copy"
[ -z "$out" ] || echo "$out"
is "$(journal_size):$(staged)" "0:0" "the journal is empty and nothing is staged"
crash_umount
