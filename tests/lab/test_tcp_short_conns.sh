#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_tcp_short_conns.sh — 10,000 short connections in a row (one at a
# time) from Linux to the stack's echo service, 100 bytes each way: exercises
# handshakes, FIN both ways, connection reuse of the pool.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=${LABLIB:-$HERE/../../tools/lab}
source "$LIB/netns.sh"
source "$LIB/tcplab.sh"

N=${TCP_SHORT:-10000}
tcplab_setup tshort
log=$(lab_tmpfile)
tcplab_start_server "$log" --listen 7 --service echo --stats
rc=0
res=$(timeout 280 ip netns exec "$(lab_ns_name lnx)" "$TCPKERN" --client \
	--connect "$TCPLAB_DP_IP:7" --conns 1 --total "$N" --bytes 100 --time 270) || rc=$?
echo "client: $res"
src=0
tcplab_stop_server "$log" || src=$?
echo "server (exit $src): $TCPLAB_SRV_JSON"
ok=$(json_get "$res" ok 2>/dev/null || echo 0)
if [ "$rc" -ne 0 ] || [ "$ok" -ne "$N" ]; then
	echo "FAIL: rc $rc, $ok/$N short connections" >&2
	exit 1
fi
echo "PASS: $N short connections in a row"
