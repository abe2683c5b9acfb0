#!/bin/bash
# What an unprivileged user cannot do to a pool, and that trying changes
# nothing: every mutating netlink command and INSPECT (EPERM, through
# libsmoothfs), subscribing to the events group, mounting smoothfs (as a
# user, and as root of a user namespace, with mount(2) and with
# fsopen/fsconfig), setting or removing trusted.smoothfs.* (also as root
# of a user namespace), and reading or changing another user's files
# through the pool, on either tier, before and after a move.  After
# every group of attempts the tiers are compared with a snapshot, and
# the pool is checked still usable by root (not quiesced, no tier down).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 61

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c77
mnt=/mnt/pool
mtool=$SMOOTHFS_BUILD/vm-progs/move-tool
nltool=$SMOOTHFS_BUILD/vm-progs/nl-tool
alice() { setpriv --reuid=1000 --regid=1000 --clear-groups "$@"; }
bob() { setpriv --reuid=1001 --regid=1001 --clear-groups "$@"; }
eperm="Operation not permitted"
eacces="Permission denied"

mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs tmpfs /t0
mount -t tmpfs tmpfs /t1
# alice's files: a secret on the slow tier from before the pool.
mkdir -p /t1/home && chown 1000:1000 /t1/home && chmod 700 /t1/home
echo "slow secret" >/t1/home/old.txt && chown 1000:1000 /t1/home/old.txt && chmod 600 /t1/home/old.txt
load_smoothfs
mount -t smoothfs -o "pool=priv,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
chmod 1777 "$mnt"
alice sh -c "umask 077; echo 'fast secret' >$mnt/secret.txt; echo open >$mnt/public.txt; chmod 644 $mnt/public.txt"
echo pinned >"$mnt/pinned.txt" && setfattr -n trusted.smoothfs.pin -v pin_hot "$mnt/pinned.txt"
oid() { getfattr --absolute-names -e hex -n trusted.smoothfs.oid "$1" | sed -n 's/^trusted.smoothfs.oid=0x//p'; }
cat "$mnt/home/old.txt" >/dev/null
soid=$(oid /t0/secret.txt)
poid=$(oid /t0/pinned.txt)
[ ${#soid} = 32 ] && [ ${#poid} = 32 ]
ok $? "the files have OIDs"

snapshot() {
	local t
	for t in /t0 /t1; do
		(cd "$t" && find . -printf '%p %y %s %m %u:%g %i\n' | sort)
		(cd "$t" && find . -type f -exec md5sum {} + | sort)
		(cd "$t" && find . -path ./.smoothfs -prune -o -print0 | sort -z |
			xargs -0 getfattr -h -e hex -d -m - 2>/dev/null)
	done
	for o in $soid $poid; do $nltool inspect "$uuid" "$o" | tr '\n' ' '; echo; done
	$nltool list
	grep smoothfs /proc/mounts
}
before=$(snapshot)
unchanged() { is_unchanged "$before" "$(snapshot)" "$1: nothing changed"; }

# --- netlink -----------------------------------------------------------
for c in "plan $uuid $soid 1 77" "plan $uuid $poid 1 77 force" "cutover $uuid $soid 77" \
	"cutover $uuid $soid 77 0" "abort $uuid $soid 77" "revoke $uuid $soid" \
	"quiesce $uuid" "reconcile $uuid" "tier-down $uuid 0" "tier-down $uuid 1" \
	"reprobe $uuid 1"; do
	a=$(alice $mtool $c 2>&1)
	b=$(bob $mtool $c 2>&1)
	case "$a/$b" in *"$eperm"*/*"$eperm"*) r=0 ;; *) r=1 ;; esac
	ok $r "alice and bob: ${c%% *} ${c#* * }: EPERM"
	[ $r = 0 ] || echo "# alice: $a; bob: $b"
done
run_fails "inspect: -1 " "alice: inspect: EPERM" -- alice $nltool inspect "$uuid" "$soid"
run_fails "subscribe: -1 " "alice: the events group: EPERM" -- alice $nltool events 1 1000
run_ok "root subscribes to the events group" -- $nltool events 0 200
is "$(alice $nltool list | cut -d' ' -f1,2)" "$uuid priv" "alice may list pools"
# A user-namespace root has no CAP_NET_ADMIN in the initial namespace.
run_fails "$eperm" "root of a user namespace: quiesce: EPERM" -- alice unshare -Ur $mtool quiesce "$uuid"
run_fails "subscribe: -1 " "root of a user namespace: the events group: EPERM" -- \
	alice unshare -Ur $nltool events 1 1000
unchanged "netlink"
# The pool is neither quiesced nor missing a tier: root plans and aborts.
run_ok "root: a plan is accepted afterwards" -- $mtool plan "$uuid" "$soid" 1 5
run_ok "root: and aborted" -- $mtool abort "$uuid" "$soid" 5
run_ok "root: a new file goes to tier 0" -- sh -c "echo x >$mnt/probe && test -f /t0/probe && rm $mnt/probe"
before=$(snapshot)	# the plan left its sequence number behind

# --- mount -------------------------------------------------------------
mkdir -p /u0 /u1 /umnt && chown 1000:1000 /u0 /u1 /umnt
ubefore=$(ls -lAR /u0 /u1 /umnt)
cat >/tmp/mnt2.py <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
opts = b"pool=u,uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c78,tiers=/u0:/u1"
if sys.argv[1] == "mount":
    r = libc.mount(b"none", b"/umnt", b"smoothfs", 0, opts)
else:  # the new mount API
    fd = libc.syscall(430, b"smoothfs", 0)   # fsopen
    if fd < 0:
        e = ctypes.get_errno()
        sys.exit("fsopen: " + os.strerror(e))
    for k, v in ((b"pool", b"u"), (b"uuid", b"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c78"),
                 (b"tiers", b"/u0:/u1")):
        libc.syscall(431, fd, 1, k, v, 0)    # fsconfig FSCONFIG_SET_STRING
    r = libc.syscall(431, fd, 6, None, None, 0)   # FSCONFIG_CMD_CREATE
if r < 0:
    e = ctypes.get_errno()
    sys.exit(sys.argv[1] + ": " + os.strerror(e))
EOF
chmod 644 /tmp/mnt2.py
run_fails "$eperm" "alice: mount(2) of smoothfs: EPERM" -- alice python3 /tmp/mnt2.py mount
run_fails "superuser" "alice: mount(8) of smoothfs is refused" -- \
	alice mount -t smoothfs -o "pool=u,uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c78,tiers=/u0:/u1" none /umnt
run_fails "$eperm" "root of a user namespace: mount(2): EPERM" -- \
	alice unshare -Urm python3 /tmp/mnt2.py mount
run_fails "$eperm" "root of a user namespace: fsopen/fsconfig: EPERM" -- \
	alice unshare -Urm python3 /tmp/mnt2.py fsopen
run_fails "ermission denied" "root of a user namespace: mount(8): EPERM" -- \
	alice unshare -Urm mount -t smoothfs \
	-o "pool=u,uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c78,tiers=/u0:/u1" none /umnt
is "$(ls -lAR /u0 /u1 /umnt)" "$ubefore" "the would-be tiers are untouched (no .smoothfs)"
is "$($nltool list | wc -l)" 1 "no pool was registered"
unchanged "mount"

# --- trusted.smoothfs.* ------------------------------------------------
run_fails "$eperm" "alice: set trusted.smoothfs.pin on her file: EPERM" -- \
	alice setfattr -n trusted.smoothfs.pin -v pin_cold "$mnt/secret.txt"
run_fails "$eperm" "alice: remove trusted.smoothfs.pin: EPERM" -- \
	alice setfattr -x trusted.smoothfs.pin "$mnt/pinned.txt"
run_fails "$eperm" "alice: set trusted.smoothfs.oid: EPERM" -- \
	alice setfattr -n trusted.smoothfs.oid -v 0x00000000000000000000000000000000 "$mnt/secret.txt"
run_fails "$eperm" "alice: set trusted.smoothfs.tier: EPERM" -- \
	alice setfattr -n trusted.smoothfs.tier -v 0x01 "$mnt/secret.txt"
run_fails "$eperm" "alice: another trusted.smoothfs.* name: EPERM" -- \
	alice setfattr -n trusted.smoothfs.other -v 1 "$mnt/secret.txt"
run_fails "No such attribute" "alice: reading trusted.smoothfs.oid: ENODATA" -- \
	alice getfattr -n trusted.smoothfs.oid "$mnt/secret.txt"
run_fails "$eperm" "root of a user namespace: set trusted.smoothfs.pin: EPERM" -- \
	alice unshare -Ur setfattr -n trusted.smoothfs.pin -v pin_cold "$mnt/secret.txt"
run_fails "$eperm" "root of a user namespace: remove trusted.smoothfs.pin: EPERM" -- \
	alice unshare -Ur setfattr -x trusted.smoothfs.pin "$mnt/pinned.txt"
is "$(getfattr --only-values -n trusted.smoothfs.pin "$mnt/pinned.txt")" pin_hot "the pin is still pin_hot"
unchanged "xattrs"

# --- other users' files ------------------------------------------------
others() {
	local f=$1 where=$2
	run_fails "$eacces" "bob: read alice's 0600 file ($where): EACCES" -- bob cat "$f"
	run_fails "$eacces" "bob: open it for writing ($where): EACCES" -- bob sh -c "echo x >>'$f'"
	run_fails "$eacces" "bob: truncate it ($where): EACCES" -- bob truncate -s 0 "$f"
	run_fails "$eperm" "bob: chmod it ($where): EPERM" -- bob chmod 666 "$f"
	run_fails "$eperm" "bob: chown it ($where): EPERM" -- bob chown 1001 "$f"
}
others "$mnt/secret.txt" "tier 0"
run_fails "$eacces" "bob: list alice's 0700 directory (tier 1): EACCES" -- bob ls "$mnt/home"
run_fails "$eacces" "bob: read a file in it (tier 1): EACCES" -- bob cat "$mnt/home/old.txt"
run_fails "$eperm" "bob: unlink alice's file in the sticky root: EPERM" -- bob rm -f "$mnt/secret.txt"
run_fails "$eperm" "bob: rename it away: EPERM" -- bob mv "$mnt/secret.txt" "$mnt/mine.txt"
run_fails "$eacces" "bob: write her 0644 file: EACCES" -- bob sh -c "echo x >>$mnt/public.txt"
run_ok "bob may read her 0644 file" -- bob cat "$mnt/public.txt"
is "$(alice cat "$mnt/secret.txt")" "fast secret" "alice reads her own file"
unchanged "other users' files"

# After a move to tier 1 the owner and mode travel with the file.
run_ok "root moves alice's secret to tier 1" -- $mtool move "$mnt/secret.txt" 1 9
is "$(stat -c '%u %a' /t1/secret.txt)" "1000 600" "on tier 1 it is alice's, 0600"
others "$mnt/secret.txt" "after the move"
is "$(alice cat "$mnt/secret.txt")" "fast secret" "alice still reads it"

umount "$mnt"
umount /t0 /t1
unload_smoothfs
