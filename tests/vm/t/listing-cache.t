#!/bin/bash
# The listing cache (src/kmod/listing.c): a directory's merged listing is
# kept between opens and served again (listing_hits) until a name in it
# changes.  Every kind of name change through the pool is in the next
# listing; moves between tiers keep the listing, and listings read beside
# a stream of moves never miss a file; d_ino == st_ino in served
# listings; listing_cache_entries bounds the entries kept, evicts least
# recently used listings first and refuses bad values; dropped inodes
# take their listings along; unmount with listings kept leaves nothing
# (the super block warns otherwise, which fails the run).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 62

export LC_ALL=C
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a81
mnt=/mnt/lc
sys=/sys/fs/smoothfs/$uuid
mt=$SMOOTHFS_BUILD/vm-progs/move-tool
r2=$SMOOTHFS_BUILD/vm-progs/renameat2
mkdir -p /t0 /t1 /t2 "$mnt"
for t in 0 1 2; do mount -t tmpfs -o size=128m tmpfs /t$t; done

# Entries on every tier, a name on two tiers, a directory on two.
mkdir -p /t0/d /t1/d /t2/d /t1/d/sub /t2/d/sub /t0/e
echo a >/t0/d/a
echo b >/t1/d/b
echo c >/t2/d/c
echo fast >/t0/d/dup
echo slow >/t2/d/dup
echo q >/t0/e/q

load_smoothfs
mount -t smoothfs -o "pool=lc,uuid=$uuid,tiers=/t0:/t1:/t2" none "$mnt"

hits() { cat "$sys/listing_hits"; }
builds() { cat "$sys/listing_builds"; }
# The listing through the pool (a new open each time), one line.
names() { ls -A "$mnt/$1" | tr '\n' ' '; }
# What the tiers hold under $1: the union of the copies' names.
truth() {
	local t
	for t in /t0 /t1 /t2; do
		[ -d "$t/$1" ] && ls -A "$t/$1"
	done | grep -vx .smoothfs | sort -u | tr '\n' ' '
}
# Entries of $1 whose d_ino differs from st_ino.
ino_mismatches() {
	python3 -c 'import os, sys
bad = [e.name for e in os.scandir(sys.argv[1]) if e.inode() != os.lstat(e.path).st_ino]
print(len(bad), *bad)' "$mnt/$1"
}
# counters: "BUILDS HITS" since the mark.
mark() { b0=$(builds); h0=$(hits); }
since() { echo "$(($(builds) - b0)) $(($(hits) - h0))"; }

is "$(cat "$sys/listing_cache_entries")" 131072 "listing_cache_entries is 131072 by default"

# --- kept and served again ------------------------------------------------
mark
is "$(names d)" "$(truth d)" "the first listing is the union of the tiers"
is "$(since)" "1 0" "it was read from the tiers"
is "$(names d)" "$(truth d)" "the second listing is the same"
is "$(since)" "1 1" "and was served from the cache"
is "$(ino_mismatches d)" 0 "d_ino equals st_ino in a served listing"
is "$(names d | grep -o dup | wc -l)" 1 "a name on two tiers is listed once"
# An open directory: a name created after its first read is in the next
# read after rewinddir (lseek to 0), not before.
perl -e 'opendir(my $d, $ARGV[0]) or die; my @a = readdir($d);
	open(my $f, ">", "$ARGV[0]/rw") or die; close($f); my @b = readdir($d);
	rewinddir($d); my @c = readdir($d); print scalar(@a), " ", scalar(@b), " ", scalar(@c), "\n"' \
	"$mnt/d" >/tmp/lc-rewind.out
n=$(ls -a "$mnt/d" | wc -l)
is "$(cat /tmp/lc-rewind.out)" "$((n - 1)) 0 $n" "rewinddir shows a name created meanwhile"
rm "$mnt/d/rw"

# --- every change through the pool is in the next listing -----------------
check_change() {
	local desc=$1
	shift
	names d >/dev/null
	names e >/dev/null
	"$@" || echo "# $* failed"
	is "$(names d) | $(names e)" "$(truth d) | $(truth e)" "$desc: both listings show it"
}
check_change "create" touch "$mnt/d/new"
check_change "mkdir" mkdir "$mnt/d/newdir"
check_change "mknod" mkfifo "$mnt/d/fifo"
check_change "symlink" ln -s a "$mnt/d/sym"
check_change "hard link" ln "$mnt/d/a" "$mnt/d/hard"
check_change "unlink" rm "$mnt/d/hard"
check_change "unlink of a name on two tiers" rm "$mnt/d/dup"
is "$(cat "$mnt/d/dup" 2>&1)" slow "the slower tier's object under that name shows now"
check_change "rmdir" rmdir "$mnt/d/newdir"
check_change "rmdir of a directory with copies on two tiers" rmdir "$mnt/d/sub"
check_change "rename within" mv "$mnt/d/new" "$mnt/d/renamed"
check_change "rename out" mv "$mnt/d/renamed" "$mnt/e/"
check_change "rename in" mv "$mnt/e/q" "$mnt/d/"
check_change "rename over an existing name" mv "$mnt/d/fifo" "$mnt/d/b"
check_change "RENAME_NOREPLACE" "$r2" noreplace "$mnt/d/sym" "$mnt/e/sym2"
mkdir "$mnt/e/xdir"
# d_type of NAME in DIR as the listing gives it: d(irectory) or o(ther).
d_type() {
	python3 -c 'import os, sys
print(*["d" if e.is_dir(follow_symlinks=False) else "o" for e in os.scandir(sys.argv[1]) if e.name == sys.argv[2]])' "$mnt/$1" "$2"
}
is "$(d_type d a) $(d_type e xdir)" "o d" "before an exchange: a is a file, xdir a directory"
"$r2" exchange "$mnt/d/a" "$mnt/e/xdir"
is "$(d_type d a) $(d_type e xdir) $(stat -c %F "$mnt/d/a")" "d o directory" \
	"after RENAME_EXCHANGE of the two both listings' d_type follow"
mark
names d >/dev/null
touch "$mnt/d/b" "$mnt/d/c"
echo more >>"$mnt/d/c"
chmod 600 "$mnt/d/c"
names d >/dev/null
is "$(since)" "0 2" "writes, touch and chmod keep the listing"
is "$(cat "$sys/listing_cache_used")" "$(($(names d | wc -w) + $(names e | wc -w) + $(names m 2>/dev/null | wc -w)))" \
	"listing_cache_used is the entries of the kept listings (d and e)"
is "$(ino_mismatches d) $(ino_mismatches e)" "0 0" "d_ino equals st_ino after the changes"

# --- moves keep the listing and its d_ino ----------------------------------
seq=1
ino_c=$(stat -c %i "$mnt/d/c")
names d >/dev/null
mark
run_ok "move c from tier 2 to tier 0" -- "$mt" move "$mnt/d/c" 0 $((seq++))
[ -f /t0/d/c ] && [ ! -e /t2/d/c ]
ok $? "c is on tier 0 only"
is "$(names d)" "$(truth d)" "the listing after the move"
is "$(since)" "0 1" "was served from the cache"
is "$(ino_mismatches d) $(stat -c %i "$mnt/d/c")" "0 $ino_c" "d_ino and st_ino of c unchanged"

# Listings read beside a stream of moves never miss a file: a move puts
# the file on its new tier before it leaves the old one, and a listing
# that read the tiers across a cutover is not kept.  A file created and
# removed again and again (tmp*) makes most listings read the tiers.
mkdir "$mnt/m"
for i in $(seq 1 300); do echo "$i" >"$mnt/m/f$i"; done
for i in $(seq 1 300 | shuf | head -100); do "$mt" move "$mnt/m/f$i" $((i % 3)) $((seq++)) >/dev/null; done
mark
(
	end=$((SECONDS + 20))
	s=100000
	while [ $SECONDS -lt $end ]; do
		i=$((RANDOM % 300 + 1))
		"$mt" move "$mnt/m/f$i" $((RANDOM % 3)) $((s++)) async >/dev/null 2>&1
	done
) &
mover=$!
(
	end=$((SECONDS + 20))
	while [ $SECONDS -lt $end ]; do
		touch "$mnt/m/tmp$RANDOM" && rm -f "$mnt/m"/tmp*
	done
) &
churn=$!
python3 -c 'import os, sys, time
want = {"f%d" % i for i in range(1, 301)}
bad = runs = 0
end = time.time() + 20
while time.time() < end:
    got = {n for n in os.listdir(sys.argv[1]) if not n.startswith("tmp")}
    runs += 1
    if got != want:
        bad += 1
        print("# listing %d: missing %s extra %s" % (runs, sorted(want - got)[:5], sorted(got - want)[:5]))
print(bad, runs >= 20)' "$mnt/m" >/tmp/lc-race.out
wait $mover $churn
grep '^#' /tmp/lc-race.out | head -5
is "$(tail -n 1 /tmp/lc-race.out)" "0 True" "no listing beside 20 s of moves missed or added a name"
set -- $(since)
nb=$1 nh=$2
[ "$nb" -ge 1 ] && [ "$nh" -ge 1 ]
ok $? "listings were both read and served meanwhile ($nb read, $nh served)"
is "$(names m | wc -w)" 300 "the listing after the moves has every file"
is "$(ino_mismatches m)" 0 "d_ino equals st_ino after the moves"

# --- the bound ---------------------------------------------------------------
mkdir "$mnt/s1" "$mnt/s2" "$mnt/big"
touch "$mnt/s1/"{1,2,3,4,5,6} "$mnt/s2/"{1,2,3,4,5,6} "$mnt/big/"{1,2,3,4,5,6,7,8,9,10,11}
mkdir "$mnt/empty"
run_ok "listing_cache_entries takes 0" -- sh -c "echo 0 >'$sys/listing_cache_entries'"
is "$(cat "$sys/listing_cache_used")" 0 "which drops every kept listing"
mark
names s1 >/dev/null
names s1 >/dev/null
names empty >/dev/null
names empty >/dev/null
is "$(since) $(cat "$sys/listing_cache_used")" "4 0 0" "with 0 nothing is kept, not even an empty listing"
run_ok "listing_cache_entries takes 10" -- sh -c "echo 10 >'$sys/listing_cache_entries'"
mark
names big >/dev/null
names big >/dev/null
is "$(since)" "2 0" "a listing larger than the bound is not kept"
names s1 >/dev/null
names s1 >/dev/null
is "$(since) $(cat "$sys/listing_cache_used")" "3 1 6" "one within it is"
names s2 >/dev/null
names s2 >/dev/null
is "$(since)" "4 2" "the next one is kept too ..."
names s1 >/dev/null
is "$(since)" "5 2" "... and evicted the least recently used (s1: read again)"
names s1 >/dev/null
is "$(since) $(cat "$sys/listing_cache_used")" "5 3 6" "which is kept in its place"
run_ok "listing_cache_entries takes 16777216" -- sh -c "echo 16777216 >'$sys/listing_cache_entries'"
for bad in abc -1 16777217 99999999999999999999 "" "1 2" 0x10; do
	run_fails "Invalid argument" "listing_cache_entries refuses '$bad' with EINVAL" -- \
		bash -c "printf '%s\n' '$bad' >'$sys/listing_cache_entries'"
done
is "$(cat "$sys/listing_cache_entries")" 16777216 "and keeps its value"
run_fails "Permission denied" "only root writes listing_cache_entries" -- \
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo 5 >'$sys/listing_cache_entries'"

# --- reclaim and unmount ------------------------------------------------------
names s2 >/dev/null
names empty >/dev/null
is "$(cat "$sys/listing_cache_used")" 13 "s1, s2 and the empty directory are kept (6 + 6 + 1)"
echo 2 >/proc/sys/vm/drop_caches
is "$(cat "$sys/listing_cache_used")" 0 "evicted directory inodes take their listings along"
mark
names s2 >/dev/null
is "$(since)" "1 0" "and the next listing is read from the tiers"
names d >/dev/null
names e >/dev/null
umount "$mnt"
ok $? "unmount with listings kept"
mount -t smoothfs -o "pool=lc,uuid=$uuid,tiers=/t0:/t1:/t2" none "$mnt"
is "$(names d) | $(names m | wc -w)" "$(truth d) | 300" "after a remount the listings are read again, the same"
umount "$mnt"
unload_smoothfs
ok $? "the module unloads"
