#!/bin/bash
# Managed pools through systemd's D-Bus API (libsmoothfs, pool-tool): bad
# input to create fails before anything is created, and destroy works on
# a pool whose unit was rendered by the library and installed by hand and
# whose mount fails (its tiers are on the guest's overlay root, which the
# kernel refuses).
# Also checks that systemd parses the rendered unit as meant: tier paths
# with a space and a '%' survive Where=, Options= and RequiresMountsFor=.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

tool=$SMOOTHFS_BUILD/vm-progs/pool-tool
units=/etc/systemd/system
root=/srv/pool-test
t0=$root/ssd
t1="$root/hdd one"
t2="$root/50%"
uuid=1b4e28ba-2fa1-41d2-883f-0016d3cca427
unit=mnt-smoothfs-hand.mount

plan 31

t_start=$(date +%s)
step() { echo "# +$(($(date +%s) - t_start))s: $*"; }
load_state() { systemctl show -P LoadState "$1" 2>&1; }
tier_sums() { find "$root" -type f -exec md5sum {} + | sort; }
snapshot() {
	find "$units" /mnt "$root" -printf '%p %y %m %l\n' 2>/dev/null | sort
	tier_sums
}

load_smoothfs
ok $? "insmod smoothfs"
mkdir -p "$t0/dir" "$t1" "$t2"
echo fast >"$t0/dir/file"
echo slow >"$t1/file"
dd if=/dev/urandom of="$t2/blob" bs=64k count=4 status=none
[ ! -e /mnt/smoothfs ] && [ ! -e "$units/local-fs.target.wants" ]
ok $? "no /mnt/smoothfs and no local-fs.target.wants before the test"

# --- bad input fails before anything is created -------------------------------
step "bad input"
before=$(snapshot)
run_fails "EINVAL: invalid pool name" "an upper-case pool name is refused" -- \
	"$tool" create Tank "$t0"
run_fails "EINVAL: invalid pool name" "a pool name with a leading dot is refused" -- \
	"$tool" create .tank "$t0"
run_fails "ENOENT: tier 1 (\"$root/missing\") does not exist" "a missing tier is refused" -- \
	"$tool" create tank "$t0" "$root/missing"
run_fails "ENOTDIR" "a tier that is a file is refused" -- \
	"$tool" create tank "$t0" "$t1/file"
run_fails "EEXIST" "the same tier twice (via a symlink) is refused" -- \
	bash -c "ln -sfn '$t0' /run/tier-link && '$tool' create tank '$t0' /run/tier-link"
run_fails "is inside tier 0" "a tier inside another is refused" -- \
	"$tool" create tank "$t0" "$t0/dir"
run_fails "E2BIG" "nine tiers are refused" -- \
	"$tool" create tank /a /b /c /d /e /f /g /h /i
run_fails "lies in tier 0" "a mountpoint inside a tier is refused" -- \
	"$tool" create tank "$t0" --base "$t0/dir"
is "$(snapshot)" "$before" "bad input created nothing"
[ ! -e /mnt/smoothfs ]
ok $? "not even the mount base"

# An existing unit file (someone else's) is refused and left alone.
echo "# not ours" >"$units/mnt-smoothfs-other.mount"
run_fails "EEXIST: the unit file $units/mnt-smoothfs-other.mount already exists" \
	"an existing unit file is refused" -- "$tool" create other "$t0"
is "$(cat "$units/mnt-smoothfs-other.mount")" "# not ours" "and is left alone"
rm -f "$units/mnt-smoothfs-other.mount"

# --- destroy of a pool whose unit was written by hand ----------------------
step "install the rendered unit by hand"
"$tool" render hand "$uuid" "$t0" "$t1" "$t2" >"$units/$unit"
ok $? "render the unit of pool hand"
systemctl daemon-reload && systemctl enable "$unit" >/dev/null 2>&1
ok $? "systemctl daemon-reload and enable it"
is "$(load_state "$unit")" loaded "systemd loads the rendered unit"
is "$(systemctl show -P Where "$unit")" /mnt/smoothfs/hand "Where= as rendered"
is "$(systemctl show -P Options "$unit")" "pool=hand,uuid=$uuid,tiers=$t0:$t1:$t2" \
	"Options= survives the unit parser (space and % in tier paths)"
# systemd adds the mountpoint's parent, quotes a path with a space, and
# lists in no particular order.
got=$(systemctl show -P RequiresMountsFor "$unit")
eval "set -- $got"
is "$(printf '%s\n' "$@" | sort)" "$(printf '%s\n' /mnt/smoothfs "$t0" "$t1" "$t2" | sort)" \
	"RequiresMountsFor= has the three tiers ($got)"

step "start it"
dmesg -C
systemctl start "$unit" >/dev/null 2>&1
ok $((!$?)) "starting it fails (tiers on an unsupported filesystem)"
dmesg | grep -q "tier 0: $t0: unsupported filesystem overlay"
ok $? "at the kernel, so mount(8) passed the options through"
dmesg | grep -q "not an absolute path"
ok $((!$?)) "the kernel got the tier list intact"
is "$(systemctl show -P ActiveState "$unit")" failed "the unit is failed"

step "destroy"
before=$(tier_sums)
out=$("$tool" destroy hand 2>&1)
ok $? "destroy succeeds ($out)"
[ ! -e "$units/$unit" ] && [ ! -L "$units/local-fs.target.wants/$unit" ]
ok $? "the unit file and its enablement are gone"
is "$(load_state "$unit")" not-found "systemd no longer knows it"
systemctl status "$unit" >/dev/null 2>&1
is $? 4 "systemctl status: no such unit (exit status 4)"
is "$(tier_sums)" "$before" "tier data untouched"
# systemd made the mountpoint when it tried to mount; destroy leaves it.
[ -d /mnt/smoothfs/hand ]
ok $? "the mountpoint is left alone"
rmdir /mnt/smoothfs/hand /mnt/smoothfs

step "destroy again"
out=$("$tool" destroy hand 2>&1)
ok $? "destroying it again is a no-op ($out)"
step "done"
