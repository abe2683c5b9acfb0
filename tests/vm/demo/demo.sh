#!/bin/bash
# The smoothfs demonstration, run in the VM (systemd as PID 1) by `make demo`.
#
# smoothfsd is installed where the package puts it and activated by the
# first D-Bus call; CreatePool over busctl makes a three-tier pool on three
# ext4 disks (a small fast tier, a middle one, a large slow one).  A
# mixed workload writes 72 files, then reads a few of them often and the
# rest rarely.  Every planner interval the demonstration prints where the
# files are and the share of the bytes read that came from the fast tier,
# while the daemon moves hot files up and cold files down by itself.
# The table also goes to demo.csv in the run's results directory (and a
# plot, demo.png, when gnuplot is installed).
# vm-timeout: 1500
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

say() { printf '# %s\n' "$@"; }
show() { "$@" 2>&1 | sed 's/^/#   /'; }

pool=tank
mnt=/mnt/smoothfs/$pool
M=(org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager)
P=(org.smoothfs1 /org/smoothfs1/pool/$pool org.smoothfs1.Pool)
interval=10
rounds=${DEMO_ROUNDS:-9}
results=/run/smoothfs-vm	# the harness's results export
csv=$results/demo.csv

tier_of() {
	getfattr --absolute-names -n trusted.smoothfs.tier -e hex "$1" 2>/dev/null |
		sed -n 's/^trusted.smoothfs.tier=0x0*\([0-9a-f]\)$/\1/p'
}

plan 6
say "Kernel $(uname -r) in QEMU, systemd $(systemctl --version | sed -n '1s/systemd \([0-9]*\).*/\1/p') as PID 1"
load_smoothfs
ok $? "smoothfs.ko loads"

# --- the service, as the package installs it --------------------------------------
install_smoothfsd >/dev/null || exit 1
trap uninstall_smoothfsd EXIT
say "" "smoothfsd $(busctl get-property "${M[@]}" Version | tr -d '"s ') answers on the system bus (D-Bus activation)"

# --- three tiers -------------------------------------------------------------------
for i in 0 1 2; do
	dev=$(vm_disk disk$i) || exit 1
	case $i in 0) size=128M ;; 1) size=320M ;; 2) size= ;; esac
	mkfs.ext4 -q -F "$dev" $size && mkdir -p /srv/t$i && mount "$dev" /srv/t$i &&
		rmdir /srv/t$i/lost+found || exit 1
done
say "Tiers: /srv/t0 (fast, 128 MiB), /srv/t1 (320 MiB), /srv/t2 (slow, $(df -h --output=size /srv/t2 | tail -1 | tr -d ' '))"

say "" "busctl call org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager CreatePool \\"
say "    sasa{sv} $pool 3 /srv/t0 /srv/t1 /srv/t2 3 interval_sec u $interval min_residency_sec u 0 target_fill y 70"
run_ok "CreatePool over D-Bus" -- busctl --timeout=180 call "${M[@]}" CreatePool sasa{sv} $pool 3 \
	/srv/t0 /srv/t1 /srv/t2 3 interval_sec u $interval min_residency_sec u 0 target_fill y 70
uuid=$(busctl get-property "${P[@]}" UUID | sed 's/^s "\(.*\)"$/\1/')
echo 500 >/sys/fs/smoothfs/$uuid/heat_interval_ms
# New files land on the fastest tier with room; keep room for a file's growth.
echo "10 5 5" >/sys/fs/smoothfs/$uuid/reserve_pct
show findmnt -o TARGET,FSTYPE,OPTIONS $mnt
show systemctl status --no-pager -n 0 "mnt-smoothfs-$pool.mount"

# --- a mixed workload ----------------------------------------------------------------
# 72 files of 4 MiB: the first 24 fill the fast tier (new files go to the
# fastest tier with room), the rest spill.  The hot set is eight of the
# files written last, so it starts on the slow tiers.
mkdir -p $mnt/projects
for i in $(seq -w 1 72); do
	head -c $((4 << 20)) /dev/urandom >$mnt/projects/f$i || exit 1
done
sync
(cd $mnt && md5sum projects/*) >/tmp/demo.md5
hot=$(seq -w 65 72 | sed 's/^/f/')
say "" "72 files written through the mount; the hot set (read often): $(echo $hot | tr '\n' ' ')"

# One round of reads: every hot file twice, three random cold files once;
# counts the bytes read from files that were on tier 0 at the time.
fast_bytes=0 all_bytes=0
read_round() {
	local f t i
	for f in $hot $hot $(seq -w 1 64 | shuf -n 3 | sed 's/^/f/'); do
		t=$(tier_of $mnt/projects/$f)
		dd if=$mnt/projects/$f of=/dev/null bs=1M iflag=direct status=none
		all_bytes=$((all_bytes + 4))
		[ "$t" = 0 ] && fast_bytes=$((fast_bytes + 4))
	done
}
placement() {
	local f n0=0 n1=0 n2=0 h0=0
	for f in $(cd $mnt/projects && ls); do
		case $(tier_of $mnt/projects/$f) in
		0) n0=$((n0 + 1)); case " $(echo $hot) " in *" $f "*) h0=$((h0 + 1)) ;; esac ;;
		1) n1=$((n1 + 1)) ;;
		2) n2=$((n2 + 1)) ;;
		esac
	done
	echo "$n0 $n1 $n2 $h0"
}

say "" "Reading: the table shows, per planner interval, how many files each tier" \
	"holds, how many of the 8 hot files are on the fast tier, the share of bytes" \
	"read from the fast tier in that interval, and the daemon's moves so far." ""
say "$(printf '%5s  %6s %6s %6s  %9s  %9s  %5s' time tier0 tier1 tier2 'hot on 0' 'fast hits' moves)"
bar() { awk -v r="$1" 'BEGIN { n = int(r * 20 + 0.5); s = ""; for (i = 0; i < n; i++) s = s "#"; print s }'; }
echo "time,tier0,tier1,tier2,hot_on_tier0,fast_hit_ratio,moves" >"$csv"
start=$(date +%s)
first= last=
for r in $(seq 1 "$rounds"); do
	fast_bytes=0 all_bytes=0
	end=$(($(date +%s) + interval))
	while [ "$(date +%s)" -lt $end ]; do
		read_round
	done
	ratio=$(awk -v f=$fast_bytes -v a=$all_bytes 'BEGIN { printf "%.2f", a ? f / a : 0 }')
	read -r n0 n1 n2 h0 <<<"$(placement)"
	moves=$(busctl get-property "${P[@]}" MovesCompleted | awk '{print $2}')
	t=$(($(date +%s) - start))
	say "$(printf '%4ss  %6s %6s %6s  %7s/8  %9s  %5s  %s' $t $n0 $n1 $n2 $h0 $ratio $moves "$(bar $ratio)")"
	echo "$t,$n0,$n1,$n2,$h0,$ratio,$moves" >>"$csv"
	first=${first:-$ratio}
	last=$ratio
done

if command -v gnuplot >/dev/null; then
	gnuplot -e "set terminal png size 800,400; set output '${csv%.csv}.png';
		set datafile separator ','; set key autotitle columnhead; set yrange [0:1.05];
		set xlabel 'seconds'; set ylabel 'share of bytes read from the fast tier';
		plot '$csv' using 1:6 with linespoints title 'fast-tier hit ratio'" 2>/dev/null &&
		say "" "Plot: ${csv%.csv}.png"
fi

# All eight hot files on the fast tier serve 16 of every 19 reads.
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b >= 0.75 && b > a) }'
ok $? "the fast-tier hit ratio rose from $first to $last as the daemon tiered the pool"
[ "$h0" = 8 ]
ok $? "all eight hot files ended on the fast tier"

say "" "What the planner would do next (PlanMoves, a dry run):"
show busctl call "${P[@]}" PlanMoves a{sv} 1 limit u 5
say "" "Where the hot file f72 is, as the daemon reports it (Inspect):"
show busctl call "${P[@]}" Inspect s $mnt/projects/f72
say "" "The daemon's log of its last moves:"
journalctl -u smoothfsd --no-pager -o cat | grep -E 'promote|demote' | tail -n 6 | sed 's/^/#   /'

(cd $mnt && md5sum -c --quiet /tmp/demo.md5)
ok $? "every file has the content it was written with"
run_ok "DestroyPool: unmounted, unit removed, data left on the tiers" -- \
	busctl call "${P[@]}" Destroy a{sv} 0
say "$(find /srv/t0 /srv/t1 /srv/t2 -path '*/.smoothfs' -prune -o -type f -print | wc -l) files remain on the tiers after Destroy"
