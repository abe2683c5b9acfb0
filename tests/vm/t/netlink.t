#!/bin/bash
# The control interface with pools mounted: LIST_POOLS, INSPECT and the
# MOUNT_READY, SPILL and POOL_UNMOUNTED events, through libsmoothfs.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 17

tool=$SMOOTHFS_BUILD/vm-progs/nl-tool
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b
mnt=/mnt/pool
mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs -o size=256k tmpfs /t0
mount -t tmpfs tmpfs /t1
load_smoothfs

is "$($tool list)" "" "no pools: an empty list"

events=/tmp/events
$tool events 3 120000 9,15,18 >"$events" 2>&1 &
evpid=$!
for _ in $(seq 50); do grep -q subscribed "$events" && break; sleep 0.1; done

mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
is "$($tool list)" "$uuid tank spill=0 0:/t0 1:/t1" "list_pools shows the pool and its tiers"

mkdir "$mnt/dir"
echo data >"$mnt/dir/file"
oid=$(getfattr --absolute-names -e hex -n trusted.smoothfs.oid /t0/dir/file |
	sed -n 's/^trusted.smoothfs.oid=0x//p')
[ ${#oid} -eq 32 ]
ok $? "the file has an OID ($oid)"
out=$($tool inspect "$uuid" "$oid" 2>&1)
printf '%s\n' "$out" | sed 's/^/# /'
printf '%s\n' "$out" | grep -qx "tier=0" && printf '%s\n' "$out" | grep -qx "state=placed"
ok $? "inspect: tier 0, placed"
printf '%s\n' "$out" | grep -qx "rel_path=/dir/file"
ok $? "inspect: the path inside the pool"
printf '%s\n' "$out" | grep -qx "tier_path=/t0"
ok $? "inspect: the tier's root"
setfattr -n trusted.smoothfs.pin -v pin_hot "$mnt/dir/file"
$tool inspect "$uuid" "$oid" 2>&1 | grep -qx "pin=pin_hot"
ok $? "inspect: the pin set through the mount"
setfattr -x trusted.smoothfs.pin "$mnt/dir/file"
out=$($tool inspect "$uuid" 00000000000070008000000000000000 2>&1)
printf '%s' "$out" | grep -q "inspect: -2 (.*object not in use in this pool"
ok $? "inspect of an unknown OID: ENOENT with the kernel's reason ($out)"
out=$($tool inspect 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a00 "$oid" 2>&1)
printf '%s' "$out" | grep -q "inspect: -2 (.*no such pool is mounted"
ok $? "inspect in an unknown pool: ENOENT with the kernel's reason"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $tool inspect "$uuid" "$oid" 2>&1)
printf '%s' "$out" | grep -q "inspect: -1 "
ok $? "inspect needs CAP_NET_ADMIN"
is "$(setpriv --reuid=65534 --regid=65534 --clear-groups $tool list | wc -l)" 1 \
	"anyone may list pools"

# Fill the fast tier: a create spills, with an event.
i=0
while [ ! -e "/t1/spill$i" ] && [ $i -lt 40 ]; do
	i=$((i + 1))
	dd if=/dev/zero of="$mnt/spill$i" bs=16k count=1 status=none
	sleep 1.05
done
[ -e "/t1/spill$i" ]
ok $? "a create spilled to tier 1"
is "$($tool list | cut -d' ' -f3)" "spill=1" "list_pools reports the spill"

umount "$mnt"
wait $evpid
sed 's/^/# /' "$events"
grep -q "^event=9 pool=$uuid name=tank tiers=2$" "$events"
ok $? "MOUNT_READY with the pool's name and tiers"
grep -q "^event=15 pool=$uuid oid=[0-9a-f]* from=0 to=1$" "$events"
ok $? "SPILL from tier 0 to tier 1"
grep -q "^event=18 pool=$uuid name=tank$" "$events"
ok $? "POOL_UNMOUNTED"
is "$($tool list)" "" "no pools after unmount"
umount /t0 /t1
rmmod smoothfs
