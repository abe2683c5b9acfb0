#!/bin/bash
# Managed pools through systemd's D-Bus API (libsmoothfs, pool-tool).
#
# A pool on tiers of a supported filesystem (tmpfs here) is created,
# mounted, used and destroyed.  A pool whose tiers pass validation but sit
# on a filesystem the kernel refuses (the guest's overlay root) fails at
# the mount job: the failure must be clear and the rollback complete.  managed-pool-destroy.t
# covers bad input and destroy (two tests: each must fit the runner's
# per-test time limit, and a systemd reload is slow under TCG).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

tool=$SMOOTHFS_BUILD/vm-progs/pool-tool
units=/etc/systemd/system
root=/srv/pool-test
t0=$root/ssd
t1="$root/hdd one"
t2="$root/50%"

plan 41

# What create may not leave behind: unit files, symlinks, mountpoints.
snapshot() {
	find "$units" /mnt "$root" -printf '%p %y %m %l\n' 2>/dev/null | sort
	find "$root" -type f -exec md5sum {} + | sort
}

load_state() { systemctl show -P LoadState "$1" 2>&1; }

# Progress, with the time since the start (a systemd reload is slow under TCG).
t_start=$(date +%s)
step() { echo "# +$(($(date +%s) - t_start))s: $*"; }

# 1-2: the module is loaded, so a failed mount is the module's doing.
load_smoothfs
ok $? "insmod smoothfs"
grep -qw smoothfs /proc/filesystems
ok $? "smoothfs is a registered filesystem type"

mkdir -p "$t0/dir" "$t1" "$t2"
echo fast >"$t0/dir/file"
echo slow >"$t1/file"
dd if=/dev/urandom of="$t2/blob" bs=64k count=4 status=none
[ ! -e /mnt/smoothfs ]
ok $? "no /mnt/smoothfs before the test"
before=$(snapshot)

# --- create fails at the mount, and is rolled back ------------------------
step "create tank"
dmesg -C
out=$("$tool" create tank "$t0" "$t1" "$t2" 2>&1)
rc=$?
echo "# $out"
is "$rc" 1 "create fails (the tiers are on an unsupported filesystem)"
printf '%s' "$out" | grep -q "starting mnt-smoothfs-tank.mount failed: job result 'failed'"
ok $? "the error names the unit and the job result"
printf '%s' "$out" | grep -q "ActiveState=failed, Result=exit-code"
ok $? "the error carries the unit's state and result"
printf '%s' "$out" | grep -q "^pool-tool: EIO:"
ok $? "the failure is EIO"
dmesg | grep -q "tier 0: $t0: unsupported filesystem overlay"
ok $? "the kernel refused the mount (dmesg)"
dmesg | grep -q "not an absolute path"
ok $((!$?)) "the kernel got the tier list intact (no tier without a leading /)"
[ ! -e "$units/mnt-smoothfs-tank.mount" ]
ok $? "the unit file is gone"
[ ! -e "$units/local-fs.target.wants/mnt-smoothfs-tank.mount" ] && [ ! -L "$units/local-fs.target.wants/mnt-smoothfs-tank.mount" ]
ok $? "the unit is not enabled"
is "$(load_state mnt-smoothfs-tank.mount)" not-found "systemd does not know the unit (LoadState)"
is "$(systemctl show -P ActiveState mnt-smoothfs-tank.mount)" inactive "and nothing of it is left failed"
systemctl list-unit-files --no-legend 'mnt-smoothfs-*' 2>&1 | grep -q mnt-smoothfs-tank
ok $((!$?)) "systemctl list-unit-files does not list it"
systemctl status mnt-smoothfs-tank.mount >/dev/null 2>&1
is $? 4 "systemctl status: no such unit (exit status 4)"
[ ! -e /mnt/smoothfs/tank ]
ok $? "the mountpoint create made is removed"
[ ! -e /mnt/smoothfs ]
ok $? "and so is its parent, which create made too"
after=$(snapshot)
is "$after" "$before" "unit dir, /mnt and the tiers (names, modes, contents) are as before"
ls "$units"/.#smoothfs-* >/dev/null 2>&1
ok $((!$?)) "no temporary unit file is left"
awk '$3 == "smoothfs" { found = 1 } END { exit !found }' /proc/mounts
ok $((!$?)) "nothing is mounted"

# The same create again fails the same way: nothing left blocks it.
step "create tank again"
out=$("$tool" create tank "$t0" "$t1" "$t2" 2>&1)
printf '%s' "$out" | grep -q "job result 'failed'"
ok $? "a second create fails at the mount again, not at leftovers ($out)"
is "$(snapshot)" "$before" "and is rolled back too"

# --- a mountpoint that existed is left alone --------------------------------
step "create keep"
mkdir -p "$root/base/keep"
echo precious >"$root/base/keep/file"
before=$(snapshot)
out=$("$tool" create keep "$t0" --base "$root/base" 2>&1)
rc=$?
is "$rc" 1 "create over an existing mountpoint fails at the mount"
printf '%s' "$out" | grep -q "job result 'failed'"
ok $? "at the mount job ($out)"
is "$(cat "$root/base/keep/file" 2>&1)" precious "the existing mountpoint and its file are untouched"
unit=$("$tool" unit-name "$root/base/keep")
is "$unit" srv-pool\\x2dtest-base-keep.mount "unit name of $root/base/keep"
[ ! -e "$units/$unit" ]
ok $? "its unit file is gone"
is "$(load_state "$unit")" not-found "systemd does not know it"
is "$(snapshot)" "$before" "everything is as before"

# --- a pool that mounts: create, use, destroy -------------------------------
step "create good"
good=/srv/pool-good
mkdir -p "$good/ssd" "$good/hdd"
mount -t tmpfs tmpfs "$good/ssd" && mount -t tmpfs tmpfs "$good/hdd"
echo before >"$good/hdd/old.txt"
out=$("$tool" create good "$good/ssd" "$good/hdd" 2>&1)
rc=$?
echo "# $out"
is "$rc" 0 "create succeeds on tiers the kernel accepts"
printf '%s' "$out" | grep -q '"mountpoint":"/mnt/smoothfs/good"'
ok $? "it prints the pool as JSON"
is "$(findmnt -n -o FSTYPE /mnt/smoothfs/good)" smoothfs "the pool is mounted"
is "$(systemctl show -P ActiveState mnt-smoothfs-good.mount)" active "its unit is active"
is "$(systemctl is-enabled mnt-smoothfs-good.mount 2>&1)" enabled "and enabled"
is "$(cat /mnt/smoothfs/good/old.txt 2>&1)" before "data already on a tier is visible"
echo new >/mnt/smoothfs/good/new.txt
is "$(cat "$good/ssd/new.txt" 2>&1)" new "a new file lands on the fast tier"

step "destroy good"
out=$("$tool" destroy good 2>&1)
ok $? "destroy succeeds ($out)"
findmnt /mnt/smoothfs/good >/dev/null
ok $((!$?)) "the pool is unmounted"
is "$(load_state mnt-smoothfs-good.mount)" not-found "the unit is gone"
is "$(cat "$good/ssd/new.txt" "$good/hdd/old.txt" 2>&1 | tr '\n' ' ')" "new before " \
	"the data on the tiers is untouched"
[ -d /mnt/smoothfs/good ]
ok $? "the mountpoint is left"
rmdir /mnt/smoothfs/good /mnt/smoothfs
umount "$good/ssd" "$good/hdd"

step "done"
