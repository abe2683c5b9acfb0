#!/bin/bash
# The closer (close.c): a cutover returns once its move is committed and
# switched; the old copy's removal, the directory fsyncs and the DONE
# record follow in batches.  Tier 0 ext4 (the journal), tier 1 xfs, on
# virtio disks.
#
# 1. An asynchronous move returns while its close is held (crash_hold at
#    dirsync, in the closer): the old copy is still on the source tier,
#    the mount shows the file once with its content, and the moved file
#    is written meanwhile, also through a writable shared mapping.
# 2. A rename of such a file, and an unlink, wait for the close: after
#    them the file is at its new name on one tier, or gone from both.
# 3. Inspect and a new plan close a file's move first: a file moved
#    asynchronously moves straight back, and reads as placed.
# 4. Four movers move 160 small files asynchronously: Quiesce closes
#    every move; the closes took fewer batches than there were moves;
#    every file has one lower copy, the journal is empty.
# 5. Unmounting with closes pending closes them: after the remount every
#    file has one copy and the journal is empty, nothing staged.
# 6. A close that cannot unlink the old copy (made immutable on its tier,
#    as a failing disk would refuse it) is stuck: the mount reads the new
#    copy, also with the caches dropped; unlink, rename and a move of the
#    file, and a rename of its directory, fail with EIO (other files move
#    and rename); once the old copy can go, the closer removes it by
#    itself.  Unmounting gives up on a stuck close: its record stays
#    open and the next mount removes the old copy.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/tier-lib.sh"

plan 51

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a7c
mnt=/mnt/close
mt=$SMOOTHFS_BUILD/vm-progs/move-tool
nl=$SMOOTHFS_BUILD/vm-progs/nl-tool
params=/sys/module/smoothfs/parameters
sys=/sys/fs/smoothfs/$uuid
load_smoothfs
tier_disks new ext4:/c0 xfs:/c1
opts="pool=close,uuid=$uuid,tiers=$(tiers_opt)"
mkdir -p "$mnt" && mount -t smoothfs -o "$opts" none "$mnt"

field() { "$nl" inspect "$uuid" "$1" | sed -n "s/^$2=//p"; }
counter() { cat "$sys/$1"; }
# running PID: whether PID is still running a second later.
running() { sleep 1; kill -0 "$1" 2>/dev/null; }
# hold_close: hold the next close at its first step (60 s at most).
hold_close() {
	dmesg -C
	echo 60 >$params/crash_hold_max
	echo dirsync >$params/crash_hold
}
# release: let the held close go on (any write of crash_hold does).
released() {
	echo none >$params/crash_hold
	wait_dmesg "cutover released from step dirsync (test hook)" 30
}

# --- 1. the cutover returns before the close ----------------------------
head -c 500000 /dev/urandom >/tmp/close.g
cp /tmp/close.g "$mnt/g"
hold_close
run_ok "an asynchronous move returns while its close is held" -- \
	timeout 6 "$mt" move "$mnt/g" 1 1 async
# The closer takes the close up to 50 ms after the cutover returned.
wait_dmesg "cutover held at step dirsync (test hook)" 10
ok $? "the close is held (at its destination directory fsync)"
is "$(where g)" 01 "the old copy is still on tier 0, the new one on tier 1"
is "$(ls "$mnt" | grep -c '^g$')" 1 "the mount lists g once"
cmp -s /tmp/close.g "$mnt/g"
ok $? "and reads it whole"
echo appended >>"$mnt/g" && echo appended >>/tmp/close.g
cmp -s /tmp/close.g /c1/g
ok $? "a write lands in the new copy"
python3 -c "
import mmap, os
fd = os.open('$mnt/g', os.O_RDWR)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:5] = b'MMAP!'
m.flush()
m.close()
os.close(fd)
" && printf 'MMAP!' | dd of=/tmp/close.g conv=notrunc status=none
ok $? "a writable shared mapping is allowed once the file is switched"
cmp -s /tmp/close.g /c1/g
ok $? "and writes the new copy"

# --- 2. rename and unlink wait for the close ----------------------------
mv "$mnt/g" "$mnt/g2" &
renamer=$!
running $renamer
ok $? "a rename of the file waits for its close"
released
ok $? "the close is released"
wait $renamer
ok $? "then the rename succeeds"
is "$(where g)/$(where g2)" "/1" "g2 is on tier 1 only, nothing left at the old name"
cmp -s /tmp/close.g "$mnt/g2"
ok $? "g2 has every byte"

cp /tmp/close.g "$mnt/h"
hold_close
run_ok "another asynchronous move, its close held" -- timeout 6 "$mt" move "$mnt/h" 1 2 async
rm "$mnt/h" &
remover=$!
running $remover
ok $? "an unlink of the file waits for its close"
released && wait $remover
ok $? "then the unlink succeeds"
is "$(where h)" "" "h is gone from both tiers"
is "$(journal_size) $(staged)" "0 0" "the journal is empty, nothing staged"

# --- 3. Inspect and a new plan close the move first ---------------------
head -c 100000 /dev/urandom >"$mnt/k"
o=$(oidhex "$mnt/k")
run_ok "k moves asynchronously to tier 1" -- "$mt" move "$mnt/k" 1 3 async
run_ok "and straight back: its plan closes the move first" -- "$mt" move "$mnt/k" 0 4 async
is "$(field "$o" state) $(field "$o" tier)" "placed 0" "Inspect: placed on tier 0"
is "$(where k)" 0 "k is on tier 0 only"

# --- 4. batches ---------------------------------------------------------
mkdir -p "$mnt/many"
for ((i = 0; i < 160; i++)); do
	head -c $((4096 + i * 37)) /dev/urandom >"$mnt/many/f$i"
done
sum_before=$(cd "$mnt/many" && cat f* | md5sum)
sync
batches0=$(counter close_batches)
moves0=$(counter moves)
pids=()
rm -f /tmp/close.fail
for ((w = 0; w < 4; w++)); do
	(
		for ((i = w; i < 160; i += 4)); do
			"$mt" move "$mnt/many/f$i" 1 $((1000 + i)) async || echo "f$i" >>/tmp/close.fail
		done
	) &
	pids+=($!)
done
wait "${pids[@]}"
is "$(cat /tmp/close.fail 2>/dev/null)" "" "four movers moved 160 files asynchronously"
run_ok "Quiesce (it closes every move)" -- "$mt" quiesce "$uuid"
moves=$(($(counter moves) - moves0))
batches=$(($(counter close_batches) - batches0))
echo "# 160 moves closed in $batches batches"
is "$moves" 160 "the moves counter counts 160 closed moves"
[ "$batches" -ge 1 ] && [ "$batches" -lt "$moves" ]
ok $? "in fewer batches than moves ($batches)"
n0=$(find /c0/many -type f | wc -l)
n1=$(find /c1/many -type f | wc -l)
is "$n0 $n1 $(journal_size) $(staged)" "0 160 0 0" "every file on tier 1 only, the journal empty"
is "$(cd "$mnt/many" && cat f* | md5sum)" "$sum_before" "every byte is there"
run_ok "Reconcile" -- "$mt" reconcile "$uuid"

# --- 5. unmount with closes pending -------------------------------------
rm -f /tmp/close.fail2
for ((i = 0; i < 40; i++)); do
	"$mt" move "$mnt/many/f$i" 0 $((2000 + i)) async || echo "f$i" >>/tmp/close.fail2
done
umount "$mnt" && [ ! -s /tmp/close.fail2 ]
ok $? "40 asynchronous moves, then an unmount at once"
is "$(journal_size) $(staged)" "0 0" "the unmount closed them: the journal is empty, nothing staged"
mount -t smoothfs -o "$opts" none "$mnt"
n0=$(find /c0/many -type f | wc -l)
n1=$(find /c1/many -type f | wc -l)
is "$n0 $n1" "40 120" "after the remount: 40 files on tier 0, 120 on tier 1, one copy each"
is "$(cd "$mnt/many" && cat f* | md5sum)" "$sum_before" "every byte is there"

# --- 6. a close that cannot remove the old copy -------------------------
# The old copy is made immutable on its tier: its unlink fails (EPERM),
# as on a failing disk, until it is made mutable again.
stuck_close() {
	mkdir -p "$(dirname "/tmp/close.$1")"
	head -c 300000 /dev/urandom >"/tmp/close.$1"
	cp "/tmp/close.$1" "$mnt/$1"
	hold_close
	"$mt" move "$mnt/$1" 1 "$2" async &&
		wait_dmesg "cutover held at step dirsync (test hook)" 10 &&
		chattr +i "/c0/$1" &&
		echo appended >>"$mnt/$1" && echo appended >>"/tmp/close.$1" &&
		released &&
		wait_dmesg "old copy ${1##*/} on tier 0 cannot be removed" 10
}
mkdir "$mnt/sd"
stuck_close sd/s 3000
ok $? "a close whose old copy cannot be unlinked is stuck (kernel log)"
so=$(oidhex "$mnt/sd/s")
is "$(where sd/s)" 01 "both copies are on the tiers"
# The close holds the file's dentry: the name leads to the new copy.
echo 2 >/proc/sys/vm/drop_caches
cmp -s /tmp/close.sd/s "$mnt/sd/s"
ok $? "the mount reads the new copy, also with the caches dropped"
is "$(field "$so" state)" cleanup_in_progress "Inspect: cleanup_in_progress"
run_fails "Input/output error" "an unlink of the file fails: EIO" -- rm "$mnt/sd/s"
run_fails "Input/output error" "a rename of it fails: EIO" -- mv "$mnt/sd/s" "$mnt/sd/s2"
run_fails "Input/output error" "a rename of its directory fails: EIO" -- mv "$mnt/sd" "$mnt/sd2"
run_fails "Input/output error" "a move of it fails: EIO" -- "$mt" move "$mnt/sd/s" 0 3001
run_ok "other files move and rename meanwhile" -- sh -c "
	'$mt' move '$mnt/many/f50' 0 3010 && mv '$mnt/many/f50' '$mnt/many/g50'"
chattr -i /c0/sd/s
# Tried again every 5 s.
for ((i = 0; i < 150; i++)); do [ "$(where sd/s)" = 1 ] && break; sleep 0.1; done
is "$(where sd/s)" 1 "once the old copy can go, the closer removes it by itself"
is "$(field "$so" state) $(journal_size)" "placed 0" "Inspect: placed; the journal is empty"
cmp -s /tmp/close.sd/s "$mnt/sd/s"
ok $? "the file reads whole"
run_ok "it moves back, its directory renames" -- sh -c "
	'$mt' move '$mnt/sd/s' 0 3002 && mv '$mnt/sd' '$mnt/sd2'"

stuck_close u 3003
ok $? "another stuck close"
umount "$mnt"
ok $? "the pool unmounts with it"
[ "$(journal_size)" -gt 0 ] && dmesg | grep -qF "old copy u on tier 0 stays until the next mount"
ok $? "its record stays open in the journal"
chattr -i /c0/u
mount -t smoothfs -o "$opts" none "$mnt"
is "$(where u) $(journal_size) $(staged)" "1 0 0" "the next mount removes the old copy and closes the record"
cmp -s /tmp/close.u "$mnt/u"
ok $? "the file reads whole"
umount "$mnt"
echo none >$params/crash_hold
