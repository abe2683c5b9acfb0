#!/bin/bash
# Guest side of bench/run-tiering (systemd as PID 1): the placement policy
# end to end.  smoothfsd installed as the package installs it; CreatePool
# over D-Bus makes a three-tier pool on three ext4 disks (a fast tier that
# holds about a tenth of the data, a middle one, a large slow one), with
# the daemon's moves off; POLICY_FILES files of POLICY_FILE_MB MiB are
# written through the mount (new files go to the fastest tier with room,
# so the first ones written fill the fast tier).  Then bench/prog/zipfread
# reads them, whole and O_DIRECT, with Zipf(POLICY_ALPHA) popularity over
# a random order, one planner interval per round, counting the bytes each
# tier served:
#   static   POLICY_STATIC rounds with the moves still off: the pool as
#            it was written (the baseline: what a pool that never moves
#            files serves from its fast tier)
#   tiering  SetPolicy enabled=true: POLICY_ROUNDS rounds while the
#            daemon moves files by itself
#   shift    a new random popularity order (the hot set moves):
#            POLICY_ROUNDS rounds more, the moves at full speed
#   limited  the same after another shift, with the daemon's moves held
#            to POLICY_LIMIT_MB MiB/s (max_bytes_per_sec): what the limit
#            gives the foreground reads and what it costs in convergence
# Lines:
#   # bench-policy: PHASE ROUND SECONDS READS BYTES_T0 BYTES_T1 BYTES_T2 FILES_ON_T0 MOVES
#   # bench-policy-optimal: FILES_ON_T0 SHARE   (zipfread --optimal: the
#            share of reads the most popular files that fit there take)
#   # bench-policy-written: FILES SHARE   (the same for as many files as
#            the fast tier held once written: above the target fill)
# Every file's content is checked at the end.
#
# Environment (set by bench/run-tiering): POLICY_FILES, POLICY_FILE_MB,
# POLICY_ALPHA, POLICY_STATIC, POLICY_ROUNDS, POLICY_LIMIT_MB, ZIPFREAD.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

: "${POLICY_FILES:=120}" "${POLICY_FILE_MB:=2}" "${POLICY_ALPHA:=0.9}"
: "${POLICY_STATIC:=3}" "${POLICY_ROUNDS:=12}" "${POLICY_LIMIT_MB:=2}"
pool=bench
mnt=/mnt/smoothfs/$pool
M=(org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager)
P=(org.smoothfs1 /org/smoothfs1/pool/$pool org.smoothfs1.Pool)
interval=10	# the daemon's shortest planner interval
data_mb=$((POLICY_FILES * POLICY_FILE_MB))

plan 5
echo "# bench-info: kernel $(uname -r), systemd $(systemctl --version | awk 'NR == 1 { print $2 }')"
echo "# bench-info: files $POLICY_FILES file_mb $POLICY_FILE_MB alpha $POLICY_ALPHA interval $interval static $POLICY_STATIC rounds $POLICY_ROUNDS limit_mb $POLICY_LIMIT_MB"
echo "# bench-info: memory $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo) cpus $(nproc)"

load_smoothfs
install_smoothfsd >/dev/null
trap uninstall_smoothfsd EXIT

# Tier 0: a tenth of the data at the 70% target fill, plus ext4's own
# (journal and metadata: about 6 MiB at these sizes).
t0_mb=$((data_mb / 10 * 10 / 7 + 6))
for i in 0 1 2; do
	dev=$(vm_disk disk$i) || exit 1
	case $i in 0) size=${t0_mb}M ;; 1) size=$((data_mb / 2))M ;; 2) size= ;; esac
	mkfs.ext4 -q -F "$dev" $size && mkdir -p /srv/t$i && mount "$dev" /srv/t$i &&
		rmdir /srv/t$i/lost+found || exit 1
done
run_ok "CreatePool over D-Bus, moves off" -- busctl --timeout=180 call "${M[@]}" CreatePool sasa{sv} \
	$pool 3 /srv/t0 /srv/t1 /srv/t2 4 enabled b false interval_sec u $interval \
	min_residency_sec u 0 target_fill y 70
uuid=$(busctl get-property "${P[@]}" UUID | sed 's/^s "\(.*\)"$/\1/')
echo 500 >"/sys/fs/smoothfs/$uuid/heat_interval_ms"
echo "10 5 5" >"/sys/fs/smoothfs/$uuid/reserve_pct"

mkdir -p "$mnt/data"
for ((i = 0; i < POLICY_FILES; i++)); do
	head -c $((POLICY_FILE_MB << 20)) /dev/urandom >"$(printf '%s/data/f%04d' "$mnt" "$i")" || exit 1
done
sync
(cd "$mnt" && md5sum data/*) >/tmp/tiering.md5
on_t0() { "$ZIPFREAD" --placement "$mnt/data" "$POLICY_FILES" | awk '{ print $2 }'; }
k0=$(on_t0)
echo "# bench-info: tier 0 ${t0_mb} MiB, $k0 of $POLICY_FILES files on it after writing"

# round PHASE N SEED: one planner interval of reads.
round() {
	local out moves
	out=$("$ZIPFREAD" "$mnt/data" "$POLICY_FILES" "$POLICY_ALPHA" "$3" "$interval") || return 1
	moves=$(busctl get-property "${P[@]}" MovesCompleted | awk '{ print $2 }')
	# out: reads N bytes T0 T1 T2
	echo "# bench-policy: $1 $2 $(($(date +%s) - start)) $(echo "$out" | awk '{ print $2, $4, $5, $6 }') $(on_t0) $moves"
}
start=$(date +%s)
ok=0
for ((r = 1; r <= POLICY_STATIC; r++)); do round static "$r" 1 || ok=1; done
busctl call "${P[@]}" SetPolicy a{sv} 1 enabled b true || ok=1
for ((r = 1; r <= POLICY_ROUNDS; r++)); do round tiering "$r" 1 || ok=1; done
for ((r = 1; r <= POLICY_ROUNDS; r++)); do round shift "$r" 2 || ok=1; done
busctl call "${P[@]}" SetPolicy a{sv} 1 max_bytes_per_sec t $((POLICY_LIMIT_MB << 20)) || ok=1
for ((r = 1; r <= POLICY_ROUNDS; r++)); do round limited "$r" 3 || ok=1; done
ok $ok "every round of reads ran"
k=$(on_t0)
echo "# bench-policy-optimal: $k $("$ZIPFREAD" --optimal "$POLICY_FILES" "$POLICY_ALPHA" "$k")"
echo "# bench-policy-written: $k0 $("$ZIPFREAD" --optimal "$POLICY_FILES" "$POLICY_ALPHA" "$k0")"

[ "$(busctl get-property "${P[@]}" MovesFailed | awk '{ print $2 }')" = 0 ]
ok $? "no move failed"
(cd "$mnt" && md5sum -c --quiet /tmp/tiering.md5)
ok $? "every file has the content it was written with"
run_ok "Destroy" -- busctl call "${P[@]}" Destroy a{sv} 0
