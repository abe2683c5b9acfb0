#!/bin/bash
# Heat accounting: HEAT_SAMPLE events carry, per OID, the opens (an event
# count), bytes read and written since the last sample; every file with
# activity is reported (thousands in one interval, in several messages),
# idle files are not, evicted files still are, heat_interval_ms takes
# effect at once, and unmount sends what is still counted.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 29

tool=$SMOOTHFS_BUILD/vm-progs/nl-tool
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b
mnt=/mnt/pool
sys=/sys/fs/smoothfs/$uuid
events=/tmp/heat-events
mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs -o size=64m tmpfs /t0
mount -t tmpfs -o size=64m tmpfs /t1
load_smoothfs

oid_of() {
	getfattr --absolute-names -e hex -n trusted.smoothfs.oid "$1" |
		sed -n 's/^trusted.smoothfs.oid=0x//p'
}
nsamples() { grep -c '^event=10 ' "$events"; }
# Heat lines as "SAMPLE-INDEX oid opens read write last_ns window_ns".
heat_lines() {
	awk '/^event=10 /{s++} /^heat /{
		for (i = 2; i <= NF; i++) sub(/^[a-z_]*=/, "", $i);
		print s, $2, $3, $4, $5, $6, $7 }' "$events"
}
wait_for() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q "$1" "$events" && return 0
		sleep 0.1
	done
	return 1
}

$tool events 0 600000 >"$events" 2>&1 &
evpid=$!
wait_for subscribed 10
mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
is "$(cat "$sys/heat_interval_ms")" 5000 "the heat interval is 5 s by default"

# No sample for an hour while the files are used.
echo 3600000 >"$sys/heat_interval_ms"
head -c 3000 /dev/zero >"$mnt/a"
cat "$mnt/a" >/dev/null
dd if="$mnt/a" of=/dev/null bs=1000 count=2 status=none
echo hi >"$mnt/b"
head -c 20971520 /dev/zero >"$mnt/c"
oid_a=$(oid_of /t0/a)
oid_b=$(oid_of /t0/b)
oid_c=$(oid_of /t0/c)
rm "$mnt/c"
used=$(df --output=used -k /t0 | tail -1 | tr -dc 0-9)
[ "$used" -lt 10000 ]
ok $? "an unlinked file frees its space at once: the heat list holds no reference (${used}k used)"
sleep 2
is "$(nsamples)" 0 "no sample before the interval ends"

before=$(date +%s%N)
echo 1000 >"$sys/heat_interval_ms"
wait_for '^event=10 ' 5
ok $? "a shorter heat_interval_ms takes effect at once"
is "$(heat_lines | awk -v o="$oid_a" '$2 == o { print $1, $3, $4, $5 }')" "1 3 5000 3000" \
	"file a: 3 opens, 5000 bytes read, 3000 written, in the first sample"
is "$(heat_lines | awk -v o="$oid_b" '$1 == 1 && $2 == o { print $3, $4, $5 }')" "1 0 3" \
	"file b: 1 open, 3 bytes written"
is "$(heat_lines | awk -v o="$oid_c" '$2 == o { print $1, $3, $4, $5 }')" "1 1 0 20971520" \
	"file c, unlinked and evicted before the sample, is still reported"
rec=$(heat_lines | awk -v o="$oid_a" '$2 == o')
now=$(date +%s%N)
last=$(echo "$rec" | cut -d' ' -f6)
window=$(echo "$rec" | cut -d' ' -f7)
[ "$last" -gt $((before - 60000000000)) ] && [ "$last" -le "$now" ]
ok $? "last_access_ns is the wall-clock time of the last access ($last)"
[ "$window" -gt 2000000000 ] && [ "$window" -lt 600000000000 ]
ok $? "sample_window_ns covers the time since mount ($window)"
grep -q "^event=10 pool=$uuid records=" "$events"
ok $? "samples name the pool"

# Only b stays in use: a is idle and must not be reported again.
for _ in $(seq 8); do
	cat "$mnt/b" >/dev/null
	sleep 0.5
done
sleep 2.5
n_b=$(heat_lines | awk -v o="$oid_b" '$1 > 1 && $2 == o' | wc -l)
[ "$n_b" -ge 3 ]
ok $? "a file in use is reported in each 1 s interval ($n_b samples)"
is "$(heat_lines | awk -v o="$oid_b" '$1 > 1 && $2 == o { n += $3; r += $4 } END { print n, r }')" \
	"8 24" "its opens and bytes add up over the samples"
is "$(heat_lines | awk -v o="$oid_a" '$2 == o' | wc -l)" 1 "an idle file is not reported again"
is "$(heat_lines | awk '$3 == 0 && $4 == 0 && $5 == 0' | wc -l)" 0 "no record without activity"

# Thousands of files in one interval: all reported, in several messages.
echo 3600000 >"$sys/heat_interval_ms"
sleep 1.5
base=$(nsamples)
mkdir "$mnt/many"
for i in $(seq 2500); do
	echo x >"$mnt/many/f$i"
done
getfattr --absolute-names -e hex -n trusted.smoothfs.oid /t0/many/* 2>/dev/null |
	sed -n 's/^trusted.smoothfs.oid=0x//p' | sort >/tmp/many-oids
is "$(wc -l </tmp/many-oids)" 2500 "2500 files created"
echo 1000 >"$sys/heat_interval_ms"
for _ in $(seq 30); do
	[ "$(heat_lines | awk -v b="$base" '$1 > b' | wc -l)" -ge 2500 ] && break
	sleep 1
done
sleep 1
heat_lines | awk -v b="$base" '$1 > b { print $2 }' | sort >/tmp/many-heat
is "$(comm -3 /tmp/many-oids /tmp/many-heat | wc -l)" 0 "every one of the 2500 files is reported, each once"
is "$(heat_lines | awk -v b="$base" '$1 > b && !($3 == 1 && $4 == 0 && $5 == 2)' | wc -l)" 0 \
	"each with 1 open and 2 bytes written"
msgs=$(awk -v b="$base" '/^event=10 /{s++; if (s > b) n++} END { print n }' "$events")
per=$(awk -v b="$base" '/^event=10 /{s++; if (s == b + 1) { sub(/.*records=/, ""); print } }' "$events")
[ "$msgs" -ge 2 ] && [ "$per" -ge 50 ] && [ $((msgs * per)) -ge 2500 ]
ok $? "in $msgs messages of up to $per records (one netlink message each)"
is "$(cat "$sys/heat_records")" "$(heat_lines | wc -l)" "heat_records counts the records sent"

# Counts still reset when nobody listens.
kill "$evpid"
wait "$evpid" 2>/dev/null
cat "$mnt/a" >/dev/null
sleep 2.5
sent=$(cat "$sys/heat_records")
$tool events 0 600000 >"$events" 2>&1 &
evpid=$!
wait_for subscribed 10
sleep 2.5
is "$(nsamples)" 0 "activity with nobody subscribed is dropped, not sent later"
is "$(cat "$sys/heat_records")" "$sent" "and not counted as sent"

slab=/sys/kernel/slab/smoothfs_inode
slab_objects() {
	echo 1 >"$slab/shrink" 2>/dev/null
	cut -d' ' -f1 "$slab/objects" 2>/dev/null
}
n=$(slab_objects)
[ "${n:-0}" -ge 2500 ]
ok $? "the inode cache holds the pool's inodes while mounted (${n:-none})"

# Unmount with activity not yet sampled: the last sample comes with it.
echo 3600000 >"$sys/heat_interval_ms"
sleep 1.5
cat "$mnt/a" >/dev/null
cat "$mnt/b" >/dev/null
run_ok "unmount with a pending heat list" -- umount "$mnt"
wait_for '^event=18 ' 10
ok $? "POOL_UNMOUNTED"
is "$(heat_lines | awk -v o="$oid_a" '{ print $2 == o ? $3 " " $4 : "" }' | grep . )" "1 3000" \
	"the last numbers are sent at unmount"
[ ! -e "$sys" ]
ok $? "the sysfs directory is gone"
kill "$evpid"
wait "$evpid" 2>/dev/null
sed -n '/^event=/p' "$events" | sed 's/^/# /'
# Every smoothfs inode is freed (after an RCU grace period).  SLUB counts
# the free objects of per-CPU slabs as in use until the cache is shrunk.
left=unknown
for _ in $(seq 20); do
	left=$(slab_objects)
	[ "$left" = 0 ] && break
	sleep 0.5
done
is "$left" 0 "no smoothfs inode is left after unmount"
umount /t0 /t1
run_ok "the module unloads (no inode left in its cache)" -- rmmod smoothfs
grep -q smoothfs_inode /proc/slabinfo
ok $((!$?)) "the inode cache is gone"
