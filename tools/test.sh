#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test.sh — set up and run the whole test suite:
#   1. install missing Debian packages (tools/setup.sh);
#   2. build (build/) and run every unit suite;
#   3. run the lab suite (network namespaces, DPDK, real mail peers; root);
#   4. rebuild with ASan+UBSan (build-asan/) and run the unit suites again;
#   5. build the libFuzzer targets with clang (build-fuzz/) and run each one
#      for FUZZ_SECONDS (default 20).
# Prints one closing line "N passed, N failed" and exits non-zero on any
# failure. Set SKIP_LAB=1, SKIP_ASAN=1 or SKIP_FUZZ=1 to leave a stage out.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD

tools/setup.sh || exit 1

JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
UNIT_SUITES=(--suite config --suite dlp --suite app --suite tcpstack --suite dataplane)
passed=0
failed=0
failures=()

# Add the Ok/Fail counts of one `meson test` run (read from its JSON log).
count_meson() {
	local dir=$1 what=$2 log=$1/meson-logs/testlog.json ok bad
	[ -f "$log" ] || { failed=$((failed + 1)); failures+=("$what: no test log"); return; }
	ok=$(grep -c '"result": "OK"' "$log")
	bad=$(grep -cE '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log")
	passed=$((passed + ok))
	failed=$((failed + bad))
	if [ "$bad" -gt 0 ]; then
		failures+=("$what: $(grep -E '"result": "(FAIL|TIMEOUT|ERROR)"' "$log" |
			sed -E 's/.*"name": "([^"]*)".*/\1/' | tr '\n' ' ')")
	fi
}

configure() { # dir, meson options...
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

stage() { printf '\n=== %s ===\n' "$*"; }

stage "build"
if ! configure build || ! ninja -C build -j"$JOBS"; then
	echo "0 passed, 1 failed"
	exit 1
fi

stage "unit suites"
meson test -C build --no-rebuild --print-errorlogs "${UNIT_SUITES[@]}"
count_meson build unit

if [ "${SKIP_LAB:-0}" != 1 ]; then
	stage "lab suite"
	meson test -C build --no-rebuild --print-errorlogs --suite lab
	count_meson build lab
fi

if [ "${SKIP_ASAN:-0}" != 1 ]; then
	stage "unit suites under ASan+UBSan"
	if configure build-asan -Dsanitize=address,undefined && ninja -C build-asan -j"$JOBS"; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
			meson test -C build-asan --no-rebuild --print-errorlogs "${UNIT_SUITES[@]}"
		count_meson build-asan asan
	else
		failed=$((failed + 1))
		failures+=("asan: build failed")
	fi
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
	stage "fuzz targets, ${FUZZ_SECONDS}s each"
	if CC=clang configure build-fuzz -Dfuzz=true -Ddpdk=disabled -Dtests=disabled &&
		ninja -C build-fuzz -j"$JOBS"; then
		for t in build-fuzz/tests/fuzz/fuzz_*; do
			[ -f "$t" ] && [ -x "$t" ] || continue # not meson's *.p object folders
			name=$(basename "$t")
			if tools/fuzz.sh "$name" "$FUZZ_SECONDS" >"build-fuzz/$name.log" 2>&1; then
				echo "fuzz $name: ok ($(grep -Eo 'Done [0-9]+ runs' "build-fuzz/$name.log" | tail -1))"
				passed=$((passed + 1))
			else
				echo "fuzz $name: FAILED — see build-fuzz/$name.log"
				tail -30 "build-fuzz/$name.log"
				failed=$((failed + 1))
				failures+=("fuzz: $name")
			fi
		done
	else
		failed=$((failed + 1))
		failures+=("fuzz: build failed")
	fi
fi

stage "summary"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
