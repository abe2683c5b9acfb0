#!/bin/bash
# Moving files between tiers (tmpfs tiers): demote, promote, move again;
# the lower file really moves (gone from the source, on the destination,
# no staged leftovers); content, owner, mode, times, xattrs, ACL, OID and
# st_ino unchanged; every state multicast; open readers and writers, a
# writer appending during several moves, a POSIX lock and a read-only
# mmap across moves; refusals (writable shared mmap, hard link, pins),
# write_seq change -> ESTALE; every errno of plan/cutover/abort; quiesce
# and reconcile; a writer stuck in the file makes the cutover EBUSY after
# cutover_timeout_ms instead of hanging.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 100

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a70
mnt=/mnt/mv
mt=$SMOOTHFS_BUILD/vm-progs/move-tool
nl=$SMOOTHFS_BUILD/vm-progs/nl-tool
mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs -o size=256m tmpfs /t0
mount -t tmpfs -o size=256m tmpfs /t1
load_smoothfs
mount -t smoothfs -o "pool=mv,uuid=$uuid,tiers=/t0:/t1" none "$mnt"

oid() { getfattr -n trusted.smoothfs.oid -e hex --only-values "$1" 2>/dev/null | sed 's/^0x//'; }
oidhex() { getfattr -n trusted.smoothfs.oid -e hex "$1" 2>/dev/null | sed -n 's/^trusted.smoothfs.oid=0x//p'; }
field() { "$nl" inspect "$uuid" "$1" | sed -n "s/^$2=//p"; }
staged() { find /t0/.smoothfs/stage /t1/.smoothfs/stage -type f 2>/dev/null | wc -l; }

# --- a demotion, checked on the tiers -----------------------------------
head -c 300000 /dev/urandom >/tmp/f.orig
cp /tmp/f.orig "$mnt/f"
chown 1000:1001 "$mnt/f"
chmod 640 "$mnt/f"
setfacl -m u:1002:r "$mnt/f"
setfattr -n trusted.test -v hello "$mnt/f"
touch -m -d '2020-01-02 03:04:05.123456789' "$mnt/f"
before=$(stat -c '%i %u:%g %a %s %y' "$mnt/f")
acl_before=$(getfacl -p "$mnt/f" 2>/dev/null)
o=$(oidhex "$mnt/f")
[ ${#o} -eq 32 ]
ok $? "the file has an OID ($o)"

"$nl" events 6 20000 11 >/tmp/events.out 2>&1 &
evpid=$!
while ! grep -q subscribed /tmp/events.out; do sleep 0.1; done
run_ok "demote f: tier 0 -> 1" -- "$mt" move "$mnt/f" 1 1
wait $evpid
[ ! -e /t0/f ] && [ -f /t1/f ]
ok $? "the lower file left tier 0 and is on tier 1"
is "$(staged)" 0 "no staged copy is left"
cmp -s /tmp/f.orig "$mnt/f"
ok $? "content unchanged through the mount"
cmp -s /tmp/f.orig /t1/f
ok $? "content unchanged on tier 1"
is "$(stat -c '%i %u:%g %a %s %y' "$mnt/f")" "$before" "st_ino, owner, mode, size and mtime unchanged"
is "$(getfacl -p "$mnt/f" 2>/dev/null)" "$acl_before" "the ACL is unchanged"
is "$(getfattr -n trusted.test --only-values "$mnt/f")" hello "a trusted xattr is unchanged"
is "$(oidhex "$mnt/f") $(oidhex /t1/f)" "$o $o" "the OID is unchanged, on the mount and the tier"
is "$(getfattr -n trusted.smoothfs.tier -e hex "$mnt/f" 2>/dev/null | sed -n 's/^trusted.smoothfs.tier=//p')" \
	0x01 "trusted.smoothfs.tier is 1"
is "$(field "$o" state) $(field "$o" tier) $(field "$o" generation) $(field "$o" seq)" \
	"placed 1 1 1" "Inspect: placed on tier 1, generation 1, transaction 1"
is "$(sed -n 's/.* state=\([a-z_]*\) seq=1$/\1/p' /tmp/events.out | tr '\n' ' ')" \
	"plan_accepted cutover_in_progress switched cleanup_in_progress cleanup_complete placed " \
	"every transition was multicast with the transaction sequence"
is "$(cat /sys/fs/smoothfs/$uuid/moves)" 1 "sysfs counts the move"

# --- promote, demote again ----------------------------------------------
run_ok "promote f: tier 1 -> 0" -- "$mt" move "$mnt/f" 0 2
[ -f /t0/f ] && [ ! -e /t1/f ]
ok $? "the lower file is back on tier 0 only"
run_ok "and demote it again" -- "$mt" move "$mnt/f" 1 3
[ ! -e /t0/f ] && cmp -s /tmp/f.orig /t1/f && cmp -s /tmp/f.orig "$mnt/f"
ok $? "after three moves: one copy, on tier 1, same content"
is "$(stat -c '%i %u:%g %a %s %y' "$mnt/f")" "$before" "and the same attributes"
is "$(field "$o" generation)" 3 "the generation counts the cutovers"
is "$(staged)" 0 "no staged copy is left"

# --- a file in a directory that exists on one tier only -----------------
mkdir -p "$mnt/d/e"
chmod 750 "$mnt/d/e"
echo deep >"$mnt/d/e/g"
run_ok "demote d/e/g (its directories exist on tier 0 only)" -- "$mt" move "$mnt/d/e/g" 1 4
is "$(cat /t1/d/e/g 2>&1) $(stat -c %a /t1/d/e)" "deep 750" \
	"the parent directories were materialised on tier 1 with their mode"
is "$(ls "$mnt/d/e")" g "the directory lists the file once"

# --- errno contract -----------------------------------------------------
echo x >"$mnt/e"
exec 9<"$mnt/e"
oe=$(oidhex "$mnt/e")
run_fails "Operation already in progress" "plan to the current tier: EALREADY" -- \
	"$mt" plan "$uuid" "$oe" 0 10
run_fails "Invalid argument" "plan to a tier the pool does not have: EINVAL" -- \
	"$mt" plan "$uuid" "$oe" 5 10
run_fails "No such file or directory" "plan for an unknown OID: ENOENT" -- \
	"$mt" plan "$uuid" 0190a1b2c3d47e5f8a9b000000000000 1 10
run_fails "No such file or directory" "plan in a pool that is not mounted: ENOENT" -- \
	"$mt" plan 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aff "$oe" 1 10
run_fails "Device or resource busy" "plan for a directory: EBUSY" -- \
	"$mt" plan "$uuid" "$(oidhex "$mnt/d")" 1 10
run_fails "Invalid argument" "cutover without a plan: EINVAL" -- "$mt" cutover "$uuid" "$oe" 10
run_fails "Invalid argument" "abort without a plan: EINVAL" -- "$mt" abort "$uuid" "$oe" 10
run_ok "plan e to tier 1" -- "$mt" plan "$uuid" "$oe" 1 10
is "$(field "$oe" state) $(field "$oe" intended) $(field "$oe" seq)" "plan_accepted 1 10" \
	"Inspect: plan_accepted, intended tier 1, transaction 10"
run_fails "Device or resource busy" "a second plan: EBUSY" -- "$mt" plan "$uuid" "$oe" 1 11
run_fails "Stale file handle" "cutover with another transaction sequence: ESTALE" -- \
	"$mt" cutover "$uuid" "$oe" 11
run_fails "Stale file handle" "abort with another transaction sequence: ESTALE" -- \
	"$mt" abort "$uuid" "$oe" 11
is "$(field "$oe" state)" plan_accepted "bad requests changed nothing"
run_fails "No such file or directory" "cutover without a staged copy: ENOENT" -- \
	"$mt" cutover "$uuid" "$oe" 10
is "$(field "$oe" state)" failed "the move is failed"
[ -f /t0/e ] && [ "$(cat "$mnt/e")" = x ]
ok $? "the file stayed where it was"
mkdir -p /t1/.smoothfs/stage && echo junk >"/t1/.smoothfs/stage/$oe"
run_ok "abort the failed move" -- "$mt" abort "$uuid" "$oe" 10
is "$(field "$oe" state) $(staged)" "placed 0" "placed again, the staged copy removed"
run_fails "Invalid argument" "abort twice: EINVAL" -- "$mt" abort "$uuid" "$oe" 10
run_ok "plan, then a staged copy without the OID" -- "$mt" plan "$uuid" "$oe" 1 12
echo x >"/t1/.smoothfs/stage/$oe"
run_fails "Invalid argument" "cutover to a staged copy without the file's OID: EINVAL" -- \
	"$mt" cutover "$uuid" "$oe" 12
[ -f /t0/e ] && [ ! -e /t1/e ]
ok $? "and nothing moved"
"$mt" abort "$uuid" "$oe" 12

# --- pins and hard links ------------------------------------------------
setfattr -n trusted.smoothfs.pin -v pin_hot "$mnt/e"
run_fails "Device or resource busy" "pin_hot: plan EBUSY" -- "$mt" plan "$uuid" "$oe" 1 13
run_fails "Device or resource busy" "pin_hot: forced plan EBUSY too" -- \
	"$mt" plan "$uuid" "$oe" 1 13 force
setfattr -n trusted.smoothfs.pin -v pin_lease "$mnt/e"
run_fails "Device or resource busy" "pin_lease: plan EBUSY" -- "$mt" plan "$uuid" "$oe" 1 13
run_ok "pin_lease: a forced move goes" -- "$mt" move "$mnt/e" 1 13 force
is "$(cat /t1/e) $(getfattr -n trusted.smoothfs.pin --only-values "$mnt/e")" "x pin_lease" \
	"the moved file keeps its pin"
setfattr -n trusted.smoothfs.pin -v pin_hot "$mnt/e"
run_ok "pin_hot: a forced move to the fastest tier goes" -- "$mt" move "$mnt/e" 0 30 force
setfattr -n trusted.smoothfs.pin -v pin_cold "$mnt/e"
run_fails "Device or resource busy" "pin_cold: plan EBUSY" -- "$mt" plan "$uuid" "$oe" 1 31
run_ok "pin_cold: a forced move to the slowest tier goes" -- "$mt" move "$mnt/e" 1 31 force
is "$(cat /t1/e) $(getfattr -n trusted.smoothfs.pin --only-values "$mnt/e")" "x pin_cold" \
	"the file is on the slowest tier with its pin"
run_fails "Device or resource busy" "pin_cold: a forced plan away from the slowest tier EBUSY" -- \
	"$mt" plan "$uuid" "$oe" 0 32 force
setfattr -n trusted.smoothfs.pin -v none "$mnt/e"
ln "$mnt/e" "$mnt/e2"
run_fails "Device or resource busy" "a hard-linked file: plan EBUSY" -- "$mt" plan "$uuid" "$oe" 0 14
is "$(field "$oe" pin)" pin_hardlink "Inspect reports pin_hardlink"
rm "$mnt/e2"
run_ok "after unlinking the second name it moves" -- "$mt" move "$mnt/e" 0 14

# --- mappings -----------------------------------------------------------
head -c 65536 /dev/urandom >"$mnt/m"
om=$(oidhex "$mnt/m")
python3 -c '
import mmap, sys, time
f = open(sys.argv[1], "r+b")
m = mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
open("/tmp/mapped", "w").close()
time.sleep(4)
' "$mnt/m" &
mpid=$!
while [ ! -e /tmp/mapped ]; do sleep 0.1; done
run_fails "Device or resource busy" "a writable shared mapping: plan EBUSY" -- \
	"$mt" plan "$uuid" "$om" 1 20
wait $mpid
rm -f /tmp/mapped
run_ok "unmapped, the plan goes" -- "$mt" plan "$uuid" "$om" 1 20
out=$(python3 -c '
import mmap, sys
f = open(sys.argv[1], "r+b")
try:
    mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    print("mapped")
except OSError as e:
    print("refused", e.errno)
' "$mnt/m" 2>&1)
is "$out" "refused 16" "a new writable shared mapping is refused while the move is open"
"$mt" abort "$uuid" "$om" 20
run_ok "RevokeMappings" -- "$mt" revoke "$uuid" "$om"
out=$(python3 -c '
import mmap, sys
f = open(sys.argv[1], "r+b")
try:
    mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    print("mapped")
except OSError as e:
    print("refused", e.errno)
' "$mnt/m" 2>&1)
is "$out" "refused 16" "after RevokeMappings a writable shared mapping is refused"
run_ok "reconcile" -- "$mt" reconcile "$uuid"
out=$(python3 -c '
import mmap, sys
f = open(sys.argv[1], "r+b")
mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
print("mapped")
' "$mnt/m" 2>&1)
is "$out" mapped "Reconcile lifts the revocation"

cp "$mnt/m" /tmp/m.orig
python3 -c '
import mmap, os, sys, time
f = open(sys.argv[1], "rb")
m = mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ)
want = open(sys.argv[2], "rb").read()
open("/tmp/romapped", "w").close()
while not os.path.exists("/tmp/romoved"):
    time.sleep(0.1)
print("same" if m[:] == want else "differs")
' "$mnt/m" /tmp/m.orig >/tmp/ro.out 2>&1 &
mpid=$!
while [ ! -e /tmp/romapped ]; do sleep 0.1; done
run_ok "a file with a read-only mapping moves" -- "$mt" move "$mnt/m" 1 21
touch /tmp/romoved
wait $mpid
is "$(cat /tmp/ro.out)" same "the read-only mapping still reads the file's data"

# --- write_seq ----------------------------------------------------------
run_ok "plan e to tier 1" -- "$mt" plan "$uuid" "$oe" 1 30
ws=$(field "$oe" write_seq)
echo more >>"$mnt/e"
[ "$(field "$oe" write_seq)" -gt "$ws" ]
ok $? "a write bumps write_seq"
cp /t0/e "/t1/.smoothfs/stage/$oe"
setfattr -n trusted.smoothfs.oid -v "0x$oe" "/t1/.smoothfs/stage/$oe"
run_fails "Stale file handle" "cutover with the write_seq from before the write: ESTALE" -- \
	"$mt" cutover "$uuid" "$oe" 30 "$ws"
is "$(field "$oe" state)" failed "the move is failed"
[ -f /t0/e ] && [ ! -e /t1/e ] && [ "$(cat "$mnt/e")" = "$(printf 'x\nmore')" ]
ok $? "the file stayed on tier 0 with the write"
run_ok "abort" -- "$mt" abort "$uuid" "$oe" 30
is "$(staged)" 0 "the abort removed the staged copy"

# --- quiesce ------------------------------------------------------------
run_ok "quiesce" -- "$mt" quiesce "$uuid"
run_fails "Resource temporarily unavailable" "quiesced: plan EAGAIN" -- \
	"$mt" plan "$uuid" "$oe" 1 31
run_fails "Resource temporarily unavailable" "quiesced: cutover EAGAIN" -- \
	"$mt" cutover "$uuid" "$oe" 31
run_ok "reconcile" -- "$mt" reconcile "$uuid"
run_ok "after reconcile the file moves" -- "$mt" move "$mnt/e" 1 31

# --- a stuck writer -----------------------------------------------------
echo 1000 >/sys/module/smoothfs/parameters/cutover_timeout_ms
waits=$(cat /sys/fs/smoothfs/$uuid/cutover_waits)
"$mt" splice-stuck "$mnt/e" 20000 >/tmp/splice.out 2>&1 &
spid=$!
run_ok "plan with a writer stuck in the file" -- "$mt" plan "$uuid" "$oe" 0 32
while ! grep -q splicing /tmp/splice.out; do sleep 0.1; done
sleep 1
start=$(date +%s%N)
run_fails "Device or resource busy" "the cutover gives up on the stuck writer: EBUSY" -- \
	"$mt" cutover "$uuid" "$oe" 32
elapsed=$((($(date +%s%N) - start) / 1000000))
kill -0 $spid 2>/dev/null
ok $? "it returned while the writer was still stuck (after $elapsed ms, timeout 1000 ms)"
[ "$(cat /sys/fs/smoothfs/$uuid/cutover_waits)" -gt "$waits" ]
ok $? "the wait is counted in cutover_waits"
is "$(field "$oe" state)" plan_accepted "the plan stands"
wait $spid
is "$(cat /tmp/splice.out | tr '\n' ' ')" "splicing spliced 1 " "the writer finished"
run_ok "abort" -- "$mt" abort "$uuid" "$oe" 32
echo 10000 >/sys/module/smoothfs/parameters/cutover_timeout_ms

# --- open files across moves --------------------------------------------
exec 9<&-
printf 'line0\n' >"$mnt/w"
ow=$(oidhex "$mnt/w")
# A writer appends a numbered line every 50 ms, through one descriptor
# opened before the first move; a reader holds the file open too.
python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
for i in range(1, 61):
    os.write(fd, b"line%d\n" % i)
    time.sleep(0.15)
os.close(fd)
' "$mnt/w" &
wpid=$!
python3 -c '
import os, sys, time
f = open(sys.argv[1], "rb")
first = f.read(6)
while not os.path.exists("/tmp/rmoved"):
    time.sleep(0.1)
f.seek(0)
print("same" if f.read() == open(sys.argv[1], "rb").read() else "differs", first)
' "$mnt/w" >/tmp/reader.out 2>&1 &
rpid=$!
moved=0 tries=0 dest=1 during=0
while [ $moved -lt 3 ] && [ $tries -lt 200 ]; do
	tries=$((tries + 1))
	if "$mt" move "$mnt/w" $dest $((100 + tries)) 2>/tmp/move.err; then
		moved=$((moved + 1))
		kill -0 $wpid 2>/dev/null && during=$((during + 1))
		dest=$((1 - dest))
	elif ! grep -q 'Stale file handle' /tmp/move.err; then
		cat /tmp/move.err
		break
	fi
done
is "$moved" 3 "three moves while a writer appends (retried after ESTALE, $tries tries)"
echo "# $during of the moves happened while the writer was running"
wait $wpid
touch /tmp/rmoved
wait $rpid
seq -f 'line%g' 0 60 >/tmp/w.want
cmp -s /tmp/w.want "$mnt/w"
ok $? "every appended line is there, in order"
cmp -s /tmp/w.want /t1/w && [ ! -e /t0/w ]
ok $? "on tier 1 only"
is "$(cat /tmp/reader.out)" "same b'line0\n'" "a reader open across the moves reads the moved file"

python3 -c '
import fcntl, os, sys, time
f = open(sys.argv[1], "r+b")
fcntl.lockf(f, fcntl.LOCK_EX)
open("/tmp/locked", "w").close()
while not os.path.exists("/tmp/lmoved"):
    time.sleep(0.1)
f.seek(0, 2)
f.write(b"locked\n")
f.flush()
' "$mnt/w" &
lpid=$!
while [ ! -e /tmp/locked ]; do sleep 0.1; done
run_ok "a file with a POSIX lock held moves" -- "$mt" move "$mnt/w" 0 200
out=$(python3 -c '
import fcntl, sys
f = open(sys.argv[1], "r+b")
try:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("free")
except OSError as e:
    print("held")
' "$mnt/w")
is "$out" held "the lock is still held after the move"
touch /tmp/lmoved
wait $lpid
is "$(tail -n 1 /t0/w)" locked "the lock holder's write after the move reached the new copy"

# --- sparse -------------------------------------------------------------
truncate -s 64M "$mnt/s"
echo start | dd of="$mnt/s" conv=notrunc status=none
echo middle | dd of="$mnt/s" bs=1M seek=32 conv=notrunc status=none
sum=$(md5sum <"$mnt/s")
run_ok "demote a sparse file" -- "$mt" move "$mnt/s" 1 300
is "$(md5sum <"$mnt/s")" "$sum" "same content"
[ "$(du -k /t1/s | cut -f1)" -lt 1024 ]
ok $? "still sparse on tier 1 ($(du -k /t1/s | cut -f1) KiB)"

umount "$mnt"
run_ok "the pool unmounts after the moves" -- true
mount -t smoothfs -o "pool=mv,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
is "$(stat -c '%i %u:%g %a %s %y' "$mnt/f")" "$before" "after a remount the moved file has the same st_ino and attributes"
cmp -s /tmp/f.orig "$mnt/f"
ok $? "and content"
umount "$mnt"
umount /t0 /t1
