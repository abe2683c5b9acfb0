# Helpers of the crash tests (crash-steps.t, crash-storm.t): a pool of two
# real tiers, ext4 on disk0 (tier 0, holds the journal) and xfs on disk1
# (tier 1), made afresh or mounted again after a hard stop; a manifest of
# every file; and the checks after recovery.  Source after lib.sh.

. "$SMOOTHFS_SRC/tests/vm/tier-lib.sh"

crash_uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c5a
crash_mnt=/mnt/crash
# Set here too: crash_pool may run in a subshell (run_ok).
tiers=(/c0 /c1)
crash_opts="pool=crash,uuid=$crash_uuid,tiers=/c0:/c1"
mt=$SMOOTHFS_BUILD/vm-progs/move-tool

# crash_pool new|old: mount the tiers (new: mkfs first) and the pool.
crash_pool() {
	load_smoothfs
	mkdir -p "$crash_mnt"
	tier_disks "$1" ext4:/c0 xfs:/c1 || return 1
	mount -t smoothfs -o "$crash_opts" none "$crash_mnt"
}

crash_umount() {
	umount "$crash_mnt" && umount "${tiers[@]}"
}

# One manifest line per file: path sha256 oid st_ino uid:gid mode size;
# with "ids" (a file being written), path oid st_ino uid:gid mode.
manifest_line() {
	local f=$crash_mnt/$1
	if [ "${2:-}" = ids ]; then
		printf '%s %s %s\n' "$1" "$(oidhex "$f")" "$(stat -c '%i %u:%g %a' "$f")"
		return
	fi
	printf '%s %s %s %s\n' "$1" "$(sha256sum <"$f" | cut -c1-64)" "$(oidhex "$f")" \
		"$(stat -c '%i %u:%g %a %s' "$f")"
}

# crash_manifest [-i] FILE PATH...: record the files (through the mount).
crash_manifest() {
	local kind= out p
	[ "$1" != -i ] || { kind=ids; shift; }
	out=$1
	shift
	for p in "$@"; do manifest_line "$p" $kind; done >"$out"
}

# crash_check [-i] MANIFEST: every file of MANIFEST is as recorded
# (content, OID, st_ino, owner, mode, size; -i: no content or size) and
# has exactly one lower copy.  Prints the differences; returns 1 if there
# are any.
crash_check() {
	local kind= p rest bad=0 got
	[ "$1" != -i ] || { kind=ids; shift; }
	while read -r p rest; do
		got=$(manifest_line "$p" $kind 2>&1)
		if [ "$got" != "$p $rest" ]; then
			echo "# $p: recorded '$p $rest', now '$got'"
			bad=1
		fi
		got=$(where "$p")
		if [ "${#got}" != 1 ]; then
			echo "# $p: lower copies on tiers '$got'"
			bad=1
		fi
	done <"$1"
	return $bad
}

