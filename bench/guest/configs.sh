# Benchmark configurations (sourced by bench.sh in the guest).
#
# Every configuration runs on the same three virtio disks, freshly made
# ext4 before each configuration so no run inherits another's layout.
# disk0 is /d0, disk1 /d1, disk2 /d2.  Each configuration defines
#   cfg_<name>_prepare  lay out the lower directories and the readdir
#                       entries (untimed; directly on the ext4 disks)
#   cfg_<name>_mount    mount the configuration, print its work directory
#   cfg_<name>_warmup   once after the first mount (untimed)
#   cfg_<name>_umount   undo the mount
# The readdir row lists $RD_N entries in <work>/rd: for bare all on /d0,
# for the others a third on each disk.

BENCH_UUID=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b01

# umount, retrying while busy: a FUSE daemon lets go of its branches
# only after its own unmount.
umount_retry() {
	local i
	for i in $(seq 50); do
		umount "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	umount "$1"
}

# Format and mount the three disks.
disks_fresh() {
	local i dev
	for i in 0 1 2; do
		mountpoint -q "/d$i" && umount_retry "/d$i"
		dev=$(vm_disk "disk$i") || return 1
		# No lazy init: a background zeroing thread would disturb timings.
		# One inode per 8k: bare holds both the readdir and the create sets.
		mkfs.ext4 -q -F -i 8192 -E lazy_itable_init=0,lazy_journal_init=0 "$dev" || return 1
		mkdir -p "/d$i"
		mount "$dev" "/d$i" || return 1
		rmdir "/d$i/lost+found"
	done
}

disks_remount() {
	local i
	for i in 0 1 2; do
		umount_retry "/d$i" && mount "$(vm_disk "disk$i")" "/d$i" || return 1
	done
}

disks_umount() {
	local i
	for i in 0 1 2; do
		mountpoint -q "/d$i" && umount_retry "/d$i"
	done
	return 0
}

# spread_entries DIR0 DIR1 DIR2: a third of the readdir entries in each.
spread_entries() {
	local third=$((RD_N / 3)) dirs=("$@") i n
	for i in 0 1 2; do
		n=$third
		[ $i -eq 2 ] && n=$((RD_N - 2 * third))
		mkdir -p "${dirs[$i]}" || return 1
		"$METABENCH" create "${dirs[$i]}" "$n" 0 $((i * third)) >/dev/null || return 1
	done
}

# --- bare lower: ext4 on disk0 -----------------------------------------------
cfg_bare_prepare() {
	mkdir -p /d0/rd && "$METABENCH" create /d0/rd "$RD_N" 0 >/dev/null
}
cfg_bare_mount() { echo /d0; }
cfg_bare_umount() { :; }
cfg_bare_warmup() { :; }

# --- smoothfs over the three disks (tier 0 = disk0) ----------------------------
cfg_smoothfs_prepare() {
	spread_entries /d0/rd /d1/rd /d2/rd
}
cfg_smoothfs_mount() {
	load_smoothfs || return 1
	mkdir -p /mnt/pool
	mount -t smoothfs -o "pool=bench,uuid=$BENCH_UUID,tiers=/d0:/d1:/d2" none /mnt/pool ||
		return 1
	echo /mnt/pool
}
# Adoption: the first listing mints an OID for each entry made on the
# lowers behind the pool's back.  A pool's normal state has them.
cfg_smoothfs_warmup() {
	"$METABENCH" readdir "$1/rd" "$RD_N" >/dev/null
}
cfg_smoothfs_umount() {
	umount /mnt/pool
}

# --- overlayfs: upper on disk0, two lower layers on disk1 and disk2 -----------
cfg_overlay_prepare() {
	mkdir -p /d0/upper /d0/work /d1/lower /d2/lower &&
		spread_entries /d0/upper/rd /d1/lower/rd /d2/lower/rd
}
cfg_overlay_mount() {
	mkdir -p /mnt/ovl
	mount -t overlay -o lowerdir=/d1/lower:/d2/lower,upperdir=/d0/upper,workdir=/d0/work \
		overlay /mnt/ovl || return 1
	echo /mnt/ovl
}
cfg_overlay_umount() {
	umount /mnt/ovl
}
cfg_overlay_warmup() { :; }

# --- mergerfs (FUSE) over the three disks, new files on the first ------------
mergerfs_mount() {
	modprobe fuse 2>/dev/null
	[ -c /dev/fuse ] || return 1
	mkdir -p /mnt/mfs
	mergerfs -o "$1" /d0:/d1:/d2 /mnt/mfs || return 1
	echo /mnt/mfs
}
cfg_mergerfs_prepare() { spread_entries /d0/rd /d1/rd /d2/rd; }
# No page cache (direct_io), as mergerfs recommends for safety; minfreespace
# lowered from its 4G default, which is larger than our disks.
cfg_mergerfs_mount() { mergerfs_mount category.create=ff,cache.files=off,minfreespace=16M; }
cfg_mergerfs_umount() { umount /mnt/mfs; }
cfg_mergerfs_warmup() { :; }

# Tuned: the page cache on (cache.files=partial), attribute and entry
# caching as the defaults (1 s).
cfg_mergerfs_tuned_prepare() { cfg_mergerfs_prepare; }
cfg_mergerfs_tuned_mount() { mergerfs_mount category.create=ff,cache.files=partial,minfreespace=16M; }
cfg_mergerfs_tuned_umount() { cfg_mergerfs_umount; }
cfg_mergerfs_tuned_warmup() { :; }
