#!/bin/bash
# The smoothfs demonstration, run in the VM by `make demo`.
#
# A pool over two real disks (a small ext4 "fast" tier and a larger xfs
# "slow" tier) that already hold data: the pool adopts it, new files land
# on the fast tier until it reaches its reserve, then spill to the slow
# one, and the control interface reports pools and events.  Moving files
# between tiers arrives with the movement work and will be shown here.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

say() { printf '# %s\n' "$@"; }
show() { "$@" 2>&1 | sed 's/^/#   /'; }
tool=$SMOOTHFS_BUILD/vm-progs/nl-tool

plan 6
say "Kernel $(uname -r) in QEMU"
modprobe -a ext4 xfs
mkfs.ext4 -q -F "$(vm_disk disk0)" && mkdir -p /tiers/fast && mount "$(vm_disk disk0)" /tiers/fast
mkfs.xfs -q -f "$(vm_disk disk1)" && mkdir -p /tiers/slow && mount "$(vm_disk disk1)" /tiers/slow
rmdir /tiers/fast/lost+found
say "Two tiers: $(df -h --output=size /tiers/fast | tail -1 | tr -d ' ') ext4 (fast), $(df -h --output=size /tiers/slow | tail -1 | tr -d ' ') xfs (slow)"
mkdir -p /tiers/slow/photos && echo "an old photo" >/tiers/slow/photos/2019.jpg
say "The slow tier already holds data: /tiers/slow/photos/2019.jpg"

run_ok "smoothfs.ko loads" -- insmod "$SMOOTHFS_KO"
$tool events 100 600000 >/tmp/events 2>&1 &
sleep 1
mkdir -p /mnt/tank
run_ok "pool tank mounts over both tiers" -- \
	mount -t smoothfs -o pool=tank,uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b,tiers=/tiers/fast:/tiers/slow none /mnt/tank
show findmnt /mnt/tank
say "" "One namespace; what was on the tiers is adopted:"
show ls -lR /mnt/tank
is "$(cat /mnt/tank/photos/2019.jpg)" "an old photo" "existing data is readable through the pool"

say "" "Writing 1 MiB files until the fast tier reaches its reserve..."
i=0
while [ $i -lt 400 ] && ! ls /tiers/slow/photos/new-* >/dev/null 2>&1; do
	dd if=/dev/urandom of=/mnt/tank/photos/new-$i.jpg bs=1M count=1 status=none
	i=$((i + 1))
	[ $((i % 64)) -eq 0 ] && sleep 1.1
done
fast=$(ls /tiers/fast/photos | wc -l)
slow=$(ls /tiers/slow/photos/new-* 2>/dev/null | wc -l)
say "$fast new files on the fast tier, $slow spilled to the slow tier"
show df -h /tiers/fast /tiers/slow /mnt/tank
[ "$slow" -gt 0 ]
ok $? "new files spill to the slow tier when the fast one is full"

say "" "The pools, as the daemon sees them (LIST_POOLS):"
show $tool list
umount /mnt/tank
sleep 1
kill %1 2>/dev/null
say "" "Events sent by the kernel (MOUNT_READY=9, SPILL=15, POOL_UNMOUNTED=18):"
grep '^event=' /tmp/events | cut -d' ' -f1 | sort | uniq -c | sed 's/^/#   /'
grep -q '^event=15 ' /tmp/events
ok $? "the kernel reported the spill"
run_ok "smoothfs.ko unloads" -- rmmod smoothfs
