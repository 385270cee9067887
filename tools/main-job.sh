#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# main-job.sh — set up, build and run the main job.
#
# The main job is the seed story, twice:
#  1. the offline scanner (smtpdlp-scan) explains, per sample message in
#     tools/samples/, which policy, rule and terms match and what the
#     appliance will do (tools/samples/demo.conf: the seed's two policies);
#  2. the lab (tools/lab/appliance.sh demo): network namespaces, smtpdlp on
#     DPDK (net_af_packet) between a sender and a Postfix upstream MTA; the
#     same messages are sent with swaks (STARTTLS) and through Postfix as the
#     sending MTA; then the upstream's maildir and the alerts API answer.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
if [ -f build/build.ninja ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build -j"$(nproc)"

echo
echo "== 1. smtpdlp-scan: the seed story (tools/samples/*.eml, tools/samples/demo.conf) =="
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

echo
echo "== 2. The lab: real mail through smtpdlp on DPDK =="
exec tools/lab/appliance.sh demo
