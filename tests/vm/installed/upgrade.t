#!/bin/bash
# vm-timeout: 3000
# An upgrade with a pool mounted (issue 7.4), with systemd as PID 1: apt
# installs an older build (tools/old-debs: 0.1.0~old1, whose smoothfsd
# keeps database schema 2), a pool is created on two ext4 tiers and a file
# moved; then apt installs the current packages over it.  The pool stays
# mounted and readable on the module that was loaded (the new one is
# built and installed for the next boot), smoothfsd is the new one, its
# database is migrated (schema 3) with the pool and the move log kept,
# and it moves files on the old module.  After a reboot the new module
# is loaded, the pool's unit mounts it, files move; Destroy and purge.
# vm-root: persistent
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

version=$(cat "$SMOOTHFS_SRC/VERSION")
old=0.1.0~old1
arch=$(dpkg --print-architecture)
new_debs=("$SMOOTHFS_BUILD/deb/smoothfs-dkms_${version}_all.deb"
	"$SMOOTHFS_BUILD/deb/smoothfsd_${version}_$arch.deb"
	"$SMOOTHFS_BUILD/deb/libsmoothfs1_${version}_$arch.deb")
old_debs=("$SMOOTHFS_BUILD/deb-old/smoothfs-dkms_${old}_all.deb"
	"$SMOOTHFS_BUILD/deb-old/smoothfsd_${old}_$arch.deb"
	"$SMOOTHFS_BUILD/deb-old/libsmoothfs1_${old}_$arch.deb")
pkgs="smoothfs-dkms smoothfsd libsmoothfs1"
kver=$(uname -r)
fast=/srv/upgrade/fast
slow=/srv/upgrade/slow
mnt=/mnt/smoothfs/tank
obj=/org/smoothfs1/pool/tank
db=/var/lib/smoothfs/smoothfsd.db
apt_log=upgrade-apt.log
. "$SMOOTHFS_SRC/tests/vm/installed/apt-lib.sh"
installed_version() { dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$1" 2>/dev/null | tr -s ' '; }
versions() { local p; for p in $pkgs; do installed_version "$p"; echo; done | sort -u; }
loaded() { cat /sys/module/smoothfs/version 2>&1; }
schema() { sqlite3 "$db" 'SELECT MAX(version) FROM schema_version' 2>&1; }
tier_of() {
	local v
	v=$(getfattr -n trusted.smoothfs.tier -e hex "$1" 2>/dev/null | sed -n 's/.*=0x//p')
	[ -n "$v" ] && echo $((16#$v))
}
move() { bc call org.smoothfs1 $obj org.smoothfs1.Pool Move 'sya{sv}' "$1" "$2" 0 2>&1; }

t_start=$(date +%s)
step() { echo "# +$(($(date +%s) - t_start))s: $*"; }
phase=$(vm_phase)
state=$(vm_state)

if [ "$phase" = 1 ]; then
	plan 31

	missing=
	for d in "${old_debs[@]}" "${new_debs[@]}"; do [ -r "$d" ] || missing="$missing $d"; done
	[ -z "$missing" ]
	ok $? "the old and the new packages are built (tools/old-debs, make deb):${missing:- all there}"
	# As installed.t: DKMS builds for this kernel only, no man-db
	# re-index, no policy-rc.d (the overlay root keeps this for the test).
	for b in /lib/modules/*/build; do
		k=${b#/lib/modules/}; k=${k%/build}
		[ "$k" = "$kver" ] || mv "$b" "$b.hidden-by-upgrade-t"
	done
	rm -f /var/lib/man-db/auto-update /usr/sbin/policy-rc.d

	# --- the old packages, a pool, a move ---------------------------------------
	step "apt-get install $old"
	: >"$log"
	apt_get install "${old_debs[@]}"
	is "$?" 0 "apt-get install of $old" || show_log
	is "$(versions)" "ii $old" "the three packages are at $old"
	is "$(loaded)" "$old" "the $old module is loaded"
	is "$(bc get-property org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager Version 2>&1)" \
		"s \"$old\"" "smoothfsd $old answers"
	mkdir -p "$fast" "$slow"
	d0=$(vm_disk disk0) && d1=$(vm_disk disk1) &&
		mkfs.ext4 -q -F "$d0" && mkfs.ext4 -q -F "$d1" &&
		mount "$d0" "$fast" && mount "$d1" "$slow"
	ok $? "ext4 tiers on $d0 and $d1"
	out=$(bc call org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager CreatePool 'sasa{sv}' \
		tank 2 "$fast" "$slow" 0 2>&1)
	is "$out" "o \"$obj\"" "CreatePool"
	mkdir -p "$mnt/dir"
	for f in a b c; do head -c 1M /dev/urandom >"$mnt/dir/$f"; done
	sync
	(cd "$mnt/dir" && md5sum a b c) >"$state/sums"
	out=$(move "$mnt/dir/a" 1)
	[[ $out == t* ]] && [ "$(tier_of "$mnt/dir/a")" = 1 ]
	ok $? "smoothfsd $old moves dir/a to tier 1 ($out)"
	is "$(schema)" 2 "its database has schema 2"

	# --- the upgrade, the pool mounted ---------------------------------------------
	step "apt-get install $version"
	apt_get install "${new_debs[@]}"
	is "$?" 0 "apt-get install of $version over $old, the pool mounted" || show_log
	is "$(versions)" "ii $version" "the three packages are at $version"
	dkms status -m smoothfs -k "$kver" | grep -q "smoothfs/$version.*: installed" &&
		! dkms status -m smoothfs -k "$kver" | grep -qF "$old"
	ok $? "DKMS built $version for $kver and removed $old ($(dkms status -m smoothfs -k "$kver" | tr '\n' ' '))"
	is "$(modinfo -k "$kver" -F version smoothfs 2>&1)" "$version" "the module file for the next boot is $version"
	is "$(loaded)" "$old" "the loaded module is still $old: the pool uses it"
	is "$(findmnt -n -o FSTYPE "$mnt" 2>&1)" smoothfs "the pool is still mounted"
	is "$(cd "$mnt/dir" && md5sum a b c)" "$(cat "$state/sums")" "and its files read the same"
	is "$(bc get-property org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager Version 2>&1)" \
		"s \"$version\"" "smoothfsd $version answers"
	is "$(schema)" 3 "the database is migrated to schema 3"
	is "$(sqlite3 "$db" 'SELECT name FROM pools' 2>&1)" tank "the pool is still in it"
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM moves' 2>&1)" -ge 1 ]
	ok $? "and the move log too"
	is "$(bc get-property org.smoothfs1 $obj org.smoothfs1.Pool State 2>&1)" 's "mounted"' \
		"Pool.State: mounted"
	out=$(move "$mnt/dir/b" 1)
	[[ $out == t* ]] && [ "$(tier_of "$mnt/dir/b")" = 1 ]
	ok $? "smoothfsd $version moves dir/b to tier 1 on the $old module ($out)"

	step "reboot"
	printf 'UUID=%s %s ext4 defaults 0 2\n' "$(blkid -s UUID -o value "$d0")" "$fast" \
		"$(blkid -s UUID -o value "$d1")" "$slow" >>/etc/fstab
	ok $? "the tiers are in /etc/fstab"
	vm_reboot 2
fi

# --- after the reboot ---------------------------------------------------------
step "after the reboot"
for i in $(seq 180); do findmnt -n -t smoothfs "$mnt" >/dev/null && break; sleep 1; done
is "$(findmnt -n -o FSTYPE "$mnt" 2>&1)" smoothfs "after a reboot the pool is mounted again (${i}s)"
is "$(loaded)" "$version" "by the $version module"
is "$(cd "$mnt/dir" && md5sum a b c)" "$(cat "$state/sums")" "its files read the same"
out=$(move "$mnt/dir/a" 0)
[[ $out == t* ]] && [ "$(tier_of "$mnt/dir/a")" = 0 ]
ok $? "dir/a moves back to tier 0 ($out)"
out=$(bc call org.smoothfs1 $obj org.smoothfs1.Pool Destroy 'a{sv}' 0 2>&1)
ok $? "Destroy ($out)"
apt_get purge $pkgs
is "$?" 0 "apt-get purge" || show_log
rmmod smoothfs
ok $? "the module unloads"
is "$( (cd "$fast/dir" && md5sum a c; cd "$slow/dir" && md5sum b) | sort -k2)" "$(cat "$state/sums")" \
	"the tier data is intact (a and c on the fast tier, b on the slow one)"
for b in /lib/modules/*/build.hidden-by-upgrade-t; do [ -e "$b" ] && mv "$b" "${b%.hidden-by-upgrade-t}"; done
umount "$fast" "$slow"
step "done"
