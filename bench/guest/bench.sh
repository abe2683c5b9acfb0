#!/bin/bash
# Guest side of bench/run: runs every configuration, interleaved, for
# BENCH_ROUNDS rounds and prints one line per measurement
#   # bench: ROUND CONFIG ROW VALUE
# (VALUE in MB/s, IOPS or operations/s, higher is better; "na" when the
# configuration cannot do it, e.g. O_DIRECT refused) inside a TAP stream
# with one result per configuration and round.
#
# Environment (set by bench/run): BENCH_SCALE, BENCH_META_SCALE, BENCH_ROUNDS, BENCH_CONFIGS,
# METABENCH (path of the metabench helper).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/bench/guest/configs.sh"

: "${BENCH_SCALE:=1}" "${BENCH_ROUNDS:=3}"
: "${BENCH_CONFIGS:=bare smoothfs overlay mergerfs mergerfs_tuned}"
read -r -a configs <<<"$BENCH_CONFIGS"

# scaled BASE [SCALE]: BASE * SCALE (default BENCH_SCALE), at least 1.
scaled() { awk -v b="$1" -v s="${2:-$BENCH_SCALE}" 'BEGIN { v = int(b * s); print v < 1 ? 1 : v }'; }
: "${BENCH_META_SCALE:=$BENCH_SCALE}"
META_N=$(scaled 100000 "$BENCH_META_SCALE")   # files for create/stat/unlink
RD_N=$(scaled 100000 "$BENCH_META_SCALE")     # entries for readdir
RD_N=$(((RD_N + 2) / 3 * 3))     # a multiple of 3 for the spread
SEQ_MB=$(scaled 1024)            # sequential file, MiB
RAND_MB=$(scaled 256)            # random-I/O file, MiB
RAND_IO_MB=$(scaled 64)          # random I/O done per run, MiB
SMALL=512                        # bytes in each small file

plan $((BENCH_ROUNDS * ${#configs[@]}))
echo "# bench-info: kernel $(uname -r)"
echo "# bench-info: scale $BENCH_SCALE meta_scale $BENCH_META_SCALE rounds $BENCH_ROUNDS meta_n $META_N rd_n $RD_N seq_mb $SEQ_MB rand_mb $RAND_MB rand_io_mb $RAND_IO_MB"
echo "# bench-info: fio $(fio --version) mergerfs $(mergerfs -V 2>&1 | head -n 1 | awk '{print $NF}')"
echo "# bench-info: memory $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo) cpus $(nproc)"

modprobe ext4

# The root is an overlay of the host's root (9p, no page cache) under a
# tmpfs: every exec of fio would fetch it and its ~100 libraries over 9p
# again (3-4 s under TCG, 15-45 s after a cache drop).  Touching a file
# copies it up into the tmpfs once.
warm_tools() {
	local c p
	for c in fio jq mergerfs fusermount mkfs.ext4 mount umount mountpoint awk \
		sed seq sleep rm rmdir mkdir sync date cat "$METABENCH"; do
		p=$(command -v "$c") || continue
		p=$(readlink -f "$p")
		touch -c "$p"
		ldd "$p" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
			xargs -r readlink -f | xargs -r touch -c
	done
	touch -c /etc/ld.so.cache "$(readlink -f /lib64/ld-linux-x86-64.so.2)"
}
warm_tools

# Cold caches for the filesystems under test only: unmount the stack and
# the disks, and mount them again.  (drop_caches would also throw away
# the 9p root's cache, and reloading fio from it takes 15-45 s under TCG.)
cold() {
	"cfg_${cfg}_umount" || return 1
	disks_remount || return 1
	"cfg_${cfg}_mount" >/dev/null
}

emit() { echo "# bench: $round $cfg $1 $2 ($SECONDS)"; }

# fio_bw FILE RW BS SIZE_MB IO_MB DIRECT: run one fio job, print MB/s
# (1 MiB blocks) or IOPS (4 KiB); "na" when fio fails.
fio_run() {
	local file=$1 rw=$2 bs=$3 size=$4 io=$5 direct=$6 out what
	out=$(fio --name=bench --filename="$file" --rw="$rw" --bs="$bs" \
		--size="${size}M" --io_size="${io}M" --ioengine=psync \
		--direct="$direct" --end_fsync=1 --randrepeat=1 --norandommap \
		--output-format=json 2>/tmp/fio.err) || {
		echo "# bench-na: $cfg $rw direct=$direct: $(grep -v "^$" /tmp/fio.err | head -n 2 | tr "\n" " ")" >&2
		echo na
		return 1
	}
	case $rw in *read) what=read ;; *) what=write ;; esac
	if [ "$bs" = 1M ]; then
		jq -r ".jobs[0].$what.bw_bytes / 1048576 | . * 100 | round / 100" <<<"$out"
	else
		jq -r ".jobs[0].$what.iops | round" <<<"$out"
	fi
}

# meta_rate OP DIR N [ARGS]: operations per second of one metabench phase.
meta_rate() {
	local op=$1 dir=$2 n=$3 secs
	shift 3
	secs=$("$METABENCH" "$op" "$dir" "$n" "$@") || { echo na; return 1; }
	awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f\n", n / s }'
}

# run_rows WORKDIR: every row on one mounted configuration.
run_rows() {
	local w=$1 v bad=0 d

	# Sequential, buffered, 1 MiB: the write includes the final fsync;
	# the read starts from a cold page cache.
	v=$(fio_run "$w/seq" write 1M "$SEQ_MB" "$SEQ_MB" 0) || bad=1
	emit seq-write "$v"
	cold || return 1
	v=$(fio_run "$w/seq" read 1M "$SEQ_MB" "$SEQ_MB" 0) || bad=1
	emit seq-read "$v"
	rm -f "$w/seq"

	# Sequential, O_DIRECT, where the stack accepts it.
	v=$(fio_run "$w/seqd" write 1M "$SEQ_MB" "$SEQ_MB" 1)
	emit seq-write-direct "$v"
	v=$(fio_run "$w/seqd" read 1M "$SEQ_MB" "$SEQ_MB" 1)
	emit seq-read-direct "$v"
	rm -f "$w/seqd"

	# 4 KiB random, buffered: fio lays the file out (untimed) first.
	v=$(fio_run "$w/rand" randwrite 4k "$RAND_MB" "$RAND_IO_MB" 0) || bad=1
	emit rand-write-4k "$v"
	cold || return 1
	v=$(fio_run "$w/rand" randread 4k "$RAND_MB" "$RAND_IO_MB" 0) || bad=1
	emit rand-read-4k "$v"
	rm -f "$w/rand"

	# Small files: create (open O_CREAT|O_EXCL, write, close), stat
	# from a cold cache, unlink; one directory.
	d=$w/meta
	mkdir -p "$d"
	v=$(meta_rate create "$d" "$META_N" "$SMALL") || bad=1
	emit create "$v"
	cold || return 1
	v=$(meta_rate stat "$d" "$META_N") || bad=1
	emit stat "$v"
	v=$(meta_rate unlink "$d" "$META_N") || bad=1
	emit unlink "$v"
	sync
	rmdir "$d"

	# readdir of RD_N entries (on 3 disks except for bare): cold, then
	# warm (the same listing again, from a new open).
	cold || return 1
	v=$(meta_rate readdir "$w/rd" "$RD_N") || bad=1
	emit readdir-cold "$v"
	v=$(meta_rate readdir "$w/rd" "$RD_N") || bad=1
	emit readdir-warm "$v"
	return $bad
}

for ((round = 1; round <= BENCH_ROUNDS; round++)); do
	for cfg in "${configs[@]}"; do
		start=$(date +%s)
		if ! disks_fresh >/tmp/bench-setup.log 2>&1 ||
			! "cfg_${cfg}_prepare" >>/tmp/bench-setup.log 2>&1 ||
			! work=$("cfg_${cfg}_mount" 2>>/tmp/bench-setup.log) ||
			! "cfg_${cfg}_warmup" "$work" >>/tmp/bench-setup.log 2>&1; then
			ok 1 "round $round $cfg: setup"
			sed 's/^/#   /' /tmp/bench-setup.log
			"cfg_${cfg}_umount" 2>/dev/null
			disks_umount
			continue
		fi
		echo "# bench-time: round $round $cfg setup $(($(date +%s) - start))s"
		run_rows "$work" 2>/tmp/bench-rows.log
		status=$?
		grep '^# bench-na:' /tmp/bench-rows.log
		"cfg_${cfg}_umount" || status=1
		disks_umount || status=1
		ok $status "round $round $cfg ($(($(date +%s) - start))s)"
		[ $status -eq 0 ] || sed 's/^/#   /' /tmp/bench-rows.log
	done
done
mountpoint -q /mnt/pool || unload_smoothfs
exit 0
