#!/bin/bash
# Heat samples and a listener slower than the drain.  Multicast has no flow
# control; a listener that asks to hear of its overflows
# (NETLINK_BROADCAST_ERROR, as libsmoothfs does) makes the drain wait for
# it instead of dropping samples: every active file is still reported
# exactly once, and heat_waits counts the waits.  A listener that stops
# reading holds samples back for a bounded time only; other listeners get
# every record, and twice only those of the one message it refused.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 14

tool=$SMOOTHFS_BUILD/vm-progs/nl-tool
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c
mnt=/mnt/pool
sys=/sys/fs/smoothfs/$uuid
mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs -o size=64m tmpfs /t0
mount -t tmpfs -o size=64m tmpfs /t1
load_smoothfs
mount -t smoothfs -o "pool=slow,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
# No sample while the files are made.
echo 3600000 >"$sys/heat_interval_ms"

# make_active NAME N: N files written once (1 open, 2 bytes each) in
# $mnt/NAME; their OIDs, sorted, in /tmp/NAME.oids.
make_active() {
	mkdir "$mnt/$1"
	for i in $(seq "$2"); do
		echo x >"$mnt/$1/f$i"
	done
	getfattr --absolute-names -e hex -n trusted.smoothfs.oid /t0/"$1"/* 2>/dev/null |
		sed -n 's/^trusted.smoothfs.oid=0x//p' | sort >"/tmp/$1.oids"
}
# heat_oids LOG: the OIDs of LOG's heat records, sorted, one per record.
heat_oids() { sed -n 's/^heat oid=\([0-9a-f]*\) .*/\1/p' "$1" | sort; }
wait_subscribed() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '^subscribed' "$1" && return 0
		sleep 0.1
	done
	return 1
}

# A listener with an 8 KiB buffer (two messages) that takes 700 ms per
# event, against 2000 files drained at once (some 30 messages, and as many
# probes): it takes longer than the 30 s a drain waits for a listener
# that reads nothing, and must not be cut off, as it reads all along.
make_active slow 2000
is "$(wc -l </tmp/slow.oids)" 2000 "2000 files written while no sample is due"
NL_TOOL_RCVBUF=4096 NL_TOOL_DELAY_MS=700 timeout 300 $tool events 0 5000 10 >/tmp/slow.log 2>&1 &
slow=$!
wait_subscribed /tmp/slow.log
echo 100 >"$sys/heat_interval_ms"
wait "$slow"
ok $? "the slow listener read until the samples stopped"
overruns=$(grep -c '^overrun$' /tmp/slow.log)
[ "$overruns" -ge 1 ]
ok $? "its socket overflowed ($overruns times)"
waits=$(cat "$sys/heat_waits")
[ "$waits" -ge 1 ]
ok $? "the drain waited for it (heat_waits $waits)"
heat_oids /tmp/slow.log >/tmp/slow.got
is "$(uniq -d /tmp/slow.got | wc -l)" 0 "no file reported twice"
is "$(comm -3 /tmp/slow.oids /tmp/slow.got | wc -l)" 0 "every one of the 2000 files reported"
is "$(grep -c '^heat .* opens=1 read=0 write=2 ' /tmp/slow.log)" 2000 \
	"each with its 1 open and 2 bytes written"
is "$(cat "$sys/heat_records")" 2000 "heat_records counts each record once"

# A listener that stops reading (SIGSTOP) beside one that reads.
echo 3600000 >"$sys/heat_interval_ms"
NL_TOOL_RCVBUF=4096 $tool events 0 600000 10 >/tmp/stuck.log 2>&1 &
stuck=$!
wait_subscribed /tmp/stuck.log
kill -STOP "$stuck"
# Quiet for longer than the drain may wait for the stuck one (30 s); a
# drain that waited for ever would keep it alive with probes until timeout.
timeout 200 $tool events 0 45000 10 >/tmp/live.log 2>&1 &
live=$!
wait_subscribed /tmp/live.log
make_active stuck 500
waits=$(cat "$sys/heat_waits")
echo 100 >"$sys/heat_interval_ms"
wait "$live"
ok $? "the reading listener got samples until they stopped"
heat_oids /tmp/live.log >/tmp/live.got
is "$(comm -23 /tmp/stuck.oids /tmp/live.got | wc -l)" 0 \
	"it got every one of the 500 files after the drain stopped waiting"
# It had the refused message the first time: those records come twice.
per=$(awk '/^event=10 / { sub(/.*records=/, ""); if ($1 > m) m = $1 } END { print m }' /tmp/live.log)
dups=$(uniq -d /tmp/live.got | wc -l)
sort -u /tmp/live.got >/tmp/live.uniq
[ "$dups" -le "$per" ] && [ "$(comm -13 /tmp/stuck.oids /tmp/live.uniq | wc -l)" -eq 0 ]
ok $? "twice only the records of the one refused message ($dups, a message holds $per)"
[ "$(cat "$sys/heat_waits")" -gt "$waits" ]
ok $? "the drain did wait for the stuck listener first, for a bounded time"

# The stuck listener is no longer waited for: the next sample comes at once.
echo 3600000 >"$sys/heat_interval_ms"
timeout 120 $tool events 0 5000 10 >/tmp/live.log 2>&1 &
live=$!
wait_subscribed /tmp/live.log
waits=$(cat "$sys/heat_waits")
cat "$mnt/stuck/f1" >/dev/null
echo 100 >"$sys/heat_interval_ms"
wait "$live"
is "$(heat_oids /tmp/live.log | wc -l)" 1 "a later sample reaches the reading listener"
is "$(cat "$sys/heat_waits")" "$waits" "without waiting for the stuck one again"

kill -CONT "$stuck"
kill "$stuck"
wait "$stuck" 2>/dev/null
umount "$mnt"
