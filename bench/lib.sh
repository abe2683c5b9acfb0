# shellcheck shell=bash
# Shared by bench/run*: sourced, with $src set.
# shellcheck disable=SC2154,SC2034  # src and kver come from, rc goes to, the caller

# bench_boot LOG ARG...: boot the test VM (tests/vm/run ARG...) with its
# output in LOG; sets rc to its exit status.  With BENCH_TABLES_ONLY set
# (bench/report --tables), nothing boots: the tables are made again from
# the last run's LOG.
bench_boot() {
	local log=$1
	shift
	if [ -n "${BENCH_TABLES_ONLY:-}" ]; then
		[ -s "$log" ] || { echo "bench: no earlier run in $log" >&2; exit 1; }
		rc=0
		return
	fi
	set +e
	"$src/tests/vm/run" "$@" >"$log" 2>&1
	rc=$?
	set -e
}

# bench_tables_begin JOBDIR LOG RAW: stdout to JOBDIR/report.md (for
# bench/report; bench_tables_end ends it), headed by the kernel, the host,
# when the run (LOG) ended and its bench-info lines (from RAW, or LOG).
bench_tables_begin() {
	local cpu
	exec 3>&1 >"$1/report.md"
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	echo "Kernel $kver (QEMU TCG guest), host $(hostname) ($cpu, $(nproc) CPUs)," \
		"$(date -u -r "$2" '+%Y-%m-%d %H:%M UTC')."
	echo
	sed -n 's/^ *# bench-info: /    /p' "$3"
}

# bench_tables_end JOBDIR: stdout back from JOBDIR/report.md (where the
# tables went) and the tables shown; a failed run's are kept aside as
# report-failed.md, so that bench/report never publishes them.
bench_tables_end() {
	exec >&3 3>&-
	cat "$1/report.md"
	rm -f "$1/report-failed.md"
	[ "$rc" -eq 0 ] || mv "$1/report.md" "$1/report-failed.md"
}

# bench_raw LOG RAW: the run's "# bench...:" lines into RAW (and a copy
# to BENCH_OUT if set); on a failed run, the failures to stderr.
bench_raw() {
	sed -n 's/^ *\(# bench[a-z-]*: .*\)/\1/p' "$1" >"$2"
	[ -z "${BENCH_OUT:-}" ] || cp "$2" "$BENCH_OUT"
	if [ "$rc" -ne 0 ]; then
		echo "bench: the VM run failed (log: $1)" >&2
		grep -E '^ *(not ok|#   )' "$1" | head -n 40 >&2 || true
	fi
}
