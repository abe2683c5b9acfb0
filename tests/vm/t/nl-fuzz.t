#!/bin/bash
# Netlink fuzzing against the real module (tests/vm/prog/nl-fuzz.c):
# random and mutated messages for every command of the smoothfs family
# (wrong, short, long, nested and duplicate attributes, lying lengths,
# random and near-miss UUIDs and OIDs, valid prefixes with garbage), as
# root and as nobody, with two pools mounted and files in them.
#
# "keep" is the protected pool: as root the fuzzer puts its UUID and OIDs
# only in INSPECT and LIST_POOLS; as nobody in everything (all refused).
# "fuzz" is the decoy pool, which valid commands may change (plans,
# cutovers that fail, quiesce, tier down, revoke); nl-fuzz -r puts it
# back (abort, reconcile, reprobe).  Afterwards: "keep" is exactly as
# before on its tiers and through the mount (contents, placement, lower
# inodes, OIDs, pins, movement state), "fuzz" has every file once with
# its content and serves writes again, both pools still move files,
# and the kernel logged no warning (the harness checks the console).
# Three root fuzzers also run at once beside a mover of the decoy pool:
# the handlers are not serialised by the genetlink core.
#
# Knobs on the kernel command line (the guest does not inherit the
# host's environment): nlfuzz.messages=N per user (default 10000),
# nlfuzz.seed=S (default 1), e.g. for make torture:
#   SMOOTHFS_VM_APPEND="nlfuzz.messages=500000 nlfuzz.seed=7" make torture TESTS=tests/vm/t/nl-fuzz.t
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

messages=10000
seed=1
for arg in $(cat /proc/cmdline); do
	case $arg in
	nlfuzz.messages=*) messages=${arg#*=} ;;
	nlfuzz.seed=*) seed=${arg#*=} ;;
	esac
done

plan 19

fuzz=$SMOOTHFS_BUILD/vm-progs/nl-fuzz
nltool=$SMOOTHFS_BUILD/vm-progs/nl-tool
mtool=$SMOOTHFS_BUILD/vm-progs/move-tool
keep=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b01
decoy=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b02
km=/mnt/keep
fm=/mnt/fuzz
mkdir -p /k0 /k1 /f0 /f1 "$km" "$fm"
for t in /k0 /k1 /f0 /f1; do mount -t tmpfs tmpfs "$t"; done
# Adopted files on the slow tier, there before the pool.
mkdir -p /k1/old && echo cold >/k1/old/cold.txt && echo slow >/k1/slow.txt
load_smoothfs
mount -t smoothfs -o "pool=keep,uuid=$keep,tiers=/k0:/k1" none "$km"
mount -t smoothfs -o "pool=fuzz,uuid=$decoy,tiers=/f0:/f1" none "$fm"

mkdir "$km/dir"
echo alpha >"$km/a.txt"
head -c 1M /dev/urandom >"$km/dir/b.bin"
echo hot >"$km/hot.txt" && setfattr -n trusted.smoothfs.pin -v pin_hot "$km/hot.txt"
echo held >"$km/cold.txt" && setfattr -n trusted.smoothfs.pin -v pin_cold "$km/cold.txt"
ln -s a.txt "$km/link"
chown 1000:1000 "$km/a.txt" && chmod 600 "$km/a.txt"
cat "$km/old/cold.txt" "$km/slow.txt" >/dev/null
for i in 1 2 3 4 5; do head -c $((i * 3000)) /dev/urandom >"$fm/f$i"; done
mkdir "$fm/d" && echo x >"$fm/d/g"
exec 3<"$km/dir/b.bin"	# an open file in the protected pool

# oids LOWER-ROOT: the OIDs (hex) of every regular file and directory.
oids() {
	find "$@" -path '*/.smoothfs' -prune -o \( -type f -o -type d \) -print0 |
		xargs -0 getfattr --absolute-names -e hex -n trusted.smoothfs.oid 2>/dev/null |
		sed -n 's/^trusted.smoothfs.oid=0x//p' | sort -u
}
keep_oids=$(oids /k0 /k1)
decoy_oids=$(oids /f0 /f1)
nk=$(echo "$keep_oids" | wc -l)
nd=$(echo "$decoy_oids" | wc -l)
[ "$nk" -ge 8 ]
ok $? "the protected pool's files and directories have OIDs ($nk)"
[ "$nd" -ge 7 ]
ok $? "the decoy pool's files and directories have OIDs ($nd)"

# Everything the fuzzer must not change in the protected pool.
snapshot() {
	local t o
	for t in /k0 /k1; do
		(cd "$t" && find . -printf '%p %y %s %m %u:%g %i %l\n' | sort)
		(cd "$t" && find . -type f -exec md5sum {} + | sort)
		(cd "$t" && find . -path ./.smoothfs -prune -o -print0 | sort -z |
			xargs -0 getfattr -h -e hex -d -m '^trusted\.smoothfs\.' 2>/dev/null)
	done
	(cd "$km" && find . -printf '%p %y %s %m %i\n' | sort && find . -type f -exec md5sum {} + | sort)
	for o in $keep_oids; do
		echo "$o: $($nltool inspect "$keep" "$o" 2>&1 | tr '\n' ' ')"
	done
	$nltool list | grep "^$keep "
}
echo "# $(date +%T) snapshot"
before=$(snapshot)
echo "$before" | grep -q 'pin=pin_hot' && echo "$before" | grep -q 'pin=pin_cold' &&
	echo "$before" | grep -q 'state=placed'
ok $? "the snapshot sees pins and movement states"

fuzz_args=()
for o in $keep_oids; do fuzz_args+=(-O "$o"); done
for o in $decoy_oids; do fuzz_args+=(-o "$o"); done

start=$(date +%s)
out=$($fuzz -s "$seed" -n "$messages" -P "$keep" -u "$decoy" "${fuzz_args[@]}" 2>&1)
status=$?
printf '%s\n' "$out" | head -n 40 | sed 's/^/# /'
ok $status "root: $messages messages (seed $seed), no finding ($(($(date +%s) - start))s)"
printf '%s\n' "$out" | grep -qE '^cmd +3: .*ok=' && printf '%s\n' "$out" | grep -qE '^cmd +6: .*ok='
ok $? "root: valid MOVE_PLAN and QUIESCE got through to the decoy pool"

# The handlers run in parallel (the family has parallel_ops): three root
# fuzzers at once, beside a mover moving the decoy pool's f2..f5 back and
# forth (its moves may well be refused: the fuzzers quiesce the pool and
# take its tiers down).
echo "# $(date +%T) parallel"
start=$(date +%s)
rm -f /tmp/nlfuzz.stop
(
	i=0
	while [ ! -e /tmp/nlfuzz.stop ]; do
		$mtool move "$fm/f$((i % 4 + 2))" $((i / 4 % 2)) $((800000 + i)) >/dev/null 2>&1
		i=$((i + 1))
	done
	echo "$i" >/tmp/nlfuzz.moves
) &
mover=$!
# Each of the three runs fuzzers one after the other, a new seed each
# time, for 10 s (nlfuzz.parallel_secs=N), so the mover overlaps them.
par_secs=10
for arg in $(cat /proc/cmdline); do
	case $arg in nlfuzz.parallel_secs=*) par_secs=${arg#*=} ;; esac
done
pids=()
for k in 1 2 3; do
	(
		s=$((seed + 10 + k)) fails=0
		: >"/tmp/nlfuzz.par$k"
		while [ $(($(date +%s) - start)) -lt "$par_secs" ]; do
			$fuzz -s "$s" -n "$((messages / 5))" -P "$keep" -u "$decoy" \
				"${fuzz_args[@]}" >>"/tmp/nlfuzz.par$k" 2>&1 || fails=$((fails + 1))
			s=$((s + 3))
		done
		exit "$fails"
	) &
	pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
touch /tmp/nlfuzz.stop
wait "$mover"
sent=$(cat /tmp/nlfuzz.par? | awk '/^sent/ { n += $2 + 0; r++ } END { print n + 0, r + 0 }')
echo "# messages sent, fuzzer runs: $sent"
[ "$bad" = 0 ] || grep -h -i finding /tmp/nlfuzz.par? | head -n 20 | sed 's/^/# /'
is "$bad" 0 "root: three fuzzers at once for ${par_secs}s beside a mover ($(cat /tmp/nlfuzz.moves) moves tried), no finding"

start=$(date +%s)
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	$fuzz -U -s "$((seed + 1))" -n "$messages" -u "$keep" -u "$decoy" \
	$(for o in $keep_oids $decoy_oids; do echo -o "$o"; done) 2>&1)
status=$?
printf '%s\n' "$out" | head -n 40 | sed 's/^/# /'
ok $status "nobody: $messages messages, every privileged one refused ($(($(date +%s) - start))s)"
n=$(printf '%s' "$out" | sed -n 's/^EPERM for \([0-9]*\) .*/\1/p')
[ "${n:-0}" -gt $((messages / 5)) ]
ok $? "nobody: EPERM for $n whole requests"

echo "# $(date +%T) snapshot"
is_unchanged "$before" "$(snapshot)" \
	"the protected pool is unchanged on its tiers, through the mount and in the module"
is "$(head -c 1M <&3 | md5sum)" "$(md5sum </k0/dir/b.bin)" "the file held open still reads"
exec 3<&-

echo "# $(date +%T) restore"
# The decoy pool: put it back, then every file is there once, unchanged.
out=$($fuzz -r -u "$decoy" $(for o in $decoy_oids; do echo -o "$o"; done) -t 2 2>&1)
ok $? "the decoy pool is restored"
printf '%s\n' "$out" | sed 's/^/# /'
bad=0
for i in 1 2 3 4 5; do
	n=$(ls /f0/f$i /f1/f$i 2>/dev/null | wc -l)
	[ "$n" = 1 ] && [ "$(stat -c %s "$fm/f$i")" = $((i * 3000)) ] || bad=$((bad + 1))
done
is "$bad" 0 "decoy: every file once, with its size"
is "$(ls -A /f0/.smoothfs/stage /f1/.smoothfs/stage | grep -vc ':$\|^$')" 0 "decoy: no staged copy left"
states=$(for o in $decoy_oids; do $nltool inspect "$decoy" "$o" | grep '^state='; done | sort | uniq -c)
is "$(echo $states)" "$nd state=placed" "decoy: every object placed"
run_ok "decoy: writes work again" -- sh -c "echo new >$fm/new && grep -q new /f0/new"

echo "# $(date +%T) moves"
# Both pools still move files (neither is left quiesced or offline).
run_ok "keep: a move to tier 1 works" -- $mtool move "$km/dir/b.bin" 1 900001
[ -f /k1/dir/b.bin ] && [ ! -e /k0/dir/b.bin ]
ok $? "keep: the file is on tier 1 only"
run_ok "fuzz: a move to tier 1 works" -- $mtool move "$fm/f1" 1 900002
is "$(stat -c %s /f1/f1)" 3000 "fuzz: the moved file is on tier 1"

echo "# $(date +%T) done"
umount "$km" "$fm"
umount /k0 /k1 /f0 /f1
unload_smoothfs
