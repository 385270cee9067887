#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# lib.sh — shared by the appliance lab tests: skip rules, the check helper
# and the closing line. Source it, then tools/lab/appliance.sh.

t_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
t_pass=0
t_fail=0

# Skip (exit 77) unless we are root with network namespaces and a daemon.
t_require() {
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
	ip netns list >/dev/null 2>&1 || { echo "SKIP: no network namespaces"; exit 77; }
	[ -x "${LAB_BUILD:-$t_top/build}/app/smtpdlp" ] || { echo "SKIP: smtpdlp not built"; exit 77; }
}

# t_check NAME COMMAND...: run COMMAND, count and print the outcome.
t_check() {
	local name=$1
	shift
	if "$@"; then
		t_pass=$((t_pass + 1))
		echo "ok   - $name"
	else
		t_fail=$((t_fail + 1))
		echo "FAIL - $name"
	fi
}

# t_done: print the closing line and exit with the outcome.
t_done() {
	echo "$t_pass passed, $t_fail failed"
	[ "$t_fail" -eq 0 ]
}

# Wait until COMMAND succeeds, at most SECONDS (polled every 0.25 s).
wait_for() { # seconds command...
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 4; i++)); do
		"$@" && return 0
		sleep 0.25
	done
	return 1
}

# Count delivered messages in the upstream maildir whose headers match a regex.
t_delivered() { # regex
	grep -lE "$1" "$LAB_DIR"/upstream/mail/sink/new/* 2>/dev/null | wc -l
}
export -f t_delivered

# Wait until at least N messages match (Postfix delivers asynchronously).
t_delivered_at_least() { [ "$(t_delivered "$1")" -ge "$2" ]; }
t_wait_delivered() { # regex n seconds
	wait_for "$3" t_delivered_at_least "$1" "$2" && return 0
	echo "  only $(t_delivered "$1") of $2 messages matching '$1' arrived" >&2
	return 1
}
