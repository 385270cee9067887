#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_tcp_echo_concurrent.sh — 1,000 concurrent connections from the Linux
# kernel to the stack's echo service, each moving 1 MiB both ways; every
# returned byte is checked against the sent pattern by the client.
# TCP_CONNS / TCP_BYTES override the size (e.g. for a quick run).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=${LABLIB:-$HERE/../../tools/lab}
source "$LIB/netns.sh"
source "$LIB/tcplab.sh"

export TCPLAB_MEM=${TCPLAB_MEM:-2048} # 256k mbufs for 1000 x 64 KiB windows
CONNS=${TCP_CONNS:-1000}
BYTES=${TCP_BYTES:-1048576}
FAULT=${TCP_FAULT:-}
tcplab_setup techo
log=$(lab_tmpfile)
extra=()
if [ -n "$FAULT" ]; then extra=(--fault "$FAULT" --fault-dir both --seed 7); fi
tcplab_start_server "$log" --listen 7 --service echo --stats --mbufs 262144 "${extra[@]}"
rc=0
res=$(timeout "${TCP_TIMEOUT:-500}" ip netns exec "$(lab_ns_name lnx)" "$TCPKERN" --client \
	--connect "$TCPLAB_DP_IP:7" --conns "$CONNS" --total "$CONNS" --bytes "$BYTES" \
	--time "${TCP_TIMEOUT:-500}") || rc=$?
echo "client: $res"
src=0
tcplab_stop_server "$log" || src=$?
echo "server (exit $src): $TCPLAB_SRV_JSON"
ok=$(json_get "$res" ok 2>/dev/null || echo 0)
if [ "$rc" -ne 0 ] || [ "$ok" -ne "$CONNS" ]; then
	echo "FAIL: rc $rc, $ok/$CONNS connections verified" >&2
	tail -5 "$log" >&2
	exit 1
fi
echo "PASS: $ok connections x $BYTES bytes each way verified${FAULT:+ with faults $FAULT}"
