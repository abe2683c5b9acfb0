#!/bin/bash
# Directory races (tests/vm/prog/dirs-race.c), on three tmpfs tiers:
#  - opendir/getdents of directories in a loop in three processes while
#    three others mkdir, rmdir, rename one over another and exchange them,
#    with the dentry cache dropped now and then: no oops or warning (the
#    harness checks the console; the Debian kernels have no KASAN), and
#    the tree is consistent afterwards;
#  - renames of an ancestor (A <-> B) while files are created deep below
#    it, so that its chain is materialised on the fastest tier meanwhile:
#    afterwards no tier holds a directory under a name the canonical tier
#    does not have, every file on a tier is reachable through the mount,
#    and the merged listing is the union of the tiers' listings.
# No disks needed.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 14

race=$SMOOTHFS_BUILD/vm-progs/dirs-race
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4d02
mnt=/mnt/pool
tiers=(/t0 /t1 /t2)
mkdir -p "${tiers[@]}" "$mnt"
for t in "${tiers[@]}"; do mount -t tmpfs -o size=64m tmpfs "$t"; done
mnt_pool() { mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1:/t2" none "$mnt"; }

# Relative paths of everything below DIR (not .smoothfs at the top).
tree() { (cd "$1" && find . -mindepth 1 -path ./.smoothfs -prune -o -print | sort); }
union() { for t in "${tiers[@]}"; do tree "$t"; done | sort -u; }
# Directories on any tier that the slowest tier (where every tree
# started) does not have under that name.
stale_dirs() {
	local t d
	for t in /t0 /t1; do
		(cd "$t" && find . -mindepth 1 -path ./.smoothfs -prune -o -type d -print) |
			while read -r d; do [ -d "/t2/$d" ] || echo "$t/${d#./}"; done
	done
}
unreachable() {
	local t f
	for t in "${tiers[@]}"; do
		(cd "$t" && find . -path ./.smoothfs -prune -o -type f -print) |
			while read -r f; do [ -f "$mnt/$f" ] || echo "$t/${f#./}"; done
	done
}
dropper() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do echo 2 >/proc/sys/vm/drop_caches; sleep 0.5; done
}

# Part 1: opendir against rmdir and rename over a directory.  The
# directories start with copies on tiers 1 and 2.
for i in 0 1 2 3 4 5 6 7; do mkdir -p "/t1/od/d$i" "/t2/od/d$i"; done
load_smoothfs
mnt_pool
dropper 20 &
dropper_pid=$!
run_ok "opendir/getdents race mkdir/rmdir/rename for 20 s" -- "$race" opendir "$mnt/od" 20
wait "$dropper_pid"
is "$(tree "$mnt/od")" "$(for t in "${tiers[@]}"; do tree "$t/od"; done | sort -u)" \
	"the merged listing is the union of the tiers' listings"
for d in "$mnt"/od/d*; do rm -f "$d/f"; rmdir "$d" || break; done
is "$(ls -A "$mnt/od" | wc -l) $(ls -A /t0/od /t1/od /t2/od | grep -c '^d')" "0 0" \
	"every directory left can be removed, on every tier"
umount "$mnt"

# Part 2: materialising against renames of an ancestor.
ntrees=200
for i in $(seq 0 $((ntrees - 1))); do mkdir -p "/t2/m/r$i/A/x/y/z"; done
mnt_pool
out=$("$race" materialize "$mnt/m" 20 "$ntrees" /t0/m 2>&1)
ok $? "renames of A <-> B while creating below them for 20 s"
[ "${out:-0}" -gt 0 ] 2>/dev/null
ok $? "files were created meanwhile ($out)"
[ -n "$(ls -A /t0/m 2>/dev/null)" ]
ok $? "directories were materialised on tier 0"
is "$(stale_dirs | head -5)" "" "no tier holds a directory under a name the canonical tier lacks"
is "$(unreachable | head -5)" "" "every file on a tier is reachable through the mount"
is "$(tree "$mnt")" "$(union)" "the merged listing is the union of the tiers' listings"
echo 2 >/proc/sys/vm/drop_caches
is "$(tree "$mnt")" "$(union)" "and still after drop_caches"
umount "$mnt"
mnt_pool
is "$(unreachable | head -5)" "" "and every file after a remount"
is "$(tree "$mnt")" "$(union)" "the merged listing after a remount"
umount "$mnt"

for t in "${tiers[@]}"; do umount "$t"; done
run_ok "the module unloads" -- rmmod smoothfs
run_ok "no splat in the kernel log" -- sh -c '! dmesg | grep -E "BUG|WARNING|general protection|smoothfs: .*OID already used"'
