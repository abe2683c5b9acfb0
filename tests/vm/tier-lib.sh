# Tiers on the guest's virtio disks and what the tests read off them:
# which tiers hold a path, what is staged, how big the journal is.  The
# tiers are the array `tiers`, fastest first; tiers[0] holds the journal.
# Source after lib.sh.

# tier_disks new|old FS:DIR...: mount disk0, disk1, ... (in that order)
# at the DIRs, making an FS (ext4 or xfs) on each first if new; sets tiers.
tier_disks() {
	local how=$1 spec fs dir i=0
	shift
	tiers=()
	modprobe -a ext4 xfs
	for spec; do
		fs=${spec%%:*}
		dir=${spec#*:}
		mkdir -p "$dir" || return 1
		if [ "$how" = new ]; then
			case $fs in
			ext4) mkfs.ext4 -q -F "$(vm_disk disk$i)" ;;
			xfs) mkfs.xfs -q -f "$(vm_disk disk$i)" ;;
			*) echo "# tier_disks: no filesystem $fs" >&2; false ;;
			esac || return 1
		fi
		mount "$(vm_disk disk$i)" "$dir" || return 1
		# A pool's tiers show in its namespace: no lost+found in it.
		if [ "$how" = new ] && [ -d "$dir/lost+found" ]; then
			rmdir "$dir/lost+found" || return 1
		fi
		tiers+=("$dir")
		i=$((i + 1))
	done
}

# tiers_opt: the tiers= mount option's value.
tiers_opt() { (IFS=:; echo "${tiers[*]}"); }

oidhex() { getfattr -n trusted.smoothfs.oid -e hex "$1" 2>/dev/null | sed -n 's/^trusted.smoothfs.oid=0x//p'; }

# where PATH: the ranks of the tiers whose lower filesystem has PATH.
where() {
	local t out=
	for t in "${!tiers[@]}"; do [ -e "${tiers[$t]}/$1" ] && out="$out$t"; done
	echo "$out"
}

# staged: files left in the stage directories of every tier.
staged() { find "${tiers[@]/%//.smoothfs/stage}" -type f 2>/dev/null | wc -l; }

# journal_size: bytes in the journal (0: no open transaction).
journal_size() { stat -c %s "${tiers[0]}/.smoothfs/journal" 2>/dev/null || echo missing; }
