#!/bin/bash
# libsmoothfs's netlink client against the real module: open before and
# after insmod, every command failing cleanly with the kernel's errno,
# argument validation without a round trip, subscription as root and as
# an unprivileged user, receive timeouts, and rmmod with a client open.
# tests/vm/prog/client-check.c does the work, one phase per run; its
# results are renumbered into this test's TAP.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

prog=$SMOOTHFS_BUILD/vm-progs/client-check
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# res STATUS DESCRIPTION: a result, printed once the plan is known.
res() { printf '%s %s\n' "$1" "$2" >>"$body"; }
note() { printf 'C # %s\n' "$*" >>"$body"; }

# phase NAME CMD...: run one client-check phase; its results become ours,
# plus one for "it exited 0 after as many results as it planned".
phase() {
	local name=$1 out status planned ran line
	shift
	out=$("$@" 2>&1)
	status=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) res 0 "$name: ${line#ok * - }" ;;
		"not ok "*) res 1 "$name: ${line#not ok * - }" ;;
		"#"*) printf 'C %s\n' "$line" >>"$body" ;;
		esac
	done <<<"$out"
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' <<<"$out")
	ran=$(grep -cE '^(not )?ok ' <<<"$out")
	[ "$status" -eq 0 ] && [ -n "$planned" ] && [ "$planned" -eq "$ran" ]
	res $? "$name: client-check exited 0 after all its results (status $status, $ran of ${planned:-?})"
	if [ "$status" -ne 0 ]; then
		while IFS= read -r line; do note "$name output: $line"; done <<<"$out"
	fi
}

loaded() { grep -qw '^smoothfs' /proc/modules; }

if [ ! -x "$prog" ]; then
	echo "1..1"
	echo "not ok 1 - $prog is not built (make vm-progs)"
	exit 0
fi

unload_smoothfs
! loaded
res $? "the module is not loaded at the start"
phase notloaded "$prog" notloaded

insmod "$SMOOTHFS_KO"
res $? "insmod"
phase loaded "$prog" loaded
phase unpriv setpriv --reuid=65534 --regid=65534 --clear-groups "$prog" unpriv
phase rmmod "$prog" rmmod
! loaded
res $? "the module is gone after the rmmod phase"

# Once more: load, check, unload (nothing left behind by the first round).
insmod "$SMOOTHFS_KO"
res $? "insmod again"
phase loaded-again "$prog" loaded
rmmod smoothfs
res $? "rmmod again"
phase notloaded-again "$prog" notloaded

plan "$(grep -c '^[01] ' "$body")"
while IFS= read -r line; do
	case $line in
	"C "*) printf '%s\n' "${line#C }" ;;
	*) ok "${line%% *}" "${line#* }" ;;
	esac
done <"$body"
