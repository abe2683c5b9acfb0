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
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/tier-lib.sh"

plan 33

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
umount "$mnt"
echo none >$params/crash_hold
