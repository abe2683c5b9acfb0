#!/bin/bash
# Tier faults that come and go: tier 1 is on a device-mapper disk switched
# to the "flakey" target (up 2 s, down 1 s: while down, every read and
# write fails) under a load: a reader of the files on tier 1 (O_DIRECT,
# so every read reaches the disk), an appender fsyncing a file on tier 1,
# a creator in a directory that is on tier 1, a writer in a directory
# that is only on tier 0, and two movers moving files between the tiers.
# Tier 1 is ext4 without a journal, mounted errors=continue, so that it
# survives the errors the way a plain disk would; tier 0 (ext4, holding
# the move journal) is a healthy disk.
#
# The movers append a line to each file they moved (fsync'd).
#
# While the disk is flaky: the pool stays mounted; nothing reads wrong
# data (a read is whole or fails with EIO); the tier-0 writer never
# fails; no mover hangs; the faults are counted and sent as TIER_FAULT
# events for tier 1 only.  Once the disk is steady again: Reprobe; every
# file reads as acknowledged (appended lines and lines written after a
# move that were fsync'd, files whose creation succeeded) and has one
# lower copy, two if its close is stuck (close.c); after a remount, one
# copy each and the same content, nothing staged, the journal empty.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/tier-lib.sh"

plan 18

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a7d
mnt=/mnt/flaky
mt=$SMOOTHFS_BUILD/vm-progs/move-tool
nl=$SMOOTHFS_BUILD/vm-progs/nl-tool
sys=/sys/fs/smoothfs/$uuid
work=/tmp/flaky
phase_seconds=${SMOOTHFS_T_FLAKEY_SECONDS:-24}
export DM_DISABLE_UDEV=1

rm -rf "$work" && mkdir -p "$work"
dmesg -C
load_smoothfs
modprobe -a dm_mod dm_flakey ext4
disk=$(vm_disk disk1)
sectors=$(blockdev --getsz "$disk")
run_ok "a linear device-mapper disk over $disk" -- \
	dmsetup create --noudevsync smflaky --table "0 $sectors linear $disk 0"
tier_disks new ext4:/k0
mkfs.ext4 -q -F -O ^has_journal /dev/mapper/smflaky
mkdir -p /k1 "$mnt"
mount -o errors=continue /dev/mapper/smflaky /k1 && rmdir /k1/lost+found
tiers+=(/k1)
"$nl" events 0 900000 12 >"$work/events" 2>&1 &
evpid=$!
for _ in $(seq 100); do grep -q subscribed "$work/events" && break; sleep 0.1; done
mount -t smoothfs -o "pool=flaky,uuid=$uuid,tiers=$(tiers_opt)" none "$mnt"

# 24 files and the appender's log on tier 1; a directory only on tier 0.
mkdir "$mnt/cold" "$mnt/hot"
for ((i = 0; i < 24; i++)); do
	head -c 131072 /dev/urandom >"$mnt/cold/c$i"
	echo "c$i $(md5sum <"$mnt/cold/c$i" | cut -c1-32)" >>"$work/sums"
	"$mt" move "$mnt/cold/c$i" 1 $((i + 1)) || echo "c$i" >>"$work/setup-fail"
done
echo start >"$mnt/cold/log"
"$mt" move "$mnt/cold/log" 1 100 || echo log >>"$work/setup-fail"
is "$(cat "$work/setup-fail" 2>/dev/null)|$(where cold/c0)$(where cold/log)$(where hot)" "|110" \
	"24 files and a log on tier 1, a directory only on tier 0"
exec 5<"$mnt/hot"	# keeps the directory's dentry cached: no lookup on tier 1

run_ok "the disk turns flaky (up 2 s, down 1 s)" -- sh -c "
	dmsetup suspend --noudevsync smflaky &&
	dmsetup reload --noudevsync smflaky --table '0 $sectors flakey $disk 0 2 1' &&
	dmsetup resume --noudevsync smflaky"
end=$(($(date +%s) + phase_seconds))

reader() {
	local i sum got
	while [ "$(date +%s)" -lt "$end" ]; do
		for ((i = 0; i < 24; i++)); do
			sum=$(sed -n "s/^c$i //p" "$work/sums")
			if dd if="$mnt/cold/c$i" of="$work/read" iflag=direct bs=131072 count=1 \
				status=none 2>"$work/read.err"; then
				got=$(md5sum <"$work/read" | cut -c1-32)
				[ "$got" = "$sum" ] && echo ok || echo "mismatch c$i"
			elif grep -q "Input/output error" "$work/read.err"; then
				echo eio
			else
				echo "other c$i: $(cat "$work/read.err")"
			fi
		done
	done >"$work/reader"
}

appender() {
	local n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		# Acknowledged once the fsync returned.
		if printf 'line %d\n' "$n" | dd of="$mnt/cold/log" oflag=append conv=notrunc,fsync \
			status=none 2>/dev/null; then
			echo "line $n"
		fi
		sleep 0.1
	done >"$work/appended"
}

# fsync_files DIR PREFIX: 8 KiB files written and fsync'd into DIR, one
# after another: "NAME MD5" for each acknowledged, "failed NAME: ERROR"
# for the others.
fsync_files() {
	local n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		head -c 8192 /dev/urandom >"$work/$2"
		if dd if="$work/$2" of="$mnt/$1/$2$n" conv=fsync status=none 2>"$work/$2.err"; then
			echo "$2$n $(md5sum <"$work/$2" | cut -c1-32)"
		else
			echo "failed $2$n: $(cat "$work/$2.err")"
		fi
	done
}

mover() {
	local seq=$1 f rc on
	while [ "$(date +%s)" -lt "$end" ]; do
		seq=$((seq + 1))
		f=c$((RANDOM % 24))
		# To the other tier (tier 0 if no lower copy answers).
		on=$(where "cold/$f")
		on=${on:0:1}
		timeout 120 "$mt" move "$mnt/cold/$f" $((1 - ${on:-1})) "$seq" 2>"$work/mv.$1.err"
		rc=$?
		case $rc in
		0)
			echo moved
			# Written after its move: a later recovery must not undo it.
			printf 'after %d\n' "$seq" | dd of="$mnt/cold/$f" oflag=append \
				conv=notrunc,fsync status=none 2>/dev/null &&
				echo "$f after $seq" >>"$work/after.$1"
			;;
		124) echo "hung $f" ;;
		*) echo "failed $f: $(cat "$work/mv.$1.err")" ;;
		esac
	done >"$work/mover.$1"
}

reader & pids=($!)
appender & pids+=($!)
fsync_files cold n >"$work/created" & pids+=($!)	# a directory with a tier-1 copy
fsync_files hot w >"$work/written" & pids+=($!)	# a directory only on tier 0
mover 1000 & pids+=($!)
mover 2000 & pids+=($!)
wait "${pids[@]}"

# The suspend flushes, and that fails while the disk is down: again.
steady() {
	local i
	dmsetup reload --noudevsync smflaky --table "0 $sectors linear $disk 0" || return 1
	for ((i = 0; i < 20; i++)); do
		dmsetup suspend --noudevsync smflaky 2>/dev/null && break
		sleep 0.5
	done
	dmsetup resume --noudevsync smflaky && dmsetup table smflaky | grep -q ' linear '
}
run_ok "the disk is steady again" -- steady
mountpoint -q "$mnt"
ok $? "the pool stayed mounted"

reads=$(grep -c '^ok$' "$work/reader")
eio=$(grep -c '^eio$' "$work/reader")
echo "# reads: $reads whole, $eio EIO; faults counted: $(cat "$sys/tier_faults")"
is "$(grep -v '^ok$\|^eio$' "$work/reader" | sort | uniq -c)" "" \
	"every read of a tier-1 file was whole and right, or EIO"
[ "$reads" -gt 0 ] && [ "$eio" -gt 0 ] && [ "$(cat "$sys/tier_faults")" -gt 0 ]
ok $? "the disk failed reads and served others; the faults are counted"
faults1=$(grep -c '^event=12 .* tier=1$' "$work/events")
[ "$faults1" -gt 0 ]
ok $? "TIER_FAULT events for tier 1 reached the subscriber ($faults1)"
is "$(grep -c '^event=12 .* tier=0$' "$work/events")" 0 "none for tier 0"
echo "# acknowledged: $(wc -l <"$work/appended") appended lines, $(grep -vc '^failed' "$work/created") files created in cold/"
written=$(grep -c '^w' "$work/written")
is "$(grep -v '^w' "$work/written")" "" "the writer in the tier-0 directory never failed ($written files)"
moved=$(cat "$work"/mover.* | grep -c '^moved$')
echo "# moves: $moved done; failures:"
cat "$work"/mover.* | grep -v '^moved$' | sed 's/^failed c[0-9]*: /# /' | sort | uniq -c
is "$(cat "$work"/mover.* | grep -c '^hung')" 0 "no move hung"
[ "$moved" -gt 0 ]
ok $? "moves went on between the faults ($moved)"

run_ok "Reprobe of tier 1" -- "$mt" reprobe "$uuid" 1
run_ok "Quiesce" -- "$mt" quiesce "$uuid"
# A close that could not remove an old copy is tried again every 5 s.
# copies_as F SUM [stuck]: F (under the mount) has one lower copy, or
# with "stuck" two if its last move's close is stuck (Inspect:
# cleanup_in_progress); its first 128 KiB have the md5 SUM (or the whole
# file, for the smaller ones), and every line written after a move of it
# is there.
copies_as() {
	local on state= want=1 lost
	on=$(where "$1")
	if [ "${#on}" = 2 ] && [ "${3:-}" = stuck ]; then
		state=$("$nl" inspect "$uuid" "$(oidhex "$mnt/$1")" | sed -n 's/^state=//p')
		[ "$state" != cleanup_in_progress ] || want=2
	fi
	[ "${#on}" = "$want" ] && [ "$(head -c 131072 "$mnt/$1" | md5sum | cut -c1-32)" = "$2" ] ||
		{ echo "# $1: lower copies on tiers '$on' ($state), or its content differs"; return 1; }
	# Files, not process substitutions: bash closes a <(...) of a
	# function called in a loop fed by another one (grep: /dev/fd/63).
	grep -aoE 'after [0-9]+$' "$mnt/$1" >"$work/have" || :
	lost=$(grep -h "^${1#cold/} after " "$work"/after.* 2>/dev/null | cut -d' ' -f2- |
		grep -vxFf "$work/have" -)
	[ -z "$lost" ] || { echo "# $1: lost the lines '$lost'"; return 1; }
}
# check_files [stuck]: every file as acknowledged.
check_files() {
	local f sum bad=0 lost
	while read -r f sum; do
		copies_as "cold/$f" "$sum" "${1:-}" || bad=1
	done < <(cat "$work/sums"; grep -v '^failed' "$work/created")
	while read -r f sum; do
		copies_as "hot/$f" "$sum" || bad=1
	done <"$work/written"
	# An append whose fsync failed may have left zeros (the size reached
	# the disk, the data did not): not acknowledged, but they would make
	# grep take the file for binary, or hide the newline before a line.
	tr -d '\0' <"$mnt/cold/log" | grep '^line' >"$work/have" || :
	lost=$(grep -vxFf "$work/have" "$work/appended")
	[ -z "$lost" ] || { echo "$lost" | sed 's/^/# lost: /'; bad=1; }
	return $bad
}
# A close that could not remove an old copy is tried again every 5 s; one
# whose new copy may not be durable keeps the old one until the next mount.
for ((i = 0; i < 30; i++)); do check_files stuck >/dev/null && break; sleep 0.5; done
check_files stuck
ok $? "every file reads as acknowledged, one lower copy each (two if its close is stuck)"
echo "# closes stuck: $(dmesg | grep -c 'cannot be removed') old copies not removable for a while," \
	"$(dmesg | grep -c 'may not be durable') new copies not known durable"

exec 5<&-
umount "$mnt"
# A write lost while the disk was down can leave ext4 without a journal
# inconsistent (a directory entry naming a freed inode): the kernel asks
# for e2fsck at mount, and recovery keeps a journal record whose lookup
# meets it (EUCLEAN). The operator repairs the tier first; so do we.
umount /k1 && e2fsck -fy /dev/mapper/smflaky >"$work/fsck" 2>&1
fsck_rc=$?
echo "# e2fsck of tier 1: exit $fsck_rc$([ $fsck_rc = 0 ] || echo ', repaired:')"
[ $fsck_rc = 0 ] || grep -v '^Pass [1-5]\|^e2fsck [0-9]' "$work/fsck" | sed 's/^/#   /'
[ $fsck_rc -le 1 ] && mount -o errors=continue /dev/mapper/smflaky /k1
ok $? "the pool and tier 1 unmount, tier 1 is checked (e2fsck), and both mount again"
mount -t smoothfs -o "pool=flaky,uuid=$uuid,tiers=$(tiers_opt)" none "$mnt"
check_files
ok $? "after a remount: every file once, as acknowledged"
is "$(staged) $(journal_size)" "0 0" "nothing staged, the journal empty"

umount "$mnt"
kill "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null
umount /k1 /k0
dmsetup remove --noudevsync smflaky
