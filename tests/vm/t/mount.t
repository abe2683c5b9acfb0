#!/bin/bash
# Mounting pools: options and their errors, tiers on real filesystems,
# the merged namespace over pre-existing data (adoption), identity
# (d_ino == st_ino, stable across remounts), the pass-through data path,
# and unmount.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 36

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b
uuid2=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c
mnt=/mnt/pool
mkdir -p /t0 /t1 /t2 "$mnt" /mnt/other

modprobe ext4 && modprobe xfs
mkfs.ext4 -q -F "$(vm_disk disk0)" && mount "$(vm_disk disk0)" /t0 && rmdir /t0/lost+found
mkfs.xfs -q -f "$(vm_disk disk1)" && mount "$(vm_disk disk1)" /t1
mount -t tmpfs tmpfs /t2
load_smoothfs

# mount_fails OPTIONS DMESG-TEXT DESCRIPTION
mount_fails() {
	local out status
	dmesg -c >/dev/null
	out=$(mount -t smoothfs -o "$1" none /mnt/other 2>&1)
	status=$?
	if [ "$status" -ne 0 ] && dmesg | grep -qF -- "$2" && ! mountpoint -q /mnt/other; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "# mount exit $status: $out"
		dmesg | sed 's/^/# dmesg: /'
		mountpoint -q /mnt/other && umount /mnt/other
	fi
}

# Data that was on the tiers before the pool existed.
mkdir -p /t0/docs /t1/docs /t1/archive /t0/.smoothfs /t1/.smoothfs
echo fast >/t0/docs/a.txt
echo slow >/t1/docs/b.txt
echo shadowed >/t1/docs/a.txt
echo old >/t1/archive/c.txt
ln -s a.txt /t0/docs/link

opts="pool=tank,uuid=$uuid,tiers=/t0:/t1:/t2"
run_ok "mount a pool over ext4, xfs and tmpfs tiers" -- mount -t smoothfs -o "$opts" none "$mnt"
grep " $mnt smoothfs " /proc/mounts | grep -qF "pool=tank,uuid=$uuid,tiers=/t0:/t1:/t2"
ok $? "/proc/mounts shows options that mount the pool again"
is "$(stat -f -c %T "$mnt" 2>/dev/null)" "UNKNOWN (0x534d4f46)" "statfs reports the smoothfs magic"

is "$(ls -A "$mnt" | tr '\n' ' ')" "archive docs " "the root merges the tiers and hides .smoothfs"
is "$(ls "$mnt/docs" | tr '\n' ' ')" "a.txt b.txt link " "a directory on two tiers is listed once, merged"
is "$(cat "$mnt/docs/a.txt")" "fast" "a name on a faster tier shadows the slower copy"
is "$(cat "$mnt/docs/b.txt")" "slow" "files on slower tiers are reachable"
is "$(cat "$mnt/archive/c.txt")" "old" "directories that exist on one slower tier are reachable"
is "$(readlink "$mnt/docs/link")" "a.txt" "symlinks pass through"
! ls "$mnt/.smoothfs" >/dev/null 2>&1
ok $? ".smoothfs is not reachable through the mount"

oidlen=$(getfattr -n trusted.smoothfs.oid --only-values /t1/docs/b.txt 2>/dev/null | wc -c)
is "$oidlen" 16 "an adopted file got a 16-byte OID on its tier"
ino_ls=$(ls -i "$mnt/docs" | awk '$2 == "b.txt" { print $1 }')
ino_stat=$(stat -c %i "$mnt/docs/b.txt")
is "$ino_ls" "$ino_stat" "readdir's d_ino equals st_ino"
[ "$ino_stat" != "$(stat -c %i /t1/docs/b.txt)" ]
ok $? "st_ino comes from the OID, not the lower inode"
ls -i "$mnt/docs" | awk '{print $1}' | sort | uniq -d | grep -q . && dup=1 || dup=0
is "$dup" 0 "inode numbers in a directory are distinct"

# The data path.
echo one >"$mnt/docs/b.txt"
is "$(cat /t1/docs/b.txt)" "one" "a write lands on the file's tier"
echo two >>"$mnt/docs/b.txt"
is "$(stat -c %s "$mnt/docs/b.txt")" 8 "appends grow the file and st_size follows"
truncate -s 2 "$mnt/docs/b.txt"
is "$(stat -c %s /t1/docs/b.txt)" 2 "truncate reaches the lower file"
chmod 600 "$mnt/docs/b.txt"
is "$(stat -c %a /t1/docs/b.txt)" 600 "chmod reaches the lower file"
dd if=/dev/urandom of=/tmp/blob bs=64k count=16 status=none
cp /tmp/blob "$mnt/archive/c.txt"
cmp -s /tmp/blob "$mnt/archive/c.txt"
ok $? "a 1 MiB rewrite reads back identical"
cmp -s /tmp/blob /t1/archive/c.txt
ok $? "and is identical on the tier"
is "$(tail -c 4 "$mnt/archive/c.txt" | od -An -tx1 | tr -d ' ')" \
	"$(tail -c 4 /tmp/blob | od -An -tx1 | tr -d ' ')" "seeking reads the right bytes"
(cd "$mnt/docs" && sync b.txt)
ok $? "fsync passes through"

df_sum=$(($(stat -f -c '%b*%S' /t0) + $(stat -f -c '%b*%S' /t1) + $(stat -f -c '%b*%S' /t2)))
df_pool=$(($(stat -f -c '%b*%S' "$mnt")))
diff=$((df_sum - df_pool))
[ "${diff#-}" -lt $((4 * 65536 * 3)) ]
ok $? "statfs sums the tiers' sizes ($df_pool of $df_sum)"

# A second pool may not reuse the UUID or the name.
mount_fails "pool=tank2,uuid=$uuid,tiers=/t2" "already mounted" "a mounted UUID is refused"
mount_fails "pool=tank,uuid=$uuid2,tiers=/t2" "already mounted" "a mounted pool name is refused"

ino_before=$(stat -c %i "$mnt/archive/c.txt")
run_ok "unmount" -- umount "$mnt"
run_ok "mount again with the options /proc/mounts showed" -- mount -t smoothfs -o "$opts" none "$mnt"
is "$(stat -c %i "$mnt/archive/c.txt")" "$ino_before" "st_ino is stable across a remount"
umount "$mnt"

# Bad tiers.
echo x >/tmp/plainfile
mount_fails "pool=p,uuid=$uuid,tiers=/tmp/no-such-tier" "tier 0: /tmp/no-such-tier: cannot open" "a missing tier"
mount_fails "pool=p,uuid=$uuid,tiers=/t0:/tmp/plainfile" "tier 1: /tmp/plainfile: cannot open" "a tier that is a file"
mount_fails "pool=p,uuid=$uuid,tiers=/t0:/t0" "is the same directory as tier 0" "the same tier twice"
mount_fails "pool=p,uuid=$uuid,tiers=/t0:/t0/docs" "tier 1: /t0/docs is inside tier 0" "a tier inside another"
mount_fails "pool=p,uuid=$uuid,tiers=/t0/docs:/t0" "tier 0: /t0/docs is inside tier 1" "a tier containing another"
mount_fails "pool=p,uuid=$uuid,tiers=/t0:/srv" "unsupported filesystem overlay" "an unsupported lower filesystem"
mkdir -p /ro && mount -t tmpfs -o ro tmpfs /ro
mount_fails "pool=p,uuid=$uuid,tiers=/t0:/ro" "tier 1: /ro: read-only" "a read-only tier"

umount /t0 /t1 /t2 /ro
run_ok "the module unloads after the pools are gone" -- rmmod smoothfs
