#!/bin/bash
# Crash storm: several movers move random files between ext4 (tier 0)
# and xfs (tier 1) in both directions while writers append fixed records
# to their own files with an fsync after each one, noting every fsync'd
# record in the results export (which survives the stop); at a random
# moment the guest is stopped hard (sysrq b, no sync) and booted again on
# the same disks.  After recovery at mount: nothing fsync'd is lost, every
# file has its content, OID, st_ino, owner and mode and exactly one copy
# on the lower tiers, nothing is staged, no transaction is open, and the
# pool moves files again.  SMOOTHFS_T_CRASH_STORM_RUNS stops (default 3; make torture: 25),
# each on the pool the previous one left.
#
# First, the userspace side of a crash: a mover killed (kill -9) in the
# middle of its copy leaves its plan open and a partial staged copy;
# MoveAbort closes it and removes the copy.  A second killed mover is left
# alone: the first hard stop's recovery must remove its staged copy.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/crash-lib.sh"

runs=${SMOOTHFS_T_CRASH_STORM_RUNS:-3}
nmovers=4
nwriters=4
per_kill=7
per_setup=1
per_check=9
phase=$(vm_phase)
state=$(vm_state)
writer=$SMOOTHFS_SRC/tests/vm/crash-writer.py

statics=()
for d in d0 d1 d1/e d2; do
	for i in 0 1 2 3 4 5 6 7 8 9; do statics+=("$d/f$i"); done
done
logs=()
for ((k = 0; k < nwriters; k++)); do logs+=("w/log-$k"); done
all=("${statics[@]}" big "${logs[@]}")

# mover ID BASE: move random files to random tiers until stopped; every
# completed move is noted in the results export.
mover() {
	local id=$1 base=$2 i=0 f
	while :; do
		i=$((i + 1))
		f=${all[RANDOM % ${#all[@]}]}
		if "$mt" move "$crash_mnt/$f" $((RANDOM % 2)) $((base + id * 100000 + i)) async 2>/dev/null; then
			echo "$f" >>"$state/moved.$phase.$id"
		fi
	done
}

# lower_files: the regular files on the lower tiers, .smoothfs excepted.
lower_files() {
	local t
	for t in /c0 /c1; do
		find "$t" -path "$t/.smoothfs" -prune -o -type f -printf '%P\n'
	done | sort
}

if [ "$phase" = 1 ]; then
	plan $((per_kill + runs * (per_setup + per_check)))
	crash_pool new || { echo "Bail out! cannot make the pool"; exit 1; }
	mkdir -p "$crash_mnt/d0" "$crash_mnt/d1/e" "$crash_mnt/d2" "$crash_mnt/w"
	chown 1000:1000 "$crash_mnt/d1"
	for f in "${statics[@]}"; do
		head -c $((RANDOM * 5 + RANDOM % 7)) /dev/urandom >"$crash_mnt/$f"
		chown $((RANDOM % 3 + 1000)):100 "$crash_mnt/$f"
		chmod $((RANDOM % 2 ? 640 : 604)) "$crash_mnt/$f"
	done
	head -c 32M /dev/urandom >"$crash_mnt/big"
	for f in "${logs[@]}"; do : >"$crash_mnt/$f"; done
	sync

	# --- a mover killed in the middle of its copy ---------------------
	oid=$(oidhex "$crash_mnt/big")
	sum=$(sha256sum <"$crash_mnt/big")
	killed_mid_copy() {	# SEQ: start a move of big to tier 1, kill it mid-copy
		local i size=0
		"$mt" move "$crash_mnt/big" 1 "$1" 2>/dev/null &
		local pid=$!
		for ((i = 0; i < 600; i++)); do
			size=$(stat -c %s "/c1/.smoothfs/stage/$oid" 2>/dev/null || echo 0)
			[ "$size" -gt 0 ] && break
			sleep 0.02
		done
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		size=$(stat -c %s "/c1/.smoothfs/stage/$oid" 2>/dev/null || echo 0)
		[ "$size" -gt 0 ] && [ "$size" -lt $((32 << 20)) ]
	}
	killed_mid_copy 11
	ok $? "kill -9 of a mover mid-copy leaves a partial staged copy"
	run_fails "Device or resource busy" "its plan is still open (a new plan: EBUSY)" -- \
		"$mt" plan "$crash_uuid" "$oid" 1 12
	[ "$(sha256sum <"$crash_mnt/big")" = "$sum" ] && [ "$(where big)" = 0 ]
	ok $? "the file is intact and on tier 0 only"
	run_ok "MoveAbort closes the killed mover's move" -- "$mt" abort "$crash_uuid" "$oid" 11
	is "$(staged)" 0 "and removes its staged copy"
	run_ok "the file moves again" -- "$mt" move "$crash_mnt/big" 1 13
	[ "$(sha256sum <"$crash_mnt/big")" = "$sum" ] && [ "$(where big)" = 1 ]
	ok $? "intact, on tier 1 only"
	# Another killed mover, to be cleaned up by the recovery at mount.
	"$mt" move "$crash_mnt/big" 0 14 2>/dev/null &
	pid=$!
	sleep 0.3
	kill -9 $pid
	wait $pid 2>/dev/null
	echo "# left behind by a killed mover: $(staged) staged file(s)"
else
	prev=$((phase - 1))
	c="stop $prev"
	run_ok "$c: the pool mounts after the hard stop (recovery)" -- crash_pool old
	out=$(crash_check "$state/manifest")
	ok $? "$c: every file once on the lower tiers, content/OID/st_ino/owner/mode as recorded"
	[ -z "$out" ] || echo "$out"
	out=$(crash_check -i "$state/logs")
	ok $? "$c: the writers' files: one lower copy each, OID/st_ino/owner/mode as recorded"
	[ -z "$out" ] || echo "$out"
	bad=0 acked=0
	for ((k = 0; k < nwriters; k++)); do
		a=$(tail -n 1 "$state/ack.$prev.$k" 2>/dev/null)
		a=${a:--1}
		acked=$((acked + a + 1))
		out=$("$writer" check "$crash_mnt/w/log-$k" "$k" "$a") || { bad=1; echo "# log-$k: $out"; }
	done
	ok $bad "$c: nothing fsync'd is lost ($acked records in all)"
	is "$(lower_files | uniq -d | wc -l) $(lower_files | wc -l)" "0 ${#all[@]}" \
		"$c: the lower tiers hold each file once and nothing else"
	is "$(staged)" 0 "$c: nothing left in .smoothfs/stage"
	is "$(journal_size)" 0 "$c: no open transaction in the journal"
	moved=$(cat "$state"/moved."$prev".* 2>/dev/null | wc -l)
	echo "# $c: $moved moves had completed before the stop"
	bad=0
	for f in d0/f0 d1/e/f1 big w/log-0; do
		t=$(where "$f")
		"$mt" move "$crash_mnt/$f" $((1 - ${t:-0})) $((phase * 1000000 + 999)) >/dev/null || bad=1
		[ "$(where "$f")" = $((1 - ${t:-0})) ] || bad=1
	done
	ok $bad "$c: files move again"
	out=$(crash_check "$state/manifest")
	ok $? "$c: and are intact"
	[ -z "$out" ] || echo "$out"
	[ "$phase" -le "$runs" ] || { crash_umount; exit 0; }
fi

# --- the next storm -----------------------------------------------------
crash_manifest "$state/manifest" "${statics[@]}" big
crash_manifest -i "$state/logs" "${logs[@]}"
sync
for ((k = 0; k < nwriters; k++)); do
	"$writer" write "$crash_mnt/w/log-$k" "$k" "$state/ack.$phase.$k" &
done
for ((m = 0; m < nmovers; m++)); do
	mover "$m" $((phase * 1000000)) &
done
# Once every writer has fsync'd a record and the movers have moved
# something (at most 60 s), a random moment 3 to 15 s later.
for ((i = 0; i < 600; i++)); do
	started=0
	for ((k = 0; k < nwriters; k++)); do
		[ -s "$state/ack.$phase.$k" ] && started=$((started + 1))
	done
	[ "$started" = "$nwriters" ] && [ -n "$(cat "$state"/moved."$phase".* 2>/dev/null)" ] && break
	sleep 0.1
done
ms=$((3000 + RANDOM % 12000))
sleep "$((ms / 1000)).$((ms % 1000))"
ok 0 "storm $phase: $nmovers movers, $nwriters writers, hard stop $ms ms after they got going"
vm_crash_reboot $((phase + 1))
