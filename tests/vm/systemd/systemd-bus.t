#!/bin/bash
# The systemd boot mode works: systemd is PID 1, the guest's system bus
# answers, and polkitd is activated on it and answers CheckAuthorization.
. "$SMOOTHFS_SRC/tests/vm/lib.sh"

plan 4

is "$(ps -o comm= -p 1)" systemd "systemd is PID 1"

id=$(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus \
	org.freedesktop.DBus GetId 2>&1)
printf '%s\n' "$id" | grep -qE '^s "[0-9a-f]{32}"$'
ok $? "the system bus answers GetId ($id)"

ver=$(busctl --system get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 \
	org.freedesktop.systemd1.Manager Version 2>&1)
printf '%s\n' "$ver" | grep -qE '^s "[0-9]+'
ok $? "systemd answers on the bus ($ver)"

# Bus activation of polkitd, then a check for this (root) process, which
# polkit always authorises.
auth=$(busctl --system call org.freedesktop.PolicyKit1 \
	/org/freedesktop/PolicyKit1/Authority org.freedesktop.PolicyKit1.Authority \
	CheckAuthorization '(sa{sv})sa{ss}us' unix-process 2 pid u $$ start-time t 0 \
	org.freedesktop.policykit.exec 0 0 "" 2>&1)
is "$auth" "(bba{ss}) true false 0" "polkitd is activated and authorises root"
