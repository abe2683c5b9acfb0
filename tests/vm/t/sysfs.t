#!/bin/bash
# The per-pool sysfs directory /sys/fs/smoothfs/<uuid>/: present exactly
# while the pool is mounted, its tiers, counters that follow what the
# pool does, heat_interval_ms and reserve_pct that refuse bad values with
# EINVAL and change nothing, and a reserve change that moves placement.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 42

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b
mnt=/mnt/pool
sys=/sys/fs/smoothfs/$uuid
mkdir -p /t0 /t1 "/t 2" "$mnt"
mount -t tmpfs -o size=512k tmpfs /t0
mount -t tmpfs -o size=64m tmpfs /t1
mount -t tmpfs -o size=64m tmpfs "/t 2"
load_smoothfs

[ -d /sys/fs/smoothfs ] && [ -z "$(ls /sys/fs/smoothfs)" ]
ok $? "/sys/fs/smoothfs exists once the module is loaded, empty"
mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1:/t 2" none "$mnt"
[ -d "$sys" ]
ok $? "the pool's directory appears at mount"
is "$(ls "$sys" | tr '\n' ' ')" \
	"close_batches creates cutover_waits heat_interval_ms heat_records heat_waits journal_commits journal_flushes listing_builds listing_cache_entries listing_cache_used listing_hits moves reserve_pct spills tier_faults tier_faults_suppressed tiers " \
	"its attributes"
cat "$sys/tiers" | sed 's/^/# /'
is "$(sed 's/ 0x[0-9a-f]*$/ CAPS/' "$sys/tiers" | tr '\n' '|')" '0 /t0 CAPS|1 /t1 CAPS|2 /t\0402 CAPS|' \
	"tiers: rank, path (escaped) and capabilities, one line per tier"
caps=$(sed -n '1s/.* 0x//p' "$sys/tiers")
[ $((0x$caps & 3)) -eq 3 ]
ok $? "tier capabilities include user and trusted xattrs (0x$caps)"
is "$(stat -c %a "$sys/tiers") $(stat -c %a "$sys/heat_interval_ms") $(stat -c %a "$sys/reserve_pct") $(stat -c %a "$sys/creates")" \
	"444 644 644 444" "modes: counters read-only, settings root-writable"
for c in creates spills moves cutover_waits journal_commits journal_flushes close_batches heat_records heat_waits tier_faults tier_faults_suppressed listing_hits listing_builds; do
	printf '%s=%s ' "$c" "$(cat "$sys/$c")"
done >/tmp/counters
is "$(cat /tmp/counters)" \
	"creates=0 spills=0 moves=0 cutover_waits=0 journal_commits=0 journal_flushes=0 close_batches=0 heat_records=0 heat_waits=0 tier_faults=0 tier_faults_suppressed=0 listing_hits=0 listing_builds=0 " \
	"counters start at 0"

echo a >"$mnt/a"
mkdir "$mnt/d"
ln -s a "$mnt/l"
echo again >"$mnt/a"
is "$(cat "$sys/creates")" 3 "creates counts new objects (file, directory, symlink), not rewrites"

# heat_interval_ms
is "$(cat "$sys/heat_interval_ms")" 5000 "heat_interval_ms is 5000 by default"
run_ok "heat_interval_ms takes 100" -- sh -c "echo 100 >'$sys/heat_interval_ms'"
run_ok "heat_interval_ms takes 3600000" -- sh -c "echo 3600000 >'$sys/heat_interval_ms'"
for bad in abc 0 99 -5 3600001 99999999999999999999 "" "12 34" 0x100; do
	run_fails "Invalid argument" "heat_interval_ms refuses '$bad' with EINVAL" -- \
		bash -c "printf '%s\n' '$bad' >'$sys/heat_interval_ms'"
done
is "$(cat "$sys/heat_interval_ms")" 3600000 "and keeps its value"
run_fails "Permission denied" "only root writes heat_interval_ms" -- \
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo 1000 >'$sys/heat_interval_ms'"

# reserve_pct
is "$(cat "$sys/reserve_pct")" "5 5 5" "reserve_pct: one value per tier"
for bad in abc "5 5" "5 5 5 5" "101 5 5" "-1 5 5" "5,5,5" "5 5 x" ""; do
	run_fails "Invalid argument" "reserve_pct refuses '$bad' with EINVAL" -- \
		bash -c "printf '%s\n' '$bad' >'$sys/reserve_pct'"
done
is "$(cat "$sys/reserve_pct")" "5 5 5" "and keeps its values"

run_ok "reserve_pct takes '100 0 0'" -- sh -c "echo '100 0 0' >'$sys/reserve_pct'"
is "$(cat "$sys/reserve_pct")" "100 0 0" "reserve_pct reads back"
echo x >"$mnt/placed-1"
[ -f /t1/placed-1 ] && [ ! -e /t0/placed-1 ]
ok $? "with tier 0 all reserved, a new file goes to tier 1"
is "$(cat "$sys/spills") $(cat "$sys/creates")" "1 4" "counted as a create and a spill"
echo "0 0 0" >"$sys/reserve_pct"
echo x >"$mnt/placed-0"
[ -f /t0/placed-0 ]
ok $? "with no reserve, the next new file goes to tier 0 again"

# A reader holding an attribute open across unmount.
exec 3<"$sys/creates"
exec 4>"$sys/heat_interval_ms"
umount "$mnt"
[ ! -e "$sys" ] && [ -z "$(ls /sys/fs/smoothfs)" ]
ok $? "the directory disappears at unmount"
! cat <&3 >/dev/null 2>&1 && ! echo 1000 >&4 2>/dev/null
ok $? "attributes held open across unmount fail to read and write (no crash)"
exec 3<&- 4>&-
mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1:/t 2" none "$mnt"
is "$(cat "$sys/creates") $(cat "$sys/reserve_pct") $(cat "$sys/heat_interval_ms")" "0 5 5 5 5000" \
	"a new mount of the same pool starts afresh"
umount "$mnt"
umount /t0 /t1 "/t 2"
run_ok "the module unloads" -- rmmod smoothfs
[ ! -e /sys/fs/smoothfs ]
ok $? "and /sys/fs/smoothfs is gone"
