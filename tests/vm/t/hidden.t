#!/bin/bash
# The pool's metadata directory .smoothfs/ (journal, stage) at the top of
# every tier is out of reach through the mount: it cannot be looked up
# (stat, open, chdir, getxattr, also through "dir/.." and "."), listed
# (getdents of the root), created (mkdir, creat, symlink, mknod, link)
# or renamed into or out of (rename, RENAME_NOREPLACE, RENAME_EXCHANGE),
# by root or by a user.  A ".smoothfs" further down the tree is not
# metadata: it is an ordinary name, but it cannot be moved to the top
# either.  After each attempt the tiers' metadata is checked unchanged.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 48

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a77
mnt=/mnt/pool
r2=$SMOOTHFS_BUILD/vm-progs/renameat2
asuser() { setpriv --reuid=1000 --regid=1000 --clear-groups "$@"; }
mkdir -p /t0 /t1 "$mnt"
mount -t tmpfs tmpfs /t0
mount -t tmpfs tmpfs /t1
load_smoothfs
echo slow >/t1/slowfile
mkdir -p /t1/sub/.smoothfs && echo deep >/t1/sub/.smoothfs/inner
mount -t smoothfs -o "pool=hid,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
chmod 1777 "$mnt"
mkdir -m 1777 "$mnt/dir"
echo data >"$mnt/file"

# Everything under the tiers' .smoothfs and the tiers' top level: names,
# types, sizes, modes and contents.
meta() {
	local t
	for t in /t0 /t1; do
		(cd "$t" && find .smoothfs -printf '%p %y %s %m %n\n' | sort)
		(cd "$t" && find .smoothfs -type f -exec md5sum {} + | sort)
		ls -A "$t" | tr '\n' ' '
		echo
	done
}
before=$(meta)
echo "$before" | grep -q '^.smoothfs/journal f' && echo "$before" | grep -q '^.smoothfs/stage d'
ok $? "both tiers have .smoothfs with the journal and stage"
unchanged() { is_unchanged "$before" "$(meta)" "$1: the tiers' metadata is unchanged"; }

# --- reach ---
noent="No such file or directory"
run_fails "$noent" "stat .smoothfs: ENOENT" -- stat "$mnt/.smoothfs"
run_fails "$noent" "stat .smoothfs/journal: ENOENT" -- stat "$mnt/.smoothfs/journal"
run_fails "$noent" "open .smoothfs/journal: ENOENT" -- cat "$mnt/.smoothfs/journal"
run_fails "$noent" "stat .smoothfs/stage: ENOENT" -- stat "$mnt/.smoothfs/stage"
run_fails "$noent" "chdir .smoothfs: ENOENT" -- bash -c "cd '$mnt/.smoothfs'"
run_fails "$noent" "through dir/..: ENOENT" -- stat "$mnt/dir/../.smoothfs/journal"
run_fails "$noent" "through ./: ENOENT" -- stat "$mnt/./.smoothfs"
run_fails "$noent" "getxattr of .smoothfs: ENOENT" -- getfattr -n trusted.smoothfs.oid "$mnt/.smoothfs"
run_fails "$noent" "a user: stat .smoothfs: ENOENT" -- asuser stat "$mnt/.smoothfs"
run_fails "$noent" "openat(root fd, \".smoothfs/journal\"): ENOENT" -- python3 -c "
import os
d = os.open('$mnt', os.O_RDONLY | os.O_DIRECTORY)
os.open('.smoothfs/journal', os.O_RDONLY, dir_fd=d)"
run_fails "$noent" "rmdir .smoothfs: ENOENT" -- rmdir "$mnt/.smoothfs"
run_fails "$noent" "unlink .smoothfs/journal: ENOENT" -- rm "$mnt/.smoothfs/journal"
run_ok "rm -rf .smoothfs does nothing" -- rm -rf "$mnt/.smoothfs"

# --- list ---
is "$(ls -A "$mnt" | tr '\n' ' ')" "dir file slowfile sub " "ls -A of the root: no .smoothfs"
is "$(python3 -c "import os; print(sorted(os.listdir('$mnt')))")" \
	"['dir', 'file', 'slowfile', 'sub']" "getdents of the root: no .smoothfs"
is "$(find "$mnt" -maxdepth 1 -name .smoothfs | wc -l)" 0 "find does not see it"
unchanged "reach and list"

# --- create ---
eperm="Operation not permitted"
run_fails "$eperm" "mkdir .smoothfs: EPERM" -- mkdir "$mnt/.smoothfs"
run_fails "$eperm" "creat .smoothfs: EPERM" -- touch "$mnt/.smoothfs"
run_fails "$eperm" "a user: creat .smoothfs: EPERM" -- asuser touch "$mnt/.smoothfs"
run_fails "$eperm" "symlink .smoothfs: EPERM" -- ln -s file "$mnt/.smoothfs"
run_fails "$eperm" "mknod (fifo) .smoothfs: EPERM" -- mkfifo "$mnt/.smoothfs"
run_fails "$eperm" "mknod (char device) .smoothfs: EPERM" -- mknod "$mnt/.smoothfs" c 1 3
run_fails "$eperm" "link file .smoothfs: EPERM" -- ln "$mnt/file" "$mnt/.smoothfs"
run_fails "$eperm" "link of a file on tier 1 to .smoothfs: EPERM" -- ln "$mnt/slowfile" "$mnt/.smoothfs"
run_fails "$noent" "mkdir inside .smoothfs: ENOENT" -- mkdir "$mnt/.smoothfs/stage/x"
run_fails "$noent" "creat inside .smoothfs: ENOENT" -- touch "$mnt/.smoothfs/new"
run_fails "$noent" "O_CREAT through dir/..: ENOENT or EPERM, never a file" -- \
	bash -c "echo x >'$mnt/dir/../.smoothfs/journal'"
unchanged "create"

# --- rename into and out of ---
run_fails "$eperm" "rename a file to .smoothfs: EPERM" -- mv -T "$mnt/file" "$mnt/.smoothfs"
run_fails "$eperm" "rename a directory to .smoothfs: EPERM" -- mv -T "$mnt/dir" "$mnt/.smoothfs"
run_fails "$eperm" "RENAME_NOREPLACE to .smoothfs: EPERM" -- $r2 noreplace "$mnt/file" "$mnt/.smoothfs"
run_fails "$noent" "RENAME_EXCHANGE with .smoothfs: ENOENT" -- $r2 exchange "$mnt/dir" "$mnt/.smoothfs"
run_fails "$eperm" "a user: rename to .smoothfs: EPERM" -- asuser mv -T "$mnt/dir" "$mnt/.smoothfs"
run_fails "$noent" "rename .smoothfs away: ENOENT" -- $r2 none "$mnt/.smoothfs" "$mnt/dir/stolen"
run_fails "$noent" "rename .smoothfs/journal away: ENOENT" -- $r2 none "$mnt/.smoothfs/journal" "$mnt/j"
run_fails "$noent" "rename into .smoothfs/stage: ENOENT" -- $r2 none "$mnt/file" "$mnt/.smoothfs/stage/f"
[ -f /t0/file ] && [ -d /t0/dir ] && [ ! -e /t0/dir/stolen ] && [ ! -e /t0/j ] &&
	[ "$(cat "$mnt/file")" = data ]
ok $? "the sources are where they were"
unchanged "rename"

# --- further down, .smoothfs is an ordinary name ---
is "$(ls -A "$mnt/sub")" ".smoothfs" "sub/.smoothfs (not metadata) is listed"
is "$(cat "$mnt/sub/.smoothfs/inner")" deep "and reachable"
run_fails "$eperm" "but it cannot be renamed to the top: EPERM" -- \
	$r2 none "$mnt/sub/.smoothfs" "$mnt/.smoothfs"
run_ok "a user creates dir/.smoothfs" -- asuser mkdir "$mnt/dir/.smoothfs"
[ -d /t0/dir/.smoothfs ] && [ "$(stat -c %u /t0/dir/.smoothfs)" = 1000 ]
ok $? "it is an ordinary directory on tier 0"
run_ok "and is removed again" -- rmdir "$mnt/dir/.smoothfs"
unchanged "subdirectories"

umount "$mnt"
mount -t smoothfs -o "pool=hid,uuid=$uuid,tiers=/t0:/t1" none "$mnt"
run_fails "$noent" "after a remount, .smoothfs is still out of reach" -- stat "$mnt/.smoothfs"
umount "$mnt"
umount /t0 /t1
unload_smoothfs
