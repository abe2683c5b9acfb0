# Helpers for guest tests (bash).  Source it, then use plan/ok/is/...
# Output is TAP; a test script exits non-zero only on a harness error.

# A crash test resumed after a hard stop numbers on (tests/vm/guest/runner).
_tap_n=${SMOOTHFS_VM_TAP_SO_FAR:-0}
_tap_failed=0

plan() { echo "1..$1"; }

# ok COND-STATUS DESCRIPTION: pass when the status is 0.
ok() {
	local status=$1
	shift
	_tap_n=$((_tap_n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		_tap_failed=$((_tap_failed + 1))
	fi
}

# run_ok DESCRIPTION -- CMD...: pass when CMD succeeds; show its output otherwise.
run_ok() {
	local desc=$1 out status
	shift 2
	out=$("$@" 2>&1)
	status=$?
	ok "$status" "$desc"
	[ "$status" -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
	return "$status"
}

# run_fails ERRNO-TEXT DESCRIPTION -- CMD...: pass when CMD fails and its
# output contains ERRNO-TEXT.
run_fails() {
	local want=$1 desc=$2 out status
	shift 3
	out=$("$@" 2>&1)
	status=$?
	if [ "$status" -ne 0 ] && printf '%s' "$out" | grep -qF -- "$want"; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		echo "# exit $status, expected failure with \"$want\", got: $out"
	fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   got: '$1'"
		echo "#  want: '$2'"
	fi
}

# Path of the guest disk with serial NAME (disk0, disk1, ...).
vm_disk() {
	local f
	for f in /sys/block/vd*/serial; do
		if [ "$(cat "$f")" = "$1" ]; then
			f=${f%/serial}
			echo "/dev/${f##*/}"
			return 0
		fi
	done
	echo "vm_disk: no disk with serial $1" >&2
	return 1
}

# wait_dmesg PATTERN SECONDS: wait for a kernel log line.
wait_dmesg() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		dmesg | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

load_smoothfs() {
	grep -qw smoothfs /proc/modules || insmod "$SMOOTHFS_KO"
}

unload_smoothfs() {
	! grep -qw smoothfs /proc/modules || rmmod smoothfs
}

# The bus policy and the polkit actions, as the package installs them
# (systemd mode: /etc and /usr are writable through the overlay).
install_bus_policy() {
	install -m 644 "$SMOOTHFS_SRC/polkit/org.smoothfs1.policy" /usr/share/polkit-1/actions/ &&
		systemctl try-restart polkit.service &&
		install -D -m 644 "$SMOOTHFS_SRC/dbus/org.smoothfs1.conf" \
			/etc/dbus-1/system.d/org.smoothfs1.conf &&
		busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
			ReloadConfig >/dev/null
}

# start_smoothfsd DB LOG: the built daemon run by hand on database DB, its
# log appended to LOG; $smoothfsd_pid is set; fails unless it gets its name.
start_smoothfsd() {
	SMOOTHFSD_LOG=stderr "$SMOOTHFS_BUILD/smoothfsd" --database "$1" 2>>"$2" &
	smoothfsd_pid=$!
	for _ in $(seq 100); do
		busctl --system status org.smoothfs1 >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# smoothfsd installed as the package installs it, activated by the first call.
install_smoothfsd() {
	install_bus_policy &&
		install -m 755 "$SMOOTHFS_BUILD/smoothfsd" /usr/sbin/smoothfsd &&
		install -m 644 "$SMOOTHFS_SRC/dbus/org.smoothfs1.service" \
			/usr/share/dbus-1/system-services/ &&
		install -m 644 "$SMOOTHFS_SRC/units/smoothfsd.service" /etc/systemd/system/ &&
		systemctl daemon-reload
}

# Crash tests (docs/development.md): the phase this boot runs (1 first),
# and a directory that survives the hard stop (in the results export).
vm_phase() { echo "${SMOOTHFS_VM_PHASE:-1}"; }
vm_state() { echo "${SMOOTHFS_VM_STATE:?not run by the VM runner}"; }

# vm_crash_reboot PHASE: stop the guest hard now (sysrq b: no sync, no
# unmount, the guest's page cache is lost) and ask tests/vm/run to boot it
# again with the same disks and run this test again with vm_phase = PHASE.
vm_crash_reboot() {
	echo "${SMOOTHFS_VM_TEST_INDEX:?not run by the VM runner} $1" >"$SMOOTHFS_VM_RESULTS/reboot"
	if [ -w /proc/sysrq-trigger ]; then
		echo b >/proc/sysrq-trigger
	else
		# A kernel without MAGIC_SYSRQ (the debug kernel): reboot(2)
		# without sync does the same for the filesystems.
		busybox reboot -n -f
	fi
	sleep 30
	echo "vm_crash_reboot: the guest did not reset" >&2
	exit 1
}

# vm_reboot PHASE (systemd mode): reboot the guest cleanly, as an operator
# would, and have tests/vm/run boot it again and run this test on at
# PHASE.  What survives is what survives a reboot: the disks, and the
# root's changes for a test with "# vm-root: persistent".
vm_reboot() {
	echo "${SMOOTHFS_VM_TEST_INDEX:?not run by the VM runner} $1" >"$SMOOTHFS_VM_RESULTS/reboot"
	systemctl reboot --no-block
	sleep 600
	echo "vm_reboot: the guest did not reboot" >&2
	exit 1
}

# Undoes install_smoothfsd: the service stopped, its files and state gone,
# so that the next test in the same boot starts from a clean system.
uninstall_smoothfsd() {
	systemctl stop smoothfsd.service 2>/dev/null
	rm -f /usr/sbin/smoothfsd /etc/dbus-1/system.d/org.smoothfs1.conf \
		/usr/share/dbus-1/system-services/org.smoothfs1.service \
		/usr/share/polkit-1/actions/org.smoothfs1.policy /etc/systemd/system/smoothfsd.service
	rm -rf /var/lib/smoothfs
	rmdir /mnt/smoothfs/* /mnt/smoothfs 2>/dev/null
	systemctl daemon-reload
	busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
		ReloadConfig >/dev/null
}

# is_unchanged BEFORE NOW DESCRIPTION: ok when the two snapshots are the
# same, else not ok with the first lines of their difference.
is_unchanged() {
	local dir
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
		return
	fi
	ok 1 "$3"
	dir=$(mktemp -d)
	printf '%s\n' "$1" >"$dir/before"
	printf '%s\n' "$2" >"$dir/now"
	diff "$dir/before" "$dir/now" | head -n 40 | sed 's/^/# /'
	rm -rf "$dir"
}
