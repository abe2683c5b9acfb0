#!/bin/bash
# Extended attributes and POSIX ACLs through the mount, on tmpfs tiers and
# on an ext4 (tier 0) + xfs (tier 1) pool on the default virtio disks
# disk0/disk1 (the harness default of 4 disks is enough):
# user.*/trusted.*/security.* pass through to the lower object; the
# reserved trusted.smoothfs.{oid,tier,fileid,pin}; ACLs for permission
# checks, setfacl/getfacl, default ACL inheritance, umask, chmod and mask.
# tmpfs on 6.1 has no user.* xattrs: those checks are skipped there.
# Last, btrfs tiers mounted noacl (disk2, disk3): the umask still applies.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

PER_SUITE=61
plan $((2 * PER_SUITE + 4))

asuser() { setpriv --reuid=1000 --regid=1000 --clear-groups "$@"; }
# xattr NAME FILE: the value in hex (0x...), empty when there is none.
xattr() { getfattr --absolute-names -e hex -n "$1" "$2" 2>/dev/null | sed -n "s/^$1=//p"; }
names() { getfattr --absolute-names -d -m - "$1" 2>/dev/null | sed -n 's/=.*//p' | grep -v '^#' | sort | tr '\n' ' '; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/^/0x/'; }
skip() { ok 0 "$1 # SKIP $2"; }

# suite LABEL TIER0 TIER1 MOUNTPOINT UUID USER_XATTRS(0|1)
suite() {
	local l=$1 t0=$2 t1=$3 m=$4 uuid=$5 ux=$6 ino want oid out

	echo slow >"$t1/slow.txt"
	mkdir "$t0/multi" "$t1/multi"
	mkdir "$t1/adopted" && setfacl -m u:1000:rx,d:u:1000:rwx,d:o::- "$t1/adopted"
	mkdir -p "$m"
	mount -t smoothfs -o "pool=xa$l,uuid=$uuid,tiers=$t0:$t1" none "$m" || return 1
	chmod 755 "$m"
	echo data >"$m/f"
	chmod 644 "$m/f"
	touch "$m/own" && chown 1000:1000 "$m/own"

	# --- user.* ---
	if [ "$ux" = 1 ]; then
		run_ok "$l: set user.* through the mount" -- setfattr -n user.color -v blue "$m/f"
		is "$(xattr user.color "$t0/f")" "$(hex blue)" "$l: user.* is on the lower object"
		is "$(getfattr --absolute-names --only-values -n user.color "$m/f" 2>&1)" blue "$l: get user.*"
		case " $(names "$m/f")" in *" user.color "*) r=0 ;; *) r=1 ;; esac
		ok $r "$l: listxattr shows user.*"
		setfattr -n user.lower -v fromtier "$t0/f"
		is "$(getfattr --absolute-names --only-values -n user.lower "$m/f" 2>&1)" fromtier \
			"$l: an xattr set on the lower shows through"
		run_fails "Permission denied" "$l: no user.* on a file the user may not write" -- \
			asuser setfattr -n user.evil -v 1 "$m/f"
		is "$(xattr user.evil "$t0/f")" "" "$l: and nothing reached the lower"
		run_ok "$l: the owner sets user.* on their file" -- asuser setfattr -n user.mine -v 1 "$m/own"
		is "$(xattr user.mine "$t0/own")" "$(hex 1)" "$l: and it is on the lower"
		run_ok "$l: remove user.*" -- setfattr -x user.color "$m/f"
		is "$(xattr user.color "$t0/f")" "" "$l: removed from the lower"
		run_fails "No such attribute" "$l: removing it again: ENODATA" -- setfattr -x user.color "$m/f"
	else
		for d in "set user.*" "on the lower" "get user.*" "listxattr user.*" "lower shows through" \
			"no user.* without write" "nothing reached" "owner sets user.*" "on the lower" \
			"remove user.*" "removed" "ENODATA"; do
			skip "$l: $d" "the tier has no user.* xattrs"
		done
	fi

	# --- trusted.* and security.* ---
	run_ok "$l: set trusted.* as root" -- setfattr -n trusted.app -v t1 "$m/f"
	is "$(xattr trusted.app "$t0/f")" "$(hex t1)" "$l: trusted.* is on the lower"
	run_fails "No such attribute" "$l: a user cannot read trusted.*" -- \
		asuser getfattr -n trusted.app "$m/f"
	case " $(asuser getfattr --absolute-names -d -m - "$m/f" 2>/dev/null)" in
	*trusted.*) r=1 ;; *) r=0 ;; esac
	ok $r "$l: a user's listxattr shows no trusted.* names"
	run_fails "Operation not permitted" "$l: a user cannot set trusted.* on their own file" -- \
		asuser setfattr -n trusted.app -v evil "$m/own"
	run_ok "$l: set security.* as root" -- setfattr -n security.smoothfs_test -v s1 "$m/f"
	is "$(xattr security.smoothfs_test "$t0/f")" "$(hex s1)" "$l: security.* is on the lower"

	# --- reserved ---
	oid=$(xattr trusted.smoothfs.oid "$t0/f")
	is "$(xattr trusted.smoothfs.oid "$m/f")" "$oid" "$l: oid equals the lower's trusted.smoothfs.oid"
	is "${#oid}" 34 "$l: 16 bytes"
	is "$(xattr trusted.smoothfs.tier "$m/f")" 0x00 "$l: tier of a new file is 0"
	is "$(xattr trusted.smoothfs.tier "$m/slow.txt")" 0x01 "$l: tier of a file on the slower tier is 1"
	ino=$(printf '%016x' "$(stat -c %i "$m/f")")
	want=0x
	for i in 14 12 10 8 6 4 2 0; do want=$want${ino:$i:2}; done
	is "$(xattr trusted.smoothfs.fileid "$m/f")" "${want}00000000" "$l: fileid is st_ino (LE) and generation 0"
	is "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$m/f" 2>&1)" none "$l: pin is none by default"
	run_ok "$l: set pin_hot" -- setfattr -n trusted.smoothfs.pin -v pin_hot "$m/f"
	is "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$m/f" 2>&1)" pin_hot "$l: pin reads back"
	is "$(xattr trusted.smoothfs.pin "$t0/f")" "$(hex pin_hot)" "$l: pin is stored on the lower"
	run_fails "Invalid argument" "$l: a bad pin value is EINVAL" -- \
		setfattr -n trusted.smoothfs.pin -v pin_bogus "$m/f"
	run_fails "Invalid argument" "$l: pin_hardlink cannot be set" -- \
		setfattr -n trusted.smoothfs.pin -v pin_hardlink "$m/f"
	run_fails "Operation not permitted" "$l: a user cannot set the pin" -- \
		asuser setfattr -n trusted.smoothfs.pin -v pin_cold "$m/own"
	[ "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$m/f")" = pin_hot ] &&
		[ "$(xattr trusted.smoothfs.pin "$t0/f")" = "$(hex pin_hot)" ] &&
		[ "$(xattr trusted.smoothfs.pin "$t0/own")" = "" ]
	ok $? "$l: refused pins changed nothing, in memory or on the lower"
	out=$(setfattr -n trusted.smoothfs.oid -v 0x00112233445566778899aabbccddeeff "$m/f" 2>&1;
	      setfattr -n trusted.smoothfs.tier -v 0x01 "$m/f" 2>&1;
	      setfattr -n trusted.smoothfs.fileid -v 0x01 "$m/f" 2>&1;
	      setfattr -x trusted.smoothfs.oid "$m/f" 2>&1)
	is "$(printf '%s\n' "$out" | grep -c 'Operation not permitted')" 4 "$l: oid, tier, fileid are read-only (EPERM)"
	[ "$(xattr trusted.smoothfs.oid "$t0/f")" = "$oid" ] && [ "$(xattr trusted.smoothfs.tier "$t0/f")" = "" ]
	ok $? "$l: and the lower's reserved xattrs are unchanged"
	run_fails "Operation not supported" "$l: unknown trusted.smoothfs.* name: EOPNOTSUPP" -- \
		setfattr -n trusted.smoothfs.bogus -v 1 "$m/f"
	is "$(xattr trusted.smoothfs.bogus "$t0/f")" "" "$l: nothing set on the lower"
	is "$(names "$m/f" | tr ' ' '\n' | grep -c '^trusted\.smoothfs\.')" 4 \
		"$l: listxattr shows the four reserved names once each"
	run_ok "$l: pin a file on the slower tier" -- setfattr -n trusted.smoothfs.pin -v pin_cold "$m/slow.txt"
	is "$(xattr trusted.smoothfs.pin "$t1/slow.txt")" "$(hex pin_cold)" "$l: stored on tier 1"
	umount "$m" && echo 3 >/proc/sys/vm/drop_caches &&
		mount -t smoothfs -o "pool=xa$l,uuid=$uuid,tiers=$t0:$t1" none "$m"
	ok $? "$l: remount"
	[ "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$m/f")" = pin_hot ] &&
		[ "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$m/slow.txt")" = pin_cold ]
	ok $? "$l: pins survive umount, drop_caches and mount"
	setfattr -n trusted.smoothfs.pin -v none "$m/f" && setfattr -x trusted.smoothfs.pin "$m/slow.txt"
	[ "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$m/f")" = none ] &&
		[ "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$m/slow.txt")" = none ] &&
		[ -z "$(xattr trusted.smoothfs.pin "$t0/f")" ] && [ -z "$(xattr trusted.smoothfs.pin "$t1/slow.txt")" ]
	ok $? "$l: none and removexattr clear the pin, on the lower too"

	# --- POSIX ACLs ---
	echo secret >"$m/secret" && chmod 600 "$m/secret"
	run_fails "Permission denied" "$l: user 1000 cannot read a 0600 root file" -- asuser cat "$m/secret"
	run_fails "Operation not permitted" "$l: nor set an ACL on it" -- asuser setfacl -m u:1000:r "$m/secret"
	run_ok "$l: setfacl grants user 1000 read" -- setfacl -m u:1000:r "$m/secret"
	getfacl -cpn "$t0/secret" 2>/dev/null | grep -qx 'user:1000:r--'
	ok $? "$l: the ACL is on the lower"
	is "$(asuser cat "$m/secret" 2>&1)" secret "$l: the ACL entry lets user 1000 read"
	is "$(getfacl -cpn "$m/secret" 2>&1)" "$(getfacl -cpn "$t0/secret" 2>&1)" "$l: getfacl through the mount"
	is "$(stat -c %a "$m/secret") $(stat -c %a "$t0/secret")" "640 640" "$l: the mode follows the ACL mask"
	chmod 600 "$m/secret"
	getfacl -cpn "$m/secret" 2>/dev/null | grep -qx 'mask::---' &&
		getfacl -cpn "$t0/secret" 2>/dev/null | grep -qx 'mask::---'
	ok $? "$l: chmod updates the ACL mask"
	run_fails "Permission denied" "$l: the masked entry no longer grants" -- asuser cat "$m/secret"
	setfacl -m u:1000:r,m::r "$m/secret" && setfacl -x u:1000 "$m/secret"
	run_fails "Permission denied" "$l: removing the entry denies again" -- asuser cat "$m/secret"

	mkdir "$m/dacl" "$t0/plain"
	setfacl -d -m u:1000:rwx,g::r-x,o::- "$m/dacl" "$t0/plain"
	(umask 077; echo x >"$m/dacl/new"; echo x >"$t0/plain/new"; mkdir "$m/dacl/sub" "$t0/plain/sub")
	[ "$(stat -c %a "$m/dacl/new")" = "$(stat -c %a "$t0/plain/new")" ] &&
		[ "$(getfacl -cpn "$m/dacl/new")" = "$(getfacl -cpn "$t0/plain/new")" ] &&
		getfacl -cpn "$m/dacl/new" | grep -qx 'user:1000:rwx.*'
	ok $? "$l: a default ACL is inherited as on the plain tier ($(stat -c %a "$t0/plain/new"))"
	[ "$(stat -c %a "$m/dacl/sub")" = "$(stat -c %a "$t0/plain/sub")" ] &&
		[ "$(getfacl -cpn "$m/dacl/sub")" = "$(getfacl -cpn "$t0/plain/sub")" ]
	ok $? "$l: and by a new directory, default ACL included"
	run_ok "$l: setfacl on a directory with a copy on each tier" -- \
		setfacl -m u:1000:rx,d:u:1000:rwx "$m/multi"
	[ -n "$(getfacl -cpn "$t0/multi" | grep default:user:1000:rwx)" ] &&
		[ "$(getfacl -cpn "$t0/multi")" = "$(getfacl -cpn "$t1/multi")" ] &&
		[ "$(stat -c %a "$t0/multi")" = "$(stat -c %a "$t1/multi")" ]
	ok $? "$l: every copy gets the ACLs"
	(umask 077; echo x >"$m/adopted/new"; echo x >"$t1/adopted/ref")
	[ -f "$t0/adopted/new" ] && [ -n "$(getfacl -cpn "$t0/adopted" | grep default:user:1000:rwx)" ] &&
		[ "$(getfacl -cpn "$t0/adopted")" = "$(getfacl -cpn "$t1/adopted")" ] &&
		[ "$(stat -c %a "$t0/adopted")" = "$(stat -c %a "$t1/adopted")" ]
	ok $? "$l: a directory copied to another tier gets the original's ACLs"
	[ "$(stat -c %a "$t0/adopted/new")" = "$(stat -c %a "$t1/adopted/ref")" ] &&
		[ "$(getfacl -cpn "$t0/adopted/new")" = "$(getfacl -cpn "$t1/adopted/ref")" ]
	ok $? "$l: and a file created there inherits the default ACL ($(stat -c %a "$t0/adopted/new"))"
	(umask 027; echo x >"$m/nodef"; mkdir "$m/nodefdir")
	is "$(stat -c %a "$m/nodef") $(stat -c %a "$m/nodefdir")" "640 750" "$l: the umask applies without a default ACL"
	is "$(stat -c %a "$t0/nodef") $(getfacl -cpn "$t0/nodef" | wc -l)" "640 4" "$l: and on the lower, no ACL"

	umount "$m"
	ok $? "$l: umount"
}

load_smoothfs
mkdir -p /x0 /x1
mount -t tmpfs -o size=32m tmpfs /x0
mount -t tmpfs -o size=32m tmpfs /x1
if setfattr -n user.probe -v 1 /x0 2>/dev/null; then ux=1; else ux=0; fi
suite tmpfs /x0 /x1 /mnt/xa-tmpfs 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60 "$ux"

modprobe -a ext4 xfs
mkdir -p /e0 /e1
mkfs.ext4 -q -F "$(vm_disk disk0)" && mount "$(vm_disk disk0)" /e0
mkfs.xfs -q -f "$(vm_disk disk1)" && mount "$(vm_disk disk1)" /e1
suite ext4xfs /e0 /e1 /mnt/xa-disk 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a61 1

# Tiers without ACLs: smoothfs sets SB_POSIXACL, so the VFS leaves the umask
# to the lower, whose vfs_create()/vfs_mkdir() must apply it.
mkdir -p /n0 /n1 /mnt/xa-noacl
modprobe btrfs
mkfs.btrfs -q -f "$(vm_disk disk2)" && mount -o noacl "$(vm_disk disk2)" /n0
mkfs.btrfs -q -f "$(vm_disk disk3)" && mount -o noacl "$(vm_disk disk3)" /n1
mount -t smoothfs -o pool=xanoacl,uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a62,tiers=/n0:/n1 none /mnt/xa-noacl
(umask 027; echo x >/mnt/xa-noacl/f; mkdir /mnt/xa-noacl/d)
is "$(stat -c %a /mnt/xa-noacl/f /mnt/xa-noacl/d /n0/f /n0/d | tr '\n' ' ')" "640 750 640 750 " \
	"noacl tiers: the umask applies to files and directories"
run_fails "Operation not supported" "noacl tiers: setfacl is EOPNOTSUPP" -- setfacl -m u:1000:r /mnt/xa-noacl/f
is "$(stat -c %a /n0/f)" 640 "noacl tiers: and changes nothing"
umount /mnt/xa-noacl
ok $? "noacl tiers: umount"
