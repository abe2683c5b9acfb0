#!/bin/bash
# smoothfsd end to end, with systemd as PID 1: the service installed as
# the package installs it, activated by the first D-Bus call; CreatePool
# over busctl on three ext4 disks (a small fast tier); files written
# through the mount; heat from reads; the daemon promoting the hot files
# and demoting cold ones by itself, up to four moves at once
# (max_concurrent 4); Move and Pin over D-Bus; kill -9 of the daemon in
# the middle of moves and a restart with nothing lost and no second copy;
# bad input refused; Destroy leaving the tier data.
# vm-timeout: 900
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 37

pool=tank
mnt=/mnt/smoothfs/$pool
unit=mnt-smoothfs-$pool.mount
M=(org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager)
P=(org.smoothfs1 /org/smoothfs1/pool/$pool org.smoothfs1.Pool)
t_start=$(date +%s)
step() { echo "# +$(($(date +%s) - t_start))s: $*"; }

# The tier a file is on now, as the kernel says (one byte, hex).
tier_of() {
	getfattr --absolute-names -n trusted.smoothfs.tier -e hex "$1" 2>/dev/null |
		sed -n 's/^trusted.smoothfs.tier=0x0*\([0-9a-f]\)$/\1/p'
}
# Waits up to $1 seconds for "$2..." to succeed.
wait_for() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 1
	done
	return 1
}
# Each file under the mount on exactly one tier, with its manifest sum.
one_copy_each() {
	local f rel n t
	while read -r _ rel; do
		n=0
		for t in /srv/t0 /srv/t1 /srv/t2; do
			[ -e "$t/$rel" ] && n=$((n + 1))
		done
		[ $n -eq 1 ] || { echo "# $rel: $n copies on the tiers"; return 1; }
	done <"$manifest"
}

load_smoothfs
ok $? "insmod smoothfs"

# --- the service, installed where the package puts it ------------------------
install_smoothfsd >/dev/null
ok $? "service installed, systemd and the bus reloaded"
# Whatever happens, the next test gets a system without the service.
trap 'mountpoint -q $mnt && busctl call "${P[@]}" Destroy a{sv} 0 >/dev/null 2>&1; uninstall_smoothfsd' EXIT

step "activation"
ver=$(busctl get-property "${M[@]}" Version 2>&1)
is "$ver" "s \"$(cat "$SMOOTHFS_SRC/VERSION")\"" "the first call activates the service"
is "$(systemctl is-active smoothfsd)" active "smoothfsd.service is running"
is "$(busctl get-property "${M[@]}" KernelModuleLoaded)" "b true" "it sees the module"

# --- tiers: a 160 MiB fast tier, then 400 MiB, then the rest ------------------
for i in 0 1 2; do
	dev=$(vm_disk disk$i) || exit 1
	case $i in 0) size=160M ;; 1) size=400M ;; 2) size= ;; esac
	mkfs.ext4 -q -F "$dev" $size && mkdir -p /srv/t$i && mount "$dev" /srv/t$i || exit 1
done
# Already on the slow tier before the pool exists: adopted, then promoted.
mkdir -p /srv/t2/hot
for i in $(seq 1 8); do
	head -c $((4 << 20)) /dev/urandom >/srv/t2/hot/h$i
done
ok $? "three ext4 tiers, eight 4 MiB files on the slowest"

step "CreatePool"
run_ok "CreatePool over busctl" -- busctl --timeout=180 call "${M[@]}" CreatePool sasa{sv} $pool 3 \
	/srv/t0 /srv/t1 /srv/t2 5 interval_sec u 10 min_residency_sec u 0 \
	target_fill y 70 high_watermark y 80 max_concurrent u 4
is "$(systemctl is-active $unit)" active "systemd mounted $unit"
mountpoint -q $mnt
ok $? "the pool is mounted at $mnt"
uuid=$(busctl get-property "${P[@]}" UUID | sed 's/^s "\(.*\)"$/\1/')
[[ $(busctl get-property "${P[@]}" Policy) == *'"max_concurrent" u 4'* ]]
ok $? "the engine may run four moves at once"
echo 500 >/sys/fs/smoothfs/$uuid/heat_interval_ms
ok $? "heat sampled every 500 ms"

# Cold data written through the mount fills the fast tier past its watermark.
mkdir -p $mnt/cold
for i in $(seq 1 34); do
	head -c $((4 << 20)) /dev/urandom >$mnt/cold/c$i || break
done
sync
manifest=/run/daemon-manifest
(cd $mnt && find . -type f -exec md5sum {} + | sort -k2) >$manifest
is "$(wc -l <$manifest)" 42 "42 files in the pool"
is "$(tier_of $mnt/hot/h1)" 2 "the hot files start on tier 2"

# --- the engine moves by itself --------------------------------------------
step "heat"
heat() {
	local i
	for i in $(seq 1 8); do
		dd if=$mnt/hot/h$i of=/dev/null bs=1M iflag=direct status=none
	done
}
promoted() {
	heat
	local i
	for i in $(seq 1 8); do
		[ "$(tier_of $mnt/hot/h$i)" = 0 ] || return 1
	done
}
wait_for 120 promoted
st=$?
ok $st "the daemon promoted all eight hot files to tier 0"
if [ $st -ne 0 ]; then
	busctl call "${P[@]}" Inspect s $mnt/hot/h1 | sed 's/^/# /'
	journalctl -u smoothfsd --no-pager | tail -n 40 | sed 's/^/# /'
fi
step "promoted"
demoted=0
for i in $(seq 1 34); do
	[ "$(tier_of $mnt/cold/c$i)" != 0 ] && demoted=$((demoted + 1))
done
[ $demoted -gt 0 ]
ok $? "and demoted cold files to make room ($demoted)"
t0_use=$(df --output=pcent /srv/t0 | tail -1 | tr -dc 0-9)
[ "$t0_use" -le 85 ]
ok $? "the fast tier is back near its target ($t0_use% used)"
moves=$(busctl get-property "${P[@]}" MovesCompleted | awk '{print $2}')
[ "$moves" -ge $((8 + demoted)) ]
ok $? "MovesCompleted counts them ($moves)"
(cd $mnt && find . -type f -exec md5sum {} + | sort -k2) | diff -q - $manifest >/dev/null
ok $? "every file has its content"
# The kernel closes moves (removes old copies) in batches after their cutovers.
wait_for 10 one_copy_each >/dev/null
one_copy_each
ok $? "every file is on exactly one tier"

# --- Move and Pin over D-Bus -------------------------------------------------
step "Move, Pin"
seq=$(busctl --timeout=120 call "${P[@]}" Move sya{sv} $mnt/hot/h1 2 0 2>&1)
now=$(tier_of $mnt/hot/h1)
[[ $seq =~ ^t\ [0-9]+$ ]] && [ "$now" = 2 ]
st=$?
ok $st "Move puts hot/h1 on tier 2 ($seq, now on tier $now)"
[ $st -eq 0 ] || journalctl -u smoothfsd --no-pager | tail -n 30 | sed 's/^/# /'
run_ok "Pin pin_cold" -- busctl call "${P[@]}" Pin ss $mnt/hot/h2 pin_cold
is "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin $mnt/hot/h2 2>&1)" pin_cold \
	"the pin is on the file"
wait_for 60 bash -c "[ \"\$(getfattr --absolute-names -n trusted.smoothfs.tier -e hex $mnt/hot/h2 | sed -n 's/.*=0x//p')\" = 02 ]"
st=$?
ok $st "the engine honours the pin: hot/h2 goes to the slowest tier"
if [ $st -ne 0 ]; then
	busctl call "${P[@]}" Inspect s $mnt/hot/h2 | sed 's/^/# /'
	busctl call "${P[@]}" PlanMoves a{sv} 0 | sed 's/^/# /'
	journalctl -u smoothfsd --no-pager | tail -n 40 | sed 's/^/# /'
fi

# --- bad input changes nothing -----------------------------------------------
# busctl prints the message, not the error name (tests/dbus checks those).
run_fails "no pool nosuch" "GetPool of an unknown pool" -- busctl call "${M[@]}" GetPool s nosuch
run_fails "is outside pool $pool" "Move of a path outside the pool" -- \
	busctl call "${P[@]}" Move sya{sv} /etc/passwd 0 0
run_fails "has no tier 7" "Move to a tier the pool does not have" -- \
	busctl call "${P[@]}" Move sya{sv} $mnt/hot/h3 7 0
run_fails "unknown pin" "an unknown pin" -- busctl call "${P[@]}" Pin ss $mnt/hot/h3 pin_warm

# --- heat survives a restart ----------------------------------------------------
step "restart"
for i in 3 4 5; do
	dd if=$mnt/hot/h$i of=/dev/null bs=1M iflag=direct status=none
done
sleep 2
run_ok "systemctl restart smoothfsd" -- systemctl restart smoothfsd
heat=$(busctl call "${P[@]}" Inspect s $mnt/hot/h3 | grep -o '"heat" d [-0-9.e+]*' | awk '{print $3}')
awk -v h="${heat:-0}" 'BEGIN { exit !(h > 0) }'
ok $? "the restarted daemon remembers the heat of hot/h3 (${heat:-none})"

# --- kill -9 in the middle of moves --------------------------------------------
step "kill -9"
# Everything cold becomes hot: a long round of moves starts.
busctl call "${P[@]}" SetPolicy a{sv} 1 target_fill y 100 >/dev/null
for i in $(seq 1 34); do cat $mnt/cold/c$i >/dev/null; done
sleep 12
pid=$(systemctl show -P MainPID smoothfsd)
kill -9 "$pid"
ok $? "smoothfsd killed with SIGKILL (pid $pid)"
sleep 1
ver=$(busctl get-property "${M[@]}" Version 2>&1)
[[ $ver == s* ]] && [ "$(systemctl show -P MainPID smoothfsd)" != "$pid" ]
ok $? "the next call brings a new smoothfsd up"
# The new daemon resumes moving; stop it and let the moves in flight end.
busctl call "${P[@]}" SetPolicy a{sv} 1 enabled b false >/dev/null
no_staged() { [ -z "$(ls -A /srv/t0/.smoothfs/stage /srv/t1/.smoothfs/stage /srv/t2/.smoothfs/stage 2>/dev/null)" ]; }
wait_for 120 no_staged
(cd $mnt && find . -type f -exec md5sum {} + | sort -k2) | diff -q - $manifest >/dev/null
ok $? "after the kill every file still has its content"
wait_for 10 one_copy_each >/dev/null
one_copy_each
ok $? "after the kill every file is on exactly one tier"
left=$(ls -A /srv/t0/.smoothfs/stage /srv/t1/.smoothfs/stage /srv/t2/.smoothfs/stage 2>/dev/null | grep -v '^/\|^$')
is "$left" "" "no staged copies left behind"
[ -z "$left" ] || journalctl -u smoothfsd --no-pager | tail -n 30 | sed 's/^/# /'

# --- Destroy -----------------------------------------------------------------
step "Destroy"
# Destroy waits for systemd to stop the mount: under load, longer than
# busctl's default 25 s.
run_ok "Destroy" -- busctl --timeout=180 call "${P[@]}" Destroy a{sv} 0
! mountpoint -q $mnt && [ ! -e /etc/systemd/system/$unit ]
ok $? "the pool is unmounted and its unit removed"
n=$(find /srv/t0 /srv/t1 /srv/t2 -path '*/.smoothfs' -prune -o -type f -print | wc -l)
is "$n" 42 "all 42 files are still on the tiers"
