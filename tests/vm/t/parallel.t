#!/bin/bash
# Movement commands run in parallel (the family has parallel_ops) and the
# journal groups concurrent commits.  Tier 0 is ext4 (the journal), tier
# 1 xfs, on virtio disks.
#
# 1. A cutover held at its commit step (the crash_hold hook, with the
#    inode lock and an open journal record) holds up nothing else: other
#    genetlink families, Inspect, ListPools and the move of another file
#    all answer meanwhile, and the other move's records share the
#    journal with the held one.  Quiesce waits for the held cutover and
#    refuses plans meanwhile; once it ends, Quiesce returns, the journal
#    is empty and both files are moved, intact.
# 2. Eight movers move 200 files back and forth at once (asynchronous
#    moves: their closes are batched) while writers
#    append to 16 of them and fsync: every move succeeds (a move of a
#    written file may lose to a write with ESTALE, and its next one then
#    find it in place already, EALREADY; nothing else fails),
#    every byte is there, each file has one lower copy, the journal is
#    empty, the counters add up and the journal took no more flushes
#    than commits.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/tier-lib.sh"

plan 28

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a7a
mnt=/mnt/par
mt=$SMOOTHFS_BUILD/vm-progs/move-tool
nl=$SMOOTHFS_BUILD/vm-progs/nl-tool
jt=$SMOOTHFS_BUILD/vm-progs/journal-tool
params=/sys/module/smoothfs/parameters
sys=/sys/fs/smoothfs/$uuid
load_smoothfs
tier_disks new ext4:/p0 xfs:/p1
opts="pool=par,uuid=$uuid,tiers=$(tiers_opt)"
mkdir -p "$mnt" && mount -t smoothfs -o "$opts" none "$mnt"

field() { "$nl" inspect "$uuid" "$1" | sed -n "s/^$2=//p"; }
counter() { cat "$sys/$1"; }
# wait_gone PID SECONDS: whether PID exits within SECONDS.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# --- a held cutover holds up nothing else --------------------------------
for f in a b c; do
	head -c 200000 /dev/urandom >"/tmp/par.$f"
	cp "/tmp/par.$f" "$mnt/$f"
done
oa=$(oidhex "$mnt/a")
ob=$(oidhex "$mnt/b")
oc=$(oidhex "$mnt/c")

dmesg -C
echo 300 >$params/crash_hold_max
echo commit >$params/crash_hold
"$mt" move "$mnt/a" 1 1 >/tmp/par.mover 2>&1 &
mover=$!
wait_dmesg "cutover held at step commit (test hook)" 60
ok $? "the move of a is held after its journal commit"
run_ok "another genetlink family answers meanwhile (genl ctrl list)" -- \
	timeout 20 genl ctrl list
run_ok "Inspect of another file answers meanwhile" -- timeout 20 "$nl" inspect "$uuid" "$ob"
run_ok "ListPools answers meanwhile" -- timeout 20 "$nl" list
is "$(timeout 20 "$nl" inspect "$uuid" "$oa" | sed -n 's/^state=//p')" cutover_in_progress \
	"Inspect of the held file answers: cutover_in_progress"
run_ok "another file moves meanwhile" -- timeout 60 "$mt" move "$mnt/b" 1 2
is "$(where b)" 1 "b is on tier 1 only"
is "$("$jt" dump /p0/.smoothfs/journal | awk '{ print $2 $3 }' | tr '\n' ' ')" \
	"commit1 commit2 done2 " "the journal holds a's open COMMIT and b's closed move, in order"

"$mt" quiesce "$uuid" >/tmp/par.quiesce 2>&1 &
quiescer=$!
sleep 2
kill -0 $quiescer 2>/dev/null
ok $? "Quiesce waits for the held cutover"
run_fails "Resource temporarily unavailable" "a plan while Quiesce waits: EAGAIN" -- \
	timeout 20 "$mt" plan "$uuid" "$oc" 1 3
# The hold is killable; the cutover then carries on to its end.
kill -9 $mover
wait $mover 2>/dev/null
wait_dmesg "cutover released from step commit (test hook)" 30
ok $? "killing the mover releases the hold"
wait_gone $quiescer 60
ok $? "Quiesce returns once the cutover has ended"
wait $quiescer
ok $? "and succeeds"
is "$(field "$oa" state) $(field "$oa" tier)" "placed 1" "a's move completed: placed on tier 1"
is "$(where a)$(where b)" 11 "a and b have one lower copy each, on tier 1"
cmp -s /tmp/par.a "$mnt/a" && cmp -s /tmp/par.b "$mnt/b"
ok $? "a and b are intact"
is "$(staged) $(journal_size)" "0 0" "nothing staged, the journal empty"
run_fails "Resource temporarily unavailable" "still quiesced: a move fails with EAGAIN" -- \
	"$mt" move "$mnt/c" 1 3
run_ok "Reconcile" -- "$mt" reconcile "$uuid"
run_ok "then c moves" -- "$mt" move "$mnt/c" 1 3
echo none >$params/crash_hold

# --- eight movers at once, with writers ---------------------------------
movers=8
per=25
for ((w = 0; w < movers; w++)); do
	mkdir "$mnt/d$w"
	# Text that ends in a newline for the files the writers append to.
	head -c 3000 /dev/urandom | base64 >"$mnt/d$w/f0"
	head -c 3000 /dev/urandom | base64 >"$mnt/d$w/f1"
	for ((i = 2; i < per; i++)); do
		head -c $((4096 + (w * per + i) * 61)) /dev/urandom >"$mnt/d$w/f$i"
	done
done
# Two of each mover's files are also appended to, and fsync'd, meanwhile.
writer() {
	local f=$1 n=0
	while [ ! -e /tmp/par.stop ]; do
		printf 'line %06d of %s\n' $n "$f" >>"$f"
		n=$((n + 1))
		[ $((n % 10)) -eq 0 ] && python3 -c \
			"import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)" "$f"
		sleep 0.2
	done
	echo $n >"/tmp/par.lines.${f//\//_}"
}
rm -f /tmp/par.stop /tmp/par.lines.*
writers=()
for ((w = 0; w < movers; w++)); do
	writer "$mnt/d$w/f0" &
	writers+=($!)
	writer "$mnt/d$w/f1" &
	writers+=($!)
done
sleep 1

commits0=$(counter journal_commits)
flushes0=$(counter journal_flushes)
moves0=$(counter moves)
# Mover w: every file of d$w to tier 1, then back to tier 0.  A line
# in /tmp/par.fail$w per failed move: "FILE ERROR".
mover() {
	local w=$1 round i out
	for round in 1 2; do
		for ((i = 0; i < per; i++)); do
			out=$("$mt" move "$mnt/d$w/f$i" $((round % 2)) \
				$((100000 + w * 1000 + round * 100 + i)) async 2>&1) ||
				echo "f$i $out" >>"/tmp/par.fail$w"
		done
	done
}
pids=()
rm -f /tmp/par.fail*
for ((w = 0; w < movers; w++)); do
	mover $w &
	pids+=($!)
done
wait "${pids[@]}"
touch /tmp/par.stop
wait "${writers[@]}"
total=$((movers * per * 2))
written_lost='^f[01] .*(Stale file handle|Operation already in progress)'
lost=$(cat /tmp/par.fail* 2>/dev/null | grep -cE "$written_lost")
is "$(cat /tmp/par.fail* 2>/dev/null | grep -vE "$written_lost")" "" \
	"$total moves by $movers movers at once: none failed but a written file's to a write"
echo "# $lost moves of written files lost to a write (ESTALE, then EALREADY)"
# The moves were asynchronous: Quiesce closes them.
"$mt" quiesce "$uuid" && "$mt" reconcile "$uuid"
ok $? "Quiesce and Reconcile"
commits=$(($(counter journal_commits) - commits0))
flushes=$(($(counter journal_flushes) - flushes0))
echo "# $commits commits took $flushes journal flushes"
is "$(($(counter moves) - moves0)) $commits" "$((total - lost)) $((total - lost))" \
	"the moves and journal_commits counters count every move that succeeded"
[ "$flushes" -le "$commits" ]
ok $? "the journal took no more flushes than commits ($flushes for $commits)"
is "$(staged) $(journal_size)" "0 0" "nothing staged, the journal empty"

# Every file: one lower copy, on tier 0 (a written file: on either); the
# appended files whole.
bad=0
for ((w = 0; w < movers; w++)); do
	for ((i = 0; i < per; i++)); do
		case "$i:$(where "d$w/f$i")" in
		[01]:0 | [01]:1 | *:0) ;;
		*) echo "# d$w/f$i on tiers '$(where "d$w/f$i")'"; bad=$((bad + 1)) ;;
		esac
	done
done
is "$bad" 0 "every file has one lower copy, on tier 0 unless a write kept it on 1"
check_appends() {
	local f=$1 n lines
	n=$(cat "/tmp/par.lines.${f//\//_}")
	lines=$(grep -ac "^line [0-9]\{6\} of $f\$" "$f")
	[ "$lines" = "$n" ] || { echo "# $f: $lines of $n lines"; return 1; }
	# In order, none lost or doubled.
	grep -a "^line [0-9]\{6\} of $f\$" "$f" | awk '{ if ($2 + 0 != NR - 1) exit 1 }'
}
bad=0
for ((w = 0; w < movers; w++)); do
	check_appends "$mnt/d$w/f0" || bad=$((bad + 1))
	check_appends "$mnt/d$w/f1" || bad=$((bad + 1))
done
is "$bad" 0 "every appended line is there once, in order, in all $((movers * 2)) written files"
find "$mnt" -type f -path "$mnt/d*" -exec sha256sum {} + | sort >/tmp/par.sums
umount "$mnt"
mount -t smoothfs -o "$opts" none "$mnt"
find "$mnt" -type f -path "$mnt/d*" -exec sha256sum {} + | sort >/tmp/par.sums2
cmp -s /tmp/par.sums /tmp/par.sums2
ok $? "after a remount every file reads the same"
umount "$mnt"
umount /p0 /p1
