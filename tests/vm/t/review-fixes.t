#!/bin/bash
# Fixes from a review of the kernel module (the namespace ones are in
# review-fixes-ns.t):
#  1. create and its OID xattr under one write access to the lower mount:
#     creates racing fsfreeze/thaw of an ext4 tier (disk0) never hang;
#  2. pwritev2(RWF_APPEND) appends (and RWF_NOAPPEND on 6.12 does not);
#  4. the tier's append-only and immutable flags hold through the mount,
#     even when set on the tier after the inode was cached.
# Uses the harness's default virtio disk disk0.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 19

tool=$SMOOTHFS_BUILD/vm-progs/nl-tool
uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a70
uuid2=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a71
mnt=/mnt/pool
sys=/sys/fs/smoothfs/$uuid
mkdir -p /f0 /f1 "$mnt"
modprobe ext4
load_smoothfs

oid_of() {
	getfattr --absolute-names -e hex -n trusted.smoothfs.oid "$1" 2>/dev/null |
		sed -n 's/^trusted.smoothfs.oid=0x//p'
}

# errno name of a mount(2) with these options on /mnt/other, or "ok".
sys_mount() {
	python3 - "$1" <<-'EOF'
	import ctypes, errno, sys
	libc = ctypes.CDLL(None, use_errno=True)
	r = libc.mount(b"none", b"/mnt/other", b"smoothfs", 0, sys.argv[1].encode())
	print("ok" if r == 0 else errno.errorcode[ctypes.get_errno()])
	EOF
}

# --- 1. create against fsfreeze of the tier --------------------------------
mkfs.ext4 -q -F "$(vm_disk disk0)" && mount "$(vm_disk disk0)" /f0 && rmdir /f0/lost+found
mount -t tmpfs tmpfs /f1
mount -t smoothfs -o "pool=freeze,uuid=$uuid,tiers=/f0:/f1" none "$mnt"
echo a >"$mnt/a"
[ "$(cat /f0/a)" = a ] && [ "$(oid_of /f0/a | wc -c)" -eq 33 ]
ok $? "a create lands on the ext4 tier with its OID"

fsfreeze -f /f0
(echo b >"$mnt/b") &
cpid=$!
sleep 2
[ ! -e /f0/b ] && kill -0 "$cpid" 2>/dev/null
ok $? "a create waits while the tier is frozen"
fsfreeze -u /f0
wait "$cpid"
[ "$(cat /f0/b)" = b ] && [ "$(oid_of /f0/b | wc -c)" -eq 33 ]
ok $? "after the thaw the create completes, with its OID"

# Creates in a loop while the tier is frozen and thawed again and again.
# With the OID written under a second write access, a freeze that starts
# between the two waits for the create, which waits for the freeze.
mkdir "$mnt/race"
(for i in $(seq 200); do echo "$i" >"$mnt/race/f$i" || exit 1; done) &
cpid=$!
hung=0
for _ in $(seq 15); do
	fsfreeze -f /f0 &
	fpid=$!
	for _ in $(seq 300); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$fpid" 2>/dev/null; then
		hung=1
		break
	fi
	sleep 0.05
	fsfreeze -u /f0
	kill -0 "$cpid" 2>/dev/null || break
done
is "$hung" 0 "fsfreeze of the tier never hangs behind a create"
if [ "$hung" = 1 ]; then
	echo "Bail out! the tier is deadlocked in freeze"
	exit 1
fi
for _ in $(seq 600); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
wait "$cpid"
ok $? "200 creates raced with freezes and thaws, and all completed"
n=0
for f in /f0/race/f*; do [ "$(oid_of "$f" | wc -c)" -eq 33 ] && n=$((n + 1)); done
is "$n" 200 "every raced file is on the tier with an OID"

# --- 2. RWF_APPEND -----------------------------------------------------------
printf head >"$mnt/app"
python3 - "$mnt/app" <<-'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.pwritev(fd, [b"tail"], 0, os.RWF_APPEND)
os.close(fd)
EOF
is "$(cat /f0/app)" headtail "pwritev2(RWF_APPEND) at offset 0 appends on the tier"
if uname -r | grep -q '^6\.12'; then
	python3 - "$mnt/app" <<-'EOF'
	import os, sys
	fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
	os.pwritev(fd, [b"HE"], 0, 0x20)  # RWF_NOAPPEND
	os.close(fd)
	EOF
	is "$(cat /f0/app)" HEadtail "pwritev2(RWF_NOAPPEND) on an O_APPEND file writes at the offset"
else
	ok 0 "# SKIP RWF_NOAPPEND needs 6.9 or later"
fi

# --- 4. append-only and immutable set on the tier ---------------------------
echo data >"$mnt/log"
cat "$mnt/log" >/dev/null	# the inode is cached now
chattr +a /f0/log
run_fails "Operation not permitted" "truncating open of an append-only tier file: EPERM" -- \
	sh -c "printf x >'$mnt/log'"
run_fails "Operation not permitted" "write open without O_APPEND: EPERM" -- \
	python3 -c "import os; os.open('$mnt/log', os.O_WRONLY)"
run_fails "Operation not permitted" "truncate(2): EPERM" -- truncate -s 0 "$mnt/log"
echo more >>"$mnt/log"
is "$(cat /f0/log | tr '\n' ' ')" "data more " "appending works, and nothing else changed the file"
lsattr "$mnt/log" 2>/dev/null | cut -d' ' -f1 | grep -q a
ok $? "lsattr through the mount shows append-only"
chattr -a /f0/log && chattr +i /f0/log
run_fails "Operation not permitted" "immutable: an append is refused" -- sh -c "echo x >>'$mnt/log'"
run_fails "Operation not permitted" "immutable: unlink is refused" -- rm -f "$mnt/log"
is "$(cat /f0/log | tr '\n' ' ')" "data more " "the immutable file is unchanged"
# A flag cleared on the tier shows after the next stat (getattr copies
# the flags); the VFS checks our inode's before ->open is reached.
chattr -i /f0/log
stat "$mnt/log" >/dev/null
echo x >>"$mnt/log"
is "$(tail -n 1 /f0/log)" x "without the flag it is writable again"
echo h >"$mnt/h1" && ln "$mnt/h1" "$mnt/h2" && ln /f0/h1 /f0/h3
is "$(stat -c %h "$mnt/h1") $(stat -c %h "$mnt/h2")" "3 3" "the link count follows the tier"

umount "$mnt"
umount /f0 /f1

run_ok "the module unloads" -- rmmod smoothfs
