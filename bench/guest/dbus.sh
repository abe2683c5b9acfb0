#!/bin/bash
# Guest side of bench/run-dbus (systemd as PID 1): smoothfsd installed as
# the package installs it, DBUS_POOLS pools mounted by hand (one tmpfs
# tier each), then per round, kinds in an order that alternates between
# rounds:
#   # bench: ROUND dbus-KIND CALLS_PER_SECOND
#       bench/prog/dbusbench KIND for DBUS_SECS seconds: ping (the round
#       trip to smoothfsd through the bus, answered by sd-bus: the
#       baseline), bus-getid, version, pool-getall, list-pools, managed
#   # bench: ROUND create-pool MS / unit-start MS / destroy MS / unit-stop MS
#       medians of CREATE_N times: CreatePool of a two-tier pool (busctl,
#       until it is mounted) and its Destroy, against what it asks of
#       systemd done by hand (write the mount unit, daemon-reload,
#       systemctl enable --now; systemctl disable --now, remove the unit,
#       daemon-reload), alternating
#
# Environment (set by bench/run-dbus): BENCH_ROUNDS, DBUS_POOLS, DBUS_SECS,
# CREATE_N, DBUSBENCH.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

: "${BENCH_ROUNDS:=3}" "${DBUS_POOLS:=100}" "${DBUS_SECS:=5}" "${CREATE_N:=10}"
M=(org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager)
kinds=(ping bus-getid version pool-getall list-pools managed)

plan $((BENCH_ROUNDS + 1))
echo "# bench-info: kernel $(uname -r), systemd $(systemctl --version | awk 'NR == 1 { print $2 }')"
echo "# bench-info: rounds $BENCH_ROUNDS pools $DBUS_POOLS secs $DBUS_SECS create_n $CREATE_N"
echo "# bench-info: memory $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo) cpus $(nproc)"

load_smoothfs
install_smoothfsd >/dev/null
trap 'for m in /mnt/bench/*; do umount "$m" 2>/dev/null; done; uninstall_smoothfsd' EXIT
mkdir -p /bt /mnt/bench && mount -t tmpfs -o size=256m tmpfs /bt
for ((i = 0; i < DBUS_POOLS; i++)); do
	name=$(printf 'p%03d' "$i")
	mkdir -p "/bt/$name/t0" "/mnt/bench/$name" &&
		mount -t smoothfs -o "pool=$name,uuid=$(cat /proc/sys/kernel/random/uuid),tiers=/bt/$name/t0" \
			none "/mnt/bench/$name" || break
done
listed() { busctl --system call "${M[@]}" ListPools 2>/dev/null | awk '{ print $2 }'; }
for _ in $(seq 120); do [ "$(listed)" = "$DBUS_POOLS" ] && break; sleep 0.5; done
is "$(listed)" "$DBUS_POOLS" "smoothfsd lists the $DBUS_POOLS pools mounted by hand"

# CreatePool makes pool cbench; the baseline writes the same kind of unit
# for pool ubench (the daemon keeps listing a pool it saw mounted by
# systemd, unmounted, so the two do not share a name).
unit=mnt-bench-ubench.mount
cuuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b0d
uuuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b0e
mkdir -p /bt/c/t0 /bt/c/t1 /bt/u/t0 /bt/u/t1
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
create_pool() {
	busctl --system --timeout=120 call "${M[@]}" CreatePool 'sasa{sv}' cbench 2 /bt/c/t0 /bt/c/t1 2 \
		uuid s "$cuuid" mount_base s /mnt/bench >/dev/null
}
destroy_pool() {
	busctl --system --timeout=120 call org.smoothfs1 /org/smoothfs1/pool/cbench org.smoothfs1.Pool \
		Destroy 'a{sv}' 0 >/dev/null
}
unit_start() {
	printf '[Unit]\nDescription=bench\n\n[Mount]\nWhat=none\nWhere=/mnt/bench/ubench\nType=smoothfs\nOptions=pool=ubench,uuid=%s,tiers=/bt/u/t0:/bt/u/t1\n\n[Install]\nWantedBy=local-fs.target\n' \
		"$uuuid" >/etc/systemd/system/$unit &&
		systemctl daemon-reload && systemctl enable --now --quiet $unit
}
unit_stop() {
	systemctl disable --now --quiet $unit && rm /etc/systemd/system/$unit && systemctl daemon-reload
}
# timed_pair UP DOWN WHERE UP_MS DOWN_MS: run UP, which must mount WHERE,
# then DOWN, appending each one's milliseconds to its file.
timed_pair() {
	local t
	t=$(date +%s%N)
	"$1" || return 1
	ms "$t" >>"$4"
	mountpoint -q "$3" || { echo "# $1 did not mount $3"; return 1; }
	t=$(date +%s%N)
	"$2" || return 1
	ms "$t" >>"$5"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for ((round = 1; round <= BENCH_ROUNDS; round++)); do
	bad=0
	order=("${kinds[@]}")
	[ $((round % 2)) = 0 ] && order=(list-pools managed pool-getall version bus-getid ping)
	for k in "${order[@]}"; do
		out=$("$DBUSBENCH" "$k" "$DBUS_SECS" p000) || { bad=1; continue; }
		read -r rate n <<<"$out"
		case $k in list-pools | managed) [ "$n" -ge "$DBUS_POOLS" ] || { echo "# $k: $n pools"; bad=1; } ;; esac
		echo "# bench: $round dbus-$k $rate"
	done
	: >/run/c.create >/run/c.destroy >/run/c.start >/run/c.stop
	for ((j = 0; j < CREATE_N; j++)); do
		for side in $([ $(((round + j) % 2)) = 0 ] && echo "dbus unit" || echo "unit dbus"); do
			if [ "$side" = dbus ]; then
				timed_pair create_pool destroy_pool /mnt/bench/cbench /run/c.create /run/c.destroy
			else
				timed_pair unit_start unit_stop /mnt/bench/ubench /run/c.start /run/c.stop
			fi || { bad=1; break 2; }
		done
	done
	echo "# bench: $round create-pool $(median </run/c.create)"
	echo "# bench: $round destroy $(median </run/c.destroy)"
	echo "# bench: $round unit-start $(median </run/c.start)"
	echo "# bench: $round unit-stop $(median </run/c.stop)"
	ok $bad "round $round"
done
