#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# scan_cli.sh SMTPDLP-SCAN — end-to-end checks of the offline scanner's
# command line: mbox splitting and ">From " unquoting, stdin, --to/--from,
# --explain, JSON validity for hostile bytes, and the exit statuses
# (0 no policy, 1 a policy matched, 2 error with file:line on stderr).
set -u
scan=$1
root=${SMTPDLP_SOURCE_ROOT:-.}
g=$root/tests/golden
conf=$g/golden.conf
cli=$g/cli
tmp=${TMPDIR:-/tmp}/scan_cli.$$
fails=0
trap 'rm -f "$tmp".*' EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_rc() { # want got what
	[ "$1" = "$2" ] || fail "$3: exit $2, want $1"
}

# 1. mbox: three messages, one JSON line each, policies in order, exit 1
"$scan" -c "$conf" "$cli/three.mbox" >"$tmp.out" 2>"$tmp.err"
expect_rc 1 $? "mbox"
[ "$(wc -l <"$tmp.out")" -eq 3 ] || fail "mbox: want 3 lines, got $(wc -l <"$tmp.out")"
sed -n 1p "$tmp.out" | grep -q '"message":1,"policy":"Customer email Hold"' || fail "mbox msg 1"
sed -n 2p "$tmp.out" | grep -q '"message":2,"policy":null' || fail "mbox msg 2"
sed -n 3p "$tmp.out" | grep -q '"message":3,"policy":"Block card numbers","action":"block"' ||
	fail "mbox msg 3"
# ">From " unquoted: message 1 is fed without the '>' (the raw size says so)
want=$(awk 'NR>=2 && NR<=8' "$cli/three.mbox" | wc -c)
want=$((want - 1))
sed -n 1p "$tmp.out" | grep -q "\"raw_bytes\":$want," || fail "mbox: >From not unquoted (want raw_bytes $want)"

# 2. clean message: exit 0; from stdin as well
"$scan" -c "$conf" "$cli/clean.eml" >"$tmp.out" 2>&1
expect_rc 0 $? "clean"
"$scan" -c "$conf" - <"$g/02-seed-low.eml" >"$tmp.out" 2>&1
expect_rc 1 $? "stdin"
grep -q '"file":"-"' "$tmp.out" || fail "stdin: file name"

# 3. --to overrides the headers: internal recipient, no hold
"$scan" -c "$conf" --to "bob@corp.example, ops@mail.corp.example" "$g/02-seed-low.eml" >"$tmp.out"
expect_rc 0 $? "--to internal"
grep -q '"rcpts":\["bob@corp.example","ops@mail.corp.example"\]' "$tmp.out" || fail "--to list"
"$scan" -c "$conf" --from x@other.example "$g/02-seed-low.eml" >"$tmp.out"
expect_rc 0 $? "--from outside corp"

# 4. --explain is for people
"$scan" -c "$conf" --explain "$g/03-seed-all-four.eml" >"$tmp.out"
expect_rc 1 $? "--explain"
grep -q 'policy "Customer email Hold" matched -> add-header' "$tmp.out" || fail "explain text"
grep -q 'rule "Customer entitlement email": critical' "$tmp.out" || fail "explain rule"

# 5. hostile bytes still give valid JSON (checked when python3 is there)
"$scan" -c "$conf" "$cli/weird.eml" >"$tmp.out"
expect_rc 0 $? "weird"
grep -q '\\u0001' "$tmp.out" || fail "control byte not escaped"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; json.loads(open(sys.argv[1], encoding="utf-8").read())' \
		"$tmp.out" || fail "weird: invalid JSON"
fi

# 6. errors: bad config names file:line, missing file, usage
"$scan" -c "$cli/bad.conf" "$cli/clean.eml" >"$tmp.out" 2>"$tmp.err"
expect_rc 2 $? "bad config"
grep -q 'bad.conf:4: dlp.rules.r.match: unknown entity "nope"' "$tmp.err" ||
	fail "bad config message: $(cat "$tmp.err")"
"$scan" -c "$conf" "$cli/does-not-exist.eml" >"$tmp.out" 2>"$tmp.err"
expect_rc 2 $? "missing file"
"$scan" "$cli/clean.eml" >"$tmp.out" 2>&1
expect_rc 2 $? "no -c"

if [ "$fails" -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "scan_cli: all checks passed"
