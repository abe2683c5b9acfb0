#!/bin/bash
# Placement under a fast writer: the free space of a tier is cached (one
# statfs a second at most), and writes take what they add off the cache at
# once, so files created back to back spill to the next tier as soon as
# the fast one reaches its reserve, not a second later with ENOSPC.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 6

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a81
mnt=/mnt/pl
load_smoothfs
mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs -o size=32m tmpfs /t0
mount -t tmpfs -o size=256m tmpfs /t1
mount -t smoothfs -o "pool=pl,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
ok $? "a pool over a 32 MiB and a 256 MiB tier"
# A reserve larger than one file: a file placed on tier 0 always fits.
echo "25 5" >/sys/fs/smoothfs/$uuid/reserve_pct
ok $? "tier 0 keeps 25% (8 MiB) free for growth"

# One process, so that the files come faster than the cache's statfs.
start=$(date +%s%N)
fails=$(python3 -c '
import sys
fails = 0
for i in range(1, 17):
    try:
        with open("%s/f%d" % (sys.argv[1], i), "wb") as f:
            f.write(bytes(4 << 20))
    except OSError as e:
        print(e, file=sys.stderr)
        fails += 1
print(fails)
' "$mnt")
ms=$((($(date +%s%N) - start) / 1000000))
is "$fails" 0 "sixteen 4 MiB files written back to back in $ms ms, none failed"
on0=$(ls /t0 | grep -c '^f')
on1=$(ls /t1 | grep -c '^f')
[ "$on0" -ge 4 ] && [ "$on1" -ge 1 ] && [ $((on0 + on1)) -eq 16 ]
ok $? "the first ones on tier 0, the rest spilled to tier 1 ($on0 + $on1)"
avail=$(df --output=avail -k /t0 | tail -n 1)
[ "$avail" -ge 4096 ]
ok $? "tier 0 still has room for growth ($avail KiB free)"
[ "$(stat -c %s "$mnt/f16")" = $((4 << 20)) ] && [ -z "$(tr -d '\0' <"$mnt/f16")" ]
ok $? "the last file is whole"
umount "$mnt"
umount /t0 /t1
