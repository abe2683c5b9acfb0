#!/bin/bash
# The movement journal and its recovery at mount.  Every crash state of a
# move is set up by hand on the lower tiers (ext4 and xfs, the default
# disks disk0 and disk1) with the pool unmounted, its journal written by
# journal-tool in the documented on-disk format, then the pool is mounted
# and the tiers are checked: committed moves roll forward, uncommitted
# ones roll back, finished ones are left alone, a reused name keeps its
# object, corrupt records and hostile paths are logged and skipped, the
# journal ends empty, recovery run twice gives the same result, and
# recovery reads no directory but the stage directories.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 50

jt=$SMOOTHFS_BUILD/vm-progs/journal-tool
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60
mnt=/mnt/pool
t0=/jd0/t0
t1=/jd1/t1
J=$t0/.smoothfs/journal
opts="pool=jtank,uuid=$uuid,tiers=$t0:$t1"

modprobe ext4 && modprobe xfs
mkdir -p /jd0 /jd1 "$mnt"
mkfs.ext4 -q -F "$(vm_disk disk0)" && mount -o strictatime "$(vm_disk disk0)" /jd0
mkfs.xfs -q -f "$(vm_disk disk1)" && mount -o strictatime "$(vm_disk disk1)" /jd1
mkdir -p "$t0" "$t1"
load_smoothfs

newoid() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
setoid() { setfattr -n trusted.smoothfs.oid -v "0x$2" "$1"; }
getoid() {
	getfattr --absolute-names -e hex -n trusted.smoothfs.oid "$1" 2>/dev/null |
		sed -n 's/^trusted.smoothfs.oid=0x//p'
}
# mkfile PATH OID CONTENT
mkfile() { mkdir -p "$(dirname "$1")" && echo "$3" >"$1" && setoid "$1" "$2"; }
size() { stat -c %s "$1" 2>/dev/null || echo missing; }
stage0=$t0/.smoothfs/stage
stage1=$t1/.smoothfs/stage

# The userspace CRC agrees with the standard test vector; the kernel
# checks the same vector at every mount and accepts the records below
# only if its CRC agrees with the tool's.
is "$($jt crc 123456789)" e3069283 "journal-tool: CRC32C(\"123456789\") = e3069283"

# (h) A clean mount creates the journal, empty, and the stage directories.
run_ok "mount a fresh pool" -- mount -t smoothfs -o "$opts" none "$mnt"
is "$(size "$J")" 0 "a fresh pool has an empty journal"
is "$(stat -c '%F %a' "$stage0" "$stage1" | tr '\n' ' ')" \
	"directory 700 directory 700 " "every tier has .smoothfs/stage, mode 0700"
umount "$mnt"

# (a) Committed, staged copy still there, source still there: forward.
A=$(newoid)
mkdir -p "$t0/a/b" && chown 1000:1001 "$t0/a/b" && chmod 0750 "$t0/a/b" && chmod 0711 "$t0/a"
mkfile "$t0/a/b/fa.txt" "$A" "source a"
mkfile "$stage1/$A" "$A" "staged a"
$jt commit "$J" 1 "$A" 0 1 a/b/fa.txt
# (b) Committed, renamed into place already, source still there.
B=$(newoid)
mkfile "$t0/fb.txt" "$B" "source b"
mkfile "$t1/fb.txt" "$B" "moved b"
$jt commit "$J" 2 "$B" 0 1 fb.txt
# (c) Committed and done: nothing is touched (two copies stay).
C=$(newoid)
mkfile "$t0/fc.txt" "$C" "c on 0"
mkfile "$t1/fc.txt" "$C" "c on 1"
$jt commit "$J" 3 "$C" 0 1 fc.txt
$jt done "$J" 3
# (d) Never committed: the staged copy goes, the source stays.
D=$(newoid)
mkfile "$t0/fd.txt" "$D" "source d"
mkfile "$stage1/$D" "$D" "staged d"
# (f) Corrupt records, each a COMMIT of G that would remove $t0/fg.txt
# if it were used (its destination holds G already).
G=$(newoid)
mkfile "$t0/fg.txt" "$G" "g source"
mkfile "$t1/fg.txt" "$G" "g dest"
$jt commit "$J" 20 "$G" 0 1 fg.txt --bad-crc
$jt commit "$J" 21 "$G" 0 1 fg.txt --magic 0x4c4a4d54
$jt commit "$J" 22 "$G" 0 1 fg.txt --version 2
$jt commit "$J" 23 "$G" 0 1 fg.txt --type 7
$jt commit "$J" 24 "$G" 7 1 fg.txt
$jt commit "$J" 25 "$G" 0 9 fg.txt
$jt commit "$J" 26 "$G" 0 0 fg.txt
$jt commit "$J" 27 "$G" 0 1 fg.txtXjunk --nul-at 6
$jt commit "$J" 28 "$G" 0 1 fg.txt --path-len 5000
# (g) hostile paths, each would reach $X outside the tiers or the file
# etc/x inside tier 0 if followed; a staged copy is ready to be renamed.
X=$(newoid)
mkfile /jd0/x "$X" "outside 0"
mkfile /jd1/x "$X" "outside 1"
mkfile "$t0/etc/x" "$X" "etc x"
mkfile "$t1/etc/x" "$X" "etc x 1"
mkfile "$stage1/$X" "$X" "staged x"
for p in ../x /etc/x a/../../x ./etc/x etc//x etc/x/ .smoothfs/journal; do
	$jt commit "$J" 10 "$X" 0 1 "$p"
done
# (e) After the corrupt ones: committed, but the source name now holds
# another object: the source is not removed.
E=$(newoid)
E2=$(newoid)
mkfile "$t0/fe.txt" "$E2" "new e"
mkfile "$t1/fe.txt" "$E" "moved e"
$jt commit "$J" 5 "$E" 0 1 fe.txt
# A recovery that crashed after the rename and the unlink: nothing to do.
K=$(newoid)
mkfile "$t1/fk.txt" "$K" "moved k"
$jt commit "$J" 6 "$K" 0 1 fk.txt
# The torn tail of a record being written when the power went.
$jt torn "$J" 30 "$G" 0 1 fg.txt 1000

# (i) Recovery reads no directory but the stage directories: the atime
# of every other directory stays (the tiers are mounted strictatime).
mkdir -p "$t1/big"
for i in $(seq 1 2000); do : >"$t1/big/f$i"; done
touch -a -d 2001-01-01 "$t0" "$t1" "$t1/big" "$t0/a" "$t0/a/b"
atimes() { stat -c %X "$t0" "$t1" "$t1/big" "$t0/a" "$t0/a/b" | tr '\n' ' '; }
before=$(atimes)
cp "$J" /tmp/journal.saved

dmesg -c >/dev/null
run_ok "mount with a journal to recover" -- mount -t smoothfs -o "$opts" none "$mnt"
msgs=$(dmesg)

is "$(cat "$mnt/a/b/fa.txt" 2>&1)" "staged a" "(a) the committed move ends on the destination, staged content"
[ ! -e "$t0/a/b/fa.txt" ] && [ ! -e "$stage1/$A" ] && [ "$(cat "$t1/a/b/fa.txt")" = "staged a" ]
ok $? "(a) exactly one copy: source and staged file gone"
is "$(getoid "$t1/a/b/fa.txt")" "$A" "(a) the moved file keeps its OID"
is "$(stat -c '%u:%g %a' "$t1/a/b" "$t1/a" | tr '\n' ' ')" "1000:1001 750 0:0 711 " \
	"(a) missing parents made with the source parents' owner and mode"
[ ! -e "$t0/fb.txt" ] && [ "$(cat "$t1/fb.txt")" = "moved b" ]
ok $? "(b) renamed already: the source is removed, the destination kept"
[ "$(cat "$t0/fc.txt")" = "c on 0" ] && [ "$(cat "$t1/fc.txt")" = "c on 1" ]
ok $? "(c) a move with DONE is not touched"
is "$(cat "$t0/fd.txt")" "source d" "(d) an uncommitted move keeps its source"
[ ! -e "$stage1/$D" ] && [ ! -e "$t1/fd.txt" ]
ok $? "(d) and its staged file is removed"
is "$(cat "$t0/fe.txt" 2>&1) $(getoid "$t0/fe.txt")" "new e $E2" \
	"(e) a source name holding another object is not removed"
is "$(cat "$t1/fe.txt")" "moved e" "(e) the destination is kept"
is "$(cat "$t1/fk.txt")" "moved k" "a move recovered before stays as it is"
is "$(cat "$t0/fg.txt") $(cat "$t1/fg.txt")" "g source g dest" \
	"(f) corrupt records (CRC, magic, version, type, tiers, NUL, length) are not used"
echo "$msgs" | grep -q "pool jtank: journal record at offset 16384: bad checksum, skipped"
ok $? "(f) a bad checksum is logged with the pool name and the offset"
echo "$msgs" | grep -q "pool jtank: journal record at offset .*: bad magic, skipped"
ok $? "(f) bad magic is logged"
echo "$msgs" | grep -q "pool jtank: 16 bad journal records skipped in all"
ok $? "(f) every bad record is counted (7 hostile paths, 9 corrupt)"
echo "$msgs" | grep -q "pool jtank: journal ends in a torn record (1000 bytes at offset "
ok $? "(f) the torn tail is logged"
echo "$msgs" | grep -Eq "WARNING|BUG|Call Trace"
ok $((!$?)) "(f) the log is no kernel warning"
[ "$(cat /jd0/x)" = "outside 0" ] && [ "$(cat /jd1/x)" = "outside 1" ]
ok $? "(g) hostile paths do not reach outside the tiers"
[ "$(cat "$t0/etc/x")" = "etc x" ] && [ "$(cat "$t1/etc/x")" = "etc x 1" ]
ok $? "(g) nor a file of the same name inside the tiers"
is "$(find "$stage0" "$stage1" -mindepth 1 | wc -l)" 0 "(g) the unclaimed staged copies are removed"
echo "$msgs" | grep -qF "pool jtank: removed 2 staged file(s) of unfinished moves on tier 1"
ok $? "(d) (g) the roll-back of staged files is logged"
is "$(size "$J")" 0 "(h) the journal is empty after recovery"
is "$(atimes)" "$before" "(i) recovery reads no directory of the pool (atimes unchanged)"
ls "$t1/big" >/dev/null
[ "$(atimes)" != "$before" ]
ok $? "(i) control: listing a directory does change its atime"
umount "$mnt"

# Recovery again from the same journal (a crash right after the first
# recovery, before the journal was emptied) changes nothing.
snap() {
	(cd /jd0 && find . -path '*/.smoothfs' -prune -o -type f -print0 | sort -z |
		xargs -0 md5sum; cd /jd1 && find . -path '*/.smoothfs' -prune -o -type f -print0 |
		sort -z | xargs -0 md5sum) | grep -v '/big/'
}
first=$(snap)
cp /tmp/journal.saved "$J"
dmesg -c >/dev/null
run_ok "mount again over the same journal" -- mount -t smoothfs -o "$opts" none "$mnt"
is "$(snap)" "$first" "recovery run twice leaves the tiers as the first one did"
is "$(size "$J")" 0 "the journal is empty again"
umount "$mnt"

# A journal that is not a regular file fails the mount.
rm "$J" && mkdir "$J"
dmesg -c >/dev/null
! mount -t smoothfs -o "$opts" none "$mnt" 2>/dev/null
ok $? "a journal that is a directory fails the mount"
dmesg | grep -q "pool jtank: cannot open .smoothfs/journal (error -117)"
ok $? "with a message naming the pool and the error"
rmdir "$J"

# A journal of nothing but garbage: the mount succeeds.
head -c 10000 /dev/urandom >"$J"
dmesg -c >/dev/null
run_ok "a journal of random bytes does not fail the mount" -- mount -t smoothfs -o "$opts" none "$mnt"
is "$(size "$J")" 0 "and the journal is emptied"
dmesg | grep -q "pool jtank: journal record at offset 0: bad magic, skipped"
ok $? "the garbage is logged"
umount "$mnt"

# A crash after the journal, stage dir and source are gone, only the
# staged copy: a pure orphan.  And a staged copy whose OID is not the
# record's is not renamed into place.
M=$(newoid)
M2=$(newoid)
mkfile "$t0/fm.txt" "$M" "source m"
mkfile "$stage1/$M" "$M2" "staged m, wrong oid"
$jt commit "$J" 40 "$M" 0 1 fm.txt
run_ok "mount with a staged copy of another object" -- mount -t smoothfs -o "$opts" none "$mnt"
[ "$(cat "$t0/fm.txt")" = "source m" ] && [ ! -e "$t1/fm.txt" ] && [ ! -e "$stage1/$M" ]
ok $? "a staged file without the record's OID is not used: the source stays"
is "$(cat "$mnt/fm.txt")" "source m" "and reads through the mount"
umount "$mnt"

# A move the other way (tier 1 to tier 0), into a directory that exists.
N=$(newoid)
mkdir -p "$t0/dn" "$t1/dn"
mkfile "$t1/dn/fn.txt" "$N" "source n"
mkfile "$stage0/$N" "$N" "staged n"
$jt commit "$J" 50 "$N" 1 0 dn/fn.txt
run_ok "mount with a promotion to recover" -- mount -t smoothfs -o "$opts" none "$mnt"
[ "$(cat "$t0/dn/fn.txt")" = "staged n" ] && [ ! -e "$t1/dn/fn.txt" ] && [ ! -e "$stage0/$N" ]
ok $? "a promotion rolls forward too"
umount "$mnt"

# A slower tier where .smoothfs cannot be made: the pool mounts, the
# records that involve that tier stay in the journal for the next mount.
P=$(newoid)
mkfile "$t0/fp.txt" "$P" "source p"
mkfile "$stage1/$P" "$P" "staged p"
$jt commit "$J" 60 "$P" 0 1 fp.txt
mv "$t1/.smoothfs" /jd1/saved-meta && : >"$t1/.smoothfs"
dmesg -c >/dev/null
run_ok "a tier without .smoothfs/stage does not fail the mount" -- \
	mount -t smoothfs -o "$opts" none "$mnt"
dmesg | grep -q "pool jtank: tier 1: cannot create .smoothfs/stage (error -20), no recovery on it"
ok $? "it is logged"
[ "$(cat "$t0/fp.txt")" = "source p" ] && [ "$(size "$J")" = 4096 ]
ok $? "its move is not recovered and stays in the journal"
stat "$mnt/fp.txt" >/dev/null
run_fails "Device or resource busy" "the file does not move while its record is open" -- \
	"$SMOOTHFS_BUILD/vm-progs/move-tool" plan "$uuid" "$P" 1 61
umount "$mnt"
rm "$t1/.smoothfs" && mv /jd1/saved-meta "$t1/.smoothfs"
run_ok "mount once the tier is repaired" -- mount -t smoothfs -o "$opts" none "$mnt"
[ "$(cat "$t1/fp.txt")" = "staged p" ] && [ ! -e "$t0/fp.txt" ] && [ "$(size "$J")" = 0 ]
ok $? "the kept record is recovered on the next mount"
umount "$mnt"

# Tier 0 must hold the journal.
mv "$t0/.smoothfs" /jd0/saved-meta && : >"$t0/.smoothfs"
dmesg -c >/dev/null
! mount -t smoothfs -o "$opts" none "$mnt" 2>/dev/null
ok $? "tier 0 without .smoothfs fails the mount"
dmesg | grep -q "pool jtank: tier 0: cannot create .smoothfs/stage (error -20)"
ok $? "with a message"
rm "$t0/.smoothfs" && mv /jd0/saved-meta "$t0/.smoothfs"
