# Hard links and rename across tiers: the steps rename.t (tmpfs tiers)
# and rename-disks.t (ext4 and xfs tiers) run.  Source it after lib.sh;
# round LABEL expects empty tiers mounted on /t0 /t1 /t2 and runs
# RENAME_PER_ROUND tests.  After every step the lower tiers are checked:
# the name exists exactly where expected and nowhere else, the old name
# is gone on every tier, contents and st_ino (from the OID) unchanged.

RENAME_PER_ROUND=73

uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c
mnt=/mnt/pool

# rn none|noreplace|exchange|whiteout FROM TO: renameat2(2).
rn() { "$SMOOTHFS_BUILD/vm-progs/renameat2" "$@"; }

# where PATH: the tiers holding PATH, e.g. "0 2".
where() {
	local t out=
	for t in 0 1 2; do
		if [ -e "/t$t/$1" ] || [ -L "/t$t/$1" ]; then
			out="$out$t "
		fi
	done
	echo "${out% }"
}

ino() { stat -c %i "$mnt/$1"; }

populate() {
	mkdir -p /t2/data && echo two >/t2/data/f2.txt
	mkdir -p /t0/canon && chown 1000:1000 /t0/canon && chmod 750 /t0/canon
	echo target0 >/t0/tgt0.txt
	echo src1 >/t1/src1.txt
	mkdir -p /t0/spread /t1/spread/sub /t2/spread
	echo a >/t0/spread/a && echo b >/t1/spread/b && echo c >/t2/spread/c
	echo deep >/t1/spread/sub/deep.txt
	mkdir -p /t0/blocker && echo in-the-way >/t2/blocker
	mkdir -p /t0/emptyA /t2/emptyA /t1/dsrc && echo inside >/t1/dsrc/in.txt
	mkdir -p /t1/full /t2/full && echo x >/t2/full/x
	mkdir -p /t0/emptyB /t1/emptyB
	echo one >/t1/dup.txt && echo shadowed >/t2/dup.txt
	echo X >/t0/xa && echo Y >/t2/yb
	echo F >/t1/file1 && mkdir -p /t0/dir02 /t2/dir02 && echo d0 >/t0/dir02/d0 && echo d2 >/t2/dir02/d2
	mkdir -p /t0/sticky /t2/sticky && chmod 1777 /t0/sticky /t2/sticky
	echo mine >/t2/sticky/old.txt && chown 1000:1000 /t2/sticky/old.txt
	echo fast >/t0/dup2.txt && echo slow >/t2/dup2.txt
	echo root >/t0/sticky/root.txt
}

round() {
	local fs=$1 i

	populate
	mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1:/t2" none "$mnt"

	# --- link -------------------------------------------------------
	run_ok "$fs: link a tier-2 file into a directory that is only on tier 0" -- \
		ln "$mnt/data/f2.txt" "$mnt/canon/hard.txt"
	is "$(where canon/hard.txt)" 2 "$fs: the new name is on the file's tier only"
	is "$(stat -c '%u:%g %a' /t2/canon)" "1000:1000 750" \
		"$fs: the target directory was materialised with its owner and mode"
	is "$(stat -c '%i %h' "$mnt/canon/hard.txt")" "$(ino data/f2.txt) 2" \
		"$fs: both names have the same st_ino, nlink 2"
	is "$(stat -c %h /t2/data/f2.txt)" 2 "$fs: the lower file has two links"
	rm "$mnt/canon/hard.txt"
	is "$(stat -c %h "$mnt/data/f2.txt"):$(cat "$mnt/data/f2.txt"):$(where canon/hard.txt)" "1:two:" \
		"$fs: unlink of one name leaves the other, nlink 1"
	run_fails "Operation not permitted" "$fs: no link named .smoothfs at the top" -- \
		ln "$mnt/tgt0.txt" "$mnt/.smoothfs"
	run_fails "File exists" "$fs: link over an existing name is EEXIST" -- \
		ln "$mnt/tgt0.txt" "$mnt/src1.txt"
	is "$(cat "$mnt/src1.txt"):$(stat -c %h /t0/tgt0.txt)" "src1:1" "$fs: and changes nothing"

	# --- plain rename on one tier ------------------------------------
	echo plain >"$mnt/plain.txt"
	i=$(ino plain.txt)
	run_ok "$fs: rename within a tier" -- mv "$mnt/plain.txt" "$mnt/plain2.txt"
	is "$(where plain.txt)|$(where plain2.txt)" "|0" "$fs: the name moved on tier 0"
	is "$(ino plain2.txt):$(cat "$mnt/plain2.txt")" "$i:plain" "$fs: same st_ino and contents"

	# --- a tier-2 file into a directory whose canonical copy is tier 0 -
	i=$(ino data/f2.txt)
	run_ok "$fs: rename a tier-2 file into a tier-0 directory" -- \
		mv "$mnt/data/f2.txt" "$mnt/canon/moved.txt"
	is "$(where data/f2.txt)|$(where canon/moved.txt)" "|2" \
		"$fs: renamed on tier 2 (no copy), old name gone everywhere"
	is "$(ino canon/moved.txt):$(cat "$mnt/canon/moved.txt")" "$i:two" "$fs: same st_ino and contents"
	is "$(ls "$mnt/canon" | tr '\n' ' ')|$(ls "$mnt/data" | tr '\n' ' ')" "moved.txt |" \
		"$fs: the listings agree"

	# --- replace a target on another tier ----------------------------
	i=$(ino src1.txt)
	run_ok "$fs: rename a tier-1 file over a tier-0 file" -- mv "$mnt/src1.txt" "$mnt/tgt0.txt"
	is "$(where src1.txt)|$(where tgt0.txt)" "|1" "$fs: the old target is gone from tier 0"
	is "$(ino tgt0.txt):$(cat "$mnt/tgt0.txt")" "$i:src1" "$fs: the name shows the source"
	is "$(ls "$mnt" | grep -c '^tgt0.txt$')" 1 "$fs: one visible copy"

	# --- open files across a rename -----------------------------------
	echo kept >"$mnt/open-src.txt" && echo replaced >"$mnt/open-tgt.txt"
	exec 3<"$mnt/open-src.txt" 4<"$mnt/open-tgt.txt"
	mv "$mnt/open-src.txt" "$mnt/data/open-moved.txt"
	mv "$mnt/data/open-moved.txt" "$mnt/open-tgt.txt"
	is "$(cat <&3)|$(cat <&4)|$(cat "$mnt/open-tgt.txt")" "kept|replaced|kept" \
		"$fs: open files read on across renames, the replaced one too"
	exec 3<&- 4<&-

	# --- renaming one name of a hard-linked file ------------------------
	echo h >"$mnt/hl1" && ln "$mnt/hl1" "$mnt/canon/hl2"
	run_ok "$fs: rename one name of a hard-linked file" -- mv "$mnt/hl1" "$mnt/data/hl3"
	rm "$mnt/canon/hl2"
	is "$(where hl1)|$(where data/hl3)|$(cat "$mnt/data/hl3")|$(stat -c %h "$mnt/data/hl3")" "|0|h|1" \
		"$fs: the other name unlinks, the renamed one stays"

	# --- a name on two tiers (a shadowed duplicate) replaced ----------
	echo fresh >"$mnt/fresh.txt"
	run_ok "$fs: rename over a name that exists on tiers 1 and 2" -- mv "$mnt/fresh.txt" "$mnt/dup.txt"
	is "$(where dup.txt)|$(cat "$mnt/dup.txt")" "0|fresh" \
		"$fs: both old copies are gone, the new one is visible"

	# A duplicate shadowed at the old name is another object: it stays.
	run_ok "$fs: rename a name that a slower tier also holds" -- mv "$mnt/dup2.txt" "$mnt/dup3.txt"
	is "$(where dup3.txt)|$(where dup2.txt)|$(cat "$mnt/dup3.txt")|$(cat "$mnt/dup2.txt")" "0|2|fast|slow" \
		"$fs: the shadowed duplicate shows through at the old name"

	# --- directory rename, rolled back on a failure part-way ----------
	run_fails "File exists" "$fs: a directory rename that fails on its third tier" -- \
		rn none "$mnt/spread" "$mnt/blocker/spread"
	is "$(where spread)|$(where blocker/spread)" "0 1 2|" "$fs: the tiers already done are rolled back"
	is "$(ls "$mnt/spread" | tr '\n' ' ')" "a b c sub " "$fs: and the directory is intact"

	# --- directory rename across three tiers --------------------------
	i=$(ino spread)
	run_ok "$fs: rename a directory with copies on three tiers into another directory" -- \
		mv "$mnt/spread" "$mnt/canon/spread2"
	is "$(where spread)|$(where canon/spread2)" "|0 1 2" "$fs: every copy renamed"
	is "$(where canon/spread2/a)|$(where canon/spread2/b)|$(where canon/spread2/c)|$(where canon/spread2/sub/deep.txt)" \
		"0|1|2|1" "$fs: the entries stay on their tiers"
	is "$(ls "$mnt/canon/spread2" | tr '\n' ' ')" "a b c sub " "$fs: the renamed directory lists"
	is "$(cat "$mnt/canon/spread2/a" "$mnt/canon/spread2/b" "$mnt/canon/spread2/c" \
		"$mnt/canon/spread2/sub/deep.txt" | tr '\n' ' ')" "a b c deep " "$fs: and every file reads"
	is "$(ino canon/spread2)" "$i" "$fs: the directory keeps its st_ino"
	is "$(stat -c '%u:%g %a' /t1/canon)" "1000:1000 750" "$fs: the new parent was materialised on tier 1"

	# --- a directory over an empty directory --------------------------
	i=$(ino dsrc)
	run_ok "$fs: rename a tier-1 directory over an empty directory on tiers 0 and 2" -- \
		mv -T "$mnt/dsrc" "$mnt/emptyA"
	is "$(where dsrc)|$(where emptyA)|$(cat "$mnt/emptyA/in.txt")" "|1|inside" \
		"$fs: every copy of the replaced directory is gone"
	is "$(ino emptyA)" "$i" "$fs: the name is the source directory"
	mkdir "$mnt/dsrc2"
	run_fails "Directory not empty" "$fs: ENOTEMPTY when the target has entries on another tier" -- \
		rn none "$mnt/dsrc2" "$mnt/full"
	is "$(where dsrc2)|$(where full)|$(where full/x)" "0|1 2|2" "$fs: and nothing changed"

	# --- rmdir of a directory with copies on two tiers ---------------
	run_ok "$fs: rmdir of a directory on two tiers" -- rmdir "$mnt/emptyB"
	is "$(where emptyB)" "" "$fs: both copies are gone"

	# --- RENAME_NOREPLACE ---------------------------------------------
	run_fails "File exists" "$fs: RENAME_NOREPLACE onto a name on another tier" -- \
		rn noreplace "$mnt/plain2.txt" "$mnt/xa"
	run_fails "File exists" "$fs: RENAME_NOREPLACE onto a name on a slower tier" -- \
		rn noreplace "$mnt/xa" "$mnt/yb"
	is "$(where plain2.txt)|$(where xa)|$(where yb)|$(cat "$mnt/xa")" "0|0|2|X" "$fs: and nothing changed"
	run_ok "$fs: RENAME_NOREPLACE onto a free name" -- rn noreplace "$mnt/plain2.txt" "$mnt/plain3.txt"
	is "$(where plain2.txt)|$(where plain3.txt)" "|0" "$fs: and it renames"

	# --- RENAME_EXCHANGE ----------------------------------------------
	i="$(ino xa) $(ino yb)"
	run_ok "$fs: exchange a tier-0 file and a tier-2 file" -- rn exchange "$mnt/xa" "$mnt/yb"
	is "$(where xa)|$(where yb)" "2|0" "$fs: each object keeps its tier"
	is "$(cat "$mnt/xa")$(cat "$mnt/yb")|$(ino yb) $(ino xa)" "YX|$i" "$fs: contents and st_ino swapped"
	i="$(ino file1) $(ino dir02)"
	run_ok "$fs: exchange a tier-1 file and a directory on tiers 0 and 2" -- \
		rn exchange "$mnt/file1" "$mnt/dir02"
	is "$(where file1)|$(where dir02)" "0 2|1" "$fs: every copy of the directory was renamed"
	is "$(ls "$mnt/file1" | tr '\n' ' ')|$(cat "$mnt/dir02")|$(ino dir02) $(ino file1)" "d0 d2 |F|$i" \
		"$fs: the directory lists under the file's old name"
	run_ok "$fs: exchange same-tier objects" -- rn exchange "$mnt/plain3.txt" "$mnt/dup.txt"
	is "$(cat "$mnt/plain3.txt")$(cat "$mnt/dup.txt")|$(where plain3.txt)|$(where dup.txt)" "freshplain|0|0" \
		"$fs: swapped"

	# --- errors ---------------------------------------------------------
	run_fails "Invalid argument" "$fs: RENAME_WHITEOUT is EINVAL" -- rn whiteout "$mnt/xa" "$mnt/wo"
	is "$(where xa)|$(where wo)" "2|" "$fs: and nothing changed"
	run_fails "No such file or directory" "$fs: ENOENT for a missing source" -- \
		rn none "$mnt/nothing" "$mnt/else"
	run_fails "Is a directory" "$fs: EISDIR for a file over a directory" -- rn none "$mnt/xa" "$mnt/canon"
	run_fails "Not a directory" "$fs: ENOTDIR for a directory over a file" -- rn none "$mnt/canon" "$mnt/xa"
	run_fails "Operation not permitted" "$fs: nothing can be renamed to .smoothfs at the top" -- \
		rn none "$mnt/xa" "$mnt/.smoothfs"
	run_fails "Invalid argument" "$fs: a directory cannot move into its own subtree" -- \
		rn none "$mnt/canon" "$mnt/canon/spread2/inner"
	is "$(where xa)|$(where canon)|$(where canon/spread2/inner)" "2|0 1 2|" \
		"$fs: and nothing changed"

	# --- an unprivileged user in a sticky directory --------------------
	run_ok "$fs: a user renames their own tier-2 file in a sticky directory" -- \
		setpriv --reuid=1000 --regid=1000 --clear-groups mv "$mnt/sticky/old.txt" "$mnt/sticky/new.txt"
	is "$(where sticky/old.txt)|$(where sticky/new.txt)|$(stat -c %u /t2/sticky/new.txt)" "|2|1000" \
		"$fs: renamed on its tier, owner kept"
	run_fails "Operation not permitted" "$fs: but not root's file" -- \
		setpriv --reuid=1000 --regid=1000 --clear-groups mv "$mnt/sticky/root.txt" "$mnt/sticky/r2.txt"
	is "$(where sticky/root.txt)|$(where sticky/r2.txt)" "0|" "$fs: which stays"
	run_fails "Operation not permitted" "$fs: nor rename over root's file" -- \
		setpriv --reuid=1000 --regid=1000 --clear-groups "$SMOOTHFS_BUILD/vm-progs/renameat2" none \
		"$mnt/sticky/new.txt" "$mnt/sticky/root.txt"
	is "$(where sticky/new.txt)|$(cat "$mnt/sticky/root.txt")" "2|root" "$fs: and nothing changed"

	# --- after a remount -------------------------------------------------
	i="$(ino canon/moved.txt) $(ino tgt0.txt) $(ino canon/spread2) $(ino emptyA)"
	umount "$mnt"
	mount -t smoothfs -o "pool=tank,uuid=$uuid,tiers=/t0:/t1:/t2" none "$mnt"
	is "$(ino canon/moved.txt) $(ino tgt0.txt) $(ino canon/spread2) $(ino emptyA)" "$i" \
		"$fs: st_ino is the same after a remount"
	is "$(cat "$mnt/canon/moved.txt" "$mnt/tgt0.txt" "$mnt/emptyA/in.txt" | tr '\n' ' ')" "two src1 inside " \
		"$fs: and so are the contents"
	umount "$mnt"
}

