#!/bin/bash
# Guest side of bench/run-move: movement benchmarks on three virtio disks,
# disk0 ext4 (/d0, tier 0), disk1 xfs (/d1, tier 1), disk2 ext4 (/d2,
# tier 2), pool at /mnt/mv.  Prints, inside one TAP result per round,
#   # bench: ROUND ROW VALUE            (higher is better)
#   # bench-pause: ROUND CLASS n N p50 US p99 US max US
#   # bench-moves: ROUND ROW OK FAILED
#   # bench-profile: KIND files N total S STEP S ...
#   # bench-journal: ROUND ROW commits N flushes N   (the journal's grouping)
# Rows, per round, the two sides of each comparison run back to back in an
# order that alternates between rounds, every timed phase from cold caches
# (the pool and the disks unmounted and mounted again):
#   move-big-{xfs,ext4} / cp-big-{xfs,ext4}     MB/s, one MOVE_MB file from
#       tier 0 (ext4) to tier 1 (xfs) or 2 (ext4); cp -a of the same file
#       between the same disks, then sync FILE DIR (fsync of both)
#   move-small-* / cp-small-*                   files per minute, MOVE_N
#       files of MOVE_SMALL bytes; cp -a of the directory, then the fsync
#       of every file and of the directory (sync FILE... DIR)
#   cpf-big-* / cpf-small-*                     the same with the mover's own
#       copy code and per-file durability (movebench copy-dir): copy, fsync
#       the file, fsync the directory, next file
#   move-small-par-* / cpf-small-par-*          the mover and that per-file
#       copy, MOVE_JOBS files at once (the daemon's max_concurrent)
#   fg-{read,write}-{idle,same,other}           MB/s of O_DIRECT 1 MiB I/O
#       on a FG_MB file for FG_SECS: alone, while the same file is moved
#       back and forth (tier 0 <-> 1), while another file is
#
# Environment (set by bench/run-move): BENCH_ROUNDS, MOVE_MB, MOVE_N,
# MOVE_SMALL, MOVE_JOBS, PAUSE_N, FG_MB, FG_SECS, METABENCH, MOVEBENCH.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

: "${BENCH_ROUNDS:=3}" "${MOVE_MB:=1024}" "${MOVE_N:=10000}" "${MOVE_SMALL:=4096}" "${MOVE_JOBS:=4}"
: "${PAUSE_N:=20}" "${FG_MB:=256}" "${FG_SECS:=10}"
mnt=/mnt/mv
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b02
opts="pool=mvbench,uuid=$uuid,tiers=/d0:/d1:/d2"
sys=/sys/fs/smoothfs/$uuid
fs=(ext4 xfs ext4)
mb=$MOVEBENCH

plan "$BENCH_ROUNDS"
echo "# bench-info: kernel $(uname -r)"
echo "# bench-info: rounds $BENCH_ROUNDS move_mb $MOVE_MB move_n $MOVE_N move_small $MOVE_SMALL move_jobs $MOVE_JOBS pause_n $PAUSE_N fg_mb $FG_MB fg_secs $FG_SECS"
echo "# bench-info: memory $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo) cpus $(nproc) coreutils $(cp --version | head -n 1 | awk '{print $NF}')"

load_smoothfs
modprobe -a ext4 xfs
# The root is the host's over 9p: copy the tools into the tmpfs once.
for c in cp sync find mount umount mkfs.ext4 mkfs.xfs date awk rm "$mb" "$METABENCH"; do
	p=$(readlink -f "$(command -v "$c")") || continue
	touch -c "$p"
	ldd "$p" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | xargs -r readlink -f | xargs -r touch -c
done

disks_mount() {
	local i
	for i in 0 1 2; do mount "$(vm_disk "disk$i")" "/d$i" || return 1; done
}
disks_umount() {
	local i
	for i in 0 1 2; do umount "/d$i" || return 1; done
}
pool_mount() { mount -t smoothfs -o "$opts" none "$mnt"; }
# Cold caches for the disks under test only (drop_caches would empty the
# 9p root's cache too, which under TCG costs more than the phase).
cold() {
	sync
	umount "$mnt" && disks_umount && disks_mount && pool_mount
}
now() { date +%s.%N; }
emit() { echo "# bench: $round $1 $2"; }
rate() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'; }

mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$(vm_disk disk0)" &&
	mkfs.xfs -q -f "$(vm_disk disk1)" &&
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$(vm_disk disk2)" || exit 1
mkdir -p /d0 /d1 /d2 "$mnt"
disks_mount && rmdir /d0/lost+found /d2/lost+found && pool_mount || exit 1
head -c "$((MOVE_MB << 20))" /dev/urandom >/tmp/big.src
seq=1000

# --- one side of a comparison -------------------------------------------------
move_big() {	# DEST KIND
	cp /tmp/big.src "$mnt/big" && cold || return 1
	secs=$("$mb" move "$1" "$seq" "$mnt/big") || return 1
	seq=$((seq + 1))
	emit "move-big-$2" "$(rate "$MOVE_MB" "$secs")"
	rm "$mnt/big"
}
# timed_cp NAME SRC DST SYNC-COMMAND...: cp -a, then the command that makes
# the copy durable; prints the split as '# bench-cp:' and sets $elapsed.
timed_cp() {
	local name=$1 src=$2 dst=$3 t0 tc t1
	shift 3
	t0=$(now)
	cp -a "$src" "$dst" || return 1
	tc=$(now)
	"$@" || return 1
	t1=$(now)
	echo "# bench-cp: $round $name copy $(awk -v a="$t0" -v b="$tc" 'BEGIN { print b - a }') sync $(awk -v a="$tc" -v b="$t1" 'BEGIN { print b - a }')"
	elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
}
sync_tree() { find "$1" -type f -exec sync {} + && sync "$1"; }
cp_big() {	# DEST KIND
	mkdir -p /d0/cps "/d$1/cpd" && cp /tmp/big.src /d0/cps/big && cold || return 1
	timed_cp "cp-big-$2" /d0/cps/big "/d$1/cpd/big" sync "/d$1/cpd/big" "/d$1/cpd" || return 1
	emit "cp-big-$2" "$(awk -v m="$MOVE_MB" -v e="$elapsed" 'BEGIN { printf "%.2f\n", m / e }')"
	rm -rf /d0/cps "/d$1/cpd"
}
move_small() {	# DEST KIND [JOBS]
	local out row=move-small-$2 c0 f0
	[ "${3:-1}" = 1 ] || row=move-small-par-$2
	mkdir -p "$mnt/s" && "$METABENCH" create "$mnt/s" "$MOVE_N" "$MOVE_SMALL" >/dev/null && cold || return 1
	c0=$(cat "$sys/journal_commits") f0=$(cat "$sys/journal_flushes")
	out=$("$mb" move-dir "$mnt/s" "$1" "$seq" "${3:-1}") || return 1
	echo "# bench-journal: $round $row commits $(($(cat "$sys/journal_commits") - c0)) flushes $(($(cat "$sys/journal_flushes") - f0))"
	seq=$((seq + MOVE_N + 1))
	emit "$row" "$(awk -v o="$out" 'BEGIN { split(o, a, " "); printf "%.0f\n", a[2] * 60 / a[1] }')"
	rm -rf "$mnt/s"
}
cp_small() {	# DEST KIND
	mkdir -p /d0/cps/s "/d$1/cpd" && "$METABENCH" create /d0/cps/s "$MOVE_N" "$MOVE_SMALL" >/dev/null &&
		cold || return 1
	timed_cp "cp-small-$2" /d0/cps/s "/d$1/cpd/" sync_tree "/d$1/cpd/s" || return 1
	emit "cp-small-$2" "$(awk -v n="$MOVE_N" -v e="$elapsed" 'BEGIN { printf "%.0f\n", n * 60 / e }')"
	rm -rf /d0/cps "/d$1/cpd"
}
# The baseline with the mover's own copy code and its per-file durability
# (copy, fsync the file, fsync the directory, next file): what the mover
# does minus the protocol.
cpf_big() {	# DEST KIND
	local out
	mkdir -p /d0/cps "/d$1/cpd" && cp /tmp/big.src /d0/cps/big && cold || return 1
	out=$("$mb" copy-dir /d0/cps "/d$1/cpd") || return 1
	emit "cpf-big-$2" "$(awk -v m="$MOVE_MB" -v o="$out" 'BEGIN { split(o, a, " "); printf "%.2f\n", m / a[1] }')"
	rm -rf /d0/cps "/d$1/cpd"
}
cpf_small() {	# DEST KIND [JOBS]
	local out row=cpf-small-$2
	[ "${3:-1}" = 1 ] || row=cpf-small-par-$2
	mkdir -p /d0/cps/s "/d$1/cpd" && "$METABENCH" create /d0/cps/s "$MOVE_N" "$MOVE_SMALL" >/dev/null &&
		cold || return 1
	out=$("$mb" copy-dir /d0/cps/s "/d$1/cpd" "${3:-1}") || return 1
	emit "$row" "$(awk -v o="$out" 'BEGIN { split(o, a, " "); printf "%.0f\n", a[2] * 60 / a[1] }')"
	rm -rf /d0/cps "/d$1/cpd"
}
# A file back on tier 0 whatever the mover left it on.
home() {
	"$mb" move 0 "$seq" "$1" >/dev/null 2>&1
	seq=$((seq + 1))
	return 0
}
fg_phase() {	# MODE ROW [MOVEFILE]
	local out
	if [ -n "${3:-}" ]; then
		out=$("$mb" fgio "$1" "$mnt/fg" "$FG_SECS" 1048576 "$3" 0 1 "$seq") || return 1
		seq=$((seq + 100000))
		home "$3"
	else
		out=$("$mb" fgio "$1" "$mnt/fg" "$FG_SECS" 1048576) || return 1
	fi
	read -r bw okm failm <<<"$out"
	emit "fg-$1-$2" "$bw"
	echo "# bench-moves: $round fg-$1-$2 $okm $failm"
}

for ((round = 1; round <= BENCH_ROUNDS; round++)); do
	bad=0
	start=$SECONDS
	for dest in 1 2; do
		kind=${fs[$dest]}
		if (((round + dest) % 2)); then
			move_big $dest "$kind" && cp_big $dest "$kind" && cpf_big $dest "$kind" || bad=1
			cpf_small $dest "$kind" && cp_small $dest "$kind" && move_small $dest "$kind" || bad=1
			move_small $dest "$kind" "$MOVE_JOBS" && cpf_small $dest "$kind" "$MOVE_JOBS" || bad=1
		else
			cpf_big $dest "$kind" && cp_big $dest "$kind" && move_big $dest "$kind" || bad=1
			move_small $dest "$kind" && cp_small $dest "$kind" && cpf_small $dest "$kind" || bad=1
			cpf_small $dest "$kind" "$MOVE_JOBS" && move_small $dest "$kind" "$MOVE_JOBS" || bad=1
		fi
	done

	# The writer's pause: PAUSE_N moves of a 4 MiB file between tier 0
	# (ext4) and tier 1 (xfs), 300 ms without moves before each.
	dd if=/dev/zero of="$mnt/p" bs=1M count=4 status=none && sync || bad=1
	out=$("$mb" pause "$mnt/p" 0 1 "$PAUSE_N" 4096 300 "$seq") || bad=1
	seq=$((seq + PAUSE_N + 1))
	echo "$out" | sed -n "s/^\(idle\|copy\|cutover\|cutover-call\|stall\|idle-stall\) /# bench-pause: $round \1 /p"
	echo "$out" | sed -n "s/^writes /# bench-pause-info: $round writes /p"
	rm -f "$mnt/p"

	# Foreground I/O: idle, the same file moving, another file moving.
	dd if=/dev/zero of="$mnt/fg" bs=1M count="$FG_MB" status=none &&
		dd if=/dev/zero of="$mnt/other" bs=1M count="$FG_MB" status=none && sync || bad=1
	for mode in read write; do
		if ((round % 2)); then
			fg_phase $mode idle && fg_phase $mode same "$mnt/fg" && fg_phase $mode other "$mnt/other" || bad=1
		else
			fg_phase $mode other "$mnt/other" && fg_phase $mode same "$mnt/fg" && fg_phase $mode idle || bad=1
		fi
	done
	rm -f "$mnt/fg" "$mnt/other"
	ok $bad "round $round ($((SECONDS - start)) s)"
done

# Where the mover's time goes, for small files (one pass per pair).
for dest in 1 2; do
	mkdir -p "$mnt/s" && "$METABENCH" create "$mnt/s" "$MOVE_N" "$MOVE_SMALL" >/dev/null && cold &&
		echo "# bench-profile: ext4-${fs[$dest]} $("$mb" profile "$mnt/s" $dest "$seq")"
	seq=$((seq + MOVE_N + 1))
	rm -rf "$mnt/s"
done
for dest in 1 2; do
	mkdir -p "$mnt/b" && cp /tmp/big.src "$mnt/b/big" && cold &&
		echo "# bench-profile: big-ext4-${fs[$dest]} $("$mb" profile "$mnt/b" $dest "$seq")"
	seq=$((seq + 1))
	rm -rf "$mnt/b"
done
umount "$mnt"
disks_umount
