#!/bin/bash
# smoothfsd end to end, with systemd as PID 1: the daemon on the guest's
# system bus (our bus policy installed), a pool created over busctl on
# tmpfs tiers, a file written through the mount, Inspect, Move to the
# other tier, Pin, then Destroy, which leaves the tier data alone.  The
# real polkitd, with our actions installed, asks an unprivileged caller
# to authenticate and nothing changes.  kill -9 of the daemon, with a
# move left open in its log, and a restart: the pool, its policy and its
# counters come back, and the open move is aborted and closed.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

root=/srv/smoothfsd-test
t0=$root/fast
t1=$root/slow
mnt=/mnt/smoothfs/tank
obj=/org/smoothfs1/pool/tank
pool_if=org.smoothfs1.Pool
bc() { busctl --system --timeout=240 "$@"; }

plan 36

t_start=$(date +%s)
step() { echo "# +$(($(date +%s) - t_start))s: $*"; }

load_smoothfs
ok $? "insmod smoothfs"

install_bus_policy
ok $? "dbus reloaded its configuration with org.smoothfs1.conf"

start_smoothfsd /run/smoothfsd-test.db /run/smoothfsd.log
pid=$smoothfsd_pid
busctl --system status org.smoothfs1 >/dev/null 2>&1
ok $? "smoothfsd owns org.smoothfs1"
is "$(bc get-property org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager KernelModuleLoaded)" \
	"b true" "KernelModuleLoaded"
is "$(bc call org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager ListPools)" "ao 0" \
	"no pools yet"

mkdir -p "$t0" "$t1"
mount -t tmpfs tmpfs "$t0" && mount -t tmpfs tmpfs "$t1"
ok $? "tmpfs tiers"

step "CreatePool"
out=$(bc call org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager CreatePool 'sasa{sv}' \
	tank 2 "$t0" "$t1" 1 target_fill y 70 2>&1)
is "$out" "o \"$obj\"" "CreatePool returns the pool object"
step "created"
findmnt -n -t smoothfs "$mnt" >/dev/null
ok $? "the pool is mounted at $mnt"
[ -e /etc/systemd/system/mnt-smoothfs-tank.mount ]
ok $? "its mount unit exists"
is "$(bc get-property org.smoothfs1 $obj $pool_if State)" 's "mounted"' "State is mounted"
bc get-property org.smoothfs1 $obj $pool_if Policy | grep -q '"target_fill" y 70'
ok $? "the policy option was applied"

echo hello >"$mnt/file"
sync
[ -f "$t0/file" ] && [ ! -e "$t1/file" ]
ok $? "a new file lands on tier 0"

out=$(bc call org.smoothfs1 $obj $pool_if Inspect s "$mnt/file" 2>&1)
echo "# $out"
oid=$(printf '%s' "$out" | sed -n 's/.*"oid" s "\([0-9a-f]*\)".*/\1/p')
printf '%s' "$out" | grep -q '"tier" y 0'
ok $? "Inspect: tier 0"

step "Move"
out=$(bc call org.smoothfs1 $obj $pool_if Move 'sya{sv}' "$mnt/file" 1 0 2>&1)
printf '%s' "$out" | grep -qE '^t [0-9]+$'
ok $? "Move returns a sequence ($out)"
[ -f "$t1/file" ] && [ ! -e "$t0/file" ]
ok $? "the file is on tier 1 now, and only there"
is "$(cat "$mnt/file")" hello "its content through the mount"
is "$(bc get-property org.smoothfs1 $obj $pool_if MovesCompleted)" "t 1" "MovesCompleted"
bc call org.smoothfs1 $obj $pool_if Inspect s "$mnt/file" | grep -q '"tier" y 1'
ok $? "Inspect: tier 1"
home=$t1

out=$(bc call org.smoothfs1 $obj $pool_if Pin ss "$mnt/file" pin_hot 2>&1)
ok $? "Pin pin_hot ($out)"
is "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$mnt/file" 2>&1)" pin_hot \
	"the pin xattr reads pin_hot"

out=$(bc call org.smoothfs1 $obj $pool_if Move 'sya{sv}' /etc/passwd 0 0 2>&1)
printf '%s' "$out" | grep -q "outside pool tank"
ok $? "a path outside the pool is refused ($out)"

step "polkit"
pkaction --action-id org.smoothfs1.manage-pools >/dev/null 2>&1 &&
	pkaction --action-id org.smoothfs1.manage-movement >/dev/null 2>&1
ok $? "polkitd knows both actions"
policy=$(bc get-property org.smoothfs1 $obj $pool_if Policy)
out=$(runuser -u nobody -- busctl --system --timeout=120 call org.smoothfs1 $obj $pool_if \
	SetPolicy 'a{sv}' 1 target_fill y 20 2>&1)
printf '%s' "$out" | grep -q "org.smoothfs1.manage-movement needs authentication"
ok $? "nobody: SetPolicy needs authentication ($out)"
is "$(bc get-property org.smoothfs1 $obj $pool_if Policy)" "$policy" "and the policy is unchanged"
out=$(runuser -u nobody -- busctl --system --timeout=120 --allow-interactive-authorization=no \
	call org.smoothfs1 $obj $pool_if Destroy 'a{sv}' 0 2>&1)
printf '%s' "$out" | grep -q "org.smoothfs1.manage-pools needs authentication"
ok $? "nobody: Destroy needs authentication ($out)"
findmnt -n -t smoothfs "$mnt" >/dev/null && [ -e /etc/systemd/system/mnt-smoothfs-tank.mount ]
ok $? "and the pool is still mounted, with its unit"
out=$(runuser -u nobody -- busctl --system --timeout=120 call org.smoothfs1 /org/smoothfs1 \
	org.smoothfs1.Manager ListPools 2>&1)
is "$out" "ao 1 \"$obj\"" "nobody: ListPools needs nothing"

step "kill -9"
db=/run/smoothfsd-test.db
failed=$(bc get-property org.smoothfs1 $obj $pool_if MovesFailed | cut -d' ' -f2)
kill -9 "$pid"
wait "$pid" 2>/dev/null
sqlite3 "$db" "INSERT INTO moves (pool, oid, seq, from_tier, to_tier, state, size) \
	VALUES ('tank', '$oid', 42, 0, 1, 'planned', 6)"
is "$(sqlite3 "$db" "SELECT COUNT(*) FROM moves WHERE finished_usec IS NULL")" 1 \
	"the log has a move left open"
start_smoothfsd "$db" /run/smoothfsd.log
pid=$smoothfsd_pid
is "$(bc call org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager ListPools)" "ao 1 \"$obj\"" \
	"after the restart the pool is there"
is "$(bc get-property org.smoothfs1 $obj $pool_if State)" 's "mounted"' "and mounted"
bc get-property org.smoothfs1 $obj $pool_if Policy | grep -q '"target_fill" y 70'
ok $? "its policy survived"
is "$(sqlite3 "$db" "SELECT state FROM moves WHERE seq = 42 AND finished_usec IS NOT NULL")" \
	aborted "the open move was aborted and closed"
is "$(bc get-property org.smoothfs1 $obj $pool_if MovesFailed)" "t $((failed + 1))" \
	"and counted as failed"

step "Destroy"
out=$(bc call org.smoothfs1 $obj $pool_if Destroy 'a{sv}' 0 2>&1)
ok $? "Destroy ($out)"
! findmnt -n -t smoothfs "$mnt" >/dev/null && [ ! -e /etc/systemd/system/mnt-smoothfs-tank.mount ]
ok $? "unmounted, and the unit is gone"
is "$(cat "$home/file" 2>&1)" hello "the tier data is left alone"

kill "$pid"
wait "$pid"
echo "# smoothfsd log:"
sed 's/^/#   /' /run/smoothfsd.log
umount "$t0" "$t1"
