#!/bin/bash
# Guest side of bench/run-scale: what a pool costs as the number of files
# already in its tiers grows.  Three virtio disks, ext4 each (/s0 /s1 /s2),
# pool at /mnt/scale.  For each count N in SCALE_COUNTS the tiers are made
# afresh and N empty files written straight into them (a third on each
# tier, 1000 per directory: a pool adopted over existing data), then:
#   mount      the pool's mount time, caches cold, against the three
#              disks' own mount times (the baseline: what the tiers cost
#              anyway)
#   inodes     smoothfs_inode slab objects after the mount, after a stat
#              of 1000 files, after a walk that stats every file (find
#              -printf %s, as du does), and after the dentry and inode
#              caches are dropped
#   slab       the kernel's Slab total (kB) at the same points, and the
#              same walk on the bare tiers for comparison
#   walk       seconds of that walk through the pool and over the bare
#              tiers
#   heat       every file opened once (cat through xargs: N active
#              files, the heat samples held back meanwhile), then the
#              drain of their heat into HEAT_SAMPLE messages to a
#              subscriber (nl-tool events): its time, from the sysfs
#              write that brings the sample forward to the last message,
#              against the time the opens took, and the records received
# Prints, one TAP result per count:
#   # bench-scale: N KEY VALUE
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

: "${SCALE_COUNTS:=10000 100000 1000000}"
mnt=/mnt/scale
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b03
opts="pool=scale,uuid=$uuid,tiers=/s0:/s1:/s2"
sys=/sys/fs/smoothfs/$uuid
nl=$SMOOTHFS_BUILD/vm-progs/nl-tool
# The heat subscriber stops after this long without a sample: long enough
# for it to be still waiting when the sample is brought forward.
quiet_ms=5000
read -r -a counts <<<"$SCALE_COUNTS"

plan "${#counts[@]}"
echo "# bench-info: kernel $(uname -r)"
echo "# bench-info: counts $SCALE_COUNTS memory $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo) cpus $(nproc)"
load_smoothfs
modprobe ext4
mkdir -p /s0 /s1 /s2 "$mnt"

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
objects() { awk '$1 == "smoothfs_inode" { print $2 }' /proc/slabinfo; }
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }

tiers_mount() {
	local i
	for i in 0 1 2; do mount "$(vm_disk "disk$i")" "/s$i" || return 1; done
}

for n in "${counts[@]}"; do
	(
		set -e
		per=$(((n + 2) / 3))
		for i in 0 1 2; do
			# Enough inodes for a third of the files.
			mkfs.ext4 -q -F -N $((per + 20000)) "$(vm_disk "disk$i")"
		done
		tiers_mount
		rmdir /s0/lost+found /s1/lost+found /s2/lost+found
		python3 - "$n" <<'EOF'
import os, sys
n = int(sys.argv[1])
for i in range(n):
    d = "/s%d/d%04d" % (i % 3, i // 3000)
    if i % 3000 < 3:
        os.makedirs(d, exist_ok=True)
    os.close(os.open("%s/f%d" % (d, i), os.O_CREAT | os.O_WRONLY, 0o644))
EOF
		sync
		umount /s0 /s1 /s2
		drop
		start=$(date +%s%N)
		tiers_mount
		echo "# bench-scale: $n tiers-mount-ms $(ms "$start")"
		drop
		base_objs=$(objects)
		base_slab=$(slab_kb)
		start=$(date +%s%N)
		mount -t smoothfs -o "$opts" none "$mnt"
		echo "# bench-scale: $n mount-ms $(ms "$start")"
		echo "# bench-scale: $n inodes-mount $(($(objects) - base_objs))"
		echo "# bench-scale: $n slab-kb-mount $(($(slab_kb) - base_slab))"
		find "$mnt/d0000" -maxdepth 1 -type f | head -n 1000 | xargs stat >/dev/null
		echo "# bench-scale: $n inodes-stat1000 $(($(objects) - base_objs))"
		start=$(date +%s%N)
		files=$(find "$mnt" -type f -printf '%s\n' | wc -l)
		echo "# bench-scale: $n walk-ms $(ms "$start")"
		echo "# bench-scale: $n walk-files $files"
		echo "# bench-scale: $n inodes-walk $(($(objects) - base_objs))"
		echo "# bench-scale: $n slab-kb-walk $(($(slab_kb) - base_slab))"
		# Heat: N files opened, then one drain of all of them.
		interval=$(cat "$sys/heat_interval_ms")
		echo 3600000 >"$sys/heat_interval_ms"
		start=$(date +%s%N)
		find "$mnt" -type f -print0 | xargs -0 cat
		echo "# bench-scale: $n open-ms $(ms "$start")"
		"$nl" events 0 "$quiet_ms" 10 >/tmp/heat.out 2>&1 &
		sub=$!
		for _ in $(seq 100); do grep -q subscribed /tmp/heat.out && break; sleep 0.1; done
		start=$(date +%s%N)
		echo 100 >"$sys/heat_interval_ms"
		# A subscriber that failed (the kernel dropped samples on a full
		# socket, say) or missed the start gives no drain time.
		if wait "$sub" && grep -q subscribed /tmp/heat.out; then
			echo "# bench-scale: $n heat-drain-ms $(($(ms "$start") - quiet_ms - 100))"
		else
			echo "# heat subscriber failed: $(tail -n 1 /tmp/heat.out)"
		fi
		echo "# bench-scale: $n heat-records $(grep -c '^heat ' /tmp/heat.out)"
		echo "# bench-scale: $n heat-messages $(grep -c '^event=10 ' /tmp/heat.out)"
		echo "$interval" >"$sys/heat_interval_ms"
		drop
		echo "# bench-scale: $n inodes-dropped $(($(objects) - base_objs))"
		echo "# bench-scale: $n slab-kb-dropped $(($(slab_kb) - base_slab))"
		umount "$mnt"
		drop
		base_slab=$(slab_kb)
		start=$(date +%s%N)
		bare=$(find /s0 /s1 /s2 -name .smoothfs -prune -o -type f -printf '%s\n' | wc -l)
		echo "# bench-scale: $n bare-walk-ms $(ms "$start")"
		echo "# bench-scale: $n bare-slab-kb-walk $(($(slab_kb) - base_slab))"
		umount /s0 /s1 /s2
		[ "$files" = "$n" ] && [ "$bare" = "$n" ]
	)
	ok $? "$n files: mount, stat, walk (see the bench-scale lines)"
done
