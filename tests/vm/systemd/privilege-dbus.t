#!/bin/bash
# vm-timeout: 600
# smoothfsd's privilege boundary, with systemd as PID 1 and the real
# polkitd: every mutating method of Manager and Pool (CreatePool,
# Destroy, Quiesce, Reconcile, Move, Pin, SetPolicy) is refused to an
# unprivileged caller, with and without interactive authorisation, and
# changes nothing (pools, units, policy, state, tier data, pins, the
# kernel's quiesce state), and Inspect answers it only for what it may
# look up.  A user granted manage-movement by a polkit rule may use
# exactly that action.  Then, as root (authorised), a path argument
# of Move, Pin and Inspect cannot leave the pool: "..", absolute paths
# outside, symlinks out of the pool (absolute, into a tier, final
# component), the tiers themselves, .smoothfs, a name that only starts
# with the mountpoint, and mounts inside the pool (a tmpfs, and another
# pool bind-mounted inside it).
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

root=/srv/smoothfsd-priv
t0=$root/fast
t1=$root/slow
o0=$root/other0
o1=$root/other1
mnt=/mnt/smoothfs/tank
omnt=/mnt/smoothfs/other
obj=/org/smoothfs1/pool/tank
pif=org.smoothfs1.Pool
bc() { busctl --system --timeout=240 "$@"; }
nob() { runuser -u nobody -- busctl --system --timeout=120 "$@"; }

plan 41

t_start=$(date +%s)
step() { echo "# +$(($(date +%s) - t_start))s: $*"; }

load_smoothfs
install_bus_policy
start_smoothfsd /run/smoothfsd-priv.db /run/smoothfsd-priv.log
pid=$smoothfsd_pid
mkdir -p "$t0" "$t1" "$o0" "$o1"
for d in "$t0" "$t1" "$o0" "$o1"; do mount -t tmpfs tmpfs "$d"; done
out=$(bc call org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager CreatePool 'sasa{sv}' \
	tank 2 "$t0" "$t1" 0 2>&1)
is "$out" "o \"$obj\"" "root creates pool tank"
# A second pool, mounted by hand (CreatePool takes the guest half a minute).
mkdir -p "$omnt"
mount -t smoothfs -o "pool=other,uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4d02,tiers=$o0:$o1" none "$omnt"
ok $? "and pool other"

echo data >"$mnt/file"
mkdir "$mnt/dir"
echo inner >"$mnt/dir/inner"
mkdir -m 700 "$mnt/private"
echo hidden >"$mnt/private/secret"
echo theirs >"$omnt/ofile"
ln -s /etc/passwd "$mnt/abs"
ln -s /etc "$mnt/escape"
ln -s "$t0/file" "$mnt/tierlink"
ln -s ../../../../etc "$mnt/dir/up"
ln -s file "$mnt/rel"

snapshot() {
	# Few processes: each costs a lot in a loaded TCG guest.
	find "$t0" "$t1" "$o0" "$o1" -printf '%p %y %s %m %u:%g %i\n' | sort
	getfattr -R -h -e hex -d -m - "$t0" "$t1" "$o0" "$o1" 2>/dev/null
	ls /etc/systemd/system/*.mount
	findmnt -rn -t smoothfs -o TARGET,OPTIONS
	bc get-property org.smoothfs1 $obj $pif State Policy MovesCompleted MovesFailed
	bc call org.smoothfs1 /org/smoothfs1 org.smoothfs1.Manager ListPools
	getfattr -h -d -m - /etc/passwd 2>&1
}
before=$(snapshot)
unchanged() { is_unchanged "$before" "$(snapshot)" "$1: nothing changed"; }

step "unprivileged callers"
# --- unprivileged callers ------------------------------------------------
# calls.py USER: one D-Bus call per stdin line "DESC|PATH|IFACE|METHOD|SIG|JSON-ARGS|INTERACTIVE",
# printing "DESC|ok|RESULT" or "DESC|ERROR-NAME|MESSAGE": one process for
# many calls (a busctl per call is too slow for the guest).
cat >/run/calls.py <<'EOF'
import json, sys
from gi.repository import Gio, GLib
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
def gv(x):
    if isinstance(x, dict) and '$v' in x:
        return GLib.Variant(x['$v'], gv(x['value']))
    if isinstance(x, dict):
        return {k: gv(v) for k, v in x.items()}
    if isinstance(x, list):
        return [gv(v) for v in x]
    return x
for line in sys.stdin:
    desc, path, iface, method, sig, args, inter = line.rstrip('\n').split('|')
    flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION if inter == '1' else Gio.DBusCallFlags.NONE
    params = GLib.Variant(sig, tuple(gv(a) for a in json.loads(args))) if sig != '()' else None
    try:
        r = bus.call_sync('org.smoothfs1', path, iface, method, params, None, flags, 120000, None)
        print('%s|ok|%s' % (desc, r.unpack() if r is not None else ''))
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e) or ''
        Gio.DBusError.strip_remote_error(e)
        print('%s|%s|%s' % (desc, name, e.message))
    sys.stdout.flush()
EOF
chmod 644 /run/calls.py
mp=org.smoothfs1.manage-pools
mm=org.smoothfs1.manage-movement
M="/org/smoothfs1|org.smoothfs1.Manager"
P="$obj|$pif"
F="\"$mnt/file\""
out=$(for i in 0 1; do cat <<EOF
CreatePool/$i|$M|CreatePool|(sasa{sv})|["evil", ["$o0", "$o1"], {}]|$i
Destroy/$i|$P|Destroy|(a{sv})|[{}]|$i
Quiesce/$i|$P|Quiesce|(a{sv})|[{}]|$i
Reconcile/$i|$P|Reconcile|(sa{sv})|["because", {}]|$i
Move/$i|$P|Move|(sya{sv})|[$F, 1, {}]|$i
Move-force/$i|$P|Move|(sya{sv})|[$F, 1, {"force": {"\$v": "b", "value": true}}]|$i
Move-missing/$i|$P|Move|(sya{sv})|["$mnt/private/missing", 1, {}]|$i
Pin-missing/$i|$P|Pin|(ss)|["$mnt/private/missing", "pin_cold"]|$i
Pin/$i|$P|Pin|(ss)|[$F, "pin_cold"]|$i
SetPolicy/$i|$P|SetPolicy|(a{sv})|[{"target_fill": {"\$v": "y", "value": 10}}]|$i
EOF
done | runuser -u nobody -- python3 /run/calls.py 2>&1)
printf '%s\n' "$out" | sed 's/^/# /'
for m in CreatePool:$mp Destroy:$mp Quiesce:$mm Reconcile:$mm Move:$mm Move-force:$mm Pin:$mm \
	SetPolicy:$mm Move-missing:$mm Pin-missing:$mm; do
	n=$(printf '%s\n' "$out" | grep -cE "^${m%%:*}/[01]\|org.freedesktop.DBus.Error.(InteractiveAuthorizationRequired|AccessDenied)\|.*${m#*:} (needs authentication|is not allowed)$")
	is "$n" 2 "nobody: ${m%%:*}: refused naming ${m#*:}, with and without interaction"
done
unchanged "unprivileged calls"
out=$(nob call org.smoothfs1 $obj $pif Inspect s "$mnt/file" 2>&1)
printf '%s' "$out" | grep -q '"tier" y 0'
ok $? "nobody may Inspect (a read)"
# ... but only what nobody may look up: a file in root's 0700 directory
# and a missing name there give the same refusal, so the daemon is no
# oracle for what lies behind permissions nobody lacks.
out=$(for n in secret missing; do
	printf 'Inspect-%s|%s|Inspect|(s)|["%s"]|0\n' "$n" "$P" "$mnt/private/$n"
done | runuser -u nobody -- python3 /run/calls.py 2>&1)
a=$(printf '%s\n' "$out" | grep '^Inspect-secret|')
b=$(printf '%s\n' "$out" | grep '^Inspect-missing|')
printf '%s' "$a" | grep -q '|org.freedesktop.DBus.Error.AccessDenied|.*Permission denied$'
ok $? "nobody cannot Inspect behind a directory it may not search ($a)"
is "${b//missing/secret}" "$a" "nor learn whether a name exists there"
# The kernel was not quiesced either: root moves the file and back.
out=$(bc call org.smoothfs1 $obj $pif Move 'sya{sv}' "$mnt/dir/inner" 1 0 2>&1) &&
	[ -f "$t1/dir/inner" ] && [ ! -e "$t0/dir/inner" ]
ok $? "root still moves files ($out)"
before=$(snapshot)

step "escapes"
# --- path arguments that leave the pool ------------------------------------
# escapes "PATH=DESCRIPTION"...: Move, Pin and Inspect of each PATH fail,
# as root (authorised without polkit).
escapes() {
	local a path desc out
	out=$(for a in "$@"; do
		path=${a%%=*}
		printf '%s|%s|Move|(sya{sv})|["%s", 1, {}]|0\n' "move $path" "$P" "$path"
		printf '%s|%s|Pin|(ss)|["%s", "pin_cold"]|0\n' "pin $path" "$P" "$path"
		printf '%s|%s|Inspect|(s)|["%s"]|0\n' "inspect $path" "$P" "$path"
	done | python3 /run/calls.py 2>&1)
	for a in "$@"; do
		path=${a%%=*}
		desc=${a#*=}
		if printf '%s\n' "$out" | grep -F -- " $path|" | grep -q '|ok|' ||
			[ "$(printf '%s\n' "$out" | grep -cF -- " $path|")" != 3 ]; then
			ok 1 "$desc: refused"
			printf '%s\n' "$out" | grep -F -- " $path|" | sed 's/^/# /'
		else
			ok 0 "$desc: refused"
			printf '%s\n' "$out" | grep -F -- "move $path|" | cut -d'|' -f3 | sed 's/^/# /'
		fi
	done
}
escapes "$mnt/../../../etc/passwd=\"..\" out of the pool" \
	"$mnt/dir/../../tank/../../../etc/passwd=\"..\" in the middle" \
	"/etc/passwd=an absolute path outside" \
	"$t0/file=the file on its tier" \
	"$mnt/escape/passwd=through a symlink to /etc" \
	"$mnt/abs=a symlink to /etc/passwd" \
	"$mnt/tierlink=a symlink into the tier" \
	"$mnt/dir/up/passwd=through a relative symlink out of the pool" \
	"$mnt/rel=a symlink inside the pool (final component)" \
	"${mnt}x/file=a path that only starts with the mountpoint" \
	"$mnt/.smoothfs/journal=the metadata directory" \
	"$omnt/ofile=a file of the other pool"
unchanged "escapes"

step "mounts inside"
# Mounts inside the pool: a tmpfs, and the other pool bound into it.
mkdir "$mnt/dir/tmp" "$mnt/dir/nested"
mount -t tmpfs tmpfs "$mnt/dir/tmp" && echo x >"$mnt/dir/tmp/f"
mount --bind "$omnt" "$mnt/dir/nested"
ok $? "a tmpfs and the other pool are mounted inside tank"
before=$(snapshot)
escapes "$mnt/dir/tmp/f=a file on a tmpfs mounted inside the pool" \
	"$mnt/dir/nested/ofile=a file of the other pool bound inside this one"
unchanged "mounts inside the pool"
umount "$mnt/dir/nested" "$mnt/dir/tmp"

out=$(bc call org.smoothfs1 $obj $pif Pin ss "$mnt/dir/inner" pin_cold 2>&1)
is "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$mnt/dir/inner" 2>&1)" pin_cold \
	"a path inside the pool still works ($out)"

step "an authorised user"
# A polkit rule grants manage-movement to one unprivileged user (as an
# operator would for a NAS UI's account): the real polkitd now says yes
# to it, and only for that action.
id smoothop >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin smoothop
rules=/etc/polkit-1/rules.d/50-smoothfs-test.rules
cat >"$rules" <<'EOF'
polkit.addRule(function(action, subject) {
	if (action.id == "org.smoothfs1.manage-movement" && subject.user == "smoothop")
		return polkit.Result.YES;
});
EOF
# polkitd rereads rules.d when it changes; wait until it answers yes.
for i in $(seq 60); do
	runuser -u smoothop -- sh -c 'exec pkcheck --action-id org.smoothfs1.manage-movement --process $$' \
		>/dev/null 2>&1 && break
	sleep 1
done
sop() { runuser -u smoothop -- busctl --system --timeout=120 "$@"; }
out=$(sop call org.smoothfs1 $obj $pif SetPolicy 'a{sv}' 1 target_fill y 33 2>&1)
bc get-property org.smoothfs1 $obj $pif Policy | grep -q '"target_fill" y 33'
ok $? "smoothop, authorised by a rule, may SetPolicy ($out)"
out=$(sop call org.smoothfs1 $obj $pif Pin ss "$mnt/dir/inner" pin_hot 2>&1)
is "$(getfattr --absolute-names --only-values -n trusted.smoothfs.pin "$mnt/dir/inner" 2>&1)" pin_hot \
	"and Pin ($out)"
out=$(sop call org.smoothfs1 $obj $pif Move 'sya{sv}' "$mnt/private/missing" 0 0 2>&1)
printf '%s' "$out" | grep -q 'does not exist'
ok $? "and, authorised, learns what a Move path is ($out)"
out=$(sop --allow-interactive-authorization=no call org.smoothfs1 $obj $pif Destroy 'a{sv}' 0 2>&1)
printf '%s' "$out" | grep -qE "org.smoothfs1.manage-pools (is not allowed|needs authentication)"
ok $? "but not Destroy, another action ($out)"
rm -f "$rules"

step "systemd-analyze"
# The unit's hardening, for the record (docs/reliability.md): the score
# must not get worse than it was when the exposures were reviewed.
out=$(systemd-analyze security --offline=true --threshold=50 --no-pager \
	"$SMOOTHFS_SRC/units/smoothfsd.service" 2>&1)
status=$?
printf '%s\n' "$out" | grep -E '^✗|Overall' | sed 's/^/# /'
ok $status "systemd-analyze security: $(printf '%s' "$out" | sed -n 's/.*exposure level for smoothfsd.service: //p')"

# The next test in this boot gets no pool, unit or mountpoint of ours.
bc call org.smoothfs1 $obj $pif Destroy a{sv} 0 >/dev/null
kill "$pid"
wait "$pid"
ok $? "smoothfsd exits cleanly"
umount "$omnt"
