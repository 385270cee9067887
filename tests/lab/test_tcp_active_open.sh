#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_tcp_active_open.sh — the stack opens connections to a Linux server
# (ARP resolution of the peer, source ports from the steering hook): echo
# with 1 MiB each way on 20 connections, then sink (CRC reported by Linux)
# and source (Linux sends 4 MiB the stack verifies).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=${LABLIB:-$HERE/../../tools/lab}
source "$LIB/netns.sh"
source "$LIB/tcplab.sh"

tcplab_setup tact
fail=0
for svc in ${TCP_SERVICES:-echo sink source}; do
	klog=$(lab_tmpfile)
	bytes=1048576
	[ "$svc" = source ] && bytes=4194304
	lab_bg lnx "$klog" timeout 120 "$TCPKERN" --server --listen "$TCPLAB_LNX_IP:7000" \
		--service "$svc" --bytes "$bytes"
	kpid=$LAB_LAST_PID
	lab_wait_log "$klog" listening 10
	rc=0
	# shellcheck disable=SC2046
	res=$(timeout 120 ip netns exec "$(lab_ns_name dp)" "$TCPECHO" \
		$(tcplab_eal cli "$(tcplab_afp_dev)") -- --dev "$(tcplab_afp_dev)" \
		--ip "$TCPLAB_DP_IP/24" --client --connect "$TCPLAB_LNX_IP:7000" \
		--service "$svc" --conns 20 --total 20 --bytes "$bytes" --time 100 \
		--idle-sleep-us "$TCPLAB_IDLE_US") || rc=$?
	echo "$svc: $res"
	lab_stop "$kpid" 2 || true
	ok=$(json_get "$res" ok 2>/dev/null || echo 0)
	if [ "$rc" -ne 0 ] || [ "$ok" -ne 20 ]; then
		echo "FAIL: $svc: rc $rc, $ok/20 verified" >&2
		fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "PASS: active opens to Linux (echo, sink, source)"
exit "$fail"
