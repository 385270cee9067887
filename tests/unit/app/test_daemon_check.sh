#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_daemon_check.sh SMTPDLP — `smtpdlp --check`: the example configs pass;
# broken configs fail with exit 2 and a "file:line: setting: what" message,
# without touching DPDK or the network.
set -uo pipefail
bin=$1
src=${SMTPDLP_SOURCE_ROOT:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, then a command
	local name=$1
	shift
	if "$@"; then pass=$((pass + 1)); echo "ok   - $name"; else fail=$((fail + 1)); echo "FAIL - $name"; fi
}
expect_error() { # name, config text, expected message regex
	printf '%s\n' "$2" >"$tmp/t.conf"
	local out rc
	out=$("$bin" --check -c "$tmp/t.conf" 2>&1)
	rc=$?
	check "$1: exit 2" [ "$rc" -eq 2 ]
	check "$1: message" grep -qE "$3" <<<"$out"
}

for f in seed.conf pci.conf; do
	check "--check $f" bash -c "'$bin' --check -c '$src/config/examples/$f' 2>/dev/null | grep -q 'configuration OK'"
done
check "--version" bash -c "'$bin' --version | grep -q '^smtpdlp '"
check "no -c: usage, exit 2" bash -c "'$bin' >/dev/null 2>&1; [ \$? -eq 2 ]"
check "missing file: exit 2" bash -c "'$bin' --check -c '$tmp/none.conf' >/dev/null 2>&1; [ \$? -eq 2 ]"

expect_error "unknown key" 'dlp: { colour = "red"; };' 't\.conf:1: dlp\.colour: unknown setting'
expect_error "bad regex" 'dlp: { entities = ( { name = "x"; type = "regex"; pattern = "a(b"; } );
 rules = ( { name = "r"; match = "x"; count = "total"; severity = { low = 1; }; } );
 profiles = ( { name = "p"; rules = [ "r" ]; } ); };
policies = ( { name = "P"; profiles = [ "p" ]; action = "alert"; } );' \
	't\.conf:1: dlp\.entities\.x: pattern rejected'
expect_error "unknown entity in a rule" 'dlp: { entities = ( { name = "x"; type = "identifier"; identifier = "iban"; } );
 rules = ( { name = "r"; match = "x AND nosuch"; count = "total"; severity = { low = 1; }; } );
 profiles = ( { name = "p"; rules = [ "r" ]; } ); };
policies = ( { name = "P"; profiles = [ "p" ]; action = "alert"; } );' \
	't\.conf:2: dlp\.rules\.'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
