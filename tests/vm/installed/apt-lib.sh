# apt and busctl for the installed tests (installed.t, upgrade.t).  Source
# after lib.sh with apt_log set to the log's file name: apt's output goes
# there, kept with the run's results when the run keeps any.

log=/run/$apt_log
[ -d /run/smoothfs-vm ] && [ -w /run/smoothfs-vm ] && log=/run/smoothfs-vm/$apt_log

bc() { busctl --system --timeout=120 "$@"; }

apt_get() {
	echo "### $(date +%T) apt-get $*" >>"$log"
	DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confold "$@" >>"$log" 2>&1
}

show_log() { tail -n 30 "$log" | sed 's/^/#   apt: /'; }
