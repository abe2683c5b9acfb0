#!/bin/bash
# vm-timeout: 3000
# The packages, installed, with systemd as PID 1 (issue 7.3): apt installs
# the .debs that `make deb` left in build/deb, DKMS builds the module for
# the guest's running kernel and the postinst loads it, the service is
# enabled and started, and after a stop it is started again by D-Bus
# activation on the first busctl call.  A pool is created over busctl on
# two ext4 tiers on virtio disks, files are written and read back through
# it; the guest reboots (the root's changes are kept on a disk) and the
# pool's mount unit brings the pool back with its files; DestroyPool
# leaves the tier data.  `apt remove` with a pool mounted leaves the pool
# working; `apt purge` leaves no file of the packages, no DKMS tree, no
# unit symlinks and no /var/lib/smoothfs, and the tier data intact.
# -dev: a program builds with pkg-config.
#
# Upgrades are upgrade.t's; DKMS builds for the running kernel only (see
# below).
# vm-root: persistent
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

version=$(cat "$SMOOTHFS_SRC/VERSION")
arch=$(dpkg --print-architecture)
debdir=$SMOOTHFS_BUILD/deb
debs=("$debdir/smoothfs-dkms_${version}_all.deb" "$debdir/smoothfsd_${version}_$arch.deb"
	"$debdir/libsmoothfs1_${version}_$arch.deb" "$debdir/libsmoothfs-dev_${version}_$arch.deb")
pkgs="smoothfs-dkms smoothfsd libsmoothfs1 libsmoothfs-dev"
kver=$(uname -r)
tiers=/srv/installed
fast=$tiers/fast
slow=$tiers/slow
mnt=/mnt/smoothfs/tank
obj=/org/smoothfs1/pool/tank
apt_log=installed-apt.log
. "$SMOOTHFS_SRC/tests/vm/installed/apt-lib.sh"
status() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' '; }

t_start=$(date +%s)
step() { echo "# +$(($(date +%s) - t_start))s: $*"; }

phase=$(vm_phase)
state=$(vm_state)
# What the packages ship (files and links, not directories), for the purge check.
shipped=$(for d in "${debs[@]}"; do dpkg-deb -c "$d"; done |
	awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' | sort -u)

if [ "$phase" = 1 ]; then
	plan 59

	# --- before ---------------------------------------------------------------
	missing=
	for d in "${debs[@]}"; do [ -r "$d" ] || missing="$missing $d"; done
	[ -z "$missing" ]
	ok $? "the packages are built (make deb-built):${missing:- all there}"
	modinfo -k "$kver" smoothfs >/dev/null 2>&1
	ok $((!$?)) "no smoothfs module for $kver before the install"
	[ ! -d /sys/module/smoothfs ] && [ ! -e /var/lib/smoothfs ] && [ ! -e /var/lib/dkms/smoothfs ]
	ok $? "nothing of smoothfs loaded or installed"
	[ "$(printf '%s\n' "$shipped" | grep -c .)" -gt 20 ]
	ok $? "the packages list their files"

	# DKMS builds for the running kernel and the newest one.  A build takes
	# minutes under TCG, so the guest hides the other kernels' headers (on
	# its overlay root) and DKMS builds once; make dkms-check builds for
	# every kernel on the host.
	hidden=
	for b in /lib/modules/*/build; do
		k=${b#/lib/modules/}; k=${k%/build}
		[ "$k" = "$kver" ] && continue
		mv "$b" "$b.hidden-by-installed-t" && hidden="$hidden $b"
	done
	restore_headers() { for b in $hidden; do mv "$b.hidden-by-installed-t" "$b"; done; }
	trap restore_headers EXIT

	# man-db's trigger re-indexes every manual page (minutes under TCG);
	# without this file it skips that, as on many servers.
	rm -f /var/lib/man-db/auto-update

	# The build machine is a Docker image whose policy-rc.d forbids starting
	# services; the guest boots it as a real system, so it goes (overlay).
	rm -f /usr/sbin/policy-rc.d

	# --- install --------------------------------------------------------------
	step "apt-get install"
	: >"$log"
	apt_get install "${debs[@]}"
	rc=$?
	is "$rc" 0 "apt-get install of the four packages" || show_log
	step "installed"
	for p in $pkgs; do
		is "$(status "$p")" ii "$p is installed"
	done
	grep -q "Building for.*$kver" "$log" && grep -q "Installing to /lib/modules/$kver/updates/dkms" "$log"
	ok $? "the dkms postinst built and installed the module for $kver" || show_log
	dkms status -m smoothfs -v "$version" -k "$kver" | grep -q ': installed'
	ok $? "dkms status: smoothfs/$version installed for the running kernel $kver"
	is "$(modinfo -k "$kver" -F version smoothfs 2>&1)" "$version" "modinfo: the module for $kver is version $version"
	modinfo -k "$kver" -n smoothfs | grep -q "^/lib/modules/$kver/updates/dkms/smoothfs.ko"
	ok $? "it lives in /lib/modules/$kver/updates/dkms ($(modinfo -k "$kver" -n smoothfs 2>&1))"
	[ -d /sys/module/smoothfs ] && grep -qw smoothfs /proc/filesystems
	ok $? "the postinst loaded the module"
	is "$(systemctl is-enabled smoothfsd.service 2>&1)" enabled "smoothfsd.service is enabled"
	is "$(systemctl is-active smoothfsd.service 2>&1)" active "and was started by the postinst"

	# --- D-Bus activation -------------------------------------------------------
	systemctl stop smoothfsd.service
	is "$(systemctl is-active smoothfsd.service 2>&1)" inactive "smoothfsd stopped"
	since=$(date '+%Y-%m-%d %H:%M:%S')
	sleep 1
	step "first busctl call"
	is "$(bc get-property org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager Version 2>&1)" \
		"s \"$version\"" "the first D-Bus call is answered by smoothfsd $version"
	is "$(systemctl is-active smoothfsd.service 2>&1)" active "smoothfsd is active again"
	journalctl --no-pager -q --since "$since" -u dbus.service |
		grep -q "Activating via systemd: service name='org.smoothfs1'"
	ok $? "dbus-daemon activated it through systemd"
	is "$(bc get-property org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager KernelModuleLoaded 2>&1)" \
		"b true" "KernelModuleLoaded"

	# --- a pool on two ext4 disks -----------------------------------------------
	step "tiers"
	mkdir -p "$fast" "$slow"
	d0=$(vm_disk disk0) && d1=$(vm_disk disk1) &&
		mkfs.ext4 -q -F "$d0" && mkfs.ext4 -q -F "$d1" &&
		mount "$d0" "$fast" && mount "$d1" "$slow"
	ok $? "ext4 tiers on $d0 and $d1"
	echo "from before" >"$slow/old.txt"
	step "CreatePool"
	out=$(bc call org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager CreatePool 'sasa{sv}' \
		tank 2 "$fast" "$slow" 0 2>&1)
	is "$out" "o \"$obj\"" "CreatePool returns the pool object"
	is "$(findmnt -n -o FSTYPE "$mnt" 2>&1)" smoothfs "the pool is mounted at $mnt"
	is "$(systemctl is-enabled mnt-smoothfs-tank.mount 2>&1)" enabled "its mount unit is enabled"
	is "$(cat "$mnt/old.txt" 2>&1)" "from before" "a file already on a tier is visible"
	head -c 8M /dev/urandom >/run/big.src
	sum=$(md5sum </run/big.src)
	mkdir -p "$mnt/dir" && cp /run/big.src "$mnt/dir/big" && echo hello >"$mnt/dir/small" && sync
	ok $? "files written through the pool"
	echo 3 >/proc/sys/vm/drop_caches
	is "$(md5sum <"$mnt/dir/big")" "$sum" "and read back through it, after dropping caches"
	is "$(md5sum <"$fast/dir/big" 2>&1)" "$sum" "the new file is on the fast tier"
	is "$(bc get-property org.smoothfs1 $obj org.smoothfs1.Pool State 2>&1)" 's "mounted"' "State"
	is "$(sqlite3 /var/lib/smoothfs/smoothfsd.db 'SELECT name FROM pools' 2>&1)" tank \
		"the pool is in /var/lib/smoothfs/smoothfsd.db"

	# --- a reboot -----------------------------------------------------------
	# The tiers in fstab, as an operator has them; the pool's own unit is
	# the one CreatePool wrote.  The root's changes are on a disk.
	step "reboot"
	printf 'UUID=%s %s ext4 defaults 0 2\n' "$(blkid -s UUID -o value "$d0")" "$fast" \
		"$(blkid -s UUID -o value "$d1")" "$slow" >>/etc/fstab
	ok $? "the tiers are in /etc/fstab"
	echo "$sum" >"$state/sum"
	vm_reboot 2
fi

# --- after the reboot ---------------------------------------------------------
step "after the reboot"
sum=$(cat "$state/sum")
for i in $(seq 180); do findmnt -n -t smoothfs "$mnt" >/dev/null && break; sleep 1; done
is "$(findmnt -n -o FSTYPE "$mnt" 2>&1)" smoothfs "after a reboot the pool is mounted again (${i}s)"
is "$(systemctl is-active mnt-smoothfs-tank.mount 2>&1)" active "by its mount unit"
[ -d /sys/module/smoothfs ] && modinfo -n smoothfs | grep -q "/updates/dkms/"
ok $? "the DKMS module was loaded for it"
is "$(md5sum <"$mnt/dir/big" 2>&1) $(cat "$mnt/dir/small" 2>&1)" "$sum hello" \
	"the files read back through the pool after the reboot"
is "$(bc get-property org.smoothfs1 $obj org.smoothfs1.Pool State 2>&1)" 's "mounted"' \
	"smoothfsd knows the pool and shows it mounted"

step "DestroyPool"
out=$(bc call org.smoothfs1 $obj org.smoothfs1.Pool Destroy 'a{sv}' 0 2>&1)
ok $? "Destroy ($out)"
findmnt "$mnt" >/dev/null
ok $((!$?)) "the pool is unmounted"
[ ! -e /etc/systemd/system/mnt-smoothfs-tank.mount ]
ok $? "its mount unit is gone"
is "$(md5sum <"$fast/dir/big" 2>&1) $(cat "$fast/dir/small" "$slow/old.txt" 2>&1 | tr '\n' ' ')" \
	"$sum hello from before " "the data on the tiers is intact"

# --- -dev -----------------------------------------------------------------
step "-dev"
cc -o /run/watch-events "/usr/share/doc/libsmoothfs-dev/examples/watch-events.c" \
	$(pkg-config --cflags --libs smoothfs) >/run/cc.log 2>&1
ok $? "the -dev example builds with pkg-config smoothfs" || sed 's/^/#   cc: /' /run/cc.log
ldd /run/watch-events | grep -qE "libsmoothfs.so.1 => (/usr)?/lib/[^ ]*/libsmoothfs.so.1 "
ok $? "and links the installed libsmoothfs.so.1" || ldd /run/watch-events | sed 's/^/#   ldd: /'

# --- remove with a pool mounted ---------------------------------------------
step "apt-get remove"
mkdir -p /run/hand/a /run/hand/b /mnt/hand
mount -t tmpfs tmpfs /run/hand/a && mount -t tmpfs tmpfs /run/hand/b &&
	mount -t smoothfs -o "pool=hand,uuid=$(cat /proc/sys/kernel/random/uuid),tiers=/run/hand/a:/run/hand/b" \
		none /mnt/hand && echo one >/mnt/hand/f
ok $? "a pool mounted by hand"
apt_get remove $pkgs
is "$?" 0 "apt-get remove of the four packages" || show_log
is "$(status smoothfsd)" rc "smoothfsd is removed, its configuration left"
echo two >>/mnt/hand/f
is "$(cat /mnt/hand/f 2>&1 | tr '\n' ' ')" "one two " "the mounted pool keeps working after remove"
[ -d /sys/module/smoothfs ]
ok $? "the module stays loaded"
modinfo -k "$kver" smoothfs >/dev/null 2>&1
ok $((!$?)) "its file is gone from /lib/modules/$kver"
is "$(systemctl is-active smoothfsd.service 2>&1)" inactive "smoothfsd is stopped"
[ -e /var/lib/smoothfs/smoothfsd.db ]
ok $? "remove keeps /var/lib/smoothfs"

# --- purge --------------------------------------------------------------------
umount /mnt/hand
step "apt-get purge"
# apt knows only what remove left as config-files (no archive has them).
rc_pkgs=$(for p in $pkgs; do [ "$(status "$p")" = rc ] && echo "$p"; done)
apt_get purge $rc_pkgs
is "$?" 0 "apt-get purge of what remove left ($(echo $rc_pkgs))" || show_log
left=
for p in $pkgs; do [ -z "$(status "$p")" ] || [ "$(status "$p")" = un ] || left="$left $p:$(status "$p")"; done
is "$left" "" "dpkg knows none of the packages"
present=$(printf '%s\n' "$shipped" | while read -r f; do
	[ -e "$f" ] || [ -L "$f" ] && echo "$f"; done)
is "$present" "" "no file of the packages is left"
[ ! -e /var/lib/smoothfs ]
ok $? "/var/lib/smoothfs is gone"
[ ! -e /var/lib/dkms/smoothfs ] && [ ! -e "/usr/src/smoothfs-$version" ] &&
	! ls /lib/modules/*/updates/dkms/smoothfs.ko* >/dev/null 2>&1
ok $? "no DKMS tree, source or built module is left"
ls /etc/systemd/system/*.wants/smoothfsd.service /etc/systemd/system/dbus-org.smoothfs1.service \
	/var/lib/systemd/deb-systemd-helper-enabled/smoothfsd.service.dsh-also >/dev/null 2>&1
ok $((!$?)) "no unit symlinks or enablement state are left"
is "$(md5sum <"$fast/dir/big" 2>&1) $(cat "$fast/dir/small" "$slow/old.txt" 2>&1 | tr '\n' ' ')" \
	"$sum hello from before " "the tier data is intact after purge"
rmmod smoothfs
ok $? "the module unloads"
umount "$fast" "$slow" /run/hand/a /run/hand/b
step "done"
