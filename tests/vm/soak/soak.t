#!/bin/bash
# vm-timeout: 3000
# Soak (issue 9.4): a mixed workload against a pool while smoothfsd moves
# its files all the time, for SMOOTHFS_T_SOAK_SECONDS (default 90;
# make torture-soak: SOAK_SECONDS, 1800 by default).  Three fsx-style workers
# (tests/vm/soak-worker.py: random writes, extends, truncates, reads and
# mmap reads checked against a model, fsyncs, renames, deletes, appends
# through a descriptor held open), a reader checking 20 fixed files, and
# Pool.Move of random files to random tiers in a loop besides the
# daemon's own planner (every 10 s, low watermarks, so it promotes and
# demotes too).  Then: no mismatch, moves done, the daemon's memory
# bounded, every file once on the tiers, and after a remount every file
# as the workers last saw it.  Tiers: ext4 (disk0, 256 MiB) and xfs
# (disk1).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

secs=${SMOOTHFS_T_SOAK_SECONDS:-90}
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a7d
mnt=/mnt/smoothfs/soak
obj=/org/smoothfs1/pool/soak
P=(org.smoothfs1 $obj org.smoothfs1.Pool)
run=/run/soak
bc() { busctl --system --timeout=120 "$@"; }
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

plan 13

mkdir -p /t0 /t1 "$mnt" "$run"
mkfs.ext4 -q -F "$(vm_disk disk0)" 256M && mkfs.xfs -q -f "$(vm_disk disk1)" &&
	mount "$(vm_disk disk0)" /t0 && mount "$(vm_disk disk1)" /t1 && rmdir /t0/lost+found
ok $? "tiers: ext4 (256 MiB) and xfs"
load_smoothfs
install_bus_policy
start_smoothfsd "$run/smoothfsd.db" "$run/smoothfsd.log"
pid=$smoothfsd_pid
mount -t smoothfs -o "pool=soak,uuid=$uuid,tiers=/t0:/t1" none "$mnt" &&
	echo 500 >/sys/fs/smoothfs/$uuid/heat_interval_ms
for _ in $(seq 100); do bc get-property "${P[@]}" State >/dev/null 2>&1 && break; sleep 0.2; done
run_ok "the daemon manages the pool, planning every 10 s" -- bc call "${P[@]}" SetPolicy a{sv} 5 \
	interval_sec u 10 min_residency_sec u 0 target_fill y 20 high_watermark y 30 \
	low_watermark y 10

mkdir "$mnt/static"
for i in $(seq 20); do head -c 1M /dev/urandom >"$mnt/static/s$i"; done
(cd "$mnt/static" && md5sum s*) >"$run/static.md5"
ok $? "20 fixed files for the reader"

# --- the soak -------------------------------------------------------------------
end=$(($(date +%s) + secs))
for w in 0 1 2; do
	"$SMOOTHFS_SRC/tests/vm/soak-worker.py" "$mnt/w$w" "$secs" "$((RANDOM + w))" "$run/w$w.md5" \
		>"$run/w$w.out" 2>&1 &
	workers+=($!)
done
(
	bad=0 rounds=0
	while [ "$(date +%s)" -lt "$end" ]; do
		(cd "$mnt/static" && md5sum --quiet -c "$run/static.md5") >>"$run/reader.out" 2>&1 ||
			bad=$((bad + 1))
		rounds=$((rounds + 1))
	done
	echo "$rounds $bad" >"$run/reader.result"
) &
reader=$!
(
	tried=0
	while [ "$(date +%s)" -lt "$end" ]; do
		f=$(find "$mnt" -type f 2>/dev/null | shuf -n 1)
		[ -n "$f" ] || continue
		bc call "${P[@]}" Move sya{sv} "$f" $((RANDOM % 2)) 0 >/dev/null 2>&1
		tried=$((tried + 1))
	done
	echo "$tried" >"$run/mover.result"
) &
mover=$!
sleep $((secs < 40 ? secs / 2 : 20))
rss0=$(rss_kib "$pid")
fail=0
for p in "${workers[@]}"; do wait "$p" || fail=1; done
wait "$reader" "$mover"
rss1=$(rss_kib "$pid")
cat "$run"/w?.out | sed 's/^/# /'
is "$fail" 0 "the workers found every file as their model says ($secs s)"
read -r rounds bad <"$run/reader.result"
is "$bad" 0 "the reader found the fixed files intact ($rounds rounds)"
done_moves=$(bc get-property "${P[@]}" MovesCompleted | cut -d' ' -f2)
failed_moves=$(bc get-property "${P[@]}" MovesFailed | cut -d' ' -f2)
[ "$done_moves" -gt 0 ]
ok $? "files moved all along: $done_moves moves done, $failed_moves failed (renamed, deleted or busy), $(cat "$run/mover.result") Move calls"
[ "$rss1" -le $((rss0 + 32768)) ]
ok $? "the daemon's memory stayed bounded: RSS $rss0 KiB after warm-up, $rss1 KiB at the end"
kill -0 "$pid"
ok $? "smoothfsd still runs"

# --- afterwards --------------------------------------------------------------------
for _ in $(seq 30); do umount "$mnt" 2>/dev/null && break; sleep 1; done
! mountpoint -q "$mnt"
ok $? "the pool unmounts"
dups=$( (cd /t0 && find . -path ./.smoothfs -prune -o -type f -print; cd /t1 && find . -path ./.smoothfs -prune -o -type f -print) | sort | uniq -d)
is "$dups" "" "every file is on one tier only"
is "$(find /t0/.smoothfs/stage /t1/.smoothfs/stage -type f | wc -l)" 0 "nothing left staged"
mount -t smoothfs -o "pool=soak,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
out=$(for w in 0 1 2; do (cd "$mnt/w$w" && sed 's/^\(.*\) \(.*\)$/\2  \1/' "$run/w$w.md5" | md5sum --quiet -c); done 2>&1;
	cd "$mnt/static" && md5sum --quiet -c "$run/static.md5" 2>&1)
is "$out" "" "after a remount every file is as last written"

kill "$pid"
wait "$pid"
ok $? "smoothfsd exits cleanly"
umount "$mnt"
umount /t0 /t1
