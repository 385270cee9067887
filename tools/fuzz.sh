#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# fuzz.sh TARGET [SECONDS] — run one libFuzzer target from build-fuzz/ for
# SECONDS (default 60), seeded from tests/fuzz/seeds/TARGET (if present) and
# the test data; new inputs go to build-fuzz/corpus-TARGET, crashes to
# build-fuzz/. Build first: CC=clang meson setup build-fuzz -Dfuzz=true
# -Ddpdk=disabled -Dtests=disabled && ninja -C build-fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz.sh TARGET [SECONDS]}
secs=${2:-60}
bin=build-fuzz/tests/fuzz/$target
[ -x "$bin" ] || { echo "fuzz.sh: $bin not built" >&2; exit 2; }
corpus=build-fuzz/corpus-$target
mkdir -p "$corpus"
seeds=()
[ -d "tests/fuzz/seeds/$target" ] && seeds+=("tests/fuzz/seeds/$target")
case $target in
*mime*) for d in tests/data/mime tests/golden; do [ -d "$d" ] && seeds+=("$d"); done ;;
*config*) [ -d config/examples ] && seeds+=(config/examples) ;;
esac
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix=build-fuzz/ "$corpus" "${seeds[@]}"
