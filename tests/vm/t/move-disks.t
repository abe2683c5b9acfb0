#!/bin/bash
# Moving files between tiers on real filesystems (the harness's default
# four virtio disks): xfs (disk0, tier 0), ext4 (disk1, tier 1), ext4
# (disk2, tier 2), xfs (disk3, tier 3).  One file goes round every pair
# kind: xfs -> xfs, xfs -> ext4, ext4 -> ext4, ext4 -> xfs; after each move
# the lower file is on the destination only, with no staged leftover, and
# content, owner, mode, times, user/trusted xattrs, the ACL, the OID and
# st_ino are unchanged.  A sparse file stays sparse on both filesystems; a
# writer appending through an open descriptor loses nothing across moves;
# everything survives a remount.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"
. "$SMOOTHFS_SRC/tests/vm/tier-lib.sh"

plan 38

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a72
mnt=/mnt/md
mt=$SMOOTHFS_BUILD/vm-progs/move-tool
load_smoothfs
tier_disks new xfs:/x0 ext4:/e1 ext4:/e2 xfs:/x3
opts="pool=md,uuid=$uuid,tiers=$(tiers_opt)"
mkdir -p "$mnt" && mount -t smoothfs -o "$opts" none "$mnt"

attrs() {
	stat -c '%i %u:%g %a %s %y' "$1"
	getfacl -p --omit-header "$1" 2>/dev/null
	getfattr -d -m 'user\.|trusted\.test' "$1" 2>/dev/null | tail -n +2
	oidhex "$1"
}
# where FILE: the tiers that hold it, by rank

mkdir -p "$mnt/dir/sub"
head -c 5000000 /dev/urandom >/tmp/f.orig
cp /tmp/f.orig "$mnt/dir/sub/f"
chown 1000:1001 "$mnt/dir/sub/f"
chmod 604 "$mnt/dir/sub/f"
setfacl -m u:1002:rw "$mnt/dir/sub/f"
setfattr -n user.colour -v blue "$mnt/dir/sub/f"
setfattr -n trusted.test -v t "$mnt/dir/sub/f"
touch -m -d '2021-05-06 07:08:09.5' "$mnt/dir/sub/f"
before=$(attrs "$mnt/dir/sub/f")
is "$(where dir/sub/f)" 0 "the file starts on tier 0 (xfs)"

seq=0
for step in "3 xfs->xfs" "1 xfs->ext4" "2 ext4->ext4" "0 ext4->xfs"; do
	dest=${step%% *}
	kind=${step#* }
	seq=$((seq + 1))
	run_ok "$kind: move to tier $dest" -- "$mt" move "$mnt/dir/sub/f" "$dest" "$seq"
	is "$(where dir/sub/f) $(staged)" "$dest 0" "$kind: the lower file is on tier $dest only, nothing staged"
	cmp -s /tmp/f.orig "${tiers[$dest]}/dir/sub/f" && cmp -s /tmp/f.orig "$mnt/dir/sub/f"
	ok $? "$kind: content unchanged, on the tier and through the mount"
	is "$(attrs "$mnt/dir/sub/f")" "$before" "$kind: st_ino, owner, mode, times, ACL, xattrs and OID unchanged"
	is "$(attrs "${tiers[$dest]}/dir/sub/f" | tail -n +2)" "$(echo "$before" | tail -n +2)" \
		"$kind: and on the lower file itself"
done

# --- sparse files on both filesystems -----------------------------------
truncate -s 256M "$mnt/sparse"
echo a | dd of="$mnt/sparse" conv=notrunc status=none
echo b | dd of="$mnt/sparse" bs=1M seek=200 conv=notrunc status=none
sum=$(md5sum <"$mnt/sparse")
run_ok "a sparse file: xfs -> ext4" -- "$mt" move "$mnt/sparse" 1 10
[ "$(du -k /e1/sparse | cut -f1)" -lt 1024 ] && [ "$(md5sum <"$mnt/sparse")" = "$sum" ]
ok $? "sparse on ext4, same content ($(du -k /e1/sparse | cut -f1) KiB)"
run_ok "ext4 -> xfs" -- "$mt" move "$mnt/sparse" 3 11
[ "$(du -k /x3/sparse | cut -f1)" -lt 1024 ] && [ "$(md5sum <"$mnt/sparse")" = "$sum" ]
ok $? "sparse on xfs, same content ($(du -k /x3/sparse | cut -f1) KiB)"

# --- a writer across moves ----------------------------------------------
: >"$mnt/log"
python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
for i in range(80):
    os.write(fd, b"%06d\n" % i)
    os.fsync(fd)
    time.sleep(0.1)
os.close(fd)
' "$mnt/log" &
wpid=$!
moved=0 tries=0 dest=1
while [ $moved -lt 3 ] && [ $tries -lt 300 ]; do
	tries=$((tries + 1))
	if "$mt" move "$mnt/log" $dest $((100 + tries)) 2>/tmp/move.err; then
		moved=$((moved + 1))
		dest=$((dest + 1))
	elif ! grep -q 'Stale file handle' /tmp/move.err; then
		cat /tmp/move.err
		break
	fi
done
is "$moved" 3 "three moves of a file being appended to ($tries tries)"
wait $wpid
seq -f '%06g' 0 79 >/tmp/log.want
cmp -s /tmp/log.want "$mnt/log"
ok $? "nothing the writer wrote is lost"
is "$(where log)" "$((dest - 1))" "the file is on the last destination only"

# --- the source tier gets its space back at once --------------------------
# Files stat'ed, listed and read through the mount around the move: none
# of those may keep the old lower file (and its blocks) alive.
head -c 64M /dev/urandom >"$mnt/big"
run_ok "a 64 MiB file to tier 1 (ext4)" -- "$mt" move "$mnt/big" 1 300
used_kb() { sync -f "$1"; df --output=used -k "$1" | tail -n 1; }
stat "$mnt/big" >/dev/null; getfattr -d "$mnt/big" >/dev/null; getfacl "$mnt/big" >/dev/null 2>&1
lsattr "$mnt/big" >/dev/null 2>&1; filefrag "$mnt/big" >/dev/null 2>&1
u1=$(used_kb /e1)
run_ok "and on to tier 2" -- "$mt" move "$mnt/big" 2 301
stat "$mnt/big" >/dev/null; getfattr -d "$mnt/big" >/dev/null
u2=$(used_kb /e1)
[ $((u1 - u2)) -ge 60000 ]
ok $? "tier 1 got its 64 MiB back as soon as the move ended ($u1 -> $u2 KiB used)"

# --- readers that hold no inode lock, racing cutovers ----------------------
# getattr, getxattr, listxattr, ACL reads, fileattr and fiemap take their
# own reference to the lower file; a cutover drops the old one at once.
: >/tmp/readers.err
touch /tmp/readers.run
( end=$((SECONDS + 60))
  while [ -e /tmp/readers.run ] && [ $SECONDS -lt $end ]; do
	stat -c %s "$mnt/big" >/dev/null 2>>/tmp/readers.err || echo stat >>/tmp/readers.err
	getfattr --absolute-names -d -m - "$mnt/big" >/dev/null 2>>/tmp/readers.err || echo getfattr >>/tmp/readers.err
	getfacl -p "$mnt/big" >/dev/null 2>>/tmp/readers.err || echo getfacl >>/tmp/readers.err
	lsattr "$mnt/big" >/dev/null 2>>/tmp/readers.err || echo lsattr >>/tmp/readers.err
	filefrag "$mnt/big" >/dev/null 2>>/tmp/readers.err || echo filefrag >>/tmp/readers.err
  done ) &
rpid=$!
fails=0
for i in $(seq 1 12); do
	"$mt" move "$mnt/big" $(((i + 1) % 2 + 1)) $((310 + i)) >/dev/null 2>>/tmp/readers.err || fails=$((fails + 1))
done
rm -f /tmp/readers.run
wait $rpid
is "$fails" 0 "twelve moves while readers stat, list xattrs and ACLs, lsattr and fiemap"
is "$(cat /tmp/readers.err)" "" "and no reader saw an error"
rm "$mnt/big"

# --- a remount ----------------------------------------------------------
umount "$mnt"
mount -t smoothfs -o "$opts" none "$mnt"
is "$(attrs "$mnt/dir/sub/f")" "$before" "after a remount: same attributes and st_ino"
cmp -s /tmp/f.orig "$mnt/dir/sub/f" && cmp -s /tmp/log.want "$mnt/log"
ok $? "and the same content"
is "$(ls "$mnt/dir/sub")" f "the directory lists the file once"
run_ok "and it moves again" -- "$mt" move "$mnt/dir/sub/f" 2 200
is "$(where dir/sub/f)" 2 "onto tier 2"
umount "$mnt"
umount "${tiers[@]}"
