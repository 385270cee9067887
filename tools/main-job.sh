#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# main-job.sh — set up, build and run the main job.
#
# Today the main job is the DLP engine on the seed story: the offline
# scanner (smtpdlp-scan) reads tools/samples/*.eml with tools/samples/demo.conf
# and prints what the appliance would do with each message and why. When
# the appliance lab exists (tools/lab/appliance.sh), it runs that instead:
# real mail through smtpdlp on DPDK in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build -j"$(nproc)"

if [ -x tools/lab/appliance.sh ] && [ -x build/app/smtpdlp ]; then
	exec tools/lab/appliance.sh demo
fi

echo
echo "== smtpdlp-scan: the seed story (tools/samples/*.eml, tools/samples/demo.conf) =="
for f in tools/samples/*.eml; do
	echo
	echo "--- $f"
	rc=0
	build/tools/smtpdlp-scan -c tools/samples/demo.conf --explain "$f" || rc=$?
	case $rc in
	0) echo "(exit 0: no policy matched)" ;;
	1) echo "(exit 1: a policy matched)" ;;
	*) echo "(exit $rc: error)"; exit "$rc" ;;
	esac
done
