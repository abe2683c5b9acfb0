#!/bin/bash
# Three tiers on real disks (ext4, xfs, ext4): a directory whose entries
# live on every tier, a name on two tiers, placement on the fastest tier,
# spill once a small fast disk reaches its reserve, ENOSPC only when every
# disk is full, and space given back by unlink.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 22

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60
mnt=/mnt/pool
mkdir -p /t0 /t1 /t2 "$mnt"

# Small filesystems so that filling them is quick: 24 MiB ext4, the
# smallest xfs mkfs.xfs accepts (300 MiB), 24 MiB ext4.
modprobe -a ext4 xfs
mkfs.ext4 -q -F "$(vm_disk disk0)" 24M && mount "$(vm_disk disk0)" /t0 && rmdir /t0/lost+found
mkfs.xfs -q -f -d size=300m "$(vm_disk disk1)" && mount "$(vm_disk disk1)" /t1
mkfs.ext4 -q -F "$(vm_disk disk2)" 24M && mount "$(vm_disk disk2)" /t2 && rmdir /t2/lost+found

mkdir -p /t0/share /t1/share /t2/share
echo zero >/t0/share/on0
echo one >/t1/share/on1
echo two >/t2/share/on2
echo fast >/t0/share/twice
echo slow >/t2/share/twice
load_smoothfs
mount -t smoothfs -o "pool=disks,uuid=$uuid,tiers=/t0:/t1:/t2" none "$mnt"

is "$(ls "$mnt/share" | tr '\n' ' ')" "on0 on1 on2 twice " \
	"a directory with entries on three tiers lists each name once"
is "$(cat "$mnt/share/on0" "$mnt/share/on1" "$mnt/share/on2" | tr '\n' ' ')" "zero one two " \
	"the entry on each tier reads back"
is "$(cat "$mnt/share/twice")" fast "a name on two tiers resolves to the faster tier"
inos=$(ls -i "$mnt/share" | awk '{print $1}' | sort -u | wc -l)
is "$inos" 4 "every entry has its own inode number"

# d_ino stays right when ext4 reuses a freed inode number: list (which
# caches lower inode -> d_ino), delete, create, list again.
mkdir "$mnt/reuse"
for i in 1 2 3 4 5; do echo "$i" >"$mnt/reuse/f$i"; done
ls -f "$mnt/reuse" >/dev/null
lower_before=$(stat -c %i /t0/reuse/f3)
rm "$mnt/reuse/f3"
echo again >"$mnt/reuse/g3"
[ "$(stat -c %i /t0/reuse/g3)" = "$lower_before" ] && reused=yes || reused=no
d_ino=$(ls -i "$mnt/reuse" | awk '$2 == "g3" {print $1}')
is "$d_ino" "$(stat -c %i "$mnt/reuse/g3")" "d_ino == st_ino after ext4 reused an inode number (reused: $reused)"
ls -i "$mnt/reuse" | while read -r ino name; do
	[ "$ino" = "$(stat -c %i "$mnt/reuse/$name")" ] || echo "$name"
done >/tmp/mismatch
is "$(cat /tmp/mismatch)" "" "every d_ino matches st_ino on a second listing"

echo new >"$mnt/share/new"
[ -f /t0/share/new ] && [ ! -e /t1/share/new ] && [ ! -e /t2/share/new ]
ok $? "a new file lands on the fastest tier (ext4)"
mkdir "$mnt/deep" && echo x >"$mnt/deep/f"
[ -f /t0/deep/f ]
ok $? "mkdir and create on the fastest tier"

# Fill the fast disk: placement checks free space at most once a second,
# so write one file a second, each smaller than the 5% reserve (~1 MiB).
n=0 spilled=0 failed=0
while [ $n -lt 40 ]; do
	dd if=/dev/urandom of="$mnt/share/fill$n" bs=512k count=1 status=none 2>/dev/null ||
		failed=$((failed + 1))
	[ -e "/t1/share/fill$n" ] && spilled=$((spilled + 1))
	n=$((n + 1))
	[ "$spilled" -ge 3 ] && break
	sleep 1.05
done
[ "$spilled" -ge 3 ]
ok $? "files spill to the xfs tier once the ext4 tier reaches its reserve ($n written)"
is "$failed" 0 "no write failed while a tier had room"
[ ! -e "/t0/share/fill$((n - 1))" ] && [ ! -e "/t2/share/fill$((n - 1))" ]
ok $? "a spilled file exists on exactly one tier"
cmp -s "$mnt/share/fill$((n - 1))" "/t1/share/fill$((n - 1))"
ok $? "a spilled file reads back through the mount"
avail=$(df --output=avail -k /t0 | tail -1 | tr -dc 0-9)
[ "$avail" -ge 512 ]
ok $? "the fast tier kept its reserve for files already there (${avail}k free)"
echo more >>"$mnt/share/on0"
is "$(cat /t0/share/on0 | tr '\n' ' ')" "zero more " "a file on the full fast tier can still grow into the reserve"

# Fill the xfs tier (a big file straight to its reserve), then the third
# tier with files smaller than its reserve; then ENOSPC.
fill=$(($(df --output=avail -k /t1 | tail -1 | tr -dc 0-9) - 4096))
dd if=/dev/zero of="$mnt/big" bs=1k count="$fill" status=none
[ -f /t1/big ]
ok $? "a big file fills the xfs tier"
sleep 1.05
i=0
while dd if=/dev/zero of="$mnt/small$i" bs=512k count=1 status=none 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || break
done
n2=$(ls /t2/small* 2>/dev/null | wc -l)
[ "$n2" -gt 0 ]
ok $? "once the xfs tier reaches its reserve, files go to the third tier ($n2 there)"
sleep 1.05
out=$(dd if=/dev/zero of="$mnt/one-more" bs=1M count=1 2>&1)
printf '%s' "$out" | grep -q "No space left on device"
ok $? "ENOSPC once every tier is full"
[ $i -lt 100 ] || echo "# df: $(df -k /t0 /t1 /t2)"
is "$(cat "$mnt/share/on1")" one "existing files still read when the pool is full"

rm -f "$mnt"/big "$mnt"/small*
sleep 1.1
echo room >"$mnt/after-unlink"
[ -f /t1/after-unlink ] || [ -f /t0/after-unlink ]
ok $? "unlinking frees space that placement sees again"

umount "$mnt"
run_ok "remount" -- mount -t smoothfs -o "pool=disks,uuid=$uuid,tiers=/t0:/t1:/t2" none "$mnt"
cmp -s "$mnt/share/fill0" /t0/share/fill0
ok $? "files read back after a remount"
umount "$mnt"
umount /t0 /t1 /t2
run_ok "the module unloads" -- rmmod smoothfs
