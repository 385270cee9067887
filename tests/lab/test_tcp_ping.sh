#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_tcp_ping.sh — Linux pings the userspace stack over veth +
# net_af_packet (ARP resolution and ICMP echo), then the stack is stopped
# with SIGINT and must shut down cleanly (exit 0, JSON summary).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=${LABLIB:-$HERE/../../tools/lab}
source "$LIB/netns.sh"
source "$LIB/tcplab.sh"

tcplab_setup tping
log=$(lab_tmpfile)
tcplab_start_server "$log" --listen 7
out=$(timeout 20 ip netns exec "$(lab_ns_name lnx)" ping -c 10 -i 0.2 -W 1 "$TCPLAB_DP_IP" || true)
echo "$out"
recv=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
# a large ping: 1400 bytes of payload
big=$(timeout 10 ip netns exec "$(lab_ns_name lnx)" ping -c 3 -i 0.2 -W 1 -s 1400 "$TCPLAB_DP_IP" || true)
echo "$big"
brecv=$(echo "$big" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
src=0
tcplab_stop_server "$log" || src=$?
echo "server (exit $src): $TCPLAB_SRV_JSON"
if [ "$src" -ne 0 ] || [ "${recv:-0}" -lt 9 ] || [ "${brecv:-0}" -lt 3 ]; then
	echo "FAIL: $recv/10 small and $brecv/3 large echo replies" >&2
	cat "$log" >&2
	exit 1
fi
echo "PASS: $recv/10 and $brecv/3 echo replies, clean shutdown"
